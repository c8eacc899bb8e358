package e2e

import (
	"os/exec"
	"strings"
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

// TestNotInTheBinaries: the commands carry neither this package (it imports
// testing) nor the bench's fakes (the server binary is the server).
func TestNotInTheBinaries(t *testing.T) {
	for _, tc := range []struct {
		cmd       string
		forbidden []string
	}{
		{"github.com/kaskade-bcm/kaskade/cmd/kaskade", []string{"internal/e2e", "twiliotest", "net/http/httptest", "kaskade-bench", "boardtest", "emailtest", "enginetest"}},
		{"github.com/kaskade-bcm/kaskade/cmd/kaskade-bench", []string{"internal/e2e"}},
	} {
		out, err := exec.Command("go", "list", "-deps", tc.cmd).CombinedOutput()
		if err != nil {
			t.Fatalf("go list -deps %s: %v\n%s", tc.cmd, err, out)
		}
		for _, dep := range strings.Fields(string(out)) {
			for _, bad := range tc.forbidden {
				if strings.HasSuffix(dep, bad) {
					t.Errorf("%s depends on %s", tc.cmd, dep)
				}
			}
		}
	}
}
