package engine

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sync"
	"time"

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
}

// Dispatch sends requested notifications until ctx ends, then finishes those
// in flight. Each attempt is claimed create-only before the provider is called:
// a redelivered request already claimed is reported unknown, never sent twice.
func (e *Engine) Dispatch(ctx context.Context, opts DispatchOptions) error {
	if opts.Workers <= 0 {
		opts.Workers = 256
	}
	if opts.SendTimeout <= 0 {
		opts.SendTimeout = 2 * time.Minute
	}
	kv, err := e.opts.JS.KeyValue(ctx, e.opts.Layout.ClaimsBucket())
	if err != nil {
		return fmt.Errorf("engine: claims bucket: %w", err)
	}
	cons, err := e.opts.JS.CreateOrUpdateConsumer(ctx, e.opts.Layout.EventsStream(), jetstream.ConsumerConfig{
		Durable: "dispatch", FilterSubject: e.opts.Layout.NotificationFilter(),
		// A short AckWait hands the requests of a crashed dispatcher to the
		// next one within seconds; sends in progress keep theirs with
		// InProgress heartbeats.
		AckPolicy: jetstream.AckExplicitPolicy, AckWait: dispatchAckWait,
		MaxAckPending: 2 * opts.Workers, MaxDeliver: -1,
	})
	if err != nil {
		return fmt.Errorf("engine: dispatch consumer: %w", err)
	}
	// Last before the loop that stops it: an early return must not leave a
	// pull subscription holding requests until their AckWait.
	it, err := cons.Messages(jetstream.PullMaxMessages(opts.Workers))
	if err != nil {
		return fmt.Errorf("engine: dispatch messages: %w", err)
	}
	d := &dispatcher{e: e, opts: opts, claims: kv, reports: make(chan reportReq, opts.Workers)}
	var reporters sync.WaitGroup
	for range reportWorkers {
		reporters.Go(d.reportLoop)
	}
	defer func() {
		close(d.reports)
		reporters.Wait()
	}()
	work := make(chan jetstream.Msg)
	hb := startHeartbeats(opts.Workers, dispatchAckWait/3)
	defer hb.close() // after the drain below: sends in flight keep their requests
	var wg sync.WaitGroup
	for i := range opts.Workers {
		wg.Go(func() {
			for m := range work {
				hb.hold(i, m)
				d.handle(m)
				hb.hold(i, nil)
			}
		})
	}
	stopCtx, stop := context.WithCancel(ctx)
	defer stop()
	go func() {
		<-stopCtx.Done()
		it.Stop()
	}()
	var runErr error
	for {
		m, err := it.Next()
		if err != nil {
			if ctx.Err() == nil {
				runErr = fmt.Errorf("engine: dispatch: %w", err)
			}
			break
		}
		work <- m
	}
	close(work)
	wg.Wait() // drain: sends in flight finish and report
	return runErr
}

type dispatcher struct {
	e       *Engine
	opts    DispatchOptions
	claims  jetstream.KeyValue
	reports chan reportReq
}

// reportReq is one delivery report waiting to be appended as input.
type reportReq struct {
	in   activation.Input
	done chan struct{}
}

// dispatchAckWait is how long a request may go without a sign of life
// before the server hands it to another dispatcher.
const dispatchAckWait = 10 * time.Second

// requestEvent is the part of a notification_requested event the
// dispatcher reads: decoding only these fields skips the time stamp and the
// rest of the event (the request is decoded once per SMS).
type requestEvent struct {
	Incident     string                   `json:"incident"`
	Batch        uint64                   `json:"batch,omitempty"`
	Notification *activation.Notification `json:"notification,omitempty"`
}

