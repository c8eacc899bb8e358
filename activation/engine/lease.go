package engine

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/nats-io/nats.go/jetstream"
)

// LeaseTTL is how long a dead leader blocks a successor at most.
const LeaseTTL = 3 * time.Second

// Lease elects one engine among several instances with a KV key that lives
// only while its holder renews it. Leadership alone is not trusted for
// correctness: every append is also fenced by the expected log sequence.
type Lease struct {
	kv       jetstream.KeyValue
	instance string
	log      *slog.Logger
}

// LeaseBucket names the bucket of leases.
func (l Layout) LeaseBucket() string { return l.name("LEASE") }

// NewLease opens (creating) the lease bucket. Like Ensure it retries for a
// while: instances often start while the cluster is still forming ("no
// suitable peers for placement").
func NewLease(ctx context.Context, js jetstream.JetStream, l Layout, instance string, log *slog.Logger) (*Lease, error) {
	var kv jetstream.KeyValue
	err := retryForming(ctx, func() (err error) {
		kv, err = js.CreateOrUpdateKeyValue(ctx, jetstream.KeyValueConfig{Bucket: l.LeaseBucket(), TTL: LeaseTTL,
			Replicas: max(l.Replicas, 1), Storage: jetstream.MemoryStorage, Description: "engine leadership"})
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("engine: lease bucket: %w", err)
	}
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &Lease{kv: kv, instance: instance, log: log}, nil
}

const leaseKey = "engine"

// Lead blocks until this instance holds the lease.
func (l *Lease) Lead(ctx context.Context) (context.Context, error) {
	for {
		// Bounded: a request stuck on a dead NATS node must not delay the
		// next attempt (JetStream's default would be 5 s).
		actx, cancel := context.WithTimeout(ctx, LeaseTTL/3)
		rev, err := l.kv.Create(actx, leaseKey, []byte(l.instance))
		cancel()
		if err == nil {
			lctx, cancel := context.WithCancel(ctx)
			go l.renew(lctx, cancel, rev)
			l.log.Info("engine lease acquired", "instance", l.instance)
			return lctx, nil
		}
		if !errors.Is(err, jetstream.ErrKeyExists) {
			l.log.Debug("lease attempt failed", "err", err)
		}
		select {
		case <-ctx.Done():
			return nil, ctx.Err()
		case <-time.After(LeaseTTL / 6):
		}
	}
}

func (l *Lease) renew(ctx context.Context, lost context.CancelFunc, rev uint64) {
	defer lost()
	t := time.NewTicker(LeaseTTL / 3)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			// Hand over quickly on a graceful stop.
			_ = l.kv.Delete(context.Background(), leaseKey, jetstream.LastRevision(rev))
			return
		case <-t.C:
			rctx, cancel := context.WithTimeout(ctx, LeaseTTL/3)
			next, err := l.kv.Update(rctx, leaseKey, []byte(l.instance), rev)
			cancel()
			if err != nil {
				l.log.Warn("engine lease lost", "instance", l.instance, "err", err)
				return
			}
			rev = next
		}
	}
}
