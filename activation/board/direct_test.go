package board

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/kaskade-bcm/kaskade/activation"
)

// sseReader reads SSE events (comments too) from r in a goroutine; the
// channel closes at the end of r.
func sseReader(r io.Reader) <-chan sseEvent {
	events := make(chan sseEvent, 10000)
	go func() {
		defer close(events)
		sc := bufio.NewScanner(r)
		sc.Buffer(make([]byte, 1<<20), 1<<24)
		var ev sseEvent
		for sc.Scan() {
			line := sc.Text()
			switch {
			case line == "":
				if ev.Data != "" || ev.Event != "" || ev.Comment != "" {
					events <- ev
				}
				ev = sseEvent{}
			case strings.HasPrefix(line, ":"):
				ev.Comment = strings.TrimSpace(line[1:])
			default:
				k, v, _ := strings.Cut(line, ":")
				v = strings.TrimPrefix(v, " ")
				switch k {
				case "event":
					ev.Event = v
				case "id":
					ev.ID = v
				case "data":
					ev.Data += v
				}
			}
		}
	}()
	return events
}

// nextChange returns the next change event, skipping pings.
func nextChange(t *testing.T, events <-chan sseEvent) activation.Change {
	t.Helper()
	for {
		select {
		case ev, ok := <-events:
			if !ok {
				t.Fatal("the stream ended")
			}
			if ev.Event != "change" {
				continue
			}
			var ch activation.Change
			if err := json.Unmarshal([]byte(ev.Data), &ch); err != nil {
				t.Fatalf("change %q: %v", ev.Data, err)
			}
			return ch
		case <-time.After(10 * time.Second):
			t.Fatal("timed out waiting for a change")
		}
	}
}

// wrappedWriter is a middleware's response writer.
type wrappedWriter struct{ http.ResponseWriter }

func (w wrappedWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

// rawStream opens the board stream over a plain TCP connection speaking
// proto, with a receive buffer of rcvbuf bytes (0: the default), and returns
// the connection and the response once its headers are read.
func rawStream(t *testing.T, e *env, proto string, rcvbuf int) (net.Conn, *http.Response) {
	t.Helper()
	d := net.Dialer{Control: func(_, _ string, c syscall.RawConn) error {
		if rcvbuf == 0 {
			return nil
		}
		var serr error
		err := c.Control(func(fd uintptr) { serr = syscall.SetsockoptInt(int(fd), syscall.SOL_SOCKET, syscall.SO_RCVBUF, rcvbuf) })
		if err == nil {
			err = serr
		}
		return err
	}}
	conn, err := d.Dial("tcp", strings.TrimPrefix(e.srv.URL, "http://"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	fmt.Fprintf(conn, "GET /api/v1/stream %s\r\nHost: board\r\nAuthorization: Bearer %s\r\n\r\n", proto, viewerToken)
	req, _ := http.NewRequest("GET", "/api/v1/stream", nil)
	resp, err := http.ReadResponse(bufio.NewReader(conn), req)
	if err != nil {
		t.Fatal(err)
	}
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("status %d", resp.StatusCode)
	}
	return conn, resp
}

// Changes that find a stream idle are written by the hub itself, on plain
// HTTP/1.1 and HTTP/1.0 alike, whole and in order; without ConnContext
// every change goes through the stream's handler, as before.
func TestIdleStreamsAreWrittenByTheHub(t *testing.T) {
	for _, tc := range []struct {
		name   string
		direct bool
		proto  string
	}{
		{"HTTP/1.1 with ConnContext", true, "HTTP/1.1"},
		{"HTTP/1.0 with ConnContext", true, "HTTP/1.0"},
		{"HTTP/1.1 without ConnContext", false, "HTTP/1.1"},
		{"HTTP/1.1 through a wrapped writer", false, "wrapped"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var cc func(context.Context, net.Conn) context.Context
			if tc.direct {
				cc = ConnContext
			}
			var wrap func(http.Handler) http.Handler
			if tc.proto == "wrapped" {
				// A middleware's writer: the body might be transformed.
				tc.proto, cc = "HTTP/1.1", ConnContext
				wrap = func(h http.Handler) http.Handler {
					return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { h.ServeHTTP(wrappedWriter{w}, r) })
				}
			}
			reg := prometheus.NewRegistry()
			e := newEnvServing(t, cc, wrap, func(o *Options) { o.Registerer = reg })
			e.board.coalesce = 0 // every change may go out at once
			_, resp := rawStream(t, e, tc.proto, 0)
			if chunked := len(resp.TransferEncoding) > 0; chunked != (tc.proto == "HTTP/1.1") {
				t.Fatalf("transfer encoding %v for %s", resp.TransferEncoding, tc.proto)
			}
			events := sseReader(resp.Body)
			if ev := <-events; ev.Event != "snapshot" {
				t.Fatalf("first event %q, want the snapshot", ev.Event)
			}
			const n = 40
			for i := range n {
				if tc.direct {
					waitFor(t, e.board.hub.streamsIdle)
				}
				sent := e.src.timeline("K1", activation.TimelineItem{Kind: "note", Summary: fmt.Sprintf("Eintrag %d", i)})
				got := nextChange(t, events)
				if got.Seq != sent.Seq || got.Timeline == nil || got.Timeline.Summary != sent.Timeline.Summary {
					t.Fatalf("change %d: got seq %d %+v, want seq %d %q", i, got.Seq, got.Timeline, sent.Seq, sent.Timeline.Summary)
				}
			}
			waitFor(t, func() bool { return e.board.hub.offered() == n }) // counted after the write
			direct, buffered := e.board.hub.offers[offerDirect].Load(), e.board.hub.offers[offerBuffered].Load()
			if tc.direct && direct != n || !tc.direct && (direct != 0 || buffered != n) {
				t.Fatalf("%d written by the hub, %d by the handler, %d in part; direct writes expected: %v", direct, buffered, e.board.hub.offers[offerPartly].Load(), tc.direct)
			}
			if got := gathered(t, reg, "kaskade_board_stream_batches_total", "direct"); got != float64(direct) {
				t.Fatalf("kaskade_board_stream_batches_total{path=direct} %v, want %d", got, direct)
			}
		})
	}
}

