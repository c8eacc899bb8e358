package config

import (
	"fmt"
	"strings"
	"text/template"
	"time"
	"unicode/utf8"
)

// Templates returns the message templates of a scenario in lang. Fields the
// language leaves empty fall back to German, then to the built-in texts in
// lang (BuiltinAlertTemplates), so nobody gets an empty message.
func (c *Config) Templates(scenarioID, lang string) MessageTemplates {
	s, ok := c.Scenario(scenarioID)
	if !ok {
		return MessageTemplates{}
	}
	return s.Templates[lang].or(s.Templates[LangDE]).or(BuiltinAlertTemplates(lang))
}

func (m MessageTemplates) or(fb MessageTemplates) MessageTemplates {
	setString(&m.SMS, fb.SMS)
	setString(&m.EmailSubject, fb.EmailSubject)
	setString(&m.EmailBody, fb.EmailBody)
	return m
}

func (s SystemTemplates) or(fb SystemTemplates) SystemTemplates {
	s.Update = s.Update.or(fb.Update)
	s.StandDown = s.StandDown.or(fb.StandDown)
	setString(&s.Replies.Available, fb.Replies.Available)
	setString(&s.Replies.Delayed, fb.Replies.Delayed)
	setString(&s.Replies.Unavailable, fb.Replies.Unavailable)
	setString(&s.Replies.Unknown, fb.Replies.Unknown)
	return s
}

// System returns the texts for situation updates, stand-downs and reply
// confirmations in lang. Each field falls back to the file's German text,
// then to the built-in text in lang, then to the built-in German text.
func (c *Config) System(lang string) SystemTemplates {
	return c.SystemTemplates[lang].
		or(c.SystemTemplates[LangDE]).
		or(BuiltinSystemTemplates(lang)).
		or(BuiltinSystemTemplates(LangDE))
}

// BuiltinSystemTemplates are the texts used where the file's `templates`
// section says nothing. SMS texts are GSM-7 only.
func BuiltinSystemTemplates(lang string) SystemTemplates {
	if lang == LangEN {
		return SystemTemplates{
			Update: MessageTemplates{
				SMS:          "Update {{.Organisation}}: {{.Message}}",
				EmailSubject: "Situation update: {{.Title}}",
				EmailBody:    "Situation update for {{.OrgName}} on {{.Title}}:\n\n{{.Message}}\n",
			},
			StandDown: MessageTemplates{
				SMS:          "All clear {{.Organisation}}: {{.Title}}. {{.Message}}",
				EmailSubject: "All clear: {{.Title}}",
				EmailBody:    "All clear for {{.OrgName}}: {{.Title}}.\n\n{{.Message}}\n\nNo further action is needed unless you are told otherwise.\n",
			},
			Replies: ReplyTemplates{
				Available:   "Thank you, {{.Person}}: you are coming. {{.Title}}",
				Delayed:     "Thank you, {{.Person}}: you are coming in {{.Message}} min.",
				Unavailable: "Thank you, {{.Person}}: you are not available. Your deputy is being alerted.",
				Unknown:     "Reply not understood. Answer 1 = coming, 2 30 = coming in 30 min, 3 = not available.",
			},
		}
	}
	return SystemTemplates{
		Update: MessageTemplates{
			SMS:          "Lage {{.Organisation}}: {{.Message}}",
			EmailSubject: "Lagemeldung: {{.Title}}",
			EmailBody:    "Lagemeldung für {{.OrgName}} zu {{.Title}}:\n\n{{.Message}}\n",
		},
		StandDown: MessageTemplates{
			SMS:          "Entwarnung {{.Organisation}}: {{.Title}}. {{.Message}}",
			EmailSubject: "Entwarnung: {{.Title}}",
			EmailBody:    "Entwarnung für {{.OrgName}}: {{.Title}}.\n\n{{.Message}}\n\nEs ist nichts weiter zu tun, sofern Sie keine andere Weisung erhalten.\n",
		},
		Replies: ReplyTemplates{
			Available:   "Danke, {{.Person}}: Sie kommen. {{.Title}}",
			Delayed:     "Danke, {{.Person}}: Sie kommen in {{.Message}} Min.",
			Unavailable: "Danke, {{.Person}}: Sie sind nicht verfügbar. Ihre Vertretung wird alarmiert.",
			Unknown:     "Antwort nicht verstanden. Antworten Sie 1 = komme, 2 30 = komme in 30 Min, 3 = nicht verfügbar.",
		},
	}
}

