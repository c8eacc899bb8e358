package alerting

import (
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/kaskade-bcm/kaskade/activation/engine"
	"github.com/kaskade-bcm/kaskade/config"
	"github.com/kaskade-bcm/kaskade/notifiers"
)

func example(t *testing.T) *config.Config {
	t.Helper()
	cfg, probs, err := config.LoadExample()
	if err != nil || probs.Err() != nil {
		t.Fatalf("example: %v %v", err, probs)
	}
	return cfg
}

func TestParseIsStrict(t *testing.T) {
	for name, in := range map[string]string{
		"not json":      `{"scenario":`,
		"unknown field": `{"scenario":"cyberangriff","excercise":true}`,
		"trailing":      `{"scenario":"x"} {"scenario":"y"}`,
		"stray brace":   `{"scenario":"x"}}`,
		"stray bracket": `{"scenario":"x"}]`,
		"wrong type":    `{"scenario":"cyberangriff","exercise":"yes"}`,
	} {
		t.Run(name, func(t *testing.T) {
			if _, err := Parse([]byte(in)); AsError(err).Code != CodeInvalidJSON {
				t.Fatalf("Parse(%s) = %v, want %s", in, err, CodeInvalidJSON)
			}
		})
	}
	d, err := Parse([]byte(`{"id":"x-1","scenario":"cyberangriff","exercise":true,"declared_by":"a","reason":"b"}`))
	if err != nil || !d.Exercise || d.ID != "x-1" {
		t.Fatalf("valid declaration: %+v %v", d, err)
	}
}

func TestResolveValidates(t *testing.T) {
	cfg := example(t)
	ok := Declaration{Scenario: "cyberangriff", DeclaredBy: "Lagedienst", Reason: "Test"}
	cases := []struct {
		name string
		mod  func(d *Declaration)
		code string
	}{
		{"unknown scenario", func(d *Declaration) { d.Scenario = "meteorit" }, CodeUnknownScenario},
		{"unknown organisation", func(d *Declaration) { d.Organisations = []string{"MI", "XX"} }, CodeUnknownOrganisation},
		{"missing reason", func(d *Declaration) { d.Reason = "  " }, CodeMissingReason},
		{"missing declared_by", func(d *Declaration) { d.DeclaredBy = "" }, CodeMissingDeclaredBy},
		{"bad severity", func(d *Declaration) { d.Severity = "apocalypse" }, CodeInvalidSeverity},
		{"bad id", func(d *Declaration) { d.ID = "has space" }, CodeInvalidID},
		{"drill not exercise", func(d *Declaration) { d.Drill = &DrillRequest{} }, CodeInvalidDrill},
		{"drill bad target", func(d *Declaration) { d.Exercise, d.Drill = true, &DrillRequest{Target: "soon"} }, CodeInvalidDrill},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			d := ok
			tc.mod(&d)
			if _, err := Resolve(cfg, d); AsError(err).Code != tc.code {
				t.Fatalf("Resolve = %v, want %s", err, tc.code)
			}
		})
	}
	res, err := Resolve(cfg, ok)
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Plans) != 11 || res.Declared.Severity != "emergency" || res.Declared.Title != "Cyberangriff" {
		t.Fatalf("defaults from the scenario: %d plans, %+v", len(res.Plans), res.Declared)
	}
	d := ok
	d.Organisations, d.Exercise, d.Drill = []string{"MI", "MI"}, true, &DrillRequest{DeputiesOnly: true, Target: "20m"}
	res, err = Resolve(cfg, d)
	if err != nil {
		t.Fatal(err)
	}
	root := res.Plans[0].Nodes[0]
	if len(res.Plans) != 1 || res.Plans[0].Target.Minutes() != 20 || root.People[0] != "mi-silke-oltmanns" {
		t.Fatalf("deputies-only drill plan: %d plans, target %v, root %v", len(res.Plans), res.Plans[0].Target, root.People)
	}
	// The report names the roles by the configured tier: the root's first person is its deputy.
	if root.FirstTier != 1 {
		t.Fatalf("deputies-only root first tier %d, want 1", root.FirstTier)
	}
}

func TestErrorUnwrapsUnavailable(t *testing.T) {
	err := fmt.Errorf("declare: %w", unavailable(errors.New("nats: timeout")))
	if !errors.Is(err, engine.ErrUnavailable) || !errors.Is(err, notifiers.ErrUnavailable) {
		t.Fatalf("%v does not unwrap to engine.ErrUnavailable", err)
	}
	if AsError(err).Code != CodeUnavailable {
		t.Fatalf("code %q, want %q", AsError(err).Code, CodeUnavailable)
	}
}

// A declaration or warning above what the streams keep is refused before
// it is decoded, with too_long (the stream does not store it either).
func TestOversizedInputIsRefusedUndecoded(t *testing.T) {
	in, _, layout := intakeOnNATS(t)
	big := `{"scenario":"cyberangriff","declared_by":"a","reason":"` + strings.Repeat("a", engine.MaxDeclarationBytes) + `"}`
	if _, err := Parse([]byte(big)); AsError(err).Code != CodeTooLong {
		t.Fatalf("Parse of %d bytes: %v, want %s", len(big), err, CodeTooLong)
	}
	capDoc := "<alert>" + strings.Repeat(" ", engine.MaxWarningBytes) + "</alert>"
	if _, err := in.warning(t.Context(), layout.CAPSenderSubject("mowas"), []byte(capDoc)); AsError(err).Code != CodeTooLong {
		t.Fatalf("warning of %d bytes: %v, want %s", len(capDoc), err, CodeTooLong)
	}
}
