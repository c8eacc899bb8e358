// Package report owns the after-action report (Übungsbericht/Einsatzbericht)
// of one incident and the exercise history across incidents. Everything is
// computed from the event log alone, so a report can be rebuilt at any time
// from the stream and never depends on the live state of the engine
// (BSI 200-4 §13.8 and §13.10.2: measure reaction times, evaluate the
// alerting software's logs). The package is pure: its only I/O is writing to
// an io.Writer.
//
// Definitions used throughout (per organisation, per person):
//
//   - alerted: the person had a tier_alerted event or an alert notification
//     for the organisation.
//   - reached: alerted, and at least one alert notification for the
//     organisation ended in state sent or delivered, or the person answered
//     at all (an answer proves the alert arrived, even without a receipt).
//     A notification whose outcome is unknown does not count as reached.
//   - answered: alerted, and gave at least one answer before the stand-down.
//     Delayed ("komme in N min") and unavailable answers count as answered.
//   - available: the person's latest answer before the stand-down is
//     "available". Delayed is answered but not available.
//   - covered: a function is covered when at least its required number of
//     people in its nodes are available. It is covered by the primary when
//     enough primaries (first person of a node) are available, otherwise by
//     deputies. A deputy covered a function when the deputy is available and
//     the primary of the same node is not.
//   - answers after the stand-down are listed separately and count toward no
//     figure (rates, quorum, coverage, series).
//
// Per-organisation times are measured from the organisation's
// activation_started event (the readiness target starts there); incident
// times from the declared event. Both are normally the same instant.
package report

import (
	"encoding/json"
	"io"
	"time"

	"github.com/kaskade-bcm/kaskade/activation"
	"github.com/kaskade-bcm/kaskade/notifiers"
)

// Options tune a report.
type Options struct {
	// Names maps a person id to a display name; nil (or an empty result) shows the id.
	Names func(personID string) string
	// Now is the time the report is made (printed on it; end of the axis of
	// an incident that was not stood down).
	Now time.Time
}

// Span is a duration as whole seconds and as text (Go notation, e.g. "3m0s").
type Span struct {
	Seconds float64 `json:"seconds"`
	Text    string  `json:"text"`
}

// Report is the after-action report of one incident.
type Report struct {
	Incident     string           `json:"incident"`
	Title        string           `json:"title"`
	Scenario     string           `json:"scenario"`
	ScenarioName activation.Names `json:"scenario_name"`
	Severity     string           `json:"severity"`
	// Exercise is false once an exercise was converted into a real incident
	// (as on the board); ConvertedAt says when, ConvertedBy and ConversionReason who and why.
	Exercise         bool       `json:"exercise"`
	ConvertedAt      *time.Time `json:"converted_at,omitempty"`
	ConvertedBy      string     `json:"converted_by,omitempty"`
	ConversionReason string     `json:"conversion_reason,omitempty"`
	Message          string     `json:"message,omitempty"`
	DeclaredBy       string     `json:"declared_by"`
	// ProposedBy names the warning whose proposal DeclaredBy confirmed (nil: declared directly).
	ProposedBy      *activation.ProposedBy `json:"proposed_by,omitempty"`
	DeclaredAt      time.Time              `json:"declared_at"`
	Reason          string                 `json:"reason"`
	StoodDownAt     *time.Time             `json:"stood_down_at,omitempty"`
	StoodDownBy     string                 `json:"stood_down_by,omitempty"`
	StandDownReason string                 `json:"stand_down_reason,omitempty"`
	GeneratedAt     time.Time              `json:"generated_at"`

	Times         Times            `json:"times"`
	People        PeopleFigures    `json:"people"`
	Organisations []OrgFigures     `json:"organisations"`
	Verdict       Verdict          `json:"verdict"`
	Channels      []ChannelFigures `json:"channels"`
	// ResponsesBySource counts answers (before the stand-down) by source.
	ResponsesBySource map[string]int `json:"responses_by_source"`
	// AnswersByKind counts people by their latest answer before the stand-down.
	AnswersByKind map[activation.ResponseKind]int `json:"answers_by_kind"`
	// AnswerEvents counts every answer before the stand-down, repeats included.
	AnswerEvents int `json:"answer_events"`
	// LateAnswers are the answers received after the stand-down.
	LateAnswers []Answer `json:"late_answers"`
	// Timeline has one entry per person and place in a call tree.
	Timeline []PersonEntry `json:"timeline"`
	// Series is the cumulative answers over time (first point at declaration).
	Series []SeriesPoint `json:"series"`
}

