package engine

import (
	"context"
	"fmt"

	"github.com/kaskade-bcm/kaskade/activation"
)

// A decision (one batch of inputs, or one tick) appends many events. If the
// process dies half-way through, the log holds a prefix of the decision
// while its inputs were never acknowledged. Applying that prefix would mark
// the inputs as done and lose the rest (a cascade, an escalation). So every
// event carries its batch (the stream sequence of the batch's first event)
// and the last one is marked Done: readers apply a batch only when it is
// complete, and the next leader deletes an incomplete tail before deciding,
// so its inputs are decided again.

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
	seqs    []uint64
}

// add takes the next event of the log (with its stream sequence) and
// returns the events that may now be applied.
func (a *assembler) add(ev activation.Event, seq uint64) []activation.Event {
	if ev.Batch == 0 {
		return []activation.Event{ev} // written before batches existed
	}
	if ev.Batch != a.batch {
		// A new batch while one is open: the open one was abandoned by a
		// writer that died, and its tail was deleted by the next leader.
		a.reset()
		a.batch = ev.Batch
	}
	a.pending = append(a.pending, ev)
	a.seqs = append(a.seqs, seq)
	if !ev.Done {
		return nil
	}
	out := a.pending
	a.reset()
	return out
}

func (a *assembler) reset() { a.batch, a.pending, a.seqs = 0, nil, nil }

// dropIncomplete deletes the events of an unfinished batch at the end of the
// log (only a leader does this, before it decides anything).
func (e *Engine) dropIncomplete(ctx context.Context) error {
	if len(e.asm.seqs) == 0 {
		return nil
	}
	stream, err := e.opts.JS.Stream(ctx, e.opts.Layout.EventsStream())
	if err != nil {
		return fmt.Errorf("engine: events stream: %w", err)
	}
	for _, seq := range e.asm.seqs {
		if err := stream.DeleteMsg(ctx, seq); err != nil {
			return fmt.Errorf("engine: delete incomplete event %d: %w", seq, err)
		}
	}
	e.log.Warn("deleted the incomplete tail of a decision interrupted by a crash; its inputs are decided again",
		"events", len(e.asm.seqs), "from", e.asm.seqs[0])
	e.asm.reset()
	return nil
}
