package engine

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/kaskade-bcm/kaskade/activation"
	"github.com/kaskade-bcm/kaskade/notifiers"
)

// Composer renders a notification request into a message for its channel.
type Composer interface {
	Compose(n activation.Notification, incident activation.Declared) (notifiers.Message, error)
}

// DispatchOptions configure the dispatcher.
type DispatchOptions struct {
	// Notifiers by channel name (sms, email, console).
	Notifiers map[string]notifiers.Notifier
	Composer  Composer
	// Workers bounds concurrent sends (default 256); each notifier bounds
	// its own provider concurrency and rate below that.
	Workers int
	// Instance names this process in claims (for forensics after a crash).
	Instance string
	// SendTimeout bounds one send including retries (default 2 minutes).
	SendTimeout time.Duration
	// ReconcileAfter is how old the claim of an attempt with an unknown
	// outcome must be before the provider is asked about it: the claimant's
	// provider call has ended by then (default 15 s).
	ReconcileAfter time.Duration
	// RetryFor is how long a send the provider certainly did not take
	// (refused, 5xx, 429) is retried before the step fails (default 2 min).
	RetryFor time.Duration
	// RetryBackoff is the first wait between such tries; it doubles up to
	// 30 s (default 5 s). The request waits in the stream, holding nothing.
	RetryBackoff time.Duration
}

// Dispatch sends requested notifications until ctx ends, then finishes those
// in flight. Requests are pulled from one durable consumer per priority
// class and wait per channel; each provider slot (notifiers.Gate) goes to
// the highest class waiting. Each attempt is claimed create-only only once
// its slot is held: a redelivered request already claimed is reconciled
// with the provider or reported unknown, never sent twice.
func (e *Engine) Dispatch(ctx context.Context, opts DispatchOptions) error {
	if opts.Workers <= 0 {
		opts.Workers = 256
	}
	if opts.SendTimeout <= 0 {
		opts.SendTimeout = 2 * time.Minute
	}
	if opts.ReconcileAfter <= 0 {
		opts.ReconcileAfter = 15 * time.Second
	}
	if opts.RetryFor <= 0 {
		opts.RetryFor = 2 * time.Minute
	}
	if opts.RetryBackoff <= 0 {
		opts.RetryBackoff = 5 * time.Second
	}
	kv, err := e.opts.JS.KeyValue(ctx, e.opts.Layout.ClaimsBucket())
	if err != nil {
		return fmt.Errorf("engine: claims bucket: %w", err)
	}
	sources, err := e.dispatchConsumers(ctx, opts.Workers)
	if err != nil {
		return err
	}
	d := &dispatcher{e: e, opts: opts, claims: kv, reports: make(chan reportReq, opts.Workers),
		sched: newScheduler(len(activation.Classes), opts.Workers), slots: make(chan struct{}, opts.Workers),
		perMsg: make([]atomic.Int32, len(activation.Classes))}
	for i := range d.perMsg {
		d.perMsg[i].Store(1)
	}
	var reporters sync.WaitGroup
	for range reportWorkers {
		reporters.Go(d.reportLoop)
	}
	defer func() {
		close(d.reports)
		reporters.Wait()
	}()
	d.hb = startHeartbeats(dispatchAckWait / 3)
	defer d.hb.close() // after the drain below: sends in flight keep their requests

	runCtx, stop := context.WithCancel(ctx)
	defer stop()
	defer d.sched.stopOn(runCtx)()
	errc := make(chan error, len(sources))
	var loops sync.WaitGroup
	for _, src := range sources {
		loops.Go(func() {
			if err := d.pull(runCtx, src); err != nil {
				errc <- err
				stop()
			}
		})
	}
	for channel, n := range opts.Notifiers {
		loops.Go(func() { d.pump(runCtx, channel, n) })
	}
	<-runCtx.Done()
	d.sched.stop()
	loops.Wait()
	d.inflight.Wait() // drain: sends in flight finish and report
	for _, q := range d.sched.drain() {
		_ = q.m.Nak() // straight to another dispatcher
		d.hb.drop(q.m)
	}
	select {
	case err := <-errc:
		if ctx.Err() == nil {
			return err
		}
	default:
	}
	return nil
}

