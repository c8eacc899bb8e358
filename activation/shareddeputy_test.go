package activation

import "testing"

// TestSharedDeputyCountsOnce: with required {it: 2} and two it nodes that
// share a deputy (it3), that deputy's yes covered both places: the staff
// was "ready" with one IT person, and a node whose only yes is the shared
// deputy stopped alerting. It counts once: the staff is at_risk when nobody
// else is left, and ready once a second person says yes.
func TestSharedDeputyCountsOnce(t *testing.T) {
	p := testPlan()
	p.Required = map[string]int{"lead": 1, "it": 2}
	p.Nodes[1].People = []string{"it1", "it3"}
	p.Nodes = append(p.Nodes, PlanNode{Parent: 0, Function: "it", People: []string{"itB", "it3", "itC"}, Wait: p.Nodes[1].Wait, Steps: p.Nodes[1].Steps})
	h := &harness{t: t, c: NewCore(), now: t0}
	h.input(Input{Incident: "K1", Declare: &Declared{ID: "K1", ReplyCode: "K1"}, Plans: []Plan{p}})
	h.respond("lead1", Available, 0)
	h.respond("it1", Unavailable, 0)
	h.respond("itB", Unavailable, 0)
	evs := h.respond("it3", Available, 0)
	r, _ := h.c.Readiness("K1", "MI")
	if r.State == Ready || r.Covered["it"] != 1 {
		t.Fatalf("after the shared deputy's yes: %s with it %d, want one IT person and not ready", r.State, r.Covered["it"])
	}
	if n := notesTo(evs, "itC"); len(n) != 1 {
		t.Fatalf("itC not alerted although the function lacks its second person: %+v", notes(evs))
	}
	h.respond("itC", Available, 0)
	if r, _ := h.c.Readiness("K1", "MI"); r.State != Ready || r.Covered["it"] != 2 {
		t.Fatalf("after itC's yes: %s with it %d, want ready with two", r.State, r.Covered["it"])
	}
}
