// Package httpapi serves Kaskade's REST API under /api/v1 plus /healthz and
// /readyz: declarations, incident and readiness reads, responses on someone's
// behalf, situation updates and stand-downs, with bearer or board-session
// auth, JSON errors with codes and capped request bodies.
package httpapi

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/netip"
	"strings"
	"sync/atomic"
	"time"
	"unicode/utf8"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/kaskade-bcm/kaskade/activation"
	"github.com/kaskade-bcm/kaskade/activation/compose"
	"github.com/kaskade-bcm/kaskade/activation/engine"
	"github.com/kaskade-bcm/kaskade/activation/web"
	"github.com/kaskade-bcm/kaskade/alerting"
	"github.com/kaskade-bcm/kaskade/config"
	"github.com/kaskade-bcm/kaskade/notifiers"
)

// Options configure the API server.
type Options struct {
	Config   *config.Config
	Intake   *alerting.Intake
	Engine   *engine.Engine
	Auth     *Auth
	Sessions Sessions // optional board sessions
	Logger   *slog.Logger
	// MaxBody caps request bodies (default 64 KiB).
	MaxBody int64
	// Healthy reports whether NATS is connected (for /readyz).
	Healthy func() bool

	// Now is the clock of rate limits and the history cache (time.Now when nil).
	Now func() time.Time
	// SMSSegments is the budget of SMS segments a composed text may take
	// (default 3); whatever it says, no SMS goes above 1,600 characters.
	SMSSegments int
	// DeclareLimits bound declarations per token (zero fields: DefaultDeclareLimits).
	DeclareLimits DeclareLimits
	// WarningRate bounds warnings per intake token (zero: DefaultWarningRate).
	WarningRate Rate
	// WrongTokens limits wrong bearer tokens per client address (zero: 10,
	// then one every 6 s; then 429). A right token is never limited.
	WrongTokens Rate
	// TrustedProxies may set X-Forwarded-For; without any the header is ignored.
	TrustedProxies []netip.Prefix
	// Registerer gets kaskade_http_auth_failures_total (nil: not registered).
	Registerer prometheus.Registerer
	// HistoryTTL is how long the exercise history is reused (default DefaultHistoryTTL).
	HistoryTTL time.Duration
	// Events reads the event log (default Engine.Events).
	Events func(ctx context.Context, incident string) ([]activation.Event, error)
	// Reload serves POST /api/v1/config/reload (nil: 501).
	Reload Reloader
	// Outbox returns the console outbox lines about a person, for the
	// person export (nil: the export lists the outbox as not included).
	Outbox func(person string) ([]json.RawMessage, error)
	// EraseData cleans the stores beside the log on an erasure (erase.go).
	EraseData ErasePersonData
}

// Rate is a token bucket: Burst at once, then one more every Every; a
// negative Burst means unlimited. It is the intake's (one home for both).
type Rate = alerting.Rate

// DeclareLimits bound declarations per token, real incidents and exercises
// apart, as alerting.DeclarerRates bound a NATS declarer.
type DeclareLimits = alerting.DeclarerRates

// DefaultDeclareLimits: ten real incidents at once, then one every six
// minutes; sixty exercises, then one a minute.
var DefaultDeclareLimits = alerting.DefaultDeclarerRates

// DefaultHistoryTTL is how long one read of the log serves the exercise history.
const DefaultHistoryTTL = 30 * time.Second

// Server is the API's http.Handler set.
type Server struct {
	opts     Options
	cfg      atomic.Pointer[config.Config] // opts.Config until a reload
	composer *compose.Composer             // measures SMS against the segment budget
	lim      limiters
	hist     historyCache
	closing  incidentLocks // serialises stand-down, abort and convert per incident
}

// SetConfig makes cfg (validated) the configuration of new declarations,
// scenario lists, texts and exports; a reload calls it.
func (s *Server) SetConfig(cfg *config.Config) {
	s.cfg.Store(cfg)
	s.composer.SetConfig(cfg)
}

