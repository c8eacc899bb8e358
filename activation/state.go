package activation

import (
	"math"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/kaskade-bcm/kaskade/notifiers"
)

// Core holds the state of every incident. It is not safe for concurrent
// use: the runner owns it from one goroutine.
type Core struct {
	incidents map[string]*incident
	order     []string // incident ids in declaration order
	timers    timerHeap
	// orgs holds every incident's organisations in activation order: timers
	// name them by their position (4 bytes instead of a pointer).
	orgs []*orgState
	// inputs are the input sequences applied (replayed from events).
	inputs inputSet
	// stopped holds the people who sent STOP and not START since: no SMS
	// goes to them (the carrier would refuse it).
	stopped map[string]bool
	// props holds the proposals from warning systems (proposals.go).
	props proposalBook
}

// Inbound outcomes the core acts on.
const (
	OutcomeStop  = "stop"
	OutcomeStart = "start"
)

func (c *Core) optOut(person string, stop bool) {
	if !stop {
		delete(c.stopped, person)
		return
	}
	if c.stopped == nil {
		c.stopped = map[string]bool{}
	}
	c.stopped[person] = true
}

// SMSStopped reports whether a person sent STOP (and not START since).
func (c *Core) SMSStopped(person string) bool { return c.stopped[person] }

// NewCore returns an empty core.
func NewCore() *Core {
	return &Core{incidents: map[string]*incident{}}
}

// The state is laid out for size: per-person records (100,000 of each) hold
// indexes into the incident's people, organisations, policies and strings, not
// strings, maps and pointers; views and snapshots derive from them exactly.

// sym names a string in an incident's table of distinct strings: channels,
// purposes, states, functions and answers repeat across 100,000 records, each
// of which would otherwise hold its own copy after a replay.
type sym uint32

type symtab struct {
	strs []string // strs[0] is ""
	idx  map[string]sym
}

func newSymtab() symtab { return symtab{strs: []string{""}, idx: map[string]sym{"": 0}} }

func (t *symtab) intern(s string) sym {
	if x, ok := t.idx[s]; ok {
		return x
	}
	x := sym(len(t.strs))
	t.strs = append(t.strs, s)
	t.idx[s] = x
	return x
}

func (t *symtab) str(x sym) string { return t.strs[x] }

type incident struct {
	decl       Declared
	declaredAt time.Time
	closed     bool
	closedAt   time.Time
	standDown  StandDown
	orgs       map[string]*orgState
	orgList    []*orgState // in activation order; nodeRef.org indexes it
	// notes[i] is notification i+1, whose id notify makes "<incident>-n<i+1>".
	// One whose id (or location) does not fit that is also kept whole in odd.
	notes  []noteState
	odd    map[int32]*Notification
	oddIDs map[string]int32
	people []personState
	// byID finds a person's index in people.
	byID personTable
	// moreRefs holds every place of a person who stands in several
	// (most stand in one, kept in personState.ref).
	moreRefs    map[int32][]nodeRef
	syms        symtab
	policies    []policy
	updates     []UpdateView
	counts      NotifyCounts
	lastEventAt time.Time
	timeline    []TimelineItem
	convertedAt time.Time
	conversion  Conversion
}

func newIncident(decl Declared, at time.Time) *incident {
	return &incident{
		decl:        decl,
		declaredAt:  at,
		orgs:        map[string]*orgState{},
		syms:        newSymtab(),
		lastEventAt: at,
	}
}

// policy is a node's escalation steps and wait; the nodes of one policy share it.
type policy struct {
	steps []Step
	wait  time.Duration
}

// nodeRef locates a node: an index into the incident's orgList and one into
// the organisation's nodes.
type nodeRef struct {
	org, node int32
}

