// Package config owns Kaskade's configuration file: its schema, the embedded
// example, strict loading (unknown keys are errors), validation with file,
// line and path in every message, and secrets that never print.
package config

import (
	"net/netip"
	"time"
)

// File layout: types.go is the schema; load.go and decode.go read it;
// defaults.go, validate*.go, phone.go and templates.go check and complete
// it; index.go answers lookups; example.go embeds the bundled example.

// Config is one loaded and validated configuration file.
type Config struct {
	// Path is the file the configuration came from ("<embedded>/…" for the example).
	Path string `yaml:"-"`

	Version       int            `yaml:"version"`
	Defaults      Defaults       `yaml:"defaults"`
	Server        Server         `yaml:"server"`
	NATS          NATS           `yaml:"nats"`
	Channels      Channels       `yaml:"channels"`
	Tokens        []APIToken     `yaml:"tokens"`
	Functions     []Function     `yaml:"functions"`
	Organisations []Organisation `yaml:"organisations"`
	People        []Person       `yaml:"people"`
	// PeopleFile names a CSV file of more people, relative to the
	// configuration file's directory (see peopleFile for its columns).
	// Load appends them to People; Validate does not read the file.
	PeopleFile string             `yaml:"people_file"`
	Policies   []EscalationPolicy `yaml:"policies"`
	CallTrees  []CallTree         `yaml:"call_trees"`
	Scenarios  []Scenario         `yaml:"scenarios"`
	// Templates are the texts for messages that are not scenario alerts
	// (situation updates, stand-down, reply confirmations), per language
	// ("de", "en"). Anything left out falls back to German and then to the
	// built-in texts; use Config.System to read them. (The field is not
	// called Templates because that is the scenario lookup method.)
	SystemTemplates map[string]SystemTemplates `yaml:"templates"`
	// ProposalRules map incoming warnings (CAP, Alertmanager) to a suggested
	// scenario; the first rule that matches wins (proposal_rules.go).
	ProposalRules []ProposalRule `yaml:"proposal_rules"`

	idx *index // lookup tables, built once by Validate
}

// Defaults apply where an entry leaves a setting out.
type Defaults struct {
	Language string   `yaml:"language"` // "de" unless set
	Region   string   `yaml:"region"`   // phone number region, "DE" unless set
	Policy   string   `yaml:"policy"`   // escalation policy id used by call trees without one
	Target   Duration `yaml:"target"`   // readiness target time, 30m unless set
	Wait     Duration `yaml:"wait"`     // node wait before deputies, 10m unless set
}

// Server holds settings for the HTTP side that belong in the file rather than flags.
type Server struct {
	// PublicURL is the externally reachable base URL (webhooks, ack links).
	PublicURL string `yaml:"public_url"`
	// AckKeys sign one-click acknowledgement links; the first signs, all verify (rotation).
	AckKeys []Secret `yaml:"ack_keys"`
	// AckTTL is how long an ack link stays valid (default 24h).
	AckTTL Duration `yaml:"ack_ttl"`
	// TrustedProxies are the reverse proxies whose X-Forwarded-For is
	// believed; requests from elsewhere are taken by their own address.
	TrustedProxies []netip.Prefix `yaml:"trusted_proxies"`
	// SMSSegmentBudget is how many SMS segments an alert may take (1 to 10,
	// default 3); `config check` warns above it. Twilio refuses texts over
	// MaxSMSChars whatever the budget.
	SMSSegmentBudget int `yaml:"sms_segment_budget"`
	// DeclarationRate bounds declarations per source, real incidents and
	// exercises apart (default 10/1h and 60/1h): COUNT at once, refilled evenly over PERIOD.
	DeclarationRate DeclarationRates `yaml:"declaration_rate"`
	// Retention is how long personal data is kept (docs/PRIVACY.md).
	Retention Retention `yaml:"retention"`
	// ProviderRetryFor is how long a send the provider certainly did not
	// take (connection refused, 5xx, 429) is retried before the step fails
	// and the next channel or deputy takes over (default 2m, 1s to 1h).
	ProviderRetryFor Duration `yaml:"provider_retry_for"`
}

// Retention per class of data; zero (or absent) keeps it for good.
type Retention struct {
	// Real and Exercise count from an incident's stand-down.
	Real     Duration `yaml:"real"`
	Exercise Duration `yaml:"exercise"`
	// UnknownSenders covers events of no incident (messages from unknown
	// senders, answers after a stand-down), counted from the day's end.
	UnknownSenders Duration `yaml:"unknown_senders"`
	// Outbox removes console outbox lines older than this.
	Outbox Duration `yaml:"outbox"`
}

