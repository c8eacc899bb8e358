package config

import (
	"strings"
	"unicode/utf8"
)

// maxSMSChars is what Twilio accepts in one message body.
const maxSMSChars = 1600

// smsNeverFits refuses an alert, update or stand-down SMS template that
// takes more than server.sms_segment_budget even with an empty title,
// message and text: the API measures every declaration, update and
// stand-down with the configuration's longest names and refuses what does
// not fit (too_long), so the scenario could never be declared (or the
// incident never stood down). Severity, answer instructions and the
// exercise marking are left out, and only characters of the GSM-7 alphabet
// are counted (others may be transliterated away): a lower bound, never a
// false alarm.
func (v *validator) smsNeverFits(path, lang, src string) {
	budget := v.c.Server.SMSSegmentBudget
	if src == "" || budget < 1 || budget > MaxSMSSegments {
		return // no template, or a budget reported elsewhere
	}
	t, err := ParseTemplate(path, src)
	if err != nil {
		return // reported by template
	}
	d := v.longestNames(lang)
	var b strings.Builder
	if t.Execute(&b, d) != nil {
		return // depends on the sample data; reported by template if at all
	}
	chars := gsm7Runes(strings.TrimSpace(b.String()))
	if segments := gsm7Segments(chars); segments > budget || chars > maxSMSChars {
		v.errorf(path, "even with an empty title, message and text this SMS takes %d segments (%d characters) with the longest names, "+
			"more than server.sms_segment_budget (%d, at most %d characters): every one would be refused as too long; shorten the template",
			segments, chars, budget, maxSMSChars)
	}
}

// longestNames is template data with the longest person, organisation and
// function names in lang (what the API measures SMS with) and every text
// a declaration chooses left empty. It is computed once per language.
func (v *validator) longestNames(lang string) TemplateData {
	if d, ok := v.longest[lang]; ok {
		return d
	}
	d := TemplateData{ReplyCode: "K1", DeclaredAt: SampleData(lang).DeclaredAt}
	for i := range v.c.People {
		d.Person = longerName(d.Person, v.c.People[i].Name)
	}
	for i := range v.c.Organisations {
		d.Organisation = longerName(d.Organisation, v.c.Organisations[i].ID)
		d.OrgName = longerName(d.OrgName, v.c.Organisations[i].Name.In(lang))
	}
	for i := range v.c.Functions {
		d.Function = longerName(d.Function, v.c.Functions[i].ID)
		d.FunctionName = longerName(d.FunctionName, v.c.Functions[i].Name.In(lang))
	}
	if v.longest == nil {
		v.longest = map[string]TemplateData{}
	}
	v.longest[lang] = d
	return d
}

func longerName(a, b string) string {
	if utf8.RuneCountInString(b) > utf8.RuneCountInString(a) {
		return b
	}
	return a
}

// gsm7Runes counts the characters of s in the GSM-7 alphabet, one unit each:
// they reach the SMS unchanged (config is a leaf and cannot transliterate).
func gsm7Runes(s string) int {
	n := 0
	for _, r := range s {
		if strings.ContainsRune(gsm7, r) {
			n++
		}
	}
	return n
}

// gsm7Segments is how many GSM-7 segments units take: 160 in one SMS,
// 153 per part of a longer one.
func gsm7Segments(units int) int {
	if units <= 160 {
		return 1
	}
	return (units + 152) / 153
}
