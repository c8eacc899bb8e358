package engine

import (
	"sync"

	"github.com/kaskade-bcm/kaskade/activation"
)

// hub fans changes out to live readers (the board's SSE streams). A reader
// that falls behind is dropped (its channel closed) and must resynchronise
// from a fresh snapshot; the engine never blocks on a reader.
type hub struct {
	mu   sync.Mutex
	seq  uint64
	subs map[chan activation.Change]struct{}
}

const subscriberBuffer = 4096

func (h *hub) subscribe() (<-chan activation.Change, func()) {
	ch := make(chan activation.Change, subscriberBuffer)
	h.mu.Lock()
	if h.subs == nil {
		h.subs = map[chan activation.Change]struct{}{}
	}
	h.subs[ch] = struct{}{}
	h.mu.Unlock()
	return ch, func() {
		h.mu.Lock()
		defer h.mu.Unlock()
		if _, ok := h.subs[ch]; ok {
			delete(h.subs, ch)
			close(ch)
		}
	}
}

// resync tells every live reader to reload its state.
func (h *hub) resync() {
	h.publish([]activation.Change{{Kind: activation.ChangeResync}})
}

func (h *hub) publish(changes []activation.Change) {
	if len(changes) == 0 {
		return
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	for i := range changes {
		h.seq++
		changes[i].Seq = h.seq
	}
	for ch := range h.subs {
	send:
		for _, c := range changes {
			select {
			case ch <- c:
			default:
				delete(h.subs, ch)
				close(ch)
				break send
			}
		}
	}
}
