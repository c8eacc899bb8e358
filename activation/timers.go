package activation

import (
	"container/heap"
	"math"
	"time"
)

type timerKind uint8

const (
	timerStep     timerKind = iota // consider the next policy step of a tier
	timerWait                      // a tier's wait ran out: next deputy
	timerDeadline                  // an organisation's readiness target
)

// timer is a due-time index entry derived from events (a replay rebuilds it;
// Tick re-checks the state, so a stale one is harmless): the due time in Unix
// nanoseconds, organisation and tier in 16 bytes, as there are 2–3 per person.
type timer struct {
	at  int64
	org uint32 // in Core.orgs
	ref uint32 // kind<<30 | tier index in the organisation (step and wait timers)
}

func newTimer(at time.Time, org *orgState, tier int32, kind timerKind) timer {
	return timer{at: nanos(at), org: uint32(org.slot), ref: uint32(kind)<<30 | uint32(tier)}
}

func (t timer) kind() timerKind { return timerKind(t.ref >> 30) }
func (t timer) tier() int32     { return int32(t.ref & (1<<30 - 1)) }

type timerHeap []timer

func (h timerHeap) Len() int           { return len(h) }
func (h timerHeap) Less(i, j int) bool { return h[i].at < h[j].at }
func (h timerHeap) Swap(i, j int)      { h[i], h[j] = h[j], h[i] }
func (h *timerHeap) Push(x any)        { *h = append(*h, x.(timer)) }
func (h *timerHeap) Pop() any {
	old := *h
	t := old[len(old)-1]
	*h = old[:len(old)-1]
	return t
}

func (h *timerHeap) push(t timer) { heap.Push(h, t) }

// nanos returns t in Unix nanoseconds, saturated outside the years
// 1678–2262 that an int64 holds (so such a time still sorts right).
func nanos(t time.Time) int64 {
	const limit = math.MaxInt64/int64(time.Second) - 1
	switch sec := t.Unix(); {
	case sec < -limit:
		return math.MinInt64
	case sec > limit:
		return math.MaxInt64
	}
	return t.UnixNano()
}

// NextDue returns when Tick next has something to do.
func (c *Core) NextDue() (time.Time, bool) {
	if len(c.timers) == 0 {
		return time.Time{}, false
	}
	return time.Unix(0, c.timers[0].at), true
}