type orgState struct {
	inc       *incident // timers name only the organisation
	id        string
	idx       int32 // in inc.orgList
	slot      int32 // in Core.orgs
	name      Names
	tree      string
	required  map[string]int
	target    time.Duration
	startedAt time.Time
	nodes     []nodeState
	// people holds every node's tiers, node by node (primary first, then
	// deputies): node i's are people[nodes[i].off:nodes[i+1].off]. tiers
	// is their state, in the same order; a "tier index" indexes both.
	people    []int32
	tiers     []tierState
	failed    map[int32]map[string]bool // tier index → channels that failed for good
	readiness ReadinessState
	covered   map[string]int
	missing   []string
	changedAt time.Time
	readyAt   time.Time
	// conference holds the calls in the organisation's staff conference.
	conference []confCall
	// members is derived (never encoded): each person once, in plan order,
	// so that a tile walks the organisation, not every person in the incident.
	members []int32
}

type nodeState struct {
	off      int32 // first tier index
	parent   int32 // -1 for a root
	function sym
	policy   int32 // in inc.policies
	highest  int32 // highest tier alerted; -1 before the node starts
	// child and sibling are derived from parent (never encoded): the first
	// child and the next child of the same parent, in plan order; -1 ends.
	child, sibling int32
	exhausted      bool
}

type tierState struct {
	alertedAt time.Time
	next      int32 // next policy step to consider
	hurry     bool  // a channel failed: take the next step at once
	delivered bool
	machine   bool // an answering machine took a call (the step counts as not reached)
}

type personState struct {
	id         string
	answeredAt time.Time
	ref        nodeRef // first place in the incident's plans
	nrefs      int32   // places; with more than one, all are in inc.moreRefs
	minutes    int32   // a delay; 0 with Delayed: ETA unknown
	remark     sym     // what the person wrote after the answer
	bound      int32   // 1 + index in orgList of the staff a positive answer binds to; 0: every staff
	answer     sym     // a ResponseKind (its source and actor are in the log only: nothing here reads them)
	channel    sym     // channel of the best alert notification so far
	bestState  sym     // a notifiers.State
	notified   bool
	reached    bool // some notification was not failed
}

// noteState is a notification and its state; its id follows from its
// position (see incident.notes).
type noteState struct {
	person                                       int32
	org, function, channel, purpose, text, state sym
	node, tier, step                             int32
}

// i32 converts an int from an event; values beyond int32 (never written
// by this package) saturate.
func i32(v int) int32 {
	return int32(min(max(v, math.MinInt32), math.MaxInt32))
}

// fits reports whether v is an index into a slice of length n.
func fits(v, n int) bool { return v >= 0 && v < n }

// positive reports whether an answer means the person is coming.
func positive(k ResponseKind) bool { return k == Available || k == Delayed }

// comingTo reports whether a person is coming to an organisation's staff:
// a positive answer that is not bound to another staff of the incident.
func (inc *incident) comingTo(ps *personState, org *orgState) bool {
	return positive(inc.answer(ps)) && (ps.bound == 0 || ps.bound == org.idx+1)
}

// boundElsewhere reports whether a person's yes binds them to another staff.
func (inc *incident) boundElsewhere(ps *personState, org *orgState) bool {
	return positive(inc.answer(ps)) && ps.bound != 0 && ps.bound != org.idx+1
}

func (inc *incident) answer(ps *personState) ResponseKind {
	return ResponseKind(inc.syms.str(ps.answer))
}

func (inc *incident) state(s sym) notifiers.State { return notifiers.State(inc.syms.str(s)) }

// span returns node n's tier indexes [lo, hi).
func (org *orgState) span(n int) (lo, hi int32) {
	lo, hi = org.nodes[n].off, int32(len(org.people))
	if n+1 < len(org.nodes) {
		hi = org.nodes[n+1].off
	}
	return lo, hi
}

// nodePeople returns node n's people (primary first, then deputies).
func (org *orgState) nodePeople(n int) []int32 {
	lo, hi := org.span(n)
	return org.people[lo:hi]
}

