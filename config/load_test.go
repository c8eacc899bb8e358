package config

import (
	"fmt"
	"strings"
	"testing"
)

// base is a small valid configuration that the cases below break one
// thing at a time.
const base = `version: 1
functions:
  - id: lead
    name: {de: Stabsleitung}
  - id: it
    name: {de: IT}
  - id: personnel
    name: {de: Personal}
organisations:
  - id: MI
    name: {de: Innenministerium}
    readiness:
      required: {lead: 1, it: 1}
people:
  - id: a
    name: Anna A
    organisation: MI
    mobile: "+49 151 00001001"
    functions: [lead]
  - id: b
    name: Bernd B
    organisation: MI
    mobile: "0151 00001002"
    functions: [lead]
  - id: c
    name: Carla C
    organisation: MI
    mobile: "+4915100001003"
    email: carla.c@mi.niedersachsen.example
    functions: [it]
  - id: d
    name: Dieter D
    organisation: MI
    mobile: "+4915100001004"
    functions: [it]
call_trees:
  - id: mi
    organisation: MI
    nodes:
      - function: lead
        person: a
        deputies: [b]
        children:
          - function: it
            person: c
            deputies: [d]
scenarios:
  - id: s
    name: {de: Szenario}
    severity: emergency
    templates:
      de: {sms: "{{.SeverityName}} {{.Organisation}}: {{.Title}}"}
`

// edit replaces old (which must occur in base) with new.
func edit(t *testing.T, old, new string) string {
	t.Helper()
	if !strings.Contains(base, old) {
		t.Fatalf("base does not contain %q", old)
	}
	return strings.Replace(base, old, new, 1)
}

// markedLine returns the 1-based line holding "# HERE".
func markedLine(t *testing.T, src string) int {
	t.Helper()
	for i, l := range strings.Split(src, "\n") {
		if strings.Contains(l, "# HERE") {
			return i + 1
		}
	}
	t.Fatalf("no # HERE marker in\n%s", src)
	return 0
}

func testEnv(name string) string {
	if name == "SET_VAR" {
		return "s3cr3t-value"
	}
	return ""
}

func TestBaseIsValid(t *testing.T) {
	cfg, probs, err := LoadBytes("base.yaml", []byte(base), testEnv)
	if err != nil || probs.Err() != nil {
		t.Fatalf("base: err=%v\n%s", err, probs)
	}
	if len(probs) != 0 {
		t.Errorf("base has problems:\n%s", probs)
	}
	if cfg == nil {
		t.Fatal("nil config")
	}
}

