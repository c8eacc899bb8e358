package board

import (
	"bufio"
	"fmt"
	"net"
	"net/http"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/kaskade-bcm/kaskade/activation"
)

// BenchmarkBoardStreams1000 opens 1,000 concurrent streams against a board
// whose source holds 1,000 incidents (each with the eleven ministries) and
// reports the live heap per open stream once every snapshot has arrived;
// open of the incidents are open, the rest stood down. The clients are raw
// HTTP/1.0 connections (no chunking) that stop reading after the snapshot,
// so the figure is the server's cost plus a socket each. Run it with
//
//	go test -run '^$' -bench BoardStreams1000 -benchtime 1x ./activation/board/
func BenchmarkBoardStreams1000(b *testing.B) {
	for _, open := range []int{10, 100} {
		b.Run(fmt.Sprintf("open=%d", open), func(b *testing.B) {
			for range b.N {
				benchStreams(b, 1000, 1000, open)
			}
		})
	}
}

func benchStreams(b *testing.B, streams, incidents, open int) {
	src := newFakeSource()
	orgs := make([]string, len(ministries))
	for i, m := range ministries {
		orgs[i] = m.id
	}
	for i := range incidents {
		inc := simpleIncident(fmt.Sprintf("K%d", incidents-i), t0.Add(-time.Duration(i)*time.Hour), orgs...)
		if i >= open {
			at := inc.DeclaredAt.Add(time.Hour)
			inc.Status, inc.StoodDownAt = "stood_down", &at
		}
		src.incidents = append(src.incidents, inc)
	}
	brd := New(Options{Source: src, Auth: newFakeAuth(), MaxStreams: streams, MaxStreamsPerToken: streams})
	mux := http.NewServeMux()
	brd.Register(mux)
	srv := newStreamServer(mux)
	defer srv.Close()
	defer brd.Close()
	addr := strings.TrimPrefix(srv.URL, "http://")

	before := heap()
	conns := make([]net.Conn, 0, streams)
	defer func() {
		for _, c := range conns {
			c.Close()
		}
	}()
	start := time.Now()
	var snapBytes int
	for range streams {
		c, n, err := openRawStream(addr, viewerToken)
		if err != nil {
			b.Fatal(err)
		}
		snapBytes = n
		conns = append(conns, c)
	}
	opened := time.Since(start)
	after := heap()
	perStream := float64(int64(after)-int64(before)) / float64(streams)

	// One change reaches every stream through the shared subscription.
	src.setState(src.incidents[0].ID, "MI", activation.Forming, t0)
	b.ReportMetric(perStream, "heap-B/stream")
	b.ReportMetric(float64(after-before)/(1<<20), "heap-MiB")
	b.ReportMetric(float64(snapBytes), "snapshot-B")
	b.ReportMetric(float64(opened.Microseconds())/float64(streams), "µs/open")
	b.ReportMetric(float64(runtime.NumGoroutine())/float64(streams), "goroutines/stream")
}

// openRawStream opens /api/v1/stream on a bare connection, reads up to the
// end of the snapshot event and returns the connection and how many bytes
// it read.
func openRawStream(addr, token string) (net.Conn, int, error) {
	c, err := net.Dial("tcp", addr)
	if err != nil {
		return nil, 0, err
	}
	fmt.Fprintf(c, "GET /api/v1/stream HTTP/1.0\r\nHost: %s\r\nAuthorization: Bearer %s\r\nAccept: text/event-stream\r\n\r\n", addr, token)
	r := bufio.NewReaderSize(c, 64<<10)
	n, inSnapshot := 0, false
	for {
		line, err := r.ReadString('\n')
		n += len(line)
		if err != nil {
			c.Close()
			return nil, n, fmt.Errorf("stream: %w after %d bytes", err, n)
		}
		if strings.HasPrefix(line, "HTTP/1.") && !strings.Contains(line, " 200 ") {
			c.Close()
			return nil, n, fmt.Errorf("stream: %s", strings.TrimSpace(line))
		}
		if strings.HasPrefix(line, "event: snapshot") {
			inSnapshot = true
		}
		if inSnapshot && strings.HasPrefix(line, "data: ") {
			if r.Buffered() > 1 { // the blank line ending the event
				return c, n, fmt.Errorf("stream: %d bytes after the snapshot", r.Buffered())
			}
			return c, n, nil
		}
	}
}

func heap() uint64 {
	var m runtime.MemStats
	runtime.GC()
	runtime.GC()
	runtime.ReadMemStats(&m)
	return m.HeapAlloc
}
