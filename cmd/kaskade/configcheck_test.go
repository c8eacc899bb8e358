package main

import (
	"slices"
	"strings"
	"testing"

	"github.com/kaskade-bcm/kaskade/config"
)

// TestConfigCheckOutputIsStable: the segment report lists each scenario's
// languages in order, so two runs print the same (map order must not leak).
func TestConfigCheckOutputIsStable(t *testing.T) {
	cfg, _, err := config.LoadExample()
	if err != nil {
		t.Fatal(err)
	}
	first := segmentWarnings(cfg)
	if len(first) < 2 {
		t.Fatalf("the example should report segments for several templates, got %v", first)
	}
	for range 20 {
		if again := segmentWarnings(cfg); !slices.Equal(first, again) {
			t.Fatalf("segment report changed between runs:\n%v\n%v", first, again)
		}
	}
	for i := 1; i < len(first); i++ {
		prev, cur := first[i-1], first[i]
		// Within one scenario, "(de)" comes before "(en)".
		prevScenario, _, _ := strings.Cut(prev, " (")
		curScenario, _, _ := strings.Cut(cur, " (")
		if prevScenario == curScenario && strings.Contains(prev, "(en)") && strings.Contains(cur, "(de)") {
			t.Fatalf("languages out of order: %q before %q", prev, cur)
		}
	}
}
