package report

import (
	"testing"
	"time"

	_ "time/tzdata" // Europe/Berlin for the HTML writer on hosts without zoneinfo

	"github.com/kaskade-bcm/kaskade/activation"
	"github.com/kaskade-bcm/kaskade/notifiers"
)

// t0 is 03:12 UTC = 04:12 in Berlin (winter time).
var t0 = time.Date(2026, 11, 26, 3, 12, 0, 0, time.UTC)

func steps() []activation.Step {
	return []activation.Step{{Channel: "sms"}, {Channel: "email", After: 2 * time.Minute, If: "not_delivered"}, {Channel: "sms", After: 5 * time.Minute}}
}

// planMI: lead (lead1, deputy lead2) → it (it1, deputies it2, it3); lead and it required.
func planMI() activation.Plan {
	return activation.Plan{
		Org: "MI", Name: activation.Names{DE: "Ministerium für Inneres, Sport und Digitalisierung", EN: "Ministry of the Interior"},
		Tree: "mi-krisenstab", Target: 30 * time.Minute,
		Required: map[string]int{"lead": 1, "it": 1},
		Nodes: []activation.PlanNode{
			{Parent: -1, Function: "lead", People: []string{"lead1", "lead2"}, Wait: 10 * time.Minute, Steps: steps()},
			{Parent: 0, Function: "it", People: []string{"it1", "it2", "it3"}, Wait: 10 * time.Minute, Steps: steps()},
		},
	}
}

// planMF: lead (mf1, deputy mf2) → communication (mf3 alone, not required).
func planMF() activation.Plan {
	return activation.Plan{
		Org: "MF", Name: activation.Names{DE: "Finanzministerium", EN: "Ministry of Finance"},
		Tree: "mf-krisenstab", Target: 30 * time.Minute,
		Required: map[string]int{"lead": 1},
		Nodes: []activation.PlanNode{
			{Parent: -1, Function: "lead", People: []string{"mf1", "mf2"}, Wait: 10 * time.Minute, Steps: steps()},
			{Parent: 0, Function: "communication", People: []string{"mf3"}, Wait: 10 * time.Minute, Steps: steps()},
		},
	}
}

// harness drives the real core with a fake clock and records its events,
// as the runner does, so the reports are computed from realistic logs.
type harness struct {
	t      testing.TB
	c      *activation.Core
	now    time.Time
	id     string
	events []activation.Event
	seq    uint64
}

func newHarness(t testing.TB, id string, exercise bool, plans ...activation.Plan) *harness {
	h := &harness{t: t, c: activation.NewCore(), now: t0, id: id}
	h.input(activation.Input{Declare: &activation.Declared{ID: id, ReplyCode: "K7", Scenario: "cyberangriff",
		ScenarioName: activation.Names{DE: "Cyberangriff", EN: "Cyberattack"}, Title: "Cyberangriff auf das Landesnetz",
		Severity: "crisis", Exercise: exercise, DeclaredBy: "lagedienst", Reason: "Übung Q4: Ransomware im Landesnetz",
		Source: "cli", DeclaredAt: t0, Orgs: orgIDs(plans)}, Plans: plans})
	return h
}

func orgIDs(plans []activation.Plan) []string {
	var out []string
	for _, p := range plans {
		out = append(out, p.Org)
	}
	return out
}

func (h *harness) input(in activation.Input) []activation.Event {
	h.t.Helper()
	h.seq++
	in.Seq, in.Incident = h.seq, h.id
	evs, err := h.c.Handle(in, h.now)
	if err != nil {
		h.t.Fatalf("Handle: %v", err)
	}
	h.events = append(h.events, evs...)
	return evs
}

// at moves the clock to t0+d, firing every timer on the way minute by minute.
func (h *harness) at(d time.Duration) {
	for target := t0.Add(d); h.now.Before(target); {
		next := h.now.Add(time.Minute).Truncate(time.Minute)
		if next.After(target) {
			next = target
		}
		h.now = next
		h.events = append(h.events, h.c.Tick(h.now)...)
	}
}

func (h *harness) respond(person string, kind activation.ResponseKind, minutes int) {
	h.input(activation.Input{Response: &activation.Response{Person: person, Kind: kind, Minutes: minutes, Source: activation.SourceSMS}})
}

// deliver reports a state for the person's latest notification on a channel.
func (h *harness) deliver(person, channel string, state notifiers.State, code string) {
	h.t.Helper()
	id := ""
	for _, e := range h.events {
		if e.Kind == activation.KindNotification && e.Notification.Person == person && e.Notification.Channel == channel {
			id = e.Notification.ID
		}
	}
	if id == "" {
		h.t.Fatalf("no %s notification to %s", channel, person)
	}
	h.input(activation.Input{Delivery: &activation.Delivery{Notification: id, State: state, Code: code}})
}

func (h *harness) standDown(reason string) {
	h.input(activation.Input{StandDown: &activation.StandDown{By: "lagedienst", Reason: reason}})
}

var names = map[string]string{
	"lead1": "Anna Bäcker", "lead2": "Jörg Weiß", "it1": "Mehmet Öztürk", "it2": "Sören Groß", "it3": "Ute Kühn",
	"mf1": "Hans Müller", "mf2": "Grete Schäfer", "mf3": "Lütfiye Yılmaz",
}

func testOpts() Options {
	return Options{Names: func(id string) string { return names[id] }, Now: t0.Add(2 * time.Hour)}
}

