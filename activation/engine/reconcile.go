package engine

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/kaskade-bcm/kaskade/activation"
	"github.com/kaskade-bcm/kaskade/notifiers"
)

// claimCancelled prefixes the claim of an attempt a stand-down stopped.
const claimCancelled = "stood_down "

// reconcile settles an attempt claimed before whose outcome was never
// reported: a cancelled one is reported again; otherwise the provider is
// asked (when the channel can tell) for a message with its text created
// between its latest try and the next try of another attempt to the same
// person (nextTry; the call follows the take at once; NATS and provider clocks are assumed
// within a second). Found: recorded as sent. Not found: sent now under a
// create-only resend claim (a further one when a crash cut the last resend
// short, up to maxResends). Channels that cannot tell report it unknown,
// covered by the next escalation step.
func (d *dispatcher) reconcile(ctx context.Context, m reqMsg, r request, notifier notifiers.Notifier) {
	entry, err := d.claims.Get(ctx, r.n.ID)
	if err != nil {
		_ = m.NakWithDelay(time.Second)
		return
	}
	if strings.HasPrefix(string(entry.Value()), claimCancelled) {
		d.finish(ctx, m, r, activation.Delivery{State: notifiers.StateFailed, Code: CodeStoodDown, Detail: "incident stood down before sending"})
		return
	}
	rec, ok := notifier.(notifiers.Reconciler)
	if !ok {
		d.finish(ctx, m, r, activation.Delivery{State: notifiers.StateUnknown, Detail: "claimed before a restart; outcome unknown, not resent"})
		return
	}
	if age := time.Since(entry.Created()); age < d.opts.ReconcileAfter {
		_ = m.NakWithDelay(d.opts.ReconcileAfter - age) // the claimant's call may still be under way
		return
	}
	msg, err := d.opts.Composer.Compose(r.n, r.decl)
	if err != nil {
		d.finish(ctx, m, r, activation.Delivery{State: notifiers.StateUnknown, Detail: "claimed before a restart; cannot compose to look it up"})
		return
	}
	// The claim's latest write is its latest take: the try whose outcome
	// is unknown (tries before it were refused, so nothing is older).
	until, err := d.nextTry(ctx, r, entry.Created())
	if err != nil {
		_ = m.NakWithDelay(time.Second)
		return
	}
	rcpt, found, err := rec.Lookup(ctx, msg, entry.Created(), until)
	switch {
	case err != nil:
		d.e.log.Warn("provider lookup failed; will retry", "notification", r.n.ID, "err", err)
		_ = m.NakWithDelay(5 * time.Second)
		return
	case found:
		d.e.log.Info("unknown attempt found at the provider", "notification", r.n.ID, "provider_id", rcpt.ProviderID)
		d.e.opts.Metrics.Outcome(r.n.Channel, "reconciled")
		d.finish(ctx, m, r, activation.Delivery{State: rcpt.State, ProviderID: rcpt.ProviderID, Code: rcpt.Code, Detail: rcpt.Detail})
		return
	case r.stopped():
		d.finish(ctx, m, r, activation.Delivery{State: notifiers.StateFailed, Code: CodeStoodDown, Detail: "not at the provider; incident stood down"})
		return
	}
	// Not found: no try under the claim or an earlier resend claim reached
	// the provider (their calls have ended). The next resend claim sends it.
	for i := 1; ; i++ {
		key := resendKey(r.n.ID, i)
		h, err := d.take(ctx, key, d.opts.Instance)
		if err == nil {
			d.e.log.Info("unknown attempt not at the provider; sending it now", "notification", r.n.ID, "resend", i)
			d.e.opts.Metrics.Outcome(r.n.Channel, "resent")
			d.sendAndReport(ctx, m, notifier, r, h, false)
			return
		}
		if !errors.Is(err, jetstream.ErrKeyExists) {
			_ = m.NakWithDelay(time.Second)
			return
		}
		if wait := d.resendPending(ctx, key); wait > 0 {
			_ = m.NakWithDelay(wait) // look again: the resend may show up at the provider
			return
		}
		if i == maxResends {
			d.finish(ctx, m, r, activation.Delivery{State: notifiers.StateUnknown, Detail: "resent after a restart, outcome unknown again"})
			return
		}
	}
}

// maxResends bounds how often an attempt is sent again after crashes cut
// its tries short, each under a create-only claim of its own (resendKey).
const maxResends = 3

// resendKey is the claim of an attempt's i-th resend (i ≥ 1).
func resendKey(id string, i int) string {
	if i == 1 {
		return id + ".resend"
	}
	return id + ".resend" + strconv.Itoa(i)
}

// resendPending returns how long to wait before looking again at an attempt
// whose resend claim another dispatcher holds: its try may still be under
// way (a young claim), or it is a retry mark (taken over then). Zero: the
// resend's try has ended.
func (d *dispatcher) resendPending(ctx context.Context, key string) time.Duration {
	e, err := d.claims.Get(ctx, key)
	if err != nil {
		return time.Second
	}
	if _, mark := parseRetryMark(e.Value()); mark {
		return d.opts.RetryBackoff
	}
	return max(d.opts.ReconcileAfter-time.Since(e.Created()), 0)
}

// nextTry returns when the next try of another attempt to the same person
// over the same channel began after at (zero when none): its message, not
// this attempt's, is the one created from then on (a repeat has the same
// text). Decision order does not matter: a retried earlier attempt may send
// after a later one.
func (d *dispatcher) nextTry(ctx context.Context, r request, at time.Time) (time.Time, error) {
	var ids []string
	d.e.View(func(c *activation.Core) { ids = c.Attempts(r.incident, r.n.Person, r.n.Channel) })
	return d.firstTryAfter(ctx, ids, r.n.ID, at, time.Now())
}

// firstTryAfter is the earliest try after at of the attempts ids other than
// self, their claims and resend claims read at now.
func (d *dispatcher) firstTryAfter(ctx context.Context, ids []string, self string, at, now time.Time) (time.Time, error) {
	var next time.Time
	for _, id := range ids {
		if id == self {
			continue
		}
		for i := 0; i <= maxResends; i++ {
			key := id
			if i > 0 {
				key = resendKey(id, i)
			}
			t, err := d.tryTime(ctx, key, now)
			if err != nil {
				return time.Time{}, err
			}
			if t.IsZero() && i > 0 {
				break // no such resend, nor any later one
			}
			if t.After(at) && (next.IsZero() || t.Before(next)) {
				next = t
			}
		}
	}
	return next, nil
}

// tryTime returns when the latest try under key began: a claim's latest
// write is its latest take. Zero when nothing was sent under it (none,
// stood down); now for a retry mark, written after a refused try (its next
// try comes later).
func (d *dispatcher) tryTime(ctx context.Context, key string, now time.Time) (time.Time, error) {
	e, err := d.claims.Get(ctx, key)
	switch {
	case errors.Is(err, jetstream.ErrKeyNotFound):
		return time.Time{}, nil
	case err != nil:
		return time.Time{}, fmt.Errorf("engine: read claim %s: %w", key, err)
	case bytes.HasPrefix(e.Value(), []byte(claimCancelled)):
		return time.Time{}, nil
	}
	if _, mark := parseRetryMark(e.Value()); mark {
		return now, nil
	}
	return e.Created(), nil
}

// finish reports dl for the request and acknowledges it.
func (d *dispatcher) finish(ctx context.Context, m reqMsg, r request, dl activation.Delivery) {
	dl.Notification = r.n.ID
	d.report(ctx, r.incident, dl)
	_ = m.Ack()
}
