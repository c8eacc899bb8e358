package twilio_test

import (
	"bytes"
	"log/slog"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/kaskade-bcm/kaskade/notifiers/twilio"
)

// syncBuffer is a log sink safe for concurrent handlers.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// TestRejectedSignaturesLogBounded: a flood of unsigned posts (anyone can
// send them) writes a few log lines a minute, not one per request, and the
// next line says how many were left out.
func TestRejectedSignaturesLogBounded(t *testing.T) {
	var buf syncBuffer
	now := time.Date(2026, 12, 3, 4, 0, 0, 0, time.UTC)
	var mu sync.Mutex
	clock := func() time.Time { mu.Lock(); defer mu.Unlock(); return now }
	w := twilio.NewWebhooks(twilio.WebhookOptions{PublicURL: "https://kaskade.example.de", AuthTokens: []string{"tok"},
		Inbound: &recorder{}, Logger: slog.New(slog.NewTextHandler(&buf, nil)), Clock: clock})
	form := url.Values{"From": {"+4915100000001"}, "Body": {"1"}}
	for range 1000 {
		if rr := post(t, w.SMS(), "/webhooks/twilio/sms", form, "forged"); rr.Code != 403 {
			t.Fatalf("status %d, want 403", rr.Code)
		}
	}
	if n := strings.Count(buf.String(), "signature rejected"); n == 0 || n > 10 {
		t.Fatalf("%d log lines for 1000 rejected posts, want 1..10", n)
	}
	mu.Lock()
	now = now.Add(time.Minute)
	mu.Unlock()
	post(t, w.SMS(), "/webhooks/twilio/sms", form, "forged")
	lines := strings.Split(strings.TrimSpace(buf.String()), "\n")
	if last := lines[len(lines)-1]; !strings.Contains(last, "suppressed_before=995") {
		t.Fatalf("last line %q does not count the lines left out", last)
	}
}
