package activation

import (
	"maps"
	"slices"
	"time"
)

// assess computes an organisation's readiness at now.
//
// ready: every required function has at least its minimum of people who
// answered "available". degraded: it was ready and lost that. at_risk: not
// ready and the target has passed, or some short function can no longer
// reach its minimum before the deadline (no open node left for it and the
// delayed responders arrive too late). forming: someone is coming.
// alerting: nobody is coming yet.
func (inc *incident) assess(org *orgState, now time.Time) (ReadinessState, map[string]int, []string) {
	covered := make(map[string]int, len(org.plan.Required))
	possible := make(map[string]int, len(org.plan.Required))
	deadline := org.startedAt.Add(org.plan.Target)
	anyPositive := false
	for i, pn := range org.plan.Nodes {
		if _, req := org.plan.Required[pn.Function]; !req {
			for _, ps := range org.nodePeople(i) {
				if positive(ps.answer) {
					anyPositive = true
				}
			}
			continue
		}
		open := !org.nodes[i].exhausted
		nodeAck := false
		for _, ps := range org.nodePeople(i) {
			switch ps.answer {
			case Available:
				covered[pn.Function]++
				possible[pn.Function]++
				anyPositive, nodeAck = true, true
			case Delayed:
				anyPositive, nodeAck = true, true
				if !ps.answeredAt.Add(time.Duration(ps.minutes) * time.Minute).After(deadline) {
					possible[pn.Function]++
				}
			}
		}
		if open && !nodeAck && anyUnanswered(org.nodePeople(i)) {
			possible[pn.Function]++
		}
	}
	var missing []string
	for _, f := range slices.Sorted(maps.Keys(org.plan.Required)) {
		if covered[f] < org.plan.Required[f] {
			missing = append(missing, f)
		}
	}
	if len(missing) == 0 {
		return Ready, covered, missing
	}
	if !now.Before(deadline) {
		return AtRisk, covered, missing
	}
	for _, f := range missing {
		if possible[f] < org.plan.Required[f] {
			return AtRisk, covered, missing
		}
	}
	switch {
	case !org.readyAt.IsZero():
		return Degraded, covered, missing
	case anyPositive:
		return Forming, covered, missing
	}
	return Alerting, covered, missing
}

// anyUnanswered reports whether someone in the node may still say yes.
func anyUnanswered(people []*personState) bool {
	for _, ps := range people {
		if ps.answer == "" {
			return true
		}
	}
	return false
}

// flushReadiness emits a readiness change for every touched organisation
// whose state or coverage differs from the last one recorded.
func (d *decider) flushReadiness() {
	for _, id := range slices.Sorted(maps.Keys(d.dirty)) {
		inc := d.c.incidents[id]
		if inc == nil || inc.closed && !d.closing(id) {
			continue
		}
		for _, org := range slices.Sorted(maps.Keys(d.dirty[id])) {
			os := inc.orgs[org]
			state, covered, missing := inc.assess(os, d.now)
			if state == os.readiness && maps.Equal(covered, os.covered) {
				continue
			}
			d.emit(Event{Incident: id, Kind: KindReadiness, Readiness: &ReadinessChange{
				Org: org, State: state, Previous: os.readiness, Covered: covered, Missing: missing,
			}})
		}
	}
	d.dirty = nil
}

// closing reports whether this decision stood the incident down (its final
// readiness is still recorded).
func (d *decider) closing(id string) bool {
	for _, e := range d.out {
		if e.Incident == id && e.Kind == KindStoodDown {
			return true
		}
	}
	return false
}
