// Package activation owns call trees, escalation, responses and readiness: a pure,
// event-sourced core. State changes only by Apply(Event); Handle (inputs) and Tick
// (time) decide and return the events, applied. It knows no NATS, network or clock.
package activation

import (
	"time"

	"github.com/kaskade-bcm/kaskade/notifiers"
)

// SchemaVersion is the version of the event JSON written to the stream.
const SchemaVersion = 1

// Event kinds; the last token of the subject kaskade.events.<incident>.<kind>.
const (
	KindDeclared          = "declared"
	KindActivationStarted = "activation_started"
	KindTierAlerted       = "tier_alerted"
	KindNodeExhausted     = "node_exhausted"
	KindNotification      = "notification_requested"
	KindDelivery          = "delivery"
	KindResponse          = "response"
	KindReadiness         = "readiness_changed"
	KindUpdate            = "situation_update"
	KindStoodDown         = "stood_down"
	KindInbound           = "inbound_message"
	KindRejected          = "input_rejected"
	KindConverted         = "converted_to_real"
	KindBatchAborted      = "batch_aborted"
	// KindConfigReloaded belongs to no incident ("_"): an instance took a
	// new configuration for new declarations.
	KindConfigReloaded = "config_reloaded"
	// KindPersonErased and KindRetention record that personal data was
	// shredded (engine/erase.go, engine/retention.go); the core ignores them.
	KindPersonErased = "person_erased"
	KindRetention    = "retention_applied"
	// KindPack is a stored message that carries several consecutive events
	// of one incident (schema version PackVersion); readers expand it.
	KindPack = "pack"
)

// PackVersion is the version of a pack message; the events inside it are
// SchemaVersion events as before. Logs without packs replay unchanged.
const PackVersion = 2

// Event is one fact in the log. Exactly one payload pointer is set, matching Kind.
type Event struct {
	V        int       `json:"v"`
	Incident string    `json:"incident"`
	Kind     string    `json:"kind"`
	At       time.Time `json:"at"`
	// Input is the input stream sequence that caused the event (0 for timers),
	// so a restarted engine skips inputs it already applied.
	Input uint64 `json:"input,omitempty"`
	// Batch and Done group the events of one decision: readers apply a batch
	// only when its Done event is in the log (set by the engine on append).
	Batch uint64 `json:"batch,omitempty"`
	Done  bool   `json:"done,omitempty"`
	// Prev is the hash of the event stored before this one (activation/audit).
	Prev string `json:"prev,omitempty"`

	Declared     *Declared        `json:"declared,omitempty"`
	Activation   *Plan            `json:"activation,omitempty"`
	Tier         *TierAlerted     `json:"tier,omitempty"`
	Exhausted    *NodeRef         `json:"exhausted,omitempty"`
	Notification *Notification    `json:"notification,omitempty"`
	Delivery     *Delivery        `json:"delivery,omitempty"`
	Response     *Response        `json:"response,omitempty"`
	Readiness    *ReadinessChange `json:"readiness,omitempty"`
	Update       *SituationUpdate `json:"update,omitempty"`
	StandDown    *StandDown       `json:"stand_down,omitempty"`
	Inbound      *Inbound         `json:"inbound,omitempty"`
	Rejected     *Rejected        `json:"rejected,omitempty"`
	Converted    *Conversion      `json:"converted,omitempty"`
	// Proposal events (proposals.go); Incident is then the proposal id.
	Proposal         *ProposalWarning    `json:"proposal,omitempty"`
	ProposalDecision *ProposalDecision   `json:"proposal_decision,omitempty"`
	Withdrawn        *ProposalWithdrawal `json:"withdrawn,omitempty"`
	// Aborted names a batch a crash interrupted; its events do not count.
	Aborted uint64 `json:"aborted,omitempty"`
	// Events are the events of a KindPack message, in log order.
	Events   []Event         `json:"events,omitempty"`
	Reload   *ConfigReloaded `json:"reload,omitempty"`
	Erased   *Erasure        `json:"erased,omitempty"`
	Retained *Retention      `json:"retained,omitempty"`
}

// ConfigReloaded records a configuration reload: who, which file version
// (SHA-256 of its bytes) and counts only, no personal data. Running
// incidents keep the plans in their activation_started events.
type ConfigReloaded struct {
	By       string `json:"by"`
	Via      string `json:"via"` // api or signal
	Instance string `json:"instance,omitempty"`
	SHA256   string `json:"sha256"`
	// PeopleSHA256 is the hash of the people_file, when one is used.
	PeopleSHA256  string `json:"people_sha256,omitempty"`
	Organisations int    `json:"organisations"`
	People        int    `json:"people"`
	Scenarios     int    `json:"scenarios"`
	CallTrees     int    `json:"call_trees"`
	Tokens        int    `json:"tokens"`
}

// Erasure records an erasure request (Art. 17 DSGVO) without the person.
// The input carries Ref, the pseudonym of the person's key (never the
// person); the recorded event carries neither.
type Erasure struct {
	Person string `json:"person,omitempty"` // unused on the stream
	Ref    string `json:"ref,omitempty"`
	By     string `json:"by"`
	Reason string `json:"reason"`
}

