package activation

import (
	"time"

	"github.com/kaskade-bcm/kaskade/notifiers"
)

// Core holds the state of every incident. It is not safe for concurrent
// use: the runner owns it from one goroutine.
type Core struct {
	incidents map[string]*incident
	order     []string // incident ids in declaration order
	timers    timerHeap
	// inputs are the input sequences applied (replayed from events).
	inputs inputSet
}

// NewCore returns an empty core.
func NewCore() *Core {
	return &Core{incidents: map[string]*incident{}}
}

type incident struct {
	decl        Declared
	declaredAt  time.Time
	closed      bool
	closedAt    time.Time
	standDown   StandDown
	orgs        map[string]*orgState
	orgOrder    []string
	notes       map[string]*noteState // notification id → state
	noteCount   int
	people      map[string]*personState
	updates     []UpdateView
	counts      NotifyCounts
	lastEventAt time.Time
	timeline    []TimelineItem
	convertedAt time.Time
	conversion  Conversion
}

type orgState struct {
	plan      Plan
	startedAt time.Time
	nodes     []*nodeState
	children  [][]int // node index → child node indexes
	readiness ReadinessState
	covered   map[string]int
	missing   []string
	changedAt time.Time
	readyAt   time.Time
	// Derived from the plan (never encoded): each node's people and the
	// organisation's members, so that assessing readiness and building a
	// tile walk the organisation, not a map of every person in the incident.
	nodeFlat []*personState // node i's people are nodeFlat[nodeOff[i]:nodeOff[i+1]]
	nodeOff  []int32
	members  []*personState // each person once, in plan order
}

// nodePeople returns node i's people (primary first, then deputies).
func (org *orgState) nodePeople(i int) []*personState {
	return org.nodeFlat[org.nodeOff[i]:org.nodeOff[i+1]]
}

type nodeState struct {
	tiers     []tierState
	highest   int // highest tier alerted; -1 before the node starts
	exhausted bool
}

type tierState struct {
	alertedAt time.Time
	next      int  // next policy step to consider
	hurry     bool // a channel failed: take the next step at once
	failed    map[string]bool
	delivered bool
}

type personState struct {
	answer     ResponseKind
	minutes    int
	answeredAt time.Time
	source     string
	nodes      []NodeRef // where the person stands in this incident's plans
	notified   bool
	reached    bool   // some notification was not failed
	channel    string // channel of the best alert notification so far
	bestState  notifiers.State
}

type noteState struct {
	n     Notification
	state notifiers.State
	at    time.Time
}

// positive reports whether an answer means the person is coming.
func positive(k ResponseKind) bool { return k == Available || k == Delayed }

