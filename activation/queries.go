package activation

import (
	"maps"
	"sort"
	"time"

	"github.com/kaskade-bcm/kaskade/notifiers"
)

// Directory names people for views; the core itself stores only ids.
type Directory interface {
	PersonName(id string) string
	// MaskedMobile returns the person's mobile with most digits hidden.
	MaskedMobile(id string) string
}

// Incidents returns every incident, newest first.
func (c *Core) Incidents() []IncidentView {
	out := make([]IncidentView, 0, len(c.order))
	for i := len(c.order) - 1; i >= 0; i-- {
		out = append(out, c.incidents[c.order[i]].view())
	}
	return out
}

// Incident returns one incident's view.
func (c *Core) Incident(id string) (IncidentView, bool) {
	inc := c.incidents[id]
	if inc == nil {
		return IncidentView{}, false
	}
	return inc.view(), true
}

// Readiness returns one organisation's tile.
func (c *Core) Readiness(id, org string) (OrgReadiness, bool) {
	inc := c.incidents[id]
	if inc == nil || inc.orgs[org] == nil {
		return OrgReadiness{}, false
	}
	return inc.readinessView(inc.orgs[org]), true
}

// Declaration returns the incident record as declared.
func (c *Core) Declaration(id string) (Declared, bool) {
	inc := c.incidents[id]
	if inc == nil {
		return Declared{}, false
	}
	return inc.decl, true
}

// DeclaredAt returns when an incident was declared.
func (c *Core) DeclaredAt(id string) (time.Time, bool) {
	inc := c.incidents[id]
	if inc == nil {
		return time.Time{}, false
	}
	return inc.declaredAt, true
}

// OpenIncidentsOf returns the open incidents in which a person is part of a
// plan, oldest first.
func (c *Core) OpenIncidentsOf(person string) []Declared {
	var out []Declared
	for _, id := range c.order {
		inc := c.incidents[id]
		if ps := inc.lookup(person); !inc.closed && ps != nil && ps.nrefs > 0 {
			out = append(out, inc.decl)
		}
	}
	return out
}

// Answer returns a person's current answer in an incident.
func (c *Core) Answer(id, person string) (kind ResponseKind, eta time.Time, at time.Time, ok bool) {
	inc := c.incidents[id]
	if inc == nil {
		return "", time.Time{}, time.Time{}, false
	}
	ps := inc.lookup(person)
	if ps == nil || ps.nrefs == 0 {
		return "", time.Time{}, time.Time{}, false
	}
	kind = inc.answer(ps)
	if kind == Delayed && ps.minutes > 0 {
		eta = ps.answeredAt.Add(time.Duration(ps.minutes) * time.Minute)
	}
	return kind, eta, ps.answeredAt, true
}

// Closed reports whether an incident was stood down.
func (c *Core) Closed(id string) bool {
	inc := c.incidents[id]
	return inc != nil && inc.closed
}

// NotificationInfo returns the request behind a notification id.
func (c *Core) NotificationInfo(incident, id string) (Notification, notifiers.State, bool) {
	inc := c.incidents[incident]
	if inc == nil {
		return Notification{}, "", false
	}
	i, ok := inc.note(id)
	if !ok {
		return Notification{}, "", false
	}
	return inc.notification(i, id), inc.state(inc.notes[i].state), true
}

func (inc *incident) view() IncidentView {
	v := IncidentView{
		ID: inc.decl.ID, ReplyCode: inc.decl.ReplyCode, Scenario: inc.decl.Scenario,
		ScenarioName: inc.decl.ScenarioName, Title: inc.decl.Title, Severity: inc.decl.Severity,
		Message: inc.decl.Message, Exercise: inc.decl.Exercise, DeclaredBy: inc.decl.DeclaredBy,
		Reason: inc.decl.Reason, DeclaredAt: inc.declaredAt, Status: "open",
		Updates: append([]UpdateView(nil), inc.updates...), Counts: inc.counts,
	}
	if !inc.convertedAt.IsZero() {
		t := inc.convertedAt
		v.ConvertedAt, v.ConvertedBy = &t, inc.conversion.By
	}
	if dr := inc.decl.Drill; dr != nil {
		d := *dr
		v.Drill = &d
	}
	if inc.closed {
		v.Status = "stood_down"
		t := inc.closedAt
		v.StoodDownAt = &t
		v.StoodDownBy = inc.standDown.By
	}
	for _, org := range inc.orgList {
		v.Organisations = append(v.Organisations, inc.readinessView(org))
	}
	return v
}

