package answer

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/kaskade-bcm/kaskade/activation/engine"
)

// Seen remembers the provider ids of recorded inbound messages (Twilio
// MessageSid, email Message-ID), across restarts and instances, so that a
// replay after the input stream's 2-minute dedup window records nothing.
type Seen interface {
	// Lookup returns the answer given the first time key was recorded.
	Lookup(ctx context.Context, key string) (answer string, found bool, err error)
	// Remember stores key with that answer once; an existing key is kept.
	Remember(ctx context.Context, key, answer string) error
}

// SeenKV is Seen over the engine's bucket (engine.Layout.InboundSeenBucket,
// 72 h TTL).
type SeenKV struct{ KV jetstream.KeyValue }

func (s SeenKV) Lookup(ctx context.Context, key string) (string, bool, error) {
	e, err := s.KV.Get(ctx, key)
	switch {
	case errors.Is(err, jetstream.ErrKeyNotFound):
		return "", false, nil
	case err != nil:
		return "", false, fmt.Errorf("answer: seen %s: %w", key, err)
	}
	return string(e.Value()), true, nil
}

func (s SeenKV) Remember(ctx context.Context, key, answer string) error {
	if _, err := s.KV.Create(ctx, key, []byte(answer)); err != nil && !errors.Is(err, jetstream.ErrKeyExists) {
		return fmt.Errorf("answer: remember %s: %w", key, err)
	}
	return nil
}

// seenKey names a provider id in the bucket: a hash, because Message-IDs
// may hold any character and the bucket need not hold them in clear.
// "" when there is no id to deduplicate by.
func seenKey(channel string, parts ...string) string {
	if len(parts) == 0 || parts[len(parts)-1] == "" {
		return ""
	}
	h := sha256.New()
	h.Write([]byte(channel))
	for _, p := range parts {
		h.Write([]byte{0})
		h.Write([]byte(p))
	}
	return channel + "." + hex.EncodeToString(h.Sum(nil)[:16])
}

// seenOpener is what an engine offers when it has the bucket.
type seenOpener interface {
	InboundSeen(ctx context.Context) (jetstream.KeyValue, error)
}

var _ seenOpener = (*engine.Engine)(nil)

// seen returns s.Seen, opening the engine's bucket on first use; nil when
// neither is there (fakes in tests).
func (s *Service) seen(ctx context.Context) (Seen, error) {
	s.seenMu.Lock()
	defer s.seenMu.Unlock()
	if s.Seen != nil {
		return s.Seen, nil
	}
	o, ok := s.Engine.(seenOpener)
	if !ok {
		return nil, nil
	}
	var kv jetstream.KeyValue
	err := s.retry(ctx, func(ctx context.Context) (err error) {
		kv, err = o.InboundSeen(ctx)
		return err
	})
	if err != nil {
		return nil, err
	}
	s.Seen = SeenKV{KV: kv}
	return s.Seen, nil
}

// once records an inbound message unless its key was recorded before, and
// then answers as the first time did. The key is written only after record
// has durably submitted the input: a failed attempt can be retried, and
// deliveries racing each other are deduplicated by the input's message id.
func (s *Service) once(ctx context.Context, key string, record func() (string, error)) (answer string, replay bool, err error) {
	if key == "" {
		answer, err = record()
		return answer, false, err
	}
	seen, err := s.seen(ctx)
	if err != nil {
		return "", false, err
	}
	if seen == nil {
		answer, err = record()
		return answer, false, err
	}
	var found bool
	if err := s.retry(ctx, func(ctx context.Context) (err error) {
		answer, found, err = seen.Lookup(ctx, key)
		return err
	}); err != nil {
		return "", false, err
	}
	if found {
		return answer, true, nil
	}
	if answer, err = record(); err != nil {
		return "", false, err
	}
	if err := s.retry(ctx, func(ctx context.Context) error { return seen.Remember(ctx, key, answer) }); err != nil {
		// Recorded; only a replay after the stream's dedup window could repeat it.
		s.log().Warn("answer recorded but its provider id not remembered", "key", key, "err", err)
	}
	return answer, false, nil
}

// retry runs f until it succeeds or RetryFor (default 12 s) has passed,
// with backoff; the error then wraps engine.ErrUnavailable.
func (s *Service) retry(ctx context.Context, f func(ctx context.Context) error) error {
	retry := s.RetryFor
	if retry <= 0 {
		retry = 12 * time.Second
	}
	ctx, cancel := context.WithTimeout(ctx, retry)
	defer cancel()
	for backoff := 100 * time.Millisecond; ; backoff = min(2*backoff, 2*time.Second) {
		err := f(ctx)
		if err == nil {
			return nil
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("%w: %w", engine.ErrUnavailable, err)
		case <-time.After(backoff):
		}
	}
}
