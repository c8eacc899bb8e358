package alerting

import (
	"strings"
	"testing"
)

// A key given twice (also in another case, which encoding/json matches to
// the same field) is refused: the last one used to win silently, so
// {"exercise": true, "exercise": false} declared a real incident.
func TestDuplicateKeysAreRefused(t *testing.T) {
	const base = `"scenario":"cyberangriff","reason":"Test","declared_by":"Lagedienst"`
	tests := []struct {
		name, body, dup string // dup: "" when the declaration is fine
	}{
		{"each key once", `{` + base + `,"exercise":true,"drill":{"target":"20m"}}`, ""},
		{"same key in two objects", `{` + base + `,"exercise":true,"drill":{"announced":true},"title":"announced"}`, ""},
		{"exercise twice", `{` + base + `,"exercise":true,"exercise":false}`, "exercise"},
		{"exercise in another case", `{` + base + `,"exercise":true,"Exercise":false}`, "Exercise"},
		{"long s folds to s", `{` + base + `,"exercise":true,"exerciſe":false}`, "exerciſe"},
		{"in the drill", `{` + base + `,"exercise":true,"drill":{"target":"20m","target":"5h"}}`, "drill.target"},
		{"scenario twice", `{"scenario":"pandemie",` + base + `,"exercise":true}`, "scenario"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := DuplicateKey([]byte(tt.body)); got != tt.dup {
				t.Fatalf("DuplicateKey = %q, want %q", got, tt.dup)
			}
			_, err := Parse([]byte(tt.body))
			if tt.dup == "" {
				if err != nil {
					t.Fatalf("Parse: %v", err)
				}
				return
			}
			if e := AsError(err); e.Code != CodeInvalidJSON || !strings.Contains(e.Message, `"`+tt.dup+`" twice`) {
				t.Fatalf("Parse: %v, want invalid_json naming %q", err, tt.dup)
			}
		})
	}
	if got := DuplicateKey([]byte(`[{"a":1},{"a":2},{"b":[{"c":1,"C":2}]}]`)); got != "[2].b[0].C" {
		t.Errorf("path in arrays: %q", got)
	}
}
