// Package compose renders notification requests into messages: the
// scenario's German or English template, the mandatory exercise marking,
// the answer instructions, GSM-7 safe SMS text, and signed one-click
// acknowledgement links in emails.
package compose

import (
	"bytes"
	"fmt"
	"html/template"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/kaskade-bcm/kaskade/activation"
	"github.com/kaskade-bcm/kaskade/activation/answer/ack"
	"github.com/kaskade-bcm/kaskade/config"
	"github.com/kaskade-bcm/kaskade/notifiers"
	"github.com/kaskade-bcm/kaskade/notifiers/gsm7"
)

// Options configure a Composer.
type Options struct {
	Config *config.Config
	// Signer signs ack links; nil leaves them out.
	Signer *ack.Signer
	// PublicURL is the base of ack links (e.g. https://kaskade.example.de).
	PublicURL string
	// EmailReplies is true when a reply listener reads answers to alert
	// emails; only then does an email offer "reply to this email".
	EmailReplies bool
}

// Composer renders messages; it is safe for concurrent use.
type Composer struct {
	opts  Options
	cfg   atomic.Pointer[config.Config] // opts.Config until a reload
	loc   *time.Location
	mu    sync.Mutex
	cache map[string]*parsed // by name and source text
	// texts are rendered texts by template and what it reads (textcache.go).
	texts map[renderKey]string
}

// SetConfig makes cfg (validated) the source of people's contact points and
// texts from now on; a reload calls it. Safe while composing.
func (c *Composer) SetConfig(cfg *config.Config) { c.cfg.Store(cfg) }

func (c *Composer) config() *config.Config { return c.cfg.Load() }

// New returns a Composer.
func New(opts Options) *Composer {
	loc, err := time.LoadLocation("Europe/Berlin")
	if err != nil {
		loc = time.UTC // no tzdata: the binary embeds time/tzdata, so only odd builds get here
	}
	c := &Composer{opts: opts, loc: loc, cache: map[string]*parsed{}, texts: map[renderKey]string{}}
	c.cfg.Store(opts.Config)
	return c
}

// ExercisePrefix is the mandatory marking of exercise messages.
func ExercisePrefix(lang string) string {
	if lang == config.LangEN {
		return "ÜBUNG/EXERCISE "
	}
	return "ÜBUNG "
}

// RealPrefix marks the message that turns an exercise into a real incident.
func RealPrefix(lang string) string {
	if lang == config.LangEN {
		return "REAL INCIDENT, NO LONGER AN EXERCISE: "
	}
	return "ECHTFALL, KEINE ÜBUNG MEHR: "
}

// AnswerHint tells how to answer an alert by SMS, with the incident's reply code.
func AnswerHint(lang, code string) string {
	if lang == config.LangEN {
		return fmt.Sprintf("Reply: 1=coming, 2 30=coming in 30 min, 3=not available (%s)", code)
	}
	return fmt.Sprintf("Antwort: 1=komme, 2 30=komme in 30 Min., 3=nicht verfügbar (%s)", code)
}

