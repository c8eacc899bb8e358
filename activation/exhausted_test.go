package activation

import (
	"strings"
	"testing"
)

// TestExhaustedByNoesIsNotUnreached: a node whose primary and deputy both
// answered "nicht verfügbar" is exhausted; the timeline said "Niemand
// erreicht" / "Nobody reached", which a trainer reads as a reachability
// failure although both were reached and answered.
func TestExhaustedByNoesIsNotUnreached(t *testing.T) {
	h := newHarness(t, true)
	h.respond("lead1", Unavailable, 0)
	h.respond("lead2", Unavailable, 0)
	found := false
	for _, e := range h.events {
		if e.Kind != KindNodeExhausted {
			continue
		}
		found = true
		it, ok := h.c.Describe(e)
		if !ok || !strings.Contains(it.Summary, "Kette erschöpft") || !strings.Contains(it.SummaryEN, "chain exhausted") {
			t.Fatalf("exhausted line %+v", it)
		}
		if strings.Contains(it.Summary, "erreicht") || strings.Contains(it.SummaryEN, "reached") {
			t.Errorf("exhausted by two noes reads as unreached: %q / %q", it.Summary, it.SummaryEN)
		}
	}
	if !found {
		t.Fatal("no node_exhausted after the lead and the deputy said no")
	}
}
