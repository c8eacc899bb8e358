package board

import (
	"net/http"
	"sync/atomic"
	"testing"
	"time"
)

// currentSource is the fake source with the engine's Ready: false while the
// event log is being read again or cannot be reached.
type currentSource struct {
	*fakeSource
	ready atomic.Bool
}

func (s *currentSource) Ready() bool { return s.ready.Load() }

// TestStreamNotCurrent: while the engine rebuilds from the log (after a lost
// NATS connection, fencing or a restart) its read model is empty or partial.
// The board sent it as a live snapshot (a reload during the outage showed no
// incident at all) and kept pinging open pages, which showed old tiles as
// live. Now a stream is refused with 503 (the page shows the loss and greys
// out its tiles) and an open one ends at its next heartbeat.
func TestStreamNotCurrent(t *testing.T) {
	var src *currentSource
	e := newEnvWith(t, func(o *Options) {
		src = &currentSource{fakeSource: o.Source.(*fakeSource)}
		src.ready.Store(true)
		o.Source = src
	})
	e.board.heartbeat = 30 * time.Millisecond
	live := e.openStream(nil, bearerHdr(viewerToken))
	if live.resp.StatusCode != http.StatusOK {
		t.Fatalf("stream while current: %d", live.resp.StatusCode)
	}
	live.snapshot(t)

	src.ready.Store(false)
	deadline := time.After(10 * time.Second)
	for ended := false; !ended; {
		select {
		case _, ok := <-live.events:
			ended = !ok
		case <-deadline:
			t.Fatal("the open stream went on while the source was not current")
		}
	}
	s := e.openStream(nil, bearerHdr(viewerToken))
	if s.resp.StatusCode != http.StatusServiceUnavailable || s.resp.Header.Get("Retry-After") == "" {
		t.Fatalf("stream while not current: %d (Retry-After %q), want 503 with Retry-After",
			s.resp.StatusCode, s.resp.Header.Get("Retry-After"))
	}
	src.ready.Store(true)
	if s := e.openStream(nil, bearerHdr(viewerToken)); s.resp.StatusCode != http.StatusOK {
		t.Fatalf("stream once current again: %d", s.resp.StatusCode)
	}
}