// Compose renders one notification for its channel.
func (c *Composer) Compose(n activation.Notification, inc activation.Declared) (notifiers.Message, error) {
	cfg := c.config()
	p, ok := cfg.Person(n.Person)
	if !ok {
		return notifiers.Message{}, fmt.Errorf("compose: unknown person %q", n.Person)
	}
	lang := p.Language
	if lang == "" {
		lang = cfg.Defaults.Language
	}
	m := notifiers.Message{ID: n.ID, Incident: inc.ID, Person: p.ID, Channel: n.Channel, Purpose: n.Purpose,
		Exercise: inc.Exercise, Language: lang, ReplyTag: c.replyTag(n.ID, p.ID)}
	switch n.Channel {
	case config.ChannelEmail:
		m.To = p.Email
	case config.ChannelVoice:
		m.To = p.VoiceNumber()
	default:
		m.To = p.Mobile
	}
	data := c.data(cfg, n, inc, p, lang)
	tpl, ok := templatesFor(cfg, n.Purpose, inc.Scenario, lang)
	if !ok {
		return m, fmt.Errorf("compose: no template for purpose %q", n.Purpose)
	}
	if n.Purpose == notifiers.PurposeConvert {
		// The real alert, for people who so far only had the exercise.
		data.Exercise, data.Message = false, inc.Message
	}
	prefix := ""
	switch {
	case n.Purpose == notifiers.PurposeConvert:
		prefix = RealPrefix(lang)
	case inc.Exercise:
		prefix = ExercisePrefix(lang)
	}
	var err error
	if n.Channel == config.ChannelEmail {
		m.Subject, err = c.render(inc.Scenario+"/subject/"+lang+"/"+string(n.Purpose), tpl.EmailSubject, data)
		if err != nil {
			return m, err
		}
		m.Subject = prefix + strings.TrimSpace(m.Subject)
		body, err := c.render(inc.Scenario+"/body/"+lang+"/"+string(n.Purpose), tpl.EmailBody, data)
		if err != nil {
			return m, err
		}
		m.Text, m.HTML = c.email(n, inc, lang, prefix, body)
		return m, nil
	}
	text, err := c.render(inc.Scenario+"/sms/"+lang+"/"+string(n.Purpose), tpl.SMS, data)
	if err != nil {
		return m, err
	}
	if n.Channel == config.ChannelVoice {
		// The call script says the exercise and the keypad menu itself.
		m.Text = voiceText(n.Purpose, lang, text)
		return m, nil
	}
	text = prefix + strings.TrimSpace(text)
	if n.Purpose == notifiers.PurposeAlert || n.Purpose == notifiers.PurposeConvert {
		text += "\n" + AnswerHint(lang, inc.ReplyCode)
	}
	m.Text = gsm7.Transliterate(text)
	return m, nil
}

func (c *Composer) data(cfg *config.Config, n activation.Notification, inc activation.Declared, p *config.Person, lang string) config.TemplateData {
	d := config.TemplateData{
		Title: inc.Title, Message: inc.Message, Organisation: n.Org, Function: n.Function, Person: p.Name,
		ReplyCode: inc.ReplyCode, Severity: inc.Severity, SeverityName: config.SeverityName(inc.Severity, lang),
		Exercise: inc.Exercise, Scenario: inc.Scenario, DeclaredAt: inc.DeclaredAt.In(c.loc),
	}
	if n.Purpose != notifiers.PurposeAlert {
		d.Message = n.Text
	}
	if org, ok := cfg.Organisation(n.Org); ok {
		d.OrgName = org.Name.In(lang)
	}
	if f, ok := cfg.Function(n.Function); ok {
		d.FunctionName = f.Name.In(lang)
	}
	return d
}

func (c *Composer) render(key, src string, data config.TemplateData) (string, error) {
	// The source is part of the key: a reload may change the text behind a name.
	name := key + "\x00" + src
	c.mu.Lock()
	t, ok := c.cache[name]
	if !ok {
		parsed, err := config.ParseTemplate(key, src)
		if err != nil {
			c.mu.Unlock()
			return "", fmt.Errorf("compose: template %s: %w", key, err)
		}
		t = newParsed(parsed, src)
		c.cache[name] = t
	}
	rk := renderKey{tpl: name, data: t.reads(data)}
	text, ok := c.texts[rk]
	c.mu.Unlock()
	if ok {
		return text, nil
	}
	var b bytes.Buffer
	if err := t.t.Execute(&b, data); err != nil {
		return "", fmt.Errorf("compose: template %s: %w", key, err)
	}
	text = b.String()
	c.mu.Lock()
	if len(c.texts) >= maxTexts {
		clear(c.texts)
	}
	c.texts[rk] = text
	c.mu.Unlock()
	return text, nil
}

