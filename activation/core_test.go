package activation

import (
	"testing"
	"time"

	"github.com/kaskade-bcm/kaskade/notifiers"
)

var t0 = time.Date(2026, 11, 26, 3, 12, 0, 0, time.UTC)

func testPlan() Plan {
	steps := []Step{{Channel: "sms"}, {Channel: "email", After: 2 * time.Minute, If: "not_delivered"}, {Channel: "sms", After: 5 * time.Minute}}
	return Plan{
		Org: "MI", Name: Names{DE: "Innenministerium"}, Tree: "mi", Target: 30 * time.Minute,
		Required: map[string]int{"lead": 1, "it": 1},
		Nodes: []PlanNode{
			{Parent: -1, Function: "lead", People: []string{"lead1", "lead2"}, Wait: 10 * time.Minute, Steps: steps},
			{Parent: 0, Function: "it", People: []string{"it1", "it2", "it3"}, Wait: 10 * time.Minute, Steps: steps},
		},
	}
}

// harness drives a Core and records every event, like the runner does.
type harness struct {
	t      *testing.T
	c      *Core
	now    time.Time
	events []Event
	seq    uint64
}

func newHarness(t *testing.T, exercise bool) *harness {
	h := &harness{t: t, c: NewCore(), now: t0}
	h.input(Input{Incident: "K1", Declare: &Declared{ID: "K1", ReplyCode: "K1", Scenario: "cyberangriff", Title: "Cyberangriff",
		Severity: "emergency", Exercise: exercise, DeclaredBy: "lagedienst", Reason: "Test"}, Plans: []Plan{testPlan()}})
	return h
}

func (h *harness) input(in Input) []Event {
	h.t.Helper()
	h.seq++
	in.Seq = h.seq
	evs, err := h.c.Handle(in, h.now)
	if err != nil {
		h.t.Fatalf("Handle: %v", err)
	}
	h.events = append(h.events, evs...)
	return evs
}

func (h *harness) advance(d time.Duration) []Event {
	h.now = h.now.Add(d)
	evs := h.c.Tick(h.now)
	h.events = append(h.events, evs...)
	return evs
}

func (h *harness) respond(person string, kind ResponseKind, minutes int) []Event {
	return h.input(Input{Incident: "K1", Response: &Response{Person: person, Kind: kind, Minutes: minutes, Source: SourceSMS}})
}

func notes(evs []Event) []Notification {
	var out []Notification
	for _, e := range evs {
		if e.Kind == KindNotification {
			out = append(out, *e.Notification)
		}
	}
	return out
}

func notesTo(evs []Event, person string) []Notification {
	var out []Notification
	for _, n := range notes(evs) {
		if n.Person == person {
			out = append(out, n)
		}
	}
	return out
}

func (h *harness) readiness() ReadinessState {
	r, ok := h.c.Readiness("K1", "MI")
	if !ok {
		h.t.Fatal("no readiness for MI")
	}
	return r.State
}

func TestDeclareAlertsRootPrimaryOnly(t *testing.T) {
	h := newHarness(t, false)
	n := notes(h.events)
	if len(n) != 1 || n[0].Person != "lead1" || n[0].Channel != "sms" || n[0].Purpose != notifiers.PurposeAlert {
		t.Fatalf("first wave = %+v, want one SMS to lead1", n)
	}
	if got := h.readiness(); got != Alerting {
		t.Fatalf("readiness = %s, want alerting", got)
	}
}

func TestPrimaryAnswersInTime(t *testing.T) {
	h := newHarness(t, false)
	h.advance(time.Minute)
	evs := h.respond("lead1", Available, 0)
	if got := notesTo(evs, "it1"); len(got) != 1 {
		t.Fatalf("cascade: notifications to it1 = %d, want 1", len(got))
	}
	// Nothing more for lead1 or their deputy, ever.
	later := h.advance(time.Hour)
	if n := notesTo(later, "lead1"); len(n) != 0 {
		t.Fatalf("lead1 got %d more messages after answering", len(n))
	}
	if n := notesTo(h.events, "lead2"); len(n) != 0 {
		t.Fatalf("deputy lead2 alerted although primary answered: %+v", n)
	}
}