// tier returns the tier index of node n's tier t, false when there is none.
func (org *orgState) tier(n, t int) (int32, bool) {
	if !fits(n, len(org.nodes)) {
		return 0, false
	}
	lo, hi := org.span(n)
	if !fits(t, int(hi-lo)) {
		return 0, false
	}
	return lo + int32(t), true
}

// nodeOf returns the node of a tier index and the tier within the node.
func (org *orgState) nodeOf(tier int32) (node, t int) {
	// The last node starting at or before tier: nodes without people
	// share their successor's offset.
	node, _ = slices.BinarySearchFunc(org.nodes, tier+1, func(n nodeState, x int32) int { return int(n.off - x) })
	node--
	return node, int(tier - org.nodes[node].off)
}

// person returns a person's index, adding the person when new.
func (inc *incident) person(id string) int32 {
	if i, ok := inc.byID.find(inc.people, id); ok {
		return i
	}
	i := int32(len(inc.people))
	inc.people = append(inc.people, personState{id: id})
	inc.byID.add(inc.people, i)
	return i
}

// lookup returns a person's state, nil when the person is not in the incident.
// The pointer is valid until the next person is added.
func (inc *incident) lookup(id string) *personState {
	if i, ok := inc.byID.find(inc.people, id); ok {
		return &inc.people[i]
	}
	return nil
}

// refs returns the places of person i; one is returned in buf.
func (inc *incident) refs(i int32, buf *[1]nodeRef) []nodeRef {
	switch ps := &inc.people[i]; ps.nrefs {
	case 0:
		return nil
	case 1:
		buf[0] = ps.ref
		return buf[:]
	}
	return inc.moreRefs[i]
}

func (inc *incident) addRef(i int32, ref nodeRef) {
	ps := &inc.people[i]
	switch ps.nrefs {
	case 0:
		ps.ref = ref
	case 1:
		if inc.moreRefs == nil {
			inc.moreRefs = map[int32][]nodeRef{}
		}
		inc.moreRefs[i] = []nodeRef{ps.ref, ref}
	default:
		inc.moreRefs[i] = append(inc.moreRefs[i], ref)
	}
	ps.nrefs++
}

// intern returns the index of a policy equal to steps and wait, adding it when new.
func (inc *incident) policy(steps []Step, wait time.Duration) int32 {
	for i := len(inc.policies) - 1; i >= 0; i-- { // few policies; the last is the likeliest
		if p := inc.policies[i]; p.wait == wait && slices.Equal(p.steps, steps) {
			return int32(i)
		}
	}
	inc.policies = append(inc.policies, policy{steps: steps, wait: wait})
	return int32(len(inc.policies) - 1)
}

// noteNumber returns k when id is "<incident>-n<k>" exactly as notify writes it.
func noteNumber(incident, id string) (int, bool) {
	rest, ok := strings.CutPrefix(id, incident)
	if !ok {
		return 0, false
	}
	digits, ok := strings.CutPrefix(rest, "-n")
	if !ok || len(digits) == 0 || len(digits) > 9 || digits[0] == '0' {
		return 0, false
	}
	k := 0
	for _, c := range []byte(digits) {
		if c < '0' || c > '9' {
			return 0, false
		}
		k = k*10 + int(c-'0')
	}
	return k, true
}

func noteID(incident string, k int) string { return incident + "-n" + strconv.Itoa(k) }

// note returns the index of a notification in notes.
func (inc *incident) note(id string) (int32, bool) {
	if i, ok := inc.oddIDs[id]; ok {
		return i, true
	}
	k, ok := noteNumber(inc.decl.ID, id)
	if !ok || k > len(inc.notes) {
		return 0, false
	}
	if _, odd := inc.odd[int32(k-1)]; odd {
		return 0, false // that position holds a notification of another id
	}
	return int32(k - 1), true
}

