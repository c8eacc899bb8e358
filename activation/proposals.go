package activation

import (
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"
	"time"
)

// Proposals: a warning from a warning system (CAP, Alertmanager) never
// alerts anyone. It becomes a proposal that a duty officer confirms (which
// declares an incident) or dismisses; the source may withdraw it. Proposal
// events carry the proposal id in Event.Incident ("P-…").

// Proposal event kinds.
const (
	KindProposalReceived  = "proposal_received"
	KindProposalConfirmed = "proposal_confirmed"
	KindProposalDismissed = "proposal_dismissed"
	KindProposalWithdrawn = "proposal_withdrawn"
)

// IsProposalEvent reports whether kind is one of the proposal events.
func IsProposalEvent(kind string) bool {
	switch kind {
	case KindProposalReceived, KindProposalConfirmed, KindProposalDismissed, KindProposalWithdrawn:
		return true
	}
	return false
}

// Proposal states.
const (
	ProposalOpen      = "open"
	ProposalConfirmed = "confirmed"
	ProposalDismissed = "dismissed"
	ProposalWithdrawn = "withdrawn"
)

// Kinds of warning messages a proposal notes.
const (
	WarningNew      = "new"      // CAP Alert, Alertmanager firing
	WarningUpdate   = "update"   // CAP Update
	WarningResolved = "resolved" // Alertmanager: every alert of the group resolved
)

// Errors of proposal inputs.
var (
	ErrUnknownProposal = errors.New("activation: unknown proposal")
	ErrProposalClosed  = errors.New("activation: proposal is no longer open")
)

// ProposalWarning is one warning message as received (payload of
// proposal_received and the propose input).
type ProposalWarning struct {
	Source string `json:"source"` // cap, alertmanager
	// SourceID deduplicates: CAP "sender,identifier", Alertmanager groupKey.
	SourceID string `json:"source_id"`
	Kind     string `json:"kind"` // new, update, resolved
	// References are source ids of earlier messages this one updates.
	References  []string          `json:"references,omitempty"`
	Sent        time.Time         `json:"sent"`
	Exercise    bool              `json:"exercise,omitempty"`
	Event       string            `json:"event"`
	Headline    string            `json:"headline,omitempty"`
	Description string            `json:"description,omitempty"`
	Severity    string            `json:"severity,omitempty"`
	Urgency     string            `json:"urgency,omitempty"`
	Areas       []string          `json:"areas,omitempty"`
	Labels      map[string]string `json:"labels,omitempty"`
	Alerts      []WarningAlert    `json:"alerts,omitempty"`
	// Scenario and Organisations are the suggestion of rule number Rule (1-based; 0: none).
	Scenario      string   `json:"scenario,omitempty"`
	Organisations []string `json:"organisations,omitempty"`
	Rule          int      `json:"rule,omitempty"`
	// By is the intake identity that delivered it (token or NATS identity name).
	By string `json:"by"`
}

// WarningAlert is one alert of an Alertmanager group.
type WarningAlert struct {
	Fingerprint string `json:"fingerprint"`
	Status      string `json:"status"` // firing, resolved
	Name        string `json:"name"`
	Summary     string `json:"summary,omitempty"`
}

// ProposalDecision is a duty officer's confirmation or dismissal.
type ProposalDecision struct {
	Proposal string `json:"proposal"`
	By       string `json:"by"`
	Reason   string `json:"reason"`
	// Incident, Scenario, Organisations and Exercise: what a confirmation declared.
	Incident      string   `json:"incident,omitempty"`
	Scenario      string   `json:"scenario,omitempty"`
	Organisations []string `json:"organisations,omitempty"`
	Exercise      bool     `json:"exercise,omitempty"`
}

// ProposalWithdrawal is the source's cancellation (CAP msgType Cancel).
type ProposalWithdrawal struct {
	Source     string   `json:"source"`
	SourceID   string   `json:"source_id"` // the cancelling message
	References []string `json:"references"`
	Reason     string   `json:"reason,omitempty"`
	By         string   `json:"by"`
}