// source is the durable consumer of one priority class.
type source struct {
	cons  jetstream.Consumer
	class int
	name  string
}

// dispatchConsumers creates one durable pull consumer per class (its
// requests and the packs holding them), plus the one of requests written
// before classes ("dispatch", dispatched as the highest class; it keeps
// its position in the log).
func (e *Engine) dispatchConsumers(ctx context.Context, workers int) ([]source, error) {
	l := e.opts.Layout
	cfgs := []jetstream.ConsumerConfig{{Durable: "dispatch", FilterSubject: l.LegacyNotificationFilter()}}
	for _, c := range activation.Classes {
		cfgs = append(cfgs, jetstream.ConsumerConfig{Durable: "dispatch-" + c,
			FilterSubjects: []string{l.NotificationClassFilter(c), l.PackClassFilter(c)}})
	}
	out := make([]source, 0, len(cfgs))
	for i, cfg := range cfgs {
		// A short AckWait hands the requests of a crashed dispatcher to the
		// next one within seconds; requests held keep theirs with
		// InProgress heartbeats.
		cfg.AckPolicy, cfg.AckWait, cfg.MaxAckPending, cfg.MaxDeliver = jetstream.AckExplicitPolicy, dispatchAckWait, 4*workers, -1
		cons, err := e.opts.JS.CreateOrUpdateConsumer(ctx, l.EventsStream(), cfg)
		if err != nil {
			return nil, fmt.Errorf("engine: dispatch consumer %s: %w", cfg.Durable, err)
		}
		out = append(out, source{cons: cons, class: max(i-1, 0), name: cfg.Durable})
	}
	return out, nil
}

// pull moves one class's requests into the scheduler, as many as it has
// room for, so that requests held here are always kept alive.
func (d *dispatcher) pull(ctx context.Context, src source) error {
	failures := 0
	for {
		room := d.sched.room(src.class)
		if room == 0 || ctx.Err() != nil {
			return nil
		}
		err := d.fetch(ctx, src, max(1, room/int(d.perMsg[src.class].Load())))
		if err == nil || errors.Is(err, nats.ErrTimeout) || errors.Is(err, context.DeadlineExceeded) {
			failures = 0
			continue
		}
		if ctx.Err() != nil {
			return nil
		}
		if failures++; failures > 20 {
			return fmt.Errorf("engine: dispatch %s: %w", src.name, err)
		}
		select {
		case <-ctx.Done():
		case <-time.After(time.Duration(failures) * 100 * time.Millisecond):
		}
	}
}

// fetch takes up to room requests as they arrive, for a few seconds.
func (d *dispatcher) fetch(ctx context.Context, src source, room int) error {
	fctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	batch, err := src.cons.Fetch(room, jetstream.FetchContext(fctx))
	if err != nil {
		return err
	}
	for m := range batch.Messages() {
		d.perMsg[src.class].Store(int32(max(1, d.accept(ctx, src.class, m))))
	}
	return batch.Error()
}

// accept decodes a message of requests (one, or a pack) and returns how
// many requests it held.
func (d *dispatcher) accept(ctx context.Context, class int, m jetstream.Msg) int {
	var ev requestEvent
	err := json.Unmarshal(m.Data(), &ev)
	if err == nil && ev.Kind == activation.KindPack {
		return d.acceptPack(ctx, class, m, ev)
	}
	if err != nil || ev.Notification == nil {
		d.e.log.Error("undecodable notification request dropped", "subject", m.Subject(), "err", err)
		_ = m.Term()
		return 1
	}
	d.e.keys.openRequest(ctx, &ev)
	d.hb.hold(m)
	d.acceptOne(ctx, class, m, ev)
	return 1
}