// Scenario (a): an exercise. MI: lead1 answers "komme in 10" at 3m, then
// "komme" at 8m; it1 (cascaded at 3m) says "nicht verfügbar" at 6m, so the
// deputy it2 is alerted at once and says "komme" at 9m: MI ready at 9m, IT
// covered by a deputy. MF: mf1 "komme" at 4m (ready), mf3 (communication,
// cascaded at 4m) never answers: the node is exhausted at 14m. Stand-down at 20m.
func scenarioNormal(t testing.TB) []activation.Event {
	h := newHarness(t, "K-2026-001", true, planMI(), planMF())
	h.at(30 * time.Second)
	h.deliver("lead1", "sms", notifiers.StateDelivered, "")
	h.deliver("mf1", "sms", notifiers.StateDelivered, "")
	h.at(3 * time.Minute)
	h.respond("lead1", activation.Delayed, 10)
	h.at(3*time.Minute + 20*time.Second)
	h.deliver("it1", "sms", notifiers.StateDelivered, "")
	h.at(4 * time.Minute)
	h.respond("mf1", activation.Available, 0)
	h.at(4*time.Minute + 20*time.Second)
	h.deliver("mf3", "sms", notifiers.StateDelivered, "")
	h.at(6 * time.Minute)
	h.respond("it1", activation.Unavailable, 0)
	h.at(6*time.Minute + 10*time.Second)
	h.deliver("it2", "sms", notifiers.StateSent, "")
	h.at(8 * time.Minute)
	h.respond("lead1", activation.Available, 0)
	h.at(9 * time.Minute)
	h.respond("it2", activation.Available, 0)
	h.at(20 * time.Minute)
	h.standDown("Übungsende")
	return h.events
}

// Scenario (b): nobody answers; the incident stays open (no stand-down).
// lead1 → lead2 (10m) → exhausted (20m), cascade to it1 (20m) → it2 (30m).
func scenarioSilent(t testing.TB) []activation.Event {
	h := newHarness(t, "K-2026-002", true, planMI())
	h.at(35 * time.Minute)
	return h.events
}

// Scenario (c): lead1 "komme" at 2m, stand-down at 5m, then it1 "komme" at
// 7m and lead1 "nicht verfügbar" at 8m: both after the stand-down.
func scenarioLate(t testing.TB) []activation.Event {
	h := newHarness(t, "K-2026-003", true, planMI())
	h.at(2 * time.Minute)
	h.respond("lead1", activation.Available, 0)
	h.at(5 * time.Minute)
	h.standDown("Fehlalarm")
	h.at(7 * time.Minute)
	h.respond("it1", activation.Available, 0)
	h.at(8 * time.Minute)
	h.respond("lead1", activation.Unavailable, 0)
	return h.events
}

// Scenario (d): a real incident (no exercise). lead1's SMS fails at 1m
// (30006, landline), the email goes out at once and is delivered at 1m30;
// lead1 "komme" at 4m by email; it1's SMS has an unknown outcome, it1
// answers "komme" by SMS at 6m: ready at 6m. Stand-down at 45m.
func scenarioFailedSMS(t testing.TB) []activation.Event {
	h := newHarness(t, "K-2026-004", false, planMI())
	h.at(time.Minute)
	h.deliver("lead1", "sms", notifiers.StateFailed, "30006")
	h.at(90 * time.Second)
	h.deliver("lead1", "email", notifiers.StateDelivered, "")
	h.at(4 * time.Minute)
	h.input(activation.Input{Response: &activation.Response{Person: "lead1", Kind: activation.Available, Source: activation.SourceEmail}})
	h.at(4*time.Minute + 30*time.Second)
	h.deliver("it1", "sms", notifiers.StateUnknown, "timeout")
	h.at(6 * time.Minute)
	h.respond("it1", activation.Available, 0)
	h.at(45 * time.Minute)
	h.standDown("Lage bereinigt")
	return h.events
}

// scenarioVoice: people are called first, an SMS follows after 5 minutes.
// lead1's call reaches an answering machine (the SMS follows at once) and
// lead1 answers by calling back (keypad); it1 is busy, then answers by SMS;
// MF's lead answers in the call.
func scenarioVoice(t testing.TB) []activation.Event {
	voiceFirst := func(p activation.Plan) activation.Plan {
		for i := range p.Nodes {
			p.Nodes[i].Steps = []activation.Step{{Channel: "voice"}, {Channel: "sms", After: 5 * time.Minute}}
		}
		return p
	}
	h := newHarness(t, "K-2026-005", true, voiceFirst(planMI()), voiceFirst(planMF()))
	h.at(time.Minute)
	h.deliver("lead1", "voice", notifiers.StateFailed, notifiers.CodeMachine)
	h.deliver("mf1", "voice", notifiers.StateDelivered, "")
	h.input(activation.Input{Response: &activation.Response{Person: "mf1", Kind: activation.Available, Source: activation.SourceVoice}})
	h.at(2 * time.Minute)
	h.deliver("lead1", "sms", notifiers.StateDelivered, "")
	h.at(3 * time.Minute)
	h.input(activation.Input{Response: &activation.Response{Person: "lead1", Kind: activation.Delayed, Minutes: 20, Source: activation.SourceVoice}})
	h.at(4 * time.Minute)
	h.deliver("it1", "voice", notifiers.StateFailed, "busy")
	h.at(5 * time.Minute)
	h.respond("it1", activation.Available, 0)
	h.at(30 * time.Minute)
	h.standDown("Übungsende")
	return h.events
}
