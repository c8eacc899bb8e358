package activation

import (
	"container/heap"
	"time"
)

type timerKind uint8

const (
	timerStep     timerKind = iota // consider the next policy step of a tier
	timerWait                      // a tier's wait ran out: next deputy
	timerDeadline                  // an organisation's readiness target
)

// timer is a due-time index entry. Entries are derived from events, so a
// replay rebuilds them; a stale entry is harmless because Tick re-checks
// the state before deciding anything.
type timer struct {
	at       time.Time
	incident string
	org      string
	node     int
	tier     int
	kind     timerKind
}

type timerHeap []timer

func (h timerHeap) Len() int           { return len(h) }
func (h timerHeap) Less(i, j int) bool { return h[i].at.Before(h[j].at) }
func (h timerHeap) Swap(i, j int)      { h[i], h[j] = h[j], h[i] }
func (h *timerHeap) Push(x any)        { *h = append(*h, x.(timer)) }
func (h *timerHeap) Pop() any {
	old := *h
	t := old[len(old)-1]
	*h = old[:len(old)-1]
	return t
}

func (h *timerHeap) push(t timer) { heap.Push(h, t) }

// NextDue returns when Tick next has something to do.
func (c *Core) NextDue() (time.Time, bool) {
	if len(c.timers) == 0 {
		return time.Time{}, false
	}
	return c.timers[0].at, true
}
