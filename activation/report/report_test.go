package report

import (
	"bytes"
	"encoding/csv"
	"encoding/xml"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/kaskade-bcm/kaskade/activation"
	"github.com/kaskade-bcm/kaskade/notifiers"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/")

func golden(t *testing.T, name string, got []byte) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if *update {
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test ./activation/report -update)", err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("%s differs from the golden file; run with -update and review the diff\n--- got ---\n%s", path, got)
	}
}

func secs(s *Span) float64 {
	if s == nil {
		return -1
	}
	return s.Seconds
}

func entry(t *testing.T, r *Report, person string) PersonEntry {
	t.Helper()
	for _, e := range r.Timeline {
		if e.Person == person {
			return e
		}
	}
	t.Fatalf("no timeline entry for %s", person)
	return PersonEntry{}
}

func org(t *testing.T, r *Report, id string) OrgFigures {
	t.Helper()
	for _, o := range r.Organisations {
		if o.Org == id {
			return o
		}
	}
	t.Fatalf("no organisation %s", id)
	return OrgFigures{}
}

func function(t *testing.T, o OrgFigures, f string) FunctionFigures {
	t.Helper()
	for _, ff := range o.Functions {
		if ff.Function == f {
			return ff
		}
	}
	t.Fatalf("%s has no function %s", o.Org, f)
	return FunctionFigures{}
}

func channel(r *Report, c string) ChannelFigures {
	for _, cf := range r.Channels {
		if cf.Channel == c {
			return cf
		}
	}
	return ChannelFigures{Channel: c}
}

func expect[T comparable](t *testing.T, what string, got, want T) {
	t.Helper()
	if got != want {
		t.Errorf("%s = %v, want %v", what, got, want)
	}
}