// DeclarationRates are the declaration limits of real incidents and exercises.
type DeclarationRates struct {
	Real     Rate `yaml:"real"`
	Exercise Rate `yaml:"exercise"`
}

// NATS is how Kaskade reaches NATS. The serve flags of the same meaning
// (--nats-url, --nats-creds, --nats-tls-cert, …) win over these. Relative
// file names are relative to the configuration file's directory.
type NATS struct {
	// URL is an external NATS cluster (comma-separated URLs); empty runs
	// the embedded server.
	URL string `yaml:"url"`
	// One of CredsFile (JWT and seed), NkeyFile (seed) or User with
	// Password authenticates Kaskade to the external cluster.
	CredsFile string `yaml:"creds_file"`
	NkeyFile  string `yaml:"nkey_file"`
	User      string `yaml:"user"`
	Password  Secret `yaml:"password"`
	// CAFile verifies the external servers; CertFile and KeyFile are a
	// client certificate for mutual TLS.
	CAFile   string `yaml:"ca_file"`
	CertFile string `yaml:"cert_file"`
	KeyFile  string `yaml:"key_file"`
	// TLS makes the embedded server serve TLS on its client port.
	TLS NATSServerTLS `yaml:"tls"`
}

// NATSServerTLS is the embedded NATS server's TLS: its certificate and key,
// and a CA whose client certificates it then requires.
type NATSServerTLS struct {
	CertFile string `yaml:"cert_file"`
	KeyFile  string `yaml:"key_file"`
	CAFile   string `yaml:"ca_file"`
}

// Channels configures the notification channels. Console is always available.
type Channels struct {
	Console ConsoleChannel `yaml:"console"`
	Twilio  *TwilioChannel `yaml:"twilio"`
	Email   *EmailChannel  `yaml:"email"`
}

// ConsoleChannel writes messages to the log and a JSONL outbox in the data directory.
type ConsoleChannel struct {
	// Disabled turns the console channel off (it is on by default).
	Disabled bool `yaml:"disabled"`
	// As lists the channels the console stands in for when they are not configured
	// (default: sms and email), so a first run needs nothing external.
	As []string `yaml:"as"`
}

// TwilioChannel configures SMS over Twilio.
type TwilioChannel struct {
	AccountSID          string   `yaml:"account_sid"`
	AuthToken           Secret   `yaml:"auth_token"`
	AuthTokenSecondary  Secret   `yaml:"auth_token_secondary"` // accepted on inbound webhooks during rotation
	From                string   `yaml:"from"`
	MessagingServiceSID string   `yaml:"messaging_service_sid"`
	VoiceFrom           string   `yaml:"voice_from"`      // number calls come from; default from when it is a number
	Conference          bool     `yaml:"conference"`      // staff conference line: "press 9" after a yes on a call
	CallsIn             bool     `yaml:"calls_in"`        // the number's incoming-call webhook is Kaskade's: the machine message offers calling back
	APIURL              string   `yaml:"api_url"`         // default https://api.twilio.com
	ValidityPeriod      Duration `yaml:"validity_period"` // default 15m
	RatePerSecond       float64  `yaml:"rate_per_second"` // 0 = unlimited
	Concurrency         int      `yaml:"concurrency"`     // default 50
	Timeout             Duration `yaml:"timeout"`         // default 10s
}

// EmailChannel configures email over SMTP.
type EmailChannel struct {
	Host     string         `yaml:"host"`
	Port     int            `yaml:"port"`
	TLS      string         `yaml:"tls"` // mandatory (default), opportunistic, none, implicit
	Username string         `yaml:"username"`
	Password Secret         `yaml:"password"`
	From     string         `yaml:"from"`
	ReplyTo  string         `yaml:"reply_to"` // local@domain; a token is added as +tag
	Timeout  Duration       `yaml:"timeout"`
	Listener *EmailListener `yaml:"listener"`
}

