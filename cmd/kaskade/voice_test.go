package main

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/kaskade-bcm/kaskade/activation"
	"github.com/kaskade-bcm/kaskade/cmd/internal/server"
	"github.com/kaskade-bcm/kaskade/notifiers/twilio"
	"github.com/kaskade-bcm/kaskade/notifiers/twilio/twiliotest"
)

// voiceConfig: the lead is called on the landline at once, an SMS to the
// mobile is the next step; the deputy after 10 minutes.
const voiceConfig = `version: 1
server:
  public_url: %s
channels:
  console: {as: [email]}
  twilio:
    account_sid: %s
    auth_token: {env: KASKADE_TEST_TWILIO_TOKEN}
    from: "+15005550006"
    api_url: %s
functions:
  - {id: lead, name: {de: Stabsleitung, en: Head}}
organisations:
  - id: MI
    name: {de: Innenministerium, en: Ministry of the Interior}
    call_tree: mi
    readiness: {required: {lead: 1}, target: 30m}
people:
  - {id: lead1, name: Uwe Böhm, organisation: MI, mobile: "+49 151 00001001", phone: "+49 511 1200", functions: [lead]}
  - {id: lead2, name: Silke Oltmanns, organisation: MI, mobile: "+49 151 00001002", functions: [lead]}
policies:
  - id: call-first
    wait: 10m
    steps: [{channel: voice, after: 0s}, {channel: sms, after: 5m, if: no_answer}]
call_trees:
  - id: mi
    organisation: MI
    policy: call-first
    nodes:
      - {function: lead, person: lead1, deputies: [lead2]}
scenarios:
  - id: cyberangriff
    name: {de: Cyberangriff, en: Cyber attack}
    severity: emergency
    templates:
      de: {sms: "{{.SeverityName}} {{.Organisation}}: {{.Title}}. Stab bilden.", email_subject: "{{.Title}}", email_body: "{{.Title}}"}
      en: {sms: "{{.SeverityName}} {{.Organisation}}: {{.Title}}. Convene the staff.", email_subject: "{{.Title}}", email_body: "{{.Title}}"}
`

const leadPhone, leadMobile = "+495111200", "+4915100001001"

func startVoice(t *testing.T, outcome *twiliotest.CallOutcome) *smsEnv {
	t.Helper()
	s, fake, api := startVoiceServer(t, voiceConfig, func(f *twiliotest.Server) {
		if outcome != nil {
			f.SetCallOutcome(leadPhone, *outcome)
		}
	}, nil)
	return &smsEnv{testServer: &testServer{Server: s, t: t, token: s.AdminToken()}, fake: fake, twilioAPI: api}
}

// startVoiceServer runs kaskade with config cfg against a fake Twilio;
// wrap, when set, sees every request to the fake first.
func startVoiceServer(tb testing.TB, cfg string, setup func(*twiliotest.Server), wrap func(http.Handler) http.Handler) (*server.Server, *twiliotest.Server, *httptest.Server) {
	tb.Helper()
	return startWithTwilio(tb, cfg, twiliotest.Options{}, setup, wrap)
}

func (e *smsEnv) declare(exercise bool) {
	e.t.Helper()
	var out map[string]any
	if code := e.api("POST", "/api/v1/incidents", map[string]any{"scenario": "cyberangriff", "reason": "Test", "exercise": exercise}, &out); code != 201 {
		e.t.Fatalf("declare: %d", code)
	}
}

func (e *smsEnv) callTo(number string) twiliotest.Call {
	e.t.Helper()
	var c twiliotest.Call
	waitFor(e.t, "a call to "+number, func() bool {
		for _, x := range e.fake.Calls() {
			if x.To == number {
				c = x
				return true
			}
		}
		return false
	})
	return c
}

