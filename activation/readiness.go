package activation

import (
	"maps"
	"slices"
	"time"
)

// assess computes an organisation's readiness at now: ready (each required function has its
// minimum of available people), degraded (was ready, lost it), at_risk (target passed, or a short
// function cannot reach its minimum in time), forming (someone is coming), else alerting.
// A staff without required functions is ready once someone in it is available.
func (inc *incident) assess(org *orgState, now time.Time) (ReadinessState, map[string]int, []string) {
	covered := make(map[string]int, len(org.required))
	possible := make(map[string]int, len(org.required))
	deadline := org.startedAt.Add(org.target)
	anyPositive, anyAvailable := false, false
	var once personOnce
	for i := range org.nodes {
		function := inc.syms.str(org.nodes[i].function)
		if _, req := org.required[function]; !req {
			for _, p := range org.nodePeople(i) {
				if ps := &inc.people[p]; inc.comingTo(ps, org) {
					anyPositive = true
					anyAvailable = anyAvailable || inc.answer(ps) == Available
				}
			}
			continue
		}
		nodeAck, unanswered := false, 0 // unanswered: people of the node who may still say yes
		for _, p := range org.nodePeople(i) {
			ps := &inc.people[p]
			if inc.boundElsewhere(ps, org) {
				continue // coming, but to another staff
			}
			switch inc.answer(ps) {
			case Available:
				if once.first(inc, p, org.nodes[i].function) {
					covered[function]++
					possible[function]++
				}
				anyPositive, nodeAck = true, true
			case Delayed:
				anyPositive, nodeAck = true, true
				if !ps.answeredAt.Add(time.Duration(ps.minutes)*time.Minute).After(deadline) && once.first(inc, p, org.nodes[i].function) {
					possible[function]++
				}
			case "":
				unanswered++
			}
		}
		possible[function] += inc.mayStillBring(org, i, nodeAck, unanswered)
	}
	var missing []string
	for _, f := range slices.Sorted(maps.Keys(org.required)) {
		if covered[f] < org.required[f] {
			missing = append(missing, f)
		}
	}
	if len(missing) == 0 && (len(org.required) > 0 || anyAvailable) {
		return Ready, covered, missing
	}
	if !now.Before(deadline) {
		return AtRisk, covered, missing
	}
	for _, f := range missing {
		if possible[f] < org.required[f] {
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

// personOnce counts a person once per function: one who stands in two nodes
// of a function (a shared deputy) is one person, not two, toward its minimum.
type personOnce map[[2]int32]bool

// first reports whether person p counts for function f for the first time.
// Most people stand in one place only and need no record.
func (o *personOnce) first(inc *incident, p int32, f sym) bool {
	if inc.people[p].nrefs < 2 {
		return true
	}
	if *o == nil {
		*o = personOnce{}
	}
	k := [2]int32{p, int32(f)}
	if (*o)[k] {
		return false
	}
	(*o)[k] = true
	return true
}

// mayStillBring is how many more people node n may bring: one while nobody in it
// answered yes, and with a function that needs more than one, each silent person
// as long as the node goes on alerting its deputies (required {it: 2}, one node).
func (inc *incident) mayStillBring(org *orgState, n int, acked bool, unanswered int) int {
	if org.nodes[n].exhausted || unanswered == 0 {
		return 0
	}
	if org.required[inc.syms.str(org.nodes[n].function)] > 1 && !inc.satisfied(org, n) {
		return unanswered
	}
	if acked {
		return 0
	}
	return 1
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
			o := inc.orgs[org]
			state, covered, missing := inc.assess(o, d.now)
			if state == o.readiness && maps.Equal(covered, o.covered) {
				continue
			}
			d.emit(Event{Incident: id, Kind: KindReadiness, Readiness: &ReadinessChange{
				Org: org, State: state, Previous: o.readiness, Covered: covered, Missing: missing,
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