// EmailListener is the optional SMTP listener for replies by email.
type EmailListener struct {
	Addr   string `yaml:"addr"`
	Domain string `yaml:"domain"`
	// TLSCertFile and TLSKeyFile offer STARTTLS; RequireTLS refuses mail before it.
	TLSCertFile string `yaml:"tls_cert_file"`
	TLSKeyFile  string `yaml:"tls_key_file"`
	RequireTLS  bool   `yaml:"require_tls"`
	// AuthServID is the receiving mail server whose Authentication-Results are trusted.
	AuthServID      string `yaml:"authserv_id"`
	RequireAuthPass bool   `yaml:"require_auth_pass"`
	// RejectLimit rejected replies per sender within RejectWindow (default 5 per 1h) earn a 450.
	RejectLimit  int      `yaml:"reject_limit"`
	RejectWindow Duration `yaml:"reject_window"`
}

// Role is an API token's permission level.
type Role string

const (
	RoleViewer      Role = "viewer"
	RoleDutyOfficer Role = "duty_officer"
	RoleAdmin       Role = "admin"
	// RoleIntake may only deliver warnings (POST /api/v1/intake/…): it can
	// neither read incidents nor declare.
	RoleIntake Role = "intake"
)

// APIToken grants a role. Only the SHA-256 of the token is stored.
type APIToken struct {
	Name   string `yaml:"name"`
	Role   Role   `yaml:"role"`
	SHA256 string `yaml:"sha256"` // hex of sha256(token)
}

// Function is a crisis staff role (Stabsfunktion).
type Function struct {
	ID   string    `yaml:"id"`
	Name Localized `yaml:"name"`
}

// Localized is a text in German and English.
type Localized struct {
	DE string `yaml:"de"`
	EN string `yaml:"en"`
}

// In returns the text in lang, falling back to German.
func (l Localized) In(lang string) string {
	if lang == "en" && l.EN != "" {
		return l.EN
	}
	return l.DE
}

// Organisation is a ministry (Ressort) or another body with a crisis staff.
type Organisation struct {
	ID   string    `yaml:"id"`
	Name Localized `yaml:"name"`
	Kind string    `yaml:"kind"` // ministry (default), municipality, agency
	// CallTree names the tree activated for this organisation; empty means
	// the first tree whose organisation is this one (see Config.TreeFor).
	CallTree  string           `yaml:"call_tree"`
	Readiness Readiness        `yaml:"readiness"`
	Card      OrganisationCard `yaml:"card"` // emergency card extras (config/card.go)
}

// Readiness is an organisation's rule for "Stab arbeitsfähig".
type Readiness struct {
	// Required maps function id to the minimum number of available people.
	Required map[string]int `yaml:"required"`
	Target   Duration       `yaml:"target"` // defaults.target unless set
}

// Organisation kinds.
const (
	KindMinistry     = "ministry"
	KindMunicipality = "municipality"
	KindAgency       = "agency"
)

// Languages.
const (
	LangDE = "de"
	LangEN = "en"
)

// Person is a staff member.
type Person struct {
	ID           string `yaml:"id"`
	Name         string `yaml:"name"`
	Organisation string `yaml:"organisation"`
	Mobile       string `yaml:"mobile"`   // normalised to E.164 at load
	Phone        string `yaml:"phone"`    // landline for voice only; E.164 after load
	Email        string `yaml:"email"`    // bare address after load
	Language     string `yaml:"language"` // defaults.language unless set
	// Functions is shared by people with the same list after load: read
	// it, never modify it in place.
	Functions []string `yaml:"functions"`
}

// Channel names.
const (
	ChannelSMS     = "sms"
	ChannelEmail   = "email"
	ChannelConsole = "console"
)

// EscalationPolicy orders channels and timing for one call tree node tier.
type EscalationPolicy struct {
	ID    string           `yaml:"id"`
	Steps []EscalationStep `yaml:"steps"`
	// Wait is how long a tier may stay silent before the next deputy is alerted;
	// a node's own wait overrides it. defaults.wait unless set.
	Wait Duration `yaml:"wait"`
}

// Step conditions.
const (
	// IfNoAnswer runs the step when the person has not answered (default).
	IfNoAnswer = "no_answer"
	// IfNotDelivered runs the step when no earlier message reached the person.
	IfNotDelivered = "not_delivered"
)

// EscalationStep is one message in a policy: channel and delay after the tier started.
// Steps are ordered by After (validated non-decreasing).
type EscalationStep struct {
	Channel string   `yaml:"channel"`
	After   Duration `yaml:"after"`
	If      string   `yaml:"if"` // IfNoAnswer (set at load when empty) or IfNotDelivered
}