// acceptPack queues the requests of a pack, each settled on its own; the
// pack is held until all are (packMsg).
func (d *dispatcher) acceptPack(ctx context.Context, class int, m jetstream.Msg, pack requestEvent) int {
	reqs := pack.Events[:0]
	for _, ev := range pack.Events {
		if ev.Kind == activation.KindNotification && ev.Notification != nil {
			reqs = append(reqs, ev)
		}
	}
	if len(reqs) == 0 {
		_ = m.Ack()
		return 1
	}
	var seq uint64
	if meta, err := m.Metadata(); err == nil {
		seq = meta.Sequence.Stream
	}
	p := &packMsg{m: m, d: d, seq: seq, left: len(reqs)}
	d.hb.hold(m)
	before := d.settled.of(seq)
	for _, ev := range reqs {
		x := &part{p: p, id: ev.Notification.ID}
		if before[x.id] {
			_ = x.Ack() // settled here before the pack was handed back
			continue
		}
		d.e.keys.openRequest(ctx, &ev)
		d.acceptOne(ctx, class, x, ev)
	}
	return len(reqs)
}

// acceptOne checks a request as it arrives and queues it for its channel;
// requests that need no provider slot are settled at once. The caller
// holds m (heartbeats).
func (d *dispatcher) acceptOne(ctx context.Context, class int, m reqMsg, ev requestEvent) {
	if d.e.aborted(ev.Batch) {
		// Part of a decision a crash interrupted: never decided, never sent.
		d.hb.drop(m)
		_ = m.Ack()
		return
	}
	r, ok := d.lookup(ev)
	if !ok {
		d.awaitProjection(ctx, class, m, ev)
		return
	}
	d.queue(ctx, class, m, r, ev)
}

// projectionWait bounds how long a request this instance's projection does
// not hold yet waits for it before it is handed back.
const projectionWait = 100 * time.Millisecond

// awaitProjection waits, holding m, for this instance's projection to apply
// a request it does not know yet, then queues it. A follower's dispatcher
// often gets a request a moment before its projection has it; handing it
// back for 100 ms let the other dispatcher send exercise traffic first.
func (d *dispatcher) awaitProjection(ctx context.Context, class int, m reqMsg, ev requestEvent) {
	d.inflight.Go(func() {
		deadline := time.NewTimer(projectionWait)
		defer deadline.Stop()
		for {
			d.e.mu.RLock()
			progress := d.e.progress
			d.e.mu.RUnlock()
			if r, ok := d.lookup(ev); ok {
				d.queue(ctx, class, m, r, ev)
				return
			}
			select {
			case <-progress:
				continue
			case <-ctx.Done():
				d.hb.drop(m)
				_ = m.Nak() // straight to another dispatcher
				return
			case <-deadline.C:
			}
			// The projection lags the log (or the request belongs to an
			// unfinished decision): try again shortly.
			d.hb.drop(m)
			_ = m.NakWithDelay(100 * time.Millisecond)
			return
		}
	})
}

// queue queues a request the projection knows for its channel; requests
// that need no provider slot are settled at once. The caller holds m.
func (d *dispatcher) queue(ctx context.Context, class int, m reqMsg, r request, ev requestEvent) {
	notifier := d.opts.Notifiers[r.n.Channel]
	switch {
	case notifier == nil:
		d.hb.drop(m)
		d.background(ctx, m, func(ctx context.Context) {
			d.finish(ctx, m, r, activation.Delivery{State: notifiers.StateFailed, Code: "no_channel",
				Detail: fmt.Sprintf("%v: %s", notifiers.ErrNoChannel, r.n.Channel)})
		})
	case r.stopped():
		d.hb.drop(m)
		d.background(ctx, m, func(ctx context.Context) { d.cancel(ctx, m, r) })
	default:
		d.sched.push(r.n.Channel, queued{m: m, ev: ev, class: class})
	}
}

// background settles a request in a worker slot of its own.
func (d *dispatcher) background(ctx context.Context, m reqMsg, f func(ctx context.Context)) {
	select {
	case d.slots <- struct{}{}:
	case <-ctx.Done():
		_ = m.Nak()
		return
	}
	d.hb.hold(m)
	d.inflight.Go(func() {
		defer func() { <-d.slots }()
		defer d.hb.drop(m)
		sctx, cancel := context.WithTimeout(context.Background(), d.opts.SendTimeout)
		defer cancel()
		f(sctx)
	})
}

