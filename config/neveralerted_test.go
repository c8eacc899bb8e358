package config

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// A person in no activated call tree, or a tree no organisation activates,
// loads but is never alerted: each is a warning naming file and line, so
// a person added to people.csv and forgotten in the tree is not dropped
// silently.
func TestPeopleAndTreesNeverAlertedAreWarnings(t *testing.T) {
	const base = `version: 1
functions: [{id: lead, name: {de: Stabsleitung}}]
organisations:
  - {id: MI, name: {de: Innen}, call_tree: mi, readiness: {required: {lead: 1}}}
people:
  - {id: a, name: Anna A, organisation: MI, mobile: "+49 151 00001001", functions: [lead]}
  - {id: b, name: Bernd B, organisation: MI, mobile: "+49 151 00001002", functions: [lead]}
`
	const tree = `call_trees:
  - {id: mi, organisation: MI, nodes: [{person: a, deputies: [b]}]}
`
	const carl = "  - {id: c, name: Carl C, organisation: MI, mobile: \"+49 151 00001003\"}\n"
	tests := []struct {
		name, src, csv string
		want           []string // substrings of the "never alerted" warnings, in line order
	}{
		{name: "everyone in the tree", src: base + tree},
		{name: "YAML person in no tree", src: base + carl + tree,
			want: []string{`x.yaml:8: people[2]: person "c" is in no call tree`}},
		{name: "CSV person in no tree", src: base + "people_file: p.csv\n" + tree,
			csv:  "id;name;organisation;mobile\r\nd;Dörte D;MI;0151 00001004\r\n",
			want: []string{`p.csv:2: person "d" is in no call tree`}},
		{name: "tree no organisation activates", src: base + carl + tree + "  - {id: mi2, organisation: MI, nodes: [{person: c}]}\n",
			want: []string{`x.yaml:8: people[2]: person "c" is in no call tree`, `x.yaml:11: call_trees[1]: call tree "mi2" is activated by no organisation`}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			if tt.csv != "" {
				if err := os.WriteFile(filepath.Join(dir, "p.csv"), []byte(tt.csv), 0o600); err != nil {
					t.Fatal(err)
				}
			}
			path := filepath.Join(dir, "x.yaml")
			if err := os.WriteFile(path, []byte(tt.src), 0o600); err != nil {
				t.Fatal(err)
			}
			_, probs, err := Load(path)
			if err != nil || probs.Err() != nil {
				t.Fatalf("%v %s", err, probs)
			}
			var got []string
			for _, p := range probs.Warnings() {
				if s := p.String(); strings.Contains(s, "never alerted") || strings.Contains(s, "activated by no organisation") {
					got = append(got, s)
				}
			}
			if len(got) != len(tt.want) {
				t.Fatalf("warnings %q, want %d like %q", got, len(tt.want), tt.want)
			}
			for i, w := range tt.want {
				if !strings.Contains(got[i], w) {
					t.Errorf("warning %q, want it to contain %q", got[i], w)
				}
			}
		})
	}
}
