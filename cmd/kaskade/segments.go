package main

import (
	"fmt"
	"strings"
	"unicode/utf8"

	"github.com/kaskade-bcm/kaskade/activation/compose"
	"github.com/kaskade-bcm/kaskade/config"
	"github.com/kaskade-bcm/kaskade/notifiers/gsm7"
)

// smsSize is the size of the longest alert SMS found for one scenario and language.
type smsSize struct {
	Org      string // the organisation whose text it is
	Encoding string
	Segments int
	Units    int
}

// longestAlertSMS renders a scenario's alert SMS in lang as staff get it
// (exercise marking, answer instructions, GSM-7) for each of orgs with the
// longest function and person names, and returns the longest. d carries
// the title, message, severity, exercise flag and reply code.
func longestAlertSMS(cfg *config.Config, scenario, lang string, orgs []string, d config.TemplateData) (smsSize, error) {
	t, err := config.ParseTemplate(scenario, cfg.Templates(scenario, lang).SMS)
	if err != nil {
		return smsSize{}, err
	}
	var worst smsSize
	for _, org := range orgs {
		d.Organisation, d.OrgName = org, ""
		if o, ok := cfg.Organisation(org); ok {
			d.OrgName = o.Name.In(lang)
		}
		for _, f := range longestFunctions(cfg, lang) {
			d.Function, d.FunctionName = f.ID, f.Name.In(lang)
			var b strings.Builder
			if err := t.Execute(&b, d); err != nil {
				return smsSize{}, err
			}
			prefix := ""
			if d.Exercise {
				prefix = compose.ExercisePrefix(lang)
			}
			text := gsm7.Transliterate(prefix + strings.TrimSpace(b.String()) + "\n" + compose.AnswerHint(lang, d.ReplyCode))
			enc, segs, units := gsm7.Segments(text)
			if units > worst.Units {
				worst = smsSize{Org: org, Encoding: enc, Segments: segs, Units: units}
			}
		}
	}
	return worst, nil
}

// longestFunctions returns the functions with the longest id and the
// longest name in lang (one function when that is the same).
func longestFunctions(cfg *config.Config, lang string) []config.Function {
	if len(cfg.Functions) == 0 {
		return []config.Function{{}}
	}
	byID, byName := longest(cfg.Functions, func(f config.Function) string { return f.ID }),
		longest(cfg.Functions, func(f config.Function) string { return f.Name.In(lang) })
	if byID == byName {
		return []config.Function{cfg.Functions[byID]}
	}
	return []config.Function{cfg.Functions[byID], cfg.Functions[byName]}
}

// longestOrgs returns the ids of the organisations among ids with the
// longest id and the longest name in lang.
func longestOrgs(cfg *config.Config, ids []string, lang string) []string {
	name := func(id string) string {
		if o, ok := cfg.Organisation(id); ok {
			return o.Name.In(lang)
		}
		return ""
	}
	byID, byName := longest(ids, func(id string) string { return id }), longest(ids, name)
	if byID == byName {
		return ids[byID : byID+1]
	}
	return []string{ids[byID], ids[byName]}
}

// longestPerson returns the longest person name.
func longestPerson(cfg *config.Config) string {
	if len(cfg.People) == 0 {
		return ""
	}
	return cfg.People[longest(cfg.People, func(p config.Person) string { return p.Name })].Name
}

// longest returns the index of the item whose text is longest once
// transliterated to GSM-7 (0 for an empty list).
func longest[T any](items []T, text func(T) string) int {
	best, bestLen := 0, -1
	for i, it := range items {
		if n := utf8.RuneCountInString(gsm7.Transliterate(text(it))); n > bestLen {
			best, bestLen = i, n
		}
	}
	return best
}

// describe formats an SMS size for `config check` and `declare`.
func (s smsSize) describe() string {
	return fmt.Sprintf("%d %s units, %d segment(s)", s.Units, s.Encoding, s.Segments)
}
