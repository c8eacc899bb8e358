package activation

import (
	"container/heap"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/kaskade-bcm/kaskade/notifiers"
)

// Sentinel errors of Handle.
var (
	ErrUnknownIncident = errors.New("activation: unknown incident")
	ErrDuplicate       = errors.New("activation: incident already declared")
	ErrUnknownPerson   = errors.New("activation: person is not part of this incident")
	ErrClosed          = errors.New("activation: incident has been stood down")
	ErrInvalid         = errors.New("activation: invalid input")
)

// decider collects the events of one decision, applying each at once so
// later choices in the same decision see it.
type decider struct {
	c     *Core
	now   time.Time
	input uint64
	out   []Event
	dirty map[string]map[string]bool // incident → orgs whose readiness may have changed
}

func (d *decider) emit(e Event) {
	e.V = SchemaVersion
	e.At = d.now
	e.Input = d.input
	d.c.Apply(e)
	d.out = append(d.out, e)
}

func (d *decider) touch(incident, org string) {
	if d.dirty == nil {
		d.dirty = map[string]map[string]bool{}
	}
	if d.dirty[incident] == nil {
		d.dirty[incident] = map[string]bool{}
	}
	d.dirty[incident][org] = true
}

// Handle decides what an input means and returns the events, already applied.
// An error means the input was refused: the events then hold only an
// input_rejected record (and the raw inbound message, which is always stored).
func (c *Core) Handle(in Input, now time.Time) ([]Event, error) {
	d := &decider{c: c, now: now, input: in.Seq}
	err := d.handle(in)
	d.flushReadiness()
	if err != nil {
		incident := in.Incident
		if incident == "" {
			incident = "_"
		}
		rej := &Rejected{Input: in.Kind(), Error: err.Error()}
		if in.Response != nil {
			rej.Person = in.Response.Person
		}
		d.emit(Event{Incident: incident, Kind: KindRejected, Rejected: rej})
	}
	return d.out, err
}

// Kind names the input: confirm, propose, dismiss, withdraw, declare,
// response, delivery, update, stand_down, inbound, convert, config_reload
// (also the last token of its subject).
func (in Input) Kind() string {
	switch {
	case in.Confirm != nil:
		return "confirm"
	case in.Propose != nil:
		return "propose"
	case in.Dismiss != nil:
		return "dismiss"
	case in.Withdraw != nil:
		return "withdraw"
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
	case in.Reload != nil:
		return "config_reload"
	}
	return "empty"
}

func (d *decider) handle(in Input) error {
	switch {
	case in.Confirm != nil && in.Declare != nil:
		return d.confirm(in)
	case in.Confirm != nil:
		return fmt.Errorf("%w: a confirmation without its declaration", ErrInvalid)
	case in.Propose != nil:
		return d.propose(in)
	case in.Dismiss != nil:
		return d.dismiss(in)
	case in.Withdraw != nil:
		return d.withdraw(in)
	}
	if in.Declare != nil {
		return d.declare(in)
	}
	if in.Reload != nil {
		// A record only: plans were taken at declaration, nothing running changes.
		r := *in.Reload
		d.emit(Event{Incident: "_", Kind: KindConfigReloaded, Reload: &r})
		return nil
	}
	if in.Inbound != nil {
		// The raw message is a fact even when it cannot be attributed.
		d.emit(Event{Incident: in.Incident, Kind: KindInbound, Inbound: in.Inbound})
	}
	inc := d.c.incidents[in.Incident]
	if inc == nil {
		if in.Inbound != nil && in.Response == nil {
			return nil
		}
		return fmt.Errorf("%w %q", ErrUnknownIncident, in.Incident)
	}
	switch {
	case in.Response != nil:
		return d.respond(inc, *in.Response)
	case in.Delivery != nil:
		return d.deliver(inc, *in.Delivery)
	case in.Update != nil:
		return d.update(inc, *in.Update)
	case in.StandDown != nil:
		return d.standDown(inc, *in.StandDown)
	case in.Convert != nil:
		return d.convert(inc, *in.Convert)
	case in.Inbound != nil:
		return nil
	}
	return fmt.Errorf("%w: empty input", ErrInvalid)
}

