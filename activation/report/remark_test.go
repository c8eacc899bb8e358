package report

import (
	"bytes"
	"encoding/csv"
	"strings"
	"testing"
	"time"

	"github.com/kaskade-bcm/kaskade/activation"
)

// TestRemarkInReport: what a person wrote after the answer ("3 krank") is
// in the person's entry, the HTML report and the CSV's remark column; a
// delayed answer without minutes has no ETA.
func TestRemarkInReport(t *testing.T) {
	plan := planMI()
	plan.Nodes[0].People = []string{"lead1"}
	events := []activation.Event{
		ev(activation.KindDeclared, 0, func(e *activation.Event) { e.Declared = &activation.Declared{ID: "K9"} }),
		ev(activation.KindActivationStarted, 0, func(e *activation.Event) { e.Activation = &plan }),
		ev(activation.KindResponse, time.Minute, func(e *activation.Event) {
			e.Response = &activation.Response{Person: "lead1", Kind: activation.Unavailable, Source: "sms", Remark: "bin krank, Fieber"}
		}),
		ev(activation.KindResponse, time.Minute, func(e *activation.Event) {
			e.Response = &activation.Response{Person: "it2", Kind: activation.Delayed, ETAUnknown: true, Source: "sms"}
		}),
	}
	r, err := Build(events, Options{Now: t0.Add(time.Hour)})
	if err != nil {
		t.Fatal(err)
	}
	expect(t, "remark in entry", entry(t, r, "lead1").AnswerRemark, "bin krank, Fieber")
	expect(t, "remark in answers", entry(t, r, "lead1").Answers[0].Remark, "bin krank, Fieber")
	expect(t, "no ETA without minutes", entry(t, r, "it2").ETA == nil, true)
	var c bytes.Buffer
	if err := r.WriteCSV(&c); err != nil {
		t.Fatal(err)
	}
	rows, err := csv.NewReader(&c).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	col := -1
	for i, h := range rows[0] {
		if h == "remark" {
			col = i
		}
	}
	found := false
	for _, row := range rows[1:] {
		found = found || col >= 0 && row[6] == "lead1" && row[col] == "bin krank, Fieber"
	}
	expect(t, "remark column in the CSV", found, true)
	var h bytes.Buffer
	if err := r.WriteHTML(&h, "de"); err != nil {
		t.Fatal(err)
	}
	expect(t, "remark in the HTML report", strings.Contains(h.String(), "bin krank, Fieber"), true)
	expect(t, "ETA unknown in the HTML report", strings.Contains(h.String(), "ETA unbekannt"), true)
}