func (s *Server) config() *config.Config { return s.cfg.Load() }

// New returns the API server.
func New(opts Options) *Server {
	if opts.MaxBody <= 0 {
		opts.MaxBody = 64 << 10
	}
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.SMSSegments <= 0 {
		opts.SMSSegments = DefaultSMSSegments
	}
	if opts.HistoryTTL <= 0 {
		opts.HistoryTTL = DefaultHistoryTTL
	}
	if opts.Events == nil && opts.Engine != nil {
		opts.Events = opts.Engine.Events
	}
	s := &Server{opts: opts, composer: compose.New(compose.Options{Config: opts.Config}), lim: newLimiters(opts)}
	s.cfg.Store(opts.Config)
	return s
}

// Register adds the API routes to mux.
func (s *Server) Register(mux *http.ServeMux) {
	mux.HandleFunc("GET /api/v1/incidents", s.listIncidents)
	mux.HandleFunc("POST /api/v1/incidents", s.declare)
	mux.HandleFunc("GET /api/v1/incidents/{id}", s.getIncident)
	mux.HandleFunc("GET /api/v1/incidents/{id}/readiness", s.getReadiness)
	mux.HandleFunc("POST /api/v1/incidents/{id}/responses", s.respond)
	mux.HandleFunc("POST /api/v1/incidents/{id}/updates", s.update())
	mux.HandleFunc("POST /api/v1/incidents/{id}/stand-down", s.standDown())
	mux.HandleFunc("POST /api/v1/incidents/{id}/abort", s.abort())
	mux.HandleFunc("POST /api/v1/incidents/{id}/convert", s.convert())
	mux.HandleFunc("GET /api/v1/scenarios", s.scenarios)
	mux.HandleFunc("GET /api/v1/incidents/{id}/report", s.report)
	mux.HandleFunc("GET /api/v1/exercises", s.history)
	mux.HandleFunc("POST /api/v1/texts/sms", s.smsSize)
	mux.HandleFunc("GET /api/v1/people/{id}/export", s.personExport)
	s.registerProposals(mux)
	mux.HandleFunc("POST /api/v1/config/reload", s.reloadConfig)
	mux.HandleFunc("POST /api/v1/people/{id}/erase", s.personErase)
	mux.HandleFunc("GET /api/v1/openapi.json", serveOpenAPI)
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, r *http.Request) {
		web.WriteJSON(w, http.StatusOK, map[string]string{"status": "ok"})
	})
	mux.HandleFunc("GET /readyz", s.readyz)
	mux.HandleFunc("/api/v1/", func(w http.ResponseWriter, r *http.Request) {
		if allow := allowedMethods(mux, r); len(allow) > 0 {
			w.Header().Set("Allow", strings.Join(allow, ", "))
			web.WriteError(w, http.StatusMethodNotAllowed, "method_not_allowed",
				r.Method+" "+r.URL.Path+" is not allowed; use "+strings.Join(allow, " or "))
			return
		}
		web.WriteError(w, http.StatusNotFound, "not_found", "no such endpoint: "+r.Method+" "+r.URL.Path)
	})
}

// apiMethods are the methods a wrong-method answer may offer in Allow.
var apiMethods = []string{http.MethodGet, http.MethodHead, http.MethodPost, http.MethodPut, http.MethodPatch, http.MethodDelete}

// allowedMethods lists the methods another route of mux serves at r's path:
// the catch-all below /api/v1/ would otherwise hide the mux's own 405.
func allowedMethods(mux *http.ServeMux, r *http.Request) []string {
	var allow []string
	for _, m := range apiMethods {
		probe := *r
		probe.Method = m
		if _, pattern := mux.Handler(&probe); pattern != "" && pattern != "/api/v1/" {
			allow = append(allow, m)
		}
	}
	return allow
}

