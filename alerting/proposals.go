package alerting

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"unicode/utf8"

	"github.com/kaskade-bcm/kaskade/activation"
	"github.com/kaskade-bcm/kaskade/activation/engine"
	"github.com/kaskade-bcm/kaskade/alerting/proposal"
	"github.com/kaskade-bcm/kaskade/config"
)

// Error codes of proposals.
const (
	CodeInvalidWarning  = "invalid_warning"
	CodeUnknownProposal = "unknown_proposal"
	CodeProposalClosed  = "proposal_closed"
	CodeMissingExercise = "missing_exercise"
)

// ProposalID is the id of the proposal a warning makes: derived from its
// source id, so the same warning always lands on the same proposal.
func ProposalID(source, sourceID string) string {
	h := sha256.Sum256([]byte(source + "\x00" + sourceID))
	return "P-" + hex.EncodeToString(h[:5])
}

// Rules converts the configured proposal rules.
func Rules(cfg *config.Config) []proposal.Rule {
	out := make([]proposal.Rule, len(cfg.ProposalRules))
	for i, r := range cfg.ProposalRules {
		out[i] = proposal.Rule{Scenario: r.Scenario, Organisations: r.Organisations, Source: r.Source, Events: r.Events,
			MinSeverity: r.MinSeverity, Urgency: r.Urgency, Areas: r.Areas, Labels: r.Labels}
	}
	return out
}

// WarningInputs turns parsed warnings into core inputs: a CAP alert or
// update proposes, a CAP cancel withdraws; the alerts of one Alertmanager
// group make one proposal. by is the intake identity.
func WarningInputs(cfg *config.Config, ws []proposal.Warning, by string) []activation.Input {
	rules := Rules(cfg)
	var out []activation.Input
	groups := map[string]int{} // groupKey → index in out
	for _, w := range ws {
		switch {
		case w.Kind == proposal.KindCancel:
			out = append(out, activation.Input{Incident: ProposalID(w.Source, w.References[0]),
				Withdraw: &activation.ProposalWithdrawal{Source: w.Source, SourceID: w.SourceID, References: w.References,
					Reason: firstOf(w.Headline, w.Event), By: by}})
		case w.Source == proposal.SourceAlertmanager:
			i, ok := groups[w.Group]
			if !ok {
				i = len(out)
				groups[w.Group] = i
				pw := warningOf(w, by)
				pw.SourceID, pw.Alerts, pw.Kind = w.Group, nil, activation.WarningNew
				if w.GroupStatus == "resolved" {
					pw.Kind = activation.WarningResolved
				}
				out = append(out, activation.Input{Incident: ProposalID(w.Source, w.Group), Propose: &pw})
			}
			pw := out[i].Propose
			pw.Alerts = append(pw.Alerts, activation.WarningAlert{Fingerprint: w.SourceID, Status: amStatus(w.Kind),
				Name: w.Event, Summary: w.Headline})
			if pw.Scenario == "" && w.Kind == proposal.KindNew {
				suggest(pw, rules, w)
				pw.Event, pw.Headline, pw.Description, pw.Severity, pw.Labels = w.Event, w.Headline, w.Description, w.Severity, w.Labels
			}
		default:
			pw := warningOf(w, by)
			suggest(&pw, rules, w)
			out = append(out, activation.Input{Incident: ProposalID(w.Source, w.SourceID), Propose: &pw})
		}
	}
	return out
}

func warningOf(w proposal.Warning, by string) activation.ProposalWarning {
	kind := activation.WarningNew
	if w.Kind == proposal.KindUpdate {
		kind = activation.WarningUpdate
	}
	return activation.ProposalWarning{Source: w.Source, SourceID: w.SourceID, Kind: kind, References: w.References,
		Sent: w.Sent.UTC(), Exercise: w.Exercise, Event: w.Event, Headline: w.Headline, Description: w.Description,
		Severity: w.Severity, Urgency: w.Urgency, Areas: w.Areas, Labels: w.Labels, By: by}
}

func suggest(pw *activation.ProposalWarning, rules []proposal.Rule, w proposal.Warning) {
	if s, ok := proposal.Suggest(rules, w); ok {
		pw.Scenario, pw.Organisations, pw.Rule = s.Scenario, slices.Clone(s.Organisations), s.Rule+1
	}
}

func amStatus(kind string) string {
	if kind == proposal.KindResolved {
		return "resolved"
	}
	return "firing"
}

func firstOf(s ...string) string {
	for _, v := range s {
		if v != "" {
			return v
		}
	}
	return ""
}