// ProposedBy records on a declaration which proposal it confirmed.
type ProposedBy struct {
	Proposal string `json:"proposal"`
	Source   string `json:"source"`
	SourceID string `json:"source_id"`
	// By is the intake identity that delivered the warning.
	By string `json:"by"`
}

// ProposalNote is a later message noted on a proposal.
type ProposalNote struct {
	At   time.Time `json:"at"`
	Kind string    `json:"kind"` // update, resolved, firing, withdrawn
	Text string    `json:"text"`
}

// ProposalView is a proposal for the API and the board.
type ProposalView struct {
	ID          string            `json:"id"`
	Status      string            `json:"status"`
	Source      string            `json:"source"`
	SourceID    string            `json:"source_id"`
	SourceIDs   []string          `json:"source_ids"` // every message noted
	By          string            `json:"by"`
	ReceivedAt  time.Time         `json:"received_at"`
	UpdatedAt   time.Time         `json:"updated_at"`
	Sent        time.Time         `json:"sent"`
	Exercise    bool              `json:"exercise"`
	Event       string            `json:"event"`
	Headline    string            `json:"headline,omitempty"`
	Description string            `json:"description,omitempty"`
	Severity    string            `json:"severity,omitempty"`
	Urgency     string            `json:"urgency,omitempty"`
	Areas       []string          `json:"areas,omitempty"`
	Labels      map[string]string `json:"labels,omitempty"`
	Alerts      []WarningAlert    `json:"alerts,omitempty"`
	// Suggestion of the proposal rules (empty: none matched).
	Scenario      string              `json:"scenario,omitempty"`
	Organisations []string            `json:"organisations,omitempty"`
	Rule          int                 `json:"rule,omitempty"`
	Notes         []ProposalNote      `json:"notes,omitempty"`
	Decision      *ProposalDecision   `json:"decision,omitempty"`
	DecidedAt     time.Time           `json:"decided_at,omitzero"`
	Withdrawal    *ProposalWithdrawal `json:"withdrawal,omitempty"`
	WithdrawnAt   time.Time           `json:"withdrawn_at,omitzero"`
	// Incident is the incident a confirmation declared.
	Incident string `json:"incident,omitempty"`
}

// maxProposalNotes bounds the notes kept per proposal; the log has them all.
const maxProposalNotes = 200

// proposalBook is the core's proposals, in order of arrival.
type proposalBook struct {
	byID  map[string]*ProposalView
	order []string
	alias map[string]string // source + "\x00" + source id → proposal id
}

func aliasKey(source, id string) string { return source + "\x00" + id }

// find returns the proposal one of the source ids belongs to.
func (b *proposalBook) find(source string, ids []string) *ProposalView {
	for _, id := range ids {
		if p := b.byID[b.alias[aliasKey(source, id)]]; p != nil {
			return p
		}
	}
	return nil
}

func (b *proposalBook) add(p *ProposalView) {
	if b.byID == nil {
		b.byID, b.alias = map[string]*ProposalView{}, map[string]string{}
	}
	b.byID[p.ID] = p
	b.order = append(b.order, p.ID)
	for _, s := range p.SourceIDs {
		b.alias[aliasKey(p.Source, s)] = p.ID
	}
}

// Proposals returns every proposal, newest first (copies).
func (c *Core) Proposals() []ProposalView {
	out := make([]ProposalView, 0, len(c.props.order))
	for i := len(c.props.order) - 1; i >= 0; i-- {
		out = append(out, c.props.byID[c.props.order[i]].clone())
	}
	return out
}

// Proposal returns one proposal (a copy).
func (c *Core) Proposal(id string) (ProposalView, bool) {
	p := c.props.byID[id]
	if p == nil {
		return ProposalView{}, false
	}
	return p.clone(), true
}

// WarningKnown reports whether a propose or withdraw input would change
// nothing (the same message again), so a caller may skip it instead of
// filling the log with refusals (Alertmanager repeats a group's webhook).
func (c *Core) WarningKnown(in Input) bool {
	switch {
	case in.Propose != nil:
		w := *in.Propose
		p := c.props.find(w.Source, append([]string{w.SourceID}, w.References...))
		return p != nil && !p.news(w) && !(p.Status != ProposalOpen && w.Kind == WarningNew && allResolved(p.Alerts) && len(w.Alerts) > 0)
	case in.Withdraw != nil:
		for _, ref := range in.Withdraw.References {
			if p := c.props.find(in.Withdraw.Source, []string{ref}); p == nil || p.Withdrawal == nil {
				return false
			}
		}
		return true
	}
	return false
}

