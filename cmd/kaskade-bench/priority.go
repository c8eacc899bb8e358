package main

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync/atomic"
	"time"

	"github.com/kaskade-bcm/kaskade/notifiers/twilio/twiliotest"
)

// priority runs an exercise fan-out against a slow, rate-limited provider
// and declares a real incident for one organisation (TT) again and again
// in its middle: from each declaration to the fake accepting its SMS.
func (b *bench) priority(ctx context.Context) error {
	n, runs := b.o.PrioRecip, b.o.PrioRuns
	var exAccepted atomic.Int64
	real := make(chan time.Time, 4)
	fake := b.newLatencyFake(b.o.RealLatency, func(time.Time, string, string) {}, func(at time.Time, m twiliotest.Message) {
		switch {
		case m.To == benchTTNumber:
			real <- at
		case strings.HasPrefix(m.To, "+49151"):
			exAccepted.Add(1)
		}
	})
	defer fake.Close()
	setTwilioToken(fake.fake)
	// Real incidents: ten at once per token, so one duty officer per five runs.
	bc := benchConfig{Orgs: n / b.o.PerOrg, PerOrg: b.o.PerOrg, AccountSID: fake.fake.AccountSID(), APIURL: fake.api.URL,
		Concurrency: b.o.Concurrency, RatePerSecond: b.o.PrioRate, Tokens: dutyTokens("prio", runs/5+1)}
	s, err := b.startPhaseServer(ctx, filepath.Join(b.o.Dir, "priority"), "bench-priority", bc)
	if err != nil {
		return err
	}
	defer s.Close()
	tok := bc.Tokens[0].Secret
	ex, err := declareAs(ctx, s, tok, map[string]any{"id": "bench-priority-exercise", "scenario": "fanout", "exercise": true})
	if err != nil {
		return err
	}
	// Into the middle: the provider's queue is full of exercise traffic.
	if err := waitUntil(ctx, 30*time.Second, func() bool { return exAccepted.Load() >= int64(b.o.PrioRate) }); err != nil {
		return fmt.Errorf("priority: the exercise fan-out did not start: %w", err)
	}
	var lat []time.Duration
	for i := range runs {
		tok := bc.Tokens[i/5].Secret
		start := time.Now()
		if _, err := declareAs(ctx, s, tok, map[string]any{"id": fmt.Sprintf("bench-priority-real-%d", i), "scenario": "first", "exercise": false}); err != nil {
			return err
		}
		select {
		case at := <-real:
			lat = append(lat, at.Sub(start))
		case <-time.After(60 * time.Second):
			return fmt.Errorf("priority: run %d: no SMS of the real incident within 60 s", i)
		case <-ctx.Done():
			return ctx.Err()
		}
		time.Sleep(b.o.PrioGap)
	}
	exDone := exAccepted.Load()
	if _, err := apiAs(ctx, s, tok, "POST", "/api/v1/incidents/"+ex+"/stand-down", map[string]any{"reason": "bench over"}, nil); err != nil {
		return err
	}
	slices.Sort(lat)
	b.record(fmt.Sprintf("real incident amid a %d-person exercise (%s, %.0f/s): first SMS p50 / p99 / max", n, b.o.RealLatency, b.o.PrioRate),
		fmt.Sprintf("%s / %s / %s", ms(pct(lat, 50)), ms(pct(lat, 99)), ms(lat[len(lat)-1])), fmt.Sprintf("p99 < 1 s (%d runs)", len(lat)),
		ptr(pct(lat, 99) < time.Second))
	b.printf("  (exercise SMS accepted meanwhile: %d of %d; %d still queued when it was stood down; load average %s)\n",
		exDone, n, int64(n)-exDone, loadAvg())
	return nil
}

// dutyTokens returns k duty-officer tokens named prefix-i.
func dutyTokens(prefix string, k int) []benchToken {
	t := make([]benchToken, k)
	for i := range t {
		t[i] = benchToken{Name: fmt.Sprintf("%s-%d", prefix, i), Role: "duty_officer", Secret: fmt.Sprintf("%s-secret-%d-%d", prefix, i, time.Now().UnixNano())}
	}
	return t
}

// setTwilioToken points the server's Twilio auth token at fake.
func setTwilioToken(fake *twiliotest.Server) { os.Setenv(benchTokenEnv, fake.AuthToken()) }
