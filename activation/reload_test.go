package activation

import (
	"slices"
	"testing"
)

// TestConfigReloadIsARecordOnly: a reload input becomes one config_reloaded
// event outside every incident; a running incident's plan, state and
// timeline stay as they were, and the input counts as applied.
func TestConfigReloadIsARecordOnly(t *testing.T) {
	h := &harness{t: t, c: NewCore(), now: t0}
	h.input(Input{Incident: "K1", Declare: &Declared{ID: "K1", ReplyCode: "K1", Title: "T", DeclaredBy: "x", Reason: "y"}, Plans: []Plan{testPlan()}})
	before, _ := h.c.Detail("K1", "MI", nil)
	timeline := h.c.Timeline("K1", "")
	rec := &ConfigReloaded{By: "admin", Via: "api", SHA256: "ab", Organisations: 11, People: 40}
	evs := h.input(Input{Incident: "_", Reload: rec})
	if len(evs) != 1 || evs[0].Kind != KindConfigReloaded || evs[0].Incident != "_" || *evs[0].Reload != *rec {
		t.Fatalf("events %+v, want one config_reloaded for _", evs)
	}
	if !h.c.InputApplied(h.seq) {
		t.Error("the reload input is not marked applied")
	}
	after, _ := h.c.Detail("K1", "MI", nil)
	if len(after.Nodes) != len(before.Nodes) || !slices.Equal(timelineKinds(h.c.Timeline("K1", "")), timelineKinds(timeline)) {
		t.Error("a reload changed the running incident")
	}
	// It belongs to no incident, so to no timeline (nor the board's stream).
	if it, ok := Describe(evs[0]); ok {
		t.Errorf("a timeline line for a reload: %+v", it)
	}
	if got := (Input{Reload: rec}).Kind(); got != "config_reload" {
		t.Errorf("input kind %q", got)
	}
}

func timelineKinds(items []TimelineItem) []string {
	var out []string
	for _, it := range items {
		out = append(out, it.Kind)
	}
	return out
}
