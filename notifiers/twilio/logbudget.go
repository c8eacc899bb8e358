package twilio

import (
	"sync"
	"time"
)

// Rejected webhooks (a forged or missing signature: anyone can post them) are
// logged at most logBurst at once and then one every logEvery, so a flood
// cannot fill the disk; the next line says how many were left out.
const (
	logBurst = 5
	logEvery = 12 * time.Second
)

// logBudget is a token bucket for log lines.
type logBudget struct {
	mu         sync.Mutex
	tokens     float64
	last       time.Time
	suppressed int
}

func newLogBudget() *logBudget { return &logBudget{tokens: logBurst} }

// take reports whether a line may be written at now and, if so, how many
// were suppressed since the last one.
func (b *logBudget) take(now time.Time) (ok bool, suppressedBefore int) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if !b.last.IsZero() && now.After(b.last) {
		b.tokens = min(logBurst, b.tokens+float64(now.Sub(b.last))/float64(logEvery))
	}
	if now.After(b.last) {
		b.last = now
	}
	if b.tokens < 1 {
		b.suppressed++
		return false, 0
	}
	b.tokens--
	n := b.suppressed
	b.suppressed = 0
	return true, n
}
