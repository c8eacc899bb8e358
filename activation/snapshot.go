package activation

import (
	"maps"
	"slices"
	"sync"
	"time"

	"github.com/kaskade-bcm/kaskade/notifiers"
)

// snapshotVersion numbers the core's private snapshot format: its whole state
// in compact binary, a cache of the log (one that cannot be read is ignored).
// A change of the state's shape bumps it.
const snapshotVersion = 6 // 3: remarks, STOP senders, answer bindings; 4: staff conference calls; 5: proposals; 6: answering machines

var snapshotMagic = []byte("KSNAP")

// parallelEncodeAbove is the size (notifications plus people, or timers)
// from which sections are encoded on several goroutines.
const parallelEncodeAbove = 20_000

// AppendSnapshot appends the encoded state to dst and returns the extended
// buffer. The core must not change meanwhile. SnapshotParts does the same
// without copying the large sections into one buffer.
func (c *Core) AppendSnapshot(dst []byte) []byte {
	parts := c.SnapshotParts(dst)
	out := parts[0]
	for _, p := range parts[1:] {
		out = append(out, p...)
	}
	return out
}

// SnapshotParts returns AppendSnapshot(prefix) in pieces: the first extends
// prefix (a caller's header), large sections get their own, to be written one
// after the other without copying. The core must not change meanwhile.
func (c *Core) SnapshotParts(prefix []byte) [][]byte {
	e := &snapEncoder{w: &snapWriter{buf: prefix}}
	w := e.w
	w.buf = append(w.buf, snapshotMagic...)
	w.uint(snapshotVersion)
	w.uint(c.inputs.low)
	w.uint(uint64(len(c.inputs.above)))
	for seq := range c.inputs.above {
		w.uint(seq)
	}
	w.uint(uint64(len(c.stopped)))
	for _, p := range slices.Sorted(maps.Keys(c.stopped)) {
		w.str(p)
	}
	c.props.encode(w)
	timers := func(w *snapWriter) {
		w.uint(uint64(len(c.timers)))
		for _, t := range c.timers { // in heap order: the array stays a valid heap
			w.int64(t.at)
			w.uint(uint64(t.org))
			w.uint(uint64(t.ref))
		}
	}
	var timerPart snapWriter
	var wg sync.WaitGroup
	parallel := len(c.timers) >= parallelEncodeAbove
	if parallel {
		timerPart.buf = make([]byte, 0, 16*len(c.timers))
		wg.Go(func() { timers(&timerPart) })
	}
	w.uint(uint64(len(c.order)))
	position := make(map[*incident]int, len(c.order))
	for i, id := range c.order {
		position[c.incidents[id]] = i
		e.w.str(id)
		c.incidents[id].encode(e)
	}
	// The organisations in activation order, by incident and position.
	e.w.uint(uint64(len(c.orgs)))
	for _, org := range c.orgs {
		e.w.uint(uint64(position[org.inc]))
		e.w.uint(uint64(org.idx))
	}
	if !parallel {
		timers(e.w)
		return e.finish()
	}
	wg.Wait()
	e.cut(timerPart.buf)
	return e.finish()
}

// snapEncoder collects a snapshot's pieces: w is the one being written.
type snapEncoder struct {
	parts [][]byte
	w     *snapWriter
}

// cut ends the current piece, adds pieces encoded elsewhere and starts a new one.
func (e *snapEncoder) cut(pieces ...[]byte) {
	e.parts = append(e.parts, e.w.buf)
	e.parts = append(e.parts, pieces...)
	e.w = &snapWriter{buf: make([]byte, 0, 4096)}
}

func (e *snapEncoder) finish() [][]byte {
	if len(e.w.buf) > 0 || len(e.parts) == 0 {
		e.parts = append(e.parts, e.w.buf)
	}
	return e.parts
}

