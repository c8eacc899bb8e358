package report

import (
	"maps"
	"slices"
	"time"

	"github.com/kaskade-bcm/kaskade/activation"
	"github.com/kaskade-bcm/kaskade/notifiers"
)

// span turns a duration into a Span; negative spans (clock skew in a
// hand-made log) are kept, because hiding them would hide the problem.
func span(d time.Duration) Span {
	return Span{Seconds: d.Seconds(), Text: d.Round(time.Second).String()}
}

func spanPtr(from, to time.Time) *Span {
	if to.IsZero() {
		return nil
	}
	s := span(to.Sub(from))
	return &s
}

func timePtr(t time.Time) *time.Time {
	if t.IsZero() {
		return nil
	}
	return &t
}

func ratio(a, b int) float64 {
	if b == 0 {
		return 0
	}
	return float64(a) / float64(b)
}

// answers of one person split into what counts (before the stand-down).
type personAnswers struct {
	first, latest *answerLog
}

func (st *logState) personAnswers() map[string]personAnswers {
	out := make(map[string]personAnswers, len(st.byPerson))
	for p, as := range st.byPerson {
		var pa personAnswers
		for i := range as {
			if as[i].late {
				continue
			}
			if pa.first == nil {
				pa.first = &as[i]
			}
			pa.latest = &as[i]
		}
		out[p] = pa
	}
	return out
}

func (pa personAnswers) kind() activation.ResponseKind {
	if pa.latest == nil {
		return ""
	}
	return pa.latest.r.Kind
}

// availableIn reports whether the person's latest answer is "available" for
// the staff of org: a person in two staffs covers only the staff the core
// bound the yes to (the response's org), as on the board.
func (pa personAnswers) availableIn(org string) bool {
	return pa.latest != nil && availableFor(pa.latest.r, org)
}

func availableFor(r activation.Response, org string) bool {
	return r.Kind == activation.Available && (r.Org == "" || r.Org == org)
}

// orgPeople is the per-person view of one organisation used by several figures.
type orgPeople struct {
	inPlan   []string // plan order, distinct
	alerted  map[string]bool
	reached  map[string]bool
	answered map[string]bool
	deputies map[string]bool // alerted at tier > 0
	covering map[string]bool // deputy available while the primary was not
}

