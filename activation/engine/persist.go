package engine

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/kaskade-bcm/kaskade/activation"
)

// A decision is appended as JetStream atomic batches (the events stream has
// AllowAtomicPublish): the server stages a batch and stores it contiguously
// on commit, and only if the log still ends where the first message expects.
// A foreign writer or a stale leader in between voids the whole batch.
// Decisions larger than one batch go out as several, each expecting the
// previous one's end; a prefix left by an interrupted one stays incomplete
// (no Done event) and is never applied (see batch.go).

// atomicBatchMax is nats-server's default limit of messages per atomic
// batch (JetStream limit max_batch_size).
const atomicBatchMax = 1000

// Atomic batch headers (nats-server ADR-50).
const (
	batchIDHeader     = "Nats-Batch-Id"
	batchSeqHeader    = "Nats-Batch-Sequence"
	batchCommitHeader = "Nats-Batch-Commit"
)

// persistHooks let tests act in the middle of a decision; nil in production.
type persistHooks struct {
	inBatch    func(i int) // after the i-th message of a batch was sent, before the commit
	afterBatch func()      // after a batch of a multi-batch decision landed
}

// persist appends a decision's events to the log, packed (pack.go), whole
// or not at all per atomic batch. ErrFenced means another writer appended first.
func (e *Engine) persist(ctx context.Context, evs []activation.Event) error {
	if len(evs) == 0 {
		return nil
	}
	markBatch(evs, e.lastSeq+1)
	stored, err := e.sealAll(ctx, evs)
	if err != nil {
		return err
	}
	size := atomicBatchMax
	if e.batchMax > 0 {
		size = e.batchMax
	}
	pack := packMaxEvents
	if e.packMax != 0 {
		pack = e.packMax
	}
	msgs := packEvents(stored, pack) // sealed events, packed
	for len(msgs) > 0 {
		n := atomicCut(msgs, size)
		if err := e.appendAtomic(ctx, msgs[:n]); err != nil {
			return err
		}
		e.lastSeq += uint64(n)
		e.snap.lastWrite = time.Now()
		sent := unpacked(msgs[:n])
		e.opts.Metrics.events(evs[:len(sent)], e.incidentInfo)
		evs, msgs = evs[len(sent):], msgs[n:]
		if e.hooks.afterBatch != nil && len(msgs) > 0 {
			e.hooks.afterBatch()
		}
	}
	return nil
}

// atomicEventsMax bounds the events (inside packs) of one atomic batch, so
// the first requests of a large fan-out land, and go out, after a part of
// the decision rather than half of it.
const atomicEventsMax = 10000

// atomicCut returns how many of msgs go into the next atomic batch: at most
// size messages and, beyond the first, atomicEventsMax events.
func atomicCut(msgs []activation.Event, size int) int {
	events := 0
	for i, m := range msgs {
		events += max(len(m.Events), 1)
		if i == size || i > 0 && events > atomicEventsMax {
			return i
		}
	}
	return len(msgs)
}

// appendAtomic publishes evs as one atomic batch after e.lastSeq. The
// staged messages need no acknowledgement: a lost one makes the server
// refuse the commit (a gap), and an uncommitted batch is dropped.
func (e *Engine) appendAtomic(ctx context.Context, evs []activation.Event) error {
	if len(evs) == 1 {
		return e.appendOne(ctx, &evs[0])
	}
	nc := e.opts.JS.Conn()
	id, err := batchID()
	if err != nil {
		return err
	}
	var msg *nats.Msg
	for i, ev := range evs {
		data, err := e.encode(&ev)
		if err != nil {
			return err
		}
		e.snap.bytes += uint64(len(data))
		msg = nats.NewMsg(e.opts.Layout.EventSubjectOf(ev))
		msg.Data = data
		msg.Header.Set(batchIDHeader, id)
		msg.Header.Set(batchSeqHeader, strconv.Itoa(i+1))
		if i == 0 {
			msg.Header.Set(jetstream.ExpectedLastSeqHeader, strconv.FormatUint(e.lastSeq, 10))
		}
		if i == len(evs)-1 {
			break
		}
		if err := nc.PublishMsg(msg); err != nil {
			return fmt.Errorf("engine: append: %w", err)
		}
		if e.hooks.inBatch != nil {
			e.hooks.inBatch(i)
		}
	}
	msg.Header.Set(batchCommitHeader, "1")
	// An unanswered commit fails the decision; if it landed after all, the
	// rebuild finds it in the log and its inputs are skipped when redelivered.
	cctx, cancel := context.WithTimeout(ctx, commitTimeout)
	defer cancel()
	reply, err := nc.RequestMsgWithContext(cctx, msg)
	if err != nil {
		return fmt.Errorf("engine: append (commit of %d events): %w", len(evs), err)
	}
	return batchAckError(reply.Data, id, len(evs), e.lastSeq+uint64(len(evs)))
}

