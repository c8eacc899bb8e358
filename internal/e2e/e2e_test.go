package e2e

import (
	"testing"
)

func TestLongSkipsUnlessSwitchedOn(t *testing.T) {
	for _, tc := range []struct {
		value string
		runs  bool
	}{{"", false}, {"0", false}, {"1", true}, {"yes", true}} {
		t.Run("KASKADE_E2E="+tc.value, func(t *testing.T) {
			t.Setenv(Env, tc.value)
			ran := false
			t.Run("suite", func(t *testing.T) {
				Long(t)
				ran = true
			})
			if ran != tc.runs {
				t.Fatalf("ran %v, want %v", ran, tc.runs)
			}
		})
	}
}
