package activation

import (
	"time"
)

// Readiness states of an organisation's crisis staff.
type ReadinessState string

const (
	NotActivated ReadinessState = "not_activated"
	Alerting     ReadinessState = "alerting"
	Forming      ReadinessState = "forming"
	Ready        ReadinessState = "ready"
	Degraded     ReadinessState = "degraded"
	AtRisk       ReadinessState = "at_risk"
	// StoodDown is the final state after the stand-down; OrgReadiness.Reached
	// keeps the readiness reached by then.
	StoodDown ReadinessState = "stood_down"
)

// Response kinds (Rückmeldung).
type ResponseKind string

const (
	Available   ResponseKind = "available"   // komme
	Delayed     ResponseKind = "delayed"     // komme in N Minuten
	Unavailable ResponseKind = "unavailable" // nicht verfügbar
)

// IncidentView is the read model of one incident as the API and the board show it.
type IncidentView struct {
	ID           string    `json:"id"`
	ReplyCode    string    `json:"reply_code"`
	Scenario     string    `json:"scenario"`
	ScenarioName Names     `json:"scenario_name"`
	Title        string    `json:"title"`
	Severity     string    `json:"severity"`
	Message      string    `json:"message,omitempty"`
	Exercise     bool      `json:"exercise"`
	DeclaredBy   string    `json:"declared_by"`
	Reason       string    `json:"reason"`
	DeclaredAt   time.Time `json:"declared_at"`
	// Status is "open" or "stood_down".
	Status        string         `json:"status"`
	StoodDownAt   *time.Time     `json:"stood_down_at,omitempty"`
	StoodDownBy   string         `json:"stood_down_by,omitempty"`
	Organisations []OrgReadiness `json:"organisations"`
	Updates       []UpdateView   `json:"updates,omitempty"`
	Counts        NotifyCounts   `json:"counts"`
	// ConvertedAt is set when an exercise was turned into a real incident.
	ConvertedAt *time.Time `json:"converted_at,omitempty"`
	ConvertedBy string     `json:"converted_by,omitempty"`
	Drill       *Drill     `json:"drill,omitempty"`
}

// Names is a German and English name.
type Names struct {
	DE string `json:"de"`
	EN string `json:"en"`
}

// OrgReadiness is one organisation's readiness within an incident (a board tile).
type OrgReadiness struct {
	Incident string         `json:"incident"`
	Org      string         `json:"org"`
	Name     Names          `json:"name"`
	State    ReadinessState `json:"state"`
	// Reached is the readiness reached when the incident was stood down
	// (State is then stood_down).
	Reached     ReadinessState `json:"reached,omitempty"`
	ActivatedAt time.Time      `json:"activated_at"`
	// Deadline is ActivatedAt plus the readiness target.
	Deadline      time.Time      `json:"deadline"`
	TargetSeconds int64          `json:"target_seconds"`
	ChangedAt     time.Time      `json:"changed_at"`
	ReadyAt       *time.Time     `json:"ready_at,omitempty"`
	Required      map[string]int `json:"required"`
	Covered       map[string]int `json:"covered"`
	// Missing lists required functions not yet covered, sorted.
	Missing []string `json:"missing"`
	// Coming counts everyone coming: Available (now) plus Delayed (later).
	// LatestETA is the latest arrival time of the delayed with an ETA.
	Coming      int        `json:"coming"`
	Delayed     int        `json:"delayed"`
	LatestETA   *time.Time `json:"latest_eta,omitempty"`
	Available   int        `json:"available"`
	Unavailable int        `json:"unavailable"`
	Notified    int        `json:"notified"`
	People      int        `json:"people"`
	// InConference counts the people in the staff conference line now.
	InConference int `json:"in_conference,omitempty"`
}

// NotifyCounts summarises notifications by state.
type NotifyCounts struct {
	Requested int `json:"requested"`
	Sent      int `json:"sent"`
	Delivered int `json:"delivered"`
	Failed    int `json:"failed"`
	Unknown   int `json:"unknown"`
	Responses int `json:"responses"`
}

// UpdateView is a situation update (Lagemeldung).
type UpdateView struct {
	At   time.Time `json:"at"`
	By   string    `json:"by"`
	Text string    `json:"text"`
}

