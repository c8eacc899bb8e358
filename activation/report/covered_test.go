package report

import (
	"bytes"
	"strings"
	"testing"
	"time"

	"github.com/kaskade-bcm/kaskade/activation"
)

// TestFunctionCoveredAt: the report gave per function only the first
// "available", which for required {it: 2} is not when the function was
// covered; a trainer measuring "each function covered" needs the moment the
// second came, and a yes taken back does not count.
func TestFunctionCoveredAt(t *testing.T) {
	p := planMI()
	p.Required = map[string]int{"lead": 1, "it": 2}
	h := newHarness(t, "K1", true, p)
	h.at(time.Minute)
	h.respond("lead1", activation.Available, 0)
	h.at(2 * time.Minute)
	h.respond("it1", activation.Available, 0) // it2 alerted: one more needed
	h.at(4 * time.Minute)
	h.respond("it1", activation.Unavailable, 0)
	h.at(5 * time.Minute)
	h.respond("it2", activation.Available, 0)
	h.at(6 * time.Minute)
	h.respond("it1", activation.Available, 0)
	h.at(7 * time.Minute)
	r, err := Build(h.events, testOpts())
	if err != nil {
		t.Fatal(err)
	}
	o := org(t, r, "MI")
	it, lead := function(t, o, "it"), function(t, o, "lead")
	expect(t, "it first available", secs(it.TimeToFirstAvailable), 120.0)
	expect(t, "it covered", secs(it.TimeToCovered), 360.0)
	expect(t, "lead covered", secs(lead.TimeToCovered), 60.0)
	expect(t, "ready", secs(o.TimeToReady), 360.0)
	for lang, head := range map[string]string{"de": "Abgedeckt nach", "en": "Covered after"} {
		var b bytes.Buffer
		if err := r.WriteHTML(&b, lang); err != nil {
			t.Fatal(err)
		}
		if page := b.String(); !strings.Contains(page, head) || !strings.Contains(page, "0:06:00") {
			t.Errorf("%s: functions table lacks %q with 0:06:00", lang, head)
		}
	}
}
