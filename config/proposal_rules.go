package config

import (
	"fmt"
	"slices"
	"strings"
)

// ProposalRule suggests a scenario for incoming warnings that match every
// condition it sets (unset conditions match anything). A warning only ever
// becomes a proposal: a duty officer confirms or dismisses it.
type ProposalRule struct {
	Scenario string `yaml:"scenario"`
	// Organisations override the scenario's (empty: the scenario's).
	Organisations []string `yaml:"organisations"`
	// Source is cap or alertmanager; empty matches both.
	Source string `yaml:"source"`
	// Events match when the warning's event (CAP event, Alertmanager
	// alertname) contains one of them, case-insensitive.
	Events []string `yaml:"events"`
	// MinSeverity is the least CAP severity: Minor, Moderate, Severe, Extreme
	// (Alertmanager severity labels critical/page, warning, info map onto it).
	MinSeverity string `yaml:"min_severity"`
	// Urgency lists the CAP urgencies that match.
	Urgency []string `yaml:"urgency"`
	// Areas match when a CAP area description contains one of them.
	Areas []string `yaml:"areas"`
	// Labels must all be equal on the alert (Alertmanager only).
	Labels map[string]string `yaml:"labels"`
}

// Proposal sources.
const (
	ProposalSourceCAP          = "cap"
	ProposalSourceAlertmanager = "alertmanager"
)

// CAP 1.2 value lists the rules may name.
var (
	capSeverities = []string{"Minor", "Moderate", "Severe", "Extreme"}
	capUrgencies  = []string{"Immediate", "Expected", "Future", "Past", "Unknown"}
)

func (v *validator) proposalRules() {
	for i, r := range v.c.ProposalRules {
		p := fmt.Sprintf("proposal_rules[%d]", i)
		if _, ok := v.c.Scenario(r.Scenario); !ok {
			v.errorf(p+".scenario", "unknown scenario %q", r.Scenario)
		}
		for j, o := range r.Organisations {
			if _, ok := v.c.Organisation(o); !ok {
				v.errorf(fmt.Sprintf("%s.organisations[%d]", p, j), "unknown organisation %q", o)
			}
		}
		switch r.Source {
		case "", ProposalSourceCAP, ProposalSourceAlertmanager:
		default:
			v.errorf(p+".source", "source must be cap or alertmanager (or left out for both), got %q", r.Source)
		}
		if r.MinSeverity != "" && !slices.Contains(capSeverities, r.MinSeverity) {
			v.errorf(p+".min_severity", "min_severity must be one of %s, got %q", strings.Join(capSeverities, ", "), r.MinSeverity)
		}
		for j, u := range r.Urgency {
			if !slices.Contains(capUrgencies, u) {
				v.errorf(fmt.Sprintf("%s.urgency[%d]", p, j), "urgency must be one of %s, got %q", strings.Join(capUrgencies, ", "), u)
			}
		}
		v.nonEmpty(p+".events", r.Events)
		v.nonEmpty(p+".areas", r.Areas)
		switch {
		case len(r.Labels) > 0 && r.Source != ProposalSourceAlertmanager:
			v.errorf(p+".labels", "labels are Alertmanager's: set source: alertmanager")
		case len(r.Areas) > 0 && r.Source == ProposalSourceAlertmanager, len(r.Urgency) > 0 && r.Source == ProposalSourceAlertmanager:
			v.errorf(p+".source", "areas and urgency are CAP's; Alertmanager alerts have neither")
		}
		if len(r.Events)+len(r.Urgency)+len(r.Areas)+len(r.Labels) == 0 && r.MinSeverity == "" {
			v.warnf(p, "rule has no conditions: it matches every warning%s", map[bool]string{true: "", false: " of " + r.Source}[r.Source == ""])
		}
	}
}

func (v *validator) nonEmpty(path string, list []string) {
	for j, s := range list {
		if strings.TrimSpace(s) == "" {
			v.errorf(fmt.Sprintf("%s[%d]", path, j), "must not be empty (it would match everything)")
		}
	}
}
