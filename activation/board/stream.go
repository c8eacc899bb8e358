package board

import (
	"encoding/json"
	"io"
	"net/http"
	"slices"
	"strconv"
	"sync"
	"time"

	"github.com/kaskade-bcm/kaskade/activation"
	"github.com/kaskade-bcm/kaskade/activation/web"
)

// snapshot is the first event of every stream.
type snapshot struct {
	Incidents []activation.IncidentView `json:"incidents"`
	Scenarios []activation.ScenarioInfo `json:"scenarios"`
	// Now is the server time, so the page can correct a wrong local clock.
	Now time.Time `json:"now"`
}

// coalescer buffers changes between two writes to one stream client: the
// latest readiness per (incident, org) and change per incident (whole view or
// patch), every timeline item and unknown kind. take returns them in Seq order.
type coalescer struct {
	mu        sync.Mutex
	readiness map[[2]string]*encoded
	incidents map[string]*encoded
	others    []*encoded
	max       int  // bound on others
	overflow  bool // more than max others: the client must resync
	closed    bool // the subscription ended
	kick      chan struct{}
	out       sink // the stream's output (direct.go)
}

func newCoalescer(max int) *coalescer {
	return &coalescer{
		readiness: make(map[[2]string]*encoded),
		incidents: make(map[string]*encoded),
		max:       max,
		kick:      make(chan struct{}, 1),
	}
}

// encoded is a change with its SSE event (data), encoded once by the hub and
// shared by every stream. An incident patch has its whole view beside it.
type encoded struct {
	activation.Change
	data  []byte
	whole *encoded
}

func encode(ch activation.Change) (*encoded, error) {
	data, err := json.Marshal(ch)
	if err != nil {
		return nil, err
	}
	return &encoded{Change: ch, data: changeFrame(ch.Seq, data)}, nil
}

// changeFrame is the SSE event of a change, written as is to every stream.
// JSON never contains a raw newline, so the data fits on one line.
func changeFrame(seq uint64, data []byte) []byte {
	return appendEvent(nil, "change", strconv.FormatUint(seq, 10), data)
}

// add takes a change (tests); the hub hands in encoded ones with addEncoded.
func (c *coalescer) add(ch activation.Change) {
	if e, err := encode(ch); err == nil {
		c.addEncoded(e)
	}
}

func (c *coalescer) addEncoded(ch *encoded) { c.addBatch([]*encoded{ch}) }

// addBatch buffers changes that the source published together, so that the
// stream writes them in one go.
func (c *coalescer) addBatch(batch []*encoded) {
	c.mu.Lock()
	for _, ch := range batch {
		c.addLocked(ch)
	}
	c.mu.Unlock()
	c.signal()
}

func (c *coalescer) addLocked(ch *encoded) {
	switch {
	case ch.Kind == activation.ChangeReadiness && ch.Readiness != nil:
		k := [2]string{ch.IncidentID, ch.Readiness.Org}
		if old, ok := c.readiness[k]; !ok || old.Seq < ch.Seq {
			c.readiness[k] = ch
		}
	case ch.Kind == activation.ChangeIncident && ch.Incident != nil:
		old, ok := c.incidents[ch.IncidentID]
		switch {
		case ok && old.Seq >= ch.Seq:
		case ok && ch.whole != nil:
			// A patch applies to the pending view, which the client lacks: the
			// whole view replaces both.
			c.incidents[ch.IncidentID] = ch.whole
		default:
			c.incidents[ch.IncidentID] = ch
		}
	default:
		if len(c.others) >= c.max {
			c.overflow = true
		} else {
			c.others = append(c.others, ch)
		}
	}
}

// idle reports whether nothing is buffered and the stream goes on.
func (c *coalescer) idle() bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	return len(c.readiness) == 0 && len(c.incidents) == 0 && len(c.others) == 0 && !c.overflow && !c.closed
}

func (c *coalescer) close() {
	c.mu.Lock()
	c.closed = true
	c.mu.Unlock()
	c.signal()
}

func (c *coalescer) signal() {
	select {
	case c.kick <- struct{}{}:
	default:
	}
}

// take empties the buffer into batch. It reports whether the subscription
// has ended or overflowed, after which the stream must end once the batch is
// written.
func (c *coalescer) take(batch []*encoded) ([]*encoded, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	// Maps do not shrink: one that grew in a burst is let go.
	if n := len(c.readiness); n > 0 {
		for _, ch := range c.readiness {
			batch = append(batch, ch)
		}
		if n > shrinkAbove {
			c.readiness = make(map[[2]string]*encoded)
		} else {
			clear(c.readiness)
		}
	}
	if n := len(c.incidents); n > 0 {
		for _, ch := range c.incidents {
			batch = append(batch, ch)
		}
		if n > shrinkAbove {
			c.incidents = make(map[string]*encoded)
		} else {
			clear(c.incidents)
		}
	}
	batch = append(batch, c.others...)
	c.others = c.others[:0]
	slices.SortStableFunc(batch, func(a, b *encoded) int {
		switch {
		case a.Seq < b.Seq:
			return -1
		case a.Seq > b.Seq:
			return 1
		}
		return 0
	})
	return batch, c.closed || c.overflow
}