// pump hands one channel's provider slots to its waiting requests, highest
// class first: it takes a worker slot and the channel's Gate slot, then the
// request that is first at that moment.
func (d *dispatcher) pump(ctx context.Context, channel string, notifier notifiers.Notifier) {
	gate, gated := notifier.(notifiers.Gate)
	for d.sched.wait(channel) {
		select {
		case d.slots <- struct{}{}:
		case <-ctx.Done():
			return
		}
		release := func() {}
		if gated {
			var err error
			if release, err = gate.Acquire(ctx); err != nil {
				<-d.slots
				if ctx.Err() != nil {
					return
				}
				d.e.log.Warn("no send slot", "channel", channel, "err", err)
				continue
			}
		}
		q, ok := d.takeLive(channel)
		if !ok {
			release()
			<-d.slots
			continue
		}
		d.inflight.Go(func() {
			defer func() { <-d.slots }()
			defer release()
			defer d.hb.drop(q.m)
			d.handle(q, notifier, gated)
		})
	}
}

// takeLive takes the next request for channel, settling on the way those a
// stand-down stopped while they waited: they must not use up the slot.
func (d *dispatcher) takeLive(channel string) (queued, bool) {
	for {
		q, ok := d.sched.take(channel)
		if !ok {
			return q, false
		}
		r, known := d.lookup(q.ev)
		if !known || !r.stopped() {
			return q, true
		}
		d.inflight.Go(func() { // at most the requests held: no slot needed
			defer d.hb.drop(q.m)
			ctx, cancel := context.WithTimeout(context.Background(), d.opts.SendTimeout)
			defer cancel()
			d.cancel(ctx, q.m, r)
		})
	}
}

type dispatcher struct {
	e        *Engine
	opts     DispatchOptions
	claims   jetstream.KeyValue
	reports  chan reportReq
	sched    *scheduler
	hb       *heartbeats
	slots    chan struct{} // bounds requests being settled at once (Workers)
	inflight sync.WaitGroup
	settled  settledParts
	// perMsg is, per class, how many requests the last message held: a
	// fetch asks for room/perMsg messages, so packs do not overfill the queue.
	perMsg []atomic.Int32
}

// reportReq is one delivery report waiting to be appended as input.
type reportReq struct {
	in   activation.Input
	done chan struct{}
}

// dispatchAckWait is how long a request may go without a sign of life
// before the server hands it to another dispatcher.
const dispatchAckWait = 5 * time.Second

// requestEvent is the part of a notification_requested event the
// dispatcher reads: decoding only these fields skips the time stamp and the
// rest of the event (the request is decoded once per SMS).
type requestEvent struct {
	V            int                      `json:"v"`
	Incident     string                   `json:"incident"`
	Kind         string                   `json:"kind"`
	Batch        uint64                   `json:"batch,omitempty"`
	Notification *activation.Notification `json:"notification,omitempty"`
	Events       []requestEvent           `json:"events,omitempty"` // a pack's
}

// handle settles one request that holds a provider slot (gated) or a
// worker slot: it checks the projection again (a stand-down may have come
// while it waited), claims the attempt and sends it.
func (d *dispatcher) handle(q queued, notifier notifiers.Notifier, gated bool) {
	ctx, cancel := context.WithTimeout(context.Background(), d.opts.SendTimeout)
	defer cancel()
	if gated {
		ctx = notifiers.Admit(ctx)
	}
	r, ok := d.lookup(q.ev)
	switch {
	case !ok:
		_ = q.m.NakWithDelay(100 * time.Millisecond)
	case r.stopped():
		d.cancel(ctx, q.m, r)
	default:
		if h, ok := d.claim(ctx, q.m, r, notifier, d.opts.Instance); ok {
			d.sendAndReport(ctx, q.m, notifier, r, h, true)
		}
	}
}