// The expectations below are computed by hand from the scenario comments in
// harness_test.go, not copied from the output.
var scenarios = []struct {
	name   string
	events func(testing.TB) []activation.Event
	rows   int // CSV data rows = people × places in the plans
	check  func(t *testing.T, r *Report)
}{
	{"normal", scenarioNormal, 8, func(t *testing.T, r *Report) {
		expect(t, "exercise", r.Exercise, true)
		expect(t, "to first alert", secs(r.Times.ToFirstAlert), 0)
		expect(t, "to first answer", r.Times.ToFirstAnswer.Text, "3m0s")
		expect(t, "to quorum (MI last, 9m)", secs(r.Times.ToQuorum), 9*60)
		expect(t, "alerted (lead1, it1, it2, mf1, mf3)", r.People.Alerted, 5)
		expect(t, "answered (mf3 silent)", r.People.Answered, 4)
		expect(t, "response rate 4/5", r.People.ResponseRate, 4.0/5)
		expect(t, "reach rate 5/5", r.People.ReachRate, 1.0)
		expect(t, "in plan", r.People.InPlan, 8)
		expect(t, "deputies alerted", r.People.DeputiesAlerted, 1)
		expect(t, "deputies covering", strings.Join(r.People.DeputiesCovering, ","), "it2")
		expect(t, "verdict", r.Verdict.Met, true)
		expect(t, "answer events (lead1 twice)", r.AnswerEvents, 5)
		expect(t, "available people", r.AnswersByKind[activation.Available], 3)
		expect(t, "unavailable people", r.AnswersByKind[activation.Unavailable], 1)
		expect(t, "delayed people (lead1 now available)", r.AnswersByKind[activation.Delayed], 0)
		expect(t, "late answers", len(r.LateAnswers), 0)

		mi := org(t, r, "MI")
		expect(t, "MI ready after", mi.TimeToReady.Text, "9m0s")
		expect(t, "MI within target", mi.ReadyWithinTarget, true)
		expect(t, "MI response rate 3/3", mi.People.ResponseRate, 1.0)
		expect(t, "MI it covered by", function(t, mi, "it").CoveredBy, ByDeputy)
		expect(t, "MI it first available", secs(function(t, mi, "it").TimeToFirstAvailable), 9*60)
		expect(t, "MI lead covered by", function(t, mi, "lead").CoveredBy, ByPrimary)
		expect(t, "MI lead first available (delayed does not count)", secs(function(t, mi, "lead").TimeToFirstAvailable), 8*60)
		mf := org(t, r, "MF")
		expect(t, "MF ready after", secs(mf.TimeToReady), 4*60)
		expect(t, "MF response rate 1/2", mf.People.ResponseRate, 0.5)
		expect(t, "MF exhausted nodes", len(mf.Exhausted), 1)
		expect(t, "MF exhausted function", mf.Exhausted[0].Function, "communication")
		expect(t, "MF exhausted at 14m", mf.Exhausted[0].At, t0.Add(14*time.Minute))

		lead1 := entry(t, r, "lead1")
		expect(t, "lead1 state: latest answer", lead1.Answer, activation.Available)
		expect(t, "lead1 response time: first answer", lead1.ResponseTime.Text, "3m0s")
		expect(t, "lead1 ETA gone with the later answer", lead1.ETA == nil, true)
		it2 := entry(t, r, "it2")
		expect(t, "it2 alert reason", it2.AlertReason, "unavailable")
		expect(t, "it2 covered as deputy", it2.CoveredAsDeputy, true)
		expect(t, "it2 tier", it2.Tier, 1)
		expect(t, "lead2 alerted", entry(t, r, "lead2").Alerted, false)

		sms := channel(r, "sms")
		expect(t, "sms delivered", sms.Delivered, 4)
		expect(t, "sms sent", sms.Sent, 1)
		expect(t, "sms failed", sms.Failed, 0)
		last := r.Series[len(r.Series)-1]
		expect(t, "series answered", last.Answered, 4)
		expect(t, "series available", last.Available, 3)
		expect(t, "series end minute", last.Minutes, 20.0)
	}},
	{"no_answers", scenarioSilent, 5, func(t *testing.T, r *Report) {
		expect(t, "to first answer", r.Times.ToFirstAnswer == nil, true)
		expect(t, "quorum", r.Times.Quorum == nil, true)
		expect(t, "alerted (lead1, lead2, it1, it2)", r.People.Alerted, 4)
		expect(t, "answered", r.People.Answered, 0)
		expect(t, "response rate", r.People.ResponseRate, 0.0)
		expect(t, "reach rate (no receipts)", r.People.ReachRate, 0.0)
		expect(t, "deputies alerted", r.People.DeputiesAlerted, 2)
		expect(t, "verdict", r.Verdict.Met, false)
		expect(t, "stood down", r.StoodDownAt == nil, true)
		mi := org(t, r, "MI")
		expect(t, "MI ready", mi.ReadyAt == nil, true)
		expect(t, "MI final state", mi.FinalState, activation.AtRisk)
		expect(t, "MI exhausted lead at 20m", len(mi.Exhausted) == 1 && mi.Exhausted[0].Function == "lead" && mi.Exhausted[0].At.Equal(t0.Add(20*time.Minute)), true)
		expect(t, "it covered", function(t, mi, "it").CoveredBy, ByNone)
		expect(t, "series: start and end only", len(r.Series), 2)
		expect(t, "series end (report time, open incident)", r.Series[1].Minutes, 120.0)
		expect(t, "it2 alerted at 30m", *entry(t, r, "it2").AlertedAt, t0.Add(30*time.Minute))
	}},
	{"late_answers", scenarioLate, 5, func(t *testing.T, r *Report) {
		expect(t, "late answers", len(r.LateAnswers), 2)
		expect(t, "late 1", r.LateAnswers[0].Person+" "+string(r.LateAnswers[0].Kind), "it1 available")
		expect(t, "late 2", r.LateAnswers[1].Person+" "+string(r.LateAnswers[1].Kind), "lead1 unavailable")
		expect(t, "answer events before stand-down", r.AnswerEvents, 1)
		expect(t, "alerted (lead1, it1 by cascade)", r.People.Alerted, 2)
		expect(t, "answered (it1 only late)", r.People.Answered, 1)
		expect(t, "response rate 1/2", r.People.ResponseRate, 0.5)
		expect(t, "quorum", r.Times.Quorum == nil, true)
		expect(t, "verdict", r.Verdict.Met, false)
		mi := org(t, r, "MI")
		expect(t, "it not covered by the late answer", function(t, mi, "it").CoveredBy, ByNone)
		expect(t, "lead1 state keeps the answer before the stand-down", entry(t, r, "lead1").Answer, activation.Available)
		expect(t, "it1 state", entry(t, r, "it1").Answer, activation.ResponseKind(""))
		expect(t, "it1 late answer listed", len(entry(t, r, "it1").Answers), 1)
		expect(t, "stood down at 5m", *r.StoodDownAt, t0.Add(5*time.Minute))
		expect(t, "series end", r.Series[len(r.Series)-1].Minutes, 5.0)
	}},
	{"failed_sms", scenarioFailedSMS, 5, func(t *testing.T, r *Report) {
		expect(t, "exercise", r.Exercise, false)
		expect(t, "to first answer", r.Times.ToFirstAnswer.Text, "4m0s")
		expect(t, "to quorum", r.Times.ToQuorum.Text, "6m0s")
		expect(t, "verdict", r.Verdict.Met, true)
		sms, email := channel(r, "sms"), channel(r, "email")
		expect(t, "sms failed", sms.Failed, 1)
		expect(t, "sms unknown", sms.Unknown, 1)
		expect(t, "email delivered", email.Delivered, 1)
		expect(t, "responses by email", r.ResponsesBySource["email"], 1)
		expect(t, "responses by sms", r.ResponsesBySource["sms"], 1)
		mi := org(t, r, "MI")
		expect(t, "failed deliveries", mi.DeliveriesFailed, 1)
		expect(t, "unknown deliveries", mi.DeliveriesUnknown, 1)
		expect(t, "reached 2/2 (email; answer)", mi.People.ReachRate, 1.0)
		lead1 := entry(t, r, "lead1")
		expect(t, "lead1 first note", lead1.Notifications[0].Channel+"/"+string(lead1.Notifications[0].State)+"/"+lead1.Notifications[0].Code, "sms/failed/30006")
		expect(t, "lead1 second note", lead1.Notifications[1].Channel+"/"+string(lead1.Notifications[1].State), "email/delivered")
		expect(t, "lead1 email at once (1m)", lead1.Notifications[1].At, t0.Add(time.Minute))
		expect(t, "no deputy", r.People.DeputiesAlerted, 0)
	}},
	{"voice", scenarioVoice, 8, func(t *testing.T, r *Report) {
		voice, sms := channel(r, "voice"), channel(r, "sms")
		expect(t, "call alerts (lead1, mf1, it1, mf3)", voice.Alerts, 4)
		expect(t, "calls (and mf1's stand-down)", voice.Requested, 5)
		expect(t, "calls answered by a person", voice.Delivered, 1)
		expect(t, "answering machines, not counted as failed", voice.Machine, 1)
		expect(t, "calls failed (busy)", voice.Failed, 1)
		expect(t, "keypad answers", voice.Answers, 2)
		expect(t, "SMS answers", sms.Answers, 1)
		expect(t, "keypad answers by source", r.ResponsesBySource["voice"], 2)
		lead1 := entry(t, r, "lead1")
		expect(t, "lead1 answered by keypad", lead1.AnswerSource, "voice")
		expect(t, "lead1 not reached by the machine, by the SMS", lead1.Notifications[1].Channel+"/"+string(lead1.Notifications[1].State), "sms/delivered")
		expect(t, "SMS after the machine at once", lead1.Notifications[1].At, t0.Add(time.Minute))
	}},
}