// Times are the incident's key instants and the spans since declaration.
type Times struct {
	Declared    time.Time  `json:"declared"`
	FirstAlert  *time.Time `json:"first_alert,omitempty"`
	FirstAnswer *time.Time `json:"first_answer,omitempty"`
	// Quorum is when the last organisation first became ready (nil unless all did).
	Quorum        *time.Time `json:"quorum,omitempty"`
	ToFirstAlert  *Span      `json:"to_first_alert,omitempty"`
	ToFirstAnswer *Span      `json:"to_first_answer,omitempty"`
	ToQuorum      *Span      `json:"to_quorum,omitempty"`
	// End is the stand-down, or the report time when the incident is open.
	End time.Time `json:"end"`
}

// PeopleFigures are head counts (distinct people) and the rates derived from them.
type PeopleFigures struct {
	InPlan   int `json:"in_plan"`
	Alerted  int `json:"alerted"`
	Reached  int `json:"reached"`
	Answered int `json:"answered"`
	// ReachRate is Reached/Alerted, ResponseRate Answered/Alerted (0 when nobody was alerted).
	ReachRate       float64 `json:"reach_rate"`
	ResponseRate    float64 `json:"response_rate"`
	DeputiesAlerted int     `json:"deputies_alerted"`
	// DeputiesCovering lists deputies who were available while their node's primary was not.
	DeputiesCovering []string `json:"deputies_covering"`
}

// OrgFigures are the figures of one organisation.
type OrgFigures struct {
	Org         string           `json:"org"`
	Name        activation.Names `json:"name"`
	Tree        string           `json:"tree"`
	Required    map[string]int   `json:"required"`
	Target      Span             `json:"target"`
	ActivatedAt time.Time        `json:"activated_at"`
	// ReadyAt is the first readiness_changed to ready before the stand-down.
	ReadyAt           *time.Time                `json:"ready_at,omitempty"`
	TimeToReady       *Span                     `json:"time_to_ready,omitempty"`
	ReadyWithinTarget bool                      `json:"ready_within_target"`
	FinalState        activation.ReadinessState `json:"final_state"`
	People            PeopleFigures             `json:"people"`
	DeliveriesFailed  int                       `json:"deliveries_failed"`
	DeliveriesUnknown int                       `json:"deliveries_unknown"`
	Functions         []FunctionFigures         `json:"functions"`
	Exhausted         []ExhaustedNode           `json:"exhausted_nodes"`
}

// Covered-by values of a function.
const (
	ByPrimary = "primary"
	ByDeputy  = "deputy"
	ByNone    = "none"
)

// FunctionFigures describe one staff function of an organisation.
type FunctionFigures struct {
	Function string `json:"function"`
	Required int    `json:"required"`
	// Available counts people of the function's nodes whose latest answer is available.
	Available int    `json:"available"`
	CoveredBy string `json:"covered_by"` // primary, deputy, none
	// FirstAvailable is the first "available" answer for the function.
	FirstAvailableAt     *time.Time `json:"first_available_at,omitempty"`
	FirstAvailableBy     string     `json:"first_available_by,omitempty"`
	TimeToFirstAvailable *Span      `json:"time_to_first_available,omitempty"`
	// CoveredAt is when the function first had its required number (at least
	// one) of available people at once; TimeToCovered counts from the activation.
	CoveredAt     *time.Time `json:"covered_at,omitempty"`
	TimeToCovered *Span      `json:"time_to_covered,omitempty"`
}

// ExhaustedNode is a node whose every tier was alerted without anyone coming.
type ExhaustedNode struct {
	Node     int       `json:"node"`
	Function string    `json:"function"`
	At       time.Time `json:"at"`
}

// Verdict compares each organisation's time to ready with its target.
type Verdict struct {
	// Met: every organisation had all required functions acknowledged within its target.
	Met bool `json:"met"`
	// Target is the common target, when all organisations share one.
	Target *Span         `json:"target,omitempty"`
	Orgs   []TargetCheck `json:"organisations"`
}