func (st *logState) report(opts Options) *Report {
	ans := st.personAnswers()
	end := opts.Now
	if st.closed {
		end = st.stoodAt
	}
	r := &Report{
		Incident:        st.incident,
		Title:           st.decl.Title,
		Scenario:        st.decl.Scenario,
		ScenarioName:    st.decl.ScenarioName,
		Severity:        st.decl.Severity,
		Exercise:        st.decl.Exercise && st.convertedAt.IsZero(),
		Message:         st.decl.Message,
		DeclaredBy:      st.decl.DeclaredBy,
		ProposedBy:      st.decl.ProposedBy,
		DeclaredAt:      st.declaredAt,
		Reason:          st.decl.Reason,
		StoodDownBy:     st.standDown.By,
		StandDownReason: st.standDown.Reason,
		GeneratedAt:     opts.Now,
		Times:           Times{Declared: st.declaredAt, End: end},
	}
	if st.closed {
		r.StoodDownAt = timePtr(st.stoodAt)
	}
	if !st.convertedAt.IsZero() {
		r.ConvertedAt, r.ConvertedBy, r.ConversionReason = timePtr(st.convertedAt), st.conversion.By, st.conversion.Reason
	}

	// Notifications grouped for lookups below.
	alertsOf := map[[2]string][]*noteLog{} // (person, org) → alert notifications
	otherOf := map[string][]*noteLog{}     // person → updates, stand-down, replies
	channels := map[string]*ChannelFigures{}
	for _, nl := range st.notes {
		n := nl.n
		if n.Purpose == notifiers.PurposeAlert {
			alertsOf[[2]string{n.Person, n.Org}] = append(alertsOf[[2]string{n.Person, n.Org}], nl)
			if r.Times.FirstAlert == nil {
				r.Times.FirstAlert = timePtr(nl.at)
			}
		} else {
			otherOf[n.Person] = append(otherOf[n.Person], nl)
		}
		cf := channels[n.Channel]
		if cf == nil {
			cf = &ChannelFigures{Channel: n.Channel}
			channels[n.Channel] = cf
		}
		cf.Requested++
		if n.Purpose == notifiers.PurposeAlert {
			cf.Alerts++
		}
		switch nl.state {
		case notifiers.StateSent:
			cf.Sent++
		case notifiers.StateDelivered:
			cf.Delivered++
		case notifiers.StateFailed:
			if nl.code == notifiers.CodeMachine {
				cf.Machine++
			} else {
				cf.Failed++
			}
		case notifiers.StateUnknown:
			cf.Unknown++
		default: // pending, sending: no outcome known from the log
			cf.Pending++
		}
	}
	if r.Times.FirstAlert != nil {
		r.Times.ToFirstAlert = spanPtr(st.declaredAt, *r.Times.FirstAlert)
	}

	// Answers: by source and kind, late ones listed.
	r.ResponsesBySource = map[string]int{}
	r.AnswersByKind = map[activation.ResponseKind]int{}
	r.LateAnswers = []Answer{}
	for _, a := range st.answers {
		if a.late {
			r.LateAnswers = append(r.LateAnswers, answerOf(a, opts.Names))
			continue
		}
		r.AnswerEvents++
		r.ResponsesBySource[a.r.Source]++
		if cf := channels[a.r.Source]; cf != nil {
			cf.Answers++
		}
		if r.Times.FirstAnswer == nil {
			r.Times.FirstAnswer = timePtr(a.at)
			r.Times.ToFirstAnswer = spanPtr(st.declaredAt, a.at)
		}
	}
	for _, p := range slices.Sorted(maps.Keys(ans)) {
		if k := ans[p].kind(); k != "" {
			r.AnswersByKind[k]++
		}
	}
	for _, c := range slices.Sorted(maps.Keys(channels)) {
		r.Channels = append(r.Channels, *channels[c])
	}

	// Organisations.
	total := struct{ inPlan, alerted, reached, answered, deputies, covering map[string]bool }{
		map[string]bool{}, map[string]bool{}, map[string]bool{}, map[string]bool{}, map[string]bool{}, map[string]bool{},
	}
	allReady := len(st.orgs) > 0
	var quorum time.Time
	r.Verdict = Verdict{Met: len(st.orgs) > 0, Orgs: []TargetCheck{}}
	r.Organisations = []OrgFigures{}
	commonTarget := time.Duration(-1)
	for _, o := range st.orgs {
		op := st.orgPeople(o, ans, alertsOf)
		of := st.orgFigures(o, op, ans)
		r.Organisations = append(r.Organisations, of)
		for _, p := range op.inPlan {
			total.inPlan[p] = true
		}
		maps.Copy(total.alerted, op.alerted)
		maps.Copy(total.reached, op.reached)
		maps.Copy(total.answered, op.answered)
		maps.Copy(total.deputies, op.deputies)
		maps.Copy(total.covering, op.covering)

		if o.readyAt.IsZero() {
			allReady = false
		} else if o.readyAt.After(quorum) {
			quorum = o.readyAt
		}
		r.Verdict.Orgs = append(r.Verdict.Orgs, TargetCheck{Org: o.plan.Org, Target: of.Target, TimeToReady: of.TimeToReady, Met: of.ReadyWithinTarget})
		r.Verdict.Met = r.Verdict.Met && of.ReadyWithinTarget
		switch commonTarget {
		case -1:
			commonTarget = o.plan.Target
		case o.plan.Target:
		default:
			commonTarget = -2
		}
	}
	if commonTarget >= 0 {
		s := span(commonTarget)
		r.Verdict.Target = &s
	}
	if allReady {
		r.Times.Quorum = timePtr(quorum)
		r.Times.ToQuorum = spanPtr(st.declaredAt, quorum)
	}
	r.People = PeopleFigures{
		InPlan:           len(total.inPlan),
		Alerted:          len(total.alerted),
		Reached:          len(total.reached),
		Answered:         len(total.answered),
		ReachRate:        ratio(len(total.reached), len(total.alerted)),
		ResponseRate:     ratio(len(total.answered), len(total.alerted)),
		DeputiesAlerted:  len(total.deputies),
		DeputiesCovering: sortedKeys(total.covering),
	}

	r.Timeline = st.timeline(ans, alertsOf, otherOf, opts.Names)
	r.Series = st.series(end)
	return r
}

func sortedKeys(m map[string]bool) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}

func answerOf(a answerLog, names func(string) string) Answer {
	return Answer{Person: a.r.Person, Name: nameOf(names, a.r.Person), At: a.at, Kind: a.r.Kind, Minutes: a.r.Minutes,
		Source: a.r.Source, Actor: a.r.Actor, Remark: a.r.Remark, AfterStandDown: a.late}
}

func nameOf(names func(string) string, id string) string {
	if n := names(id); n != "" {
		return n
	}
	return id
}