func TestVoiceKeypadDelayed(t *testing.T) {
	e := startVoice(t, nil)
	e.declare(true)
	c := e.callTo(leadPhone) // the landline, not the mobile
	waitFor(t, "the call waits for keys", func() bool { c, _ = e.fake.Call(c.SID); return c.Waiting })
	if !strings.HasPrefix(c.Said[0], "Übung") || !strings.Contains(strings.Join(c.Said, " "), "Notfall MI: Cyberangriff") {
		t.Fatalf("the exercise call said %q", c.Said)
	}
	if c.MachineDetection != "DetectMessageEnd" || !c.AsyncAMD || c.From != "+15005550006" {
		t.Fatalf("call %+v", c)
	}
	waitFor(t, "delivered", func() bool { return e.personState("lead1").Notification == "delivered" })
	said, err := e.fake.Press(context.Background(), c.SID, "220#")
	if err != nil {
		t.Fatal(err)
	}
	if got := strings.Join(said, " "); !strings.Contains(got, "Minuten") || !strings.Contains(got, "20") {
		t.Fatalf("said back %q", said)
	}
	p := e.personState("lead1")
	if p.Answer != activation.Delayed || p.ETA == nil || p.ETA.Sub(*p.AnsweredAt) != 20*time.Minute {
		t.Fatalf("lead1 = %+v", p)
	}
	if len(e.messagesTo(leadMobile)) != 0 {
		t.Fatal("an SMS went out although the call was answered")
	}
	// Recorded as a response with source voice.
	resp, err := http.Get(e.URL + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if !regexp.MustCompile(`kaskade_responses_total\{[^}]*source="voice"[^}]*\} 1`).Match(b) {
		t.Fatalf("no voice response in the metrics:\n%s", grepLines(string(b), "responses"))
	}
	// The call metrics: one placed, one keypad answer (the result follows the hang-up).
	for _, want := range []string{`kaskade_voice_calls_total{outcome="sent"} 1`, `kaskade_voice_keypad_answers_total{answer="delayed"} 1`,
		`kaskade_voice_call_results_total{result="machine"} 0`} {
		if !strings.Contains(string(b), want) {
			t.Fatalf("no %s in the metrics:\n%s", want, grepLines(string(b), "kaskade_voice"))
		}
	}
}

func grepLines(s, sub string) string {
	var out []string
	for _, l := range strings.Split(s, "\n") {
		if strings.Contains(l, sub) {
			out = append(out, l)
		}
	}
	return strings.Join(out, "\n")
}

func TestVoiceNotReachedMovesOn(t *testing.T) {
	tests := []struct {
		name    string
		out     twiliotest.CallOutcome
		code    string
		callsIn bool // channels.twilio.calls_in: the machine hears it may call back
	}{
		{"machine", twiliotest.CallOutcome{AnsweredBy: "machine_start"}, "machine", false},
		{"machine, calls in", twiliotest.CallOutcome{AnsweredBy: "machine_end_beep"}, "machine", true},
		{"busy", twiliotest.CallOutcome{Status: "busy"}, "busy", false},
		{"no answer", twiliotest.CallOutcome{Status: "no-answer"}, "no-answer", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := voiceConfig
			if tt.callsIn {
				cfg = strings.Replace(cfg, "    api_url: %s\n", "    api_url: %s\n    calls_in: true\n", 1)
			}
			s, fake, api := startVoiceServer(t, cfg, func(f *twiliotest.Server) { f.SetCallOutcome(leadPhone, tt.out) }, nil)
			e := &smsEnv{testServer: &testServer{Server: s, t: t, token: s.AdminToken()}, fake: fake, twilioAPI: api}
			e.declare(false)
			c := e.callTo(leadPhone)
			// The next step (the SMS, due after 5 minutes) goes at once.
			waitFor(t, "the SMS after the failed call", func() bool { return len(e.messagesTo(leadMobile)) == 1 })
			p := e.personState("lead1")
			if len(p.FailedChans) != 1 || p.FailedChans[0] != "voice" {
				t.Fatalf("lead1 = %+v", p)
			}
			c, _ = e.fake.Call(c.SID)
			if tt.code == "machine" {
				// The machine's message: answer by SMS, and call back only when calls in reach Kaskade.
				// Only the short message after the beep: no alert, no menu.
				waitFor(t, "the end of the machine's call", func() bool { c, _ = e.fake.Call(c.SID); return c.Status == "completed" })
				heard := strings.Join(c.Said, " ")
				if !strings.Contains(heard, "per SMS") || strings.Contains(heard, "rufen Sie diese Nummer zurück") != tt.callsIn ||
					strings.Contains(heard, "Drücken Sie") || strings.Contains(heard, "Cyberangriff") || len(c.Said) > 2 {
					t.Fatalf("the machine heard %q", c.Said)
				}
			}
			if strings.Contains(c.Twiml, "Übung") {
				t.Fatal("a real alert said Übung")
			}
		})
	}
}

func TestVoiceForgedWebhook(t *testing.T) {
	e := startVoice(t, nil)
	e.declare(false)
	c := e.callTo(leadPhone)
	for _, path := range []string{twilio.VoiceGatherPath + "?n=K1-n1&l=de", twilio.VoiceStatusPath + "?n=K1-n1", twilio.VoiceAMDPath + "?n=K1-n1&l=de"} {
		form := url.Values{"CallSid": {c.SID}, "Digits": {"1"}, "CallStatus": {"busy"}, "AnsweredBy": {"machine_end_beep"}}
		req, _ := http.NewRequest("POST", e.URL+path, strings.NewReader(form.Encode()))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		req.Header.Set("X-Twilio-Signature", twiliotest.Signature("0000000000000000000000000000000f", e.URL+path, form))
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusForbidden {
			t.Fatalf("%s: %d, want 403", path, resp.StatusCode)
		}
	}
	if p := e.personState("lead1"); p.Answer != "" || len(p.FailedChans) != 0 {
		t.Fatalf("a forged webhook changed lead1: %+v", p)
	}
}

