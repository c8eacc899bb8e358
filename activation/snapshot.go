package activation

import (
	"slices"
	"sync"
	"time"
	"unsafe"

	"github.com/kaskade-bcm/kaskade/notifiers"
)

// A snapshot is the core's whole state in a compact binary form, so that a
// restart restores it and replays only the events after it instead of the
// whole log (half a million events for an activation of 100,000 people).
// It is a cache of the log, never the record: a snapshot that cannot be
// read is ignored and the log replayed. The format is private to this
// package and versioned; a change of the state's shape bumps the version.
const snapshotVersion = 1

var snapshotMagic = []byte("KSNAP")

// parallelEncodeAbove is the size (notifications plus people) from which an
// incident's sections are encoded on several goroutines.
const parallelEncodeAbove = 20_000

// AppendSnapshot appends the encoded state to dst (a caller's header, in a
// buffer sized for the whole snapshot) and returns the extended buffer.
// The core must not change meanwhile.
func (c *Core) AppendSnapshot(dst []byte) []byte {
	w := &snapWriter{buf: dst}
	w.buf = append(w.buf, snapshotMagic...)
	w.uint(snapshotVersion)
	w.uint(c.inputs.low)
	w.uint(uint64(len(c.inputs.above)))
	for seq := range c.inputs.above {
		w.uint(seq)
	}
	w.uint(uint64(len(c.order)))
	for _, id := range c.order {
		w.str(id)
		c.incidents[id].encode(w)
	}
	w.uint(uint64(len(c.timers)))
	for _, t := range c.timers { // in heap order: the array stays a valid heap
		w.time(t.at)
		w.str(t.incident)
		w.str(t.org)
		w.int(t.node)
		w.int(t.tier)
		w.uint(uint64(t.kind))
	}
	return w.buf
}

// RestoreSnapshot returns the core a snapshot holds. The core's strings
// share data's memory: the caller hands data over and must not modify it.
func RestoreSnapshot(data []byte) (*Core, error) {
	if len(data) < len(snapshotMagic) || string(data[:len(snapshotMagic)]) != string(snapshotMagic) {
		return nil, ErrSnapshot
	}
	// Not copied: at 100,000 people a copy would be 19 MB more at the
	// moment a restart's memory peaks, for bytes nobody writes again.
	r := &snapReader{data: data, text: unsafe.String(&data[0], len(data)), pos: len(snapshotMagic)}
	if v := r.uint(); v != snapshotVersion && r.err == nil {
		r.fail("version %d, this build reads %d", v, snapshotVersion)
	}
	c := NewCore()
	c.inputs.low = r.uint()
	if n := r.count(); n > 0 {
		c.inputs.above = make(map[uint64]struct{}, n)
		for range n {
			c.inputs.above[r.uint()] = struct{}{}
		}
	}
	for range r.count() {
		id := r.str()
		c.incidents[id] = decodeIncident(r)
		c.order = append(c.order, id)
	}
	if n := r.count(); n > 0 {
		c.timers = make(timerHeap, n)
		for i := range c.timers {
			c.timers[i] = timer{at: r.time(), incident: r.str(), org: r.str(), node: r.int(), tier: r.int(), kind: timerKind(r.uint())}
		}
	}
	if r.err == nil && r.pos != len(data) {
		r.fail("%d bytes left over", len(data)-r.pos)
	}
	if r.err != nil {
		return nil, r.err
	}
	return c, nil
}

// count reads a plain element count, bounded by the bytes left.
func (r *snapReader) count() int {
	n := r.uint()
	if n > uint64(len(r.data)-r.pos) {
		r.fail("count %d exceeds the data", n)
		return 0
	}
	return int(n)
}

func (inc *incident) encode(w *snapWriter) {
	encodeDeclared(w, inc.decl)
	w.time(inc.declaredAt)
	w.bool(inc.closed)
	w.time(inc.closedAt)
	w.str(inc.standDown.By)
	w.str(inc.standDown.Reason)
	// The three large sections are encoded side by side when the incident
	// is large: the leader's decisions wait for the whole encoding, and
	// the state is only read meanwhile.
	sections := [](func(*snapWriter)){
		func(w *snapWriter) {
			w.uint(uint64(len(inc.orgOrder)))
			for _, id := range inc.orgOrder {
				w.str(id)
				inc.orgs[id].encode(w)
			}
		},
		func(w *snapWriter) {
			w.uint(uint64(len(inc.notes)))
			for _, ns := range inc.notes { // keyed by their id
				encodeNotification(w, ns.n)
				w.str(string(ns.state))
				w.time(ns.at)
			}
			w.int(inc.noteCount)
		},
		func(w *snapWriter) {
			w.uint(uint64(len(inc.people)))
			for id, ps := range inc.people {
				w.str(id)
				ps.encode(w)
			}
		},
	}
	if len(inc.notes)+len(inc.people) < parallelEncodeAbove {
		for _, f := range sections {
			f(w)
		}
	} else {
		parts := make([]snapWriter, len(sections))
		// Room for the usual size (about 60 bytes a notification, 45 a person).
		parts[1].buf = make([]byte, 0, 72*len(inc.notes))
		parts[2].buf = make([]byte, 0, 56*len(inc.people))
		var wg sync.WaitGroup
		for i, f := range sections[1:] {
			wg.Go(func() { f(&parts[i+1]) })
		}
		sections[0](w)
		wg.Wait()
		for _, p := range parts[1:] {
			w.buf = append(w.buf, p.buf...)
		}
	}
	w.length(len(inc.updates), inc.updates == nil)
	for _, u := range inc.updates {
		w.time(u.At)
		w.str(u.By)
		w.str(u.Text)
	}
	for _, n := range []int{inc.counts.Requested, inc.counts.Sent, inc.counts.Delivered, inc.counts.Failed, inc.counts.Unknown, inc.counts.Responses} {
		w.int(n)
	}
	w.time(inc.lastEventAt)
	w.length(len(inc.timeline), inc.timeline == nil)
	for _, it := range inc.timeline {
		w.time(it.At)
		w.str(it.Kind)
		w.str(it.Org)
		w.str(it.Person)
		w.str(it.Summary)
	}
	w.time(inc.convertedAt)
	w.str(inc.conversion.By)
	w.str(inc.conversion.Reason)
}