func TestReports(t *testing.T) {
	for _, sc := range scenarios {
		t.Run(sc.name, func(t *testing.T) {
			r, err := Build(sc.events(t), testOpts())
			if err != nil {
				t.Fatal(err)
			}
			sc.check(t, r)

			var js bytes.Buffer
			if err := r.WriteJSON(&js); err != nil {
				t.Fatal(err)
			}
			golden(t, sc.name+".json", js.Bytes())

			var c bytes.Buffer
			if err := r.WriteCSV(&c); err != nil {
				t.Fatal(err)
			}
			recs, err := csv.NewReader(&c).ReadAll()
			if err != nil {
				t.Fatalf("CSV does not parse: %v", err)
			}
			if len(recs) != 1+sc.rows || !slices.Equal(recs[0], csvHeader()) {
				t.Fatalf("CSV: %d records (want header + %d), header %v", len(recs), sc.rows, recs[0])
			}

			for _, lang := range []string{"de", "en"} {
				var h bytes.Buffer
				if err := r.WriteHTML(&h, lang); err != nil {
					t.Fatal(err)
				}
				checkHTML(t, h.String(), r.Exercise, lang)
			}
		})
	}
}

func checkHTML(t *testing.T, page string, exercise bool, lang string) {
	t.Helper()
	if got := strings.Count(page, "<svg"); got != 2 {
		t.Errorf("%s: %d <svg> elements, want 2", lang, got)
	}
	if banner := strings.Contains(page, `<div class="banner" role="note">`) && strings.Contains(page, "ÜBUNG"); banner != exercise {
		t.Errorf("%s: ÜBUNG banner shown = %v for exercise = %v", lang, banner, exercise)
	}
	for _, bad := range []string{"<script", "http://", "https://", "<link", "@import", "ZgotmplZ"} {
		// The SVG namespace is the one URL allowed: it names, it does not load.
		if strings.Contains(strings.ReplaceAll(page, `xmlns="http://www.w3.org/2000/svg"`, ""), bad) {
			t.Errorf("%s: page contains %q", lang, bad)
		}
	}
	title := map[string]map[bool]string{"de": {true: "Übungsbericht", false: "Einsatzbericht"}, "en": {true: "After-action report (exercise)", false: "After-action report"}}
	if !strings.Contains(page, title[lang][exercise]) {
		t.Errorf("%s: title %q missing", lang, title[lang][exercise])
	}
	if lang == "de" && (!strings.Contains(page, `lang="de"`) || !strings.Contains(page, "Rückmeldequote")) {
		t.Error("German page lacks lang or umlauts")
	}
	wellFormed(t, page)
}

