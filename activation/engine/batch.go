package engine

import (
	"context"
	"errors"
	"fmt"
	"sync"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/kaskade-bcm/kaskade/activation"
)

// A decision (one batch of inputs, or one tick) appends many events, as
// atomic batches of at most atomicBatchMax (persist.go). If the process dies
// between two of them, the log holds a prefix of the decision while its
// inputs were never acknowledged. Applying that prefix would mark
// the inputs as done and lose the rest (a cascade, an escalation). So every
// event carries its batch (the stream sequence of the batch's first event)
// and the last one is marked Done: readers apply a batch only when it is
// complete. The next leader appends a batch_aborted marker for an
// incomplete tail before deciding anything — an append, not a delete, so
// that late publishes of the dead writer are fenced by the sequence — and
// the tail's inputs are decided again.

// markBatch tags evs as one batch starting at stream sequence first.
func markBatch(evs []activation.Event, first uint64) {
	for i := range evs {
		evs[i].Batch, evs[i].Done = first, i == len(evs)-1
	}
}

// assembler releases events batch by batch.
type assembler struct {
	batch   uint64
	pending []activation.Event
	// aborted batches (their notification requests must not be sent);
	// read by dispatchers, so guarded on its own.
	mu         sync.Mutex
	abortedSet map[uint64]bool
}

func (a *assembler) forgetAborted() {
	a.mu.Lock()
	a.abortedSet = nil
	a.mu.Unlock()
}

// add takes the next event of the log and returns the events that may now
// be applied. Quarantined messages never reach it (quarantine.go).
func (a *assembler) add(ev activation.Event) []activation.Event {
	if ev.Kind == activation.KindBatchAborted {
		a.mu.Lock()
		if a.abortedSet == nil {
			a.abortedSet = map[uint64]bool{}
		}
		a.abortedSet[ev.Aborted] = true
		a.mu.Unlock()
		if ev.Aborted == a.batch {
			a.reset()
		}
		return nil
	}
	if ev.Batch == 0 {
		return []activation.Event{ev} // written before batches existed
	}
	if ev.Batch != a.batch {
		// A new batch while one is open: the open one was abandoned.
		a.reset()
		a.batch = ev.Batch
	}
	a.pending = append(a.pending, ev)
	if !ev.Done {
		return nil
	}
	out := a.pending
	a.reset()
	return out
}

func (a *assembler) reset() { a.batch, a.pending = 0, nil }

// abortedList returns the aborted batches (for a snapshot).
func (a *assembler) abortedList() []uint64 {
	a.mu.Lock()
	defer a.mu.Unlock()
	out := make([]uint64, 0, len(a.abortedSet))
	for b := range a.abortedSet {
		out = append(out, b)
	}
	return out
}

// restoreAborted replaces the aborted batches with a snapshot's.
func (a *assembler) restoreAborted(batches []uint64) {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.abortedSet = nil
	for _, b := range batches {
		if a.abortedSet == nil {
			a.abortedSet = map[uint64]bool{}
		}
		a.abortedSet[b] = true
	}
}

// aborted reports whether a batch was aborted after a crash.
func (e *Engine) aborted(batch uint64) bool {
	e.asm.mu.Lock()
	defer e.asm.mu.Unlock()
	return batch != 0 && e.asm.abortedSet[batch]
}

// abortIncomplete marks an unfinished batch at the end of the log as
// aborted (only a leader does this, before it decides anything).
func (e *Engine) abortIncomplete(ctx context.Context) error {
	batch := e.asm.batch // only the engine goroutine touches the open batch
	if batch == 0 {
		return nil
	}
	marker := activation.Event{V: activation.SchemaVersion, Incident: "_", Kind: activation.KindBatchAborted, Aborted: batch,
		At: e.opts.Now()}
	data, err := e.encode(&marker)
	if err != nil {
		return err
	}
	msg := nats.NewMsg(e.opts.Layout.EventSubject("_", activation.KindBatchAborted))
	msg.Data = data
	ack, err := e.opts.JS.PublishMsg(ctx, msg, jetstream.WithExpectLastSequence(e.lastSeq))
	if err != nil {
		var apiErr *jetstream.APIError
		if errors.As(err, &apiErr) && apiErr.ErrorCode == jetstream.JSErrCodeStreamWrongLastSequence {
			return ErrFenced
		}
		return fmt.Errorf("engine: abort interrupted batch %d: %w", batch, err)
	}
	e.lastSeq = ack.Sequence
	e.asm.add(marker)
	e.log.Warn("a decision was interrupted by a crash; its events are void and its inputs are decided again", "batch", batch)
	return nil
}
