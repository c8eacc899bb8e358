package card_test

import (
	"bytes"
	"strings"
	"testing"
	"time"

	"github.com/kaskade-bcm/kaskade/activation/card"
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
