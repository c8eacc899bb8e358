package server

import (
	"context"
	"log/slog"
	"time"

	"github.com/kaskade-bcm/kaskade/activation/engine"
	"github.com/kaskade-bcm/kaskade/alerting/httpapi"
	"github.com/kaskade-bcm/kaskade/config"
	"github.com/kaskade-bcm/kaskade/notifiers/console"
)

// engineRetention is the configured retention as the engine applies it.
func engineRetention(r config.Retention) engine.Retention {
	return engine.Retention{Real: time.Duration(r.Real), Exercise: time.Duration(r.Exercise),
		Unattached: time.Duration(r.UnknownSenders)}
}

// eraseData removes an erased person's lines from the console outbox,
// also from files an earlier run left while the channel is off now.
func eraseData(out *console.Notifier, outbox string) httpapi.ErasePersonData {
	prune := outboxPruner(out, outbox)
	return func(_ context.Context, person string, _ []string) (map[string]int, error) {
		n, err := prune(func(e console.Entry) bool { return e.Person == person })
		return map[string]int{"outbox": n}, err
	}
}

// pruneOutbox removes the lines drop selects from every outbox file.
type pruneOutbox func(drop func(console.Entry) bool) (int, error)

// outboxPruner prunes through the console channel when it is on, else the
// files an earlier run left (they hold personal data just the same).
func outboxPruner(out *console.Notifier, outbox string) pruneOutbox {
	if out != nil {
		return out.Prune
	}
	return func(drop func(console.Entry) bool) (int, error) {
		return console.PruneFiles(outbox, console.DefaultKeep, drop)
	}
}

// outboxRetention removes outbox lines older than keep, at start and hourly.
func outboxRetention(ctx context.Context, prune pruneOutbox, keep time.Duration, now func() time.Time, log *slog.Logger) error {
	if now == nil {
		now = time.Now
	}
	for {
		cutoff := now().Add(-keep)
		if n, err := prune(func(e console.Entry) bool { return e.At.Before(cutoff) }); err != nil {
			log.Warn("outbox retention failed", "err", err)
		} else if n > 0 {
			log.Info("outbox retention: old lines removed", "lines", n)
		}
		select {
		case <-ctx.Done():
			return nil
		case <-time.After(time.Hour):
		}
	}
}
