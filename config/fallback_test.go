package config

import (
	"slices"
	"strings"
	"testing"
)

// A scenario with only an SMS template (the README shows one) gets the
// built-in email texts, which carry title, organisation, severity and
// message; Fallbacks says which texts those are.
func TestMissingTemplatesFallBackToBuiltinTexts(t *testing.T) {
	src := strings.Replace(base, "    mobile: \"+4915100001004\"\n", "    mobile: \"+4915100001004\"\n    language: en\n", 1)
	cfg, probs, err := LoadBytes("test.yaml", []byte(src), testEnv)
	if err != nil || cfg == nil {
		t.Fatalf("err=%v\n%s", err, probs)
	}
	data := SampleData(LangDE)
	for _, tc := range []struct {
		lang  string
		wants []string
	}{
		{LangDE, []string{data.Title, data.OrgName, data.SeverityName, data.Message}},
		{LangEN, []string{data.Title, data.OrgName, "Emergency", data.Message}},
	} {
		tpl := cfg.Templates("s", tc.lang)
		if tpl.SMS != "{{.SeverityName}} {{.Organisation}}: {{.Title}}" {
			t.Errorf("%s: the file's SMS template was replaced: %q", tc.lang, tpl.SMS)
		}
		d := SampleData(tc.lang)
		d.OrgName, d.Title, d.Message = data.OrgName, data.Title, data.Message
		for field, src := range map[string]string{"email_subject": tpl.EmailSubject, "email_body": tpl.EmailBody} {
			out, err := render(src, d)
			if err != nil {
				t.Fatalf("%s %s: %v", tc.lang, field, err)
			}
			for _, w := range tc.wants {
				if field == "email_subject" && w == data.Message {
					continue // the message belongs in the body
				}
				if !strings.Contains(out, w) {
					t.Errorf("%s %s %q lacks %q", tc.lang, field, out, w)
				}
			}
		}
	}
	want := []Fallback{
		{Scenario: "s", Lang: LangDE, Fields: []string{"email_subject", "email_body"}, From: "built-in"},
		{Scenario: "s", Lang: LangEN, Fields: []string{"sms"}, From: "de"},
		{Scenario: "s", Lang: LangEN, Fields: []string{"email_subject", "email_body"}, From: "built-in"},
	}
	if got := cfg.Fallbacks(); !slices.EqualFunc(got, want, func(a, b Fallback) bool {
		return a.Scenario == b.Scenario && a.Lang == b.Lang && a.From == b.From && slices.Equal(a.Fields, b.Fields)
	}) {
		t.Errorf("fallbacks\n got %+v\nwant %+v", got, want)
	}
}

// Without English-speaking people, the missing English texts are not worth a note.
func TestNoEnglishFallbacksWithoutEnglishReaders(t *testing.T) {
	cfg, probs, err := LoadBytes("test.yaml", []byte(base), testEnv)
	if err != nil || cfg == nil {
		t.Fatalf("err=%v\n%s", err, probs)
	}
	for _, f := range cfg.Fallbacks() {
		if f.Lang == LangEN {
			t.Errorf("fallback for English without English readers: %+v", f)
		}
	}
}

func render(src string, d TemplateData) (string, error) {
	tp, err := ParseTemplate("t", src)
	if err != nil {
		return "", err
	}
	var b strings.Builder
	err = tp.Execute(&b, d)
	return b.String(), err
}
