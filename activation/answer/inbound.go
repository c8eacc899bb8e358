// Package answer owns staff answering: it turns what staff send back — SMS
// replies, delivery receipts, one-click acknowledgements, email replies —
// into engine inputs.
// It attributes each message to a person and an open incident (reply codes
// keep an exercise and a real incident apart), stores every raw message
// before interpreting it, and answers in the person's language.
package answer

import (
	"context"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"sync/atomic"
	"text/template"
	"time"

	"github.com/kaskade-bcm/kaskade/activation"
	"github.com/kaskade-bcm/kaskade/activation/answer/ack"
	"github.com/kaskade-bcm/kaskade/activation/answer/reply"
	"github.com/kaskade-bcm/kaskade/activation/compose"
	"github.com/kaskade-bcm/kaskade/activation/engine"
	"github.com/kaskade-bcm/kaskade/config"
	"github.com/kaskade-bcm/kaskade/notifiers"
	"github.com/kaskade-bcm/kaskade/notifiers/gsm7"
)

// Engine is what the service needs of the engine.
type Engine interface {
	Submit(ctx context.Context, in activation.Input, msgID string) (uint64, error)
	WaitInput(ctx context.Context, seq uint64) error
	View(f func(c *activation.Core))
}

var _ Engine = (*engine.Engine)(nil)

// Service attributes inbound messages.
type Service struct {
	Engine Engine
	Config *config.Config
	Logger *slog.Logger
	// WaitApplied bounds how long an answer waits for the engine so the
	// confirmation can state the outcome (default 2 s). The input is durable
	// either way.
	WaitApplied time.Duration
	// RetryFor bounds how long a failing submission is retried before the
	// caller is told to come back (default 12 s, within Twilio's 15 s).
	RetryFor time.Duration
	// Seen makes replays of SMS and email answers harmless (seen.go); nil
	// takes the engine's bucket. ReplyTags verifies email reply tags (the
	// ack link signer); nil refuses every email answer.
	Seen      Seen
	ReplyTags *ack.Signer
	seenMu    sync.Mutex
	live      atomic.Pointer[config.Config] // set by a reload; Config until then
}

// SetConfig makes cfg (validated) the directory answers are attributed
// with from now on; a reload calls it. Safe while answers arrive.
func (s *Service) SetConfig(cfg *config.Config) { s.live.Store(cfg) }

func (s *Service) config() *config.Config {
	if c := s.live.Load(); c != nil {
		return c
	}
	return s.Config
}

// Outcomes of inbound messages, stored with the raw message.
const (
	OutcomeRecorded      = "recorded"
	OutcomeUnknownSender = "unknown_sender"
	OutcomeAmbiguous     = "ambiguous"
	OutcomeNoIncident    = "no_open_incident"
	OutcomeInvalid       = "invalid"
	OutcomeStop          = "stop"
	OutcomeStart         = "start"
	OutcomeHelp          = "help"
)

func (s *Service) log() *slog.Logger {
	if s.Logger == nil {
		return slog.New(slog.DiscardHandler)
	}
	return s.Logger
}

// Answer is an interpreted reply from a known person.
type Answer struct {
	Person *config.Person
	Reply  reply.Reply
	Raw    activation.Inbound
	MsgID  string
	// Incident restricts the answer to one incident (email replies and ack
	// links know theirs); "" means: find it from the reply code or the
	// person's open incidents.
	Incident string
	// CarrierKeyword: Twilio took the message as its opt-out, opt-in or
	// help keyword (OptOutType) and confirmed a STOP itself.
	CarrierKeyword bool
}