func (inc *incident) readinessView(org *orgState) OrgReadiness {
	r := OrgReadiness{
		Incident: inc.decl.ID, Org: org.id, Name: org.name, State: org.readiness,
		ActivatedAt: org.startedAt, Deadline: org.startedAt.Add(org.target),
		TargetSeconds: int64(org.target / time.Second), ChangedAt: org.changedAt,
		Required: maps.Clone(org.required), Covered: maps.Clone(org.covered), Missing: org.missing,
	}
	if r.Covered == nil {
		r.Covered = map[string]int{}
	}
	if r.Missing == nil && org.readiness != Ready {
		for f := range org.required {
			if r.Covered[f] < org.required[f] {
				r.Missing = append(r.Missing, f)
			}
		}
		sort.Strings(r.Missing)
	}
	if !org.readyAt.IsZero() {
		t := org.readyAt
		r.ReadyAt = &t
	}
	if inc.closed {
		r.State, r.Reached = StoodDown, org.readiness
	}
	r.People = len(org.members)
	r.InConference = len(org.conferenceMembers(nil))
	for _, p := range org.members {
		ps := &inc.people[p]
		if ps.notified {
			r.Notified++
		}
		if inc.boundElsewhere(ps, org) {
			continue
		}
		switch inc.answer(ps) {
		case Available:
			r.Available++
			r.Coming++
		case Unavailable:
			r.Unavailable++
		case Delayed:
			r.Coming++
			r.Delayed++
			eta := ps.answeredAt.Add(time.Duration(ps.minutes) * time.Minute)
			if ps.minutes == 0 {
				continue // ETA unknown
			}
			if r.LatestETA == nil || eta.After(*r.LatestETA) {
				r.LatestETA = &eta
			}
		}
	}
	return r
}

// Detail returns the drill-down for one organisation.
func (c *Core) Detail(id, org string, dir Directory) (OrgDetail, bool) {
	inc := c.incidents[id]
	if inc == nil || inc.orgs[org] == nil {
		return OrgDetail{}, false
	}
	o := inc.orgs[org]
	d := OrgDetail{Readiness: inc.readinessView(o)}
	depth := make([]int, len(o.nodes))
	for i := range o.nodes {
		ns := &o.nodes[i]
		if fits(int(ns.parent), len(depth)) {
			depth[i] = depth[ns.parent] + 1
		}
		nv := NodeView{Index: i, Parent: int(ns.parent), Depth: depth[i], Function: inc.syms.str(ns.function), State: "waiting"}
		switch {
		case inc.acknowledged(o, i):
			nv.State = "acknowledged"
		case ns.exhausted:
			nv.State = "exhausted"
		case ns.highest >= 0:
			nv.State = "alerting"
		}
		lo, hi := o.span(i)
		for ti := lo; ti < hi; ti++ {
			pv := inc.personView(o, ti, int(ti-lo), dir)
			pv.SMSStopped = c.stopped[pv.Person]
			nv.Tiers = append(nv.Tiers, pv)
		}
		d.Nodes = append(d.Nodes, nv)
	}
	d.Timeline = c.Timeline(id, org)
	d.Conference = o.conferenceMembers(dir)
	return d, true
}

func (inc *incident) personView(org *orgState, ti int32, tier int, dir Directory) PersonView {
	ps := &inc.people[org.people[ti]]
	ts := org.tiers[ti]
	p := ps.id
	v := PersonView{Person: p, Deputy: tier > 0, Alerted: !ts.alertedAt.IsZero()}
	if dir != nil {
		v.Name, v.MobileMasked = dir.PersonName(p), dir.MaskedMobile(p)
	}
	if v.Alerted {
		t := ts.alertedAt
		v.AlertedAt = &t
	}
	for ch := range org.failed[ti] {
		v.FailedChans = append(v.FailedChans, ch)
	}
	sort.Strings(v.FailedChans)
	v.Machine = ts.machine
	best := inc.state(ps.bestState)
	switch {
	case best == "" && len(v.FailedChans) > 0:
		best = notifiers.StateFailed
	case best == "" && ps.notified:
		best = notifiers.StatePending
	}
	v.Notification = string(best)
	if best != "" && best != notifiers.StateFailed {
		v.Channel = inc.syms.str(ps.channel)
	}
	if answer := inc.answer(ps); answer != "" {
		v.Answer = answer
		t := ps.answeredAt
		v.AnsweredAt = &t
		if answer == Delayed && ps.minutes > 0 {
			eta := ps.answeredAt.Add(time.Duration(ps.minutes) * time.Minute)
			v.ETA = &eta
		}
		v.ETAUnknown = answer == Delayed && ps.minutes == 0
		v.Remark = inc.syms.str(ps.remark)
		if inc.boundElsewhere(ps, org) {
			v.BoundTo = inc.orgList[ps.bound-1].id
		}
	}
	return v
}