func (s *Server) readyz(w http.ResponseWriter, r *http.Request) {
	ready := s.opts.Engine.Ready() && (s.opts.Healthy == nil || s.opts.Healthy())
	if !ready {
		web.WriteJSON(w, http.StatusServiceUnavailable, map[string]any{"status": "starting", "engine_ready": s.opts.Engine.Ready()})
		return
	}
	web.WriteJSON(w, http.StatusOK, map[string]any{"status": "ready", "leader": s.opts.Engine.Leader()})
}

func (s *Server) listIncidents(w http.ResponseWriter, r *http.Request) {
	if _, ok := s.authenticate(w, r, false); !ok {
		return
	}
	web.WriteJSON(w, http.StatusOK, map[string]any{"incidents": s.opts.Engine.Incidents()})
}

func (s *Server) getIncident(w http.ResponseWriter, r *http.Request) {
	if _, ok := s.authenticate(w, r, false); !ok {
		return
	}
	v, ok := s.opts.Engine.Incident(r.PathValue("id"))
	if !ok {
		web.WriteError(w, http.StatusNotFound, "unknown_incident", "no incident "+r.PathValue("id"))
		return
	}
	web.WriteJSON(w, http.StatusOK, v)
}

func (s *Server) getReadiness(w http.ResponseWriter, r *http.Request) {
	if _, ok := s.authenticate(w, r, false); !ok {
		return
	}
	v, ok := s.opts.Engine.Incident(r.PathValue("id"))
	if !ok {
		web.WriteError(w, http.StatusNotFound, "unknown_incident", "no incident "+r.PathValue("id"))
		return
	}
	web.WriteJSON(w, http.StatusOK, map[string]any{"incident": v.ID, "status": v.Status, "exercise": v.Exercise, "organisations": v.Organisations})
}

func (s *Server) scenarios(w http.ResponseWriter, r *http.Request) {
	if _, ok := s.authenticate(w, r, false); !ok {
		return
	}
	web.WriteJSON(w, http.StatusOK, map[string]any{"scenarios": Scenarios(s.config())})
}

// Scenarios lists the configured scenarios for forms.
func Scenarios(cfg *config.Config) []activation.ScenarioInfo {
	out := make([]activation.ScenarioInfo, 0, len(cfg.Scenarios))
	for i := range cfg.Scenarios {
		sc := &cfg.Scenarios[i]
		out = append(out, activation.ScenarioInfo{ID: sc.ID, Name: activation.Names{DE: sc.Name.DE, EN: sc.Name.EN},
			Severity: sc.Severity, Organisations: cfg.ScenarioOrganisations(sc)})
	}
	return out
}

func (s *Server) declare(w http.ResponseWriter, r *http.Request) {
	p, ok := s.authenticate(w, r, true)
	if !ok {
		return
	}
	body, ok := s.readBody(w, r)
	if !ok {
		return
	}
	d, err := alerting.Parse(body)
	if err != nil {
		writeAlertingError(w, err)
		return
	}
	if d.DeclaredBy == "" {
		d.DeclaredBy = p.name
	}
	if !s.mayDeclare(w, p.name, d) {
		return
	}
	res, err := s.opts.Intake.Declare(r.Context(), d, apiSource(p), nil)
	if err != nil {
		writeAlertingError(w, err)
		return
	}
	if !res.Duplicate {
		s.declared(p.name, d.Exercise)
	}
	s.wait(r.Context(), res.InputSeq)
	v, _ := s.opts.Engine.Incident(res.IncidentID)
	status := http.StatusCreated
	if res.Duplicate {
		status = http.StatusOK
	}
	web.WriteJSON(w, status, map[string]any{"incident_id": res.IncidentID, "duplicate": res.Duplicate, "incident": v})
}

// ResponseRequest is the body of POST …/responses.
type ResponseRequest struct {
	Person  string `json:"person"`
	Kind    string `json:"kind"`
	Minutes int    `json:"minutes,omitempty"`
}