// shrinkAbove: a coalescer map that held more is replaced when emptied.
const shrinkAbove = 64

// handleStream serves GET /api/v1/stream as Server-Sent Events: a full
// snapshot on every connection (reconnects too), then coalesced changes in Seq
// order. It ends when the source drops the subscription; the browser resyncs.
func (b *Board) handleStream(w http.ResponseWriter, r *http.Request) {
	p, ok := b.authenticate(w, r)
	if !ok {
		return
	}
	select {
	case <-b.closed:
		w.Header().Set("Retry-After", "2")
		web.WriteError(w, http.StatusServiceUnavailable, "shutting_down", "the server is shutting down")
		return
	default:
	}
	if !b.current() {
		w.Header().Set("Retry-After", "2")
		web.WriteError(w, http.StatusServiceUnavailable, "not_current",
			"the board's data is not current (the event log is being read or cannot be reached); the page reconnects by itself")
		return
	}
	n, release, ok := b.acquireStream(p.token)
	if !ok {
		w.Header().Set("Retry-After", strconv.Itoa(streamRetryAfter))
		web.WriteError(w, http.StatusTooManyRequests, "too_many_streams",
			"too many open board streams for this token or in all; close other board windows or try again later")
		return
	}
	defer release()
	ctx := r.Context()

	// Join before the snapshot, so nothing falls between them. A change
	// that the snapshot already contains is applied twice, which is harmless:
	// readiness and incident changes carry whole values.
	co := newCoalescer(b.maxPending)
	out := &co.out
	out.w, out.rc, out.window, out.streams, out.writeWait = w, http.NewResponseController(w), b.coalesce, &b.hub.streams, b.writeWait
	out.deadline = out.rc.SetWriteDeadline
	out.conn, out.raw, _ = rawConn(w, r)
	out.chunked = r.ProtoAtLeast(1, 1)
	out.mu.Lock() // the hub writes nothing before the snapshot
	defer b.hub.join(co)()
	defer out.close()
	snap := snapshot{Incidents: b.snapshotIncidents(r.URL.Query().Get("history") == "1"), Scenarios: b.src.Scenarios(), Now: b.now().UTC()}
	if snap.Scenarios == nil {
		snap.Scenarios = []activation.ScenarioInfo{}
	}

	h := w.Header()
	h.Set("Content-Type", "text/event-stream; charset=utf-8")
	h.Set("Cache-Control", "no-store")
	h.Set("X-Accel-Buffering", "no") // nginx: do not buffer
	h.Set("X-Content-Type-Options", "nosniff")
	w.WriteHeader(http.StatusOK)
	b.log.Debug("board stream open", "name", p.name, "last_event_id", r.Header.Get("Last-Event-ID"), "streams", n, "direct", out.raw != nil)

	// Snapshot. No buffer of its own: the events are built whole, and
	// net/http buffers the response until flush.
	io.WriteString(w, "retry: "+strconv.FormatInt(b.streamRetry.Milliseconds(), 10)+"\n")
	err := writeEvent(w, "snapshot", "snap-"+strconv.FormatInt(b.now().UnixMilli(), 10), snap)
	snap = snapshot{} // the incidents are garbage now, not for the stream's lifetime
	if err == nil {
		err = out.flush()
	}
	out.open = err == nil && out.raw != nil
	out.mu.Unlock()
	if err != nil {
		b.log.Debug("board stream snapshot", "err", err)
		return
	}

	hb := time.NewTicker(b.heartbeat)
	defer hb.Stop()
	var batch []*encoded // reused between batches
	for {
		select {
		case <-ctx.Done():
			return
		case <-b.closed:
			return
		case <-hb.C:
			if !b.current() {
				return // the page reconnects, is refused and shows the loss
			}
			if err := b.writePing(out); err != nil {
				return
			}
		case <-co.kick:
			// Leading edge: an isolated change goes out at once; within a
			// burst, at most one batch per coalescing window.
			out.mu.Lock()
			wait := out.windowNow() - time.Since(out.lastWrite)
			out.mu.Unlock()
			if wait > 0 {
				t := time.NewTimer(wait)
				select {
				case <-ctx.Done():
					t.Stop()
					return
				case <-t.C:
				}
			}
			var end bool
			var err error
			batch, end, err = out.writeBatch(co, batch)
			if err != nil {
				return
			}
			if end {
				b.log.Debug("board stream ends; client will resync", "name", p.name)
				return
			}
		}
	}
}