// ProposalOf returns the proposal a warning input went to: by its source id
// or references (the proposal a new one was given otherwise).
func (c *Core) ProposalOf(in Input) (ProposalView, bool) {
	var p *ProposalView
	switch {
	case in.Propose != nil:
		p = c.props.find(in.Propose.Source, append([]string{in.Propose.SourceID}, in.Propose.References...))
	case in.Withdraw != nil:
		p = c.props.find(in.Withdraw.Source, in.Withdraw.References)
	}
	if p == nil {
		return c.Proposal(in.Incident)
	}
	return p.clone(), true
}

func (p *ProposalView) clone() ProposalView {
	v := *p
	v.SourceIDs, v.Areas, v.Alerts = slices.Clone(p.SourceIDs), slices.Clone(p.Areas), slices.Clone(p.Alerts)
	v.Organisations, v.Notes, v.Labels = slices.Clone(p.Organisations), slices.Clone(p.Notes), maps.Clone(p.Labels)
	if p.Decision != nil {
		d := *p.Decision
		d.Organisations = slices.Clone(d.Organisations)
		v.Decision = &d
	}
	if p.Withdrawal != nil {
		w := *p.Withdrawal
		w.References = slices.Clone(w.References)
		v.Withdrawal = &w
	}
	return v
}

// propose records a warning: a new proposal, or a note on the proposal its
// source id (or a reference) already belongs to. Nothing new is a duplicate.
func (d *decider) propose(in Input) error {
	w := *in.Propose
	switch {
	case w.Source == "" || w.SourceID == "":
		return fmt.Errorf("%w: a warning needs its source and source id", ErrInvalid)
	case w.Kind != WarningNew && w.Kind != WarningUpdate && w.Kind != WarningResolved:
		return fmt.Errorf("%w: warning kind %q", ErrInvalid, w.Kind)
	}
	p := d.c.props.find(w.Source, append([]string{w.SourceID}, w.References...))
	if p != nil && p.Status != ProposalOpen && w.Kind == WarningNew && allResolved(p.Alerts) && len(w.Alerts) > 0 {
		p = nil // the group fires again after its proposal was closed: a new proposal
	}
	if p == nil {
		if w.Kind == WarningResolved {
			return fmt.Errorf("%w: resolved alerts of an unknown group", ErrUnknownProposal)
		}
		id := d.c.freeProposalID(in.Incident)
		if id == "" {
			return fmt.Errorf("%w: a proposal needs an id", ErrInvalid)
		}
		d.emit(Event{Incident: id, Kind: KindProposalReceived, Proposal: &w})
		return nil
	}
	if !p.news(w) {
		return fmt.Errorf("%w: warning %s already noted on proposal %s", ErrDuplicate, w.SourceID, p.ID)
	}
	d.emit(Event{Incident: p.ID, Kind: KindProposalReceived, Proposal: &w})
	return nil
}

// freeProposalID is id, or id-2, id-3 … when id was taken by an earlier proposal.
func (c *Core) freeProposalID(id string) string {
	if id == "" || c.props.byID[id] == nil {
		return id
	}
	for n := 2; ; n++ {
		if next := id + "-" + strconv.Itoa(n); c.props.byID[next] == nil {
			return next
		}
	}
}

func allResolved(alerts []WarningAlert) bool {
	for _, a := range alerts {
		if a.Status != "resolved" {
			return false
		}
	}
	return true
}

// news reports whether w says something the proposal does not know yet: a
// message it has not seen, or an alert whose status changed.
func (p *ProposalView) news(w ProposalWarning) bool {
	if len(w.Alerts) == 0 {
		return !slices.Contains(p.SourceIDs, w.SourceID)
	}
	for _, a := range w.Alerts {
		i := slices.IndexFunc(p.Alerts, func(b WarningAlert) bool { return b.Fingerprint == a.Fingerprint })
		if i < 0 || p.Alerts[i].Status != a.Status {
			return true
		}
	}
	return false
}

