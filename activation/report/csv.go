package report

import (
	"encoding/csv"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"

	"github.com/kaskade-bcm/kaskade/activation"
	"github.com/kaskade-bcm/kaskade/notifiers"
)

// csvHeader names the columns of WriteCSV. Kept stable: spreadsheets and
// scripts of the BCM officers refer to the names.
func csvHeader() []string {
	return []string{
		"incident", "exercise", "org", "function", "node", "tier", "person", "name",
		"alerted", "alerted_at", "alert_reason", "reached", "notifications",
		"answer", "answer_minutes", "first_answer_at", "response_seconds", "eta",
		"covered_as_deputy", "answers_after_stand_down", "remark",
		"calls", "machine_detections", "answer_source",
	}
}

// WriteCSV writes the per-person timeline: a header row, then one row per
// timeline entry (person and place in a call tree). The format is RFC 4180
// with commas, UTF-8 without byte order mark; times are RFC 3339 in
// Europe/Berlin with their offset, durations whole seconds, booleans
// true/false, and empty cells where there is no value; a text that starts
// like a formula (=, +, -, @) gets a leading apostrophe. The notifications
// column lists "channel/purpose/state[/code]" joined by " | "; calls counts
// the voice calls among them, machine_detections those an answering machine
// took, answer_source is the channel of the latest answer (voice: keypad).
func (r *Report) WriteCSV(w io.Writer) error {
	loc, err := berlin()
	if err != nil {
		return err
	}
	ts := func(t *time.Time) string {
		if t == nil {
			return ""
		}
		return t.In(loc).Format(time.RFC3339)
	}
	cw := csv.NewWriter(w)
	if err := cw.Write(csvHeader()); err != nil {
		return err
	}
	for _, e := range r.Timeline {
		var notes []string
		for _, nt := range e.Notifications {
			s := fmt.Sprintf("%s/%s/%s", nt.Channel, nt.Purpose, nt.State)
			if nt.Code != "" {
				s += "/" + nt.Code
			}
			notes = append(notes, s)
		}
		calls, machine := 0, 0
		for _, nt := range e.Notifications {
			if nt.Channel == activation.SourceVoice {
				calls++
				if nt.State == notifiers.StateFailed && nt.Code == notifiers.CodeMachine {
					machine++
				}
			}
		}
		late := 0
		for _, a := range e.Answers {
			if a.AfterStandDown {
				late++
			}
		}
		minutes, resp := "", ""
		if e.AnswerMinutes > 0 {
			minutes = strconv.Itoa(e.AnswerMinutes)
		}
		if e.ResponseTime != nil {
			resp = strconv.FormatFloat(e.ResponseTime.Seconds, 'f', -1, 64)
		}
		row := []string{
			r.Incident, strconv.FormatBool(r.Exercise), e.Org, e.Function, strconv.Itoa(e.Node), strconv.Itoa(e.Tier), e.Person, e.Name,
			strconv.FormatBool(e.Alerted), ts(e.AlertedAt), e.AlertReason, strconv.FormatBool(e.Reached), strings.Join(notes, " | "),
			string(e.Answer), minutes, ts(e.FirstAnswerAt), resp, ts(e.ETA),
			strconv.FormatBool(e.CoveredAsDeputy), strconv.Itoa(late), e.AnswerRemark,
			strconv.Itoa(calls), strconv.Itoa(machine), e.AnswerSource,
		}
		for i := range row {
			row[i] = csvCell(row[i])
		}
		if err := cw.Write(row); err != nil {
			return err
		}
	}
	cw.Flush()
	return cw.Error()
}

// csvCell writes a value a spreadsheet would read as a formula (=, +, -, @, tab
// or carriage return first: remarks come from SMS) with a leading apostrophe.
func csvCell(s string) string {
	if s != "" && strings.ContainsRune("=+-@\t\r", rune(s[0])) {
		return "'" + s
	}
	return s
}