// Record stores an answer and returns the confirmation text (language of
// the person, exercise marking) or an explanation when it could not be
// attributed. Errors wrap engine.ErrUnavailable.
func (s *Service) Record(ctx context.Context, a Answer) (string, error) {
	lang := a.Person.Language
	raw := a.Raw
	raw.Person = a.Person.ID
	switch a.Reply.Kind {
	case reply.Stop, reply.Start, reply.Help:
		raw.Outcome = map[reply.Kind]string{reply.Stop: OutcomeStop, reply.Start: OutcomeStart, reply.Help: OutcomeHelp}[a.Reply.Kind]
		if err := s.store(ctx, "_", raw, nil, a.MsgID); err != nil {
			return "", err
		}
		if a.Reply.Kind == reply.Stop {
			s.log().Warn("person opted out of SMS (STOP); no SMS to this person until START", "person", a.Person.ID)
			if a.CarrierKeyword || carrierOptOut(a.Reply.Raw) {
				return "", nil // Twilio confirms its own opt-out words and blocks any reply
			}
			// No exercise prefix: the STOP holds for real alerts too.
			return stopConfirmation(lang), nil
		}
		return s.exercisePrefix(lang, a) + s.hint(lang, s.soleOpenCode(a.Person.ID)), nil
	case reply.Unknown:
		raw.Outcome = OutcomeInvalid
		if err := s.store(ctx, "_", raw, nil, a.MsgID); err != nil {
			return "", err
		}
		text := s.text(lang, s.config().System(lang).Replies.Unknown, config.TemplateData{Person: a.Person.Name})
		if a.Reply.Reason == reply.ReasonContradiction {
			text = contradiction(lang)
		}
		return s.exercisePrefix(lang, a) + text, nil
	}
	decl, why := s.pick(a)
	if why != "" {
		raw.Outcome = why
		if err := s.store(ctx, "_", raw, nil, a.MsgID); err != nil {
			return "", err
		}
		coded := a.Reply.Code != "" // a voice call or email reply knows its incident: no code to check
		return s.exercisePrefix(lang, a) + s.unattributed(lang, why, a.Person.ID, coded), nil
	}
	raw.Outcome = OutcomeRecorded
	resp := &activation.Response{Person: a.Person.ID, Kind: activation.ResponseKind(a.Reply.Kind), Minutes: a.Reply.Minutes,
		ETAUnknown: a.Reply.NoETA, Remark: a.Reply.Remark, Org: s.staffNamed(a.Reply.Remark), Source: raw.Channel}
	if err := s.store(ctx, decl.ID, raw, resp, a.MsgID); err != nil {
		return "", err
	}
	return s.confirm(lang, decl, a.Person, a.Reply), nil
}

// pick finds the incident an answer belongs to, or says why none.
func (s *Service) pick(a Answer) (activation.Declared, string) {
	var open []activation.Declared
	s.Engine.View(func(c *activation.Core) { open = c.OpenIncidentsOf(a.Person.ID) })
	want := a.Incident
	if want == "" {
		want = a.Reply.Code
	}
	if want != "" {
		for _, d := range open {
			if strings.EqualFold(d.ReplyCode, want) || d.ID == want {
				return d, ""
			}
		}
		return activation.Declared{}, OutcomeNoIncident
	}
	switch len(open) {
	case 0:
		return activation.Declared{}, OutcomeNoIncident
	case 1:
		return open[0], ""
	}
	// Several open activations (e.g. an exercise and a real incident): never guess.
	return activation.Declared{}, OutcomeAmbiguous
}

// store submits the raw message (and the response) and waits until the
// engine applied it, so the confirmation is true.
func (s *Service) store(ctx context.Context, incident string, raw activation.Inbound, resp *activation.Response, msgID string) error {
	seq, err := s.submit(ctx, activation.Input{Incident: incident, Inbound: &raw, Response: resp}, msgID)
	if err != nil {
		return err
	}
	wait := s.WaitApplied
	if wait <= 0 {
		wait = 2 * time.Second
	}
	wctx, cancel := context.WithTimeout(ctx, wait)
	defer cancel()
	if err := s.Engine.WaitInput(wctx, seq); err != nil {
		s.log().Warn("answer stored but not yet applied", "seq", seq, "err", err)
	}
	return nil
}

// submit retries for a while: a stream leader election in a NATS cluster
// takes seconds, and Twilio does not retry inbound SMS by default, so
// giving up at once could lose an answer. The message id makes retries safe.
func (s *Service) submit(ctx context.Context, in activation.Input, msgID string) (uint64, error) {
	var seq uint64
	err := s.retry(ctx, func(ctx context.Context) error {
		var err error
		seq, err = s.Engine.Submit(ctx, in, msgID)
		return err
	})
	return seq, err
}