// TargetCheck is one organisation's target against its time to ready.
type TargetCheck struct {
	Org         string `json:"org"`
	Target      Span   `json:"target"`
	TimeToReady *Span  `json:"time_to_ready,omitempty"`
	Met         bool   `json:"met"`
}

// ChannelFigures count notifications of one channel by their final state.
// The states are exclusive: each notification is counted once, in the last
// state its receipts reached (pending when none arrived).
type ChannelFigures struct {
	Channel   string `json:"channel"`
	Requested int    `json:"requested"`
	Alerts    int    `json:"alerts"`
	Pending   int    `json:"pending"`
	Sent      int    `json:"sent"`
	Delivered int    `json:"delivered"`
	// Failed excludes Machine: calls an answering machine took (not reached).
	Failed  int `json:"failed"`
	Machine int `json:"machine"`
	Unknown int `json:"unknown"`
	// Answers counts the answers given over the channel before the
	// stand-down (SMS replies, keypad answers in calls, email links).
	Answers int `json:"answers"`
}

// Answer is one response as the report lists it.
type Answer struct {
	Person  string                  `json:"person"`
	Name    string                  `json:"name"`
	At      time.Time               `json:"at"`
	Kind    activation.ResponseKind `json:"kind"`
	Minutes int                     `json:"minutes,omitempty"`
	Source  string                  `json:"source"`
	Actor   string                  `json:"actor,omitempty"`
	// Remark is what the person wrote after the answer ("3 krank").
	Remark string `json:"remark,omitempty"`
	// AfterStandDown marks answers that count toward no figure.
	AfterStandDown bool `json:"after_stand_down,omitempty"`
}

// NoteEntry is one notification to a person with its final delivery state.
type NoteEntry struct {
	ID      string            `json:"id"`
	At      time.Time         `json:"at"`
	Channel string            `json:"channel"`
	Purpose notifiers.Purpose `json:"purpose"`
	Step    int               `json:"step"`
	State   notifiers.State   `json:"state"`
	Code    string            `json:"code,omitempty"`
	// StateAt is when the final state was reported (nil while pending).
	StateAt *time.Time `json:"state_at,omitempty"`
}

// PersonEntry is one person at one place in a call tree.
type PersonEntry struct {
	Person   string `json:"person"`
	Name     string `json:"name"`
	Org      string `json:"org"`
	Node     int    `json:"node"`
	Function string `json:"function"`
	// Tier is 0 for the primary, n for the n-th deputy.
	Tier        int        `json:"tier"`
	Alerted     bool       `json:"alerted"`
	AlertedAt   *time.Time `json:"alerted_at,omitempty"`
	AlertReason string     `json:"alert_reason,omitempty"`
	Reached     bool       `json:"reached"`
	// Notifications to the person for this place (alerts) and, on the person's
	// first place, the incident-wide ones (updates, stand-down).
	Notifications []NoteEntry `json:"notifications"`
	// Answers holds every answer of the person, late ones marked.
	Answers []Answer `json:"answers"`
	// Answer is the latest answer before the stand-down (the state).
	Answer        activation.ResponseKind `json:"answer,omitempty"`
	AnswerMinutes int                     `json:"answer_minutes,omitempty"`
	// AnswerRemark is the remark of that answer; AnswerSource its channel.
	AnswerRemark string `json:"answer_remark,omitempty"`
	AnswerSource string `json:"answer_source,omitempty"`
	// FirstAnswerAt is the first answer before the stand-down (the response time).
	FirstAnswerAt *time.Time `json:"first_answer_at,omitempty"`
	ResponseTime  *Span      `json:"response_time,omitempty"`
	ETA           *time.Time `json:"eta,omitempty"`
	// CoveredAsDeputy: a deputy available while the node's primary was not.
	CoveredAsDeputy bool `json:"covered_as_deputy,omitempty"`
}

// SeriesPoint is the cumulative state of answers at one instant.
type SeriesPoint struct {
	At      time.Time `json:"at"`
	Minutes float64   `json:"minutes"`
	// Answered counts people who had answered by then; Available those whose
	// latest answer by then was available.
	Answered  int `json:"answered"`
	Available int `json:"available"`
}

// WriteJSON writes the report as indented JSON (the golden-file format).
func (r *Report) WriteJSON(w io.Writer) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(r)
}
