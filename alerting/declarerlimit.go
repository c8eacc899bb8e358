package alerting

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/kaskade-bcm/kaskade/activation/web"
)

// Rate is a token bucket: Burst at once, then one more every Every; a
// negative Burst means unlimited, a zero Rate the default.
type Rate struct {
	Burst int
	Every time.Duration
}

// DeclarerRates bound the declarations of each NATS declarer identity, real
// incidents and exercises apart, like server.declaration_rate bounds an API
// token: a runaway or compromised system cannot alert everyone again and again.
type DeclarerRates struct {
	Real, Exercise Rate
}

// DefaultDeclarerRates are the API's defaults (10/1h real, 60/1h exercises).
var DefaultDeclarerRates = DeclarerRates{
	Real:     Rate{Burst: 10, Every: 6 * time.Minute},
	Exercise: Rate{Burst: 60, Every: time.Minute},
}

// declarerLimits holds one bucket per declarer name and kind.
type declarerLimits struct {
	real, exercise *web.Buckets
}

func newDeclarerLimits(r DeclarerRates, now func() time.Time) declarerLimits {
	if r.Real == (Rate{}) {
		r.Real = DefaultDeclarerRates.Real
	}
	if r.Exercise == (Rate{}) {
		r.Exercise = DefaultDeclarerRates.Exercise
	}
	return declarerLimits{real: web.NewBuckets(r.Real.Burst, r.Real.Every, now),
		exercise: web.NewBuckets(r.Exercise.Burst, r.Exercise.Every, now)}
}

func (l declarerLimits) bucket(exercise bool) (*web.Buckets, string) {
	if exercise {
		return l.exercise, "exercises"
	}
	return l.real, "real incidents"
}

// declarerAllowed refuses a new declaration of declarer name beyond its rate
// (rate_limited); a repeat of one it already made passes, to get its incident.
func (i *Intake) declarerAllowed(ctx context.Context, name string, d Declaration, raw []byte) error {
	b, kind := i.limits.bucket(d.Exercise)
	limited, retry := b.Limited(name)
	if !limited {
		return nil
	}
	seen, err := i.seen(ctx, d, raw, name+"\x00")
	if err != nil || seen {
		return err
	}
	i.warnThrottled("rate:"+name+":"+kind, "declaration refused: declarer over its rate", "declarer", name, "kind", kind)
	return errorf(CodeRateLimited, "too many %s declared by %s; try again in %s", kind, name, retry.Round(time.Second))
}

// seen reports whether the declaration is one the intake already turned into
// an open incident (the same client id, or the same bytes while open).
func (i *Intake) seen(ctx context.Context, d Declaration, raw []byte, scope string) (bool, error) {
	bucket, key := i.dedupKey(d, raw, scope)
	e, err := bucket.Get(ctx, key)
	switch {
	case errors.Is(err, jetstream.ErrKeyNotFound):
		return false, nil
	case err != nil:
		return false, unavailable(err)
	case string(e.Value()) == pending:
		return false, nil
	case bucket == i.ids:
		return true, nil
	}
	closed, err := i.stoodDown(ctx, string(e.Value()))
	if err != nil {
		return false, fmt.Errorf("alerting: declarer limit: %w", err)
	}
	return !closed, nil
}

// dedupKey is where declareWith records a declaration: its client id, else its bytes.
func (i *Intake) dedupKey(d Declaration, raw []byte, scope string) (jetstream.KeyValue, string) {
	if d.ID != "" {
		return i.ids, "id-" + hashKey([]byte(scope+d.ID))
	}
	return i.recent, "raw-" + hashKey(append([]byte(scope), raw...))
}