func (s *Service) confirm(lang string, decl activation.Declared, p *config.Person, r reply.Reply) string {
	tpl := s.config().System(lang).Replies
	src := map[reply.Kind]string{reply.Available: tpl.Available, reply.Delayed: tpl.Delayed, reply.Unavailable: tpl.Unavailable}[r.Kind]
	data := config.TemplateData{Person: p.Name, Title: decl.Title, ReplyCode: decl.ReplyCode, Exercise: decl.Exercise,
		Scenario: decl.Scenario, Severity: decl.Severity, SeverityName: config.SeverityName(decl.Severity, lang)}
	if r.Kind == reply.Delayed {
		data.Message = fmt.Sprint(r.Minutes)
	}
	text := s.text(lang, src, data)
	if r.Kind == reply.Delayed && r.NoETA {
		text = askMinutes(lang, p.Name, decl.ReplyCode)
	}
	if decl.Exercise {
		text = compose.ExercisePrefix(lang) + text
	}
	return text
}

// exercisePrefix marks every reply to an exercise: when the answer names
// an exercise by its code (open or already stood down), or (no code, or one
// that matches nothing) every open incident of the person is one.
func (s *Service) exercisePrefix(lang string, a Answer) string {
	want := a.Incident
	if want == "" {
		want = a.Reply.Code
	}
	var open []activation.Declared
	var named activation.IncidentView
	var isNamed bool
	s.Engine.View(func(c *activation.Core) {
		open = c.OpenIncidentsOf(a.Person.ID)
		if want != "" {
			named, isNamed = c.Incident(strings.ToUpper(want))
		}
	})
	exercise := len(open) > 0
	matched := false
	for _, d := range open {
		if want != "" && (strings.EqualFold(d.ReplyCode, want) || d.ID == want) {
			exercise, matched = d.Exercise, true
			break
		}
		exercise = exercise && d.Exercise
	}
	if !matched && isNamed {
		exercise = named.Exercise // a late answer to a closed incident
	}
	if !exercise {
		return ""
	}
	return compose.ExercisePrefix(lang)
}

// staffNamed returns the organisation a remark starts with ("1 MF"): a
// person in two staffs of an incident names the one the answer covers.
func (s *Service) staffNamed(remark string) string {
	w, _, _ := strings.Cut(strings.TrimSpace(remark), " ")
	w = strings.TrimRight(w, ",.;:!")
	if w == "" {
		return ""
	}
	for _, id := range []string{w, strings.ToUpper(w)} {
		if o, ok := s.config().Organisation(id); ok {
			return o.ID
		}
	}
	return ""
}

// askMinutes confirms a delayed answer without minutes and asks for them.
func askMinutes(lang, name, code string) string {
	if lang == config.LangEN {
		return gsm7.Transliterate(fmt.Sprintf("Thank you, %s: you are coming later (ETA unknown). When? Reply e.g. 2 30 %s for 30 min.", name, code))
	}
	return gsm7.Transliterate(fmt.Sprintf("Danke, %s: Sie kommen später (ETA unbekannt). Wann? Antworten Sie z.B. 2 30 %s für 30 Min.", name, code))
}

// twilioOptOut are the words Twilio itself opts a number out on (and then
// confirms), when they are the whole message; other STOP words ("Stopp",
// "Stop.") only Kaskade understands, so it confirms them.
var twilioOptOut = map[string]bool{"STOP": true, "STOPALL": true, "UNSUBSCRIBE": true, "CANCEL": true,
	"END": true, "QUIT": true, "REVOKE": true, "OPTOUT": true}

func carrierOptOut(raw string) bool { return twilioOptOut[strings.ToUpper(strings.TrimSpace(raw))] }

// stopConfirmation confirms a STOP that Twilio does not confirm itself.
func stopConfirmation(lang string) string {
	if lang == config.LangEN {
		return "You will get no more SMS alerts from Kaskade; other channels and deputies take over. To receive them again reply START."
	}
	return gsm7.Transliterate("Sie erhalten keine SMS-Alarmierungen mehr von Kaskade; andere Kanäle und Vertretungen übernehmen. Wieder anmelden: START")
}