// wellFormed checks that every element is closed in order, with HTML's void
// elements allowed (x/net/html is not a dependency of the module).
func wellFormed(t *testing.T, page string) {
	t.Helper()
	d := xml.NewDecoder(strings.NewReader(strings.TrimPrefix(page, "<!DOCTYPE html>")))
	d.Strict = false
	d.AutoClose = xml.HTMLAutoClose
	d.Entity = xml.HTMLEntity
	var stack []string
	for {
		tok, err := d.Token()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			t.Fatalf("HTML not well-formed: %v", err)
		}
		switch e := tok.(type) {
		case xml.StartElement:
			stack = append(stack, e.Name.Local)
		case xml.EndElement:
			if len(stack) == 0 || stack[len(stack)-1] != e.Name.Local {
				t.Fatalf("HTML: </%s> closes %v", e.Name.Local, stack)
			}
			stack = stack[:len(stack)-1]
		}
	}
	if len(stack) != 0 {
		t.Fatalf("HTML: unclosed %v", stack)
	}
}

func ev(kind string, at time.Duration, set func(*activation.Event)) activation.Event {
	e := activation.Event{V: 1, Incident: "K9", Kind: kind, At: t0.Add(at)}
	set(&e)
	return e
}

func TestBuildErrors(t *testing.T) {
	decl := ev(activation.KindDeclared, 0, func(e *activation.Event) { e.Declared = &activation.Declared{ID: "K9"} })
	other := decl
	other.Incident = "K10"
	resp := ev(activation.KindResponse, time.Minute, func(e *activation.Event) {
		e.Response = &activation.Response{Person: "x", Kind: activation.Available}
	})
	for _, tc := range []struct {
		name   string
		events []activation.Event
		want   error
	}{
		{"empty", nil, ErrNoDeclaration},
		{"no declaration", []activation.Event{resp}, ErrNoDeclaration},
		{"two incidents", []activation.Event{decl, other}, ErrMixedLog},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if _, err := Build(tc.events, Options{}); !errors.Is(err, tc.want) {
				t.Fatalf("err = %v, want %v", err, tc.want)
			}
		})
	}
}

