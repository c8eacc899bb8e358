package server

import (
	"context"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/kaskade-bcm/kaskade/notifiers"
	"github.com/kaskade-bcm/kaskade/notifiers/console"
)

// TestOutboxRetentionRemovesOldLines: with an injected clock, lines older
// than the outbox retention go, younger ones stay — also from the files an
// earlier run left while the console channel is off now.
func TestOutboxRetentionRemovesOldLines(t *testing.T) {
	for _, channelOn := range []bool{true, false} {
		t.Run(map[bool]string{true: "channel on", false: "channel off"}[channelOn], func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "outbox.jsonl")
			now := time.Date(2026, 12, 3, 3, 12, 0, 0, time.UTC)
			at := now
			out, err := console.New(console.Options{OutboxPath: path, Now: func() time.Time { return at }})
			if err != nil {
				t.Fatal(err)
			}
			defer out.Close()
			for _, age := range []time.Duration{40 * 24 * time.Hour, 31 * 24 * time.Hour, 29 * 24 * time.Hour, time.Hour} {
				at = now.Add(-age)
				if _, err := out.Notify(context.Background(), notifiers.Message{ID: "n-" + age.String(), Person: "p", Channel: "sms", To: "+4915112345678", Text: "x"}); err != nil {
					t.Fatal(err)
				}
			}
			running := out
			if !channelOn {
				if err := out.Close(); err != nil {
					t.Fatal(err)
				}
				running = nil
			}
			ctx, cancel := context.WithCancel(context.Background())
			cancel() // one pass, then it returns
			if err := outboxRetention(ctx, outboxPruner(running, path), 30*24*time.Hour, func() time.Time { return now }, slog.New(slog.DiscardHandler)); err != nil {
				t.Fatal(err)
			}
			data, err := os.ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			got := string(data)
			if strings.Contains(got, "n-960h") || strings.Contains(got, "n-744h") || !strings.Contains(got, "n-696h") || !strings.Contains(got, "n-1h0m0s") {
				t.Fatalf("outbox after retention:\n%s", got)
			}
		})
	}
}
