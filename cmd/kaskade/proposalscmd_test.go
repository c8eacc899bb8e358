package main

import (
	"bytes"
	"strings"
	"testing"

	"github.com/kaskade-bcm/kaskade/activation"
	"github.com/kaskade-bcm/kaskade/alerting"
	"github.com/kaskade-bcm/kaskade/notifiers/twilio/twiliotest"
)

// TestProposalsCommand lists, confirms and dismisses proposals over the
// API as a duty officer would, and refuses what it must.
func TestProposalsCommand(t *testing.T) {
	s, _, _ := startWithTwilio(t, proposalConfig(), twiliotest.Options{}, nil, nil)
	for path, body := range map[string]string{"/api/v1/intake/cap": readTestdata(t, "dwd-unwetter.xml"),
		"/api/v1/intake/alertmanager": readTestdata(t, "alertmanager.json")} {
		if code, b := call(t, "POST", s.URL+path, e2eIntakeToken, body); code != 200 {
			t.Fatalf("%s: %d %s", path, code, b)
		}
	}
	var dwd, am activation.ProposalView
	s.Engine.View(func(c *activation.Core) {
		for _, p := range c.Proposals() {
			if p.Source == "cap" {
				dwd = p
			} else {
				am = p
			}
		}
	})
	cli := func(args ...string) (int, string, string) {
		var out, errOut bytes.Buffer
		code := run(t.Context(), append(args, "--server", s.URL, "--token", e2eDutyToken), nil, &out, &errOut)
		return code, out.String(), errOut.String()
	}

	code, out, _ := cli("proposals")
	if code != 0 || !strings.Contains(out, "VORSCHLAG") || !strings.Contains(out, dwd.ID) || !strings.Contains(out, am.ID) ||
		!strings.Contains(out, "hochwasser") || !strings.Contains(out, "Amtliche UNWETTERWARNUNG") {
		t.Fatalf("list: %d\n%s", code, out)
	}

	refused := []struct {
		name string
		args []string
		code int
		says string
	}{
		{"neither exercise nor real", []string{"proposals", "confirm", dwd.ID, "--reason", "x"}, 2, "--exercise and --real"},
		{"both", []string{"proposals", "confirm", dwd.ID, "--exercise", "--real", "--reason", "x"}, 2, "--exercise and --real"},
		{"no reason", []string{"proposals", "confirm", dwd.ID, "--exercise"}, 2, "--reason"},
		{"dismiss without reason", []string{"proposals", "dismiss", am.ID}, 2, "--reason"},
		{"unknown proposal", []string{"proposals", "dismiss", "P-0000000000", "--reason", "x"}, 1, "404"},
		{"unknown scenario", []string{"proposals", "confirm", dwd.ID, "--exercise", "--scenario", "vulkan", "--reason", "x"}, 1, "vulkan"},
		{"unknown command", []string{"proposals", "approve", dwd.ID}, 2, "unknown proposals command"},
	}
	for _, tc := range refused {
		if code, _, errOut := cli(tc.args...); code != tc.code || !strings.Contains(errOut, tc.says) {
			t.Errorf("%s: exit %d %q, want %d saying %q", tc.name, code, errOut, tc.code, tc.says)
		}
	}

	code, out, errOut := cli("proposals", "confirm", dwd.ID, "--exercise", "--org", "MI", "--reason", "Pegel der Leine steigen")
	if code != 0 || !strings.Contains(out, "ÜBUNG ausgerufen") {
		t.Fatalf("confirm: %d %s %s", code, out, errOut)
	}
	incidents := s.Engine.Incidents()
	if len(incidents) != 1 {
		t.Fatalf("%d incidents, want 1", len(incidents))
	}
	evs, err := s.Engine.Events(t.Context(), incidents[0].ID)
	if err != nil || len(evs) == 0 || evs[0].Declared == nil {
		t.Fatalf("events: %v %v", evs, err)
	}
	if d := evs[0].Declared; d.DeclaredBy != "Lagedienst" || !d.Exercise || d.ProposedBy == nil || d.ProposedBy.Proposal != dwd.ID ||
		strings.Join(d.Orgs, ",") != "MI" || d.Reason != "Pegel der Leine steigen" {
		t.Fatalf("declaration %+v", d)
	}

	if code, out, errOut = cli("proposals", "dismiss", am.ID, "--reason", "Wartungsfenster"); code != 0 || !strings.Contains(out, "verworfen") {
		t.Fatalf("dismiss: %d %s %s", code, out, errOut)
	}
	var after activation.ProposalView
	s.Engine.View(func(c *activation.Core) { after, _ = c.Proposal(am.ID) })
	if after.Status != activation.ProposalDismissed || after.Decision == nil || after.Decision.By != "Lagedienst" || after.Decision.Reason != "Wartungsfenster" {
		t.Fatalf("dismissed proposal %+v", after)
	}
	if code, _, errOut = cli("proposals", "confirm", am.ID, "--real", "--reason", "doch"); code != 1 || !strings.Contains(errOut, alerting.CodeProposalClosed) {
		t.Errorf("confirming a dismissed proposal: exit %d %q, want 1 and %s", code, errOut, alerting.CodeProposalClosed)
	}

	code, out, _ = cli("proposals")
	if code != 0 || !strings.Contains(out, "Keine Vorschläge") {
		t.Errorf("open list after both decisions: %s", out)
	}
	code, out, _ = cli("proposals", "--status", "all")
	if code != 0 || !strings.Contains(out, "confirmed") || !strings.Contains(out, "dismissed") || !strings.Contains(out, incidents[0].ID) {
		t.Errorf("list of all: %s", out)
	}
}
