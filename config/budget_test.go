package config

import (
	"strings"
	"testing"
)

// An alert, update or stand-down template that exceeds the segment budget
// even with an empty title and text is an error: the API would refuse
// every declaration of the scenario (or every stand-down) as too_long, so
// the configuration must not load with only a warning.
func TestSMSTemplateOverBudgetWithEmptyTextsIsAnError(t *testing.T) {
	long := strings.Repeat("Lorem ipsum dolor ", 30) // 540 characters: 4 segments
	const head = oneStaff
	scenario := func(sms string) string {
		return "scenarios: [{id: s, name: {de: S}, severity: crisis, templates: {de: {sms: \"" + sms + "\"}}}]\n"
	}
	tests := []struct {
		name, src, wantPath string // wantPath: "" for no such error
	}{
		{"short template", head + scenario("{{.Title}}. {{.Message}}"), ""},
		{"long template, larger budget", head + "server: {sms_segment_budget: 4}\n" + scenario(long+"{{.Title}}"), ""},
		{"long alert template", head + scenario(long+"{{.Title}}"), "scenarios[0].templates.de.sms"},
		{"over Twilio's 1600 characters at budget 10", head + "server: {sms_segment_budget: 10}\n" + scenario(strings.Repeat(long, 3)), "scenarios[0].templates.de.sms"},
		{"long stand-down template", head + scenario("{{.Title}}") + "templates: {de: {stand_down: {sms: \"" + long + "{{.Message}}\"}}}\n",
			"templates.de.stand_down.sms"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, probs, err := LoadBytes("b.yaml", []byte(tt.src), testEnv)
			if err != nil {
				t.Fatal(err)
			}
			var got []Problem
			for _, p := range probs.Errors() {
				if strings.Contains(p.Message, "even with an empty title") {
					got = append(got, p)
				}
			}
			if tt.wantPath == "" {
				if len(got) != 0 || probs.Err() != nil {
					t.Fatalf("want no error, got %s", probs)
				}
				return
			}
			if len(got) != 1 || got[0].Path != tt.wantPath || got[0].Line == 0 || !strings.Contains(got[0].Message, "shorten the template") {
				t.Fatalf("want one error at %s with its line, got %s", tt.wantPath, probs)
			}
		})
	}
}

// oneStaff is a configuration of one organisation with a lead and a deputy,
// no scenario: the smallest that loads, for tests to add to.
const oneStaff = `version: 1
functions: [{id: lead, name: {de: Stabsleitung}}]
organisations: [{id: MI, name: {de: Innen}, readiness: {required: {lead: 1}}}]
people:
  - {id: a, name: Anna A, organisation: MI, mobile: "+49 151 00001001", functions: [lead]}
  - {id: b, name: Bernd B, organisation: MI, mobile: "+49 151 00001002", functions: [lead]}
call_trees: [{id: mi, organisation: MI, nodes: [{person: a, deputies: [b]}]}]
`
