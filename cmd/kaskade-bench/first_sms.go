package main

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/kaskade-bcm/kaskade/cmd/internal/server"
	"github.com/kaskade-bcm/kaskade/notifiers/twilio/twiliotest"
)

// firstSMS times declaration → first SMS request at the fake.
func (b *bench) firstSMS(ctx context.Context, s *server.Server) error {
	arrived := make(chan time.Time, 16)
	hook := func(m twiliotest.Message) {
		if m.To == benchTTNumber {
			arrived <- time.Now()
		}
	}
	b.onMessage.Store(&hook)
	defer b.onMessage.Store(nil)
	var lat []time.Duration
	for i := range b.o.FirstRuns {
		start := time.Now()
		if _, err := declare(ctx, s, "first", fmt.Sprintf("bench-first-%d-%d", start.UnixNano(), i)); err != nil {
			return err
		}
		select {
		case t := <-arrived:
			lat = append(lat, t.Sub(start))
		case <-time.After(10 * time.Second):
			return errors.New("first SMS: no SMS within 10 s")
		}
	}
	slices.Sort(lat)
	p50, p99 := pct(lat, 50), pct(lat, 99)
	b.record(fmt.Sprintf("declaration → first SMS request (%d runs) p50 / p99", len(lat)),
		fmt.Sprintf("%s / %s", ms(p50), ms(p99)), "< 100 ms", ptr(p99 < 100*time.Millisecond))
	return nil
}
