package board

import (
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"reflect"
	"strconv"
	"sync"
	"sync/atomic"
	"syscall"
	"time"
)

// A stream's events are written by its handler or, for a change batch that
// finds the stream idle (nothing pending, nobody writing, the coalescing
// window over), by the hub itself: one non-blocking write of the batch's
// shared bytes per stream, instead of waking a thousand handlers for every
// change. What a full socket does not take is finished by the handler.
// Direct writes need the connection's socket (ConnContext) and plain
// HTTP/1.x; TLS and HTTP/2 streams are always written by their handler.

type connKey struct{}

// ConnContext is an http.Server ConnContext that makes each connection
// available to the board's streams for direct writes.
func ConnContext(ctx context.Context, c net.Conn) context.Context {
	return context.WithValue(ctx, connKey{}, c)
}

// rawConn returns the request's connection and socket when events may be
// written to it beside net/http: plain TCP (or Unix) HTTP/1.x, with
// ConnContext installed, and w net/http's own writer (a wrapper might
// transform the body, which direct writes would bypass).
func rawConn(w http.ResponseWriter, r *http.Request) (net.Conn, syscall.RawConn, bool) {
	if r.TLS != nil || r.ProtoMajor != 1 || reflect.TypeOf(w).String() != "*http.response" {
		return nil, nil, false
	}
	c, ok := r.Context().Value(connKey{}).(net.Conn)
	if !ok {
		return nil, nil, false
	}
	sc, ok := c.(syscall.Conn)
	if !ok {
		return nil, nil, false
	}
	raw, err := sc.SyscallConn()
	return c, raw, err == nil
}

// sink is one stream's output. mu is held by whoever writes.
type sink struct {
	mu        sync.Mutex
	w         io.Writer // the response (the handler's writes)
	rc        *http.ResponseController
	deadline  func(time.Time) error // the connection's write deadline
	conn      net.Conn              // closed when a direct write cannot be completed
	raw       syscall.RawConn       // nil: no direct writes
	chunked   bool                  // HTTP/1.1: the body is chunk-framed
	open      bool                  // the snapshot is out and the handler runs: direct writes allowed
	rest      []byte                // the unwritten tail of a direct write; written before anything else
	lastWrite time.Time
	window    time.Duration // the least coalescing window (windowNow)
	streams   *atomic.Int64 // the streams open
	writeWait time.Duration
}

// windowNow is the least time between two writes to the stream within a
// burst: the configured window, or more with many streams open, so that
// their writes in a sustained burst cost at most about half a core.
func (s *sink) windowNow() time.Duration {
	return max(s.window, min(time.Duration(s.streams.Load())*windowPerStream, maxWindow))
}

// The coalescing window grows by windowPerStream per open stream, up to
// maxWindow (20 ms at the 1,000-stream cap).
const (
	windowPerStream = 20 * time.Microsecond
	maxWindow       = 50 * time.Millisecond
)

// errBlocked: the socket took only part of a direct write (or none).
var errBlocked = errors.New("board: stream socket full")

// frame is a batch's events as written directly: chunk-framed for HTTP/1.1.
type frame struct{ plain, chunk []byte }

func newFrame(encs []*encoded) *frame {
	n := 0
	for _, e := range encs {
		n += len(e.data)
	}
	head := strconv.FormatInt(int64(n), 16) + "\r\n"
	chunk := make([]byte, 0, len(head)+n+2)
	chunk = append(chunk, head...)
	for _, e := range encs {
		chunk = append(chunk, e.data...)
	}
	chunk = append(chunk, "\r\n"...)
	return &frame{plain: chunk[len(head) : len(head)+n], chunk: chunk}
}

// How a stream took a batch (the hub counts them).
const (
	offerBuffered = iota // for its handler
	offerDirect          // written whole by the hub
	offerPartly          // written in part by the hub, the rest left to the handler
)

// offer hands a batch to one stream: written directly when the stream is
// idle, otherwise buffered for its handler, which is woken.
func (c *coalescer) offer(encs []*encoded, f *frame) int {
	s := &c.out
	if s.mu.TryLock() {
		now := time.Now() // after the lock: the last write may just have ended
		if s.open && s.rest == nil && now.Sub(s.lastWrite) >= s.windowNow() && c.idle() {
			err := s.direct(f, now)
			s.mu.Unlock()
			if err != nil {
				c.signal() // the handler finishes the write or ends the stream
				return offerPartly
			}
			return offerDirect
		}
		s.mu.Unlock()
	}
	c.addBatch(encs)
	return offerBuffered
}

// direct writes f without blocking; mu is held. Whatever the socket does
// not take (all of it on an error) is left in rest for the handler, which
// also reports the error.
func (s *sink) direct(f *frame, now time.Time) error {
	p := f.plain
	if s.chunked {
		p = f.chunk
	}
	var n int
	var werr error
	err := s.raw.Write(func(fd uintptr) bool {
		n, werr = syscall.Write(int(fd), p)
		return true // one attempt: never wait for the socket
	})
	n = max(n, 0)
	if err == nil && werr == nil && n == len(p) {
		s.lastWrite = now
		return nil
	}
	s.rest = p[n:] // frames are never modified once built
	return errBlocked
}

// finish writes what a direct write left over, waiting up to writeWait for
// the socket; mu is held.
func (s *sink) finish() error { return s.finishWithin(s.writeWait) }

// finishWithin is finish waiting up to wait. A tail that cannot be written
// closes the connection: the client must never read more after a torn frame.
func (s *sink) finishWithin(wait time.Duration) (err error) {
	if len(s.rest) == 0 {
		return nil
	}
	defer func() {
		if err != nil && s.conn != nil {
			s.open = false
			s.conn.Close()
		}
	}()
	_ = s.deadline(time.Now().Add(wait))
	defer s.deadline(time.Time{})
	for len(s.rest) > 0 {
		var n int
		var werr error
		err := s.raw.Write(func(fd uintptr) bool {
			n, werr = syscall.Write(int(fd), s.rest)
			return !errors.Is(werr, syscall.EAGAIN) // false: wait until writable
		})
		if err == nil {
			err = werr
		}
		if err != nil {
			return err
		}
		s.rest = s.rest[max(n, 0):]
	}
	s.rest = nil
	return nil
}

// flush sends what the handler wrote through net/http, within writeWait;
// mu is held. The deadline is cleared afterwards: direct writes never wait,
// and an expired deadline would refuse them.
func (s *sink) flush() error {
	_ = s.deadline(time.Now().Add(s.writeWait))
	defer s.deadline(time.Time{})
	if err := s.rc.Flush(); err != nil && !errors.Is(err, http.ErrNotSupported) {
		return err
	}
	s.lastWrite = time.Now()
	return nil
}
