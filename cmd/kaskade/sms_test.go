package main

import (
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/kaskade-bcm/kaskade/activation"
	"github.com/kaskade-bcm/kaskade/cmd/internal/server"
	"github.com/kaskade-bcm/kaskade/notifiers/twilio/twiliotest"
)

// smsConfig is a small organisation whose IT primary has Twilio's magic
// invalid number, so the fallback to the deputy can be seen.
const smsConfig = `version: 1
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
  - {id: it, name: {de: IT, en: IT}}
organisations:
  - id: MI
    name: {de: Innenministerium, en: Ministry of the Interior}
    call_tree: mi
    readiness: {required: {lead: 1, it: 1}, target: 30m}
people:
  - {id: lead1, name: Uwe Böhm, organisation: MI, mobile: "+49 151 00001001", functions: [lead]}
  - {id: lead2, name: Silke Oltmanns, organisation: MI, mobile: "+49 151 00001002", functions: [lead]}
  - {id: it1, name: Sven Eilers, organisation: MI, mobile: "+15005550001", functions: [it]}
  - {id: it2, name: Frauke Warnecke, organisation: MI, mobile: "+49 151 00001004", language: en, functions: [it]}
policies:
  - id: sms-only
    wait: 10m
    steps: [{channel: sms, after: 0s}, {channel: sms, after: 5m}]
call_trees:
  - id: mi
    organisation: MI
    policy: sms-only
    nodes:
      - function: lead
        person: lead1
        deputies: [lead2]
        children:
          - {function: it, person: it1, deputies: [it2]}
scenarios:
  - id: cyberangriff
    name: {de: Cyberangriff, en: Cyber attack}
    severity: emergency
    templates:
      de: {sms: "{{.SeverityName}} {{.Organisation}}: {{.Title}}. Stab bilden.", email_subject: "{{.Title}}", email_body: "{{.Title}}"}
      en: {sms: "{{.SeverityName}} {{.Organisation}}: {{.Title}}. Convene the staff.", email_subject: "{{.Title}}", email_body: "{{.Title}}"}
`

type smsEnv struct {
	*testServer
	fake      *twiliotest.Server
	twilioAPI *httptest.Server
}

func startSMS(t *testing.T, fakeOpts twiliotest.Options, mods ...func(*server.Options)) *smsEnv {
	t.Helper()
	s, fake, api := startWithTwilio(t, smsConfig, fakeOpts, nil, nil, mods...)
	return &smsEnv{testServer: &testServer{Server: s, t: t, token: s.AdminToken()}, fake: fake, twilioAPI: api}
}

func (e *smsEnv) messagesTo(number string) []twiliotest.Message {
	var out []twiliotest.Message
	for _, m := range e.fake.Messages() {
		if m.To == number {
			out = append(out, m)
		}
	}
	return out
}