func TestSilentPrimaryRepeatsThenDeputyAfterWait(t *testing.T) {
	h := newHarness(t, false)
	// 2 min: email because the SMS was not delivered.
	if n := notesTo(h.advance(2*time.Minute), "lead1"); len(n) != 1 || n[0].Channel != "email" {
		t.Fatalf("at 2m: %+v, want one email", n)
	}
	// 5 min: SMS repeat.
	if n := notesTo(h.advance(3*time.Minute), "lead1"); len(n) != 1 || n[0].Channel != "sms" || n[0].Step != 2 {
		t.Fatalf("at 5m: %+v, want SMS repeat", n)
	}
	// Just before the wait: no deputy.
	if n := notesTo(h.advance(5*time.Minute-time.Second), "lead2"); len(n) != 0 {
		t.Fatalf("deputy alerted early: %+v", n)
	}
	evs := h.advance(time.Second)
	if n := notesTo(evs, "lead2"); len(n) != 1 {
		t.Fatalf("at 10m deputy notifications = %d, want 1", len(n))
	}
	if !hasTier(evs, "lead2", "timeout") {
		t.Fatal("no tier_alerted event with reason timeout")
	}
}

func TestNotDeliveredStepSkippedWhenDelivered(t *testing.T) {
	h := newHarness(t, false)
	first := notes(h.events)[0]
	h.input(Input{Incident: "K1", Delivery: &Delivery{Notification: first.ID, State: notifiers.StateDelivered}})
	if n := notesTo(h.advance(2*time.Minute), "lead1"); len(n) != 0 {
		t.Fatalf("email sent although SMS was delivered: %+v", n)
	}
}

func TestUnavailableAlertsDeputyAtOnce(t *testing.T) {
	h := newHarness(t, false)
	evs := h.respond("lead1", Unavailable, 0)
	if n := notesTo(evs, "lead2"); len(n) != 1 {
		t.Fatalf("deputy notifications = %d, want 1 at once", len(n))
	}
	if !hasTier(evs, "lead2", "unavailable") {
		t.Fatal("missing escalation reason unavailable")
	}
}

func TestPermanentFailureMovesOnAtOnce(t *testing.T) {
	h := newHarness(t, false)
	first := notes(h.events)[0]
	evs := h.input(Input{Incident: "K1", Delivery: &Delivery{Notification: first.ID, State: notifiers.StateFailed, Code: "21211"}})
	n := notesTo(evs, "lead1")
	if len(n) != 1 || n[0].Channel != "email" {
		t.Fatalf("after SMS failure: %+v, want email at once", n)
	}
	evs = h.input(Input{Incident: "K1", Delivery: &Delivery{Notification: n[0].ID, State: notifiers.StateFailed, Code: "550"}})
	if d := notesTo(evs, "lead2"); len(d) != 1 {
		t.Fatalf("after all channels failed: deputy notifications = %d, want 1", len(d))
	}
}

func TestLastDeputySilentExhaustsAndCascades(t *testing.T) {
	h := newHarness(t, false)
	h.respond("lead1", Available, 0)
	h.advance(10 * time.Minute) // it2
	h.advance(10 * time.Minute) // it3
	evs := h.advance(10 * time.Minute)
	found := false
	for _, e := range evs {
		if e.Kind == KindNodeExhausted && e.Exhausted.Node == 1 {
			found = true
		}
	}
	if !found {
		t.Fatal("node not exhausted after the last deputy's wait")
	}
	for _, p := range []string{"it1", "it2", "it3"} {
		if len(notesTo(h.events, p)) == 0 {
			t.Errorf("%s never notified", p)
		}
	}
}

func TestReadinessTransitions(t *testing.T) {
	h := newHarness(t, false)
	h.respond("lead1", Available, 0)
	if got := h.readiness(); got != Forming {
		t.Fatalf("after lead: %s, want forming", got)
	}
	h.respond("it1", Available, 0)
	if got := h.readiness(); got != Ready {
		t.Fatalf("after it: %s, want ready", got)
	}
	evs := h.respond("it1", Unavailable, 0)
	if got := h.readiness(); got != Degraded {
		t.Fatalf("after it drops out: %s, want degraded", got)
	}
	if n := notesTo(evs, "it2"); len(n) != 1 {
		t.Fatalf("deputy it2 not alerted when it1 dropped out: %d", len(n))
	}
	h.respond("it2", Available, 0)
	if got := h.readiness(); got != Ready {
		t.Fatalf("deputy covers: %s, want ready", got)
	}
	r, _ := h.c.Readiness("K1", "MI")
	if r.Covered["it"] != 1 || len(r.Missing) != 0 {
		t.Fatalf("coverage = %+v missing %v", r.Covered, r.Missing)
	}
}

