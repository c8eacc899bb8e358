package engine

import (
	"context"
	"fmt"

	"github.com/nats-io/nats.go/jetstream"
)

// claim stores value under key unless the key exists (KeyValue.Create): nil
// when this caller holds the claim, an error matching jetstream.ErrKeyExists
// when someone claimed it before, another error when the outcome is unknown.
func claim(ctx context.Context, kv jetstream.KeyValue, key string, value []byte) error {
	if _, err := kv.Create(ctx, key, value); err != nil {
		return fmt.Errorf("engine: claim %s: %w", key, err)
	}
	return nil
}
