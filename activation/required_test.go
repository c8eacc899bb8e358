package activation

import (
	"testing"
	"time"
)

// TestRequiredTwoFromOneNode (issue 16.8): required {it: 2} with one node
// for it: after the primary's yes the node's deputy is alerted, and the
// organisation becomes ready with the deputy's yes; a silent deputy is
// followed by the next after the wait.
func TestRequiredTwoFromOneNode(t *testing.T) {
	p := testPlan()
	p.Required = map[string]int{"lead": 1, "it": 2}
	h := &harness{t: t, c: NewCore(), now: t0}
	h.input(Input{Incident: "K1", Declare: &Declared{ID: "K1", ReplyCode: "K1"}, Plans: []Plan{p}})
	h.respond("lead1", Available, 0)
	evs := h.respond("it1", Available, 0)
	if n := notesTo(evs, "it2"); len(n) != 1 {
		t.Fatalf("deputy it2 not alerted after it1's yes while it lacks a person: %+v", notes(evs))
	}
	h.advance(10 * time.Minute)
	if n := notesTo(h.events, "it3"); len(n) != 1 {
		t.Fatalf("it3 not alerted after it2's silence: %+v", notes(h.events))
	}
	h.respond("it3", Available, 0)
	if got := h.readiness(); got != Ready {
		t.Fatalf("readiness %s, want ready with two for it", got)
	}
	// One required per node: the deputy is never alerted after a yes.
	h1 := newHarness(t, false)
	h1.respond("lead1", Available, 0)
	h1.respond("it1", Available, 0)
	h1.advance(time.Hour)
	if n := notesTo(h1.events, "it2"); len(n) != 0 {
		t.Fatalf("deputy alerted although one was required: %+v", n)
	}
}

// TestRequiredTwoFromOneNodeNotAtRiskAtOnce: a node of three that may still
// bring two for required {it: 2} is no reason for at_risk before the target;
// it becomes at_risk only when too few of its people are left to ask.
func TestRequiredTwoFromOneNodeNotAtRiskAtOnce(t *testing.T) {
	p := testPlan()
	p.Required = map[string]int{"lead": 1, "it": 2}
	h := &harness{t: t, c: NewCore(), now: t0}
	h.input(Input{Incident: "K1", Declare: &Declared{ID: "K1", ReplyCode: "K1"}, Plans: []Plan{p}})
	steps := []struct {
		person string
		kind   ResponseKind
		want   ReadinessState
	}{
		{"", "", Alerting},
		{"lead1", Available, Forming},
		{"it1", Available, Forming},
		{"it2", Unavailable, Forming}, // it3 may still say yes
		{"it3", Unavailable, AtRisk},  // nobody left for the second
	}
	for _, s := range steps {
		if s.person != "" {
			h.respond(s.person, s.kind, 0)
		}
		if got := h.readiness(); got != s.want {
			t.Fatalf("after %s %s: readiness %s, want %s", s.person, s.kind, got, s.want)
		}
	}
}

// TestNoRequiredFunctionsNotReadyAtOnce: an organisation whose readiness
// rule names no function (the configuration allows it) was "ready" at its
// declaration, before anyone answered, and the report counted 0 s to ready
// within target. It is ready once someone of its staff is available.
func TestNoRequiredFunctionsNotReadyAtOnce(t *testing.T) {
	p := testPlan()
	p.Required = nil
	h := &harness{t: t, c: NewCore(), now: t0}
	h.input(Input{Incident: "K1", Declare: &Declared{ID: "K1", ReplyCode: "K1"}, Plans: []Plan{p}})
	steps := []struct {
		person string
		kind   ResponseKind
		after  time.Duration
		want   ReadinessState
	}{
		{"", "", 0, Alerting},
		{"lead1", Delayed, time.Minute, Forming},
		{"it1", Available, time.Minute, Ready},
		{"it1", Unavailable, time.Minute, Degraded},
		{"", "", 30 * time.Minute, AtRisk},
	}
	for _, s := range steps {
		h.advance(s.after)
		if s.person != "" {
			h.respond(s.person, s.kind, 5)
		}
		if got := h.readiness(); got != s.want {
			t.Fatalf("after %s %s: readiness %s, want %s", s.person, s.kind, got, s.want)
		}
	}
}
