// Package alerting owns incidents and their intake: the declaration contract
// (NATS, HTTP, CLI), its validation against the configuration, the duty
// officer's decision record, deduplication by client id, and incident ids.
package alerting

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"regexp"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/kaskade-bcm/kaskade/activation"
	"github.com/kaskade-bcm/kaskade/activation/engine"
	"github.com/kaskade-bcm/kaskade/config"
)

// Declaration is the JSON a duty officer (or a system) sends to declare an
// incident, on kaskade.incidents.declare or POST /api/v1/incidents.
type Declaration struct {
	// ID is an optional client key: the same id never activates twice.
	ID            string   `json:"id,omitempty"`
	Scenario      string   `json:"scenario"`
	Title         string   `json:"title,omitempty"`
	Severity      string   `json:"severity,omitempty"`
	Organisations []string `json:"organisations,omitempty"`
	Exercise      bool     `json:"exercise"`
	DeclaredBy    string   `json:"declared_by"`
	Reason        string   `json:"reason"`
	Message       string   `json:"message,omitempty"`
	// Drill makes this an alerting drill (always an exercise).
	Drill *DrillRequest `json:"drill,omitempty"`
}

// DrillRequest are the options of an alerting drill (Alarmierungsübung).
type DrillRequest struct {
	// Announced drills were announced beforehand; unannounced ones test real reaction.
	Announced bool `json:"announced"`
	// DeputiesOnly alerts the deputies instead of the primaries.
	DeputiesOnly bool `json:"deputies_only,omitempty"`
	// Target overrides the readiness target, e.g. "30m" (all required functions acknowledged within).
	Target string `json:"target,omitempty"`
}

// Error codes of declarations and the API.
const (
	CodeInvalidJSON         = "invalid_json"
	CodeUnknownScenario     = "unknown_scenario"
	CodeUnknownOrganisation = "unknown_organisation"
	CodeMissingReason       = "missing_reason"
	CodeMissingDeclaredBy   = "missing_declared_by"
	CodeInvalidSeverity     = "invalid_severity"
	CodeInvalidID           = "invalid_id"
	CodeTooLong             = "too_long"
	CodeInvalidText         = "invalid_text"
	CodeRateLimited         = "rate_limited"
	CodeInvalidDrill        = "invalid_drill"
	CodeUnavailable         = "unavailable"
	CodeInternal            = "internal"
)

// Error is a structured error for callers: {"error": {"code", "message"}}.
type Error struct {
	Code    string `json:"code"`
	Message string `json:"message"`
	// Err is the cause, for errors.Is (engine.ErrUnavailable); never sent.
	Err error `json:"-"`
}

func (e *Error) Error() string { return e.Code + ": " + e.Message }

// Unwrap returns the cause.
func (e *Error) Unwrap() error { return e.Err }

func errorf(code, format string, args ...any) *Error {
	return &Error{Code: code, Message: fmt.Sprintf(format, args...)}
}

// AsError returns err as an *Error, wrapping unexpected errors as internal.
func AsError(err error) *Error {
	var e *Error
	if errors.As(err, &e) {
		return e
	}
	return &Error{Code: CodeInternal, Message: err.Error()}
}

var clientIDPattern = regexp.MustCompile(`^[A-Za-z0-9_.:-]{1,128}$`)

const maxText = 4000

// Parse decodes a declaration strictly: unknown fields are errors, so a typo
// in a field name never silently drops the exercise flag.
func Parse(data []byte) (Declaration, error) {
	var d Declaration
	if len(data) > engine.MaxDeclarationBytes {
		// Refused before decoding: a declarer may send 8 MiB as often as it likes.
		return d, errorf(CodeTooLong, "declaration is larger than %d bytes", engine.MaxDeclarationBytes)
	}
	if !utf8.Valid(data) {
		// encoding/json would turn invalid bytes into U+FFFD silently.
		return d, errorf(CodeInvalidText, "declaration is not valid UTF-8")
	}
	dec := json.NewDecoder(strings.NewReader(string(data)))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&d); err != nil {
		return d, errorf(CodeInvalidJSON, "declaration is not valid JSON: %v", err)
	}
	// Anything after the object, a stray brace included, is an error (More
	// would let "}" through).
	if _, err := dec.Token(); err != io.EOF {
		return d, errorf(CodeInvalidJSON, "declaration has trailing data")
	}
	if key := DuplicateKey(data); key != "" {
		return Declaration{}, errorf(CodeInvalidJSON, "declaration has the key %q twice; give each key once", key)
	}
	return d, nil
}

// CheckText refuses invalid UTF-8 and control characters (C0, DEL, C1):
// they garble SMS and terminals and hide text. Multiline texts may hold
// line breaks ("\n" or "\r\n"); a title or name may not.
func CheckText(field, s string, multiline bool) error {
	if !utf8.ValidString(s) {
		return errorf(CodeInvalidText, "%s is not valid UTF-8", field)
	}
	for i, r := range s {
		switch {
		case multiline && r == '\n':
		case multiline && r == '\r' && strings.HasPrefix(s[i:], "\r\n"):
		case unicode.IsControl(r):
			what := "a control character"
			if r == '\n' || r == '\r' {
				what = "a line break"
			}
			return errorf(CodeInvalidText, "%s contains %s (U+%04X) at byte %d; remove it", field, what, r, i)
		}
	}
	return nil
}

