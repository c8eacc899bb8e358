package web

import (
	"sync"
	"time"
)

// Buckets are token buckets per key: Burst takes at once, then one more
// every Every. The clock is injected; memory is bounded by pruning full
// buckets, which hold no information.
type Buckets struct {
	mu    sync.Mutex
	now   func() time.Time
	burst float64
	every time.Duration
	m     map[string]*bucket
}

type bucket struct {
	tokens float64
	at     time.Time
}

// maxBucketKeys bounds the keys kept before full buckets are pruned.
const maxBucketKeys = 10000

// NewBuckets returns buckets of burst takes refilling one every every; now
// defaults to time.Now. burst <= 0 means unlimited.
func NewBuckets(burst int, every time.Duration, now func() time.Time) *Buckets {
	if now == nil {
		now = time.Now
	}
	return &Buckets{now: now, burst: float64(burst), every: every, m: map[string]*bucket{}}
}

// Take takes one token for key. Without one it takes nothing and returns
// the wait until the next token.
func (b *Buckets) Take(key string) (ok bool, retry time.Duration) {
	if b == nil || b.burst <= 0 {
		return true, 0
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	now := b.now()
	k := b.refill(key, now)
	if k.tokens >= 1 {
		k.tokens--
		return true, 0
	}
	return false, time.Duration((1 - k.tokens) * float64(b.every))
}

// Limited reports whether key has no token left, without taking one.
func (b *Buckets) Limited(key string) (bool, time.Duration) {
	if b == nil || b.burst <= 0 {
		return false, 0
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	k := b.refill(key, b.now())
	if k.tokens >= 1 {
		return false, 0
	}
	return true, time.Duration((1 - k.tokens) * float64(b.every))
}

func (b *Buckets) refill(key string, now time.Time) *bucket {
	k, ok := b.m[key]
	if !ok {
		if len(b.m) >= maxBucketKeys {
			b.prune(now)
		}
		k = &bucket{tokens: b.burst, at: now}
		b.m[key] = k
		return k
	}
	if b.every > 0 && now.After(k.at) {
		k.tokens = min(b.burst, k.tokens+float64(now.Sub(k.at))/float64(b.every))
	}
	k.at = now
	return k
}

// prune drops full buckets; if every bucket is in use it drops them all
// rather than grow without bound (an attacker with that many addresses
// gains one burst each).
func (b *Buckets) prune(now time.Time) {
	for key, k := range b.m {
		if b.every <= 0 || k.tokens+float64(now.Sub(k.at))/float64(b.every) >= b.burst {
			delete(b.m, key)
		}
	}
	if len(b.m) >= maxBucketKeys {
		clear(b.m)
	}
}

// RetryAfter formats a wait as whole seconds for the Retry-After header (at least 1).
func RetryAfter(d time.Duration) string {
	s := int64((d + time.Second - 1) / time.Second)
	return itoa(max(s, 1))
}

func itoa(n int64) string {
	var buf [20]byte
	i := len(buf)
	for {
		i--
		buf[i] = byte('0' + n%10)
		n /= 10
		if n == 0 {
			return string(buf[i:])
		}
	}
}
