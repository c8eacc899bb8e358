package report

import (
	"bytes"
	"strings"
	"testing"

	"github.com/kaskade-bcm/kaskade/activation"
)

// TestReportNamesProposerAndConfirmer: an incident declared by confirming
// a warning's proposal names both, in JSON and in both languages' HTML; a
// direct declaration names only who declared.
func TestReportNamesProposerAndConfirmer(t *testing.T) {
	h := &harness{t: t, c: activation.NewCore(), now: t0, id: "K-2026-009"}
	h.input(activation.Input{Declare: &activation.Declared{ID: h.id, ReplyCode: "K9", Scenario: "hochwasser",
		Title: "Amtliche UNWETTERWARNUNG", Severity: "crisis", DeclaredBy: "Lagedienst", Reason: "Pegel der Leine steigen",
		Source: "api", DeclaredAt: t0, Orgs: []string{"MI"},
		ProposedBy: &activation.ProposedBy{Proposal: "P-9b05a5b99a", Source: "cap", SourceID: "CAP@dwd.de,2.49.0.0.276", By: "dwd"}},
		Plans: []activation.Plan{planMI()}})
	r, err := Build(h.events, testOpts())
	if err != nil {
		t.Fatal(err)
	}
	if r.ProposedBy == nil || r.ProposedBy.By != "dwd" || r.ProposedBy.Proposal != "P-9b05a5b99a" || r.DeclaredBy != "Lagedienst" {
		t.Fatalf("report proposed by %+v, declared by %q", r.ProposedBy, r.DeclaredBy)
	}
	var js bytes.Buffer
	if err := r.WriteJSON(&js); err != nil || !strings.Contains(js.String(), `"proposed_by"`) || !strings.Contains(js.String(), `"by": "dwd"`) {
		t.Errorf("JSON lacks the proposer (%v):\n%.600s", err, js.String())
	}
	for lang, want := range map[string][]string{
		"de": {"Vorgeschlagen von (Warnung)", "dwd (cap, Meldung CAP@dwd.de,2.49.0.0.276; Vorschlag P-9b05a5b99a)", "Bestätigt und ausgerufen von", "Lagedienst"},
		"en": {"Proposed by (warning)", "dwd (cap, message CAP@dwd.de,2.49.0.0.276; proposal P-9b05a5b99a)", "Confirmed and declared by"},
	} {
		var b bytes.Buffer
		if err := r.WriteHTML(&b, lang); err != nil {
			t.Fatal(err)
		}
		for _, w := range want {
			if !strings.Contains(b.String(), w) {
				t.Errorf("%s report lacks %q", lang, w)
			}
		}
	}

	direct, err := Build(scenarioNormal(t), testOpts())
	if err != nil {
		t.Fatal(err)
	}
	var b bytes.Buffer
	if err := direct.WriteHTML(&b, "de"); err != nil {
		t.Fatal(err)
	}
	if direct.ProposedBy != nil || strings.Contains(b.String(), "Vorgeschlagen") || !strings.Contains(b.String(), "Ausgerufen von") {
		t.Errorf("a direct declaration shows a proposer: %+v", direct.ProposedBy)
	}
}
