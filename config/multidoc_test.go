package config

import (
	"strings"
	"testing"
)

// Only one YAML document is read; a second one (people appended after a
// "---", two files concatenated) was dropped without a word. It is an
// error naming its line; empty documents and markers around one are fine.
func TestSecondYAMLDocumentIsAnError(t *testing.T) {
	const doc = oneStaff + `scenarios: [{id: s, name: {de: S}, severity: crisis, templates: {de: {sms: "{{.Title}}"}}}]
`
	tests := []struct {
		name, src, want string // want: "" for no error
	}{
		{"one document", doc, ""},
		{"markers around one document", "---\n" + doc + "...\n", ""},
		{"empty second document", doc + "---\n", ""},
		{"second document with people", doc + "---\npeople:\n  - {id: c, name: C, organisation: MI, mobile: \"+49 151 00001003\"}\n",
			"m.yaml:10: a second YAML document (after ---) starts here and would be ignored"},
		{"broken second document", doc + "---\n  - [\n", "m.yaml:11: invalid YAML"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, probs, err := LoadBytes("m.yaml", []byte(tt.src), testEnv)
			if err != nil {
				t.Fatal(err)
			}
			if tt.want == "" {
				if probs.Err() != nil {
					t.Fatalf("want no error, got %s", probs)
				}
				return
			}
			if probs.Err() == nil || !strings.Contains(probs.String(), tt.want) {
				t.Fatalf("problems %q, want %q", probs.String(), tt.want)
			}
		})
	}
}