func TestProblems(t *testing.T) {
	tests := []struct {
		name     string
		old, new string // edit of base; new carries a "# HERE" marker
		severity Severity
		path     string
		message  string // substring
	}{
		{"unknown top-level key", "version: 1\n", "version: 1\ncolour: red # HERE\n",
			Error, "colour", `unknown key "colour"`},
		{"unknown nested key", "    mobile: \"+49 151 00001001\"\n", "    mobil: \"+49 151 00001001\" # HERE\n",
			Error, "people[0].mobil", `unknown key "mobil" (did you mean "mobile"?)`},
		{"unknown key deep in call tree", "            deputies: [d]\n", "            deputies: [d]\n            deputy: x # HERE\n",
			Error, "call_trees[0].nodes[0].children[0].deputy", `unknown key "deputy"`},
		{"repeated key", "    name: Bernd B\n", "    name: Bernd B\n    name: Bernd C # HERE\n",
			Error, "people[1].name", "appears twice"},
		{"repeated key in a large mapping", "      required: {lead: 1, it: 1}\n", "      required: {lead: 1, it: 1, " + manyKeys(smallMapping) + "it: 2} # HERE\n",
			Error, "organisations[0].readiness.required.it", "appears twice (first at line"},
		{"duplicate person id", "  - id: b\n", "  - id: a # HERE\n",
			Error, "people[1].id", `duplicate person id "a" (first at line 15)`},
		{"duplicate function id", "  - id: personnel\n", "  - id: it # HERE\n",
			Error, "functions[2].id", `duplicate function id "it"`},
		{"dangling deputy", "        deputies: [b]\n", "        deputies: [x] # HERE\n",
			Error, "call_trees[0].nodes[0].deputies[0]", `unknown person "x"`},
		{"dangling node person", "            person: c\n", "            person: zz # HERE\n",
			Error, "call_trees[0].nodes[0].children[0].person", `unknown person "zz"`},
		{"dangling person organisation", "    organisation: MI\n    mobile: \"0151", "    organisation: MX # HERE\n    mobile: \"0151",
			Error, "people[1].organisation", `unknown organisation "MX"`},
		{"dangling function", "    functions: [lead]\n  - id: b", "    functions: [boss] # HERE\n  - id: b",
			Error, "people[0].functions[0]", `unknown function "boss"`},
		{"dangling node function", "          - function: it\n", "          - function: itt # HERE\n",
			Error, "call_trees[0].nodes[0].children[0].function", `unknown function "itt"`},
		{"dangling scenario organisation", "    severity: emergency\n", "    severity: emergency\n    organisations: [MI, MZ] # HERE\n",
			Error, "scenarios[0].organisations[1]", `unknown organisation "MZ"`},
		{"dangling defaults policy", "version: 1\n", "version: 1\ndefaults:\n  policy: nope # HERE\n",
			Error, "defaults.policy", `unknown policy "nope"`},
		{"bad duration", "version: 1\n", "version: 1\ndefaults:\n  wait: 10x # HERE\n",
			Error, "defaults.wait", `invalid duration "10x"`},
		{"duration without unit", "version: 1\n", "version: 1\ndefaults:\n  target: 30 # HERE\n",
			Error, "defaults.target", `invalid duration "30"`},
		{"negative duration", "            deputies: [d]\n", "            deputies: [d]\n            wait: -5m # HERE\n",
			Error, "call_trees[0].nodes[0].children[0].wait", "must not be negative"},
		{"bad severity", "    severity: emergency\n", "    severity: high # HERE\n",
			Error, "scenarios[0].severity", "severity must be disruption, emergency or crisis"},
		{"invalid phone", "\"+49 151 00001001\"", "\"-- / --\" # HERE",
			Error, "people[0].mobile", `"-- / --" is not a phone number`},
		{"mobile with letters", "\"+49 151 00001001\"", "\"0151 KASKADE1\" # HERE",
			Error, "people[0].mobile", `"0151 KASKADE1" contains letters`},
		{"mobile with letters in international form", "\"+49 151 00001001\"", "\"+49 151 CALL 1001\" # HERE",
			Error, "people[0].mobile", "contains letters"},
		{"node wait 0s", "            deputies: [d]\n", "            deputies: [d]\n            wait: 0s # HERE\n",
			Error, "call_trees[0].nodes[0].children[0].wait", "wait 0s is not allowed: leave wait out to use the policy's wait (10m unless set)"},
		{"policy wait 0", "version: 1\n", "version: 1\npolicies:\n  - id: p\n    wait: 0m # HERE\n    steps: [{channel: sms}]\n",
			Error, "policies[0].wait", "wait 0m is not allowed: leave wait out to use defaults.wait"},
		{"defaults wait 0", "version: 1\n", "version: 1\ndefaults:\n  wait: 0s # HERE\n",
			Error, "defaults.wait", "wait 0s is not allowed"},
		{"node wait 1ns", "            deputies: [d]\n", "            deputies: [d]\n            wait: 1ns # HERE\n",
			Error, "call_trees[0].nodes[0].children[0].wait", "wait must be at least 1s"},
		{"policy wait 500ms", "version: 1\n", "version: 1\npolicies:\n  - id: p\n    wait: 500ms # HERE\n    steps: [{channel: sms}]\n",
			Error, "policies[0].wait", "wait must be at least 1s"},
		{"landline", "\"+49 151 00001001\"", "\"0511 123\" # HERE",
			Error, "people[0].mobile", `"0511 123" is a landline, not a mobile number`},
		{"duplicate mobile", "\"0151 00001002\"", "\"+4915100001001\" # HERE",
			Error, "people[1].mobile", "is also the mobile of a"},
		{"bad email", "carla.c@mi.niedersachsen.example", "carla.c(at)mi # HERE",
			Error, "people[2].email", "is not an email address"},
		{"missing env secret", "version: 1\n", "version: 1\nserver:\n  ack_keys:\n    - {env: UNSET_VAR} # HERE\n",
			Error, "server.ack_keys[0]", "environment variable UNSET_VAR is not set"},
		{"missing secret file", "version: 1\n", "version: 1\nserver:\n  ack_keys:\n    - {file: /nonexistent/key} # HERE\n",
			Error, "server.ack_keys[0]", "cannot read secret file"},
		{"secret with unknown key", "version: 1\n", "version: 1\nserver:\n  ack_keys:\n    - {vault: x} # HERE\n",
			Error, "server.ack_keys[0].vault", `unknown key "vault"`},
		{"bad language", "    functions: [lead]\n  - id: b", "    functions: [lead]\n    language: fr # HERE\n  - id: b",
			Error, "people[0].language", `language must be de or en, got "fr"`},
		{"required function without node", "      required: {lead: 1, it: 1}\n", "      required: {lead: 1, it: 1, personnel: 1} # HERE\n",
			Error, "organisations[0].readiness.required.personnel", `no node in call tree "mi" covers function "personnel"`},
		{"required more people than named", "      required: {lead: 1, it: 1}\n", "      required: {lead: 1, it: 3} # HERE\n",
			Error, "organisations[0].readiness.required.it", "3 people required"},
		{"version", "version: 1\n", "version: 2 # HERE\n",
			Error, "version", "version must be 1, got 2"},
		{"person twice in tree", "            deputies: [d]\n", "            deputies: [d, a] # HERE\n",
			Error, "call_trees[0].nodes[0].children[0].deputies[1]", `person "a" appears twice in call tree "mi"`},
		{"id not a subject token", "  - id: MI\n", "  - id: M.I # HERE\n",
			Error, "organisations[0].id", "may only contain letters, digits, _ and -"},
		{"no German templates", "    templates:\n      de: {sms:", "    templates: # HERE\n      en: {sms:",
			Error, "scenarios[0].templates", "German templates (de) are required"},
		{"template syntax", "{{.Title}}\"}", "{{.Title\"} # HERE",
			Error, "scenarios[0].templates.de.sms", "invalid template"},
		{"template unknown field", "{{.Title}}\"}", "{{.Titel}}\"} # HERE",
			Error, "scenarios[0].templates.de.sms", "can't evaluate field Titel"},
		{"system template", "version: 1\n", "version: 1\ntemplates:\n  de:\n    replies:\n      available: \"{{.Nobody}}\" # HERE\n",
			Error, "templates.de.replies.available", "can't evaluate field Nobody"},
		{"steps out of order", "version: 1\n", "version: 1\npolicies:\n  - id: p\n    steps:\n      - {channel: sms, after: 5m}\n      - {channel: email, after: 1m} # HERE\n",
			Error, "policies[0].steps[1].after", "steps must be in time order"},
		{"bad channel", "version: 1\n", "version: 1\npolicies:\n  - id: p\n    steps:\n      - {channel: pigeon} # HERE\n",
			Error, "policies[0].steps[0].channel", "channel must be sms, voice, email or console"},
		{"bad token", "version: 1\n", "version: 1\ntokens:\n  - name: t\n    role: admin\n    sha256: abc # HERE\n",
			Error, "tokens[0].sha256", "must be 64 hex digits"},
		{"bad role", "version: 1\n", "version: 1\ntokens:\n  - name: t\n    role: root # HERE\n    sha256: " + strings.Repeat("ab", 32) + "\n",
			Error, "tokens[0].role", "role must be viewer, duty_officer, admin or intake"},
		{"proposal rule unknown scenario", "version: 1\n", "version: 1\nproposal_rules:\n  - scenario: flut # HERE\n    events: [X]\n",
			Error, "proposal_rules[0].scenario", `unknown scenario "flut"`},
		{"proposal rule bad severity", "version: 1\n", "version: 1\nproposal_rules:\n  - scenario: s\n    min_severity: severe # HERE\n",
			Error, "proposal_rules[0].min_severity", "min_severity must be one of Minor, Moderate, Severe, Extreme"},
		{"proposal rule labels for CAP", "version: 1\n", "version: 1\nproposal_rules:\n  - scenario: s\n    labels: {a: b} # HERE\n",
			Error, "proposal_rules[0].labels", "set source: alertmanager"},
		{"proposal rule bad source", "version: 1\n", "version: 1\nproposal_rules:\n  - scenario: s\n    source: mowas # HERE\n    events: [X]\n",
			Error, "proposal_rules[0].source", "source must be cap or alertmanager"},
		{"proposal rule unknown key", "version: 1\n", "version: 1\nproposal_rules:\n  - scenario: s\n    event: [X] # HERE\n",
			Error, "proposal_rules[0].event", `unknown key "event"`},
		{"proposal rule unknown organisation", "version: 1\n", "version: 1\nproposal_rules:\n  - scenario: s\n    events: [X]\n    organisations: [XX] # HERE\n",
			Error, "proposal_rules[0].organisations[0]", `unknown organisation "XX"`},
		{"proposal rule empty event", "version: 1\n", "version: 1\nproposal_rules:\n  - scenario: s\n    events: [\"\"] # HERE\n",
			Error, "proposal_rules[0].events[0]", "must not be empty"},
		{"wrong type", "version: 1\n", "version: 1\nchannels:\n  console:\n    disabled: maybe # HERE\n",
			Error, "channels.console.disabled", `expected true or false, got "maybe"`},
		{"list expected", "    functions: [lead]\n  - id: b", "    functions: lead # HERE\n  - id: b",
			Error, "people[0].functions", `expected a list, got "lead"`},

		// Warnings.
		{"proposal rule without conditions", "version: 1\n", "version: 1\nproposal_rules:\n  - scenario: s # HERE\n",
			Warning, "proposal_rules[0]", "matches every warning"},
		{"no deputy", "            deputies: [d]\n", "            deputies: [] # HERE\n",
			Warning, "call_trees[0].nodes[0].children[0].deputies", "BSI 200-4 asks for at least one deputy per role"},
		{"email only by missing mobiles", "      required: {lead: 1, it: 1}\n", "      required: {lead: 1, it: 1} # HERE\n",
			Warning, "organisations[0].readiness.required.it", `function "it" can only be reached by email`},
		{"plain secret", "version: 1\n", "version: 1\nserver:\n  ack_keys:\n    - hunter2 # HERE\n",
			Warning, "server.ack_keys[0]", "secret written in the file; use {env: …} or {file: …}"},
		{"short node wait", "            deputies: [d]\n", "            deputies: [d]\n            wait: 20s # HERE\n",
			Warning, "call_trees[0].nodes[0].children[0].wait", "shorter than 1m"},
		{"non-GSM SMS", "{{.Title}}\"}", "{{.Title}} – bitte kommen\"} # HERE",
			Warning, "scenarios[0].templates.de.sms", "outside GSM-7"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			src := edit(t, tt.old, tt.new)
			if tt.name == "email only by missing mobiles" {
				src = strings.Replace(src, "    mobile: \"+4915100001003\"\n", "", 1)
				src = strings.Replace(src, "    mobile: \"+4915100001004\"\n", "    email: d@mi.niedersachsen.example\n", 1)
			}
			line := markedLine(t, src)
			cfg, probs, err := LoadBytes("test.yaml", []byte(src), testEnv)
			if err != nil {
				t.Fatalf("error result is for I/O only, got %v", err)
			}
			if (probs.Err() != nil) != (cfg == nil) {
				t.Errorf("config must be nil exactly when there are errors; errors=%v cfg=%v", probs.Err(), cfg != nil)
			}
			for _, p := range probs {
				if p.Severity == tt.severity && p.Path == tt.path && p.Line == line && strings.Contains(p.Message, tt.message) {
					if p.File != "test.yaml" {
						t.Errorf("file = %q", p.File)
					}
					return
				}
			}
			t.Errorf("want %v at test.yaml:%d: %s: …%s…\ngot:\n%s", tt.severity, line, tt.path, tt.message, probs)
		})
	}
}