func (s *Server) respond(w http.ResponseWriter, r *http.Request) {
	p, ok := s.authenticate(w, r, true)
	if !ok {
		return
	}
	var req ResponseRequest
	if !s.decode(w, r, &req) {
		return
	}
	id := r.PathValue("id")
	kind := activation.ResponseKind(req.Kind)
	var problem string
	switch {
	case strings.TrimSpace(req.Person) == "":
		problem = "person is required: whose answer is it?"
	case kind != activation.Available && kind != activation.Delayed && kind != activation.Unavailable:
		problem = fmt.Sprintf("kind %q: use available, delayed or unavailable", req.Kind)
	case kind == activation.Delayed && (req.Minutes < 1 || req.Minutes > 1440):
		problem = "delayed needs minutes between 1 and 1440"
	case kind != activation.Delayed && req.Minutes != 0:
		problem = fmt.Sprintf("minutes go with delayed only, not with %s", kind)
	}
	if problem != "" {
		web.WriteError(w, http.StatusBadRequest, "invalid_response", problem)
		return
	}
	if !s.known(w, id, req.Person) {
		return
	}
	in := activation.Input{Incident: id, Response: &activation.Response{Person: req.Person, Kind: kind, Minutes: req.Minutes,
		Source: activation.SourceAPI, Actor: p.name}}
	s.submitAndReport(w, r, in, func() any {
		var out struct {
			Person     string                    `json:"person"`
			Answer     activation.ResponseKind   `json:"answer"`
			ETA        *time.Time                `json:"eta,omitempty"`
			Readiness  []activation.OrgReadiness `json:"readiness"`
			RecordedBy string                    `json:"recorded_by"`
		}
		out.Person, out.RecordedBy = req.Person, p.name
		s.opts.Engine.View(func(c *activation.Core) {
			k, eta, _, _ := c.Answer(id, req.Person)
			out.Answer = k
			if !eta.IsZero() {
				out.ETA = &eta
			}
		})
		if v, ok := s.opts.Engine.Incident(id); ok {
			for _, org := range v.Organisations {
				if personIn(s.config(), req.Person, org.Org) {
					out.Readiness = append(out.Readiness, org)
				}
			}
		}
		return out
	})
}

func personIn(cfg *config.Config, person, org string) bool {
	p, ok := cfg.Person(person)
	return ok && p.Organisation == org
}

// known checks the incident and the person before anything is submitted,
// so a bad request gets a clear error instead of a silent rejection.
func (s *Server) known(w http.ResponseWriter, id, person string) bool {
	v, ok := s.opts.Engine.Incident(id)
	if !ok {
		web.WriteError(w, http.StatusNotFound, "unknown_incident", "no incident "+id)
		return false
	}
	if person == "" {
		return true
	}
	inIncident := false
	s.opts.Engine.View(func(c *activation.Core) { _, _, _, inIncident = c.Answer(id, person) })
	if !inIncident {
		web.WriteError(w, http.StatusUnprocessableEntity, "unknown_person", fmt.Sprintf("person %q is not part of incident %s", person, v.ID))
		return false
	}
	return true
}

// TextRequest is the body of updates and stand-downs.
type TextRequest struct {
	Text   string `json:"text,omitempty"`
	Reason string `json:"reason,omitempty"`
}

// incidentAction is the shape of update, stand-down, abort and convert: an
// open incident, a text, and one input naming who acted.
type incidentAction struct {
	// missing is the error when the text is required and empty ("" = optional).
	missing string
	// purpose is the SMS the text goes into, measured against the budget ("" = none).
	purpose notifiers.Purpose
	// textual says the text is a message (missing_text), not a reason (missing_reason).
	textual bool
	// exerciseOnly refuses real incidents.
	exerciseOnly bool
	// closing actions (stand-down, abort, convert) run one at a time per
	// incident, so a second one sees the first's outcome (409) rather than
	// a 200 for an input the engine then rejects.
	closing bool
	input   func(by, text string) activation.Input
}