func (e *smsEnv) reply(from, body string) (int, string) {
	e.t.Helper()
	resp, err := e.fake.SendInbound(context.Background(), e.URL+"/webhooks/twilio/sms", from, "+15005550006", body)
	if err != nil {
		e.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

func (e *smsEnv) personState(person string) activation.PersonView {
	d, _ := e.Engine.Detail("K1", "MI")
	for _, n := range d.Nodes {
		for _, p := range n.Tiers {
			if p.Person == person {
				return p
			}
		}
	}
	e.t.Fatalf("no %s in the drill-down", person)
	return activation.PersonView{}
}

func TestSMSEndToEnd(t *testing.T) {
	e := startSMS(t, twiliotest.Options{CallbacksOutOfOrder: true, CallbacksTwice: true})
	e.fake.ThrottleNext(2, 0) // the first two requests get 429/20429: retried, not lost
	var out map[string]any
	if code := e.api("POST", "/api/v1/incidents", map[string]any{"scenario": "cyberangriff", "reason": "Verschlüsselungstrojaner", "exercise": true}, &out); code != 201 {
		t.Fatalf("declare: %d", code)
	}
	waitFor(t, "SMS to the lead", func() bool { return len(e.messagesTo("+4915100001001")) == 1 })
	m := e.messagesTo("+4915100001001")[0]
	for _, want := range []string{"ÜBUNG Notfall MI: Cyberangriff", "Antwort: 1=komme, 2 30=komme in 30 Min., 3=nicht verfügbar (K1)"} {
		if !strings.Contains(m.Body, want) {
			t.Errorf("SMS %q lacks %q", m.Body, want)
		}
	}
	if m.ValidityPeriod != 900 || !strings.HasPrefix(m.StatusCallback, e.URL+"/webhooks/twilio/status?n=K1-n") {
		t.Errorf("validity %d callback %q", m.ValidityPeriod, m.StatusCallback)
	}
	if st := e.fake.Stats(); st.Rejected[20429] != 2 {
		t.Errorf("429s injected = %d, want 2 (retried)", st.Rejected[20429])
	}
	// Out-of-order and doubled callbacks: the final state is delivered.
	waitFor(t, "delivered", func() bool { return e.personState("lead1").Notification == "delivered" })

	// A forged webhook changes nothing.
	resp, err := http.PostForm(e.URL+"/webhooks/twilio/sms", url.Values{"From": {"+4915100001001"}, "Body": {"1"}})
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusForbidden || e.personState("lead1").Answer != "" {
		t.Fatalf("forged webhook: %d, answer %q", resp.StatusCode, e.personState("lead1").Answer)
	}

	// The lead answers "1": recorded, confirmed in German, children alerted.
	code, twiml := e.reply("+4915100001001", " 'Komme' ")
	if code != 200 || !strings.Contains(twiml, "<Message>ÜBUNG Danke, Uwe Böhm") {
		t.Fatalf("reply: %d %s", code, twiml)
	}
	if e.personState("lead1").Answer != activation.Available {
		t.Fatal("answer not recorded")
	}
	// IT primary has an invalid number (21211): the deputy is alerted at once.
	waitFor(t, "deputy after invalid number", func() bool { return len(e.messagesTo("+4915100001004")) == 1 })
	if p := e.personState("it1"); p.Notification != "failed" || len(p.FailedChans) != 1 {
		t.Fatalf("it1 = %+v", p)
	}
	if en := e.messagesTo("+4915100001004")[0].Body; !strings.HasPrefix(en, "ÜBUNG/EXERCISE Emergency MI") || !strings.Contains(en, "Reply: 1=coming") {
		t.Fatalf("English SMS = %q", en)
	}
	code, twiml = e.reply("+4915100001004", "2 15")
	if code != 200 || !strings.Contains(twiml, "15 min") {
		t.Fatalf("delayed reply: %d %s", code, twiml)
	}
	r, _ := e.Engine.Incident("K1")
	if org := r.Organisations[0]; org.State != activation.Forming || org.Coming != 2 || org.Delayed != 1 || org.Covered["lead"] != 1 {
		t.Fatalf("readiness = %+v", org)
	}
	code, twiml = e.reply("+4915100001004", "1 K1")
	r, _ = e.Engine.Incident("K1")
	if code != 200 || r.Organisations[0].State != activation.Ready {
		t.Fatalf("after 1 K1: %d %s, state %s", code, twiml, r.Organisations[0].State)
	}

	// Unknown senders get no answer; nonsense gets the grammar.
	if code, twiml = e.reply("+4915199999999", "1"); code != 200 || strings.Contains(twiml, "<Message>") {
		t.Fatalf("unknown sender: %d %s", code, twiml)
	}
	if code, twiml = e.reply("+4915100001002", "vielleicht"); code != 200 || !strings.Contains(twiml, "1 = komme") {
		t.Fatalf("unknown text: %d %s", code, twiml)
	}
	// The raw messages are stored as events before interpretation.
	var inbound int
	e.Engine.View(func(c *activation.Core) {
		for _, it := range c.Timeline("K1", "") {
			if it.Kind == activation.KindResponse {
				inbound++
			}
		}
	})
	if inbound != 3 {
		t.Fatalf("responses in the timeline = %d, want 3", inbound)
	}
}

func newHTTPTestServer(t *testing.T, h http.Handler) string {
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	return srv.URL
}

func listenLocal(t *testing.T) net.Listener {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	return ln
}

// startWithTwilio runs kaskade with config cfg (a format taking the public
// URL, the fake's account SID and its API URL) against a fake Twilio: setup
// sees the fake before it serves, wrap every request to it first.
func startWithTwilio(tb testing.TB, cfg string, fakeOpts twiliotest.Options, setup func(*twiliotest.Server),
	wrap func(http.Handler) http.Handler, mods ...func(*server.Options)) (*server.Server, *twiliotest.Server, *httptest.Server) {
	tb.Helper()
	fake := twiliotest.NewServer(fakeOpts)
	if setup != nil {
		setup(fake)
	}
	var h http.Handler = fake
	if wrap != nil {
		h = wrap(fake)
	}
	api := httptest.NewServer(h)
	tb.Cleanup(func() { api.Close(); fake.Close() })
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		tb.Fatal(err)
	}
	public := "http://" + ln.Addr().String()
	path := filepath.Join(tb.TempDir(), "kaskade.yaml")
	if err := os.WriteFile(path, fmt.Appendf(nil, cfg, public, fake.AccountSID(), api.URL), 0o600); err != nil {
		tb.Fatal(err)
	}
	tb.Setenv("KASKADE_TEST_TWILIO_TOKEN", fake.AuthToken())
	o := server.Options{ConfigPath: path, DataDir: tb.TempDir(), Listener: ln, NATSListen: "off", Instance: "twilio-test"}
	for _, m := range mods {
		m(&o)
	}
	s, err := server.Start(tb.Context(), o)
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { _ = s.Close() }) // before its data directory is removed
	for deadline := time.Now().Add(15 * time.Second); !s.Engine.Leader(); time.Sleep(5 * time.Millisecond) {
		if time.Now().After(deadline) {
			tb.Fatal("engine not leading after 15 s")
		}
	}
	return s, fake, api
}
