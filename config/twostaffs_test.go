package config

import (
	"strings"
	"testing"
)

// Issue 16.7: a person in the call trees of two organisations is a warning
// that names both staffs and the rule; one tree alone is not.
func TestPersonInTwoStaffsIsAWarning(t *testing.T) {
	const src = `version: 1
functions: [{id: lead, name: {de: Stabsleitung}}]
organisations:
  - {id: MI, name: {de: Innen}, readiness: {required: {lead: 1}}}
  - {id: MF, name: {de: Finanzen}, readiness: {required: {lead: 1}}}
people:
  - {id: a, name: Anna A, organisation: MI, mobile: "+49 151 00001001", functions: [lead]}
  - {id: b, name: Bernd B, organisation: MF, mobile: "+49 151 00001002", functions: [lead]}
call_trees:
  - {id: mi, organisation: MI, nodes: [{function: lead, person: a, deputies: [b]}]}
  - id: mf
    organisation: MF
    nodes:
      - {function: lead, person: b, deputies: [a]}
`
	_, probs, err := LoadBytes("two.yaml", []byte(src), testEnv)
	if err != nil || probs.Err() != nil {
		t.Fatalf("%v %s", err, probs)
	}
	var two []string
	for _, p := range probs.Warnings() {
		if strings.Contains(p.String(), "is also in the staff of") {
			two = append(two, p.String())
		}
	}
	if len(two) != 2 || !strings.Contains(two[0]+two[1], "a is also in the staff of MI") || !strings.Contains(two[0]+two[1], "1 MF") {
		t.Fatalf("warnings %q, want one for a and one for b, naming MI and the reply 1 MF", two)
	}
	if !strings.Contains(strings.Join(two, "\n"), "two.yaml:13") && !strings.Contains(strings.Join(two, "\n"), "two.yaml:14") {
		t.Errorf("warnings without the line of the second tree: %q", two)
	}
}
