package engine

import (
	"sync"
	"time"

	"github.com/nats-io/nats.go/jetstream"
)

// heartbeats keeps held requests alive with one goroutine and ticker for all
// workers, not one per request: each worker owns a slot, and every tick sends
// InProgress for each request held. None waits longer than one interval.
type heartbeats struct {
	slots []hbSlot
	stop  chan struct{}
	done  chan struct{}
}

type hbSlot struct {
	mu sync.Mutex
	m  jetstream.Msg
}

func startHeartbeats(workers int, every time.Duration) *heartbeats {
	h := &heartbeats{slots: make([]hbSlot, workers), stop: make(chan struct{}), done: make(chan struct{})}
	go h.loop(every)
	return h
}

// hold marks worker i as working on m (nil: idle).
func (h *heartbeats) hold(i int, m jetstream.Msg) {
	s := &h.slots[i]
	s.mu.Lock()
	s.m = m
	s.mu.Unlock()
}

func (h *heartbeats) loop(every time.Duration) {
	defer close(h.done)
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		select {
		case <-h.stop:
			return
		case <-t.C:
			for i := range h.slots {
				s := &h.slots[i]
				s.mu.Lock()
				m := s.m
				s.mu.Unlock()
				if m != nil {
					// An already acknowledged message refuses this locally.
					_ = m.InProgress()
				}
			}
		}
	}
}

// close stops the heartbeats and waits for the goroutine to end.
func (h *heartbeats) close() {
	close(h.stop)
	<-h.done
}