// RestoreSnapshot returns the core a snapshot holds. The core does not
// keep data: its strings are copies, so that the buffer can be freed.
func RestoreSnapshot(data []byte) (*Core, error) {
	if len(data) < len(snapshotMagic) || string(data[:len(snapshotMagic)]) != string(snapshotMagic) {
		return nil, ErrSnapshot
	}
	r := &snapReader{VarintReader{data: data, pos: len(snapshotMagic)}}
	if v := r.Uvarint(); v != snapshotVersion && r.err == nil {
		r.fail("version %d, this build reads %d", v, snapshotVersion)
	}
	c := NewCore()
	c.inputs.low = r.Uvarint()
	if n := r.count(); n > 0 {
		c.inputs.above = make(map[uint64]struct{}, n)
		for range n {
			c.inputs.above[r.Uvarint()] = struct{}{}
		}
	}
	for range r.count() {
		c.optOut(r.str(), true)
	}
	c.props.decode(r)
	for range r.count() {
		id := r.str()
		if _, dup := c.incidents[id]; dup {
			r.fail("incident %s twice", id)
		}
		c.incidents[id] = decodeIncident(r)
		c.order = append(c.order, id)
		if r.err != nil {
			return nil, r.err
		}
	}
	if n := r.count(); n > 0 {
		c.orgs = make([]*orgState, n)
		for i := range c.orgs {
			ii := r.index(len(c.order))
			if r.err != nil {
				return nil, r.err
			}
			inc := c.incidents[c.order[ii]]
			oi := r.index(len(inc.orgList))
			if r.err != nil {
				return nil, r.err
			}
			org := inc.orgList[oi]
			if org.slot >= 0 {
				r.fail("organisation %d listed twice", i)
				return nil, r.err
			}
			org.slot, c.orgs[i] = int32(i), org
		}
	}
	for _, inc := range c.incidents {
		for _, org := range inc.orgList {
			if org.slot < 0 {
				r.fail("organisation %s unlisted", org.id)
				return nil, r.err
			}
		}
	}
	if n := r.countOf(minTimerBytes); n > 0 {
		c.timers = make(timerHeap, n)
		for i := range c.timers {
			t := &c.timers[i]
			t.at = r.Varint()
			slot := r.index(len(c.orgs))
			if r.err != nil {
				return nil, r.err
			}
			org := c.orgs[slot]
			t.org, t.ref = uint32(org.slot), uint32(r.Uvarint())
			switch k := t.kind(); {
			case k > timerDeadline,
				k == timerDeadline && t.tier() != 0,
				k != timerDeadline && int(t.tier()) >= len(org.tiers): // step and wait timers name a tier
				r.fail("bad timer")
			}
			if r.err != nil {
				return nil, r.err
			}
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
func (r *snapReader) count() int { return r.countOf(1) }

// countOf reads a count of elements that take at least size bytes each,
// so that a damaged count cannot make a restore allocate far more than
// the snapshot could describe.
func (r *snapReader) countOf(size int) int {
	n := r.Uvarint()
	if n > uint64((len(r.data)-r.pos)/size) {
		r.fail("count %d exceeds the data", n)
		return 0
	}
	return int(n)
}

// Fewest bytes one element of these takes in a snapshot (every field is at
// least one byte).
const (
	minPersonBytes = 11 // id length, answer, minutes, time, refs, two flags, channel, state, remark, bound
	minNoteBytes   = 10 // ten fields
	minNodeBytes   = 6  // parent, function, policy, highest, exhausted, tiers
	minTierBytes   = 6  // person, time, next, three flags
	minTimerBytes  = 3  // due time, organisation, kind and tier
)

// index reads an index into something of n elements; a bad one reads as 0
// (the first failure sticks, so the snapshot is refused).
func (r *snapReader) index(n int) int32 {
	v := r.Uvarint()
	if v >= uint64(n) {
		r.fail("index %d of %d", v, n)
		return 0
	}
	return int32(v)
}

func (inc *incident) encode(e *snapEncoder) {
	w := e.w
	encodeDeclared(w, inc.decl)
	w.time(inc.declaredAt)
	w.bool(inc.closed)
	w.time(inc.closedAt)
	w.str(inc.standDown.By)
	w.str(inc.standDown.Reason)
	w.uint(uint64(len(inc.syms.strs) - 1)) // strs[0] is always ""
	for _, s := range inc.syms.strs[1:] {
		w.str(s)
	}
	w.length(len(inc.policies), inc.policies == nil)
	for _, p := range inc.policies {
		w.int64(int64(p.wait))
		w.length(len(p.steps), p.steps == nil)
		for _, s := range p.steps {
			w.str(s.Channel)
			w.int64(int64(s.After))
			w.str(s.If)
		}
	}
	w.uint(uint64(len(inc.people)))
	w.uint(uint64(len(inc.orgList)))
	// The three large sections are encoded side by side when the incident
	// is large: the leader's decisions wait for the whole encoding, and
	// the state is only read meanwhile.
	if len(inc.notes)+len(inc.people) < parallelEncodeAbove {
		inc.encodeOrgs(w)
		inc.encodeNotes(w)
		inc.encodePeople(w)
	} else {
		// Room for the usual size (see TestSnapshotPartsConcatenate).
		orgs := snapWriter{buf: make([]byte, 0, 24*len(inc.people)+128*len(inc.orgList))}
		notes := snapWriter{buf: make([]byte, 0, 16*len(inc.notes)+64)}
		people := snapWriter{buf: make([]byte, 0, 24*len(inc.people)+64)}
		var wg sync.WaitGroup
		wg.Go(func() { inc.encodeNotes(&notes) })
		wg.Go(func() { inc.encodePeople(&people) })
		inc.encodeOrgs(&orgs)
		wg.Wait()
		e.cut(orgs.buf, notes.buf, people.buf)
		w = e.w
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
		w.str(it.SummaryEN)
		w.str(it.Function)
		w.bool(it.Wide)
	}
	w.time(inc.convertedAt)
	w.str(inc.conversion.By)
	w.str(inc.conversion.Reason)
}

func decodeIncident(r *snapReader) *incident {
	inc := newIncident(decodeDeclared(r), r.time())
	inc.closed, inc.closedAt = r.bool(), r.time()
	inc.standDown = StandDown{By: r.str(), Reason: r.str()}
	n := r.count()
	inc.syms.strs = make([]string, 1, n+1)
	for range n {
		s := r.str()
		inc.syms.idx[s] = sym(len(inc.syms.strs))
		inc.syms.strs = append(inc.syms.strs, s)
	}
	if n, isNil := r.length(); !isNil {
		inc.policies = make([]policy, n)
		for i := range inc.policies {
			p := &inc.policies[i]
			p.wait = time.Duration(r.Varint())
			if m, isNil := r.length(); !isNil {
				p.steps = make([]Step, m)
				for j := range p.steps {
					p.steps[j] = Step{Channel: r.str(), After: time.Duration(r.Varint()), If: r.str()}
				}
			}
		}
	}
	people, orgs := r.countOf(minPersonBytes), r.count()
	if orgs > 0 {
		inc.orgList = make([]*orgState, 0, orgs)
	}
	for range orgs {
		org := inc.decodeOrg(r, people)
		if r.err != nil {
			return inc
		}
		inc.orgs[org.id] = org
		inc.orgList = append(inc.orgList, org)
	}
	inc.decodeNotes(r, people)
	inc.decodePeople(r, people)
	if r.err != nil {
		return inc
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
			inc.timeline[i] = TimelineItem{At: r.time(), Kind: r.str(), Org: r.str(), Person: r.str(), Summary: r.str(),
				SummaryEN: r.str(), Function: r.str(), Wide: r.bool()}
		}
	}
	inc.convertedAt = r.time()
	inc.conversion = Conversion{By: r.str(), Reason: r.str()}
	return inc
}

func (r *snapReader) sym(inc *incident) sym { return sym(r.index(len(inc.syms.strs))) }

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
	w.bool(d.ProposedBy != nil)
	if p := d.ProposedBy; p != nil {
		for _, s := range []string{p.Proposal, p.Source, p.SourceID, p.By} {
			w.str(s)
		}
	}
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
	if r.bool() {
		d.ProposedBy = &ProposedBy{Proposal: r.str(), Source: r.str(), SourceID: r.str(), By: r.str()}
	}
	return d
}

func (inc *incident) encodeOrgs(w *snapWriter) {
	for _, org := range inc.orgList {
		w.str(org.id)
		w.str(org.name.DE)
		w.str(org.name.EN)
		w.str(org.tree)
		w.intMap(org.required)
		w.int64(int64(org.target))
		w.time(org.startedAt)
		w.uint(uint64(len(org.tiers)))
		w.uint(uint64(len(org.nodes)))
		for i := range org.nodes {
			n := &org.nodes[i]
			w.int(int(n.parent))
			w.uint(uint64(n.function))
			w.uint(uint64(n.policy))
			w.int(int(n.highest))
			w.bool(n.exhausted)
			lo, hi := org.span(i)
			w.uint(uint64(hi - lo))
			for ti := lo; ti < hi; ti++ {
				t := &org.tiers[ti]
				w.uint(uint64(org.people[ti]))
				w.time(t.alertedAt)
				w.int(int(t.next))
				w.bool(t.hurry)
				w.bool(t.delivered)
				w.bool(t.machine)
			}
		}
		w.length(len(org.failed), org.failed == nil)
		for ti, chans := range org.failed {
			w.uint(uint64(ti))
			w.length(len(chans), chans == nil)
			for ch, f := range chans {
				w.str(ch)
				w.bool(f)
			}
		}
		w.str(string(org.readiness))
		w.intMap(org.covered)
		w.strList(org.missing)
		w.time(org.changedAt)
		w.time(org.readyAt)
		encodeConference(w, org)
	}
}

func (inc *incident) decodeOrg(r *snapReader, people int) *orgState {
	org := &orgState{inc: inc, idx: int32(len(inc.orgList)), slot: -1, id: r.str(), name: Names{DE: r.str(), EN: r.str()}, tree: r.str(),
		required: r.intMap(), target: time.Duration(r.Varint()), startedAt: r.time()}
	total := r.countOf(minTierBytes)
	org.people, org.tiers = make([]int32, 0, total), make([]tierState, 0, total)
	org.nodes = make([]nodeState, r.countOf(minNodeBytes))
	for i := range org.nodes {
		n := &org.nodes[i]
		n.off = int32(len(org.people))
		n.parent, n.function = int32(r.int()), r.sym(inc)
		n.policy = r.index(len(inc.policies))
		n.highest, n.exhausted = int32(r.int()), r.bool()
		tiers := r.count()
		if n.highest < -1 || int(n.highest) >= tiers {
			r.fail("highest tier %d of %d", n.highest, tiers)
		}
		for range tiers {
			org.people = append(org.people, r.index(people))
			org.tiers = append(org.tiers, tierState{alertedAt: r.time(), next: int32(r.int()), hurry: r.bool(), delivered: r.bool(), machine: r.bool()})
		}
		if r.err != nil {
			return org
		}
	}
	if len(org.tiers) != total {
		r.fail("%d tiers, %d announced", len(org.tiers), total)
		return org
	}
	if n, isNil := r.length(); !isNil {
		org.failed = make(map[int32]map[string]bool, n)
		for range n {
			ti := r.index(len(org.tiers))
			var chans map[string]bool
			if m, isNil := r.length(); !isNil {
				chans = make(map[string]bool, m)
				for range m {
					ch := r.str()
					chans[ch] = r.bool()
				}
			}
			org.failed[ti] = chans
		}
	}
	org.readiness = ReadinessState(r.str())
	org.covered = r.intMap()
	org.missing = r.strList()
	org.changedAt = r.time()
	org.readyAt = r.time()
	decodeConference(r, org)
	org.link()
	return org
}

func (inc *incident) encodeNotes(w *snapWriter) {
	w.uint(uint64(len(inc.notes)))
	for i := range inc.notes {
		n := &inc.notes[i]
		for _, v := range [...]uint32{uint32(n.person), uint32(n.org), uint32(n.function), uint32(n.channel),
			uint32(n.purpose), uint32(n.text), uint32(n.state)} {
			w.uint(uint64(v))
		}
		w.int(int(n.node))
		w.int(int(n.tier))
		w.int(int(n.step))
	}
	w.length(len(inc.odd), inc.odd == nil)
	for i, n := range inc.odd {
		w.uint(uint64(i))
		encodeNotification(w, *n)
	}
}

func (inc *incident) decodeNotes(r *snapReader, people int) {
	if n := r.countOf(minNoteBytes); n > 0 {
		inc.notes = make([]noteState, n)
		for i := range inc.notes {
			inc.notes[i] = noteState{person: r.index(people), org: r.sym(inc), function: r.sym(inc), channel: r.sym(inc),
				purpose: r.sym(inc), text: r.sym(inc), state: r.sym(inc), node: int32(r.int()), tier: int32(r.int()), step: int32(r.int())}
		}
	}
	if n, isNil := r.length(); !isNil {
		inc.odd, inc.oddIDs = make(map[int32]*Notification, n), make(map[string]int32, n)
		for range n {
			i := r.index(len(inc.notes))
			note := decodeNotification(r)
			inc.odd[i], inc.oddIDs[note.ID] = &note, i
		}
	}
}

func encodeNotification(w *snapWriter, n Notification) {
	w.str(n.ID)
	for _, s := range []string{n.Person, n.Channel, string(n.Purpose), n.Org, n.Function, n.Text} {
		w.str(s)
	}
	w.int64(int64(n.Node))
	w.int64(int64(n.Tier))
	w.int64(int64(n.Step))
}

func decodeNotification(r *snapReader) Notification {
	n := Notification{ID: r.str(), Person: r.str(), Channel: r.str(), Purpose: notifiers.Purpose(r.str()),
		Org: r.str(), Function: r.str(), Text: r.str()}
	n.Node, n.Tier, n.Step = int(r.Varint()), int(r.Varint()), int(r.Varint())
	return n
}

// encodePeople writes the people's ids as one run of bytes, which the
// reader copies at once, then each person's state.
func (inc *incident) encodePeople(w *snapWriter) {
	total := 0
	for i := range inc.people {
		total += len(inc.people[i].id)
	}
	w.uint(uint64(total))
	for i := range inc.people {
		w.buf = append(w.buf, inc.people[i].id...)
	}
	for i := range inc.people {
		ps := &inc.people[i]
		w.uint(uint64(len(ps.id)))
		w.uint(uint64(ps.answer))
		w.int(int(ps.minutes))
		w.time(ps.answeredAt)
		var buf [1]nodeRef
		refs := inc.refs(int32(i), &buf)
		w.uint(uint64(len(refs)))
		for _, ref := range refs {
			w.uint(uint64(ref.org))
			w.uint(uint64(ref.node))
		}
		w.bool(ps.notified)
		w.bool(ps.reached)
		w.uint(uint64(ps.channel))
		w.uint(uint64(ps.bestState))
		w.uint(uint64(ps.remark))
		w.uint(uint64(ps.bound))
	}
}

func (inc *incident) decodePeople(r *snapReader, n int) {
	ids := r.str() // one copy for every id
	if n > 0 {
		inc.people = make([]personState, n)
	}
	for i := range inc.people {
		ps := &inc.people[i]
		size := r.Uvarint()
		if r.err != nil || size > uint64(len(ids)) {
			r.fail("person id too long")
			return
		}
		ps.id, ids = ids[:size], ids[size:]
		if _, dup := inc.byID.find(inc.people[:i], ps.id); dup {
			r.fail("person %q twice", ps.id)
			return
		}
		inc.byID.add(inc.people, int32(i))
		ps.answer, ps.minutes, ps.answeredAt = r.sym(inc), int32(r.int()), r.time()
		refs := r.count()
		for range refs {
			org := r.index(len(inc.orgList))
			if r.err != nil {
				return
			}
			inc.addRef(int32(i), nodeRef{org: org, node: r.index(len(inc.orgList[org].nodes))})
		}
		ps.notified, ps.reached = r.bool(), r.bool()
		ps.channel, ps.bestState = r.sym(inc), r.sym(inc)
		ps.remark = r.sym(inc)
		if b := r.Uvarint(); b <= uint64(len(inc.orgList)) {
			ps.bound = int32(b)
		} else {
			r.fail("person bound to organisation %d of %d", b, len(inc.orgList))
		}
	}
	if r.err == nil && len(ids) > 0 {
		r.fail("person ids do not add up")
	}
}