// Resolved is a validated declaration with its plans.
type Resolved struct {
	Declared activation.Declared
	Plans    []activation.Plan
}

// Resolve validates a declaration against the configuration and snapshots
// the call trees. Nothing is created here.
func Resolve(cfg *config.Config, d Declaration) (Resolved, error) {
	if d.ID != "" && !clientIDPattern.MatchString(d.ID) {
		return Resolved{}, errorf(CodeInvalidID, "id %q: use 1 to 128 letters, digits, '_', '-', '.', ':'", d.ID)
	}
	sc, ok := cfg.Scenario(d.Scenario)
	if !ok {
		return Resolved{}, errorf(CodeUnknownScenario, "unknown scenario %q (known: %s)", d.Scenario, scenarioIDs(cfg))
	}
	if strings.TrimSpace(d.Reason) == "" {
		return Resolved{}, errorf(CodeMissingReason, "a reason is required: the decision must be recorded (who, when, why)")
	}
	if strings.TrimSpace(d.DeclaredBy) == "" {
		return Resolved{}, errorf(CodeMissingDeclaredBy, "declared_by is required: who takes this decision?")
	}
	for _, f := range []struct {
		name, v   string
		multiline bool
	}{{"title", d.Title, false}, {"reason", d.Reason, true}, {"message", d.Message, true}, {"declared_by", d.DeclaredBy, false}} {
		if len(f.v) > maxText {
			return Resolved{}, errorf(CodeTooLong, "%s is longer than %d bytes", f.name, maxText)
		}
		if err := CheckText(f.name, f.v, f.multiline); err != nil {
			return Resolved{}, err
		}
	}
	severity := d.Severity
	if severity == "" {
		severity = sc.Severity
	}
	switch severity {
	case config.SeverityDisruption, config.SeverityEmergency, config.SeverityCrisis:
	default:
		return Resolved{}, errorf(CodeInvalidSeverity, "severity %q: use disruption (Störung), emergency (Notfall) or crisis (Krise)", d.Severity)
	}
	orgs := d.Organisations
	if len(orgs) == 0 {
		orgs = cfg.ScenarioOrganisations(sc)
	}
	var drill *activation.Drill
	var drillTarget time.Duration
	if d.Drill != nil {
		if !d.Exercise {
			return Resolved{}, errorf(CodeInvalidDrill, "a drill is always an exercise: set exercise to true")
		}
		if d.Drill.Target != "" {
			t, err := time.ParseDuration(d.Drill.Target)
			if err != nil || t <= 0 || t > 24*time.Hour {
				return Resolved{}, errorf(CodeInvalidDrill, "drill target %q: use a duration such as 30m", d.Drill.Target)
			}
			drillTarget = t
		}
		drill = &activation.Drill{Announced: d.Drill.Announced, DeputiesOnly: d.Drill.DeputiesOnly}
	}
	seen := map[string]bool{}
	var plans []activation.Plan
	for _, org := range orgs {
		if seen[org] {
			continue
		}
		seen[org] = true
		if _, ok := cfg.Organisation(org); !ok {
			return Resolved{}, errorf(CodeUnknownOrganisation, "unknown organisation %q", org)
		}
		target := cfg.ReadinessTarget(sc, org)
		if drillTarget > 0 {
			target = drillTarget
		}
		p, err := activation.BuildPlan(cfg, org, target)
		if err != nil {
			return Resolved{}, errorf(CodeUnknownOrganisation, "%v", err)
		}
		if drill != nil && drill.DeputiesOnly {
			p = deputiesOnly(p)
		}
		plans = append(plans, p)
	}
	title := strings.TrimSpace(d.Title)
	if title == "" {
		title = sc.Name.DE
		if drill != nil {
			title = "Alarmierungsübung " + sc.Name.DE
		}
	}
	return Resolved{
		Declared: activation.Declared{
			ClientID: d.ID, Scenario: sc.ID, ScenarioName: activation.Names{DE: sc.Name.DE, EN: sc.Name.EN},
			Title: title, Severity: severity, Message: strings.TrimSpace(d.Message), Exercise: d.Exercise,
			DeclaredBy: strings.TrimSpace(d.DeclaredBy), Reason: strings.TrimSpace(d.Reason), Orgs: orgList(plans), Drill: drill,
		},
		Plans: plans,
	}, nil
}

// deputiesOnly alerts each node's deputies in place of its primary; a node
// without deputies keeps its primary, since nobody else holds the role.
func deputiesOnly(p activation.Plan) activation.Plan {
	nodes := make([]activation.PlanNode, len(p.Nodes))
	for i, n := range p.Nodes {
		if len(n.People) > 1 {
			n.People = append([]string(nil), n.People[1:]...)
			n.FirstTier = 1
		}
		nodes[i] = n
	}
	p.Nodes = nodes
	return p
}

func orgList(plans []activation.Plan) []string {
	out := make([]string, len(plans))
	for i, p := range plans {
		out[i] = p.Org
	}
	return out
}

func scenarioIDs(cfg *config.Config) string {
	ids := make([]string, len(cfg.Scenarios))
	for i, s := range cfg.Scenarios {
		ids[i] = s.ID
	}
	return strings.Join(ids, ", ")
}
