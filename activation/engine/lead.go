package engine

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/kaskade-bcm/kaskade/activation"
)

// lead consumes inputs and timers as the single writer of the log.
func (e *Engine) lead(ctx context.Context) error {
	// A new consumer delivers every input still in the work queue at once
	// and in order; the old one would hold back the inputs a crashed engine
	// had fetched until their AckWait ran out, and then deliver them after
	// newer ones.
	if err := e.opts.JS.DeleteConsumer(ctx, e.opts.Layout.InputStream(), "engine"); err != nil && !errors.Is(err, jetstream.ErrConsumerNotFound) {
		return fmt.Errorf("engine: reset input consumer: %w", err)
	}
	if stream, err := e.opts.JS.Stream(ctx, e.opts.Layout.InputStream()); err == nil {
		if info, err := stream.Info(ctx); err == nil {
			// Inputs below the first one still queued were all decided and acknowledged.
			e.mu.Lock()
			e.core.InputsSettledBelow(info.State.FirstSeq)
			e.mu.Unlock()
		}
	}
	cons, err := e.opts.JS.CreateOrUpdateConsumer(ctx, e.opts.Layout.InputStream(), jetstream.ConsumerConfig{
		Durable: "engine", AckPolicy: jetstream.AckExplicitPolicy, AckWait: time.Minute,
		MaxAckPending: 4 * e.opts.InputBatch, MaxDeliver: -1,
	})
	if err != nil {
		return fmt.Errorf("engine: input consumer: %w", err)
	}
	// Short pulls with heartbeats: a pull request lost while the consumer or
	// a NATS node changes leader is noticed and re-issued within seconds
	// (the default would wait 30 s, then end the iterator).
	it, err := cons.Messages(jetstream.PullMaxMessages(2*e.opts.InputBatch), jetstream.PullExpiry(5*time.Second),
		jetstream.WithMessagesErrOnMissingHeartbeat(false))
	if err != nil {
		return fmt.Errorf("engine: input messages: %w", err)
	}
	defer it.Stop()
	// However leading ends, a clean stop leaves a snapshot behind — unless
	// the core holds decisions the log does not (a failed append).
	defer func() {
		if ctx.Err() != nil && !e.unpersisted {
			e.finalSnapshot(ctx, e.running.Err() != nil)
		}
	}()
	msgs := make(chan jetstream.Msg, e.opts.InputBatch)
	fetchErr := make(chan error, 1)
	fetchCtx, stopFetch := context.WithCancel(ctx)
	defer stopFetch()
	go func() {
		for {
			m, err := it.Next()
			if err != nil {
				fetchErr <- err
				return
			}
			select {
			case msgs <- m:
			case <-fetchCtx.Done():
				return
			}
		}
	}()
	// Overdue escalations fire at once after a restart.
	if err := e.tick(ctx); err != nil {
		return err
	}
	e.retainedAt = time.Time{}
	if err := e.maybeRetain(ctx); err != nil {
		return err
	}
	timer := time.NewTimer(time.Hour)
	defer timer.Stop()
	var late lateAck
	defer late.stop()
	for {
		e.mu.RLock()
		due, ok := e.core.NextDue()
		e.mu.RUnlock()
		// Wake at least every second: the injected clock may jump (tests, NTP steps).
		wait := time.Second
		if ok {
			wait = min(max(due.Sub(e.opts.Now()), 0), time.Second)
		}
		timer.Reset(wait)
		var prep <-chan struct{} // ready while person keys are to be created
		if e.prepWanted.Load() || len(e.prepQueue) > 0 {
			prep = alwaysReady
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case err := <-fetchErr:
			if errors.Is(err, jetstream.ErrMsgIteratorClosed) && ctx.Err() != nil {
				return ctx.Err()
			}
			return fmt.Errorf("engine: input stream: %w", err)
		case m := <-msgs:
			batch := []jetstream.Msg{m}
		drain:
			for len(batch) < e.opts.InputBatch {
				select {
				case m := <-msgs:
					batch = append(batch, m)
				default:
					break drain
				}
			}
			// Timers due by now fire first: an answer decided after a wait
			// ran out must not pre-empt the escalation that wait decided.
			now := e.opts.Now()
			if err := e.tickAt(ctx, now); err != nil {
				return err
			}
			if err := e.decide(ctx, batch, now, &late); err != nil {
				return err
			}
			e.maybeSnapshot(ctx, false)
		case <-late.due():
			late.flush()
		case <-prep:
			if _, err := e.prepareKeys(ctx); err != nil {
				return err
			}
		case <-timer.C:
			if err := e.tick(ctx); err != nil {
				return err
			}
			if err := e.maybeRetain(ctx); err != nil {
				return err
			}
			e.maybeSnapshot(ctx, time.Since(e.snap.lastWrite) >= time.Second)
		}
	}
}