// Retention records which incidents' and days' personal data was removed
// after its retention period (counts and times stay).
type Retention struct {
	Incidents []string `json:"incidents,omitempty"`
	Days      []string `json:"days,omitempty"`
	Policy    string   `json:"policy"` // e.g. "real 365d, exercise 90d, unknown senders 30d"
}

// Unpacked returns the events a stored message carries: a pack's, or the
// event itself.
func (e Event) Unpacked() []Event {
	if e.Kind == KindPack {
		return e.Events
	}
	return []Event{e}
}

// Conversion turns a running exercise into a real incident: everyone
// reached gets the real alert and the record shows the switch.
type Conversion struct {
	By     string `json:"by"`
	Reason string `json:"reason"`
}

// Drill describes an alerting drill (Alarmierungsübung).
type Drill struct {
	// Announced drills were announced to the staff beforehand.
	Announced bool `json:"announced"`
	// DeputiesOnly alerts the deputies instead of the primaries (BSI 200-4
	// asks that deputies are exercised too).
	DeputiesOnly bool `json:"deputies_only,omitempty"`
}

// Rejected records an input the core refused, so every input leaves a trace
// and a waiting caller learns the outcome.
type Rejected struct {
	Input  string `json:"input"` // kind of input: declare, response, delivery, update, stand_down
	Person string `json:"person,omitempty"`
	Error  string `json:"error"`
}

// Declared is the incident record with the duty officer's decision.
type Declared struct {
	ID           string    `json:"id"`
	ReplyCode    string    `json:"reply_code"`
	ClientID     string    `json:"client_id,omitempty"`
	Scenario     string    `json:"scenario"`
	ScenarioName Names     `json:"scenario_name"`
	Title        string    `json:"title"`
	Severity     string    `json:"severity"`
	Message      string    `json:"message,omitempty"`
	Exercise     bool      `json:"exercise"`
	DeclaredBy   string    `json:"declared_by"`
	Reason       string    `json:"reason"`
	Source       string    `json:"source"` // nats, api, cli
	DeclaredAt   time.Time `json:"declared_at"`
	Drill        *Drill    `json:"drill,omitempty"`
	Orgs         []string  `json:"organisations"`
	// ProposedBy names the proposal a duty officer confirmed (DeclaredBy).
	ProposedBy *ProposedBy `json:"proposed_by,omitempty"`
}

// Plan is the snapshot of one organisation's call tree and readiness rule
// taken at declaration, so replay never depends on a later configuration.
type Plan struct {
	Org      string         `json:"org"`
	Name     Names          `json:"name"`
	Tree     string         `json:"tree"`
	Required map[string]int `json:"required"`
	Target   time.Duration  `json:"target"`
	Nodes    []PlanNode     `json:"nodes"`
}

// PlanNode is one call tree node: People[0] is the primary, the rest deputies in
// order (in a deputies-only drill People[0] is the first deputy: FirstTier 1).
type PlanNode struct {
	Parent   int           `json:"parent"` // -1 for roots
	Function string        `json:"function"`
	People   []string      `json:"people"`
	Wait     time.Duration `json:"wait"`
	Steps    []Step        `json:"steps"`
	// FirstTier is the configured tier of People[0]: 1 when a deputies-only
	// drill left the primary out (reports name roles by it; the core does not read it).
	FirstTier int `json:"first_tier,omitempty"`
}

// Step is one message of an escalation policy.
type Step struct {
	Channel string        `json:"channel"`
	After   time.Duration `json:"after"`
	If      string        `json:"if,omitempty"` // "", no_answer, not_delivered
}

// NodeRef names a node of an organisation's plan.
type NodeRef struct {
	Org  string `json:"org"`
	Node int    `json:"node"`
}

// TierAlerted records that a node's tier (0 primary, 1.. deputies) was alerted.
type TierAlerted struct {
	NodeRef
	Tier   int    `json:"tier"`
	Person string `json:"person"`
	Reason string `json:"reason"` // start, cascade, timeout, unavailable, failed
}

// Notification is a request to send one message; the dispatcher sends it.
type Notification struct {
	ID      string            `json:"id"`
	Person  string            `json:"person"`
	Channel string            `json:"channel"`
	Purpose notifiers.Purpose `json:"purpose"`
	// Org, Node, Tier and Step locate an alert within the call tree.
	Org      string `json:"org,omitempty"`
	Function string `json:"function,omitempty"`
	Node     int    `json:"node"`
	Tier     int    `json:"tier"`
	Step     int    `json:"step"`
	// Text is the free text of updates and stand-downs.
	Text string `json:"text,omitempty"`
	// Class is the dispatch priority (ClassFirst … ClassExercise), also the
	// last token of the request's subject; empty in logs written before it.
	Class string `json:"class,omitempty"`
}

