package activation

import (
	"errors"
	"strings"
	"testing"
	"time"
)

func dwdWarning(id string) *ProposalWarning {
	return &ProposalWarning{Source: "cap", SourceID: "CAP@dwd.de," + id, Kind: WarningNew, Sent: t0, Event: "UNWETTER",
		Headline: "Unwetterwarnung vor Dauerregen", Severity: "Severe", Urgency: "Immediate", Areas: []string{"Stadt Hannover"},
		Scenario: "hochwasser", Organisations: []string{"MI"}, Rule: 2, By: "dwd"}
}

func amWarning(status string) *ProposalWarning {
	return &ProposalWarning{Source: "alertmanager", SourceID: `{}:{alertname="FachverfahrenDown"}`, Kind: WarningNew, Sent: t0,
		Event: "FachverfahrenDown", Headline: "Fachverfahren nicht erreichbar", Labels: map[string]string{"category": "cyber"},
		Alerts:   []WarningAlert{{Fingerprint: "a1", Status: "firing", Name: "FachverfahrenDown"}, {Fingerprint: "b2", Status: status, Name: "FachverfahrenDown"}},
		Scenario: "cyberangriff", Rule: 1, By: "prometheus"}
}

// proposalInputs runs proposals through what can happen to them: a CAP
// warning updated and confirmed, one withdrawn, an Alertmanager group with a
// resolved alert, one dismissed.
func proposalInputs(h *harness) {
	h.input(Input{Incident: "P-dwd1", Propose: dwdWarning("1")})
	upd := dwdWarning("2")
	upd.Kind, upd.References, upd.Headline = WarningUpdate, []string{"CAP@dwd.de,1"}, "Unwetterwarnung verlängert"
	h.input(Input{Incident: "P-dwd2", Propose: upd})
	h.input(Input{Incident: "K9", Confirm: &ProposalDecision{Proposal: "P-dwd1", By: "lagedienst", Reason: "Pegel steigen"},
		Declare: &Declared{ID: "K9", ReplyCode: "K9", Scenario: "hochwasser", Title: "Hochwasser", Severity: "emergency",
			DeclaredBy: "lagedienst", Reason: "Pegel steigen", Orgs: []string{"MI"}}, Plans: []Plan{testPlan()}})
	h.input(Input{Incident: "P-dwd3", Propose: dwdWarning("3")})
	h.input(Input{Incident: "P-dwd3", Withdraw: &ProposalWithdrawal{Source: "cap", SourceID: "CAP@dwd.de,4",
		References: []string{"CAP@dwd.de,3"}, Reason: "Aufgehoben", By: "dwd"}})
	h.input(Input{Incident: "P-am", Propose: amWarning("firing")})
	h.input(Input{Incident: "P-am", Propose: amWarning("resolved")})
	h.input(Input{Incident: "P-dwd5", Propose: dwdWarning("5")})
	h.input(Input{Incident: "P-dwd5", Dismiss: &ProposalDecision{Proposal: "P-dwd5", By: "lagedienst", Reason: "nicht betroffen"}})
}

func TestProposalsFromWarningToDecision(t *testing.T) {
	h := newHarness(t, false)
	proposalInputs(h)
	c := replayed(t, h.events) // what the log says, not what the decider did
	p, ok := c.Proposal("P-dwd1")
	if !ok || p.Status != ProposalConfirmed || p.Incident != "K9" || len(p.SourceIDs) != 2 ||
		p.Headline != "Unwetterwarnung verlängert" || len(p.Notes) != 1 || p.Notes[0].Kind != WarningUpdate {
		t.Fatalf("confirmed proposal %+v", p)
	}
	if _, ok := c.Proposal("P-dwd2"); ok {
		t.Error("a CAP update became a proposal of its own; it belongs on the one it references")
	}
	d, _ := c.Declaration("K9")
	if pb := d.ProposedBy; pb == nil || pb.Proposal != "P-dwd1" || pb.Source != "cap" || pb.SourceID != "CAP@dwd.de,1" || pb.By != "dwd" ||
		d.DeclaredBy != "lagedienst" {
		t.Errorf("declaration records proposer %+v and confirmer %q", d.ProposedBy, d.DeclaredBy)
	}
	if tl := c.Timeline("K9", ""); len(tl) == 0 || !strings.Contains(tl[0].Summary, "Vorschlag P-dwd1 aus cap (dwd)") ||
		!strings.Contains(tl[0].SummaryEN, "confirmed proposal P-dwd1") {
		t.Errorf("the board's timeline does not name the proposal: %+v", tl)
	}
	if p, _ := c.Proposal("P-dwd3"); p.Status != ProposalWithdrawn || p.Withdrawal == nil || p.Withdrawal.Reason != "Aufgehoben" {
		t.Errorf("cancelled proposal %+v", p)
	}
	am, _ := c.Proposal("P-am")
	if am.Status != ProposalOpen || len(am.Alerts) != 2 || am.Alerts[1].Status != "resolved" || len(am.Notes) != 1 || am.Notes[0].Kind != "resolved" {
		t.Errorf("alertmanager proposal %+v", am)
	}
	if p, _ := c.Proposal("P-dwd5"); p.Status != ProposalDismissed || p.Decision == nil || p.Decision.Reason != "nicht betroffen" {
		t.Errorf("dismissed proposal %+v", p)
	}
	if list := c.Proposals(); len(list) != 4 || list[0].ID != "P-dwd5" {
		t.Errorf("proposals newest first: %+v", list)
	}
}

