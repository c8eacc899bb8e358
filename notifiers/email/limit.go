package email

import (
	"strings"
	"sync"
	"time"
)

// maxLimitedSenders bounds the memory of the sender limiter.
const maxLimitedSenders = 10000

// senderLimit counts rejected replies (unknown or forged tags, failed
// authentication) per sender address in fixed windows; a sender at the
// limit is refused until its window ends.
type senderLimit struct {
	limit  int
	window time.Duration
	now    func() time.Time

	mu      sync.Mutex
	senders map[string]*strikes
}

type strikes struct {
	n     int
	until time.Time // end of the window
}

func newSenderLimit(limit int, window time.Duration, now func() time.Time) *senderLimit {
	return &senderLimit{limit: limit, window: window, now: now, senders: map[string]*strikes{}}
}

func senderKey(addr string) string { return strings.ToLower(strings.TrimSpace(addr)) }

// limited reports whether any of addrs is at its limit.
func (l *senderLimit) limited(addrs ...string) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	now := l.now()
	for _, a := range addrs {
		if s, ok := l.senders[senderKey(a)]; ok && now.Before(s.until) && s.n >= l.limit {
			return true
		}
	}
	return false
}

// strike counts one rejected reply against each distinct non-empty address.
func (l *senderLimit) strike(addrs ...string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	now := l.now()
	seen := map[string]bool{}
	for _, a := range addrs {
		k := senderKey(a)
		if k == "" || seen[k] {
			continue
		}
		seen[k] = true
		s, ok := l.senders[k]
		if !ok || !now.Before(s.until) {
			l.makeRoom(now)
			s = &strikes{until: now.Add(l.window)}
			l.senders[k] = s
		}
		s.n++
	}
}

// makeRoom drops ended windows, and any one sender if still full.
func (l *senderLimit) makeRoom(now time.Time) {
	if len(l.senders) < maxLimitedSenders {
		return
	}
	for k, s := range l.senders {
		if !now.Before(s.until) {
			delete(l.senders, k)
		}
	}
	for k := range l.senders {
		if len(l.senders) < maxLimitedSenders {
			break
		}
		delete(l.senders, k)
	}
}
