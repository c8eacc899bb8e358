package schemas_test

import (
	"encoding/json"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/kaskade-bcm/kaskade/activation"
	"github.com/kaskade-bcm/kaskade/alerting"
)

// TestProposalEventsMatchTheSchema runs real warnings (the DWD and
// Alertmanager samples) through the intake's mapping and the core: received,
// noted, confirmed into a declaration with proposed_by, dismissed, withdrawn.
func TestProposalEventsMatchTheSchema(t *testing.T) {
	cfg := example(t)
	read := func(name string) []byte {
		b, err := os.ReadFile("../../alerting/proposal/testdata/" + name)
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	var ins []activation.Input
	for _, w := range []struct{ source, file string }{{"cap", "dwd-unwetter.xml"}, {"alertmanager", "alertmanager.json"}, {"cap", "dwd-cancel.xml"}} {
		ws, err := alerting.ParseWarnings(w.source, read(w.file))
		if err != nil {
			t.Fatal(err)
		}
		ins = append(ins, alerting.WarningInputs(cfg, ws, "dwd")...)
	}
	amID := ins[1].Incident
	d, err := alerting.Resolve(cfg, alerting.Declaration{Scenario: "cyberangriff", Organisations: []string{"MI"}, Exercise: true,
		DeclaredBy: "Lagedienst", Reason: "Fachverfahren down"})
	if err != nil {
		t.Fatal(err)
	}
	d.Declared.ID, d.Declared.ReplyCode, d.Declared.Source, d.Declared.DeclaredAt = "K1", "K1", "api", time.Date(2026, 12, 3, 8, 0, 0, 0, time.UTC)
	ins = append(ins[:2], activation.Input{Incident: "K1", Declare: &d.Declared, Plans: d.Plans,
		Confirm: &activation.ProposalDecision{Proposal: amID, By: "Lagedienst", Reason: "Fachverfahren down"}}, ins[2])
	other, err := alerting.ParseWarnings("cap", []byte(strings.ReplaceAll(string(read("dwd-unwetter.xml")), "6a41", "6a42")))
	if err != nil {
		t.Fatal(err)
	}
	oi := alerting.WarningInputs(cfg, other, "dwd")[0]
	ins = append(ins, oi, activation.Input{Incident: oi.Incident, Dismiss: &activation.ProposalDecision{Proposal: oi.Incident, By: "Lagedienst", Reason: "nicht betroffen"}})

	c := activation.NewCore()
	schema := compile(t, "event.schema.json")
	kinds := map[string]int{}
	now := time.Date(2026, 12, 3, 8, 0, 0, 0, time.UTC)
	for i, in := range ins {
		in.Seq = uint64(i + 1)
		evs, err := c.Handle(in, now)
		if err != nil {
			t.Fatalf("input %d (%s): %v", i, in.Kind(), err)
		}
		for _, ev := range evs {
			kinds[ev.Kind]++
			data, _ := json.Marshal(ev)
			if err := valid(schema, data); err != nil {
				t.Errorf("%s: %v\n%s", ev.Kind, err, data)
			}
		}
	}
	for _, k := range []string{activation.KindProposalReceived, activation.KindProposalConfirmed, activation.KindProposalDismissed,
		activation.KindProposalWithdrawn, activation.KindDeclared} {
		if kinds[k] == 0 {
			t.Errorf("no %s event (kinds %v)", k, kinds)
		}
	}
	if d, _ := c.Declaration("K1"); d.ProposedBy == nil {
		t.Error("the confirmed declaration does not name its proposal")
	}
}