// SeverityName returns the localised name of a severity (Störung, Notfall,
// Krise), or the id itself when unknown.
func SeverityName(severity, lang string) string {
	en := lang == LangEN
	switch severity {
	case SeverityDisruption:
		return pick(en, "Disruption", "Störung")
	case SeverityEmergency:
		return pick(en, "Emergency", "Notfall")
	case SeverityCrisis:
		return pick(en, "Crisis", "Krise")
	}
	return severity
}

func pick(en bool, e, d string) string {
	if en {
		return e
	}
	return d
}

// SampleData is realistic TemplateData used to check templates at load and
// for previews (`config check`).
func SampleData(lang string) TemplateData {
	return TemplateData{
		Title:        pick(lang == LangEN, "Cyber attack on the state network", "Cyberangriff auf das Landesnetz"),
		Message:      pick(lang == LangEN, "Crisis staff meets in room 101.", "Stab tritt in Raum 101 zusammen."),
		Organisation: "MI",
		OrgName:      pick(lang == LangEN, "Ministry of the Interior", "Innenministerium"),
		Function:     "it",
		FunctionName: "IT",
		Person:       "Erika Mustermann",
		ReplyCode:    "K7",
		Severity:     SeverityEmergency,
		SeverityName: SeverityName(SeverityEmergency, lang),
		Exercise:     true,
		DeclaredAt:   time.Date(2025, 11, 3, 3, 12, 0, 0, time.UTC),
		Scenario:     "cyberangriff",
	}
}

// ParseTemplate parses a message template the way Kaskade executes it.
func ParseTemplate(name, src string) (*template.Template, error) {
	return template.New(name).Option("missingkey=error").Parse(src)
}

// checkTemplate parses src and executes it against SampleData, so unknown
// fields are found at load. It returns the rendered sample.
func checkTemplate(name, src, lang string) (string, error) {
	t, err := ParseTemplate(name, src)
	if err != nil {
		return "", err
	}
	var b strings.Builder
	if err := t.Execute(&b, SampleData(lang)); err != nil {
		return "", err
	}
	return b.String(), nil
}

// gsm7 is the GSM 03.38 default alphabet plus its extension table. A single
// character outside it turns the whole SMS into UCS-2, which cuts a
// segment from 160 to 70 characters.
const gsm7 = "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?" +
	"¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà" +
	"^{}\\[~]|€\f"

// nonGSM7 returns the characters of s outside the GSM-7 alphabet.
func nonGSM7(s string) string {
	var bad []rune
	for _, r := range s {
		if !strings.ContainsRune(gsm7, r) && !strings.ContainsRune(string(bad), r) {
			bad = append(bad, r)
		}
	}
	return string(bad)
}

// smsWarnings checks a rendered SMS sample.
func smsWarnings(sample string) []string {
	var w []string
	if bad := nonGSM7(sample); bad != "" {
		w = append(w, fmt.Sprintf("SMS text contains characters outside GSM-7 (%q); the message will be sent as UCS-2 with only 70 characters per part", bad))
	}
	if n := utf8.RuneCountInString(sample); n > 100 {
		w = append(w, fmt.Sprintf("SMS text is %d characters with sample data; with the exercise marking and answer instructions it will need more than one SMS", n))
	}
	return w
}