// email builds the plain and HTML bodies with the ack links.
func (c *Composer) email(n activation.Notification, inc activation.Declared, lang, prefix, body string) (string, string) {
	en := lang == config.LangEN
	var links [3]string
	if c.opts.Signer != nil && n.Purpose == notifiers.PurposeAlert {
		tok := c.opts.Signer.Sign(ack.Claims{Incident: inc.ID, Person: n.Person, Org: n.Org, Notification: n.ID})
		links[0], links[1], links[2] = ack.Links(c.opts.PublicURL, tok)
	}
	labels := [3]string{"Ich komme", "Ich komme später", "Nicht verfügbar"}
	intro := "Bitte antworten Sie über einen der Links:"
	replyHint := "Oder antworten Sie auf diese E-Mail mit 1 (komme), 2 30 (komme in 30 Min.) oder 3 (nicht verfügbar)."
	if en {
		labels = [3]string{"I am coming", "I am coming later", "Not available"}
		intro = "Please answer with one of these links:"
		replyHint = "Or reply to this email with 1 (coming), 2 30 (coming in 30 min) or 3 (not available)."
	}
	var plain strings.Builder
	if prefix != "" {
		plain.WriteString(strings.TrimSpace(prefix) + " – " + exerciseNote(en) + "\n\n")
	}
	plain.WriteString(strings.TrimSpace(body) + "\n")
	if links[0] != "" {
		plain.WriteString("\n" + intro + "\n")
		for i := range links {
			fmt.Fprintf(&plain, "  %s: %s\n", labels[i], links[i])
		}
	}
	replies := n.Purpose == notifiers.PurposeAlert && c.opts.EmailReplies
	if replies {
		plain.WriteString("\n" + replyHint + "\n")
	}
	var h bytes.Buffer
	_ = htmlBody.Execute(&h, map[string]any{
		"Exercise": prefix != "", "ExerciseNote": exerciseNote(en), "Prefix": strings.TrimSpace(prefix),
		"Paragraphs": strings.Split(strings.TrimSpace(body), "\n\n"), "Intro": intro, "Links": links, "Labels": labels,
		"ReplyHint": replyHint, "Alert": replies, "Lang": lang,
	})
	return plain.String(), h.String()
}

func exerciseNote(en bool) string {
	if en {
		return "This is an exercise. Please respond as you would in a real incident."
	}
	return "Dies ist eine Übung. Bitte reagieren Sie wie im Ernstfall."
}

var htmlBody = template.Must(template.New("email").Parse(`<!DOCTYPE html>
<html lang="{{.Lang}}"><head><meta charset="utf-8"><title>Kaskade</title></head>
<body style="font-family:sans-serif;max-width:40em;margin:1em auto;color:#111">
{{if .Exercise}}<p style="background:#fde68a;border:3px dashed #92400e;padding:.6em;font-weight:bold">{{.Prefix}} – {{.ExerciseNote}}</p>{{end}}
{{range .Paragraphs}}<p style="white-space:pre-line">{{.}}</p>{{end}}
{{if index .Links 0}}<p>{{.Intro}}</p>
<p>{{range $i, $l := .Links}}<a href="{{$l}}" style="display:inline-block;margin:.3em;padding:.7em 1.2em;background:#1d4ed8;color:#fff;text-decoration:none;border-radius:6px">{{index $.Labels $i}}</a>{{end}}</p>{{end}}
{{if .Alert}}<p style="color:#444">{{.ReplyHint}}</p>{{end}}
<p style="color:#666;font-size:small">Kaskade</p>
</body></html>`))

// templatesFor returns the texts of purpose in lang; a conversion sends the
// scenario's alert.
func templatesFor(cfg *config.Config, purpose notifiers.Purpose, scenario, lang string) (config.MessageTemplates, bool) {
	switch purpose {
	case notifiers.PurposeAlert, notifiers.PurposeConvert:
		return cfg.Templates(scenario, lang), true
	case notifiers.PurposeUpdate:
		return cfg.System(lang).Update, true
	case notifiers.PurposeStandDown:
		return cfg.System(lang).StandDown, true
	}
	return config.MessageTemplates{}, false
}