// CallTree (Alarmierungskette) is an ordered set of nodes.
type CallTree struct {
	ID           string `yaml:"id"`
	Organisation string `yaml:"organisation"`
	Policy       string `yaml:"policy"` // defaults.policy, then the built-in DefaultPolicy, unless set
	// Nodes are the tree as written. Load and Validate keep a valid tree
	// in a compact form instead and set Nodes to nil: read the nodes
	// through Walk, WalkIndex and Len. A tree whose Nodes are set again
	// is read from them.
	Nodes []Node `yaml:"nodes"`

	flat *flatTree // the compact form, when Nodes is nil
}

// Node is one position in a call tree: a person with deputies and children.
// Deputies are alerted in order when the primary does not answer within Wait
// or answers "unavailable"; children are alerted once the node acknowledged.
type Node struct {
	// Function is the staff function this node covers; when empty the
	// loader sets it to the person's first function.
	Function string   `yaml:"function"`
	Person   string   `yaml:"person"` // required
	Deputies []string `yaml:"deputies"`
	Wait     Duration `yaml:"wait"`   // 0 = the policy's wait (see Config.NodeWait)
	Policy   string   `yaml:"policy"` // overrides the tree's policy
	Children []Node   `yaml:"children"`
}

// Scenario is a preset for a kind of emergency.
type Scenario struct {
	ID            string                      `yaml:"id"`
	Name          Localized                   `yaml:"name"`
	Severity      string                      `yaml:"severity"`      // disruption, emergency, crisis
	Organisations []string                    `yaml:"organisations"` // empty = all
	Target        Duration                    `yaml:"target"`        // overrides organisations' targets
	Templates     map[string]MessageTemplates `yaml:"templates"`     // by language
}

// MessageTemplates are text/template sources for one language, executed
// with TemplateData. For SMS, Kaskade itself adds the exercise marking
// ("ÜBUNG ") in front and the answer instructions after the text, so the
// template stays short (under about 80 characters, GSM-7 characters only).
// Email bodies are plain text.
type MessageTemplates struct {
	SMS          string `yaml:"sms"`
	EmailSubject string `yaml:"email_subject"`
	EmailBody    string `yaml:"email_body"`
}

// SystemTemplates are the texts of messages that are not scenario alerts,
// for one language (top-level `templates:` in the file). All are executed
// with TemplateData; for Update, .Message is the update text.
type SystemTemplates struct {
	Update    MessageTemplates `yaml:"update"`     // Lagemeldung
	StandDown MessageTemplates `yaml:"stand_down"` // Entwarnung
	Replies   ReplyTemplates   `yaml:"replies"`    // SMS answers to replies
}

// ReplyTemplates are the SMS texts that confirm a person's reply.
type ReplyTemplates struct {
	Available   string `yaml:"available"`   // reply 1: komme
	Delayed     string `yaml:"delayed"`     // reply 2 <min>: komme später; .Message holds the minutes
	Unavailable string `yaml:"unavailable"` // reply 3: komme nicht
	Unknown     string `yaml:"unknown"`     // reply not understood: how to answer
}

// TemplateData is what every message template is executed with:
//
//	.Title         incident title ("Cyberangriff auf das Landesnetz")
//	.Message       free text of the declaration, or of a situation update
//	.Organisation  organisation id ("MI")
//	.OrgName       organisation name in the recipient's language
//	.Function      function id of the recipient's node ("it")
//	.FunctionName  function name in the recipient's language ("IT")
//	.Person        recipient's name
//	.ReplyCode     incident reply code ("K7") for people with several open activations
//	.Severity      disruption, emergency or crisis
//	.SeverityName  localised severity (Störung, Notfall, Krise)
//	.Exercise      true for exercises (Übung)
//	.DeclaredAt    time of declaration
//	.Scenario      scenario id ("cyberangriff")
//
// Templates are checked at load by executing them against SampleData, so a
// misspelt field is a load error, not a failed alert at 03:12.
type TemplateData struct {
	Title        string
	Message      string
	Organisation string
	OrgName      string
	Function     string
	FunctionName string
	Person       string
	ReplyCode    string
	Severity     string
	SeverityName string
	Exercise     bool
	DeclaredAt   time.Time
	Scenario     string
}

// Severities.
const (
	SeverityDisruption = "disruption"
	SeverityEmergency  = "emergency"
	SeverityCrisis     = "crisis"
)

// Duration is a time.Duration written as "30m" in YAML.
type Duration time.Duration

// D returns the value as a time.Duration.
func (d Duration) D() time.Duration { return time.Duration(d) }