// manyKeys returns n mapping entries "k0: 1, k1: 1, …, " for a flow mapping.
func manyKeys(n int) string {
	var b strings.Builder
	for i := range n {
		fmt.Fprintf(&b, "k%d: 1, ", i)
	}
	return b.String()
}

func TestMalformedYAML(t *testing.T) {
	for _, src := range []string{
		"version: 1\nfunctions:\n  - id: lead\n   name: x\n",
		"version: 1\npeople: [\n",
		"version: 1\n\tfunctions: []\n",
	} {
		_, probs, err := LoadBytes("bad.yaml", []byte(src), nil)
		if err != nil {
			t.Fatal(err)
		}
		if len(probs) != 1 || probs[0].Line == 0 || !strings.HasPrefix(probs[0].Message, "invalid YAML: ") {
			t.Errorf("%q: want one YAML problem with a line, got:\n%s", src, probs)
		}
	}
	_, probs, _ := LoadBytes("empty.yaml", nil, nil)
	if probs.Err() == nil || !strings.Contains(probs.String(), "file is empty") {
		t.Errorf("empty file: %s", probs)
	}
}

// TestCollectsAll checks that loading goes on after the first problem.
func TestCollectsAll(t *testing.T) {
	src := strings.NewReplacer(
		"version: 1", "version: 3",
		"severity: emergency", "severity: bad",
		"\"0511", "x",
		"+49 151 00001001", "0511 123",
	).Replace(base) + "extra: 1\n"
	_, probs, _ := LoadBytes("all.yaml", []byte(src), nil)
	if n := len(probs.Errors()); n < 4 {
		t.Errorf("want at least 4 errors, got %d:\n%s", n, probs)
	}
	for i := 1; i < len(probs); i++ {
		if probs[i].Line != 0 && probs[i].Line < probs[i-1].Line {
			t.Errorf("problems not in line order:\n%s", probs)
		}
	}
}

