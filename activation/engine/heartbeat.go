package engine

import (
	"sync"
	"time"

	"github.com/nats-io/nats.go/jetstream"
)

// heartbeats keeps held requests alive — waiting for a send slot or being
// sent — with one goroutine and ticker for all: every tick sends InProgress
// for each request held. None waits longer than one interval.
type heartbeats struct {
	mu   sync.Mutex
	held map[jetstream.Msg]struct{}
	stop chan struct{}
	done chan struct{}
}

func startHeartbeats(every time.Duration) *heartbeats {
	h := &heartbeats{held: map[jetstream.Msg]struct{}{}, stop: make(chan struct{}), done: make(chan struct{})}
	go h.loop(every)
	return h
}

// hold keeps m alive until drop; a request of a pack is kept alive with
// its pack (packMsg).
func (h *heartbeats) hold(r reqMsg) {
	m, ok := r.(jetstream.Msg)
	if !ok {
		return
	}
	h.mu.Lock()
	h.held[m] = struct{}{}
	h.mu.Unlock()
}

// drop stops keeping m alive.
func (h *heartbeats) drop(r reqMsg) {
	m, ok := r.(jetstream.Msg)
	if !ok {
		return
	}
	h.mu.Lock()
	delete(h.held, m)
	h.mu.Unlock()
}

func (h *heartbeats) loop(every time.Duration) {
	defer close(h.done)
	t := time.NewTicker(every)
	defer t.Stop()
	var batch []jetstream.Msg
	for {
		select {
		case <-h.stop:
			return
		case <-t.C:
			h.mu.Lock()
			batch = batch[:0]
			for m := range h.held {
				batch = append(batch, m)
			}
			h.mu.Unlock()
			for _, m := range batch {
				// An already acknowledged message refuses this locally.
				_ = m.InProgress()
			}
		}
	}
}

// close stops the heartbeats and waits for the goroutine to end.
func (h *heartbeats) close() {
	close(h.stop)
	<-h.done
}