// handle works on one request; the caller keeps it alive with heartbeats.
func (d *dispatcher) handle(m jetstream.Msg) {
	ctx, cancel := context.WithTimeout(context.Background(), d.opts.SendTimeout)
	defer cancel()
	log := d.e.log
	var ev requestEvent
	if err := json.Unmarshal(m.Data(), &ev); err != nil || ev.Notification == nil {
		log.Error("undecodable notification request dropped", "subject", m.Subject(), "err", err)
		_ = m.Term()
		return
	}
	n := *ev.Notification
	if d.e.aborted(ev.Batch) {
		// Part of a decision a crash interrupted: never decided, never sent.
		_ = m.Ack()
		return
	}
	var decl activation.Declared
	var state notifiers.State
	var stored activation.Notification
	var known, found bool
	d.e.View(func(c *activation.Core) {
		decl, known = c.Declaration(ev.Incident)
		stored, state, found = c.NotificationInfo(ev.Incident, n.ID)
	})
	if !known || !found || !sameRequest(stored, n) {
		// This instance's projection lags the log (or the request belongs to
		// an unfinished decision): try again shortly.
		_ = m.NakWithDelay(100 * time.Millisecond)
		return
	}
	if err := claim(ctx, d.claims, n.ID, []byte(d.opts.Instance)); err != nil {
		if !errors.Is(err, jetstream.ErrKeyExists) {
			log.Warn("claim failed; will retry", "notification", n.ID, "err", err)
			_ = m.NakWithDelay(time.Second)
			return
		}
		// Claimed before: a send was in flight when a dispatcher died, or
		// its report was lost. Its outcome is unknown unless reported.
		if state == notifiers.StatePending || state == notifiers.StateSending || state == "" {
			d.report(ctx, ev.Incident, activation.Delivery{Notification: n.ID, State: notifiers.StateUnknown,
				Detail: "claimed before a restart; outcome unknown, not resent"})
		}
		_ = m.Ack()
		return
	}
	receipt := d.send(ctx, n, decl)
	d.e.opts.Metrics.Outcome(n.Channel, string(receipt.State))
	d.report(ctx, ev.Incident, activation.Delivery{Notification: n.ID, State: receipt.State,
		ProviderID: receipt.ProviderID, Code: receipt.Code, Detail: receipt.Detail})
	_ = m.Ack()
}

// sameRequest reports whether a request read from the log is the one the
// projection holds under its id (ids are reused after an interrupted decision).
func sameRequest(a, b activation.Notification) bool {
	return a.Person == b.Person && a.Channel == b.Channel && a.Purpose == b.Purpose && a.Step == b.Step &&
		a.Org == b.Org && a.Node == b.Node && a.Tier == b.Tier
}

func (d *dispatcher) send(ctx context.Context, n activation.Notification, decl activation.Declared) notifiers.Receipt {
	notifier := d.opts.Notifiers[n.Channel]
	if notifier == nil {
		return notifiers.Receipt{State: notifiers.StateFailed, Code: "no_channel",
			Detail: fmt.Sprintf("%v: %s", notifiers.ErrNoChannel, n.Channel)}
	}
	msg, err := d.opts.Composer.Compose(n, decl)
	if err != nil {
		return notifiers.Receipt{State: notifiers.StateFailed, Code: "compose", Detail: err.Error()}
	}
	if msg.To == "" {
		// No address for this channel: a permanent failure of the step at
		// once, so the next channel or deputy takes over.
		return notifiers.Receipt{State: notifiers.StateFailed, Code: notifiers.CodeNoAddress,
			Detail: fmt.Sprintf("%v: %s", notifiers.ErrNoAddress, n.Channel)}
	}
	r, err := notifier.Notify(ctx, msg)
	if err != nil {
		// Not a receipt: the call ended without an answer we can trust.
		return notifiers.Receipt{State: notifiers.StateUnknown, Detail: err.Error()}
	}
	return r
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
		if ctx.Err() != nil || attempt == 20 {
			for _, r := range batch {
				d.e.log.Error("delivery report lost; the escalation timer covers it", "notification", r.in.Delivery.Notification, "err", err)
			}
			return
		}
		time.Sleep(time.Duration(attempt+1) * 100 * time.Millisecond)
	}
}
