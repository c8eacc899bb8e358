package report

import (
	"testing"
	"time"

	"github.com/kaskade-bcm/kaskade/activation"
)

// TestTwoStaffsCountOnlyWhereBound: a person who leads two staffs and says
// yes covers the staff the core bound the yes to (the first alert), not the
// other one, where the core alerted the deputy; the report said the other
// staff's lead was covered by its primary, unlike the board and readiness.
func TestTwoStaffsCountOnlyWhereBound(t *testing.T) {
	mf := planMF()
	mf.Nodes[0].People = []string{"lead1", "mf2"} // lead1 leads MI and MF
	h := newHarness(t, "K1", true, planMI(), mf)
	h.at(time.Minute)
	h.respond("lead1", activation.Available, 0) // bound to MI, alerted first
	h.at(3 * time.Minute)
	h.respond("mf2", activation.Available, 0) // MF's deputy covers MF
	r, err := Build(h.events, testOpts())
	if err != nil {
		t.Fatal(err)
	}
	mi, mfFig := org(t, r, "MI"), org(t, r, "MF")
	expect(t, "MI lead available", function(t, mi, "lead").Available, 1)
	expect(t, "MI lead covered by", function(t, mi, "lead").CoveredBy, ByPrimary)
	lead := function(t, mfFig, "lead")
	expect(t, "MF lead available", lead.Available, 1)
	expect(t, "MF lead covered by", lead.CoveredBy, ByDeputy)
	expect(t, "MF lead first available by", lead.FirstAvailableBy, "mf2")
	expect(t, "MF deputies covering", len(mfFig.People.DeputiesCovering), 1)
	for _, e := range r.Timeline {
		if e.Org == "MF" && e.Person == "mf2" && !e.CoveredAsDeputy {
			t.Errorf("mf2 in MF not marked as covering for lead1, who went to MI")
		}
	}
}

// TestSharedDeputyCountsOnceInReport: a deputy of two it nodes counted as
// two available people for the function, as the core did.
func TestSharedDeputyCountsOnceInReport(t *testing.T) {
	p := planMI()
	p.Required = map[string]int{"lead": 1, "it": 2}
	p.Nodes[1].People = []string{"it1", "it3"}
	p.Nodes = append(p.Nodes, activation.PlanNode{Parent: 0, Function: "it", People: []string{"itB", "it3"}, Wait: p.Nodes[1].Wait, Steps: p.Nodes[1].Steps})
	h := newHarness(t, "K1", true, p)
	h.respond("lead1", activation.Available, 0)
	h.respond("it1", activation.Unavailable, 0)
	h.respond("itB", activation.Unavailable, 0)
	h.respond("it3", activation.Available, 0)
	r, err := Build(h.events, testOpts())
	if err != nil {
		t.Fatal(err)
	}
	it := function(t, org(t, r, "MI"), "it")
	expect(t, "it available", it.Available, 1)
	expect(t, "it covered by", it.CoveredBy, ByNone)
}
