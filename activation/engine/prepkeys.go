package engine

import (
	"context"
	"fmt"
)

// Person keys are created ahead of the first alert: the leader creates the
// key of every configured person without one, a few thousand between
// decisions, the first time this instance leads (not when it rebuilds after
// an erasure) and after each PrepareKeys. Alerts create missing keys as before.

// prepChunk is how many person keys are created between two decisions.
const prepChunk = 2000

// PrepareKeys asks the leader to create the keys of the configured people
// that have none (after a configuration reload).
func (e *Engine) PrepareKeys() { e.prepWanted.Store(true) }

// KeysPending reports how many configured people still wait for their key
// (-1 until the leader has looked).
func (e *Engine) KeysPending() int { return int(e.prepLeft.Load()) }

// prepareKeys creates the next chunk of missing person keys (engine
// goroutine, leader only); it reports whether any are left.
func (e *Engine) prepareKeys(ctx context.Context) (bool, error) {
	if !e.opts.Seal || e.opts.People == nil {
		e.prepWanted.Store(false)
		e.prepLeft.Store(0)
		return false, nil
	}
	if err := e.keys.ensureLoaded(ctx); err != nil {
		return false, err
	}
	if e.prepWanted.Swap(false) {
		e.prepQueue = e.prepQueue[:0]
		for _, p := range e.opts.People() {
			if e.keys.ref(p) == "" {
				e.prepQueue = append(e.prepQueue, p)
			}
		}
	}
	pending := makeNewKeys()
	for len(e.prepQueue) > 0 && len(pending.recs) < prepChunk {
		p := e.prepQueue[len(e.prepQueue)-1]
		e.prepQueue = e.prepQueue[:len(e.prepQueue)-1]
		if _, err := e.keys.personRef(p, pending); err != nil {
			return false, err
		}
	}
	if err := e.keys.create(ctx, pending); err != nil {
		return false, fmt.Errorf("engine: prepare person keys: %w", err)
	}
	e.prepLeft.Store(int64(len(e.prepQueue)))
	return len(e.prepQueue) > 0, nil
}