// Dispatch priority classes, highest first: real alerts to the first tier
// of a call tree or to a required function; other real alerts (deputies,
// repeats, the real alert of a converted exercise); real stand-downs,
// updates and replies; everything of an exercise.
const (
	ClassFirst    = "first"
	ClassAlert    = "alert"
	ClassInfo     = "info"
	ClassExercise = "exercise"
)

// Classes lists the dispatch classes, highest priority first.
var Classes = []string{ClassFirst, ClassAlert, ClassInfo, ClassExercise}

// Delivery is a state report for one notification (dispatcher or provider callback).
type Delivery struct {
	Notification string          `json:"notification"`
	State        notifiers.State `json:"state"`
	ProviderID   string          `json:"provider_id,omitempty"`
	Code         string          `json:"code,omitempty"`
	Detail       string          `json:"detail,omitempty"`
}

// Response sources.
const (
	SourceSMS   = "sms"
	SourceVoice = "voice" // keypad answer in a call
	SourceEmail = "email"
	SourceWeb   = "web" // ack link
	SourceAPI   = "api" // on someone's behalf
	SourceCLI   = "cli" // on someone's behalf
)

// Response is an answer (Rückmeldung).
type Response struct {
	Person  string       `json:"person"`
	Kind    ResponseKind `json:"kind"`
	Minutes int          `json:"minutes,omitempty"`
	Source  string       `json:"source"`
	// Actor is who recorded it on the person's behalf (API/CLI), empty when the person answered.
	Actor string `json:"actor,omitempty"`
	// ETAUnknown marks a delayed answer without minutes ("2"); Minutes is then 0.
	ETAUnknown bool `json:"eta_unknown,omitempty"`
	// Remark is what the person wrote after the answer ("3 krank"), at most MaxRemark bytes.
	Remark string `json:"remark,omitempty"`
	// Org is the staff a positive answer binds a person to who stands in
	// several staffs of the incident (set by the core; "" binds to all).
	Org string `json:"org,omitempty"`
}

// MaxRemark bounds a response's remark in bytes.
const MaxRemark = 200

// ReadinessChange is an organisation's new readiness.
type ReadinessChange struct {
	Org      string         `json:"org"`
	State    ReadinessState `json:"state"`
	Previous ReadinessState `json:"previous"`
	Covered  map[string]int `json:"covered"`
	Missing  []string       `json:"missing"`
}

// SituationUpdate is a Lagemeldung.
type SituationUpdate struct {
	Text string `json:"text"`
	By   string `json:"by"`
}

// StandDown is the Entwarnung.
type StandDown struct {
	By     string `json:"by"`
	Reason string `json:"reason"`
}

// Inbound is a raw inbound message, stored before it is interpreted.
type Inbound struct {
	Channel string `json:"channel"`
	From    string `json:"from"` // masked
	Person  string `json:"person,omitempty"`
	Body    string `json:"body"`
	// Len and Hash replace Body for unknown senders (third parties): the
	// length in characters and "sha256:<hex>" of the text, nothing readable.
	Len        int    `json:"len,omitempty"`
	Hash       string `json:"hash,omitempty"`
	ProviderID string `json:"provider_id,omitempty"`
	Outcome    string `json:"outcome"` // recorded, ambiguous, unknown_sender, invalid, closed, stop, start, help, conference_join, conference_leave
	// Org is the organisation whose staff conference a conference_join or
	// conference_leave concerns.
	Org string `json:"org,omitempty"`
	// Auth is what the receiving mail server found (SPF, DKIM, DMARC), for email.
	Auth string `json:"auth,omitempty"`
}

// Input is something from outside the core that may lead to decisions.
// Exactly one of the pointers is set (Inbound may carry a Response).
type Input struct {
	// Seq is the input stream sequence; 0 for inputs not from the stream (tests).
	Seq      uint64 `json:"-"`
	Incident string `json:"incident"`

	Declare   *Declared        `json:"declare,omitempty"`
	Plans     []Plan           `json:"plans,omitempty"`
	Response  *Response        `json:"response,omitempty"`
	Delivery  *Delivery        `json:"delivery,omitempty"`
	Update    *SituationUpdate `json:"update,omitempty"`
	StandDown *StandDown       `json:"stand_down,omitempty"`
	Inbound   *Inbound         `json:"inbound,omitempty"`
	Convert   *Conversion      `json:"convert,omitempty"`
	Reload    *ConfigReloaded  `json:"reload,omitempty"`
	// Proposal inputs: Incident is the proposal id (for propose, the id a
	// new proposal gets), except for confirm, which carries Declare and Plans.
	Propose  *ProposalWarning    `json:"propose,omitempty"`
	Confirm  *ProposalDecision   `json:"confirm,omitempty"`
	Dismiss  *ProposalDecision   `json:"dismiss,omitempty"`
	Withdraw *ProposalWithdrawal `json:"withdraw,omitempty"`
	// Erase is decided by the engine, not the core (engine/erase.go).
	Erase *Erasure `json:"erase,omitempty"`
}
