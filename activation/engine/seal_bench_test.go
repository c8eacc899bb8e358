package engine

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/kaskade-bcm/kaskade/activation"
)

// benchKeyring holds keys for n people and one incident, all in memory
// (what a leader has after its start): sealing costs no NATS round trip.
func benchKeyring(b *testing.B, n int) *keyring {
	b.Helper()
	k := &keyring{loaded: true, keys: newKeyCache(n)}
	pending := makeNewKeys()
	for i := range n {
		if _, err := k.personRef(fmt.Sprintf("p%06d", i), pending); err != nil {
			b.Fatal(err)
		}
	}
	rec, _ := randomKey("")
	pending.recs["i.K1"] = rec
	for name, rec := range pending.recs {
		k.keys.put(name, rec.Key)
		if ref, ok := cutP(name); ok {
			k.keys.setRef(rec.Person, ref)
		}
	}
	return k
}

func cutP(name string) (string, bool) {
	if len(name) > 2 && name[:2] == "p." {
		return name[2:], true
	}
	return "", false
}

// BenchmarkSeal: sealing and opening the personal fields of typical
// events (a notification request: the person id; an answer: the id and a
// remark), per event, keys in memory.
func BenchmarkSeal(b *testing.B) {
	const people = 10_000
	k := benchKeyring(b, people)
	at := time.Date(2026, 12, 3, 3, 12, 0, 0, time.UTC)
	events := map[string]func(i int) activation.Event{
		"notification": func(i int) activation.Event {
			return activation.Event{V: 1, Incident: "K1", Kind: activation.KindNotification, At: at,
				Notification: &activation.Notification{ID: fmt.Sprintf("K1-n%d", i), Person: fmt.Sprintf("p%06d", i%people), Channel: "sms", Org: "MI", Function: "lead"}}
		},
		"response": func(i int) activation.Event {
			return activation.Event{V: 1, Incident: "K1", Kind: activation.KindResponse, At: at,
				Response: &activation.Response{Person: fmt.Sprintf("p%06d", i%people), Kind: activation.Available, Source: "sms", Remark: "komme mit dem Rad"}}
		},
	}
	ctx := context.Background()
	for _, name := range []string{"notification", "response"} {
		mk := events[name]
		b.Run(name+"/seal", func(b *testing.B) {
			pending := makeNewKeys()
			b.ReportAllocs()
			i := 0
			for b.Loop() {
				if _, err := k.sealEvent(ctx, mk(i), pending); err != nil {
					b.Fatal(err)
				}
				i++
			}
		})
		b.Run(name+"/open", func(b *testing.B) {
			sealed := make([]activation.Event, 1024)
			for i := range sealed {
				var err error
				if sealed[i], err = k.sealEvent(ctx, mk(i), makeNewKeys()); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportAllocs()
			i := 0
			for b.Loop() {
				ev := sealed[i%len(sealed)]
				if ev.Response != nil {
					r := *ev.Response
					ev.Response = &r
				} else {
					n := *ev.Notification
					ev.Notification = &n
				}
				k.openEvent(ctx, &ev)
				i++
			}
		})
	}
}