func (st *logState) orgPeople(o *orgLog, ans map[string]personAnswers, alertsOf map[[2]string][]*noteLog) orgPeople {
	op := orgPeople{alerted: map[string]bool{}, reached: map[string]bool{}, answered: map[string]bool{},
		deputies: map[string]bool{}, covering: map[string]bool{}}
	seen := map[string]bool{}
	org := o.plan.Org
	for ni, pn := range o.plan.Nodes {
		for ti, p := range pn.People {
			if !seen[p] {
				seen[p] = true
				op.inPlan = append(op.inPlan, p)
			}
			_, tierAlerted := o.tiers[[2]int{ni, ti}]
			if tierAlerted || hasAlert(alertsOf[[2]string{p, org}], ni, ti) {
				op.alerted[p] = true
				if ti+pn.FirstTier > 0 {
					op.deputies[p] = true
				}
			}
			if coversAsDeputy(pn, ti, ans, org) {
				op.covering[p] = true
			}
		}
	}
	for p := range op.alerted {
		if len(st.byPerson[p]) > 0 || anyReached(alertsOf[[2]string{p, org}]) {
			op.reached[p] = true
		}
		if ans[p].first != nil {
			op.answered[p] = true
		}
	}
	return op
}

// coversAsDeputy reports whether the person at tier ti of a node is a deputy
// available for org while the node's primary is not: absent from the plan
// (a deputies-only drill) or not available.
func coversAsDeputy(pn activation.PlanNode, ti int, ans map[string]personAnswers, org string) bool {
	if ti+pn.FirstTier == 0 || !ans[pn.People[ti]].availableIn(org) {
		return false
	}
	return pn.FirstTier > 0 || !ans[pn.People[0]].availableIn(org)
}

func hasAlert(notes []*noteLog, node, tier int) bool {
	for _, nl := range notes {
		if nl.n.Node == node && nl.n.Tier == tier {
			return true
		}
	}
	return false
}

func anyReached(notes []*noteLog) bool {
	for _, nl := range notes {
		if nl.state == notifiers.StateSent || nl.state == notifiers.StateDelivered {
			return true
		}
	}
	return false
}

func (st *logState) orgFigures(o *orgLog, op orgPeople, ans map[string]personAnswers) OrgFigures {
	p := o.plan
	of := OrgFigures{
		Org: p.Org, Name: p.Name, Tree: p.Tree, Required: maps.Clone(p.Required), Target: span(p.Target),
		ActivatedAt: o.startedAt, FinalState: o.finalState, Exhausted: o.exhausted,
		People: PeopleFigures{
			InPlan: len(op.inPlan), Alerted: len(op.alerted), Reached: len(op.reached), Answered: len(op.answered),
			ReachRate: ratio(len(op.reached), len(op.alerted)), ResponseRate: ratio(len(op.answered), len(op.alerted)),
			DeputiesAlerted: len(op.deputies), DeputiesCovering: sortedKeys(op.covering),
		},
	}
	if of.Required == nil {
		of.Required = map[string]int{}
	}
	if of.Exhausted == nil {
		of.Exhausted = []ExhaustedNode{}
	}
	if !o.readyAt.IsZero() {
		of.ReadyAt = timePtr(o.readyAt)
		of.TimeToReady = spanPtr(o.startedAt, o.readyAt)
		of.ReadyWithinTarget = !o.readyAt.After(o.startedAt.Add(p.Target))
	}
	for _, nl := range st.notes {
		if nl.n.Org != p.Org {
			continue
		}
		switch nl.state {
		case notifiers.StateFailed:
			of.DeliveriesFailed++
		case notifiers.StateUnknown:
			of.DeliveriesUnknown++
		}
	}

	// Functions: every function of the plan, required or not, by name.
	nodesOf := map[string][]int{}
	for i, pn := range p.Nodes {
		nodesOf[pn.Function] = append(nodesOf[pn.Function], i)
	}
	for f := range p.Required {
		if _, ok := nodesOf[f]; !ok {
			nodesOf[f] = nil // required but absent from the tree: never coverable, show it
		}
	}
	of.Functions = []FunctionFigures{}
	for _, f := range slices.Sorted(maps.Keys(nodesOf)) {
		ff := FunctionFigures{Function: f, Required: p.Required[f], CoveredBy: ByNone}
		members := map[string]bool{}
		primaries := 0
		for _, ni := range nodesOf[f] {
			for ti, person := range p.Nodes[ni].People {
				// Each person once, like the core's readiness rule: a deputy
				// shared by two nodes of the function is one person.
				if members[person] {
					continue
				}
				members[person] = true
				if ans[person].availableIn(p.Org) {
					ff.Available++
					if ti+p.Nodes[ni].FirstTier == 0 {
						primaries++
					}
				}
			}
		}
		need := max(ff.Required, 1) // an optional function is "covered" by one person
		switch {
		case ff.Available < need:
		case primaries >= need:
			ff.CoveredBy = ByPrimary
		default:
			ff.CoveredBy = ByDeputy
		}
		for _, a := range st.answers {
			if !a.late && availableFor(a.r, p.Org) && members[a.r.Person] {
				ff.FirstAvailableAt = timePtr(a.at)
				ff.FirstAvailableBy = a.r.Person
				ff.TimeToFirstAvailable = spanPtr(o.startedAt, a.at)
				break
			}
		}
		if at := st.coveredAt(p.Org, members, need); !at.IsZero() {
			ff.CoveredAt, ff.TimeToCovered = timePtr(at), spanPtr(o.startedAt, at)
		}
		of.Functions = append(of.Functions, ff)
	}
	return of
}

