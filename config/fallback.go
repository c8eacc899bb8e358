package config

import "slices"

// BuiltinAlertTemplates are the alert texts used where a scenario's
// templates leave a field out (for example a scenario with only an SMS
// text): title, organisation, severity and message. SMS texts are GSM-7.
func BuiltinAlertTemplates(lang string) MessageTemplates {
	if lang == LangEN {
		return MessageTemplates{
			SMS:          "{{.SeverityName}} {{.Organisation}}: {{.Title}}{{if .Message}}. {{.Message}}{{end}}",
			EmailSubject: "{{.SeverityName}} {{.OrgName}}: {{.Title}}",
			EmailBody: "Hello {{.Person}},\n\nIncident:      {{.Title}}\nSeverity:      {{.SeverityName}}\n" +
				"Organisation:  {{.OrgName}}\n{{if .FunctionName}}Your function: {{.FunctionName}}\n{{end}}" +
				"Declared:      {{.DeclaredAt.Format \"02.01.2006 15:04\"}}\n{{if .Message}}\n{{.Message}}\n{{end}}",
		}
	}
	return MessageTemplates{
		SMS:          "{{.SeverityName}} {{.Organisation}}: {{.Title}}{{if .Message}}. {{.Message}}{{end}}",
		EmailSubject: "{{.SeverityName}} {{.OrgName}}: {{.Title}}",
		EmailBody: "Guten Tag {{.Person}},\n\nEreignis:      {{.Title}}\nLage:          {{.SeverityName}}\n" +
			"Organisation:  {{.OrgName}}\n{{if .FunctionName}}Ihre Funktion: {{.FunctionName}}\n{{end}}" +
			"Ausgelöst:     {{.DeclaredAt.Format \"02.01.2006 15:04\"}} Uhr\n{{if .Message}}\n{{.Message}}\n{{end}}",
	}
}

// Fallback says that some of a scenario's texts in Lang are not the
// file's own: From is "de" (the file's German text) or "built-in".
type Fallback struct {
	Scenario string
	Lang     string
	Fields   []string // sms, email_subject, email_body
	From     string
}

// Fallbacks lists where a scenario's alert texts fall back, for `config
// check`; English only when someone reads English.
func (c *Config) Fallbacks() []Fallback {
	langs := []string{LangDE}
	if c.Defaults.Language == LangEN || slices.ContainsFunc(c.People, func(p Person) bool { return p.Language == LangEN }) {
		langs = append(langs, LangEN)
	}
	var out []Fallback
	for i := range c.Scenarios {
		sc := &c.Scenarios[i]
		for _, lang := range langs {
			own, de := sc.Templates[lang], sc.Templates[LangDE]
			for _, from := range []string{LangDE, "built-in"} {
				f := Fallback{Scenario: sc.ID, Lang: lang, From: from}
				for _, t := range []struct{ name, own, de string }{
					{"sms", own.SMS, de.SMS}, {"email_subject", own.EmailSubject, de.EmailSubject}, {"email_body", own.EmailBody, de.EmailBody},
				} {
					if t.own == "" && lang != LangDE && from == LangDE && t.de != "" || t.own == "" && t.de == "" && from == "built-in" {
						f.Fields = append(f.Fields, t.name)
					}
				}
				if len(f.Fields) > 0 {
					out = append(out, f)
				}
			}
		}
	}
	return out
}
