// Package proposal turns warnings from warning systems into proposals: CAP
// 1.2 alerts (MoWaS, DWD) and Prometheus Alertmanager webhooks are parsed,
// validated and mapped by rules to a suggested scenario. A proposal never
// alerts anyone: a duty officer confirms or dismisses it (not in this
// package: it only parses and suggests).
package proposal

import (
	"slices"
	"strings"
	"time"
)

// Sources of proposals.
const (
	SourceCAP          = "cap"
	SourceAlertmanager = "alertmanager"
)

// Kinds of warning messages.
const (
	KindNew      = "new"      // a new warning (CAP Alert, Alertmanager firing)
	KindUpdate   = "update"   // CAP Update of earlier messages
	KindCancel   = "cancel"   // CAP Cancel: withdraws the proposals it references
	KindResolved = "resolved" // Alertmanager resolved: noted on the proposal
)

// Warning is one incoming warning in the subset Kaskade uses.
type Warning struct {
	Source string
	// SourceID identifies the warning at its source and deduplicates:
	// "sender,identifier" for CAP, the alert's fingerprint for Alertmanager.
	SourceID string
	Kind     string
	// References are the SourceIDs an Update or Cancel refers to.
	References []string
	Sent       time.Time
	// Exercise: CAP status Exercise (Test, System and Draft are refused).
	Exercise    bool
	Event       string
	Headline    string
	Description string
	Severity    string // CAP: Extreme, Severe, Moderate, Minor, Unknown
	Urgency     string // CAP: Immediate, Expected, Future, Past, Unknown
	Areas       []string
	Labels      map[string]string // Alertmanager labels
	// Group is the Alertmanager groupKey: the alerts of one group make one proposal.
	Group string
	// GroupStatus is the webhook's status (firing, resolved) for Alertmanager.
	GroupStatus string
}

// Rule suggests a scenario for warnings that match all its set fields.
type Rule struct {
	Scenario      string
	Organisations []string // empty: the scenario's
	Source        string   // "" any
	// Events match if the warning's event contains one of them (case-insensitive).
	Events []string
	// MinSeverity is the least CAP severity (Minor < Moderate < Severe < Extreme).
	MinSeverity string
	Urgency     []string
	// Areas match if an area description contains one of them (case-insensitive).
	Areas  []string
	Labels map[string]string // Alertmanager: every label must be equal
}

// Suggestion is the scenario a rule proposes.
type Suggestion struct {
	Scenario      string
	Organisations []string
	Rule          int // index of the rule that matched
}

// Suggest returns the first rule that matches w.
func Suggest(rules []Rule, w Warning) (Suggestion, bool) {
	for i, r := range rules {
		if r.matches(w) {
			return Suggestion{Scenario: r.Scenario, Organisations: r.Organisations, Rule: i}, true
		}
	}
	return Suggestion{}, false
}

var severityRank = map[string]int{"Minor": 1, "Moderate": 2, "Severe": 3, "Extreme": 4}

func (r Rule) matches(w Warning) bool {
	switch {
	case r.Source != "" && r.Source != w.Source:
		return false
	case len(r.Events) > 0 && !containsAny([]string{w.Event}, r.Events):
		return false
	case r.MinSeverity != "" && severityRank[w.Severity] < severityRank[r.MinSeverity]:
		return false
	case len(r.Urgency) > 0 && !slices.Contains(r.Urgency, w.Urgency):
		return false
	case len(r.Areas) > 0 && !containsAny(w.Areas, r.Areas):
		return false
	}
	for k, v := range r.Labels {
		if w.Labels[k] != v {
			return false
		}
	}
	return true
}

func containsAny(have, want []string) bool {
	for _, h := range have {
		for _, w := range want {
			if strings.Contains(strings.ToLower(h), strings.ToLower(w)) {
				return true
			}
		}
	}
	return false
}
