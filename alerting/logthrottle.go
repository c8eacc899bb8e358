package alerting

import (
	"sync"
	"time"
)

// logEvery is how often one sender's refusals of one kind are logged.
const logEvery = time.Minute

// logThrottle lets one log line per key through per logEvery and counts the
// rest. Other systems' input can be refused as fast as they send it; a line
// each flooded the log, and a journal's rate limit then drops Kaskade's
// other lines too.
type logThrottle struct {
	mu   sync.Mutex
	now  func() time.Time
	last map[string]*throttled
}

type throttled struct {
	at         time.Time
	suppressed int
}

func newLogThrottle(now func() time.Time) *logThrottle {
	if now == nil {
		now = time.Now
	}
	return &logThrottle{now: now, last: map[string]*throttled{}}
}

// allow reports whether a line for key may be logged now and how many were
// held back since the last one.
func (l *logThrottle) allow(key string) (ok bool, suppressed int) {
	l.mu.Lock()
	defer l.mu.Unlock()
	now := l.now()
	t, seen := l.last[key]
	if seen && now.Sub(t.at) < logEvery {
		t.suppressed++
		return false, 0
	}
	if !seen {
		if len(l.last) >= 4096 {
			l.prune(now)
		}
		t = &throttled{}
		l.last[key] = t
	}
	suppressed, t.at, t.suppressed = t.suppressed, now, 0
	return true, suppressed
}

// prune forgets keys quiet for an interval (a held-back count with them).
func (l *logThrottle) prune(now time.Time) {
	for k, t := range l.last {
		if now.Sub(t.at) >= logEvery {
			delete(l.last, k)
		}
	}
}

// warnThrottled logs a warning about key at most once per logEvery, with
// the number of like ones held back since.
func (i *Intake) warnThrottled(key, msg string, args ...any) {
	if ok, n := i.quiet.allow(key); ok {
		i.log.Warn(msg, append(args, "held_back", n)...)
	}
}