func TestProposalInputsRefused(t *testing.T) {
	h := newHarness(t, false)
	proposalInputs(h)
	exercise := dwdWarning("6")
	exercise.Exercise = true
	h.input(Input{Incident: "P-ex", Propose: exercise})
	confirm := func(id, incident string, exercise bool) Input {
		return Input{Incident: incident, Confirm: &ProposalDecision{Proposal: id, By: "lagedienst", Reason: "x"},
			Declare: &Declared{ID: incident, Scenario: "hochwasser", Exercise: exercise, DeclaredBy: "lagedienst", Reason: "x"}, Plans: []Plan{testPlan()}}
	}
	tests := []struct {
		name string
		in   Input
		want error
	}{
		{"same CAP message again", Input{Incident: "P-x", Propose: dwdWarning("1")}, ErrDuplicate},
		{"same alert statuses again", Input{Incident: "P-am", Propose: amWarning("resolved")}, ErrDuplicate},
		{"resolved of an unknown group", Input{Incident: "P-y", Propose: &ProposalWarning{Source: "alertmanager", SourceID: "g", Kind: WarningResolved,
			Alerts: []WarningAlert{{Fingerprint: "z", Status: "resolved"}}}}, ErrUnknownProposal},
		{"confirm twice", confirm("P-dwd1", "K10", false), ErrProposalClosed},
		{"confirm a withdrawn one", confirm("P-dwd3", "K10", false), ErrProposalClosed},
		{"confirm an unknown one", confirm("P-nope", "K10", false), ErrUnknownProposal},
		{"confirm onto an existing incident", confirm("P-am", "K9", false), ErrDuplicate},
		{"an exercise warning as real", confirm("P-ex", "K10", false), ErrInvalid},
		{"dismiss without reason", Input{Incident: "P-am", Dismiss: &ProposalDecision{Proposal: "P-am", By: "lagedienst"}}, ErrInvalid},
		{"cancel twice", Input{Incident: "P-dwd3", Withdraw: &ProposalWithdrawal{Source: "cap", References: []string{"CAP@dwd.de,3"}}}, ErrDuplicate},
		{"cancel of nothing known", Input{Incident: "P-z", Withdraw: &ProposalWithdrawal{Source: "cap", References: []string{"CAP@dwd.de,99"}}}, ErrUnknownProposal},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if known := h.c.WarningKnown(tc.in); known != (tc.want == ErrDuplicate && tc.in.Kind() != "confirm") {
				t.Errorf("WarningKnown = %v for an input refused with %v", known, tc.want)
			}
			evs, err := h.c.Handle(tc.in, h.now)
			if !errors.Is(err, tc.want) {
				t.Fatalf("error %v, want %v", err, tc.want)
			}
			if len(evs) != 1 || evs[0].Kind != KindRejected || evs[0].Rejected.Input != tc.in.Kind() {
				t.Fatalf("a refused input leaves one input_rejected record, got %+v", evs)
			}
		})
	}
	if _, ok := h.c.Incident("K10"); ok {
		t.Error("a refused confirmation declared an incident")
	}
}

func TestCancelAfterConfirmationIsNoted(t *testing.T) {
	h := newHarness(t, false)
	proposalInputs(h)
	h.input(Input{Incident: "P-dwd1", Withdraw: &ProposalWithdrawal{Source: "cap", SourceID: "CAP@dwd.de,7",
		References: []string{"CAP@dwd.de,2"}, Reason: "Entwarnung DWD", By: "dwd"}})
	p, _ := h.c.Proposal("P-dwd1")
	if p.Status != ProposalConfirmed || p.Withdrawal == nil || p.Notes[len(p.Notes)-1].Kind != "withdrawn" {
		t.Fatalf("a confirmed proposal keeps its decision and notes the cancel: %+v", p)
	}
	if v, _ := h.c.Incident("K9"); v.Status != "open" {
		t.Error("the source's cancel stood the incident down; only a duty officer does that")
	}
}

func TestAlertGroupFiringAgainAfterDismissalIsANewProposal(t *testing.T) {
	h := newHarness(t, false)
	h.input(Input{Incident: "P-am", Propose: amWarning("firing")})
	h.input(Input{Incident: "P-am", Dismiss: &ProposalDecision{Proposal: "P-am", By: "lagedienst", Reason: "Wartung"}})
	resolved := amWarning("resolved")
	resolved.Kind, resolved.Alerts[0].Status = WarningResolved, "resolved"
	h.input(Input{Incident: "P-am", Propose: resolved})
	h.now = h.now.Add(24 * time.Hour)
	h.input(Input{Incident: "P-am", Propose: amWarning("firing")})
	if p, ok := h.c.Proposal("P-am-2"); !ok || p.Status != ProposalOpen {
		t.Fatalf("the group's new outage: %+v %v", p, ok)
	}
}