func (d *decider) declare(in Input) error {
	decl := *in.Declare
	if _, dup := d.c.incidents[decl.ID]; dup {
		return fmt.Errorf("%w: %s", ErrDuplicate, decl.ID)
	}
	if len(in.Plans) == 0 {
		return fmt.Errorf("%w: declaration without organisations", ErrInvalid)
	}
	d.emit(Event{Incident: decl.ID, Kind: KindDeclared, Declared: &decl})
	for i := range in.Plans {
		p := in.Plans[i]
		d.emit(Event{Incident: decl.ID, Kind: KindActivationStarted, Activation: &p})
		inc := d.c.incidents[decl.ID]
		org := inc.orgs[p.Org]
		for n, pn := range p.Nodes {
			if pn.Parent < 0 {
				d.alertTier(inc, org, n, 0, "start")
			}
		}
		d.touch(decl.ID, p.Org)
	}
	return nil
}

// alertTier alerts one tier of a node and sends its immediate steps.
func (d *decider) alertTier(inc *incident, org *orgState, node, tier int, reason string) {
	person := org.nodePeople(node)[tier]
	d.emit(Event{Incident: inc.decl.ID, Kind: KindTierAlerted, Tier: &TierAlerted{
		NodeRef: NodeRef{Org: org.id, Node: node}, Tier: tier, Person: inc.people[person].id, Reason: reason,
	}})
	d.advanceTier(inc, org, node, tier)
	d.touch(inc.decl.ID, org.id)
	switch ps := &inc.people[person]; {
	case inc.answer(ps) == Unavailable:
		// Said no already (for another node): no message, and no wait for nothing.
		d.escalate(inc, org, node, "unavailable")
	case inc.boundElsewhere(ps, org):
		// Coming, but to the staff whose alert came first.
		d.escalate(inc, org, node, "bound_elsewhere")
	}
}

// advanceTier sends every policy step of a tier that is due now.
func (d *decider) advanceTier(inc *incident, org *orgState, node, tier int) {
	ns := &org.nodes[node]
	ti, _ := org.tier(node, tier)
	ts := &org.tiers[ti]
	person := &inc.people[org.people[ti]]
	if ts.alertedAt.IsZero() || inc.closed || person.answer != 0 || inc.satisfied(org, node) {
		return
	}
	steps := inc.policies[ns.policy].steps
	failed := org.failed[ti]
	for fits(int(ts.next), len(steps)) {
		step := steps[ts.next]
		due := ts.alertedAt.Add(step.After)
		switch {
		case d.blocked(failed, person.id, step.Channel):
			// That channel failed permanently for this person, or the person
			// sent STOP: the next step goes at once.
			ts.next++
			ts.hurry = true
			continue
		case step.If == "not_delivered" && ts.delivered:
			ts.next++
			continue
		case due.After(d.now) && !ts.hurry:
			// Not yet; a timer for it exists (pushed when the previous step was sent)
			// unless steps were skipped here, so push one to be sure.
			d.c.timers.push(newTimer(due, org, ti, timerStep))
			return
		}
		d.notify(inc, Notification{Person: person.id, Channel: step.Channel, Purpose: notifiers.PurposeAlert,
			Org: org.id, Function: inc.syms.str(ns.function), Node: node, Tier: tier, Step: int(ts.next)})
		return
	}
	// No step left. If every channel of the policy failed, the next deputy
	// takes over at once; otherwise the tier's wait decides.
	if int(ns.highest) == tier && d.allBlocked(steps, failed, person.id) {
		d.escalate(inc, org, node, "failed")
	}
}

// ChannelSMS is the channel a STOP blocks.
const ChannelSMS = "sms"

