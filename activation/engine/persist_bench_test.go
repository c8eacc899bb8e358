package engine

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/kaskade-bcm/kaskade/activation"
	"github.com/kaskade-bcm/kaskade/activation/engine/enginetest"
)

// BenchmarkPersist appends decisions of 10,000 events (an activation's
// notification requests) to an in-process JetStream.
func BenchmarkPersist(b *testing.B) {
	js := embeddedJSB(b)
	e := New(Options{JS: js})
	const n = 10_000
	evs := make([]activation.Event, n)
	at := time.Date(2026, 1, 1, 3, 12, 0, 0, time.UTC)
	for i := range evs {
		evs[i] = activation.Event{V: activation.SchemaVersion, Incident: "K1", Kind: activation.KindNotification, At: at,
			Notification: &activation.Notification{Person: fmt.Sprintf("p%d", i), Channel: "sms"}}
	}
	b.ResetTimer()
	for range b.N {
		if err := e.persist(context.Background(), evs); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.N*n)/b.Elapsed().Seconds(), "events/s")
}

func embeddedJSB(b *testing.B) jetstream.JetStream {
	b.Helper()
	_, js := enginetest.JetStream(b)
	if err := (Layout{}).Ensure(context.Background(), js); err != nil {
		b.Fatal(err)
	}
	return js
}
