package main

import (
	"context"
	"fmt"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/kaskade-bcm/kaskade/notifiers/twilio/twiliotest"
)

// standdown stands an exercise down during its fan-out and counts the
// alert requests that arrive at the fake after the stand-down was answered;
// the stand-down SMS should then go to exactly the people reached.
func (b *bench) standdown(ctx context.Context) error {
	n := b.o.PrioRecip
	var mu sync.Mutex
	var answered time.Time // when the stand-down call returned (zero before)
	var arrived, late atomic.Int64
	reached := map[string]bool{} // alert accepted by the fake
	toldOver := map[string]int{} // stand-down (non-alert) SMS accepted
	var firstLate, lastLate time.Duration
	fake := b.newLatencyFake(b.o.RealLatency, func(at time.Time, to, body string) {
		if !isAlert(body) {
			return
		}
		arrived.Add(1)
		mu.Lock()
		if !answered.IsZero() && at.After(answered) {
			late.Add(1)
			if d := at.Sub(answered); firstLate == 0 || d < firstLate {
				firstLate = d
			}
			lastLate = max(lastLate, at.Sub(answered))
		}
		mu.Unlock()
	}, func(at time.Time, m twiliotest.Message) {
		if !strings.HasPrefix(m.To, "+49151") {
			return
		}
		mu.Lock()
		if isAlert(m.Body) {
			reached[m.To] = true
		} else {
			toldOver[m.To]++
		}
		mu.Unlock()
	})
	defer fake.Close()
	setTwilioToken(fake.fake)
	bc := benchConfig{Orgs: n / b.o.PerOrg, PerOrg: b.o.PerOrg, AccountSID: fake.fake.AccountSID(), APIURL: fake.api.URL,
		Concurrency: b.o.Concurrency, RatePerSecond: b.o.PrioRate, Tokens: dutyTokens("standdown", 1)}
	s, err := b.startPhaseServer(ctx, filepath.Join(b.o.Dir, "standdown"), "bench-standdown", bc)
	if err != nil {
		return err
	}
	defer s.Close()
	tok := bc.Tokens[0].Secret
	ex, err := declareAs(ctx, s, tok, map[string]any{"id": "bench-standdown", "scenario": "fanout", "exercise": true})
	if err != nil {
		return err
	}
	time.Sleep(b.o.StandDownAfter)
	called := time.Now()
	if _, err := apiAs(ctx, s, tok, "POST", "/api/v1/incidents/"+ex+"/stand-down", map[string]any{"reason": "bench: stood down during the fan-out"}, nil); err != nil {
		return err
	}
	mu.Lock()
	answered = time.Now()
	before := arrived.Load()
	nReached := len(reached)
	mu.Unlock()
	// The stand-downs go out at the sender's rate; then a margin for late alerts.
	done := func() bool {
		mu.Lock()
		defer mu.Unlock()
		return len(toldOver) >= len(reached)
	}
	_ = waitUntil(ctx, time.Duration(float64(nReached)/b.o.PrioRate*float64(time.Second))+30*time.Second, done)
	time.Sleep(2 * time.Second)
	mu.Lock()
	missed, extra, twice := 0, 0, 0
	for to := range reached {
		if toldOver[to] == 0 {
			missed++
		}
	}
	for to, k := range toldOver {
		if !reached[to] {
			extra++
		}
		if k > 1 {
			twice++
		}
	}
	nReached, nTold := len(reached), len(toldOver)
	fl, ll := firstLate, lastLate
	mu.Unlock()
	b.record(fmt.Sprintf("alerts arriving after the stand-down answered (%d-person exercise, %s in)", n, b.o.StandDownAfter),
		fmt.Sprintf("%d (of %d sent)", late.Load(), arrived.Load()), "0", ptr(late.Load() == 0))
	if late.Load() > 0 {
		b.printf("  (late alerts arrived %s … %s after the answer)\n", fl.Round(time.Millisecond), ll.Round(time.Millisecond))
	}
	b.record("  … stand-down SMS: reached / told / reached not told / told not reached",
		fmt.Sprintf("%d / %d / %d / %d", nReached, nTold, missed, extra), "exactly the reached", ptr(missed == 0 && extra == 0 && twice == 0))
	b.printf("  (stand-down call took %s; %d alerts had arrived when it returned; load average %s)\n",
		answered.Sub(called).Round(time.Millisecond), before, loadAvg())
	return nil
}
