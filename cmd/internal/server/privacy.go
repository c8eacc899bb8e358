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
	return func(_ context.Context, person string, _ []string) (map[string]int, error) {
		drop := func(e console.Entry) bool { return e.Person == person }
		var n int
		var err error
		if out != nil {
			n, err = out.Prune(drop)
		} else {
			n, err = console.PruneFiles(outbox, console.DefaultKeep, drop)
		}
		return map[string]int{"outbox": n}, err
	}
}

// outboxRetention removes outbox lines older than keep, at start and hourly.
func outboxRetention(ctx context.Context, out *console.Notifier, keep time.Duration, now func() time.Time, log *slog.Logger) error {
	if now == nil {
		now = time.Now
	}
	for {
		cutoff := now().Add(-keep)
		if n, err := out.Prune(func(e console.Entry) bool { return e.At.Before(cutoff) }); err != nil {
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
