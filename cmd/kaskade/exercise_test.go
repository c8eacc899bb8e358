package main

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/kaskade-bcm/kaskade/activation"
	"github.com/kaskade-bcm/kaskade/cmd/internal/server"
	"github.com/kaskade-bcm/kaskade/config"
	"github.com/kaskade-bcm/kaskade/notifiers"
	"github.com/kaskade-bcm/kaskade/notifiers/twilio/twiliotest"
)

// An exercise and a real incident run at once for the same people: replies
// need the code, land in the right incident, and the markings never mix.
func TestExerciseAndRealIncidentStayApart(t *testing.T) {
	e := startSMS(t, twiliotest.Options{})
	var out map[string]any
	if code := e.api("POST", "/api/v1/incidents", map[string]any{"scenario": "cyberangriff", "reason": "Übung", "exercise": true}, &out); code != 201 {
		t.Fatalf("declare exercise: %d", code)
	}
	if code := e.api("POST", "/api/v1/incidents", map[string]any{"scenario": "cyberangriff", "reason": "Echter Angriff", "exercise": false}, &out); code != 201 {
		t.Fatalf("declare real: %d", code)
	}
	waitFor(t, "two alerts to the lead", func() bool { return len(e.messagesTo("+4915100001001")) == 2 })
	for _, m := range e.messagesTo("+4915100001001") {
		exercise := strings.Contains(m.Body, "(K1)")
		if exercise != strings.HasPrefix(m.Body, "ÜBUNG") {
			t.Errorf("marking mixed up: %q", m.Body)
		}
	}
	// Without a code Kaskade does not guess.
	code, twiml := e.reply("+4915100001001", "1")
	if code != 200 || !strings.Contains(twiml, "Mehrere Alarmierungen offen") || !strings.Contains(twiml, "K1: UBUNG") && !strings.Contains(twiml, "K1: ÜBUNG") {
		t.Fatalf("ambiguous reply: %d %s", code, twiml)
	}
	if k, _, _, _ := answerOf(e.Server, "K1", "lead1"); k != "" {
		t.Fatal("ambiguous reply recorded in the exercise")
	}
	// With the code it goes to the real incident only, confirmed without ÜBUNG.
	code, twiml = e.reply("+4915100001001", "1 K2")
	if code != 200 || strings.Contains(twiml, "ÜBUNG") || !strings.Contains(twiml, "Danke") {
		t.Fatalf("reply to K2: %d %s", code, twiml)
	}
	k1, _, _, _ := answerOf(e.Server, "K1", "lead1")
	k2, _, _, _ := answerOf(e.Server, "K2", "lead1")
	if k1 != "" || k2 != activation.Available {
		t.Fatalf("answers: exercise %q, real %q", k1, k2)
	}
	v1, _ := e.Engine.Incident("K1")
	v2, _ := e.Engine.Incident("K2")
	if !v1.Exercise || v2.Exercise {
		t.Fatalf("exercise flags: K1 %v, K2 %v", v1.Exercise, v2.Exercise)
	}
}