func TestAtRiskAfterTargetAndByETA(t *testing.T) {
	h := newHarness(t, false)
	h.respond("lead1", Available, 0)
	h.advance(29 * time.Minute)
	if got := h.readiness(); got == AtRisk {
		t.Fatalf("at risk before the target with deputies left")
	}
	h.advance(time.Minute)
	if got := h.readiness(); got != AtRisk {
		t.Fatalf("after target: %s, want at_risk", got)
	}

	// Predicted: the only IT people left come too late.
	h2 := newHarness(t, false)
	h2.respond("lead1", Available, 0)
	h2.respond("it1", Delayed, 45)
	h2.respond("it2", Unavailable, 0)
	h2.respond("it3", Delayed, 60)
	if got := h2.readiness(); got != AtRisk {
		t.Fatalf("ETAs past the deadline: %s, want at_risk", got)
	}
	h3 := newHarness(t, false)
	h3.respond("lead1", Available, 0)
	h3.respond("it1", Delayed, 20)
	if got := h3.readiness(); got != Forming {
		t.Fatalf("ETA before deadline: %s, want forming", got)
	}
	r, _ := h3.c.Readiness("K1", "MI")
	if r.Coming != 2 || r.Delayed != 1 || r.LatestETA == nil || !r.LatestETA.Equal(t0.Add(20*time.Minute)) {
		t.Fatalf("coming=%d eta=%v", r.Coming, r.LatestETA)
	}
}

func TestStandDownStopsEscalationAndInformsReached(t *testing.T) {
	h := newHarness(t, false)
	first := notes(h.events)[0]
	h.input(Input{Incident: "K1", Delivery: &Delivery{Notification: first.ID, State: notifiers.StateSent}})
	evs := h.input(Input{Incident: "K1", StandDown: &StandDown{By: "lagedienst", Reason: "Fehlalarm"}})
	sd := notes(evs)
	if len(sd) != 1 || sd[0].Person != "lead1" || sd[0].Purpose != notifiers.PurposeStandDown || sd[0].Text != "Fehlalarm" {
		t.Fatalf("stand-down messages = %+v", sd)
	}
	if later := h.advance(2 * time.Hour); len(notes(later)) != 0 {
		t.Fatalf("escalation continued after stand-down: %+v", notes(later))
	}
	if _, err := h.c.Handle(Input{Incident: "K1", StandDown: &StandDown{By: "x"}}, h.now); err == nil {
		t.Fatal("second stand-down accepted")
	}
}

func TestSituationUpdateReachesEveryoneNotified(t *testing.T) {
	h := newHarness(t, false)
	h.respond("lead1", Available, 0) // it1 notified by cascade
	evs := h.input(Input{Incident: "K1", Update: &SituationUpdate{Text: "Lage stabil", By: "lagedienst"}})
	got := map[string]bool{}
	for _, n := range notes(evs) {
		if n.Purpose != notifiers.PurposeUpdate {
			t.Fatalf("purpose %s", n.Purpose)
		}
		got[n.Person] = true
	}
	if !got["lead1"] || !got["it1"] || len(got) != 2 {
		t.Fatalf("update reached %v, want lead1 and it1", got)
	}
}

func TestExerciseFlagCarried(t *testing.T) {
	for _, ex := range []bool{true, false} {
		h := newHarness(t, ex)
		v, _ := h.c.Incident("K1")
		if v.Exercise != ex {
			t.Fatalf("exercise = %v, want %v", v.Exercise, ex)
		}
	}
}

func TestReplayRebuildsStateAndTimers(t *testing.T) {
	h := newHarness(t, false)
	h.advance(3 * time.Minute)
	h.respond("lead1", Available, 0)
	// A new core fed only the events reaches the same state ...
	c2 := NewCore()
	for _, e := range h.events {
		c2.Apply(e)
	}
	v1, _ := h.c.Incident("K1")
	v2, _ := c2.Incident("K1")
	if v1.Organisations[0].State != v2.Organisations[0].State || v1.Counts != v2.Counts {
		t.Fatalf("replay differs: %+v vs %+v", v1.Organisations[0], v2.Organisations[0])
	}
	for seq := uint64(1); seq <= h.seq; seq++ {
		if !c2.InputApplied(seq) {
			t.Fatalf("input %d not marked applied after replay", seq)
		}
	}
	if c2.InputApplied(h.seq + 1) {
		t.Fatal("an input never seen is marked applied")
	}
	// ... and fires the overdue escalation exactly once: it1 silent 40 min.
	now := h.now.Add(40 * time.Minute)
	evs := c2.Tick(now)
	if n := notesTo(evs, "it2"); len(n) != 1 {
		t.Fatalf("overdue escalation to it2 fired %d times, want 1", len(n))
	}
	if again := c2.Tick(now); len(notesTo(again, "it2")) != 0 {
		t.Fatal("escalation fired twice")
	}
}

