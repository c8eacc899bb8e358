package engine

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/kaskade-bcm/kaskade/notifiers"
)

// A send the provider certainly did not take (notifiers.TemporaryError:
// refused, 5xx, 429) leaves its claim as a retry mark instead of a claim:
// the request goes back to the stream with a delay (no slot or goroutine
// held while it waits), and the next dispatcher takes the mark over with a
// conditional update — one sender per try, so at most one is accepted. Only
// once RetryFor has passed since the first such failure is the step failed.

// claimRetry prefixes a retry mark: "retry <first failure, unix ms> <tries> <instance>".
const claimRetry = "retry "

// retryMark is what a retry mark records.
type retryMark struct {
	since time.Time // the first temporary failure
	tries int       // temporary failures so far
}

func (r retryMark) encode(instance string) []byte {
	return fmt.Appendf(nil, "%s%d %d %s", claimRetry, r.since.UnixMilli(), r.tries, instance)
}

// parseRetryMark reads a claim value; false when it is no retry mark.
func parseRetryMark(v []byte) (retryMark, bool) {
	rest, ok := strings.CutPrefix(string(v), claimRetry)
	if !ok {
		return retryMark{}, false
	}
	f := strings.Fields(rest)
	if len(f) < 2 {
		return retryMark{}, false
	}
	ms, err1 := strconv.ParseInt(f[0], 10, 64)
	n, err2 := strconv.Atoi(f[1])
	if err1 != nil || err2 != nil {
		return retryMark{}, false
	}
	return retryMark{since: time.UnixMilli(ms), tries: n}, true
}

// held is a claim this dispatcher holds: its key and revision, and the
// retry mark it took over (zero on a first try).
type held struct {
	key  string
	rev  uint64
	mark retryMark
}

// take claims key create-only, or takes over a retry mark left there.
// An error matching jetstream.ErrKeyExists means someone holds a claim.
func (d *dispatcher) take(ctx context.Context, key, value string) (held, error) {
	rev, err := claim(ctx, d.claims, key, []byte(value))
	if err == nil || !errors.Is(err, jetstream.ErrKeyExists) {
		return held{key: key, rev: rev}, err
	}
	entry, err := d.claims.Get(ctx, key)
	if err != nil {
		return held{}, fmt.Errorf("engine: claim %s: %w", key, err)
	}
	mark, ok := parseRetryMark(entry.Value())
	if !ok {
		return held{}, fmt.Errorf("engine: claim %s: %w", key, jetstream.ErrKeyExists)
	}
	// Conditional: of two dispatchers taking the same mark, one wins.
	rev, err = d.claims.Update(ctx, key, []byte(value), entry.Revision())
	if err != nil {
		return held{}, fmt.Errorf("engine: claim %s after a retry: %w", key, err)
	}
	return held{key: key, rev: rev, mark: mark}, nil
}

// retryLater hands back a request whose send failed temporarily, unless its
// retry budget is spent (false: report the failure now).
func (d *dispatcher) retryLater(ctx context.Context, m reqMsg, h held, channel, id string, te *notifiers.TemporaryError) bool {
	now := d.e.opts.Now()
	mark := h.mark
	if mark.since.IsZero() {
		mark.since = now
	}
	left := d.opts.RetryFor - now.Sub(mark.since)
	if left <= 0 {
		d.e.opts.Metrics.ProviderRetry(channel, RetryGivenUp)
		return false
	}
	mark.tries++
	// The send may have used up ctx (the notifier's retries sleep in it):
	// the mark gets a short deadline of its own.
	mctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), markTimeout)
	defer cancel()
	if _, err := d.claims.Update(mctx, h.key, mark.encode(d.opts.Instance), h.rev); err != nil {
		// The claim stays: reconciliation finds nothing sent and sends it then.
		d.e.log.Warn("retry mark not stored; reconciliation takes over", "notification", id, "err", err)
		_ = m.NakWithDelay(d.opts.ReconcileAfter)
		return true
	}
	wait := min(d.opts.RetryBackoff<<min(mark.tries-1, 10), 30*time.Second)
	wait = min(max(wait, te.RetryAfter), left)
	d.e.opts.Metrics.ProviderRetry(channel, RetryRetried)
	d.e.log.Info("provider failed temporarily; retrying later", "notification", id, "code", te.Code,
		"tries", mark.tries, "wait", wait, "budget_left", left)
	_ = m.NakWithDelay(wait)
	return true
}

// markTimeout bounds the write of a retry mark.
const markTimeout = 5 * time.Second

// Results of the dispatcher's retry of temporary provider failures (metric label).
const (
	RetryRetried = "retried"
	RetryGivenUp = "given_up"
)