// blocked reports whether a channel cannot reach a person: it failed for
// good, or it is SMS and the person sent STOP.
func (d *decider) blocked(failed map[string]bool, person, ch string) bool {
	return failed[ch] || ch == ChannelSMS && d.c.stopped[person]
}

func (d *decider) allBlocked(steps []Step, failed map[string]bool, person string) bool {
	for _, s := range steps {
		if !d.blocked(failed, person, s.Channel) {
			return false
		}
	}
	return len(steps) > 0
}

func (d *decider) notify(inc *incident, n Notification) {
	n.ID = noteID(inc.decl.ID, len(inc.notes)+1)
	n.Class = inc.class(n)
	d.emit(Event{Incident: inc.decl.ID, Kind: KindNotification, Notification: &n})
}

// class is a request's dispatch priority (see ClassFirst).
func (inc *incident) class(n Notification) string {
	switch {
	case inc.decl.Exercise:
		return ClassExercise
	case n.Purpose == notifiers.PurposeConvert:
		return ClassAlert
	case n.Purpose != notifiers.PurposeAlert:
		return ClassInfo
	}
	if org := inc.orgs[n.Org]; org != nil && fits(n.Node, len(org.nodes)) {
		ns := &org.nodes[n.Node]
		if ns.parent < 0 || org.required[inc.syms.str(ns.function)] > 0 {
			return ClassFirst
		}
	}
	return ClassAlert
}

// escalate alerts the node's next tier, or marks the node exhausted and
// cascades to its children so the rest of the tree is never lost.
func (d *decider) escalate(inc *incident, org *orgState, node int, reason string) {
	ns := &org.nodes[node]
	if ns.exhausted || inc.satisfied(org, node) {
		return
	}
	next := int(ns.highest) + 1
	if next < len(org.nodePeople(node)) {
		d.alertTier(inc, org, node, next, reason)
		return
	}
	d.emit(Event{Incident: inc.decl.ID, Kind: KindNodeExhausted, Exhausted: &NodeRef{Org: org.id, Node: node}})
	d.cascade(inc, org, node)
	d.touch(inc.decl.ID, org.id)
}

// cascade alerts the children of a node that have not started yet.
func (d *decider) cascade(inc *incident, org *orgState, node int) {
	for child := org.nodes[node].child; child >= 0; child = org.nodes[child].sibling {
		if org.nodes[child].highest < 0 {
			d.alertTier(inc, org, int(child), 0, "cascade")
		}
	}
}

func (d *decider) respond(inc *incident, r Response) error {
	r.Remark = clipRemark(r.Remark)
	switch r.Kind {
	case Available, Unavailable:
		r.Minutes, r.ETAUnknown = 0, false
	case Delayed:
		if r.ETAUnknown && r.Minutes != 0 {
			return fmt.Errorf("%w: a delay without ETA has no minutes, got %d", ErrInvalid, r.Minutes)
		}
		if !r.ETAUnknown && (r.Minutes < 1 || r.Minutes > 24*60) {
			return fmt.Errorf("%w: delay must be 1 to 1440 minutes, got %d", ErrInvalid, r.Minutes)
		}
	default:
		return fmt.Errorf("%w: response kind %q", ErrInvalid, r.Kind)
	}
	person, ok := inc.byID.find(inc.people, r.Person)
	var buf [1]nodeRef
	var refs []nodeRef
	if ok {
		refs = inc.refs(person, &buf)
	}
	if len(refs) == 0 {
		return fmt.Errorf("%w: %s", ErrUnknownPerson, r.Person)
	}
	r.Org = inc.bindTo(person, refs, r)
	// Which nodes were acknowledged before this answer?
	before := make([]bool, len(refs))
	for i, ref := range refs {
		before[i] = inc.acknowledged(inc.orgList[ref.org], int(ref.node))
	}
	d.emit(Event{Incident: inc.decl.ID, Kind: KindResponse, Response: &r})
	if inc.closed {
		return nil // recorded for the report, but nothing is escalated any more
	}
	for i, ref := range refs {
		org, node := inc.orgList[ref.org], int(ref.node)
		d.touch(inc.decl.ID, org.id)
		now := inc.acknowledged(org, node)
		switch {
		case now && !inc.satisfied(org, node) && positive(r.Kind) && org.nodes[node].highest >= 0 &&
			org.nodePeople(node)[org.nodes[node].highest] == person:
			// The function still lacks people: the node's next deputy too.
			if !before[i] {
				d.cascade(inc, org, node)
			}
			d.escalate(inc, org, node, "more_needed")
		case now && !before[i]:
			d.cascade(inc, org, node)
		case !now && (r.Kind == Unavailable || inc.boundElsewhere(&inc.people[person], org)):
			// The current tier said no or is bound to another staff (or a
			// covering person dropped out): next deputy at once.
			ns := &org.nodes[node]
			reason := "unavailable"
			if r.Kind != Unavailable {
				reason = "bound_elsewhere"
			}
			if ns.highest >= 0 && (org.nodePeople(node)[ns.highest] == person || before[i]) {
				d.escalate(inc, org, node, reason)
			}
		}
	}
	return nil
}

