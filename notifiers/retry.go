package notifiers

import (
	"context"
	"errors"
	"math/rand/v2"
	"time"
)

// RetryOptions configure the retry stage.
type RetryOptions struct {
	// Attempts is the total number of tries (default 5).
	Attempts int
	// Base is the first backoff (default 500ms); it doubles up to Max (default 30s).
	Base, Max time.Duration
	// Sleep waits; tests inject a fake. Default honours ctx.
	Sleep func(ctx context.Context, d time.Duration) error
}

func (o RetryOptions) withDefaults() RetryOptions {
	if o.Attempts <= 0 {
		o.Attempts = 5
	}
	if o.Base <= 0 {
		o.Base = 500 * time.Millisecond
	}
	if o.Max <= 0 {
		o.Max = 30 * time.Second
	}
	if o.Sleep == nil {
		o.Sleep = sleepCtx
	}
	return o
}

func sleepCtx(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}

// Retry wraps n so temporary errors are retried with jittered exponential
// backoff. Receipts (sent, failed, unknown) are never retried: an unknown
// outcome must not be resent blindly. When the attempts are used up the
// last *TemporaryError is returned: the caller (the dispatcher) retries it
// later without holding a slot, or fails the step. The result keeps n's
// Gate and Reconciler.
func Retry(n Notifier, opts RetryOptions) Notifier {
	o := opts.withDefaults()
	return Wrap(n, NotifierFunc(func(ctx context.Context, m Message) (Receipt, error) {
		backoff := o.Base
		var last error
		for i := 0; i < o.Attempts; i++ {
			r, err := n.Notify(ctx, m)
			if err == nil {
				return r, nil
			}
			last = err
			var te *TemporaryError
			if !errors.As(err, &te) {
				return r, err
			}
			if i == o.Attempts-1 {
				break
			}
			wait := backoff/2 + rand.N(backoff/2+1)
			if te.RetryAfter > wait {
				wait = te.RetryAfter
			}
			if o.Sleep(ctx, wait) != nil {
				return Receipt{}, last // still nothing accepted
			}
			backoff = min(backoff*2, o.Max)
		}
		return Receipt{}, last
	}))
}