func (s *Server) act(a incidentAction) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		p, ok := s.authenticate(w, r, true)
		if !ok {
			return
		}
		var req TextRequest
		if !s.decode(w, r, &req) {
			return
		}
		id := r.PathValue("id")
		if a.closing {
			mu := s.closing.of(id)
			mu.Lock()
			defer mu.Unlock()
		}
		text := strings.TrimSpace(req.Reason + " " + req.Text)
		if text == "" && a.missing != "" {
			code := "missing_reason"
			if a.textual {
				code = "missing_text"
			}
			web.WriteError(w, http.StatusBadRequest, code, a.missing)
			return
		}
		if err := alerting.CheckText("text", req.Text, true); err != nil {
			writeAlertingError(w, err)
			return
		}
		if err := alerting.CheckText("reason", req.Reason, true); err != nil {
			writeAlertingError(w, err)
			return
		}
		if !s.open(w, id) || a.exerciseOnly && !s.exercise(w, id) {
			return
		}
		in := a.input(p.name, text)
		in.Incident = id
		if a.purpose != "" {
			v, _ := s.opts.Engine.Incident(id)
			sent := text
			if in.StandDown != nil {
				sent = in.StandDown.Reason
			}
			if !s.fits(w, a.purpose, declaredOf(v), sent, "text") {
				return
			}
		}
		s.submitAndReport(w, r, in, func() any { v, _ := s.opts.Engine.Incident(id); return v })
	}
}

// update sends a situation update to everyone notified so far.
func (s *Server) update() http.HandlerFunc {
	return s.act(incidentAction{missing: "a situation update needs text", textual: true, purpose: notifiers.PurposeUpdate, input: func(by, text string) activation.Input {
		return activation.Input{Update: &activation.SituationUpdate{Text: text, By: by}}
	}})
}

// standDown stops all escalation and informs everyone reached.
func (s *Server) standDown() http.HandlerFunc {
	return s.act(incidentAction{closing: true, missing: "a stand-down needs a reason", purpose: notifiers.PurposeStandDown, input: func(by, text string) activation.Input {
		return activation.Input{StandDown: &activation.StandDown{By: by, Reason: text}}
	}})
}

// abort ends a running exercise in one action: everyone reached is told.
func (s *Server) abort() http.HandlerFunc {
	return s.act(incidentAction{closing: true, exerciseOnly: true, purpose: notifiers.PurposeStandDown, input: func(by, text string) activation.Input {
		reason := "Übung abgebrochen"
		if text != "" {
			reason += ": " + text
		}
		return activation.Input{StandDown: &activation.StandDown{By: by, Reason: reason}}
	}})
}

// convert turns a running exercise into a real incident.
func (s *Server) convert() http.HandlerFunc {
	return s.act(incidentAction{closing: true, exerciseOnly: true, missing: "converting an exercise into a real incident needs a reason",
		input: func(by, text string) activation.Input {
			return activation.Input{Convert: &activation.Conversion{By: by, Reason: text}}
		}})
}

func (s *Server) exercise(w http.ResponseWriter, id string) bool {
	if v, _ := s.opts.Engine.Incident(id); !v.Exercise {
		web.WriteError(w, http.StatusConflict, "not_an_exercise", "incident "+id+" is not an exercise")
		return false
	}
	return true
}

func (s *Server) open(w http.ResponseWriter, id string) bool {
	v, ok := s.opts.Engine.Incident(id)
	switch {
	case !ok:
		web.WriteError(w, http.StatusNotFound, "unknown_incident", "no incident "+id)
		return false
	case v.Status != "open":
		web.WriteError(w, http.StatusConflict, "stood_down", "incident "+id+" has been stood down")
		return false
	}
	return true
}