// notification returns notification i as requested; id is its id.
func (inc *incident) notification(i int32, id string) Notification {
	if n := inc.odd[i]; n != nil {
		return *n
	}
	ns := &inc.notes[i]
	return Notification{ID: id, Person: inc.people[ns.person].id, Channel: inc.syms.str(ns.channel),
		Purpose: notifiers.Purpose(inc.syms.str(ns.purpose)), Org: inc.syms.str(ns.org), Function: inc.syms.str(ns.function),
		Node: int(ns.node), Tier: int(ns.tier), Step: int(ns.step), Text: inc.syms.str(ns.text)}
}

// acknowledged reports whether someone alerted (or answering) for the node is coming.
func (inc *incident) acknowledged(org *orgState, n int) bool {
	for _, p := range org.nodePeople(n) {
		if inc.comingTo(&inc.people[p], org) {
			return true
		}
	}
	return false
}

// satisfied reports whether node n needs nobody more: someone is coming
// and its function has its required number, counting one more for every
// other node of the function that may still bring someone. Until then the
// node goes on alerting its deputies (required: {x: 2} with one node for x).
func (inc *incident) satisfied(org *orgState, n int) bool {
	if !inc.acknowledged(org, n) {
		return false
	}
	f := org.nodes[n].function
	need := org.required[inc.syms.str(f)]
	if need <= 1 {
		return true
	}
	have := 0
	var once personOnce
	for i := range org.nodes {
		if org.nodes[i].function != f {
			continue
		}
		coming := 0
		for _, p := range org.nodePeople(i) {
			if inc.comingTo(&inc.people[p], org) && once.first(inc, p, f) {
				coming++
			}
		}
		if i != n && coming == 0 && !org.nodes[i].exhausted {
			coming = 1 // may still bring someone
		}
		have += coming
	}
	return have >= need
}

// Apply folds one event into the state. It never fails: an event that does
// not fit (unknown incident) is ignored, because the log is the truth.
func (c *Core) Apply(e Event) {
	if e.Input > 0 {
		c.inputs.add(e.Input)
	}
	if e.Kind == KindDeclared {
		c.applyDeclared(e)
		return
	}
	if IsProposalEvent(e.Kind) {
		c.applyProposal(e)
		return
	}
	if in := e.Inbound; e.Kind == KindInbound && in.Person != "" && (in.Outcome == OutcomeStop || in.Outcome == OutcomeStart) {
		c.optOut(in.Person, in.Outcome == OutcomeStop)
	}
	inc := c.incidents[e.Incident]
	if inc == nil {
		return
	}
	inc.lastEventAt = e.At
	defer inc.record(e)
	switch e.Kind {
	case KindActivationStarted:
		inc.applyActivation(c, e.At, *e.Activation)
	case KindTierAlerted:
		inc.applyTier(c, e.At, *e.Tier)
	case KindNodeExhausted:
		if org := inc.orgs[e.Exhausted.Org]; org != nil && fits(e.Exhausted.Node, len(org.nodes)) {
			org.nodes[e.Exhausted.Node].exhausted = true
		}
	case KindNotification:
		inc.applyNotification(c, e.At, *e.Notification)
	case KindDelivery:
		inc.applyDelivery(c, e.At, *e.Delivery)
	case KindResponse:
		inc.applyResponse(e.At, *e.Response)
	case KindReadiness:
		if org := inc.orgs[e.Readiness.Org]; org != nil {
			org.readiness = e.Readiness.State
			org.covered = e.Readiness.Covered
			org.missing = e.Readiness.Missing
			org.changedAt = e.At
			if e.Readiness.State == Ready && org.readyAt.IsZero() {
				org.readyAt = e.At
			}
		}
	case KindUpdate:
		inc.updates = append(inc.updates, UpdateView{At: e.At, By: e.Update.By, Text: e.Update.Text})
	case KindInbound:
		if conferenceEvent(e) {
			inc.applyConference(e.At, *e.Inbound)
		}
	case KindConverted:
		inc.decl.Exercise = false
		inc.convertedAt = e.At
		inc.conversion = *e.Converted
	case KindStoodDown:
		inc.closed = true
		inc.closedAt = e.At
		inc.standDown = *e.StandDown
	}
}