func (d *decider) deliver(inc *incident, dl Delivery) error {
	i, ok := inc.note(dl.Notification)
	if !ok {
		return fmt.Errorf("%w: unknown notification %q", ErrInvalid, dl.Notification)
	}
	if dl.State.Rank() < 0 {
		return fmt.Errorf("%w: delivery state %q", ErrInvalid, dl.State)
	}
	ps := &inc.people[inc.notes[i].person]
	wasReached := ps.reached || inc.state(ps.bestState) == notifiers.StateUnknown
	d.emit(Event{Incident: inc.decl.ID, Kind: KindDelivery, Delivery: &dl})
	ns := &inc.notes[i]
	if inc.closed && !wasReached && inc.syms.str(ns.purpose) == string(notifiers.PurposeAlert) {
		d.lateStandDown(inc, ns.person)
	}
	if dl.State == notifiers.StateFailed && inc.syms.str(ns.purpose) == string(notifiers.PurposeAlert) && !inc.closed {
		if org := inc.orgs[inc.syms.str(ns.org)]; org != nil {
			if _, ok := org.tier(int(ns.node), int(ns.tier)); ok {
				d.advanceTier(inc, org, int(ns.node), int(ns.tier))
			}
		}
	}
	return nil
}

func (d *decider) update(inc *incident, u SituationUpdate) error {
	if inc.closed {
		return ErrClosed
	}
	if u.Text == "" {
		return fmt.Errorf("%w: empty situation update", ErrInvalid)
	}
	d.emit(Event{Incident: inc.decl.ID, Kind: KindUpdate, Update: &u})
	d.broadcast(inc, notifiers.PurposeUpdate, u.Text, false)
	return nil
}

func (d *decider) standDown(inc *incident, s StandDown) error {
	if inc.closed {
		return ErrClosed
	}
	d.emit(Event{Incident: inc.decl.ID, Kind: KindStoodDown, StandDown: &s})
	d.broadcast(inc, notifiers.PurposeStandDown, s.Reason, true)
	return nil
}

// convert makes a running exercise real: the switch is recorded and
// everyone notified so far gets the real alert; escalation goes on.
func (d *decider) convert(inc *incident, c Conversion) error {
	switch {
	case inc.closed:
		return ErrClosed
	case !inc.decl.Exercise:
		return fmt.Errorf("%w: %s is not an exercise", ErrInvalid, inc.decl.ID)
	case c.By == "" || c.Reason == "":
		return fmt.Errorf("%w: converting an exercise needs who and why", ErrInvalid)
	}
	d.emit(Event{Incident: inc.decl.ID, Kind: KindConverted, Converted: &c})
	d.broadcast(inc, notifiers.PurposeConvert, c.Reason, false)
	for _, org := range inc.orgList {
		d.touch(inc.decl.ID, org.id)
	}
	return nil
}