// sendAndReport sends a claimed attempt and reports its outcome. An unknown
// outcome of a channel that can be asked (lookup) is not reported: the
// request comes back after ReconcileAfter and is reconciled like one whose
// dispatcher died. A temporary failure is retried later (retryLater) until
// the retry budget is spent.
func (d *dispatcher) sendAndReport(ctx context.Context, m reqMsg, notifier notifiers.Notifier, r request, h held, lookup bool) {
	receipt, temp := d.send(ctx, notifier, r.n, r.decl)
	if temp != nil {
		if d.retryLater(ctx, m, h, r.n.Channel, r.n.ID, temp) {
			return
		}
		receipt = notifiers.Receipt{State: notifiers.StateFailed, Code: temp.Code,
			Detail: fmt.Sprintf("given up after retrying for %v: %v", d.opts.RetryFor, temp)}
	}
	if _, ok := notifier.(notifiers.Reconciler); ok && lookup && receipt.State == notifiers.StateUnknown {
		d.e.log.Info("outcome unknown; the provider will be asked", "notification", r.n.ID, "code", receipt.Code)
		_ = m.NakWithDelay(d.opts.ReconcileAfter)
		return
	}
	d.e.opts.Metrics.Outcome(r.n.Channel, string(receipt.State))
	d.report(ctx, r.incident, activation.Delivery{Notification: r.n.ID, State: receipt.State,
		ProviderID: receipt.ProviderID, Code: receipt.Code, Detail: receipt.Detail})
	_ = m.Ack()
}

// request is a notification request with what the projection knows of it.
type request struct {
	incident string
	n        activation.Notification
	decl     activation.Declared
	state    notifiers.State
	closed   bool
}

// stopped reports whether a stand-down stops this request: an alert (or the
// real alert of a conversion) of an incident that is over is never sent.
func (r request) stopped() bool {
	return r.closed && (r.n.Purpose == notifiers.PurposeAlert || r.n.Purpose == notifiers.PurposeConvert)
}

// lookup reads the request's incident and state from the projection; false
// when the projection does not (yet) hold this request, or is being
// replayed: a partly replayed one lacks later attempts (a reconciliation
// would take their message for this one) and stand-downs.
func (d *dispatcher) lookup(ev requestEvent) (request, bool) {
	r := request{incident: ev.Incident}
	if !d.e.Ready() {
		return r, false
	}
	var stored activation.Notification
	var known, found bool
	d.e.View(func(c *activation.Core) {
		r.decl, known = c.Declaration(ev.Incident)
		stored, r.state, found = c.NotificationInfo(ev.Incident, ev.Notification.ID)
		r.closed = c.Closed(ev.Incident)
	})
	r.n = *ev.Notification
	return r, known && found && sameRequest(stored, r.n)
}

// claim takes the attempt create-only (or its retry mark); false when the
// request is finished (claimed before and now reconciled or reported) or to
// be retried.
func (d *dispatcher) claim(ctx context.Context, m reqMsg, r request, notifier notifiers.Notifier, value string) (held, bool) {
	h, err := d.take(ctx, r.n.ID, value)
	if err == nil {
		return h, true
	}
	if !errors.Is(err, jetstream.ErrKeyExists) {
		d.e.log.Warn("claim failed; will retry", "notification", r.n.ID, "err", err)
		_ = m.NakWithDelay(time.Second)
		return held{}, false
	}
	if r.state != notifiers.StatePending && r.state != notifiers.StateSending && r.state != "" {
		_ = m.Ack() // reported before; a redelivery
		return held{}, false
	}
	// Claimed before: a send was in flight when a dispatcher died, or
	// its report was lost.
	d.reconcile(ctx, m, r, notifier)
	return held{}, false
}

// cancel drops a request its incident's stand-down stopped: the claim makes
// sure no other dispatcher sends it, the failed report records why.
func (d *dispatcher) cancel(ctx context.Context, m reqMsg, r request) {
	if _, ok := d.claim(ctx, m, r, d.opts.Notifiers[r.n.Channel], claimCancelled+d.opts.Instance); !ok {
		return
	}
	d.e.opts.Metrics.Outcome(r.n.Channel, CodeStoodDown)
	d.report(ctx, r.incident, activation.Delivery{Notification: r.n.ID, State: notifiers.StateFailed,
		Code: CodeStoodDown, Detail: "incident stood down before sending"})
	_ = m.Ack()
}

// CodeStoodDown is the delivery code of an alert a stand-down stopped.
const CodeStoodDown = "stood_down"

// sameRequest reports whether a request read from the log is the one the
// projection holds under its id (ids are reused after an interrupted decision).
func sameRequest(a, b activation.Notification) bool {
	return a.Person == b.Person && a.Channel == b.Channel && a.Purpose == b.Purpose && a.Step == b.Step &&
		a.Org == b.Org && a.Node == b.Node && a.Tier == b.Tier
}

