package activation

import (
	"encoding/json"
	"runtime"
	"testing"

	"github.com/kaskade-bcm/kaskade/notifiers"
)

// decided100k declares 1,000 organisations of 100 people and reports every
// first alert sent; it returns the deciding core and every event it made.
func decided100k(b *testing.B) (*Core, []Event) {
	c := NewCore()
	d := benchDeclare(1000, 100)
	d.Seq = 1
	evs, err := c.Handle(d, t0)
	if err != nil {
		b.Fatal(err)
	}
	out := evs
	seq := uint64(2)
	for _, e := range evs {
		if e.Kind == KindNotification {
			more, err := c.Handle(Input{Incident: "K1", Seq: seq, Delivery: &Delivery{Notification: e.Notification.ID, State: notifiers.StateSent}}, t0)
			if err != nil {
				b.Fatal(err)
			}
			out = append(out, more...)
			seq++
		}
	}
	return c, out
}

// events100k returns the events of core100k's activation.
func events100k(b *testing.B) []Event {
	_, evs := decided100k(b)
	return evs
}

// liveHeap returns the bytes in use after a full collection.
func liveHeap() uint64 {
	runtime.GC()
	runtime.GC()
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	return m.HeapAlloc
}

func reportLive(b *testing.B, bytes int64) {
	b.ReportMetric(float64(bytes)/1e6, "live-MB")
	b.ReportMetric(float64(bytes)/100_000, "live-B/recipient")
}

// BenchmarkMemory100k reports the live heap of the core of a 100,000-recipient
// activation (the state of core100k), built three ways: restored from a
// snapshot (what a restart holds; the snapshot buffer counts when the core
// keeps it alive), replayed from the events' JSON (a follower, a restart
// without a snapshot) and decided by Handle (the leader).
//
//	go test -run '^$' -bench Memory -benchtime 1x ./activation/
func BenchmarkMemory100k(b *testing.B) {
	evs := events100k(b)
	b.Run("restored", func(b *testing.B) {
		for b.Loop() {
			c := NewCore()
			for _, e := range evs {
				c.Apply(e)
			}
			data := c.AppendSnapshot(nil)
			c = nil
			size := int64(cap(data))
			before := liveHeap() // includes data
			restored, err := RestoreSnapshot(data)
			if err != nil {
				b.Fatal(err)
			}
			data = nil
			after := liveHeap()
			reportLive(b, int64(after)-int64(before)+size)
			b.ReportMetric(float64(size)/1e6, "snapshot-MB")
			runtime.KeepAlive(restored)
		}
	})
	b.Run("replayed", func(b *testing.B) {
		for b.Loop() {
			raw := make([][]byte, len(evs))
			for i, e := range evs {
				var err error
				if raw[i], err = json.Marshal(e); err != nil {
					b.Fatal(err)
				}
			}
			before := liveHeap()
			c := NewCore()
			for _, data := range raw {
				var e Event
				if err := json.Unmarshal(data, &e); err != nil {
					b.Fatal(err)
				}
				c.Apply(e)
			}
			after := liveHeap()
			reportLive(b, int64(after)-int64(before))
			runtime.KeepAlive(c)
			runtime.KeepAlive(raw)
		}
	})
	b.Run("decided", func(b *testing.B) {
		for b.Loop() {
			before := liveHeap()
			c := core100k(b)
			after := liveHeap()
			reportLive(b, int64(after)-int64(before))
			runtime.KeepAlive(c)
		}
	})
}