// SubmitWarnings parses nothing: it hands the inputs of warnings to the
// engine, each deduplicated on the stream by its content, and returns the
// input sequences (the last one to wait for).
func (i *Intake) SubmitWarnings(ctx context.Context, ins []activation.Input) (uint64, error) {
	var last uint64
	for _, in := range ins {
		data, _ := json.Marshal(in) // plain data: cannot fail
		seq, err := engine.SubmitInput(ctx, i.opts.JS, i.opts.Layout, in, "warning-"+hashKey(data))
		if err != nil {
			return 0, unavailable(err)
		}
		last = seq
		i.log.Info("warning received", "source", sourceOf(in), "proposal", in.Incident, "input", in.Kind())
	}
	return last, nil
}

func sourceOf(in activation.Input) string {
	switch {
	case in.Propose != nil:
		return in.Propose.Source
	case in.Withdraw != nil:
		return in.Withdraw.Source
	}
	return ""
}

// ConfirmRequest is a duty officer's confirmation of a proposal.
type ConfirmRequest struct {
	// Scenario and Organisations default to the proposal's suggestion.
	Scenario      string   `json:"scenario,omitempty"`
	Organisations []string `json:"organisations,omitempty"`
	// Exercise must be given: exercise or real is the duty officer's choice.
	Exercise *bool  `json:"exercise"`
	Reason   string `json:"reason"`
	Title    string `json:"title,omitempty"`
	Severity string `json:"severity,omitempty"`
	Message  string `json:"message,omitempty"`
}

// Declaration builds the declaration a confirmation makes: the proposal's
// suggestion unless the duty officer chose otherwise, declared by by.
func (r ConfirmRequest) Declaration(p activation.ProposalView, by string) (Declaration, error) {
	if r.Exercise == nil {
		return Declaration{}, errorf(CodeMissingExercise, "exercise is required: confirm as an exercise (true) or as real (false)")
	}
	d := Declaration{Scenario: firstOf(r.Scenario, p.Scenario), Organisations: r.Organisations,
		Exercise: *r.Exercise, DeclaredBy: by, Reason: r.Reason, Title: firstOf(strings.TrimSpace(r.Title), p.Headline, p.Event),
		Severity: r.Severity, Message: r.Message}
	if len(d.Organisations) == 0 && d.Scenario == p.Scenario {
		d.Organisations = p.Organisations
	}
	if d.Scenario == "" {
		return Declaration{}, errorf(CodeUnknownScenario, "no rule suggested a scenario for %s: choose one", p.ID)
	}
	if len(d.Title) > 200 {
		// A warning's headline may be long: cut at a character boundary.
		cut := 200
		for cut > 0 && !utf8.RuneStart(d.Title[cut]) {
			cut--
		}
		d.Title = strings.TrimSpace(d.Title[:cut]) + "…"
	}
	return d, nil
}

// Confirm declares the incident a confirmation makes, at most once per
// proposal: the core records the confirmation and the proposer on the
// declaration, or refuses it whole when the proposal is no longer open
// (a second click then finds the proposal confirmed with another incident).
func (i *Intake) Confirm(ctx context.Context, p activation.ProposalView, d Declaration, source string) (Result, error) {
	dec := &activation.ProposalDecision{Proposal: p.ID, By: d.DeclaredBy, Reason: d.Reason}
	return i.declareWith(ctx, d, source, nil, "", dec)
}

// ProposalError maps a refused proposal input to an API error.
func ProposalError(p activation.ProposalView, ok bool, id string) error {
	switch {
	case !ok:
		return errorf(CodeUnknownProposal, "no proposal %s", id)
	case p.Status != activation.ProposalOpen:
		return errorf(CodeProposalClosed, "proposal %s is %s", id, p.Status)
	}
	return nil
}

// ParseWarnings parses a CAP document or an Alertmanager webhook.
func ParseWarnings(source string, data []byte) ([]proposal.Warning, error) {
	var ws []proposal.Warning
	var err error
	switch source {
	case proposal.SourceCAP:
		var w proposal.Warning
		if w, err = proposal.ParseCAP(data); err == nil {
			ws = []proposal.Warning{w}
		}
	case proposal.SourceAlertmanager:
		ws, err = proposal.ParseAlertmanager(data)
	default:
		return nil, fmt.Errorf("alerting: unknown warning source %q", source)
	}
	if err != nil {
		return nil, errorf(CodeInvalidWarning, "%v", err)
	}
	for _, w := range ws {
		for _, f := range []struct{ name, v string }{{"event", w.Event}, {"headline", w.Headline}, {"description", w.Description}} {
			if len(f.v) > maxText {
				return nil, errorf(CodeTooLong, "%s is longer than %d bytes", f.name, maxText)
			}
		}
	}
	return ws, nil
}