// send sends one attempt; a non-nil *TemporaryError means the provider
// certainly did not take it (the receipt is then empty).
func (d *dispatcher) send(ctx context.Context, notifier notifiers.Notifier, n activation.Notification, decl activation.Declared) (notifiers.Receipt, *notifiers.TemporaryError) {
	if notifier == nil {
		return notifiers.Receipt{State: notifiers.StateFailed, Code: "no_channel",
			Detail: fmt.Sprintf("%v: %s", notifiers.ErrNoChannel, n.Channel)}, nil
	}
	msg, err := d.opts.Composer.Compose(n, decl)
	if err != nil {
		return notifiers.Receipt{State: notifiers.StateFailed, Code: "compose", Detail: err.Error()}, nil
	}
	if msg.To == "" {
		// No address for this channel: a permanent failure of the step at
		// once, so the next channel or deputy takes over.
		return notifiers.Receipt{State: notifiers.StateFailed, Code: notifiers.CodeNoAddress,
			Detail: fmt.Sprintf("%v: %s", notifiers.ErrNoAddress, n.Channel)}, nil
	}
	r, err := notifier.Notify(ctx, msg)
	var te *notifiers.TemporaryError
	switch {
	case errors.As(err, &te):
		return notifiers.Receipt{}, te
	case err != nil:
		// Not a receipt: the call ended without an answer we can trust.
		return notifiers.Receipt{State: notifiers.StateUnknown, Detail: err.Error()}, nil
	}
	return r, nil
}

// Delivery reports that queue up while the previous batch is stored go out as
// one input message (no timer), not one per notification. A worker still
// acknowledges its request only once its report is stored.
const (
	reportWorkers  = 2
	maxReportBatch = 256
	reportTimeout  = 30 * time.Second // retries of one batch while NATS is away
)

// report hands a delivery state back to the engine and returns once it is
// stored (or given up on).
func (d *dispatcher) report(ctx context.Context, incident string, dl activation.Delivery) {
	r := reportReq{in: activation.Input{Incident: incident, Delivery: &dl}, done: make(chan struct{})}
	select {
	case d.reports <- r:
	case <-ctx.Done():
		d.e.log.Error("delivery report lost; the escalation timer covers it", "notification", dl.Notification, "err", ctx.Err())
		return
	}
	<-r.done
}

func (d *dispatcher) reportLoop() {
	for first := range d.reports {
		batch := []reportReq{first}
	drain:
		for len(batch) < maxReportBatch {
			select {
			case r, ok := <-d.reports:
				if !ok {
					break drain
				}
				batch = append(batch, r)
			default:
				break drain
			}
		}
		d.submitReports(batch)
		for _, r := range batch {
			close(r.done)
		}
	}
}

// submitReports appends a batch of reports, retrying while NATS is briefly
// away; the message id makes retries harmless.
func (d *dispatcher) submitReports(batch []reportReq) {
	// The batch gets its own deadline: one request whose send took nearly
	// its whole SendTimeout must not take the other reports down with it.
	ctx, cancel := context.WithTimeout(context.Background(), reportTimeout)
	defer cancel()
	for attempt := 0; ; attempt++ {
		var err error
		if len(batch) == 1 {
			dl := batch[0].in.Delivery
			_, err = d.e.Submit(ctx, batch[0].in, "dlv-"+dl.Notification+"-"+string(dl.State))
		} else {
			ins := make([]activation.Input, len(batch))
			for i, r := range batch {
				ins[i] = r.in
			}
			_, err = SubmitInputs(ctx, d.e.opts.JS, d.e.opts.Layout, ins)
		}
		if err == nil {
			return
		}
		if ctx.Err() != nil || attempt == 20 || errors.Is(err, nats.ErrConnectionClosed) {
			for _, r := range batch {
				d.e.log.Error("delivery report lost; the escalation timer covers it", "notification", r.in.Delivery.Notification, "err", err)
			}
			return
		}
		time.Sleep(time.Duration(attempt+1) * 100 * time.Millisecond)
	}
}