// acknowledged reports whether someone alerted (or answering) for the node is coming.
func (inc *incident) acknowledged(org *orgState, n int) bool {
	for _, p := range org.plan.Nodes[n].People {
		if ps := inc.people[p]; ps != nil && positive(ps.answer) {
			return true
		}
	}
	return false
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
		if org := inc.orgs[e.Exhausted.Org]; org != nil && e.Exhausted.Node < len(org.nodes) {
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
	c.incidents[e.Incident] = &incident{
		decl:        *e.Declared,
		declaredAt:  e.At,
		orgs:        map[string]*orgState{},
		notes:       map[string]*noteState{},
		people:      map[string]*personState{},
		lastEventAt: e.At,
	}
	c.order = append(c.order, e.Incident)
	c.incidents[e.Incident].record(e)
}

// link derives the organisation's person pointers from its plan; the
// people must exist.
func (inc *incident) link(org *orgState) {
	org.nodeOff = make([]int32, 0, len(org.plan.Nodes)+1)
	seen := make(map[*personState]bool)
	for _, n := range org.plan.Nodes {
		org.nodeOff = append(org.nodeOff, int32(len(org.nodeFlat)))
		for _, p := range n.People {
			ps := inc.person(p)
			org.nodeFlat = append(org.nodeFlat, ps)
			if !seen[ps] {
				seen[ps] = true
				org.members = append(org.members, ps)
			}
		}
	}
	org.nodeOff = append(org.nodeOff, int32(len(org.nodeFlat)))
}

func (inc *incident) person(id string) *personState {
	ps := inc.people[id]
	if ps == nil {
		ps = &personState{}
		inc.people[id] = ps
	}
	return ps
}

func (inc *incident) applyActivation(c *Core, at time.Time, p Plan) {
	if _, dup := inc.orgs[p.Org]; dup {
		return
	}
	org := &orgState{
		plan:      p,
		startedAt: at,
		nodes:     make([]*nodeState, len(p.Nodes)),
		children:  make([][]int, len(p.Nodes)),
		readiness: Alerting,
		changedAt: at,
	}
	for i, n := range p.Nodes {
		org.nodes[i] = &nodeState{tiers: make([]tierState, len(n.People)), highest: -1}
		if n.Parent >= 0 {
			org.children[n.Parent] = append(org.children[n.Parent], i)
		}
		for _, person := range n.People {
			ps := inc.person(person)
			ps.nodes = append(ps.nodes, NodeRef{Org: p.Org, Node: i})
		}
	}
	inc.link(org)
	inc.orgs[p.Org] = org
	inc.orgOrder = append(inc.orgOrder, p.Org)
	c.timers.push(timer{at: at.Add(p.Target), incident: inc.decl.ID, kind: timerDeadline, org: p.Org})
}

func (inc *incident) applyTier(c *Core, at time.Time, t TierAlerted) {
	org := inc.orgs[t.Org]
	if org == nil || t.Node >= len(org.nodes) || t.Tier >= len(org.nodes[t.Node].tiers) {
		return
	}
	node := org.nodes[t.Node]
	if t.Tier > node.highest {
		node.highest = t.Tier
	}
	ts := &node.tiers[t.Tier]
	ts.alertedAt = at
	pn := org.plan.Nodes[t.Node]
	ref := timer{incident: inc.decl.ID, org: t.Org, node: t.Node, tier: t.Tier}
	if len(pn.Steps) > 0 {
		step := ref
		step.kind, step.at = timerStep, at.Add(pn.Steps[0].After)
		c.timers.push(step)
	}
	wait := ref
	wait.kind, wait.at = timerWait, at.Add(pn.Wait)
	c.timers.push(wait)
}

func (inc *incident) applyNotification(c *Core, at time.Time, n Notification) {
	if _, dup := inc.notes[n.ID]; dup {
		return
	}
	inc.noteCount++
	inc.notes[n.ID] = &noteState{n: n, state: notifiers.StatePending, at: at}
	inc.counts.Requested++
	ps := inc.person(n.Person)
	if n.Purpose != notifiers.PurposeAlert {
		return
	}
	ps.notified = true
	if ps.channel == "" {
		ps.channel = n.Channel
	}
	org := inc.orgs[n.Org]
	if org == nil || n.Node >= len(org.nodes) || n.Tier >= len(org.nodes[n.Node].tiers) {
		return
	}
	ts := &org.nodes[n.Node].tiers[n.Tier]
	ts.next = n.Step + 1
	ts.hurry = false
	steps := org.plan.Nodes[n.Node].Steps
	if ts.next < len(steps) {
		c.timers.push(timer{at: ts.alertedAt.Add(steps[ts.next].After), incident: inc.decl.ID, kind: timerStep, org: n.Org, node: n.Node, tier: n.Tier})
	}
}

func (inc *incident) applyDelivery(c *Core, at time.Time, d Delivery) {
	ns := inc.notes[d.Notification]
	if ns == nil || d.State.Rank() <= ns.state.Rank() && !(d.State == notifiers.StateFailed && ns.state == notifiers.StateDelivered) {
		// Late or duplicate receipt: a later state is never overwritten.
		return
	}
	if ns.state.Final() {
		return
	}
	inc.countState(ns.state, -1)
	ns.state = d.State
	inc.countState(d.State, +1)
	ps := inc.person(ns.n.Person)
	switch d.State {
	case notifiers.StateSent, notifiers.StateDelivered, notifiers.StateUnknown:
		ps.reached = ps.reached || d.State != notifiers.StateUnknown
		if ns.n.Purpose == notifiers.PurposeAlert && d.State.Rank() > ps.bestState.Rank() {
			ps.bestState = d.State
			ps.channel = ns.n.Channel
		}
	}
	if ns.n.Purpose != notifiers.PurposeAlert {
		return
	}
	org := inc.orgs[ns.n.Org]
	if org == nil || ns.n.Node >= len(org.nodes) || ns.n.Tier >= len(org.nodes[ns.n.Node].tiers) {
		return
	}
	ts := &org.nodes[ns.n.Node].tiers[ns.n.Tier]
	switch d.State {
	case notifiers.StateDelivered:
		ts.delivered = true
	case notifiers.StateFailed:
		if ts.failed == nil {
			ts.failed = map[string]bool{}
		}
		ts.failed[ns.n.Channel] = true
		ts.hurry = true
		c.timers.push(timer{at: at, incident: inc.decl.ID, kind: timerStep, org: ns.n.Org, node: ns.n.Node, tier: ns.n.Tier})
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
	ps := inc.person(r.Person)
	ps.answer = r.Kind
	ps.minutes = r.Minutes
	ps.answeredAt = at
	ps.source = r.Source
	inc.counts.Responses++
}
