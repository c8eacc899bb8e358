package engine

import (
	"context"
	"fmt"

	"github.com/nats-io/nats.go/jetstream"
)

// InboundSeen opens the bucket of inbound provider ids (created by Ensure)
// for the answer service's replay protection.
func (e *Engine) InboundSeen(ctx context.Context) (jetstream.KeyValue, error) {
	kv, err := e.opts.JS.KeyValue(ctx, e.opts.Layout.InboundSeenBucket())
	if err != nil {
		return nil, fmt.Errorf("engine: bucket %s: %w", e.opts.Layout.InboundSeenBucket(), err)
	}
	return kv, nil
}
