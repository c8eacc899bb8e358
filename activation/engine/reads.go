package engine

import (
	"cmp"
	"context"
	"encoding/json"
	"fmt"
	"maps"
	"slices"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/kaskade-bcm/kaskade/activation"
)

// View runs f with the core under a read lock. f must not keep references.
func (e *Engine) View(f func(c *activation.Core)) {
	e.mu.RLock()
	defer e.mu.RUnlock()
	f(e.core)
}

// Incidents lists every incident, newest first.
func (e *Engine) Incidents() (out []activation.IncidentView) {
	e.View(func(c *activation.Core) { out = c.Incidents() })
	return out
}

// Incident returns one incident.
func (e *Engine) Incident(id string) (v activation.IncidentView, ok bool) {
	e.View(func(c *activation.Core) { v, ok = c.Incident(id) })
	return v, ok
}

// Detail returns an organisation's drill-down.
func (e *Engine) Detail(id, org string) (d activation.OrgDetail, ok bool) {
	e.View(func(c *activation.Core) { d, ok = c.Detail(id, org, e.opts.Directory) })
	return d, ok
}

// Subscribe streams changes; see hub for the slow-reader rule.
func (e *Engine) Subscribe() (<-chan activation.Change, func()) { return e.hub.subscribe() }

// Submit appends an input for the engine and returns its input sequence.
// msgID, when set, deduplicates retries of the same input.
func (e *Engine) Submit(ctx context.Context, in activation.Input, msgID string) (uint64, error) {
	return SubmitInput(ctx, e.opts.JS, e.opts.Layout, in, msgID)
}

// SubmitInput publishes an input without an engine at hand.
func SubmitInput(ctx context.Context, js jetstream.JetStream, l Layout, in activation.Input, msgID string) (uint64, error) {
	data, err := json.Marshal(in)
	if err != nil {
		return 0, fmt.Errorf("engine: encode input: %w", err)
	}
	msg := nats.NewMsg(l.InputSubject(in.Incident, inputKind(in)))
	msg.Data = data
	var opts []jetstream.PublishOpt
	if msgID != "" {
		opts = append(opts, jetstream.WithMsgID(msgID))
	}
	ack, err := js.PublishMsg(ctx, msg, opts...)
	if err != nil {
		return 0, fmt.Errorf("%w: %w", ErrUnavailable, err)
	}
	return ack.Sequence, nil
}

func inputKind(in activation.Input) string {
	switch {
	case in.Declare != nil:
		return "declare"
	case in.Inbound != nil:
		return "inbound"
	case in.Response != nil:
		return "response"
	case in.Delivery != nil:
		return "delivery"
	case in.Update != nil:
		return "update"
	case in.StandDown != nil:
		return "stand_down"
	case in.Convert != nil:
		return "convert"
	}
	return "empty"
}

// WaitInput blocks until the input with sequence seq has been applied (on
// this instance's projection), so a caller can answer with the outcome.
func (e *Engine) WaitInput(ctx context.Context, seq uint64) error {
	for {
		e.mu.RLock()
		done, ch := e.core.LastInput >= seq, e.progress
		e.mu.RUnlock()
		if done {
			return nil
		}
		select {
		case <-ch:
		case <-ctx.Done():
			return ctx.Err()
		}
	}
}

// signalProgress wakes waiters, publishes readiness changes for other
// consumers (when leading) and fans board changes out.
func (e *Engine) signalProgress(evs []activation.Event) {
	e.mu.Lock()
	close(e.progress)
	e.progress = make(chan struct{})
	e.mu.Unlock()
	if len(evs) == 0 {
		return
	}
	changes, readiness := e.changesFor(evs)
	if e.leader.Load() {
		nc := e.opts.JS.Conn()
		for _, r := range readiness {
			if data, err := json.Marshal(r); err == nil {
				_ = nc.Publish(e.opts.Layout.ReadinessSubject(r.Incident, r.Org), data)
			}
		}
	}
	e.hub.publish(changes)
}

// changesFor turns applied events into board changes: the latest view of
// every touched incident and organisation, plus timeline lines.
func (e *Engine) changesFor(evs []activation.Event) ([]activation.Change, []activation.OrgReadiness) {
	type key struct{ inc, org string }
	incidents := map[string]bool{}
	orgs := map[key]bool{}
	readinessChanged := map[key]bool{}
	var changes []activation.Change
	e.mu.RLock()
	defer e.mu.RUnlock()
	for _, ev := range evs {
		incidents[ev.Incident] = true
		for _, org := range e.core.OrgsTouched(ev) {
			orgs[key{ev.Incident, org}] = true
		}
		if ev.Kind == activation.KindReadiness {
			readinessChanged[key{ev.Incident, ev.Readiness.Org}] = true
		}
		if it, ok := activation.Describe(ev); ok {
			it := it
			changes = append(changes, activation.Change{Kind: "timeline", IncidentID: ev.Incident, Timeline: &it})
		}
	}
	var readiness []activation.OrgReadiness
	for _, id := range slices.Sorted(maps.Keys(incidents)) {
		if v, ok := e.core.Incident(id); ok {
			v := v
			changes = append(changes, activation.Change{Kind: "incident", IncidentID: id, Incident: &v})
		}
	}
	keys := make([]key, 0, len(orgs))
	for k := range orgs {
		keys = append(keys, k)
	}
	slices.SortFunc(keys, func(a, b key) int {
		if a.inc != b.inc {
			return cmp.Compare(a.inc, b.inc)
		}
		return cmp.Compare(a.org, b.org)
	})
	for _, k := range keys {
		if r, ok := e.core.Readiness(k.inc, k.org); ok {
			r := r
			changes = append(changes, activation.Change{Kind: "readiness", IncidentID: k.inc, Readiness: &r})
			if readinessChanged[k] {
				readiness = append(readiness, r)
			}
		}
	}
	return changes, readiness
}