// TestHandWrittenEdges covers what the core does not produce in a short
// scenario: a late receipt that must not overwrite a final state, a
// readiness event after the stand-down, an answer before any alert.
func TestHandWrittenEdges(t *testing.T) {
	plan := planMI()
	plan.Nodes[0].People = []string{"lead1"}
	note := func(at time.Duration, id, person string, node int) activation.Event {
		return ev(activation.KindNotification, at, func(e *activation.Event) {
			e.Notification = &activation.Notification{ID: id, Person: person, Channel: "sms", Purpose: notifiers.PurposeAlert, Org: "MI", Node: node}
		})
	}
	deliv := func(at time.Duration, id string, s notifiers.State) activation.Event {
		return ev(activation.KindDelivery, at, func(e *activation.Event) {
			e.Delivery = &activation.Delivery{Notification: id, State: s}
		})
	}
	respond := func(at time.Duration, person string, k activation.ResponseKind, min int) activation.Event {
		return ev(activation.KindResponse, at, func(e *activation.Event) {
			e.Response = &activation.Response{Person: person, Kind: k, Minutes: min, Source: "web"}
		})
	}
	events := []activation.Event{
		ev(activation.KindDeclared, 0, func(e *activation.Event) { e.Declared = &activation.Declared{ID: "K9", Exercise: true} }),
		ev(activation.KindActivationStarted, 0, func(e *activation.Event) { e.Activation = &plan }),
		note(0, "n1", "lead1", 0), // no tier_alerted: the alert alone counts
		deliv(10*time.Second, "n1", notifiers.StateDelivered),
		deliv(20*time.Second, "n1", notifiers.StateFailed),     // late: delivered is final
		respond(30*time.Second, "it2", activation.Delayed, 15), // before any alert to it2
		respond(2*time.Minute, "lead1", activation.Available, 0),
		ev(activation.KindStoodDown, 3*time.Minute, func(e *activation.Event) { e.StandDown = &activation.StandDown{By: "x"} }),
		ev(activation.KindReadiness, 3*time.Minute, func(e *activation.Event) {
			e.Readiness = &activation.ReadinessChange{Org: "MI", State: activation.Ready}
		}),
	}
	r, err := Build(events, Options{Now: t0.Add(time.Hour)})
	if err != nil {
		t.Fatal(err)
	}
	lead1 := entry(t, r, "lead1")
	expect(t, "lead1 alerted without tier event", lead1.Alerted, true)
	expect(t, "late failed receipt ignored", lead1.Notifications[0].State, notifiers.StateDelivered)
	expect(t, "readiness after stand-down ignored", org(t, r, "MI").ReadyAt == nil, true)
	it2 := entry(t, r, "it2")
	expect(t, "it2 not alerted", it2.Alerted, false)
	expect(t, "it2 ETA", *it2.ETA, t0.Add(30*time.Second+15*time.Minute))
	expect(t, "it2 no response time without alert", it2.ResponseTime == nil, true)
	expect(t, "unalerted answer not in response rate", r.People.Answered, 1)
	expect(t, "first answer counts anyone", secs(r.Times.ToFirstAnswer), 30)
	expect(t, "delayed is not available", function(t, org(t, r, "MI"), "it").Available, 0)
	expect(t, "names default to ids", lead1.Name, "lead1")
}

func TestHistory(t *testing.T) {
	now := time.Date(2027, 6, 1, 10, 0, 0, 0, time.UTC)
	build := func(events []activation.Event, at time.Time) *Report {
		r, err := Build(events, testOpts())
		if err != nil {
			t.Fatal(err)
		}
		r.DeclaredAt = at
		return r
	}
	old := build(scenarioNormal(t), now.AddDate(0, -13, 0))    // MI and MF, 13 months ago
	recent := build(scenarioLate(t), now.AddDate(0, -2, 0))    // MI: lead1, it1 alerted; lead available
	real := build(scenarioFailedSMS(t), now.AddDate(0, -1, 0)) // not an exercise: ignored
	future := build(scenarioSilent(t), now.AddDate(0, 0, 1))   // after now: ignored
	plans := []HistoryPlan{
		{Org: "MI", Tree: "mi-krisenstab", Functions: map[string][]string{"lead": {"lead1", "lead2"}, "it": {"it1", "it2", "it3"}}},
		{Org: "MF", Tree: "mf-krisenstab", Functions: map[string][]string{"lead": {"mf1", "mf2"}, "communication": {"mf3"}}},
	}
	h := History([]*Report{old, recent, real, future}, plans, now)

	expect(t, "exercises", len(h.Exercises), 2)
	expect(t, "newest first", h.Exercises[0].Incident, recent.Incident)
	expect(t, "old exercise share within target", h.Exercises[1].ShareWithinTarget, 1.0)
	expect(t, "old exercise response rate", h.Exercises[1].ResponseRate, 0.8)
	expect(t, "old exercise first answer", h.Exercises[1].TimeToFirstAnswer.Text, "3m0s")

	gapTrees := []string{}
	for _, g := range h.Trees {
		gapTrees = append(gapTrees, g.Tree)
	}
	expect(t, "trees not exercised (MF 13 months ago)", strings.Join(gapTrees, ","), "mf-krisenstab")
	expect(t, "MF tree last exercised", *h.Trees[0].LastExercised, old.DeclaredAt)

	gapFuncs := []string{}
	for _, g := range h.Functions {
		gapFuncs = append(gapFuncs, g.Org+"/"+g.Function)
	}
	// MI/it: only a late answer recently; MF: only 13 months ago; communication never.
	expect(t, "functions not exercised", strings.Join(gapFuncs, ","), "MI/it,MF/communication,MF/lead")

	gapPeople := map[string]*time.Time{}
	for _, g := range h.People {
		gapPeople[g.Person] = g.LastExercised
	}
	for _, p := range []string{"lead2", "it3", "mf2"} {
		if lt, ok := gapPeople[p]; !ok || lt != nil {
			t.Errorf("%s: want listed as never exercised, got %v %v", p, ok, lt)
		}
	}
	for _, p := range []string{"it2", "mf1", "mf3"} {
		if lt, ok := gapPeople[p]; !ok || lt == nil || !lt.Equal(old.DeclaredAt) {
			t.Errorf("%s: want listed as last exercised 13 months ago, got %v %v", p, ok, lt)
		}
	}
	for _, p := range []string{"lead1", "it1"} {
		if _, ok := gapPeople[p]; ok {
			t.Errorf("%s was alerted two months ago but is listed", p)
		}
	}
	expect(t, "people not exercised", len(h.People), 6)

	for _, lang := range []string{"de", "en"} {
		var b bytes.Buffer
		if err := WriteHistoryHTML(&b, h, lang); err != nil {
			t.Fatal(err)
		}
		wellFormed(t, b.String())
		want := map[string]string{"de": "In den letzten 12 Monaten nicht geübt", "en": "Not exercised in the last 12 months"}[lang]
		if !strings.Contains(b.String(), want) || !strings.Contains(b.String(), "mf-krisenstab") {
			t.Errorf("%s history page lacks %q or the tree", lang, want)
		}
	}
}

