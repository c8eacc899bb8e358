package card_test

import (
	"bytes"
	"strings"
	"testing"
	"time"

	"github.com/kaskade-bcm/kaskade/activation"
	"github.com/kaskade-bcm/kaskade/activation/card"
	"github.com/kaskade-bcm/kaskade/config"
)

// TestCardStatesOddWaitsExactly: waits that are not whole minutes (config
// allows from 1 s) were rounded, so a primary with a 90 s wait read "after
// 2 min" and one with 20 s "after 0 min", while the deputy is alerted at 90 s
// and 20 s.
func TestCardStatesOddWaitsExactly(t *testing.T) {
	tests := []struct {
		lang string
		wait time.Duration
		want string
	}{
		{"de", 5 * time.Minute, "Vertretung nach 5 Min. ohne Antwort"},
		{"de", 90 * time.Second, "Vertretung nach 1 Min. 30 Sek. ohne Antwort"},
		{"de", 20 * time.Second, "Vertretung nach 20 Sek. ohne Antwort"},
		{"en", 90 * time.Second, "deputies after 1 min 30 s without an answer"},
		{"en", 10 * time.Minute, "deputies after 10 min without an answer"},
	}
	for _, tc := range tests {
		c := card.Card{Lang: tc.lang, Org: "MI", OrgName: "MI", Entries: []card.Entry{
			{Step: "1", Function: "lead", Person: "A", Deputies: []string{"B"}, Wait: tc.wait}}}
		var b bytes.Buffer
		if err := card.Render(&b, c, card.A6); err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(b.String(), tc.want) {
			t.Errorf("%s, wait %v: card lacks %q", tc.lang, tc.wait, tc.want)
		}
	}
}

// TestCardWaitInheritsParentPolicy: a node without a policy of its own
// inherits its parent's (README, BuildPlan), but the card took the tree's
// policy's wait: with the lead's policy waiting 3m, the lead's children
// read "Vertretung nach 10 Min." while their deputies came after 3 minutes.
func TestCardWaitInheritsParentPolicy(t *testing.T) {
	name, data := config.Example()
	y := string(data)
	old := "      - {channel: sms, after: 5m}\n    wait: 10m\n\norganisations:"
	if !strings.Contains(y, old) {
		t.Fatal("example no longer ends its leads policy as expected")
	}
	y = strings.Replace(y, old, "      - {channel: sms, after: 5m}\n    wait: 3m\n\norganisations:", 1)
	cfg, probs, err := config.LoadBytes(name, []byte(y), nil)
	if err != nil || probs.Err() != nil {
		t.Fatalf("example: %v %v", err, probs)
	}
	c, err := card.Build(cfg, "StK", "de")
	if err != nil {
		t.Fatal(err)
	}
	plan, err := activation.BuildPlan(cfg, "StK", 0)
	if err != nil {
		t.Fatal(err)
	}
	for i, e := range c.Entries {
		if e.Wait != plan.Nodes[i].Wait {
			t.Errorf("entry %s (%s): card says %v, the engine waits %v", e.Step, e.Function, e.Wait, plan.Nodes[i].Wait)
		}
	}
	if c.Entries[1].Wait != 3*time.Minute {
		t.Errorf("IT under the lead: %v, want the lead policy's 3m", c.Entries[1].Wait)
	}
}
