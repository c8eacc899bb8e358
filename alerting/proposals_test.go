package alerting_test

import (
	"errors"
	"os"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/kaskade-bcm/kaskade/activation"
	"github.com/kaskade-bcm/kaskade/alerting"
	"github.com/kaskade-bcm/kaskade/config"
)

func exampleConfig(t *testing.T) *config.Config {
	t.Helper()
	cfg, probs, err := config.LoadExample()
	if err != nil || probs.Err() != nil {
		t.Fatalf("example: %v %v", err, probs)
	}
	return cfg
}

func sample(t *testing.T, name string) []byte {
	t.Helper()
	b, err := os.ReadFile("proposal/testdata/" + name)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestWarningInputs(t *testing.T) {
	cfg := exampleConfig(t)
	tests := []struct {
		name, source, file string
		check              func(t *testing.T, ins []activation.Input)
	}{
		{"DWD rain proposes the flood", "cap", "dwd-unwetter.xml", func(t *testing.T, ins []activation.Input) {
			p := ins[0].Propose
			if len(ins) != 1 || p == nil || p.Scenario != "hochwasser" || p.Rule != 1 || strings.Join(p.Organisations, ",") != "MU,MI,ML" ||
				p.Kind != activation.WarningNew || p.By != "dwd" || ins[0].Incident != alerting.ProposalID("cap", p.SourceID) {
				t.Fatalf("inputs %+v / %+v", ins, p)
			}
		}},
		{"CAP cancel withdraws", "cap", "dwd-cancel.xml", func(t *testing.T, ins []activation.Input) {
			w := ins[0].Withdraw
			if len(ins) != 1 || w == nil || len(w.References) != 1 || ins[0].Incident != alerting.ProposalID("cap", w.References[0]) ||
				w.Reason != "Aufhebung der UNWETTERWARNUNG" {
				t.Fatalf("inputs %+v / %+v", ins, w)
			}
		}},
		{"one Alertmanager group, one proposal", "alertmanager", "alertmanager.json", func(t *testing.T, ins []activation.Input) {
			p := ins[0].Propose
			if len(ins) != 1 || p == nil || p.SourceID != `{}:{alertname="FachverfahrenDown"}` || len(p.Alerts) != 2 ||
				p.Alerts[0].Status != "firing" || p.Alerts[1].Status != "resolved" || p.Scenario != "cyberangriff" || p.Labels["category"] != "cyber" {
				t.Fatalf("inputs %+v / %+v", ins, p)
			}
		}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			ws, err := alerting.ParseWarnings(tc.source, sample(t, tc.file))
			if err != nil {
				t.Fatal(err)
			}
			tc.check(t, alerting.WarningInputs(cfg, ws, "dwd"))
		})
	}
	if _, err := alerting.ParseWarnings("cap", []byte("<alert/>")); alerting.AsError(err).Code != alerting.CodeInvalidWarning {
		t.Errorf("error %v, want %s", err, alerting.CodeInvalidWarning)
	}
}

func TestConfirmRequestDeclaration(t *testing.T) {
	yes, no := true, false
	p := activation.ProposalView{ID: "P-1", Headline: "x" + strings.Repeat("Ä", 150), Scenario: "hochwasser",
		Organisations: []string{"MU", "MI"}}
	tests := []struct {
		name     string
		req      alerting.ConfirmRequest
		scenario string
		orgs     string
		code     string
	}{
		{"the suggestion", alerting.ConfirmRequest{Exercise: &no, Reason: "x"}, "hochwasser", "MU,MI", ""},
		{"other organisations", alerting.ConfirmRequest{Exercise: &yes, Reason: "x", Organisations: []string{"MI"}}, "hochwasser", "MI", ""},
		{"other scenario: its organisations", alerting.ConfirmRequest{Exercise: &yes, Reason: "x", Scenario: "stromausfall"}, "stromausfall", "", ""},
		{"exercise or real unsaid", alerting.ConfirmRequest{Reason: "x"}, "", "", alerting.CodeMissingExercise},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			d, err := tc.req.Declaration(p, "Lagedienst")
			if tc.code != "" {
				if e := alerting.AsError(err); e.Code != tc.code {
					t.Fatalf("error %v, want %s", err, tc.code)
				}
				return
			}
			if err != nil || d.Scenario != tc.scenario || strings.Join(d.Organisations, ",") != tc.orgs || d.DeclaredBy != "Lagedienst" ||
				!utf8.ValidString(d.Title) || len(d.Title) > 204 {
				t.Fatalf("declaration %+v, %v", d, err)
			}
		})
	}
	none := activation.ProposalView{ID: "P-2"}
	if _, err := (alerting.ConfirmRequest{Exercise: &yes, Reason: "x"}).Declaration(none, "x"); !errors.As(err, new(*alerting.Error)) ||
		alerting.AsError(err).Code != alerting.CodeUnknownScenario {
		t.Errorf("no suggestion and no choice: %v", err)
	}
}