// A client that stops reading fills its socket: the hub writes what fits,
// leaves the rest of that batch to the stream's handler and buffers later
// batches for it. Once the client reads again it gets every change exactly
// once, in order, in a well-framed chunked body.
func TestAStreamThatStopsReadingGetsEverythingInOrder(t *testing.T) {
	e := newEnvServing(t, func(ctx context.Context, c net.Conn) context.Context {
		if tc, ok := c.(*net.TCPConn); ok {
			_ = tc.SetWriteBuffer(8 << 10) // fixed and small: the socket fills fast
		}
		return ConnContext(ctx, c)
	}, nil, nil)
	e.board.coalesce = 0
	conn, resp := rawStream(t, e, "HTTP/1.1", 8<<10)
	_ = conn
	const groups, perGroup = 20, 5
	big := strings.Repeat("Lagebericht ", 700) // about 8 KB per change
	var want []uint64
	for g := range groups {
		waitFor(t, func() bool { return e.board.hub.offers[offerPartly].Load() > 0 || e.board.hub.streamsIdle() })
		for i := range perGroup {
			ch := e.src.timeline("K1", activation.TimelineItem{Kind: "note", Summary: fmt.Sprintf("%d/%d %s", g, i, big)})
			want = append(want, ch.Seq)
		}
		// Let the hub hand this group out before the next, so that the
		// stream sees many batches: direct, then partly written, then buffered.
		waitFor(t, func() bool { return e.board.hub.offered() >= int64(g+1) })
	}
	if e.board.hub.offers[offerPartly].Load() == 0 {
		t.Fatalf("no direct write was cut short by the full socket (offers %d/%d/%d)",
			e.board.hub.offers[offerBuffered].Load(), e.board.hub.offers[offerDirect].Load(), e.board.hub.offers[offerPartly].Load())
	}
	events := sseReader(resp.Body)
	if ev := <-events; ev.Event != "snapshot" {
		t.Fatalf("first event %q, want the snapshot", ev.Event)
	}
	for i, seq := range want {
		if got := nextChange(t, events); got.Seq != seq || !strings.HasPrefix(got.Timeline.Summary, fmt.Sprintf("%d/%d ", i/perGroup, i%perGroup)) {
			t.Fatalf("change %d: seq %d, want %d", i, got.Seq, seq)
		}
	}
}

// streamsIdle reports whether every stream is open for direct writes,
// neither its handler nor the hub is writing to it, and its coalescing
// window is over.
func (h *hub) streamsIdle() bool {
	h.mu.Lock()
	defer h.mu.Unlock()
	for co := range h.subs {
		if !co.out.mu.TryLock() {
			return false
		}
		ok := co.out.open && co.out.rest == nil && co.idle() && time.Since(co.out.lastWrite) >= co.out.windowNow()
		co.out.mu.Unlock()
		if !ok {
			return false
		}
	}
	return len(h.subs) > 0
}

// gathered returns the value of the counter name{path} in reg.
func gathered(t *testing.T, reg *prometheus.Registry, name, path string) float64 {
	t.Helper()
	fams, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range fams {
		if f.GetName() != name {
			continue
		}
		for _, m := range f.GetMetric() {
			for _, l := range m.GetLabel() {
				if l.GetName() == "path" && l.GetValue() == path {
					return m.GetCounter().GetValue()
				}
			}
		}
	}
	t.Fatalf("%s{path=%q} not gathered", name, path)
	return 0
}

