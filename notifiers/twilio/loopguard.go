package twilio

import (
	"hash/maphash"
	"sync"
	"time"
)

// loopGuard bounds the replies to one number within window: at most n of
// one text (an auto-responder answering us gets the same reply each round)
// and at most total of any text. A person changing their answer gets a
// different confirmation each time, so it is not held back.
type loopGuard struct {
	n, total int
	window   time.Duration

	mu    sync.Mutex
	sent  map[string][]sentReply
	calls int
}

// sentReply is one reply: when, and which text (by hash).
type sentReply struct {
	at   time.Time
	text uint64
}

func newLoopGuard(n, total int, window time.Duration) *loopGuard {
	return &loopGuard{n: n, total: total, window: window, sent: make(map[string][]sentReply)}
}

// allow records a reply of text to number at now if, within the window
// before it, fewer than n replies of that text and fewer than total went
// to the number.
func (g *loopGuard) allow(number, text string, now time.Time) bool {
	g.mu.Lock()
	defer g.mu.Unlock()
	g.calls++
	if g.calls%1024 == 0 {
		g.sweep(now)
	}
	recent := g.prune(g.sent[number], now)
	g.sent[number] = recent
	h, same := hashText(text), 0
	for _, s := range recent {
		if s.text == h {
			same++
		}
	}
	if same >= g.n || len(recent) >= g.total {
		return false
	}
	g.sent[number] = append(recent, sentReply{at: now, text: h})
	return true
}

// prune drops the replies that left the window; it reuses ts.
func (g *loopGuard) prune(ts []sentReply, now time.Time) []sentReply {
	keep := ts[:0]
	for _, t := range ts {
		if now.Sub(t.at) < g.window {
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

// hashText: the guard keeps no reply text, only its hash.
func hashText(s string) uint64 { return maphash.String(textSeed, s) }

var textSeed = maphash.MakeSeed()
