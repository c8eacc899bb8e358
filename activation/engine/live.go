package engine

import (
	"cmp"
	"maps"
	"slices"
	"time"

	"github.com/kaskade-bcm/kaskade/activation"
)

// Subscribe streams changes; see hub for the slow-reader rule.
func (e *Engine) Subscribe() (<-chan activation.Change, func()) { return e.hub.subscribe() }

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
			e.publishReadiness(nc, r)
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
		if activation.IsProposalEvent(ev.Kind) {
			continue // a proposal is no incident: the board's proposals page reads them
		}
		incidents[ev.Incident] = true
		for _, org := range e.core.OrgsTouched(ev) {
			orgs[key{ev.Incident, org}] = true
		}
		if ev.Kind == activation.KindReadiness {
			readinessChanged[key{ev.Incident, ev.Readiness.Org}] = true
		}
		if it, ok := e.core.Describe(ev); ok {
			it := it
			changes = append(changes, activation.Change{Kind: activation.ChangeTimeline, IncidentID: ev.Incident, Timeline: &it})
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
			changes = append(changes, activation.Change{Kind: activation.ChangeReadiness, IncidentID: k.inc, Readiness: &r})
			if readinessChanged[k] {
				readiness = append(readiness, r)
			}
		}
	}
	return changes, readiness
}

// An incident's whole view is costly with many organisations: it goes out at
// most once per interval (viewCostFactor × its last build time, clamped), the
// last one trailing. Tiles and timeline lines are not throttled.
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
	return activation.Change{Kind: activation.ChangeIncident, IncidentID: id, Incident: &v}, true
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
		e.hub.publish([]activation.Change{{Kind: activation.ChangeIncident, IncidentID: id, Incident: &v}})
	}
}
