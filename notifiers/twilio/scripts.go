package twilio

import (
	"container/list"
	"sync"
	"time"
)

// Scripts keeps each call's TwiML for a while so "0" can repeat it; the
// Gather action carries only the notification id. Bounded and in memory:
// after a restart a repeat offers the menu alone.
type Scripts struct {
	mu    sync.Mutex
	ttl   time.Duration
	max   int
	now   func() time.Time
	m     map[string]*list.Element
	order *list.List // of *script, oldest first
}

type script struct {
	id, twiml string
	at        time.Time
}

// NewScripts keeps scripts for ttl (default 1 h), at most 10,000.
func NewScripts(ttl time.Duration) *Scripts {
	if ttl <= 0 {
		ttl = time.Hour
	}
	return &Scripts{ttl: ttl, max: 10000, now: time.Now, m: map[string]*list.Element{}, order: list.New()}
}

// Put remembers the script of notification id. When full, the oldest
// entries go first (expired ones always).
func (s *Scripts) Put(id, twiml string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	now := s.now()
	if e, ok := s.m[id]; ok {
		s.order.Remove(e)
		delete(s.m, id)
	}
	for e := s.order.Front(); e != nil; e = s.order.Front() {
		old := e.Value.(*script)
		if now.Sub(old.at) <= s.ttl && len(s.m) < s.max {
			break
		}
		s.order.Remove(e)
		delete(s.m, old.id)
	}
	s.m[id] = s.order.PushBack(&script{id: id, twiml: twiml, at: now})
}

// Get returns the script of notification id.
func (s *Scripts) Get(id string) (string, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	e, ok := s.m[id]
	if !ok {
		return "", false
	}
	v := e.Value.(*script)
	if s.now().Sub(v.at) > s.ttl {
		return "", false
	}
	return v.twiml, true
}
