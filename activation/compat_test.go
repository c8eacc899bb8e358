package activation

import (
	"encoding/json"
	"testing"
)

// TestOldResponseEventsReplay: response events written before remarks,
// unknown ETAs and staff binding existed replay as before.
func TestOldResponseEventsReplay(t *testing.T) {
	h := newHarness(t, false)
	var e Event
	old := `{"v":1,"incident":"K1","kind":"response","at":"2026-11-26T03:20:00Z","response":{"person":"it1","kind":"delayed","minutes":20,"source":"sms"}}`
	if err := json.Unmarshal([]byte(old), &e); err != nil {
		t.Fatal(err)
	}
	h.c.Apply(e)
	d, _ := h.c.Detail("K1", "MI", nil)
	p := d.Nodes[1].Tiers[0]
	if p.Answer != Delayed || p.ETA == nil || p.ETAUnknown || p.Remark != "" || p.BoundTo != "" {
		t.Fatalf("old delayed answer replays as %+v", p)
	}
}
