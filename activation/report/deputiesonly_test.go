package report

import (
	"bytes"
	"strings"
	"testing"
	"time"

	"github.com/kaskade-bcm/kaskade/activation"
)

// TestDeputiesOnlyDrillNamesDeputies: a deputies-only drill plans each
// node without its primary, so its first deputy stood at tier 0 and the
// report called the deputies "Hauptperson", the function "covered by the
// primary" and counted no deputy covering. Roles follow the configured tier.
func TestDeputiesOnlyDrillNamesDeputies(t *testing.T) {
	p := planMI()
	p.Nodes[0].People, p.Nodes[0].FirstTier = []string{"lead2"}, 1
	p.Nodes[1].People, p.Nodes[1].FirstTier = []string{"it2", "it3"}, 1
	h := newHarness(t, "K1", true, p)
	h.at(time.Minute)
	h.respond("lead2", activation.Available, 0)
	h.at(2 * time.Minute)
	h.respond("it2", activation.Available, 0)
	r, err := Build(h.events, testOpts())
	if err != nil {
		t.Fatal(err)
	}
	o := org(t, r, "MI")
	expect(t, "lead covered by", function(t, o, "lead").CoveredBy, ByDeputy)
	expect(t, "it covered by", function(t, o, "it").CoveredBy, ByDeputy)
	expect(t, "deputies alerted", o.People.DeputiesAlerted, 2)
	expect(t, "deputies covering", strings.Join(o.People.DeputiesCovering, ","), "it2,lead2")
	lead2 := entry(t, r, "lead2")
	expect(t, "lead2 tier", lead2.Tier, 1)
	expect(t, "lead2 covered as deputy", lead2.CoveredAsDeputy, true)
	expect(t, "it3 tier", entry(t, r, "it3").Tier, 2)
	var b bytes.Buffer
	if err := r.WriteHTML(&b, "de"); err != nil {
		t.Fatal(err)
	}
	if page := b.String(); strings.Contains(page, ">Hauptperson<") || !strings.Contains(page, ">Stellvertretung 1 – eingesprungen<") {
		t.Error("the deputies-only drill's report names a deputy or a coverage Hauptperson")
	}
}
