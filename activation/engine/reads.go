package engine

import (
	"bytes"
	"cmp"
	"compress/gzip"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"maps"
	"slices"
	"strconv"
	"time"

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
	msg := nats.NewMsg(l.InputSubject(in.Incident, in.Kind()))
	if len(data) > compressAbove {
		// A declaration carries every plan: 100,000 recipients are about
		// 11 MB of JSON, beyond NATS' max payload (1 MB by default).
		if data, err = gzipBytes(data); err != nil {
			return 0, fmt.Errorf("engine: compress input: %w", err)
		}
		msg.Header.Set(encodingHeader, "gzip")
	}
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

// batchHeader marks an input message that carries a JSON array of inputs
// (delivery reports batched by the dispatcher). They are decided one by one
// in the same decision and share the message's sequence.
const batchHeader = "Kaskade-Inputs"

// SubmitInputs publishes several inputs as one message; its id is derived
// from the content, so a retry of the same batch is deduplicated.
func SubmitInputs(ctx context.Context, js jetstream.JetStream, l Layout, ins []activation.Input) (uint64, error) {
	data, err := json.Marshal(ins)
	if err != nil {
		return 0, fmt.Errorf("engine: encode inputs: %w", err)
	}
	msg := nats.NewMsg(l.InputSubject(ins[0].Incident, "inputs"))
	sum := sha256.Sum256(data)
	msg.Header.Set(batchHeader, strconv.Itoa(len(ins)))
	if len(data) > compressAbove {
		if data, err = gzipBytes(data); err != nil {
			return 0, fmt.Errorf("engine: compress inputs: %w", err)
		}
		msg.Header.Set(encodingHeader, "gzip")
	}
	msg.Data = data
	ack, err := js.PublishMsg(ctx, msg, jetstream.WithMsgID("inputs-"+hex.EncodeToString(sum[:16])))
	if err != nil {
		return 0, fmt.Errorf("%w: %w", ErrUnavailable, err)
	}
	return ack.Sequence, nil
}

// decodeInputs returns the inputs of an input message (one, or a batch).
func decodeInputs(m jetstream.Msg) ([]activation.Input, error) {
	data, err := inputData(m)
	if err != nil {
		return nil, err
	}
	if m.Headers().Get(batchHeader) != "" {
		var ins []activation.Input
		if err := json.Unmarshal(data, &ins); err != nil {
			return nil, err
		}
		return ins, nil
	}
	var in activation.Input
	if err := json.Unmarshal(data, &in); err != nil {
		return nil, err
	}
	return []activation.Input{in}, nil
}

// compressAbove is the input size above which inputs are gzipped on the
// stream (marked with the encodingHeader).
const compressAbove = 128 << 10

const encodingHeader = "Kaskade-Encoding"

func gzipBytes(data []byte) ([]byte, error) {
	var buf bytes.Buffer
	buf.Grow(len(data) / 8)
	zw, err := gzip.NewWriterLevel(&buf, gzip.BestSpeed)
	if err != nil {
		return nil, err
	}
	if _, err := zw.Write(data); err != nil {
		return nil, err
	}
	if err := zw.Close(); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// inputData returns an input message's JSON, decompressed when needed.
func inputData(m jetstream.Msg) ([]byte, error) {
	if m.Headers().Get(encodingHeader) != "gzip" {
		return m.Data(), nil
	}
	zr, err := gzip.NewReader(bytes.NewReader(m.Data()))
	if err != nil {
		return nil, err
	}
	defer zr.Close()
	return io.ReadAll(io.LimitReader(zr, 1<<30))
}

// WaitInput blocks until the input with sequence seq has been applied (on
// this instance's projection), so a caller can answer with the outcome.
func (e *Engine) WaitInput(ctx context.Context, seq uint64) error {
	for {
		e.mu.RLock()
		done, ch := e.core.InputApplied(seq), e.progress
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
		if it, ok := e.core.Describe(ev); ok {
			it := it
			changes = append(changes, activation.Change{Kind: "timeline", IncidentID: ev.Incident, Timeline: &it})
		}
	}
	var readiness []activation.OrgReadiness
	for _, id := range slices.Sorted(maps.Keys(incidents)) {
		if ch, ok := e.incidentChange(id); ok {
			changes = append(changes, ch)
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

// Whole incident views are expensive with many organisations (about 23 ms
// for 1,000 organisations of 100 people), and a busy incident changes with
// every input batch. So an incident's view is published at most once per
// interval: at once when the last one is older, otherwise once at the end
// of the interval (trailing), built from the state at that time. The
// interval is viewCostFactor times the cost of the last build, within
// [minViewInterval, maxViewInterval]. Readiness tiles and timeline lines are not throttled; the
// board coalesces changes in a 200 ms window anyway. Building a view holds
// the engine's read lock, which stalls the next decision for as long: the
// interval keeps that under 1/viewCostFactor of the time (1 %), up to
// maxViewInterval. For the eleven ministries a view costs well under a
// millisecond (100 ms interval); for 1,000 organisations of 100 people about
// 20 ms, so the header of such an incident refreshes every ~2 s while its
// tiles stay live. At 1,000 replies/s this took the engine's p99 from 33 ms
// (factor 40) to 14 ms (kaskade bench, docs/BENCHMARKS.md).
const (
	minViewInterval = 100 * time.Millisecond
	maxViewInterval = 3 * time.Second
	viewCostFactor  = 100
)

type viewThrottle struct {
	last    time.Time
	cost    time.Duration
	pending bool // a trailing publication is scheduled
}

// incidentChange returns the incident's view change when it is due now, or
// schedules a trailing one. The caller holds e.mu (read or write).
func (e *Engine) incidentChange(id string) (activation.Change, bool) {
	now := time.Now()
	e.viewMu.Lock()
	if e.views == nil {
		e.views = map[string]*viewThrottle{}
	}
	vt := e.views[id]
	if vt == nil {
		vt = &viewThrottle{}
		e.views[id] = vt
	}
	if vt.pending {
		e.viewMu.Unlock()
		return activation.Change{}, false
	}
	interval := min(maxViewInterval, max(minViewInterval, viewCostFactor*vt.cost))
	if wait := vt.last.Add(interval).Sub(now); wait > 0 {
		vt.pending = true
		e.viewMu.Unlock()
		time.AfterFunc(wait, func() { e.publishView(id) })
		return activation.Change{}, false
	}
	e.viewMu.Unlock()
	v, ok := e.core.Incident(id)
	took := time.Since(now)
	e.viewMu.Lock()
	vt.last, vt.cost = now, took
	e.viewMu.Unlock()
	if !ok {
		return activation.Change{}, false
	}
	return activation.Change{Kind: "incident", IncidentID: id, Incident: &v}, true
}

// publishView is the trailing publication of an incident's view.
func (e *Engine) publishView(id string) {
	e.mu.RLock()
	start := time.Now()
	v, ok := e.core.Incident(id)
	e.mu.RUnlock()
	e.viewMu.Lock()
	if vt := e.views[id]; vt != nil {
		vt.last, vt.cost, vt.pending = start, time.Since(start), false
	}
	e.viewMu.Unlock()
	if ok {
		e.hub.publish([]activation.Change{{Kind: "incident", IncidentID: id, Incident: &v}})
	}
}
