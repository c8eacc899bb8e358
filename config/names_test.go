package config

import (
	"strings"
	"testing"
)

// Names may hold any text, but not nothing and not control characters
// other than line breaks: a blank name or an ESC/NUL/tab reached the
// board, SMS, reports and terminals unchecked. Bidi controls are warned.
func TestNamesBlankOrWithControlCharacters(t *testing.T) {
	const src = `version: 1
functions: [{id: lead, name: {de: %FN%}}]
organisations: [{id: MI, name: {de: %ON%, en: %OE%}, readiness: {required: {lead: 1}}}]
people:
  - {id: a, name: %PN%, organisation: MI, mobile: "+49 151 00001001", functions: [lead]}
  - {id: b, name: Bernd B, organisation: MI, mobile: "+49 151 00001002", functions: [lead]}
call_trees: [{id: mi, organisation: MI, nodes: [{person: a, deputies: [b]}]}]
scenarios: [{id: s, name: {de: %SN%}, severity: crisis, templates: {de: {sms: "{{.Title}}"}}}]
`
	ok := map[string]string{"%FN%": "Stabsleitung", "%ON%": "Ministerium für Inneres", "%OE%": "Interior", "%PN%": "Jürgen Größe", "%SN%": "Cyberangriff"}
	tests := []struct {
		name, key, value  string
		wantErr, wantWarn string // substrings; "" for none
	}{
		{"umlauts and ß", "%PN%", `"Jürgen Größe-Weiß"`, "", ""},
		{"right-to-left script", "%PN%", `"محمد الأحمد"`, "", ""},
		{"line break from a spreadsheet", "%PN%", `"François\nDupont"`, "", ""},
		{"blank person name", "%PN%", `"   "`, "b.yaml:5: people[0].name: name is required", ""},
		{"escape in person name", "%PN%", `"Carl\e[2J"`, "people[0].name: name \"Carl\\x1b[2J\" contains the control character U+001B", ""},
		{"tab in function name", "%FN%", `"Stabs\tleitung"`, "functions[0].name.de: name \"Stabs\\tleitung\" contains the control character U+0009", ""},
		{"NUL in organisation name", "%OE%", `"Inte\0rior"`, "organisations[0].name.en: name", ""},
		{"blank English name", "%OE%", `" "`, "organisations[0].name.en: English name is blank", ""},
		{"blank scenario name", "%SN%", `" "`, "scenarios[0].name.de: German name is required", ""},
		{"bidi override", "%PN%", `"Carl\u202Eevil"`, "", "people[0].name: name \"Carl\\u202eevil\" contains the bidi control U+202E"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := src
			for k, v := range ok {
				if k == tt.key {
					v = tt.value
				}
				s = strings.ReplaceAll(s, k, v)
			}
			_, probs, err := LoadBytes("b.yaml", []byte(s), testEnv)
			if err != nil {
				t.Fatal(err)
			}
			errs, warns := probs.Errors().String(), probs.Warnings().String()
			if tt.wantErr == "" && errs != "" || tt.wantErr != "" && !strings.Contains(errs, tt.wantErr) {
				t.Errorf("errors %q, want %q", errs, tt.wantErr)
			}
			if tt.wantWarn != "" && !strings.Contains(warns, tt.wantWarn) {
				t.Errorf("warnings %q, want %q", warns, tt.wantWarn)
			}
		})
	}
}