// writePing writes the heartbeat and a ping with the server time. After a
// failed write no direct write may follow (net/http may hold a torn chunk).
func (b *Board) writePing(out *sink) (err error) {
	out.mu.Lock()
	defer out.mu.Unlock()
	defer func() {
		if err != nil {
			out.open = false
		}
	}()
	if err := out.finish(); err != nil {
		return err
	}
	io.WriteString(out.w, ": heartbeat\n\n")
	ping := struct {
		Now time.Time `json:"now"`
	}{b.now().UTC()}
	if err := writeEvent(out.w, "ping", "", ping); err != nil {
		return err
	}
	return out.flush()
}

// writeBatch finishes a direct write's tail and writes what co buffered;
// end: the stream must end (its subscription ended or overflowed).
func (s *sink) writeBatch(co *coalescer, batch []*encoded) (_ []*encoded, end bool, err error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	defer func() {
		if err != nil {
			s.open = false // net/http may hold a torn chunk: no direct write may follow
		}
	}()
	if err := s.finish(); err != nil {
		return batch, true, err
	}
	batch, end = co.take(batch[:0])
	for _, ch := range batch {
		if _, err := s.w.Write(ch.data); err != nil {
			return batch, true, err
		}
	}
	clear(batch) // let the written events go
	if len(batch) > 0 {
		if err := s.flush(); err != nil {
			return batch, true, err
		}
	}
	return batch, end, nil
}

// close ends direct writes (the handler returns) and completes a chunk a
// direct write left unfinished, so that the response stays well framed,
// or closes the connection within closeWait.
func (s *sink) close() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.open = false
	_ = s.finishWithin(min(s.writeWait, closeWait))
}

// closeWait bounds how long an ending stream waits for a slow client.
const closeWait = time.Second

// streamRetryAfter is the Retry-After of a refused stream, in seconds.
const streamRetryAfter = 30

// acquireStream counts a stream against the global and the per-token cap.
func (b *Board) acquireStream(token string) (open int, release func(), ok bool) {
	b.streamsMu.Lock()
	defer b.streamsMu.Unlock()
	if b.streams >= b.maxStreams || b.perToken[token] >= b.maxPerToken {
		return b.streams, nil, false
	}
	b.streams++
	b.perToken[token]++
	return b.streams, func() {
		b.streamsMu.Lock()
		defer b.streamsMu.Unlock()
		b.streams--
		if b.perToken[token]--; b.perToken[token] <= 0 {
			delete(b.perToken, token)
		}
	}, true
}

// snapshotIncidents returns the open incidents and the recentClosed most
// recently stood-down ones, in the source's order; history asks for all.
func (b *Board) snapshotIncidents(history bool) []activation.IncidentView {
	all := b.src.Incidents()
	if all == nil {
		all = []activation.IncidentView{}
	}
	if history {
		return all
	}
	var closed []*activation.IncidentView
	for i := range all {
		if all[i].Status != "open" {
			closed = append(closed, &all[i])
		}
	}
	slices.SortStableFunc(closed, func(x, y *activation.IncidentView) int { return stoodDown(y).Compare(stoodDown(x)) })
	keep := map[string]bool{}
	for _, inc := range closed[:min(len(closed), b.recentClosed)] {
		keep[inc.ID] = true
	}
	out := make([]activation.IncidentView, 0, len(all)-len(closed)+len(keep))
	for _, inc := range all {
		if inc.Status == "open" || keep[inc.ID] {
			out = append(out, inc)
		}
	}
	return out
}

func stoodDown(inc *activation.IncidentView) time.Time {
	if inc.StoodDownAt == nil {
		return inc.DeclaredAt
	}
	return *inc.StoodDownAt
}

// writeEvent writes one SSE event (see changeFrame).
func writeEvent(w io.Writer, event, id string, v any) error {
	data, err := json.Marshal(v)
	if err != nil {
		return err
	}
	return writeData(w, event, id, data)
}

// writeData writes one SSE event of already encoded JSON, without copying
// it (it may be a large snapshot).
func writeData(w io.Writer, event, id string, data []byte) error {
	head := eventHead(nil, event, id)
	for _, part := range [][]byte{head, data, []byte("\n\n")} {
		if _, err := w.Write(part); err != nil {
			return err
		}
	}
	return nil
}

// appendEvent appends one SSE event of already encoded JSON to f.
func appendEvent(f []byte, event, id string, data []byte) []byte {
	f = eventHead(slices.Grow(f, len(data)+len(event)+len(id)+24), event, id)
	return append(append(f, data...), "\n\n"...)
}

// eventHead appends an event's lines up to its data.
func eventHead(f []byte, event, id string) []byte {
	if id != "" {
		f = append(append(append(f, "id: "...), id...), '\n')
	}
	return append(append(append(f, "event: "...), event...), "\ndata: "...)
}
