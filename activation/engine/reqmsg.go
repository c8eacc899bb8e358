package engine

import (
	"sync"
	"time"

	"github.com/nats-io/nats.go/jetstream"
)

// reqMsg is what the dispatcher settles per request: the request's own
// message (jetstream.Msg), or one request of a pack (*part).
type reqMsg interface {
	Ack() error
	Nak() error
	NakWithDelay(delay time.Duration) error
	Term() error
	InProgress() error
}

// packMsg is a pack delivered to the dispatcher: it is acknowledged once
// every request in it is settled, or, if any asked to be retried, handed
// back whole with the longest delay asked for. Requests settled here are
// remembered, so a redelivery here skips them; elsewhere (after a crash)
// their claims and reports decide, as for single requests.
type packMsg struct {
	m     jetstream.Msg
	d     *dispatcher
	seq   uint64
	mu    sync.Mutex
	left  int
	retry bool
	delay time.Duration
	done  []string
}

// part is one request of a pack; it settles once.
type part struct {
	p    *packMsg
	id   string
	once sync.Once
}

func (x *part) Ack() error { x.settle(false, 0); return nil }
func (x *part) Term() error {
	x.settle(false, 0)
	return nil
}
func (x *part) Nak() error                             { x.settle(true, 0); return nil }
func (x *part) NakWithDelay(delay time.Duration) error { x.settle(true, delay); return nil }

// InProgress is sent for the whole pack while it is held (heartbeats).
func (x *part) InProgress() error { return nil }

func (x *part) settle(retry bool, delay time.Duration) {
	x.once.Do(func() { x.p.settle(x.id, retry, delay) })
}

func (p *packMsg) settle(id string, retry bool, delay time.Duration) {
	p.mu.Lock()
	if retry {
		p.retry, p.delay = true, max(p.delay, delay)
	} else {
		p.done = append(p.done, id)
	}
	p.left--
	last := p.left == 0
	p.mu.Unlock()
	if !last {
		return
	}
	p.d.hb.drop(p.m)
	if p.retry {
		p.d.settled.remember(p.seq, p.done)
		if p.delay > 0 {
			_ = p.m.NakWithDelay(p.delay)
		} else {
			_ = p.m.Nak()
		}
		return
	}
	p.d.settled.forget(p.seq)
	_ = p.m.Ack()
}

// settledParts remembers, per pack handed back for a retry (by stream
// sequence), the requests of it this dispatcher settled.
type settledParts struct {
	mu   sync.Mutex
	seqs map[uint64]map[string]bool
}

func (s *settledParts) remember(seq uint64, ids []string) {
	if seq == 0 || len(ids) == 0 {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.seqs == nil {
		s.seqs = map[uint64]map[string]bool{}
	}
	set := s.seqs[seq]
	if set == nil {
		set = map[string]bool{}
		s.seqs[seq] = set
	}
	for _, id := range ids {
		set[id] = true
	}
}

func (s *settledParts) forget(seq uint64) {
	s.mu.Lock()
	delete(s.seqs, seq)
	s.mu.Unlock()
}

// of returns the requests of the pack at seq settled before (nil if none).
func (s *settledParts) of(seq uint64) map[string]bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.seqs[seq]
}