// alwaysReady is a closed channel: a select case that is always ready.
var alwaysReady = func() chan struct{} { c := make(chan struct{}); close(c); return c }()

// decide applies a batch of inputs at now, appends the decided events to the
// log and only then acknowledges the inputs (the last one late, ackdelay.go):
// a crash in between replays them, and the inputs already reflected in the
// log are skipped by their sequence.
func (e *Engine) decide(ctx context.Context, batch []jetstream.Msg, now time.Time, late *lateAck) error {
	var out []activation.Event
	shredded := false
	e.mu.Lock()
	e.unpersisted = true
	for _, m := range batch {
		meta, err := m.Metadata()
		if err != nil {
			continue
		}
		seq := meta.Sequence.Stream
		if e.core.InputApplied(seq) {
			continue
		}
		ins, err := decodeInputs(m)
		if err != nil {
			// Recorded as rejected (its sequence stays accounted for), acknowledged below.
			e.quarantine(QuarantineInput, seq, fmt.Errorf("undecodable input (%T)", err))
			ins = []activation.Input{{Incident: "_"}}
		}
		for _, in := range ins {
			in.Seq = seq
			if in.Erase != nil {
				ev, err := e.decideErase(ctx, in)
				if err != nil {
					e.mu.Unlock()
					return err
				}
				e.core.Apply(ev)
				out, shredded = append(out, ev), true
				continue
			}
			evs, err := e.core.Handle(in, now)
			if err != nil {
				e.log.Info("input rejected", "seq", seq, "incident", in.Incident, "err", err)
			}
			out = append(out, evs...)
		}
		if e.deciding == nil {
			e.deciding = map[uint64]struct{}{}
		}
		e.deciding[seq] = struct{}{}
	}
	e.mu.Unlock()
	if err := e.persist(ctx, out); err != nil {
		return err
	}
	e.mu.Lock()
	clear(e.deciding)
	e.mu.Unlock()
	e.unpersisted = false
	for _, m := range batch[:len(batch)-1] {
		if err := m.Ack(); err != nil {
			e.log.Warn("input ack failed; it will be redelivered and skipped", "err", err)
		}
	}
	late.hold(batch[len(batch)-1])
	if shredded {
		return errRebuild // the projection holds what was shredded
	}
	e.signalProgress(out)
	return nil
}

func (e *Engine) tick(ctx context.Context) error { return e.tickAt(ctx, e.opts.Now()) }

// tickAt decides the timers due at now.
func (e *Engine) tickAt(ctx context.Context, now time.Time) error {
	e.mu.Lock()
	e.unpersisted = true
	out := e.core.Tick(now)
	e.mu.Unlock()
	if err := e.persist(ctx, out); err != nil {
		return err
	}
	e.unpersisted = false
	if len(out) == 0 {
		return nil
	}
	e.signalProgress(out)
	return nil
}

func (e *Engine) incidentInfo(id string) (bool, time.Time) {
	e.mu.RLock()
	defer e.mu.RUnlock()
	if v, ok := e.core.Declaration(id); ok {
		at, _ := e.core.DeclaredAt(id)
		return v.Exercise, at
	}
	return false, time.Time{}
}