func TestConvertAbortDrillAndReport(t *testing.T) {
	rec := &recorder{}
	s := startTest(t, t.TempDir(), rec, nil)
	var out map[string]any
	if code := s.api("POST", "/api/v1/incidents", map[string]any{"scenario": "cyberangriff", "organisations": []string{"MI"}, "reason": "Übung", "exercise": true}, &out); code != 201 {
		t.Fatal(code)
	}
	people := primaries(t, s.Config, "MI")
	waitFor(t, "alert", func() bool { return len(rec.to(people["lead"], notifiers.PurposeAlert)) == 1 })
	// Converting needs a reason and an exercise.
	if code := s.api("POST", "/api/v1/incidents/K1/convert", map[string]any{}, &out); code != 400 {
		t.Fatalf("convert without reason: %d", code)
	}
	var v activation.IncidentView
	if code := s.api("POST", "/api/v1/incidents/K1/convert", map[string]any{"reason": "Angriff bestätigt"}, &v); code != 200 {
		t.Fatalf("convert: %d", code)
	}
	if v.Exercise || v.ConvertedAt == nil || v.ConvertedBy != "admin" {
		t.Fatalf("after convert: exercise %v at %v by %q", v.Exercise, v.ConvertedAt, v.ConvertedBy)
	}
	waitFor(t, "real alert", func() bool { return len(rec.to(people["lead"], notifiers.PurposeConvert)) == 1 })
	if m := rec.to(people["lead"], notifiers.PurposeConvert)[0]; !strings.HasPrefix(m.Text, "ECHTFALL, KEINE ÜBUNG MEHR") || m.Exercise {
		t.Fatalf("conversion message %q (exercise %v)", m.Text, m.Exercise)
	}
	if code := s.api("POST", "/api/v1/incidents/K1/abort", map[string]any{}, &out); code != 409 {
		t.Fatalf("abort of a real incident: %d, want 409", code)
	}

	// A drill for deputies only: the first wave goes to the lead's deputy.
	d := map[string]any{"scenario": "cyberangriff", "organisations": []string{"MF"}, "reason": "Vertretungsübung", "exercise": true,
		"drill": map[string]any{"announced": false, "deputies_only": true, "target": "20m"}}
	if code := s.api("POST", "/api/v1/incidents", d, &v); code != 201 {
		t.Fatalf("drill: %d", code)
	}
	tree, _ := s.Config.TreeFor("MF")
	var lead, deputy string
	tree.WalkIndex(func(i, _ int, n *config.Node) {
		if i == 0 {
			lead, deputy = n.Person, n.Deputies[0]
		}
	})
	waitFor(t, "deputy alerted", func() bool { return len(rec.to(deputy, notifiers.PurposeAlert)) == 1 })
	if len(rec.to(lead, notifiers.PurposeAlert)) != 0 {
		t.Fatal("primary alerted in a deputies-only drill")
	}
	v, _ = s.Engine.Incident("K2")
	if v.Drill == nil || !v.Drill.DeputiesOnly || v.Organisations[0].TargetSeconds != 1200 || !strings.HasPrefix(v.Title, "Alarmierungsübung") {
		t.Fatalf("drill view %+v target %d", v.Drill, v.Organisations[0].TargetSeconds)
	}
	if code := s.api("POST", "/api/v1/incidents/K2/responses", map[string]any{"person": deputy, "kind": "available"}, &out); code != 200 {
		t.Fatal(code)
	}
	// Abort it in one action: everyone reached is told.
	if code := s.api("POST", "/api/v1/incidents/K2/abort", map[string]any{}, &v); code != 200 || v.Status != "stood_down" {
		t.Fatalf("abort: %d %s", code, v.Status)
	}
	waitFor(t, "abort message", func() bool { return len(rec.to(deputy, notifiers.PurposeStandDown)) == 1 })
	if m := rec.to(deputy, notifiers.PurposeStandDown)[0]; !strings.Contains(m.Text, "Übung abgebrochen") {
		t.Fatalf("abort text %q", m.Text)
	}

	// The after-action report comes from the event log.
	body := s.get(t, "/api/v1/incidents/K2/report")
	for _, want := range []string{"ÜBUNG", "<svg", "Übungsbericht"} {
		if !strings.Contains(body, want) {
			t.Errorf("report lacks %q", want)
		}
	}
	if csv := s.get(t, "/api/v1/incidents/K2/report?format=csv"); !strings.HasPrefix(csv, "incident,") {
		t.Errorf("CSV starts %q", csv[:min(40, len(csv))])
	}
	if hist := s.get(t, "/api/v1/exercises?format=json"); !strings.Contains(hist, `"K2"`) {
		t.Errorf("history lacks the drill: %.200s", hist)
	}
	// And from the CLI.
	var stdout, stderr bytes.Buffer
	file := t.TempDir() + "/bericht.html"
	if rc := run(context.Background(), []string{"report", "K2", "--server", s.URL, "--token", s.token, "-o", file}, nil, &stdout, &stderr); rc != 0 {
		t.Fatalf("kaskade report: %d %s", rc, stderr.String())
	}
}

func (s *testServer) get(t *testing.T, path string) string {
	t.Helper()
	req, _ := http.NewRequest("GET", s.URL+path, nil)
	req.Header.Set("Authorization", "Bearer "+s.token)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != 200 {
		t.Fatalf("GET %s: %d %s", path, resp.StatusCode, b)
	}
	return string(b)
}

// Simulated responders answer exercises through the signed SMS webhook and
// never answer a real incident.
func TestSimulatedRespondersUseTheRealWebhooks(t *testing.T) {
	e := startSMS(t, twiliotest.Options{}, func(o *server.Options) {
		o.Simulate, o.SimulateMix, o.SimulateDelay = true, "available=100", "5ms-20ms"
	})
	var out map[string]any
	if code := e.api("POST", "/api/v1/incidents", map[string]any{"scenario": "cyberangriff", "reason": "Simulation", "exercise": true}, &out); code != 201 {
		t.Fatal(code)
	}
	waitFor(t, "exercise ready by simulated answers", func() bool {
		v, _ := e.Engine.Incident("K1")
		return v.Organisations[0].State == activation.Ready
	})
	// The projection may show a decision a moment before its events are in
	// the log: wait for the log to hold the answers.
	sms := 0
	waitFor(t, "simulated SMS answers in the log", func() bool {
		events, err := e.Engine.Events(context.Background(), "K1")
		if err != nil {
			t.Fatal(err)
		}
		sms = 0
		for _, ev := range events {
			if ev.Kind == activation.KindResponse && ev.Response.Source == activation.SourceSMS {
				sms++
			}
		}
		return sms >= 2
	})
	// A real incident is never answered by the simulation.
	if code := e.api("POST", "/api/v1/incidents", map[string]any{"scenario": "cyberangriff", "reason": "Echt", "exercise": false}, &out); code != 201 {
		t.Fatal(code)
	}
	waitFor(t, "real alert sent", func() bool { return len(e.messagesTo("+4915100001001")) == 2 })
	time.Sleep(200 * time.Millisecond) // far beyond the simulated delay
	if k, _, _, _ := answerOf(e.Server, "K2", "lead1"); k != "" {
		t.Fatalf("the simulation answered a real incident: %q", k)
	}
}
