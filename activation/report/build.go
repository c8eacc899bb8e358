package report

import (
	"errors"
	"fmt"
	"time"

	"github.com/kaskade-bcm/kaskade/activation"
	"github.com/kaskade-bcm/kaskade/notifiers"
)

// Errors of Build.
var (
	ErrNoDeclaration = errors.New("report: event log has no declared event")
	ErrMixedLog      = errors.New("report: event log holds several incidents")
)

// logState is the event log folded into what the report needs. It keeps
// every fact with its time; figures are derived afterwards in figures.go.
type logState struct {
	incident   string
	decl       activation.Declared
	declaredAt time.Time
	closed     bool
	stoodAt    time.Time
	standDown  activation.StandDown
	// convertedAt is when the exercise became a real incident (zero: never).
	convertedAt time.Time
	conversion  activation.Conversion

	orgs    []*orgLog
	orgByID map[string]*orgLog

	notes    []*noteLog
	noteByID map[string]*noteLog

	answers  []answerLog            // every answer in log order
	byPerson map[string][]answerLog // person → answers in log order
}

type orgLog struct {
	plan       activation.Plan
	startedAt  time.Time
	tiers      map[[2]int]tierLog // (node, tier) → first alert
	exhausted  []ExhaustedNode
	readyAt    time.Time
	finalState activation.ReadinessState
}

type tierLog struct {
	at     time.Time
	reason string
}

type noteLog struct {
	n       activation.Notification
	at      time.Time
	state   notifiers.State
	code    string
	stateAt time.Time
}

type answerLog struct {
	r    activation.Response
	at   time.Time
	late bool // after the stand-down
}

// Build computes the after-action report of one incident from its event log
// (in log order). It fails when the log has no declared event or mixes incidents.
func Build(events []activation.Event, opts Options) (*Report, error) {
	st, err := fold(events)
	if err != nil {
		return nil, err
	}
	if opts.Names == nil {
		opts.Names = func(id string) string { return id }
	}
	return st.report(opts), nil
}

func fold(events []activation.Event) (*logState, error) {
	st := &logState{orgByID: map[string]*orgLog{}, noteByID: map[string]*noteLog{}, byPerson: map[string][]answerLog{}}
	incident := ""
	declared := false
	for i, e := range events {
		if incident == "" {
			incident = e.Incident
		} else if e.Incident != incident {
			return nil, fmt.Errorf("%w: %q and %q (event %d)", ErrMixedLog, incident, e.Incident, i)
		}
		if e.Kind == activation.KindDeclared && e.Declared != nil {
			if !declared { // the core ignores a repeated declaration; so does the report
				declared = true
				st.decl, st.declaredAt = *e.Declared, e.At
			}
			continue
		}
		st.apply(e)
	}
	if !declared {
		return nil, ErrNoDeclaration
	}
	st.incident = incident
	return st, nil
}

// apply folds one event. Like the core it never fails: a payload that does
// not fit (missing, unknown org or notification) is skipped, because the log
// is the truth and a report must still come out of a damaged one.
func (st *logState) apply(e activation.Event) {
	switch e.Kind {
	case activation.KindActivationStarted:
		if p := e.Activation; p != nil && st.orgByID[p.Org] == nil {
			o := &orgLog{plan: *p, startedAt: e.At, tiers: map[[2]int]tierLog{}, finalState: activation.Alerting}
			st.orgs = append(st.orgs, o)
			st.orgByID[p.Org] = o
		}
	case activation.KindTierAlerted:
		if t := e.Tier; t != nil {
			if o := st.orgByID[t.Org]; o != nil {
				k := [2]int{t.Node, t.Tier}
				if _, seen := o.tiers[k]; !seen {
					o.tiers[k] = tierLog{at: e.At, reason: t.Reason}
				}
			}
		}
	case activation.KindNodeExhausted:
		if x := e.Exhausted; x != nil {
			if o := st.orgByID[x.Org]; o != nil && x.Node >= 0 && x.Node < len(o.plan.Nodes) {
				o.exhausted = append(o.exhausted, ExhaustedNode{Node: x.Node, Function: o.plan.Nodes[x.Node].Function, At: e.At})
			}
		}
	case activation.KindNotification:
		if n := e.Notification; n != nil && st.noteByID[n.ID] == nil {
			nl := &noteLog{n: *n, at: e.At, state: notifiers.StatePending}
			st.notes = append(st.notes, nl)
			st.noteByID[n.ID] = nl
		}
	case activation.KindDelivery:
		if d := e.Delivery; d != nil {
			// Same rule as the core: a final state stays, otherwise only a
			// higher-ranked state replaces the current one.
			if nl := st.noteByID[d.Notification]; nl != nil && !nl.state.Final() && d.State.Rank() > nl.state.Rank() {
				nl.state, nl.code, nl.stateAt = d.State, d.Code, e.At
			}
		}
	case activation.KindResponse:
		if r := e.Response; r != nil {
			a := answerLog{r: *r, at: e.At, late: st.closed}
			st.answers = append(st.answers, a)
			st.byPerson[r.Person] = append(st.byPerson[r.Person], a)
		}
	case activation.KindReadiness:
		// Readiness after the stand-down (none is emitted by the core, but a
		// hand-made log may have one) does not change the result of the drill.
		if rc := e.Readiness; rc != nil && !st.closed {
			if o := st.orgByID[rc.Org]; o != nil {
				o.finalState = rc.State
				if rc.State == activation.Ready && o.readyAt.IsZero() {
					o.readyAt = e.At
				}
			}
		}
	case activation.KindConverted:
		// Like the core: the first conversion of an open exercise counts.
		if c := e.Converted; c != nil && !st.closed && st.convertedAt.IsZero() && st.decl.Exercise {
			st.convertedAt, st.conversion = e.At, *c
		}
	case activation.KindStoodDown:
		if !st.closed {
			st.closed, st.stoodAt = true, e.At
			if e.StandDown != nil {
				st.standDown = *e.StandDown
			}
		}
	}
}
