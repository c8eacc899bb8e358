package activation

import (
	"testing"
	"time"
)

// twoStaffs declares K1 for MI (testPlan: lead1 is its lead) and MF, whose
// lead node is mf1, then lead1 as first deputy, then mf3.
func twoStaffs(t *testing.T) *harness {
	mf := testPlan()
	mf.Org, mf.Tree, mf.Required = "MF", "mf", map[string]int{"lead": 1}
	mf.Nodes = []PlanNode{{Parent: -1, Function: "lead", People: []string{"mf1", "lead1", "mf3"}, Wait: 5 * time.Minute, Steps: mf.Nodes[0].Steps}}
	h := &harness{t: t, c: NewCore(), now: t0}
	h.input(Input{Incident: "K1", Declare: &Declared{ID: "K1", ReplyCode: "K1"}, Plans: []Plan{testPlan(), mf}})
	return h
}

func row(t *testing.T, c *Core, org, person string) PersonView {
	t.Helper()
	d, _ := c.Detail("K1", org, nil)
	for _, n := range d.Nodes {
		for _, p := range n.Tiers {
			if p.Person == person {
				return p
			}
		}
	}
	t.Fatalf("%s not in %s", person, org)
	return PersonView{}
}

// TestOnePersonTwoStaffs (issue 16.7): a yes of a person in two staffs
// covers the staff whose alert came first; the other staff's node moves to
// its next deputy at once and shows the person as bound elsewhere. An
// answer may name the staff instead.
func TestOnePersonTwoStaffs(t *testing.T) {
	h := twoStaffs(t)
	h.advance(5 * time.Minute) // mf1 silent: lead1 alerted for MF too (MI's alert came first)
	if n := notesTo(h.events, "lead1"); len(n) < 2 {
		t.Fatalf("lead1 not alerted for both staffs: %+v", n)
	}
	evs := h.respond("lead1", Available, 0)
	if n := notesTo(evs, "mf3"); len(n) != 1 {
		t.Fatalf("MF's next deputy not alerted at once: %+v", notes(evs))
	}
	mi, _ := h.c.Readiness("K1", "MI")
	mf, _ := h.c.Readiness("K1", "MF")
	if mi.Covered["lead"] != 1 || mf.Covered["lead"] != 0 || mf.Coming != 0 {
		t.Fatalf("MI covered %v, MF covered %v coming %d: one yes must cover one staff", mi.Covered, mf.Covered, mf.Coming)
	}
	if got := row(t, h.c, "MF", "lead1").BoundTo; got != "MI" {
		t.Fatalf("MF shows lead1 bound to %q, want MI", got)
	}
	if got := row(t, h.c, "MI", "lead1").BoundTo; got != "" {
		t.Fatalf("MI shows lead1 bound elsewhere (%q)", got)
	}

	// Naming the staff: "1 MF" binds to MF; MI's lead node moves on to lead2.
	h2 := twoStaffs(t)
	h2.advance(5 * time.Minute)
	evs = h2.input(Input{Incident: "K1", Response: &Response{Person: "lead1", Kind: Available, Source: SourceSMS, Org: "MF"}})
	if n := notesTo(evs, "lead2"); len(n) != 1 {
		t.Fatalf("MI's deputy lead2 not alerted after lead1 chose MF: %+v", notes(evs))
	}
	if mf, _ := h2.c.Readiness("K1", "MF"); mf.Covered["lead"] != 1 {
		t.Fatalf("MF covered %v, want lead 1", mf.Covered)
	}
	// A replay and a snapshot agree.
	c, err := RestoreSnapshot(h2.c.AppendSnapshot(nil))
	if err != nil {
		t.Fatal(err)
	}
	if got := row(t, c, "MI", "lead1").BoundTo; got != "MF" {
		t.Fatalf("restored: MI shows lead1 bound to %q, want MF", got)
	}
}