// OrgDetail is the drill-down for one organisation: its call tree with each
// person's state, and the incident timeline entries that concern it.
type OrgDetail struct {
	Readiness OrgReadiness   `json:"readiness"`
	Nodes     []NodeView     `json:"nodes"`
	Timeline  []TimelineItem `json:"timeline"`
	// Conference lists who is in the staff conference line now.
	Conference []ConferenceMember `json:"conference,omitempty"`
}

// NodeView is one call tree node with its tiers (primary, then deputies).
type NodeView struct {
	Index    int          `json:"index"`
	Parent   int          `json:"parent"` // -1 for a root
	Depth    int          `json:"depth"`
	Function string       `json:"function"`
	State    string       `json:"state"` // waiting, alerting, acknowledged, exhausted
	Tiers    []PersonView `json:"tiers"`
}

// PersonView is one person's state within a node. Contact data is masked.
type PersonView struct {
	Person       string     `json:"person"`
	Name         string     `json:"name"`
	Deputy       bool       `json:"deputy"`
	Alerted      bool       `json:"alerted"`
	AlertedAt    *time.Time `json:"alerted_at,omitempty"`
	Notification string     `json:"notification_state,omitempty"` // best delivery state so far
	// Channel is the channel of that best state (voice: a call), unset
	// when every alert failed.
	Channel     string   `json:"channel,omitempty"`
	FailedChans []string `json:"failed_channels,omitempty"`
	// Machine: an answering machine took a call to this person.
	Machine    bool         `json:"answering_machine,omitempty"`
	Answer     ResponseKind `json:"answer,omitempty"`
	AnsweredAt *time.Time   `json:"answered_at,omitempty"`
	ETA        *time.Time   `json:"eta,omitempty"`
	// ETAUnknown: delayed without minutes ("2"); ETA is then nil.
	ETAUnknown bool `json:"eta_unknown,omitempty"`
	// BoundTo names the other staff a person's yes binds them to (one
	// person in two staffs of an incident); here they count as not coming.
	BoundTo string `json:"bound_to,omitempty"`
	// SMSStopped: the person sent STOP; no SMS until START.
	SMSStopped bool `json:"sms_stopped,omitempty"`
	// Remark is what the person wrote after the answer.
	Remark       string `json:"remark,omitempty"`
	MobileMasked string `json:"mobile,omitempty"`
}

// TimelineItem is one event of the incident in words.
type TimelineItem struct {
	At     time.Time `json:"at"`
	Kind   string    `json:"kind"`
	Org    string    `json:"org,omitempty"`
	Person string    `json:"person,omitempty"`
	// Function names the function(s) of the person or node concerned.
	Function string `json:"function,omitempty"`
	// Wide marks an incident-wide item (declaration, update, stand-down).
	Wide    bool   `json:"incident_wide,omitempty"`
	Summary string `json:"summary"`
	// SummaryEN is Summary in English.
	SummaryEN string `json:"summary_en,omitempty"`
}

// Change is one update of the read model, as streamed to the board. Exactly
// one of Incident, Readiness or Timeline is set, according to Kind.
type Change struct {
	// Seq increases by one per change within one process; clients use it to
	// notice gaps and resynchronise.
	Seq        uint64        `json:"seq"`
	Kind       ChangeKind    `json:"kind"`
	IncidentID string        `json:"incident_id"`
	Incident   *IncidentView `json:"incident,omitempty"`
	Readiness  *OrgReadiness `json:"readiness,omitempty"`
	Timeline   *TimelineItem `json:"timeline,omitempty"`
}

// ChangeKind names the part of the read model a Change carries.
type ChangeKind string

const (
	ChangeIncident  ChangeKind = "incident"  // Change.Incident: a whole incident view
	ChangeReadiness ChangeKind = "readiness" // Change.Readiness: one organisation's tile
	ChangeTimeline  ChangeKind = "timeline"  // Change.Timeline: one timeline line
	ChangeResync    ChangeKind = "resync"    // the engine rebuilt its state: readers reload
)

// ScenarioInfo lists a scenario for the declare form.
type ScenarioInfo struct {
	ID            string   `json:"id"`
	Name          Names    `json:"name"`
	Severity      string   `json:"severity"`
	Organisations []string `json:"organisations"`
}
