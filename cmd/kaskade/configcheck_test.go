package main

import (
	"bytes"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/kaskade-bcm/kaskade/config"
)

// countyConfig has a county with a long name, whose alert SMS needs two
// segments although the sample name (Innenministerium) fits in one, and
// only SMS templates (emails fall back to the built-in texts).
const countyConfig = `version: 1
server: {sms_segment_budget: 1}
functions: [{id: lead, name: {de: Stabsleitung, en: Head of staff}}]
organisations:
  - {id: LK, name: {de: Landkreis Göttingen mit der Stadt Hann. Münden und dem Gemeindefreien Gebiet Solling}, readiness: {required: {lead: 1}}}
people:
  - {id: a, name: Anna A, organisation: LK, mobile: "+4915100001001", functions: [lead]}
  - {id: b, name: Bob B, organisation: LK, mobile: "+4915100001002", functions: [lead]}
call_trees: [{id: lk, organisation: LK, nodes: [{person: a, deputies: [b]}]}]
scenarios:
  - id: hochwasser
    name: {de: Hochwasser}
    severity: crisis
    templates:
      de: {sms: "{{.SeverityName}} {{.OrgName}}: {{.Title}}"}
`

func writeConfig(t *testing.T, src string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "kaskade.yaml")
	if err := os.WriteFile(path, []byte(src), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

// The segment estimate is an upper bound: it uses the longest organisation
// name, not a sample, and warns above server.sms_segment_budget.
func TestConfigCheckEstimatesSegmentsWithTheLongestNames(t *testing.T) {
	path := writeConfig(t, countyConfig)
	var out, errOut bytes.Buffer
	if code := configCmd([]string{"check", path}, &out, &errOut); code != 0 {
		t.Fatalf("exit %d\n%s%s", code, out.String(), errOut.String())
	}
	want := "warning: scenario hochwasser (de): alert SMS"
	if !strings.Contains(out.String(), want) || !strings.Contains(out.String(), "2 segment(s)") || !strings.Contains(out.String(), "LK") {
		t.Fatalf("want a two-segment warning naming LK:\n%s", out.String())
	}
}

// config check says where alert texts fall back to the built-in ones.
func TestConfigCheckNamesTemplateFallbacks(t *testing.T) {
	path := writeConfig(t, countyConfig)
	var out, errOut bytes.Buffer
	configCmd([]string{"check", path}, &out, &errOut)
	if !strings.Contains(out.String(), "scenario hochwasser (de): email_subject, email_body: built-in text") {
		t.Fatalf("no note on the built-in email texts:\n%s", out.String())
	}
}

// --help prints the usage instead of being opened as a file.
func TestConfigCheckHelp(t *testing.T) {
	for _, args := range [][]string{{"check", "--help"}, {"check", "-h"}, {"--help"}, {"help"}} {
		var out, errOut bytes.Buffer
		code := configCmd(args, &out, &errOut)
		all := out.String() + errOut.String()
		if code != 0 || !strings.Contains(all, "usage: kaskade config check [FILE]") || strings.Contains(all, "no such file") {
			t.Errorf("%v: exit %d\n%s", args, code, all)
		}
	}
}

// TestConfigCheckOutputIsStable: the segment report lists each scenario's
// languages in order, so two runs print the same (map order must not leak).
func TestConfigCheckOutputIsStable(t *testing.T) {
	cfg, _, err := config.LoadExample()
	if err != nil {
		t.Fatal(err)
	}
	first := segmentWarnings(cfg)
	if len(first) < 2 {
		t.Fatalf("the example should report segments for several templates, got %v", first)
	}
	for range 20 {
		if again := segmentWarnings(cfg); !slices.Equal(first, again) {
			t.Fatalf("segment report changed between runs:\n%v\n%v", first, again)
		}
	}
	for i := 1; i < len(first); i++ {
		prev, cur := first[i-1], first[i]
		// Within one scenario, "(de)" comes before "(en)".
		prevScenario, _, _ := strings.Cut(prev, " (")
		curScenario, _, _ := strings.Cut(cur, " (")
		if prevScenario == curScenario && strings.Contains(prev, "(en)") && strings.Contains(cur, "(de)") {
			t.Fatalf("languages out of order: %q before %q", prev, cur)
		}
	}
}