func TestLoadMissingFile(t *testing.T) {
	_, _, err := Load(t.TempDir() + "/nope.yaml")
	if err == nil {
		t.Fatal("want an I/O error")
	}
}

func TestFoldedDeputyWarnings(t *testing.T) {
	path, data := benchFiles(t, 2, 5)
	_, probs, err := LoadBytes(path, data, benchEnv)
	if err != nil || probs.Err() != nil {
		t.Fatalf("err=%v\n%s", err, probs)
	}
	var got []string
	for _, p := range probs.Warnings() {
		if strings.Contains(p.Message, "has no deputy") {
			got = append(got, fmt.Sprintf("%d %s: %s", p.Line, p.Path, p.Message))
		}
	}
	want := []string{
		// Line 30 holds the first node of the first tree.
		`30 call_trees[0].nodes[0].deputies: required function "staff" has no deputy at 5 nodes of call tree "t0" (people "p000000", "p000001", "p000002" and 2 more); BSI 200-4 asks for at least one deputy per role`,
		`39 call_trees[1].nodes[0].deputies: required function "staff" has no deputy at 5 nodes of call tree "t1" (people "p000005", "p000006", "p000007" and 2 more); BSI 200-4 asks for at least one deputy per role`,
		`48 call_trees[2].nodes[0].deputies: required function "staff" has no deputy (person "tt1"); BSI 200-4 asks for at least one deputy per role`,
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("got\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}
