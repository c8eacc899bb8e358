package twilio

import (
	"sync"
	"time"
)

// loopGuard allows at most n replies per number within window.
type loopGuard struct {
	n      int
	window time.Duration

	mu    sync.Mutex
	sent  map[string][]time.Time
	calls int
}

func newLoopGuard(n int, window time.Duration) *loopGuard {
	return &loopGuard{n: n, window: window, sent: make(map[string][]time.Time)}
}

// allow records a reply to number at now if fewer than n were sent within
// the window before it.
func (g *loopGuard) allow(number string, now time.Time) bool {
	g.mu.Lock()
	defer g.mu.Unlock()
	g.calls++
	if g.calls%1024 == 0 {
		g.sweep(now)
	}
	recent := g.prune(g.sent[number], now)
	if len(recent) >= g.n {
		g.sent[number] = recent
		return false
	}
	g.sent[number] = append(recent, now)
	return true
}

// prune drops the times that left the window; it reuses ts.
func (g *loopGuard) prune(ts []time.Time, now time.Time) []time.Time {
	keep := ts[:0]
	for _, t := range ts {
		if now.Sub(t) < g.window {
			keep = append(keep, t)
		}
	}
	return keep
}

// sweep forgets numbers with no reply in the window.
func (g *loopGuard) sweep(now time.Time) {
	for k, ts := range g.sent {
		if ts = g.prune(ts, now); len(ts) == 0 {
			delete(g.sent, k)
		} else {
			g.sent[k] = ts
		}
	}
}