// appendOne publishes a single message after e.lastSeq: on its own it is
// stored whole or not at all, so it needs no atomic batch (which nats-server
// stages in a temporary store of its own for every R1 batch).
func (e *Engine) appendOne(ctx context.Context, ev *activation.Event) error {
	data, err := e.encode(ev)
	if err != nil {
		return err
	}
	e.snap.bytes += uint64(len(data))
	msg := nats.NewMsg(e.opts.Layout.EventSubjectOf(*ev))
	msg.Data = data
	cctx, cancel := context.WithTimeout(ctx, commitTimeout)
	defer cancel()
	ack, err := e.opts.JS.PublishMsg(cctx, msg, jetstream.WithExpectLastSequence(e.lastSeq))
	if err != nil {
		var apiErr *jetstream.APIError
		if errors.As(err, &apiErr) && apiErr.ErrorCode == jetstream.JSErrCodeStreamWrongLastSequence {
			return ErrFenced
		}
		return fmt.Errorf("engine: append: %w", err)
	}
	if ack.Sequence != e.lastSeq+1 {
		return fmt.Errorf("%w: event stored at %d, expected %d", ErrFenced, ack.Sequence, e.lastSeq+1)
	}
	return nil
}

// commitTimeout bounds the wait for a batch's commit acknowledgement.
const commitTimeout = 10 * time.Second

// batchAckError checks the commit's acknowledgement: the server stored
// the batch (id, size) with its last event at want.
func batchAckError(data []byte, id string, size int, want uint64) error {
	var ack struct {
		jetstream.PubAck
		BatchID   string              `json:"batch"`
		BatchSize int                 `json:"count"`
		Error     *jetstream.APIError `json:"error"`
	}
	if err := json.Unmarshal(data, &ack); err != nil {
		return fmt.Errorf("engine: append: undecodable acknowledgement: %w", err)
	}
	if ack.Error != nil {
		if ack.Error.ErrorCode == jetstream.JSErrCodeStreamWrongLastSequence {
			return ErrFenced
		}
		return fmt.Errorf("engine: append: %w", ack.Error)
	}
	if ack.BatchID != id || ack.BatchSize != size {
		// A server without atomic batches stores the messages one by one.
		return fmt.Errorf("engine: append: the server did not commit an atomic batch (nats-server 2.12 or newer and allow_atomic on %s needed)", ack.Stream)
	}
	if ack.Sequence != want {
		// Cannot happen with an atomic commit; if it does, the state is not the log's.
		return fmt.Errorf("%w: batch ends at %d, expected %d", ErrFenced, ack.Sequence, want)
	}
	return nil
}

// batchID is unique per batch, so two writers never share a staged batch.
func batchID() (string, error) {
	var b [16]byte
	if _, err := rand.Read(b[:]); err != nil {
		return "", fmt.Errorf("engine: batch id: %w", err)
	}
	return hex.EncodeToString(b[:]), nil
}

// inputPersisted reports whether an input's decision is in the core and in
// the log (the caller holds mu).
func (e *Engine) inputPersisted(seq uint64) bool {
	_, deciding := e.deciding[seq]
	return !deciding && e.core.InputApplied(seq)
}