func (c *Core) applyDeclared(e Event) {
	if _, dup := c.incidents[e.Incident]; dup {
		return
	}
	c.incidents[e.Incident] = newIncident(*e.Declared, e.At)
	c.order = append(c.order, e.Incident)
	c.incidents[e.Incident].record(e)
}

// link derives the organisation's child lists and members from its nodes.
func (org *orgState) link() {
	for i := range org.nodes {
		org.nodes[i].child, org.nodes[i].sibling = -1, -1
	}
	for i := len(org.nodes) - 1; i >= 0; i-- { // backwards: the lists come out in plan order
		if p := org.nodes[i].parent; p >= 0 && int(p) < len(org.nodes) {
			org.nodes[i].sibling = org.nodes[p].child
			org.nodes[p].child = int32(i)
		}
	}
	org.members = make([]int32, 0, len(org.people))
	seen := make(map[int32]bool, len(org.people))
	for _, p := range org.people {
		if !seen[p] {
			seen[p] = true
			org.members = append(org.members, p)
		}
	}
}

func (inc *incident) applyActivation(c *Core, at time.Time, p Plan) {
	if _, dup := inc.orgs[p.Org]; dup {
		return
	}
	org := &orgState{inc: inc, id: p.Org, idx: int32(len(inc.orgList)), name: p.Name, tree: p.Tree,
		required: p.Required, target: p.Target, startedAt: at, readiness: Alerting, changedAt: at,
		nodes: make([]nodeState, len(p.Nodes))}
	n := 0
	for _, pn := range p.Nodes {
		n += len(pn.People)
	}
	org.people = make([]int32, 0, n)
	org.tiers = make([]tierState, n)
	for i, pn := range p.Nodes {
		org.nodes[i] = nodeState{off: int32(len(org.people)), parent: i32(pn.Parent), function: inc.syms.intern(pn.Function),
			policy: inc.policy(pn.Steps, pn.Wait), highest: -1}
		for _, id := range pn.People {
			person := inc.person(id)
			inc.addRef(person, nodeRef{org: org.idx, node: int32(i)})
			org.people = append(org.people, person)
		}
	}
	org.link()
	inc.orgs[p.Org] = org
	inc.orgList = append(inc.orgList, org)
	org.slot = int32(len(c.orgs))
	c.orgs = append(c.orgs, org)
	c.timers.push(newTimer(at.Add(p.Target), org, 0, timerDeadline))
}

func (inc *incident) applyTier(c *Core, at time.Time, t TierAlerted) {
	org := inc.orgs[t.Org]
	if org == nil {
		return
	}
	ti, ok := org.tier(t.Node, t.Tier)
	if !ok {
		return
	}
	node := &org.nodes[t.Node]
	node.highest = max(node.highest, int32(t.Tier))
	org.tiers[ti].alertedAt = at
	pol := inc.policies[node.policy]
	if len(pol.steps) > 0 {
		c.timers.push(newTimer(at.Add(pol.steps[0].After), org, ti, timerStep))
	}
	c.timers.push(newTimer(at.Add(pol.wait), org, ti, timerWait))
}