func TestVoiceCallIn(t *testing.T) {
	e := startVoice(t, nil)
	e.declare(true)
	e.callTo(leadPhone)
	hook := e.URL + twilio.VoiceCallerPath

	// An unknown number is rejected and hears nothing.
	c, err := e.fake.CallIn(context.Background(), hook, "+4915199999999", "+15005550006")
	if err != nil {
		t.Fatal(err)
	}
	if len(c.Said) != 0 || c.Status != "busy" {
		t.Fatalf("unknown caller: %+v", c)
	}

	// The lead calls in from the mobile: one open alert, answered with 1.
	c, err = e.fake.CallIn(context.Background(), hook, leadMobile, "+15005550006")
	if err != nil {
		t.Fatal(err)
	}
	if !c.Waiting || !strings.Contains(strings.Join(c.Said, " "), "Alarmierung K 1: Cyberangriff") || !strings.HasPrefix(c.Said[0], "Übung") {
		t.Fatalf("the lead heard %q", c.Said)
	}
	said, err := e.fake.Press(context.Background(), c.SID, "1")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(strings.Join(said, " "), "Danke") || e.personState("lead1").Answer != activation.Available {
		t.Fatalf("said %q, lead1 %+v", said, e.personState("lead1"))
	}

	// With a second open alert the caller keys the code, then answers it.
	e.declare(false)
	c, err = e.fake.CallIn(context.Background(), hook, leadPhone, "+15005550006")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(strings.Join(c.Said, " "), "mehrere") {
		t.Fatalf("with two alerts the lead heard %q", c.Said)
	}
	if _, err := e.fake.Press(context.Background(), c.SID, "2#3"); err != nil {
		t.Fatal(err)
	}
	var kind activation.ResponseKind
	e.Engine.View(func(core *activation.Core) { kind, _, _, _ = core.Answer("K2", "lead1") })
	if kind != activation.Unavailable || e.personState("lead1").Answer != activation.Available {
		t.Fatalf("K2 answer %q, K1 answer %q", kind, e.personState("lead1").Answer)
	}
}

func TestVoiceConference(t *testing.T) {
	cfg := strings.Replace(voiceConfig, "    api_url: %s\n", "    api_url: %s\n    conference: true\n", 1)
	s, fake, api := startVoiceServer(t, cfg, nil, nil)
	e := &smsEnv{testServer: &testServer{Server: s, t: t, token: s.AdminToken()}, fake: fake, twilioAPI: api}
	e.declare(false)
	c := e.callTo(leadPhone)
	waitFor(t, "the call waits for keys", func() bool { c, _ = e.fake.Call(c.SID); return c.Waiting })

	// Another person cannot join through the lead's notification.
	form := url.Values{"CallSid": {"CA1"}, "Digits": {"9"}, "To": {"+4915100001002"}, "From": {"+15005550006"}, "Direction": {"outbound-api"}}
	target := e.URL + twilio.VoiceConferencePath + "?l=de&n=K1-n1"
	req, _ := http.NewRequest("POST", target, strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("X-Twilio-Signature", twiliotest.Signature(fake.AuthToken(), target, form))
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || strings.Contains(string(b), "<Conference") || !strings.Contains(string(b), "nicht beitreten") {
		t.Fatalf("a stranger's join: %d %s", resp.StatusCode, b)
	}

	// Nor can the lead before a yes: in the alert menu 9 is no key.
	said, err := e.fake.Press(context.Background(), c.SID, "9")
	if err != nil {
		t.Fatal(err)
	}
	if c, _ = e.fake.Call(c.SID); c.Conference != "" || !strings.Contains(strings.Join(said, " "), "kenne ich nicht") {
		t.Fatalf("9 before a yes: conference %q, said %q", c.Conference, said)
	}
	said, err = e.fake.Press(context.Background(), c.SID, "1")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(strings.Join(said, " "), "Drücken Sie die 9") {
		t.Fatalf("no conference offer after a yes: %q", said)
	}
	if _, err := e.fake.Press(context.Background(), c.SID, "9"); err != nil {
		t.Fatal(err)
	}
	if c, _ = e.fake.Call(c.SID); c.Conference != "kaskade-K1-MI" {
		t.Fatalf("conference %q, said %q", c.Conference, c.Said)
	}
	// The board's drill-down lists the lead; a repeated callback changes nothing.
	waitFor(t, "the lead in the staff call", func() bool { return slices.Equal(e.inConference("MI"), []string{"lead1"}) })
	if err := e.fake.ConferenceEvent(context.Background(), "kaskade-K1-MI", c.SID, "participant-join"); err != nil {
		t.Fatal(err)
	}
	if got := e.inConference("MI"); !slices.Equal(got, []string{"lead1"}) {
		t.Fatalf("after a repeated join: %v", got)
	}
	if err := e.fake.Hangup(context.Background(), c.SID); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "the staff call empty after the hang-up", func() bool { return len(e.inConference("MI")) == 0 })
	var lines []string
	for _, it := range e.orgDetail("MI").Timeline {
		if it.Kind == activation.KindInbound {
			lines = append(lines, it.Summary)
		}
	}
	if want := []string{"Stabskonferenz: lead1 hat sich eingewählt", "Stabskonferenz: lead1 hat aufgelegt"}; !slices.Equal(lines, want) {
		t.Fatalf("timeline %q, want %q", lines, want)
	}
}