// TestCSVCallsAndMachines: the CSV counts each person's calls and the
// answering machines among them, and names the channel of the answer.
func TestCSVCallsAndMachines(t *testing.T) {
	r, err := Build(scenarioVoice(t), testOpts())
	if err != nil {
		t.Fatal(err)
	}
	var c bytes.Buffer
	if err := r.WriteCSV(&c); err != nil {
		t.Fatal(err)
	}
	recs, err := csv.NewReader(&c).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	col := map[string]int{}
	for i, h := range recs[0] {
		col[h] = i
	}
	want := map[string][3]string{ // calls, machine_detections, answer_source
		"lead1": {"1", "1", "voice"}, "it1": {"1", "0", "sms"}, "mf1": {"2", "0", "voice"}, "lead2": {"0", "0", ""},
	}
	for _, rec := range recs[1:] {
		w, ok := want[rec[col["person"]]]
		if !ok {
			continue
		}
		got := [3]string{rec[col["calls"]], rec[col["machine_detections"]], rec[col["answer_source"]]}
		if got != w {
			t.Errorf("%s: calls, machines, source %q, want %q", rec[col["person"]], got, w)
		}
		delete(want, rec[col["person"]])
	}
	if len(want) > 0 {
		t.Fatalf("no rows for %v", want)
	}
}

// TestHistoryAfterRetention: once an exercise's people are erased
// (retention), its alerts still count for their places (organisation,
// function, primary or deputy), so nobody shows as untested for it.
func TestHistoryAfterRetention(t *testing.T) {
	now := time.Date(2027, 6, 1, 10, 0, 0, 0, time.UTC)
	recent, err := Build(scenarioLate(t), testOpts()) // MI: lead1, it1 alerted
	if err != nil {
		t.Fatal(err)
	}
	recent.DeclaredAt = now.AddDate(0, -2, 0)
	for i := range recent.Timeline {
		recent.Timeline[i].Person = activation.ErasedPrefix + fmt.Sprint(i)
		recent.Timeline[i].Name = recent.Timeline[i].Person
	}
	plans := []HistoryPlan{{Org: "MI", Tree: "mi-krisenstab", Functions: map[string][]string{"lead": {"lead1", "lead2"}, "it": {"it1", "it2", "it3"}}}}
	h := History([]*Report{recent}, plans, now)
	listed := map[string]bool{}
	for _, g := range h.People {
		listed[g.Person] = true
	}
	if listed["lead1"] || listed["it1"] || !listed["lead2"] || !listed["it3"] {
		t.Fatalf("people not exercised after retention: %v", listed)
	}
}
