package config

import (
	"strings"
	"testing"
)

// A node without a policy runs under its parent's (as the engine's plan
// does), so the reachability warnings check it against that policy: a
// mobile-only person below an email-only parent cannot be reached.
func TestReachabilityFollowsTheParentsPolicy(t *testing.T) {
	const src = `version: 1
functions: [{id: lead, name: {de: Stabsleitung}}, {id: it, name: {de: IT}}]
policies:
  - {id: sms, wait: 5m, steps: [{channel: sms}]}
  - {id: mail, wait: 5m, steps: [{channel: email}]}
organisations: [{id: MI, name: {de: Innen}, call_tree: mi, readiness: {required: {lead: 1}}}]
people:
  - {id: a, name: Anna A, organisation: MI, mobile: "+49 151 00001001", email: a@example.de, functions: [lead]}
  - {id: b, name: Bernd B, organisation: MI, mobile: "+49 151 00001002", functions: [lead]}
  - {id: c, name: Carl C, organisation: MI, mobile: "+49 151 00001003", functions: [it]}
call_trees:
  - id: mi
    organisation: MI
    policy: sms
    nodes:
      - person: a
        deputies: [b]
        policy: mail
        children:
          - {person: c, function: it}
`
	_, probs, err := LoadBytes("p.yaml", []byte(src), testEnv)
	if err != nil || probs.Err() != nil {
		t.Fatalf("%v %s", err, probs)
	}
	var got []string
	for _, w := range probs.Warnings() {
		if strings.Contains(w.Message, "cannot be reached by policy") {
			got = append(got, w.Path+": "+w.Message)
		}
	}
	want := []string{`person "b" cannot be reached by policy "mail"`, `person "c" cannot be reached by policy "mail"`}
	if len(got) != len(want) {
		t.Fatalf("reachability warnings %q, want %d naming b and c under policy mail", got, len(want))
	}
	for i, w := range want {
		if !strings.Contains(got[i], w) {
			t.Errorf("warning %q, want %q", got[i], w)
		}
	}
}