func (inc *incident) applyNotification(c *Core, at time.Time, n Notification) {
	if _, dup := inc.note(n.ID); dup {
		return
	}
	i := int32(len(inc.notes))
	if k, ok := noteNumber(inc.decl.ID, n.ID); !ok || k != len(inc.notes)+1 || n.Node != int(i32(n.Node)) ||
		n.Tier != int(i32(n.Tier)) || n.Step != int(i32(n.Step)) {
		if inc.odd == nil {
			inc.odd, inc.oddIDs = map[int32]*Notification{}, map[string]int32{}
		}
		inc.odd[i], inc.oddIDs[n.ID] = &n, i
	}
	ns := noteState{person: inc.person(n.Person), org: inc.syms.intern(n.Org), function: inc.syms.intern(n.Function),
		channel: inc.syms.intern(n.Channel), purpose: inc.syms.intern(string(n.Purpose)), text: inc.syms.intern(n.Text),
		state: inc.syms.intern(string(notifiers.StatePending)), node: i32(n.Node), tier: i32(n.Tier), step: i32(n.Step)}
	inc.notes = append(inc.notes, ns)
	inc.counts.Requested++
	if n.Purpose != notifiers.PurposeAlert {
		return
	}
	ps := &inc.people[ns.person]
	ps.notified = true
	if ps.channel == 0 {
		ps.channel = ns.channel
	}
	org := inc.orgs[n.Org]
	if org == nil {
		return
	}
	ti, ok := org.tier(n.Node, n.Tier)
	if !ok {
		return
	}
	ts := &org.tiers[ti]
	ts.next = i32(n.Step + 1)
	ts.hurry = false
	steps := inc.policies[org.nodes[n.Node].policy].steps
	if fits(int(ts.next), len(steps)) {
		c.timers.push(newTimer(ts.alertedAt.Add(steps[ts.next].After), org, ti, timerStep))
	}
}

func (inc *incident) applyDelivery(c *Core, at time.Time, d Delivery) {
	i, ok := inc.note(d.Notification)
	if !ok {
		return
	}
	ns := &inc.notes[i]
	cur := inc.state(ns.state)
	if d.State.Rank() <= cur.Rank() && !(d.State == notifiers.StateFailed && cur == notifiers.StateDelivered) {
		// Late or duplicate receipt: a later state is never overwritten.
		return
	}
	if cur.Final() {
		return
	}
	inc.countState(cur, -1)
	ns.state = inc.syms.intern(string(d.State))
	inc.countState(d.State, +1)
	ps := &inc.people[ns.person]
	alert := inc.syms.str(ns.purpose) == string(notifiers.PurposeAlert)
	switch d.State {
	case notifiers.StateSent, notifiers.StateDelivered, notifiers.StateUnknown:
		ps.reached = ps.reached || d.State != notifiers.StateUnknown
		if alert && d.State.Rank() > inc.state(ps.bestState).Rank() {
			ps.bestState = ns.state
			ps.channel = ns.channel
		}
	}
	if !alert {
		return
	}
	org := inc.orgs[inc.syms.str(ns.org)]
	if org == nil {
		return
	}
	ti, ok := org.tier(int(ns.node), int(ns.tier))
	if !ok {
		return
	}
	switch d.State {
	case notifiers.StateDelivered:
		org.tiers[ti].delivered = true
	case notifiers.StateFailed:
		if org.failed == nil {
			org.failed = map[int32]map[string]bool{}
		}
		if org.failed[ti] == nil {
			org.failed[ti] = map[string]bool{}
		}
		org.failed[ti][inc.syms.str(ns.channel)] = true
		org.tiers[ti].hurry = true
		org.tiers[ti].machine = org.tiers[ti].machine || d.Code == notifiers.CodeMachine
		c.timers.push(newTimer(at, org, ti, timerStep))
	}
}

func (inc *incident) countState(s notifiers.State, d int) {
	switch s {
	case notifiers.StateSent:
		inc.counts.Sent += d
	case notifiers.StateDelivered:
		inc.counts.Delivered += d
	case notifiers.StateFailed:
		inc.counts.Failed += d
	case notifiers.StateUnknown:
		inc.counts.Unknown += d
	}
}

func (inc *incident) applyResponse(at time.Time, r Response) {
	ps := &inc.people[inc.person(r.Person)]
	ps.answer = inc.syms.intern(string(r.Kind))
	ps.minutes = i32(r.Minutes)
	ps.remark = inc.syms.intern(r.Remark)
	ps.bound = 0
	if org := inc.orgs[r.Org]; org != nil && r.Org != "" {
		ps.bound = org.idx + 1
	}
	ps.answeredAt = at
	inc.counts.Responses++
}
