package main

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

// TestBoardReaders: the readers' process opens streams --first…, records
// the readiness changes of the first --replies incidents once "record" is
// said, reports the missing ones and writes the arrivals on "collect", and
// counts the streams the server ended.
func TestBoardReaders(t *testing.T) {
	emit := make(chan struct{})
	var served atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/api/v1/stream" || r.Header.Get("Authorization") != "Bearer tok-a" {
			http.Error(w, "no", http.StatusUnauthorized)
			return
		}
		n := served.Add(1)
		fmt.Fprint(w, "retry: 3000\nevent: snapshot\ndata: {\"incidents\":[]}\n\n")
		w.(http.Flusher).Flush()
		select {
		case <-emit:
		case <-r.Context().Done():
			return
		}
		for _, id := range []string{"K1", "K9", "K0", "K1"} { // K9 is unknown, K1's second arrival ignored
			fmt.Fprintf(w, "event: change\ndata: {\"seq\":1,\"kind\":\"readiness\",\"incident_id\":%q}\n\n", id)
		}
		fmt.Fprint(w, "event: change\ndata: {\"seq\":2,\"kind\":\"timeline\",\"incident_id\":\"K2\"}\n\n")
		w.(http.Flusher).Flush()
		if n == 1 {
			return // the server ends this stream
		}
		<-r.Context().Done()
	}))
	defer srv.Close()

	dir := t.TempDir()
	write := func(name, text string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(text), 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	out := filepath.Join(dir, "seen.txt")
	args := []string{"--url", srv.URL, "--tokens", write("tokens", "tok-a\n"), "--incidents", write("inc", "K0\nK1\nK2\nK3\n"),
		"--streams", "3", "--first", "1", "--replies", "3", "--out", out, "--procs", "1"}
	inR, inW := io.Pipe()
	outR, outW := io.Pipe()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	done := make(chan error, 1)
	go func() { done <- boardReadersCmd(ctx, args, inR, outW, io.Discard); outW.Close() }()
	lines := bufio.NewScanner(outR)
	say := func(cmd string) string {
		t.Helper()
		if cmd != "" {
			if _, err := io.WriteString(inW, cmd+"\n"); err != nil {
				t.Fatal(err)
			}
		}
		if !lines.Scan() {
			t.Fatalf("%q: no answer (%v)", cmd, <-done)
		}
		return lines.Text()
	}
	if got := say(""); !strings.HasPrefix(got, "open 2 ") {
		t.Fatalf("first line %q, want open 2 …", got)
	}
	if got := say("record"); got != "recording" {
		t.Fatalf("record: %q", got)
	}
	close(emit)
	start := time.Now()
	if got := say("collect 300ms"); got != "collected 2" { // K2 never comes, on either stream
		t.Errorf("collect: %q, want collected 2", got)
	}
	if time.Since(start) < 300*time.Millisecond {
		t.Error("collect did not wait for the missing arrivals")
	}
	data, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	rows := strings.Split(strings.TrimSpace(string(data)), "\n")
	if len(rows) != 2 {
		t.Fatalf("%d rows, want 2: %q", len(rows), data)
	}
	for i, row := range rows {
		f := strings.Fields(row)
		if len(f) != 3 || f[0] == "0" || f[1] == "0" || f[2] != "0" {
			t.Errorf("row %d = %q, want two arrivals and a 0", i, row)
		}
	}
	if got := say("closed"); got != "closed 1" {
		t.Errorf("closed: %q, want closed 1", got)
	}
	inW.Close()
	if err := <-done; err != nil {
		t.Errorf("board-readers: %v", err)
	}
}

// TestProcCPU: the CPU time of this process grows with work.
func TestProcCPU(t *testing.T) {
	pid := fmt.Sprint(os.Getpid())
	before := procCPU(pid)
	for end := time.Now().Add(60 * time.Millisecond); time.Now().Before(end); {
	}
	if after := procCPU(pid); after <= before {
		t.Errorf("procCPU %s, then %s after 60 ms of work", before, after)
	}
}