// orgDetail is the board's drill-down of org in K1, read over the HTTP API.
func (e *smsEnv) orgDetail(org string) activation.OrgDetail {
	e.t.Helper()
	var d activation.OrgDetail
	if code := e.api("GET", "/api/v1/incidents/K1/organisations/"+org, nil, &d); code != 200 {
		e.t.Fatalf("drill-down of %s: %d", org, code)
	}
	return d
}

// inConference lists who the drill-down shows in org's staff call; the
// tile's count must agree.
func (e *smsEnv) inConference(org string) []string {
	e.t.Helper()
	d := e.orgDetail(org)
	var out []string
	for _, m := range d.Conference {
		out = append(out, m.Person)
	}
	if d.Readiness.InConference != len(out) {
		e.t.Fatalf("tile counts %d in the staff call, the list has %v", d.Readiness.InConference, out)
	}
	return out
}

// TestVoiceConferencePerOrganisation: each staff has its own conference
// (kaskade-<incident>-<org>); "9" after a yes joins the caller's own, and
// each organisation's drill-down lists only its people.
func TestVoiceConferencePerOrganisation(t *testing.T) {
	cfg := strings.Replace(voiceConfig, "    api_url: %s\n", "    api_url: %s\n    conference: true\n", 1)
	cfg = strings.Replace(cfg, "people:\n", `  - id: MF
    name: {de: Finanzministerium, en: Ministry of Finance}
    call_tree: mf
    readiness: {required: {lead: 1}, target: 30m}
people:
  - {id: mf1, name: Frieda Feld, organisation: MF, mobile: "+49 151 00002001", phone: "+49 511 1300", functions: [lead]}
`, 1)
	cfg = strings.Replace(cfg, "scenarios:\n", `  - id: mf
    organisation: MF
    policy: call-first
    nodes:
      - {function: lead, person: mf1}
scenarios:
`, 1)
	s, fake, api := startVoiceServer(t, cfg, nil, nil)
	e := &smsEnv{testServer: &testServer{Server: s, t: t, token: s.AdminToken()}, fake: fake, twilioAPI: api}
	e.declare(false)
	// The lead answers the call; MF's lead calls in from the mobile (caller ID).
	c := e.callTo(leadPhone)
	waitFor(t, "the call waits for keys", func() bool { c, _ = e.fake.Call(c.SID); return c.Waiting })
	in, err := e.fake.CallIn(context.Background(), e.URL+twilio.VoiceCallerPath, "+4915100002001", "+15005550006")
	if err != nil || !in.Waiting {
		t.Fatalf("call in: %+v %v", in, err)
	}
	for _, tc := range []struct{ sid, room string }{{in.SID, "kaskade-K1-MF"}, {c.SID, "kaskade-K1-MI"}} {
		for _, key := range []string{"1", "9"} {
			if _, err := e.fake.Press(context.Background(), tc.sid, key); err != nil {
				t.Fatal(err)
			}
		}
		if got, _ := e.fake.Call(tc.sid); got.Conference != tc.room {
			t.Fatalf("call %s joined %q, want %q (said %q)", tc.sid, got.Conference, tc.room, got.Said)
		}
	}
	waitFor(t, "each staff call lists its own", func() bool {
		return slices.Equal(e.inConference("MI"), []string{"lead1"}) && slices.Equal(e.inConference("MF"), []string{"mf1"})
	})
}