// broadcast sends a text to everyone notified so far (reachedOnly: only
// people some message reached), over the channel that worked best.
func (d *decider) broadcast(inc *incident, purpose notifiers.Purpose, text string, reachedOnly bool) {
	for _, org := range inc.orgList {
		for _, p := range org.members {
			ps := &inc.people[p]
			if !ps.notified || (reachedOnly && !ps.reached && inc.state(ps.bestState) != notifiers.StateUnknown) {
				continue
			}
			d.notify(inc, Notification{Person: ps.id, Channel: inc.syms.str(ps.channel), Purpose: purpose, Org: org.id, Text: text})
		}
	}
}

// lateStandDown tells a person reached only after the stand-down (an alert
// in flight at that moment) that it is over, once: the stand-down goes to
// exactly the people reached.
func (d *decider) lateStandDown(inc *incident, person int32) {
	ps := &inc.people[person]
	if !ps.reached && inc.state(ps.bestState) != notifiers.StateUnknown {
		return
	}
	stand := inc.syms.intern(string(notifiers.PurposeStandDown))
	for i := len(inc.notes) - 1; i >= 0; i-- { // few late reports, each after the stand-down
		if n := &inc.notes[i]; n.person == person && n.purpose == stand {
			return
		}
	}
	org := ""
	if ps.nrefs > 0 {
		org = inc.orgList[ps.ref.org].id
	}
	d.notify(inc, Notification{Person: ps.id, Channel: inc.syms.str(ps.channel), Purpose: notifiers.PurposeStandDown,
		Org: org, Text: inc.standDown.Reason})
}

// Tick fires every timer due at now and returns the events decided.
func (c *Core) Tick(now time.Time) []Event {
	d := &decider{c: c, now: now}
	for len(c.timers) > 0 && c.timers[0].at <= nanos(now) {
		t := heap.Pop(&c.timers).(timer)
		org := c.orgs[t.org]
		inc := org.inc
		if inc.closed {
			continue
		}
		switch t.kind() {
		case timerStep:
			node, tier := org.nodeOf(t.tier())
			d.advanceTier(inc, org, node, tier)
		case timerWait:
			if node, tier := org.nodeOf(t.tier()); int(org.nodes[node].highest) == tier {
				d.escalate(inc, org, node, "timeout")
			}
		case timerDeadline:
			d.touch(inc.decl.ID, org.id)
		}
	}
	d.flushReadiness()
	return d.out
}

// clipRemark bounds a remark to MaxRemark bytes without cutting a character.
func clipRemark(s string) string {
	if len(s) <= MaxRemark {
		return s
	}
	n := MaxRemark
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n]
}

// bindTo returns the staff a positive answer of a person in several staffs
// covers: the one the answer names, else the one whose alert reached the
// person first (else the first in the plan). "" when the person stands in
// one staff only or the answer is no, which counts everywhere.
func (inc *incident) bindTo(person int32, refs []nodeRef, r Response) string {
	if !positive(r.Kind) || len(refs) < 2 {
		return ""
	}
	orgs := make([]*orgState, 0, len(refs))
	for _, ref := range refs {
		if org := inc.orgList[ref.org]; !slices.Contains(orgs, org) {
			orgs = append(orgs, org)
		}
	}
	if len(orgs) < 2 {
		return ""
	}
	for _, org := range orgs {
		if strings.EqualFold(org.id, r.Org) {
			return org.id
		}
	}
	best, first := orgs[0], time.Time{}
	for _, ref := range refs {
		org := inc.orgList[ref.org]
		lo, hi := org.span(int(ref.node))
		for ti := lo; ti < hi; ti++ {
			if at := org.tiers[ti].alertedAt; org.people[ti] == person && !at.IsZero() && (first.IsZero() || at.Before(first)) {
				best, first = org, at
			}
		}
	}
	return best.id
}
