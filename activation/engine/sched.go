package engine

import (
	"context"
	"sync"
)

// shareEvery gives a lower class one pick in this many while a higher one
// has work, so no class starves: the next lower class gets 1/10 of the
// sends, the one below it 1/100, and so on.
const shareEvery = 10

// queued is a request waiting for a send slot of its channel.
type queued struct {
	m     reqMsg
	ev    requestEvent
	class int
}

// scheduler holds the requests pulled from the class consumers, per channel
// and class, until a channel's pump has a provider slot: the slot goes to
// the highest class waiting at that moment, so a real alert takes the next
// free slot instead of queueing behind an exercise.
type scheduler struct {
	mu       sync.Mutex
	cond     *sync.Cond
	buffered []int // per class: requests held, bounded by limit
	limit    int
	channels map[string]*classQueues
	stopped  bool
}

// classQueues are one channel's waiting requests, a FIFO per class.
type classQueues struct {
	fifo  [][]queued
	picks []int // per class: picks made while it was the highest waiting
	n     int
}

func newScheduler(classes, limit int) *scheduler {
	s := &scheduler{buffered: make([]int, classes), limit: limit, channels: map[string]*classQueues{}}
	s.cond = sync.NewCond(&s.mu)
	return s
}

// stop wakes every waiter; waits then return false.
func (s *scheduler) stop() {
	s.mu.Lock()
	s.stopped = true
	s.mu.Unlock()
	s.cond.Broadcast()
}

// stopOn stops s when ctx ends.
func (s *scheduler) stopOn(ctx context.Context) (cancel func() bool) {
	return context.AfterFunc(ctx, s.stop)
}

// room waits until class may hold more requests and returns how many.
func (s *scheduler) room(class int) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	for !s.stopped && s.buffered[class] >= s.limit {
		s.cond.Wait()
	}
	if s.stopped {
		return 0
	}
	return s.limit - s.buffered[class]
}

func (s *scheduler) queues(channel string) *classQueues {
	q := s.channels[channel]
	if q == nil {
		q = &classQueues{fifo: make([][]queued, len(s.buffered)), picks: make([]int, len(s.buffered))}
		s.channels[channel] = q
	}
	return q
}

// push adds a request for channel.
func (s *scheduler) push(channel string, r queued) {
	s.mu.Lock()
	q := s.queues(channel)
	q.fifo[r.class] = append(q.fifo[r.class], r)
	q.n++
	s.buffered[r.class]++
	s.mu.Unlock()
	s.cond.Broadcast()
}

// wait blocks until channel has a request; false once stopped.
func (s *scheduler) wait(channel string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	q := s.queues(channel)
	for !s.stopped && q.n == 0 {
		s.cond.Wait()
	}
	return !s.stopped
}

// take removes the request the next slot of channel goes to: the oldest of
// the highest class waiting, but every shareEvery-th pick of a class goes
// one class lower when that one waits too.
func (s *scheduler) take(channel string) (queued, bool) {
	s.mu.Lock()
	q := s.queues(channel)
	if q.n == 0 {
		s.mu.Unlock()
		return queued{}, false
	}
	h := q.next(0)
	for {
		lower := q.next(h + 1)
		if lower < 0 {
			break
		}
		q.picks[h]++
		if q.picks[h]%shareEvery != 0 {
			break
		}
		h = lower
	}
	r := q.fifo[h][0]
	q.fifo[h][0] = queued{}
	q.fifo[h] = q.fifo[h][1:]
	q.n--
	s.buffered[h]--
	s.mu.Unlock()
	s.cond.Broadcast()
	return r, true
}

// next returns the first class from c on with requests, -1 when none.
func (q *classQueues) next(c int) int {
	for ; c < len(q.fifo); c++ {
		if len(q.fifo[c]) > 0 {
			return c
		}
	}
	return -1
}

// drain removes and returns every request still waiting.
func (s *scheduler) drain() []queued {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []queued
	for _, q := range s.channels {
		for c := range q.fifo {
			out = append(out, q.fifo[c]...)
			s.buffered[c] -= len(q.fifo[c])
			q.fifo[c] = nil
		}
		q.n = 0
	}
	return out
}
