package activation

import (
	"strings"
	"testing"
	"time"

	"github.com/kaskade-bcm/kaskade/notifiers"
)

// twoOrgHarness declares K1 for MI (testPlan) and MF (one node).
func twoOrgHarness(t *testing.T) *harness {
	mf := testPlan()
	mf.Org, mf.Tree = "MF", "mf"
	mf.Required = map[string]int{"lead": 1}
	mf.Nodes = []PlanNode{{Parent: -1, Function: "lead", People: []string{"mf1", "mf2"}, Wait: 10 * time.Minute, Steps: mf.Nodes[0].Steps}}
	h := &harness{t: t, c: NewCore(), now: t0}
	h.input(Input{Incident: "K1", Declare: &Declared{ID: "K1", ReplyCode: "K1", Title: "T", DeclaredBy: "x", Reason: "y"},
		Plans: []Plan{testPlan(), mf}})
	return h
}

func noteTo(t *testing.T, h *harness, person string) Notification {
	t.Helper()
	n := notesTo(h.events, person)
	if len(n) == 0 {
		t.Fatalf("no notification to %s", person)
	}
	return n[0]
}

// TestOrgTimelineOwnEvents (issue 16.3): MF's failed delivery is not in
// MI's timeline; incident-wide items are in both and marked.
func TestOrgTimelineOwnEvents(t *testing.T) {
	h := twoOrgHarness(t)
	n := noteTo(t, h, "mf1")
	h.input(Input{Incident: "K1", Delivery: &Delivery{Notification: n.ID, State: notifiers.StateFailed, Code: "30006"}})
	h.input(Input{Incident: "K1", Update: &SituationUpdate{Text: "Lage stabil", By: "x"}})
	for _, it := range h.c.Timeline("K1", "MI") {
		if it.Kind == KindDelivery {
			t.Fatalf("MI's timeline shows MF's delivery failure: %+v", it)
		}
		if it.Kind == KindUpdate && !it.Wide {
			t.Fatalf("update not marked incident-wide: %+v", it)
		}
	}
	found := false
	for _, it := range h.c.Timeline("K1", "MF") {
		found = found || it.Kind == KindDelivery && it.Org == "MF" && it.Person == "mf1"
	}
	if !found {
		t.Fatalf("MF's timeline lacks its delivery failure: %+v", h.c.Timeline("K1", "MF"))
	}
}

// TestTimelineWording (issue 16.12): no transition from a state to itself,
// state names in words (de/en), answers name person and function, an
// exhausted chain names its node.
func TestTimelineWording(t *testing.T) {
	h := newHarness(t, false)
	h.respond("lead1", Available, 0)
	h.respond("it1", Delayed, 20) // forming → forming with other coverage
	h.advance(24 * time.Hour)     // it2, it3 … lead chain done; at_risk
	h.respond("it1", Unavailable, 0)
	h.respond("lead2", Available, 0) // at_risk → at_risk, other coverage
	for _, it := range h.c.Timeline("K1", "MI") {
		if it.Kind == KindReadiness {
			for _, s := range []ReadinessState{Alerting, Forming, AtRisk, Ready} {
				if strings.Contains(it.Summary, string(s)+" →") || strings.HasSuffix(it.Summary, "→ "+string(s)) {
					t.Errorf("state id instead of a name: %q", it.Summary)
				}
			}
			if parts := strings.Split(it.Summary, " → "); len(parts) == 2 && strings.TrimPrefix(parts[0], "Status: ") == parts[1] {
				t.Errorf("transition to itself: %q", it.Summary)
			}
			if it.SummaryEN == "" || strings.Contains(it.SummaryEN, "Stab") {
				t.Errorf("no English summary: %+v", it)
			}
		}
		if it.Kind == KindResponse && (!strings.Contains(it.Summary, it.Person) || it.Function == "" || !strings.Contains(it.Summary, it.Function)) {
			t.Errorf("answer without person and function: %+v", it)
		}
	}
	h2 := newHarness(t, false)
	h2.respond("lead1", Unavailable, 0)
	h2.respond("lead2", Unavailable, 0)
	ok := false
	for _, it := range h2.c.Timeline("K1", "MI") {
		if it.Kind == KindNodeExhausted {
			ok = strings.Contains(it.Summary, "Knoten 0") && strings.Contains(it.Summary, "lead")
		}
	}
	if !ok {
		t.Fatalf("exhausted chain does not name its node: %+v", h2.c.Timeline("K1", "MI"))
	}
}

// TestStoodDownFinalState (issue 16.11): after the stand-down the tile shows
// a final state and the readiness reached.
func TestStoodDownFinalState(t *testing.T) {
	h := newHarness(t, false)
	h.respond("lead1", Available, 0)
	h.input(Input{Incident: "K1", StandDown: &StandDown{By: "x", Reason: "vorbei"}})
	r, _ := h.c.Readiness("K1", "MI")
	if r.State != StoodDown || r.Reached != Forming {
		t.Fatalf("after stand-down: state %s reached %s, want stood_down and forming", r.State, r.Reached)
	}
}