func (d *decider) dismiss(in Input) error {
	dec := *in.Dismiss
	p, err := d.openProposal(dec)
	if err != nil {
		return err
	}
	dec.Incident, dec.Scenario, dec.Organisations, dec.Exercise = "", "", nil, false
	d.emit(Event{Incident: p.ID, Kind: KindProposalDismissed, ProposalDecision: &dec})
	return nil
}

func (d *decider) openProposal(dec ProposalDecision) (*ProposalView, error) {
	p := d.c.props.byID[dec.Proposal]
	switch {
	case p == nil:
		return nil, fmt.Errorf("%w %q", ErrUnknownProposal, dec.Proposal)
	case p.Status != ProposalOpen:
		return nil, fmt.Errorf("%w: %s is %s", ErrProposalClosed, p.ID, p.Status)
	case strings.TrimSpace(dec.By) == "" || strings.TrimSpace(dec.Reason) == "":
		return nil, fmt.Errorf("%w: a decision on a proposal needs who and why", ErrInvalid)
	}
	return p, nil
}

// confirm declares the incident the input carries and records on both the
// proposal and the declaration who proposed and who confirmed.
func (d *decider) confirm(in Input) error {
	dec := *in.Confirm
	p, err := d.openProposal(dec)
	if err != nil {
		return err
	}
	decl := *in.Declare
	switch {
	case d.c.incidents[decl.ID] != nil:
		return fmt.Errorf("%w: %s", ErrDuplicate, decl.ID)
	case len(in.Plans) == 0:
		return fmt.Errorf("%w: declaration without organisations", ErrInvalid)
	case p.Exercise && !decl.Exercise:
		return fmt.Errorf("%w: the warning is an exercise; confirm it as an exercise", ErrInvalid)
	}
	dec.Incident, dec.Scenario, dec.Organisations, dec.Exercise = decl.ID, decl.Scenario, slices.Clone(decl.Orgs), decl.Exercise
	d.emit(Event{Incident: p.ID, Kind: KindProposalConfirmed, ProposalDecision: &dec})
	decl.ProposedBy = &ProposedBy{Proposal: p.ID, Source: p.Source, SourceID: p.SourceID, By: p.By}
	in.Declare = &decl
	return d.declare(in)
}

// withdraw marks every proposal the cancellation references as withdrawn
// (one already decided keeps its decision and gets a note).
func (d *decider) withdraw(in Input) error {
	wd := *in.Withdraw
	if wd.Source == "" || len(wd.References) == 0 {
		return fmt.Errorf("%w: a withdrawal needs its source and references", ErrInvalid)
	}
	seen := map[string]bool{}
	for _, ref := range wd.References {
		p := d.c.props.find(wd.Source, []string{ref})
		if p == nil || seen[p.ID] || p.Withdrawal != nil {
			continue
		}
		seen[p.ID] = true
		d.emit(Event{Incident: p.ID, Kind: KindProposalWithdrawn, Withdrawn: &wd})
	}
	if len(seen) == 0 {
		if d.c.props.find(wd.Source, wd.References) == nil {
			return fmt.Errorf("%w: the cancellation references no known warning", ErrUnknownProposal)
		}
		return fmt.Errorf("%w: already withdrawn", ErrDuplicate)
	}
	return nil
}