func decodeIncident(r *snapReader) *incident {
	inc := &incident{decl: decodeDeclared(r), declaredAt: r.time(), closed: r.bool(), closedAt: r.time(),
		standDown: StandDown{By: r.str(), Reason: r.str()}}
	n := r.count()
	inc.orgs = make(map[string]*orgState, n)
	for range n {
		id := r.str()
		inc.orgs[id] = decodeOrg(r)
		inc.orgOrder = append(inc.orgOrder, id)
	}
	n = r.count()
	inc.notes = make(map[string]*noteState, n)
	notes := make([]noteState, n) // one allocation instead of one per notification
	for i := range notes {
		notes[i] = noteState{n: decodeNotification(r), state: notifiers.State(r.str()), at: r.time()}
		inc.notes[notes[i].n.ID] = &notes[i]
	}
	inc.noteCount = r.int()
	n = r.count()
	inc.people = make(map[string]*personState, n)
	people := make([]personState, n)
	for i := range people {
		id := r.str()
		decodePerson(r, &people[i])
		inc.people[id] = &people[i]
	}
	for _, org := range inc.orgs {
		inc.link(org)
	}
	if n, isNil := r.length(); !isNil {
		inc.updates = make([]UpdateView, n)
		for i := range inc.updates {
			inc.updates[i] = UpdateView{At: r.time(), By: r.str(), Text: r.str()}
		}
	}
	inc.counts = NotifyCounts{Requested: r.int(), Sent: r.int(), Delivered: r.int(), Failed: r.int(), Unknown: r.int(), Responses: r.int()}
	inc.lastEventAt = r.time()
	if n, isNil := r.length(); !isNil {
		// Room for the cap: the timeline keeps growing after the restore.
		inc.timeline = make([]TimelineItem, n, max(n, min(2*n, timelineCap)))
		for i := range inc.timeline {
			inc.timeline[i] = TimelineItem{At: r.time(), Kind: r.str(), Org: r.str(), Person: r.str(), Summary: r.str()}
		}
	}
	inc.convertedAt = r.time()
	inc.conversion = Conversion{By: r.str(), Reason: r.str()}
	return inc
}

func encodeDeclared(w *snapWriter, d Declared) {
	for _, s := range []string{d.ID, d.ReplyCode, d.ClientID, d.Scenario, d.ScenarioName.DE, d.ScenarioName.EN,
		d.Title, d.Severity, d.Message, d.DeclaredBy, d.Reason, d.Source} {
		w.str(s)
	}
	w.bool(d.Exercise)
	w.time(d.DeclaredAt)
	w.bool(d.Drill != nil)
	if d.Drill != nil {
		w.bool(d.Drill.Announced)
		w.bool(d.Drill.DeputiesOnly)
	}
	w.strList(d.Orgs)
}

func decodeDeclared(r *snapReader) Declared {
	d := Declared{ID: r.str(), ReplyCode: r.str(), ClientID: r.str(), Scenario: r.str(),
		ScenarioName: Names{DE: r.str(), EN: r.str()}, Title: r.str(), Severity: r.str(), Message: r.str(),
		DeclaredBy: r.str(), Reason: r.str(), Source: r.str()}
	d.Exercise = r.bool()
	d.DeclaredAt = r.time()
	if r.bool() {
		d.Drill = &Drill{Announced: r.bool(), DeputiesOnly: r.bool()}
	}
	d.Orgs = r.strList()
	return d
}

