package alerting

import (
	"bytes"
	"fmt"
	"log/slog"
	"strings"
	"testing"
	"time"
)

// TestRefusalsDoNotFloodTheLog: a declarer over its rate is refused as fast
// as it sends, and each refusal was a log line. One line per sender and
// minute is logged, the next one says how many were held back; another
// sender is logged at once.
func TestRefusalsDoNotFloodTheLog(t *testing.T) {
	in, _, layout := intakeOnNATS(t)
	now := time.Date(2026, 12, 3, 4, 0, 0, 0, time.UTC)
	clock := func() time.Time { return now }
	in.limits = newDeclarerLimits(DeclarerRates{Real: Rate{Burst: 1, Every: time.Hour}, Exercise: Rate{Burst: 1, Every: time.Hour}}, clock)
	in.quiet = newLogThrottle(clock)
	var logs bytes.Buffer
	in.log = slog.New(slog.NewTextHandler(&logs, nil))
	sent := 0
	flood := func(name string, n int) {
		for range n {
			sent++
			k := sent
			body := fmt.Appendf(nil, `{"scenario":"cyberangriff","organisations":["MI"],"exercise":true,"declared_by":"x","reason":"r%d"}`, k)
			_, _ = in.handleRaw(t.Context(), layout.DeclarerSubject(name), body)
		}
	}
	refusals := func() int { return strings.Count(logs.String(), "declarer over its rate") }
	flood("evil", 100)
	if got := refusals(); got != 1 {
		t.Fatalf("%d refusals logged for one sender within a minute, want 1:\n%s", got, logs.String())
	}
	flood("other", 3)
	if got := refusals(); got != 2 {
		t.Fatalf("another sender: %d refusals logged, want 2", got)
	}
	now = now.Add(logEvery)
	flood("evil", 1)
	if got := refusals(); got != 3 || !strings.Contains(logs.String(), "held_back=98") {
		t.Fatalf("a minute later: %d lines, want 3 with held_back=98:\n%s", got, logs.String())
	}
}