// offered counts the batches the hub handed to streams.
func (h *hub) offered() int64 {
	var n int64
	for i := range h.offers {
		n += h.offers[i].Load()
	}
	return n
}

func waitFor(t *testing.T, cond func() bool) {
	t.Helper()
	for deadline := time.Now().Add(10 * time.Second); !cond(); time.Sleep(time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatal("condition not met within 10 s")
		}
	}
}

// socketPair returns a loopback TCP connection whose sending side has a
// small fixed buffer, and its peer.
func socketPair(t *testing.T) (*net.TCPConn, net.Conn) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	peer, err := net.Dial("tcp", ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { peer.Close() })
	c, err := ln.Accept()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	tc := c.(*net.TCPConn)
	_ = tc.SetWriteBuffer(8 << 10)
	return tc, peer
}

// fillSocket writes frames directly until the socket takes one only in
// part; it returns every byte offered so far.
func fillSocket(t *testing.T, s *sink) []byte {
	t.Helper()
	var offered bytes.Buffer
	for i := range 10000 {
		f := newFrame([]*encoded{{data: bytes.Repeat([]byte{byte('a' + i%26)}, 4096)}, {data: []byte(fmt.Sprintf("|%d|", i))}})
		p := f.plain
		if s.chunked {
			p = f.chunk
		}
		offered.Write(p)
		if err := s.direct(f, time.Now()); err != nil {
			if err != errBlocked || len(s.rest) == 0 || len(s.rest) > len(p) {
				t.Fatalf("direct: %v with %d of %d bytes left", err, len(s.rest), len(p))
			}
			return offered.Bytes()
		}
	}
	t.Fatal("the socket never filled")
	return nil
}

// A direct write never waits for the socket: what does not fit is kept,
// and finish writes exactly that once the peer reads.
func TestDirectWriteKeepsWhatTheSocketDidNotTake(t *testing.T) {
	for _, chunked := range []bool{false, true} {
		c, peer := socketPair(t)
		raw, err := c.SyscallConn()
		if err != nil {
			t.Fatal(err)
		}
		s := &sink{conn: c, raw: raw, deadline: c.SetWriteDeadline, writeWait: 10 * time.Second, chunked: chunked}
		want := fillSocket(t, s)
		got := make(chan []byte)
		go func() {
			buf := make([]byte, len(want))
			if _, err := io.ReadFull(peer, buf); err != nil {
				buf = nil
			}
			got <- buf
		}()
		if err := s.finish(); err != nil || s.rest != nil {
			t.Fatalf("finish: %v, %d bytes left", err, len(s.rest))
		}
		if b := <-got; !bytes.Equal(b, want) {
			t.Fatalf("the peer read %d bytes, not the %d written (chunked %v)", len(b), len(want), chunked)
		}
	}
}

// A tail the client does not take in time closes the connection, so that
// nothing follows a torn frame.
func TestAnUnfinishedDirectWriteClosesTheConnection(t *testing.T) {
	c, _ := socketPair(t)
	raw, err := c.SyscallConn()
	if err != nil {
		t.Fatal(err)
	}
	s := &sink{conn: c, raw: raw, deadline: c.SetWriteDeadline, writeWait: 10 * time.Second, chunked: true}
	// The kernel moves data on to the peer's receive buffer, so a tail may
	// still fit at first; the peer reads nothing, so one finally does not.
	failed := false
	for range 1000 {
		fillSocket(t, s)
		if err := s.finishWithin(20 * time.Millisecond); err != nil {
			failed = true
			break
		}
	}
	if !failed {
		t.Fatal("finish kept succeeding though the peer reads nothing")
	}
	if _, err := c.Write([]byte("x")); !errors.Is(err, net.ErrClosed) {
		t.Fatalf("write after the failed finish: %v, want the connection closed", err)
	}
}

// The coalescing window grows with the streams open, from the configured
// least window up to maxWindow.
func TestCoalescingWindowGrowsWithTheStreams(t *testing.T) {
	for _, tc := range []struct {
		least   time.Duration
		streams int64
		want    time.Duration
	}{
		{time.Millisecond, 1, time.Millisecond},
		{time.Millisecond, 50, time.Millisecond},
		{time.Millisecond, 250, 5 * time.Millisecond},
		{time.Millisecond, 1000, 20 * time.Millisecond},
		{time.Millisecond, 100000, maxWindow},
		{400 * time.Millisecond, 1000, 400 * time.Millisecond},
	} {
		var n atomic.Int64
		n.Store(tc.streams)
		s := &sink{window: tc.least, streams: &n}
		if got := s.windowNow(); got != tc.want {
			t.Errorf("least %v, %d streams: window %v, want %v", tc.least, tc.streams, got, tc.want)
		}
	}
}