func (org *orgState) encode(w *snapWriter) {
	p := org.plan
	w.str(p.Org)
	w.str(p.Name.DE)
	w.str(p.Name.EN)
	w.str(p.Tree)
	w.intMap(p.Required)
	w.int64(int64(p.Target))
	w.length(len(p.Nodes), p.Nodes == nil)
	for i, n := range p.Nodes {
		w.int(n.Parent)
		w.str(n.Function)
		w.strList(n.People)
		w.int64(int64(n.Wait))
		w.length(len(n.Steps), n.Steps == nil)
		for _, s := range n.Steps {
			w.str(s.Channel)
			w.int64(int64(s.After))
			w.str(s.If)
		}
		ns := org.nodes[i]
		w.int(ns.highest)
		w.bool(ns.exhausted)
		w.uint(uint64(len(ns.tiers)))
		for _, t := range ns.tiers {
			w.time(t.alertedAt)
			w.int(t.next)
			w.bool(t.hurry)
			w.length(len(t.failed), t.failed == nil)
			for ch, f := range t.failed {
				w.str(ch)
				w.bool(f)
			}
			w.bool(t.delivered)
		}
	}
	w.time(org.startedAt)
	w.str(string(org.readiness))
	w.intMap(org.covered)
	w.strList(org.missing)
	w.time(org.changedAt)
	w.time(org.readyAt)
}

func decodeOrg(r *snapReader) *orgState {
	p := Plan{Org: r.str(), Name: Names{DE: r.str(), EN: r.str()}, Tree: r.str(), Required: r.intMap()}
	p.Target = time.Duration(r.int64())
	org := &orgState{}
	n, isNil := r.length()
	org.nodes = make([]*nodeState, n)
	if !isNil {
		p.Nodes = make([]PlanNode, n)
		// One backing array for the organisation's nodes: fewer, larger allocations.
		states := make([]nodeState, n)
		for i := range p.Nodes {
			pn := &p.Nodes[i]
			pn.Parent, pn.Function, pn.People, pn.Wait = r.int(), r.str(), r.strList(), time.Duration(r.int64())
			if m, isNil := r.length(); !isNil {
				pn.Steps = make([]Step, m)
				for j := range pn.Steps {
					pn.Steps[j] = Step{Channel: r.str(), After: time.Duration(r.int64()), If: r.str()}
				}
				// Nodes of one policy have the same steps: share them (plans
				// are never modified).
				if i > 0 && slices.Equal(pn.Steps, p.Nodes[i-1].Steps) {
					pn.Steps = p.Nodes[i-1].Steps
				}
			}
			ns := &states[i]
			ns.highest, ns.exhausted = r.int(), r.bool()
			ns.tiers = make([]tierState, r.count())
			for j := range ns.tiers {
				t := &ns.tiers[j]
				t.alertedAt, t.next, t.hurry = r.time(), r.int(), r.bool()
				if m, isNil := r.length(); !isNil {
					t.failed = make(map[string]bool, m)
					for range m {
						ch := r.str()
						t.failed[ch] = r.bool()
					}
				}
				t.delivered = r.bool()
			}
			org.nodes[i] = ns
		}
	}
	org.plan = p
	// children is derived from the plan exactly as applyActivation builds it.
	org.children = make([][]int, len(p.Nodes))
	for i, n := range p.Nodes {
		if n.Parent >= 0 && n.Parent < len(p.Nodes) {
			org.children[n.Parent] = append(org.children[n.Parent], i)
		}
	}
	org.startedAt = r.time()
	org.readiness = ReadinessState(r.str())
	org.covered = r.intMap()
	org.missing = r.strList()
	org.changedAt = r.time()
	org.readyAt = r.time()
	return org
}

func encodeNotification(w *snapWriter, n Notification) {
	w.str(n.ID)
	for _, s := range []string{n.Person, n.Channel, string(n.Purpose), n.Org, n.Function, n.Text} {
		w.str(s)
	}
	w.int(n.Node)
	w.int(n.Tier)
	w.int(n.Step)
}

func decodeNotification(r *snapReader) Notification {
	n := Notification{ID: r.str(), Person: r.str(), Channel: r.str(), Purpose: notifiers.Purpose(r.str()),
		Org: r.str(), Function: r.str(), Text: r.str()}
	n.Node, n.Tier, n.Step = r.int(), r.int(), r.int()
	return n
}

func (ps *personState) encode(w *snapWriter) {
	w.str(string(ps.answer))
	w.int(ps.minutes)
	w.time(ps.answeredAt)
	w.str(ps.source)
	w.length(len(ps.nodes), ps.nodes == nil)
	for _, ref := range ps.nodes {
		w.str(ref.Org)
		w.int(ref.Node)
	}
	w.bool(ps.notified)
	w.bool(ps.reached)
	w.str(ps.channel)
	w.str(string(ps.bestState))
}

func decodePerson(r *snapReader, ps *personState) {
	ps.answer, ps.minutes, ps.answeredAt, ps.source = ResponseKind(r.str()), r.int(), r.time(), r.str()
	if n, isNil := r.length(); !isNil {
		ps.nodes = make([]NodeRef, n)
		for i := range ps.nodes {
			ps.nodes[i] = NodeRef{Org: r.str(), Node: r.int()}
		}
	}
	ps.notified, ps.reached = r.bool(), r.bool()
	ps.channel, ps.bestState = r.str(), notifiers.State(r.str())
}