// coveredAt is when need of the members were first available for org at
// once, following their answers before the stand-down (a no takes one away).
func (st *logState) coveredAt(org string, members map[string]bool, need int) time.Time {
	available := map[string]bool{}
	for _, a := range st.answers {
		if a.late || !members[a.r.Person] {
			continue
		}
		if availableFor(a.r, org) {
			available[a.r.Person] = true
		} else {
			delete(available, a.r.Person)
		}
		if len(available) >= need {
			return a.at
		}
	}
	return time.Time{}
}

// timeline lists every person at every place of every plan, in plan order.
func (st *logState) timeline(ans map[string]personAnswers, alertsOf map[[2]string][]*noteLog, otherOf map[string][]*noteLog, names func(string) string) []PersonEntry {
	out := []PersonEntry{}
	firstPlace := map[string]bool{}
	for _, o := range st.orgs {
		org := o.plan.Org
		for ni, pn := range o.plan.Nodes {
			for ti, p := range pn.People {
				e := PersonEntry{Person: p, Name: nameOf(names, p), Org: org, Node: ni, Function: pn.Function, Tier: ti + pn.FirstTier,
					Notifications: []NoteEntry{}, Answers: []Answer{}}
				if tl, ok := o.tiers[[2]int{ni, ti}]; ok {
					e.Alerted, e.AlertedAt, e.AlertReason = true, timePtr(tl.at), tl.reason
				}
				var notes []*noteLog
				for _, nl := range alertsOf[[2]string{p, org}] {
					if nl.n.Node == ni && nl.n.Tier == ti {
						notes = append(notes, nl)
					}
				}
				if !firstPlace[p] {
					firstPlace[p] = true
					notes = append(notes, otherOf[p]...)
					slices.SortStableFunc(notes, func(a, b *noteLog) int { return a.at.Compare(b.at) })
				}
				for _, nl := range notes {
					if !e.Alerted && nl.n.Purpose == notifiers.PurposeAlert {
						// A hand-made log may have alerts without tier events.
						e.Alerted, e.AlertedAt = true, timePtr(nl.at)
					}
					e.Notifications = append(e.Notifications, NoteEntry{ID: nl.n.ID, At: nl.at, Channel: nl.n.Channel,
						Purpose: nl.n.Purpose, Step: nl.n.Step, State: nl.state, Code: nl.code, StateAt: timePtr(nl.stateAt)})
				}
				e.Reached = e.Alerted && (len(st.byPerson[p]) > 0 || anyReached(notes))
				for _, a := range st.byPerson[p] {
					e.Answers = append(e.Answers, answerOf(a, names))
				}
				pa := ans[p]
				if pa.latest != nil {
					e.Answer, e.AnswerMinutes, e.AnswerRemark = pa.latest.r.Kind, pa.latest.r.Minutes, pa.latest.r.Remark
					e.AnswerSource = pa.latest.r.Source
					if pa.latest.r.Kind == activation.Delayed && pa.latest.r.Minutes > 0 {
						e.ETA = timePtr(pa.latest.at.Add(time.Duration(pa.latest.r.Minutes) * time.Minute))
					}
				}
				if pa.first != nil {
					e.FirstAnswerAt = timePtr(pa.first.at)
					if e.AlertedAt != nil && !pa.first.at.Before(*e.AlertedAt) {
						e.ResponseTime = spanPtr(*e.AlertedAt, pa.first.at)
					}
				}
				e.CoveredAsDeputy = coversAsDeputy(pn, ti, ans, org)
				out = append(out, e)
			}
		}
	}
	return out
}

// series is the step function of answers since declaration: one point per
// answer before the stand-down, plus the start and the end.
func (st *logState) series(end time.Time) []SeriesPoint {
	pt := func(at time.Time, answered, available int) SeriesPoint {
		return SeriesPoint{At: at, Minutes: at.Sub(st.declaredAt).Minutes(), Answered: answered, Available: available}
	}
	out := []SeriesPoint{pt(st.declaredAt, 0, 0)}
	latest := map[string]activation.ResponseKind{}
	available := 0
	for _, a := range st.answers {
		if a.late {
			continue
		}
		prev := latest[a.r.Person]
		if prev == activation.Available {
			available--
		}
		if a.r.Kind == activation.Available {
			available++
		}
		latest[a.r.Person] = a.r.Kind
		out = append(out, pt(a.at, len(latest), available))
	}
	if last := out[len(out)-1]; end.After(last.At) {
		out = append(out, pt(end, last.Answered, last.Available))
	}
	return out
}