// applyProposal folds a proposal event into the book.
func (c *Core) applyProposal(e Event) {
	b := &c.props
	p := b.byID[e.Incident]
	switch {
	case e.Kind == KindProposalReceived && p == nil:
		b.add(newProposal(e))
	case p == nil:
	case e.Kind == KindProposalReceived:
		p.note(e.At, *e.Proposal)
		if !slices.Contains(p.SourceIDs, e.Proposal.SourceID) {
			p.SourceIDs = append(p.SourceIDs, e.Proposal.SourceID)
			b.alias[aliasKey(p.Source, e.Proposal.SourceID)] = p.ID
		}
	case e.Kind == KindProposalConfirmed || e.Kind == KindProposalDismissed:
		if p.Status == ProposalOpen {
			p.Status = ProposalDismissed
			if e.Kind == KindProposalConfirmed {
				p.Status, p.Incident = ProposalConfirmed, e.ProposalDecision.Incident
			}
			dec := *e.ProposalDecision
			p.Decision, p.DecidedAt, p.UpdatedAt = &dec, e.At, e.At
		}
	case e.Kind == KindProposalWithdrawn:
		wd := *e.Withdrawn
		p.Withdrawal, p.WithdrawnAt, p.UpdatedAt = &wd, e.At, e.At
		if p.Status == ProposalOpen {
			p.Status = ProposalWithdrawn
		} else {
			p.addNote(ProposalNote{At: e.At, Kind: "withdrawn", Text: wd.Reason})
		}
	}
}

func newProposal(e Event) *ProposalView {
	w := e.Proposal
	return &ProposalView{ID: e.Incident, Status: ProposalOpen, Source: w.Source, SourceID: w.SourceID,
		SourceIDs: []string{w.SourceID}, By: w.By, ReceivedAt: e.At, UpdatedAt: e.At, Sent: w.Sent, Exercise: w.Exercise,
		Event: w.Event, Headline: w.Headline, Description: w.Description, Severity: w.Severity, Urgency: w.Urgency,
		Areas: slices.Clone(w.Areas), Labels: maps.Clone(w.Labels), Alerts: slices.Clone(w.Alerts),
		Scenario: w.Scenario, Organisations: slices.Clone(w.Organisations), Rule: w.Rule}
}

// note records a later message: alert status changes one by one, a CAP
// update by its headline; the latest content replaces the shown one.
func (p *ProposalView) note(at time.Time, w ProposalWarning) {
	p.UpdatedAt = at
	for _, a := range w.Alerts {
		i := slices.IndexFunc(p.Alerts, func(b WarningAlert) bool { return b.Fingerprint == a.Fingerprint })
		switch {
		case i < 0:
			p.Alerts = append(p.Alerts, a)
		case p.Alerts[i].Status == a.Status:
			continue
		default:
			p.Alerts[i] = a
		}
		p.addNote(ProposalNote{At: at, Kind: a.Status, Text: firstNonEmpty(a.Summary, a.Name)})
	}
	if len(w.Alerts) == 0 {
		p.addNote(ProposalNote{At: at, Kind: w.Kind, Text: firstNonEmpty(w.Headline, w.Event)})
	}
	if w.Kind == WarningResolved {
		return // the content of a resolved group stays what fired
	}
	p.Sent, p.Event, p.Headline, p.Description = w.Sent, w.Event, w.Headline, w.Description
	p.Severity, p.Urgency, p.Areas = w.Severity, w.Urgency, slices.Clone(w.Areas)
	if w.Scenario != "" {
		p.Scenario, p.Organisations, p.Rule = w.Scenario, slices.Clone(w.Organisations), w.Rule
	}
}

func (p *ProposalView) addNote(n ProposalNote) {
	if len(p.Notes) >= maxProposalNotes {
		p.Notes = slices.Delete(p.Notes, 0, 1)
	}
	p.Notes = append(p.Notes, n)
}

func firstNonEmpty(s ...string) string {
	for _, v := range s {
		if v != "" {
			return v
		}
	}
	return ""
}

// encode writes the proposals to a snapshot: few and small, as JSON.
func (b *proposalBook) encode(w *snapWriter) {
	list := make([]*ProposalView, len(b.order))
	for i, id := range b.order {
		list[i] = b.byID[id]
	}
	data, _ := json.Marshal(list) // plain data: cannot fail
	w.str(string(data))
}

func (b *proposalBook) decode(r *snapReader) {
	data := r.str()
	if r.err != nil {
		return
	}
	var list []*ProposalView
	if err := json.Unmarshal([]byte(data), &list); err != nil {
		r.fail("proposals: %v", err)
		return
	}
	for _, p := range list {
		if p == nil || p.ID == "" || b.byID[p.ID] != nil {
			r.fail("proposals: a proposal without id or twice")
			return
		}
		b.add(p)
	}
}
