package main

import (
	"context"
	"fmt"
	"strings"
	"sync/atomic"
	"time"

	"github.com/kaskade-bcm/kaskade/cmd/internal/server"
	"github.com/kaskade-bcm/kaskade/notifiers/twilio/twiliotest"
)

// fanout declares the mass alert and times the first wave into the fake.
func (b *bench) fanout(ctx context.Context, s *server.Server, bareTwilio float64) (string, error) {
	n := b.o.Recipients
	var got atomic.Int64
	var first, last atomic.Int64
	done := make(chan struct{})
	hook := func(m twiliotest.Message) {
		if !strings.HasPrefix(m.To, "+49151") {
			return
		}
		t := time.Now().UnixNano()
		first.CompareAndSwap(0, t)
		last.Store(t)
		if got.Add(1) == int64(n) {
			close(done)
		}
	}
	b.onMessage.Store(&hook)
	defer b.onMessage.Store(nil)
	stop := b.profile("fanout")
	c0 := cpuTime()
	start := time.Now()
	id, err := declare(ctx, s, "fanout", "bench-fanout")
	if err != nil {
		stop()
		return "", err
	}
	declared := time.Since(start)
	select {
	case <-done:
	case <-time.After(max(60*time.Second, time.Duration(n)*time.Millisecond)):
		stop()
		return "", fmt.Errorf("fan-out: only %d of %d SMS arrived", got.Load(), n)
	case <-ctx.Done():
		stop()
		return "", ctx.Err()
	}
	cpu := perOp(cpuTime()-c0, n)
	total := time.Duration(last.Load() - start.UnixNano())
	b.printf("  (first SMS of the fan-out after %s)\n", time.Duration(first.Load()-start.UnixNano()).Round(time.Millisecond))
	stop()
	rate := float64(n) / total.Seconds()
	b.record(fmt.Sprintf("fan-out %d: declaration → last first-wave SMS accepted", n), total.Round(time.Millisecond).String(),
		fmt.Sprintf("(declare answered after %s)", declared.Round(time.Millisecond)), nil)
	if bareTwilio > 0 {
		ratio := rate / bareTwilio
		b.record("fan-out rate through the durable pipeline", fmt.Sprintf("%.0f/s = %.2f × bare twilio-go", rate, ratio), "≥ 0.70 × bare twilio-go", ptr(ratio >= 0.7))
		cpuRatio := b.bareCPU / cpu
		b.record("  … CPU per SMS: pipeline vs bare twilio-go (ratio)", fmt.Sprintf("%.0f µs vs %.0f µs (%.2f)", cpu, b.bareCPU, cpuRatio),
			"≥ 0.70 (contention-independent view)", ptr(cpuRatio >= 0.7))
	} else {
		b.record("fan-out rate through the durable pipeline", fmt.Sprintf("%.0f/s", rate), "", nil)
	}
	return id, nil
}
