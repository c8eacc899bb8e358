package ack

import (
	"bytes"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
)

// TestInvalidTokensLogBounded: anyone can request /ack/<garbage>; a flood
// writes a few log lines a minute, and the next line counts those left out.
func TestInvalidTokensLogBounded(t *testing.T) {
	c := &clock{t: time.Date(2026, 3, 1, 3, 12, 0, 0, time.UTC)}
	var buf bytes.Buffer
	mux := http.NewServeMux()
	mux.Handle("/ack/{token}", NewHandler(HandlerOptions{Signer: newTestSigner(t, c, key1), Sink: &fakeSink{now: c.now},
		Now: c.now, Location: time.UTC, Logger: slog.New(slog.NewTextHandler(&buf, nil))}))
	get := func() {
		rr := httptest.NewRecorder()
		mux.ServeHTTP(rr, httptest.NewRequest(http.MethodGet, "/ack/garbage", nil))
		if rr.Code != http.StatusBadRequest {
			t.Fatalf("status %d, want 400", rr.Code)
		}
	}
	for range 1000 {
		get()
	}
	if n := strings.Count(buf.String(), "invalid token"); n == 0 || n > 10 {
		t.Fatalf("%d log lines for 1000 invalid tokens, want 1..10", n)
	}
	c.t = c.t.Add(time.Minute)
	get()
	lines := strings.Split(strings.TrimSpace(buf.String()), "\n")
	if last := lines[len(lines)-1]; !strings.Contains(last, "suppressed_before=995") {
		t.Fatalf("last line %q does not count the lines left out", last)
	}
}