// TestComingCountsBoth (issue 16.13): coming is available plus delayed,
// and the tile says which is which.
func TestComingCountsBoth(t *testing.T) {
	h := newHarness(t, false)
	h.respond("lead1", Available, 0)
	h.respond("it1", Delayed, 20)
	r, _ := h.c.Readiness("K1", "MI")
	if r.Coming != 2 || r.Available != 1 || r.Delayed != 1 {
		t.Fatalf("coming %d available %d delayed %d, want 2, 1, 1", r.Coming, r.Available, r.Delayed)
	}
}

// TestAnsweringMachineShownOnThePerson (issue 18.8): a call an answering
// machine took marks the person, live, replayed and restored; another
// failure does not.
func TestAnsweringMachineShownOnThePerson(t *testing.T) {
	h := twoOrgHarness(t)
	h.input(Input{Incident: "K1", Delivery: &Delivery{Notification: noteTo(t, h, "mf1").ID, State: notifiers.StateFailed, Code: notifiers.CodeMachine}})
	h.input(Input{Incident: "K1", Delivery: &Delivery{Notification: noteTo(t, h, "lead1").ID, State: notifiers.StateFailed, Code: "30006"}})
	restored, err := RestoreSnapshot(h.c.AppendSnapshot(nil))
	if err != nil {
		t.Fatal(err)
	}
	for name, c := range map[string]*Core{"live": h.c, "replayed": replayed(t, h.events), "restored": restored} {
		machine := map[string]bool{}
		for _, org := range []string{"MI", "MF"} {
			d, _ := c.Detail("K1", org, nil)
			for _, n := range d.Nodes {
				for _, p := range n.Tiers {
					if p.Machine {
						machine[p.Person] = true
					}
				}
			}
		}
		if !machine["mf1"] || len(machine) != 1 {
			t.Errorf("%s: answering machine shown for %v, want mf1 only", name, machine)
		}
	}
}

// TestCallsAndKeypadAnswersShown (issue 18.8): the person row names the
// channel that reached the person (a call), a keypad answer's timeline line
// says it came by call, and a text's does not; live, replayed and restored.
func TestCallsAndKeypadAnswersShown(t *testing.T) {
	plan := testPlan()
	for i := range plan.Nodes {
		plan.Nodes[i].Steps = []Step{{Channel: "voice"}, {Channel: "sms", After: 5 * time.Minute}}
	}
	plan.Nodes[1].Steps = []Step{{Channel: "sms"}}
	h := &harness{t: t, c: NewCore(), now: t0}
	h.input(Input{Incident: "K1", Declare: &Declared{ID: "K1", ReplyCode: "K1", Title: "T", DeclaredBy: "x", Reason: "y"}, Plans: []Plan{plan}})
	h.input(Input{Incident: "K1", Delivery: &Delivery{Notification: noteTo(t, h, "lead1").ID, State: notifiers.StateDelivered}})
	h.input(Input{Incident: "K1", Response: &Response{Person: "lead1", Kind: Delayed, Minutes: 20, Source: SourceVoice}})
	h.input(Input{Incident: "K1", Delivery: &Delivery{Notification: noteTo(t, h, "it1").ID, State: notifiers.StateSent}})
	h.input(Input{Incident: "K1", Response: &Response{Person: "it1", Kind: Available, Source: SourceSMS}})
	restored, err := RestoreSnapshot(h.c.AppendSnapshot(nil))
	if err != nil {
		t.Fatal(err)
	}
	for name, c := range map[string]*Core{"live": h.c, "replayed": replayed(t, h.events), "restored": restored} {
		d, _ := c.Detail("K1", "MI", nil)
		got := map[string]string{}
		for _, n := range d.Nodes {
			for _, p := range n.Tiers {
				got[p.Person] = p.Notification + "/" + p.Channel
			}
		}
		if got["lead1"] != "delivered/voice" || got["it1"] != "sent/sms" || got["lead2"] != "/" {
			t.Errorf("%s: person rows %v", name, got)
		}
		var lines []string
		for _, it := range d.Timeline {
			if it.Kind == KindResponse {
				lines = append(lines, it.Summary+" | "+it.SummaryEN)
			}
		}
		want := []string{"Rückmeldung von lead1 (lead) per Anruf: komme in 20 Min. | Answer from lead1 (lead) by call: coming in 20 min",
			"Rückmeldung von it1 (it): komme | Answer from it1 (it): coming"}
		if strings.Join(lines, "\n") != strings.Join(want, "\n") {
			t.Errorf("%s: answers in the timeline\n%s\nwant\n%s", name, strings.Join(lines, "\n"), strings.Join(want, "\n"))
		}
	}
}
