package audit

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/kaskade-bcm/kaskade/activation"
)

// BenchmarkLink is the chain's cost per event: Link against the plain
// encoding the engine did before.
func BenchmarkLink(b *testing.B) {
	ev := activation.Event{V: 1, Incident: "K7", Kind: activation.KindNotification, At: time.Now().UTC(), Input: 4711, Batch: 4711,
		Notification: &activation.Notification{ID: "K7-n123", Person: "mi-uwe-boehm", Channel: "sms", Purpose: "alert", Org: "MI", Function: "lead"}}
	b.Run("json", func(b *testing.B) {
		for range b.N {
			if _, err := json.Marshal(&ev); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("chained", func(b *testing.B) {
		var c Chain
		for range b.N {
			if _, err := c.Link(&ev); err != nil {
				b.Fatal(err)
			}
		}
	})
}
