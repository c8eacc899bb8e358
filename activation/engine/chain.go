package engine

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/kaskade-bcm/kaskade/activation"
	"github.com/kaskade-bcm/kaskade/activation/audit"
)

// The log is a hash chain (activation/audit): each event's Prev is the
// hash of the stored event before it. Only the leader appends, so it keeps
// the head; every failed append ends the lead, and the next one reloads it.

// loadHead sets the chain's head to the hash of the last event in the log.
func (e *Engine) loadHead(ctx context.Context) error {
	if e.lastSeq == 0 {
		e.chain.Reset(audit.Genesis)
		return nil
	}
	stream, err := e.opts.JS.Stream(ctx, e.opts.Layout.EventsStream())
	if err != nil {
		return fmt.Errorf("engine: chain head: %w", err)
	}
	m, err := stream.GetMsg(ctx, e.lastSeq)
	if err != nil {
		return fmt.Errorf("engine: chain head (event %d): %w", e.lastSeq, err)
	}
	e.chain.Reset(audit.Hash(m.Data))
	return nil
}

// unchainedForBenchmark makes encode skip the chain: the baseline of
// BenchmarkChainAndCipher (chain_cost_bench_test.go); never set otherwise.
var unchainedForBenchmark bool

// encode links ev into the chain and returns the bytes to append.
func (e *Engine) encode(ev *activation.Event) ([]byte, error) {
	if unchainedForBenchmark {
		return json.Marshal(ev)
	}
	data, err := e.chain.Link(ev)
	if err != nil {
		return nil, fmt.Errorf("engine: encode %s: %w", ev.Kind, err)
	}
	return data, nil
}