func (s *Server) submitAndReport(w http.ResponseWriter, r *http.Request, in activation.Input, result func() any) {
	seq, err := s.opts.Engine.Submit(r.Context(), in, "")
	if err != nil {
		web.WriteError(w, http.StatusServiceUnavailable, "unavailable", "could not record it; try again: "+err.Error())
		return
	}
	if !s.wait(r.Context(), seq) {
		web.WriteJSON(w, http.StatusAccepted, map[string]any{"status": "accepted", "input": seq})
		return
	}
	web.WriteJSON(w, http.StatusOK, result())
}

// wait gives the engine a moment so the answer shows the outcome; the input
// is durable either way.
func (s *Server) wait(ctx context.Context, seq uint64) bool {
	if seq == 0 {
		return true
	}
	ctx, cancel := context.WithTimeout(ctx, 3*time.Second)
	defer cancel()
	return s.opts.Engine.WaitInput(ctx, seq) == nil
}

func (s *Server) readBody(w http.ResponseWriter, r *http.Request) ([]byte, bool) {
	return s.readBodyMax(w, r, s.opts.MaxBody)
}

func (s *Server) readBodyMax(w http.ResponseWriter, r *http.Request, limit int64) ([]byte, bool) {
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, limit))
	if err != nil {
		var tooLarge *http.MaxBytesError
		if errors.As(err, &tooLarge) {
			web.WriteError(w, http.StatusRequestEntityTooLarge, "too_large", fmt.Sprintf("body larger than %d bytes", limit))
		} else {
			web.WriteError(w, http.StatusBadRequest, "bad_body", err.Error())
		}
		return nil, false
	}
	if !utf8.Valid(body) {
		// encoding/json would turn invalid bytes into U+FFFD silently.
		web.WriteError(w, http.StatusBadRequest, alerting.CodeInvalidText, "body is not valid UTF-8")
		return nil, false
	}
	return body, true
}

func (s *Server) decode(w http.ResponseWriter, r *http.Request, v any) bool {
	body, ok := s.readBody(w, r)
	if !ok {
		return false
	}
	dec := json.NewDecoder(strings.NewReader(string(body)))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		web.WriteError(w, http.StatusBadRequest, alerting.CodeInvalidJSON, "body is not valid JSON: "+err.Error())
		return false
	}
	// One object only: a second one (two requests pasted together) is not
	// silently dropped.
	if _, err := dec.Token(); err != io.EOF {
		web.WriteError(w, http.StatusBadRequest, alerting.CodeInvalidJSON, "body has trailing data after the JSON object")
		return false
	}
	// encoding/json keeps the last of two equal keys: {"exercise": true,
	// "exercise": false} must not mean what the second says.
	if key := alerting.DuplicateKey(body); key != "" {
		web.WriteError(w, http.StatusBadRequest, alerting.CodeInvalidJSON, fmt.Sprintf("body has the key %q twice; give each key once", key))
		return false
	}
	return true
}

func writeAlertingError(w http.ResponseWriter, err error) {
	e := alerting.AsError(err)
	status := http.StatusBadRequest
	switch e.Code {
	case alerting.CodeUnavailable:
		status = http.StatusServiceUnavailable
	case alerting.CodeInternal:
		status = http.StatusInternalServerError
	case alerting.CodeUnknownScenario, alerting.CodeUnknownOrganisation:
		status = http.StatusUnprocessableEntity
	case alerting.CodeUnknownProposal:
		status = http.StatusNotFound
	case alerting.CodeProposalClosed:
		status = http.StatusConflict
	case alerting.CodeRateLimited:
		status = http.StatusTooManyRequests
	}
	web.WriteError(w, status, e.Code, e.Message)
}

// apiSource is the recorded source of what a caller declares: "api:" and
// the token's name, so the log keeps who declared whatever declared_by says.
func apiSource(p principal) string { return activation.SourceAPI + ":" + p.name }
