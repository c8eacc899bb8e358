package board

import (
	"runtime"
	"slices"
	"sync"
	"sync/atomic"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/kaskade-bcm/kaskade/activation"
)

// hub fans the source's changes out to the streams' coalescers over one
// subscription, so a stream costs its coalescer and its writer, not a
// buffered subscription of its own. It subscribes with the first stream
// and lets go after the last; when the source drops it, every stream ends
// and resynchronises.
type hub struct {
	src  Source
	mu   sync.Mutex
	subs map[*coalescer]struct{}
	cur  *subscription // nil: not subscribed
	// offers counts the batches streams took, by offerBuffered, offerDirect
	// and offerPartly.
	offers  [3]atomic.Int64
	streams atomic.Int64 // joined streams (their coalescing window grows with them)
}

type subscription struct{ cancel func() }

func newHub(src Source) *hub { return &hub{src: src, subs: map[*coalescer]struct{}{}} }

// join delivers every change from now on to co until leave is called.
func (h *hub) join(co *coalescer) (leave func()) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.cur == nil {
		changes, cancel := h.src.Subscribe()
		sub := &subscription{cancel: cancel}
		h.cur = sub
		go h.run(changes, sub)
	}
	h.subs[co] = struct{}{}
	h.streams.Store(int64(len(h.subs)))
	return func() { h.leave(co) }
}

func (h *hub) leave(co *coalescer) {
	h.mu.Lock()
	defer h.mu.Unlock()
	delete(h.subs, co)
	h.streams.Store(int64(len(h.subs)))
	if len(h.subs) == 0 && h.cur != nil {
		h.cur.cancel()
		h.cur = nil
	}
}

// registerMetrics exposes the offers as
// kaskade_board_stream_batches_total{path}: direct (written whole by the
// fan-out), partly (the socket took part, the handler the rest), handler
// (buffered for the stream's handler).
func (h *hub) registerMetrics(reg prometheus.Registerer) {
	if reg == nil {
		return
	}
	for i, path := range []string{"handler", "direct", "partly"} {
		c := prometheus.NewCounterFunc(prometheus.CounterOpts{
			Name:        "kaskade_board_stream_batches_total",
			Help:        "Change batches handed to board streams, by path: direct (written by the fan-out without waiting), partly (the socket was full; the stream's handler wrote the rest), handler (buffered for the stream's handler).",
			ConstLabels: prometheus.Labels{"path": path},
		}, func() float64 { return float64(h.offers[i].Load()) })
		_ = reg.Register(c) // a second board on one registry keeps the first's
	}
}

// offerAll offers a batch to every target, in parallel on up to GOMAXPROCS
// goroutines when there are many: a direct write costs a system call per
// stream, and a thousand of them take milliseconds on one core.
func (h *hub) offerAll(targets []*coalescer, encs []*encoded, f *frame) {
	shards := min(runtime.GOMAXPROCS(0), (len(targets)+shardMin-1)/shardMin)
	offer := func(part []*coalescer) {
		for _, co := range part {
			h.offers[co.offer(encs, f)].Add(1)
		}
	}
	if shards <= 1 {
		offer(targets)
		return
	}
	var wg sync.WaitGroup
	size := (len(targets) + shards - 1) / shards
	for part := range slices.Chunk(targets[size:], size) {
		wg.Go(func() { offer(part) })
	}
	offer(targets[:size])
	wg.Wait()
}

// shardMin is the fewest streams worth another goroutine.
const shardMin = 128

// maxBatch bounds the changes the hub hands the streams at once.
const maxBatch = 256

func (h *hub) run(changes <-chan activation.Change, sub *subscription) {
	p := newPatcher() // the streams' views of this subscription
	batch := make([]activation.Change, 0, maxBatch)
	var targets []*coalescer
	for ch := range changes {
		// What the source published together (one decision's timeline,
		// incident and readiness changes) goes to each stream in one write.
		batch = append(batch[:0], ch)
	drain:
		for len(batch) < maxBatch {
			select {
			case ch, ok := <-changes:
				if !ok {
					break drain
				}
				batch = append(batch, ch)
			default:
				break drain
			}
		}
		encs := p.encodeBatch(batch) // once, not once per stream
		if len(encs) == 0 {
			continue
		}
		// The streams are offered the batch outside the lock: a stream
		// that joins meanwhile has the batch in its snapshot already.
		h.mu.Lock()
		if h.cur == sub {
			for co := range h.subs {
				targets = append(targets, co)
			}
		}
		h.mu.Unlock()
		f := newFrame(encs)
		h.offerAll(targets, encs, f)
		clear(targets)
		targets = targets[:0]
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.cur != sub {
		return // cancelled by leave
	}
	// Dropped by the source: every stream ends and resynchronises.
	for co := range h.subs {
		co.close()
	}
	clear(h.subs)
	h.streams.Store(0)
	h.cur = nil
}
