package engine

import (
	"context"
	"fmt"

	"github.com/nats-io/nats.go/jetstream"
)

// claim stores value under key unless the key exists (KeyValue.Create): the
// claim's revision when this caller holds it, an error matching
// jetstream.ErrKeyExists when someone claimed it before, another error when
// the outcome is unknown.
func claim(ctx context.Context, kv jetstream.KeyValue, key string, value []byte) (uint64, error) {
	rev, err := kv.Create(ctx, key, value)
	if err != nil {
		return 0, fmt.Errorf("engine: claim %s: %w", key, err)
	}
	return rev, nil
}