func TestInvalidResponses(t *testing.T) {
	h := newHarness(t, false)
	cases := []struct {
		name string
		in   Input
	}{
		{"unknown incident", Input{Incident: "K9", Response: &Response{Person: "lead1", Kind: Available}}},
		{"unknown person", Input{Incident: "K1", Response: &Response{Person: "nobody", Kind: Available}}},
		{"bad kind", Input{Incident: "K1", Response: &Response{Person: "lead1", Kind: "maybe"}}},
		{"delay zero", Input{Incident: "K1", Response: &Response{Person: "lead1", Kind: Delayed}}},
		{"delay huge", Input{Incident: "K1", Response: &Response{Person: "lead1", Kind: Delayed, Minutes: 5000}}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			evs, err := h.c.Handle(tc.in, h.now)
			if err == nil || len(evs) != 1 || evs[0].Kind != KindRejected || evs[0].Rejected.Error != err.Error() {
				t.Fatalf("accepted or not recorded as rejected: %v %+v", err, evs)
			}
		})
	}
}

func TestLateDeliveryNeverOverwrites(t *testing.T) {
	h := newHarness(t, false)
	id := notes(h.events)[0].ID
	for _, s := range []notifiers.State{notifiers.StateDelivered, notifiers.StateSent, notifiers.StateDelivered} {
		h.input(Input{Incident: "K1", Delivery: &Delivery{Notification: id, State: s}})
	}
	if _, st, _ := h.c.NotificationInfo("K1", id); st != notifiers.StateDelivered {
		t.Fatalf("state = %s, want delivered", st)
	}
	v, _ := h.c.Incident("K1")
	if v.Counts.Delivered != 1 || v.Counts.Sent != 0 {
		t.Fatalf("counts = %+v", v.Counts)
	}
}

func hasTier(evs []Event, person, reason string) bool {
	for _, e := range evs {
		if e.Kind == KindTierAlerted && e.Tier.Person == person && e.Tier.Reason == reason {
			return true
		}
	}
	return false
}

// Inputs redelivered after a crash arrive after newer ones were decided;
// they must not be mistaken for applied.
func TestInputsOutOfOrder(t *testing.T) {
	var s inputSet
	for _, seq := range []uint64{1, 2, 5, 6} {
		s.add(seq)
	}
	for seq, want := range map[uint64]bool{1: true, 2: true, 3: false, 4: false, 5: true, 6: true, 7: false} {
		if s.has(seq) != want {
			t.Errorf("has(%d) = %v, want %v", seq, !want, want)
		}
	}
	s.add(4)
	s.add(3)
	if s.low != 6 || len(s.above) != 0 {
		t.Fatalf("low %d above %v after the gap filled", s.low, s.above)
	}
	c := NewCore()
	c.inputs.add(10)
	c.InputsSettledBelow(9)
	if !c.InputApplied(8) || c.InputApplied(9) || !c.InputApplied(10) {
		t.Fatal("InputsSettledBelow")
	}
}

// Someone who already said "unavailable" gets no alert and no wait: the
// next deputy is alerted at once when the tree reaches them.
func TestAlreadyUnavailableIsSkippedAtOnce(t *testing.T) {
	h := newHarness(t, false)
	h.respond("it1", Unavailable, 0) // before the cascade reached IT
	evs := h.respond("lead1", Available, 0)
	if n := notesTo(evs, "it1"); len(n) != 0 {
		t.Fatalf("it1 alerted although unavailable: %+v", n)
	}
	if n := notesTo(evs, "it2"); len(n) != 1 {
		t.Fatalf("deputy it2 notifications = %d, want 1 at once", len(n))
	}
}

// A late failure of one channel does not skip the wait while another
// channel of the policy may still have reached the person.
func TestLateFailureOfOneChannelWaits(t *testing.T) {
	h := newHarness(t, false)
	sms := notes(h.events)[0]
	if n := notesTo(h.advance(3*time.Minute), "lead1"); len(n) != 1 || n[0].Channel != "email" {
		t.Fatalf("email step: %+v", n)
	}
	evs := h.input(Input{Incident: "K1", Delivery: &Delivery{Notification: sms.ID, State: notifiers.StateFailed, Code: "30006"}})
	if n := notesTo(evs, "lead2"); len(n) != 0 {
		t.Fatalf("deputy alerted at once although the email may have arrived: %+v", n)
	}
	if n := notesTo(h.advance(7*time.Minute), "lead2"); len(n) != 1 {
		t.Fatalf("deputy after the wait: %d notifications, want 1", len(n))
	}
}