// contradiction asks again when an answer says yes and no at once.
func contradiction(lang string) string {
	if lang == config.LangEN {
		return "Your answer says yes and no. Nothing was recorded. Please answer 1 = coming, 2 30 = coming in 30 min, 3 = not available."
	}
	return gsm7.Transliterate("Ihre Antwort ist widersprüchlich (ja und nein). Nichts wurde gespeichert. Bitte antworten Sie 1 = komme, 2 30 = komme in 30 Min, 3 = nicht verfügbar.")
}

// unattributed explains why an answer was not recorded; coded: the answer
// carried a reply code that matches none of the person's open alerts.
func (s *Service) unattributed(lang, why, person string, coded bool) string {
	var open []activation.Declared
	s.Engine.View(func(c *activation.Core) { open = c.OpenIncidentsOf(person) })
	if why == OutcomeAmbiguous {
		list := openList(lang, open)
		if lang == config.LangEN {
			return gsm7.Transliterate(fmt.Sprintf("Several alerts are open. Add the code, e.g. 1 %s. %s", open[0].ReplyCode, list))
		}
		return gsm7.Transliterate(fmt.Sprintf("Mehrere Alarmierungen offen. Bitte Code angeben, z.B. 1 %s. %s", open[0].ReplyCode, list))
	}
	switch {
	case lang == config.LangEN && coded:
		return "No open alert for you under that code. Nothing was recorded."
	case lang == config.LangEN:
		return "You have no open alert (it may have been stood down). Nothing was recorded."
	case coded:
		return "Keine offene Alarmierung für Sie (Code prüfen). Nichts wurde gespeichert."
	}
	return gsm7.Transliterate("Keine offene Alarmierung für Sie (evtl. schon beendet). Nichts wurde gespeichert.")
}

// Bounds of the open alerts listed in a reply: Twilio refuses a reply over
// 1,600 characters, and the person reads it on a phone.
const (
	maxListedTitle = 40
	maxListed      = 300
)

// openList lists the open alerts (code and title, ÜBUNG marked) within
// maxListed bytes; the rest is counted ("+12 weitere").
func openList(lang string, open []activation.Declared) string {
	var b strings.Builder
	for i, d := range open {
		label := reply.Clip(d.Title, maxListedTitle)
		if d.Exercise {
			label = strings.TrimSpace(compose.ExercisePrefix(lang)) + " " + label
		}
		item := d.ReplyCode + ": " + label
		if i > 0 && b.Len()+len(item) > maxListed {
			if lang == config.LangEN {
				return fmt.Sprintf("%s; +%d more", b.String(), len(open)-i)
			}
			return fmt.Sprintf("%s; +%d weitere", b.String(), len(open)-i)
		}
		if i > 0 {
			b.WriteString("; ")
		}
		b.WriteString(item)
	}
	return b.String()
}

// soleOpenCode is the reply code of the person's only open alert; "" when
// none or several are open (the hint then shows a placeholder).
func (s *Service) soleOpenCode(person string) string {
	var open []activation.Declared
	s.Engine.View(func(c *activation.Core) { open = c.OpenIncidentsOf(person) })
	if len(open) == 1 {
		return open[0].ReplyCode
	}
	return ""
}

func (s *Service) hint(lang, code string) string {
	if code == "" {
		code = "K…"
	}
	return gsm7.Transliterate(compose.AnswerHint(lang, code))
}

func (s *Service) text(lang, src string, data config.TemplateData) string {
	t, err := template.New("reply").Option("missingkey=zero").Parse(src)
	if err != nil {
		return s.hint(lang, data.ReplyCode)
	}
	var b strings.Builder
	if err := t.Execute(&b, data); err != nil {
		return s.hint(lang, data.ReplyCode)
	}
	return gsm7.Transliterate(strings.TrimSpace(b.String()))
}

// mask hides a sender address for the log and the stored event.
func mask(s string) string { return notifiers.Mask(s) }

// incidentOf extracts the incident from a notification id ("K7-n12").
func incidentOf(notification string) string {
	if i := strings.LastIndex(notification, "-n"); i > 0 {
		return notification[:i]
	}
	return ""
}
