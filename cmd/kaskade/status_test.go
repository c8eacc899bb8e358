package main

import (
	"bytes"
	"strings"
	"testing"
	"text/tabwriter"
	"time"

	"github.com/kaskade-bcm/kaskade/activation"
)

// TestStatusShowsWhoIsComing (issue 16.13): KOMMEN counts available and
// delayed, and the line says how many of each.
func TestStatusShowsWhoIsComing(t *testing.T) {
	var b bytes.Buffer
	tw := tabwriter.NewWriter(&b, 0, 2, 1, ' ', 0)
	writeOrgStatus(tw, []activation.OrgReadiness{
		{Org: "MI", State: activation.Forming, Coming: 3, Available: 2, Delayed: 1},
		{Org: "MF", State: activation.StoodDown, Reached: activation.Ready},
	}, time.UTC)
	tw.Flush()
	lines := strings.Split(b.String(), "\n")
	if !strings.Contains(lines[0], "SOFORT") || !strings.Contains(lines[0], "SPÄTER") {
		t.Fatalf("header %q does not say which is which", lines[0])
	}
	if f := strings.Fields(lines[1]); len(f) < 7 || f[len(f)-5] != "3" || f[len(f)-4] != "2" || f[len(f)-3] != "1" {
		t.Fatalf("MI line %q, want KOMMEN 3 SOFORT 2 SPÄTER 1", lines[1])
	}
	if !strings.Contains(lines[2], "erreicht: ARBEITSFÄHIG") {
		t.Fatalf("MF line %q, want the readiness reached", lines[2])
	}
}
