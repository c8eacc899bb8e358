package main

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/smtp"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/kaskade-bcm/kaskade/activation"
	"github.com/kaskade-bcm/kaskade/cmd/internal/server"
	"github.com/kaskade-bcm/kaskade/config"
	"github.com/kaskade-bcm/kaskade/internal/e2e"
	"github.com/kaskade-bcm/kaskade/notifiers/email/emailtest"
	"github.com/kaskade-bcm/kaskade/notifiers/twilio/twiliotest"
)

// exampleWithChannels is the bundled example with its channels section replaced.
func exampleWithChannels(t *testing.T, channels string) string {
	t.Helper()
	_, data := config.Example()
	const original = "channels:\n  console:\n    as: [sms, email, voice]\n"
	if !strings.Contains(string(data), original) {
		t.Fatal("the example's channels section changed; update this test")
	}
	path := filepath.Join(t.TempDir(), "kaskade.yaml")
	if err := os.WriteFile(path, []byte(strings.Replace(string(data), original, channels, 1)), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

// mailpit returns the API and SMTP addresses of the mailpit started by .ci/run.
func mailpit(t *testing.T) (api, smtpAddr string) {
	e2e.Long(t)
	api, smtpAddr = os.Getenv("KASKADE_MAILPIT_API"), os.Getenv("KASKADE_MAILPIT_SMTP")
	if api == "" || smtpAddr == "" {
		if os.Getenv("CI") != "" {
			t.Fatal("CI must provide mailpit (KASKADE_MAILPIT_API, KASKADE_MAILPIT_SMTP; see .ci/run)")
		}
		t.Skip("mailpit end-to-end test skipped: start mailpit and set KASKADE_MAILPIT_API and KASKADE_MAILPIT_SMTP (see .ci/run)")
	}
	return api, smtpAddr
}

type mailpitMessage struct {
	ID      string
	Subject string
	To      []struct{ Address string }
	Text    string
	HTML    string
}

func mailpitFind(t *testing.T, api, to, subjectPart string) (mailpitMessage, bool) {
	resp, err := http.Get(api + "/api/v1/search?query=" + url.QueryEscape("to:"+to))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var list struct{ Messages []mailpitMessage }
	if err := json.NewDecoder(resp.Body).Decode(&list); err != nil {
		t.Fatal(err)
	}
	for _, m := range list.Messages {
		if strings.Contains(m.Subject, subjectPart) {
			full, err := http.Get(api + "/api/v1/message/" + m.ID)
			if err != nil {
				t.Fatal(err)
			}
			defer full.Body.Close()
			var msg mailpitMessage
			if err := json.NewDecoder(full.Body).Decode(&msg); err != nil {
				t.Fatal(err)
			}
			return msg, true
		}
	}
	return mailpitMessage{}, false
}

var ackLink = regexp.MustCompile(`http://[^\s"<>]+/ack/[A-Za-z0-9_.-]+`)

func TestEmailThroughMailpitAndAckLink(t *testing.T) {
	api, smtpAddr := mailpit(t)
	host, port, _ := strings.Cut(smtpAddr, ":")
	// No SMS channel at all: the SMS step fails at once and email takes over.
	cfgPath := exampleWithChannels(t, fmt.Sprintf("channels:\n  console: {disabled: true}\n  email:\n    host: %s\n    port: %s\n"+
		"    tls: none\n    from: \"Kaskade Lagedienst <kaskade@lage.niedersachsen.example>\"\n    reply_to: kaskade@lage.niedersachsen.example\n", host, port))
	s, err := server.Start(t.Context(), server.Options{ConfigPath: cfgPath, DataDir: t.TempDir(), HTTPAddr: "127.0.0.1:0", NATSListen: "off",
		Instance: "mail-test", Logger: testLogger(t)})
	if err != nil {
		t.Fatal(err)
	}
	waitFor(t, "engine", s.Engine.Leader)
	ts := &testServer{Server: s, t: t, token: s.AdminToken()}
	title := fmt.Sprintf("Stromausfall Test %d", time.Now().UnixNano())
	var out map[string]any
	if code := ts.api("POST", "/api/v1/incidents", map[string]any{"scenario": "stromausfall", "title": title, "organisations": []string{"MK"},
		"reason": "Alarmierungsübung E-Mail", "exercise": true}, &out); code != 201 {
		t.Fatalf("declare: %d", code)
	}
	lead := primaries(t, s.Config, "MK")["lead"]
	p, _ := s.Config.Person(lead)
	var msg mailpitMessage
	waitFor(t, "mail in mailpit", func() bool {
		var ok bool
		msg, ok = mailpitFind(t, api, p.Email, title)
		return ok
	})
	if !strings.HasPrefix(msg.Subject, "ÜBUNG") {
		t.Errorf("subject %q does not start with ÜBUNG", msg.Subject)
	}
	for _, want := range []string{"Dies ist eine Übung", title, "Ich komme", "Nicht verfügbar"} {
		if !strings.Contains(msg.Text, want) {
			t.Errorf("mail text lacks %q:\n%s", want, msg.Text)
		}
	}
	link := ackLink.FindString(msg.Text)
	if link == "" {
		t.Fatalf("no ack link in:\n%s", msg.Text)
	}
	// Following the link (as a mail scanner would) records nothing.
	resp, err := http.Get(link)
	if err != nil {
		t.Fatal(err)
	}
	page, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || !strings.Contains(string(page), "<form") {
		t.Fatalf("GET %s: %d", link, resp.StatusCode)
	}
	if k, _, _, _ := answerOf(s, "K1", lead); k != "" {
		t.Fatalf("GET recorded %q", k)
	}
	resp, err = http.PostForm(link, url.Values{"answer": {"available"}})
	if err != nil {
		t.Fatal(err)
	}
	page, _ = io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || !strings.Contains(string(page), "Ich komme") {
		t.Fatalf("POST: %d %s", resp.StatusCode, page)
	}
	if k, _, _, _ := answerOf(s, "K1", lead); k != activation.Available {
		t.Fatalf("answer after POST = %q", k)
	}
	v, _ := s.Engine.Incident("K1")
	if v.Organisations[0].State != activation.Forming || v.Organisations[0].Covered["lead"] != 1 {
		t.Fatalf("readiness after the ack link: %+v", v.Organisations[0])
	}
}

func answerOf(s *server.Server, incident, person string) (activation.ResponseKind, time.Time, time.Time, bool) {
	var (
		k       activation.ResponseKind
		eta, at time.Time
		ok      bool
	)
	s.Engine.View(func(c *activation.Core) { k, eta, at, ok = c.Answer(incident, person) })
	return k, eta, at, ok
}

// fallbackConfig: SMS first, email after 2 minutes if the SMS was not delivered.
const fallbackConfig = `version: 1
server: {public_url: %s}
channels:
  console: {disabled: true}
  twilio: {account_sid: %s, auth_token: {env: KASKADE_TEST_TWILIO_TOKEN}, from: "+15005550006", api_url: %s}
  email:
    host: 127.0.0.1
    port: %s
    tls: none
    from: "Kaskade <kaskade@lage.example>"
    reply_to: kaskade@lage.example
    listener: {addr: "%s", domain: lage.example}
functions: [{id: lead, name: {de: Stabsleitung, en: Head}}]
organisations:
  - {id: MI, name: {de: Innenministerium, en: Interior}, call_tree: mi, readiness: {required: {lead: 1}, target: 30m}}
people:
  - {id: lead1, name: Uwe Böhm, organisation: MI, mobile: "+49 151 00001001", email: uwe.boehm@mi.example, functions: [lead]}
  - {id: lead2, name: Silke Oltmanns, organisation: MI, mobile: "+49 151 00001002", email: silke.oltmanns@mi.example, functions: [lead]}
policies:
  - id: standard
    wait: 10m
    steps: [{channel: sms, after: 0s}, {channel: email, after: 2m, if: not_delivered}, {channel: sms, after: 5m}]
call_trees:
  - {id: mi, organisation: MI, policy: standard, nodes: [{function: lead, person: lead1, deputies: [lead2]}]}
scenarios:
  - id: cyberangriff
    name: {de: Cyberangriff, en: Cyber attack}
    severity: emergency
    templates:
      de: {sms: "{{.Title}}", email_subject: "{{.SeverityName}}: {{.Title}}", email_body: "Lage: {{.Title}}"}
`

func TestUndeliveredSMSFallsBackToEmailAndEmailReplyCounts(t *testing.T) {
	fake := twiliotest.NewServer(twiliotest.Options{Outcomes: map[string]twiliotest.Outcome{
		"+4915100001001": {Status: "undelivered", ErrorCode: 30006}}})
	twAPI := newHTTPTestServer(t, fake)
	smtpAddr, received := emailtest.NewServer(t)
	_, smtpPort, _ := strings.Cut(smtpAddr, ":")
	listenAddr := fmt.Sprintf("127.0.0.1:%d", freePort(t))
	ln := listenLocal(t)
	path := filepath.Join(t.TempDir(), "kaskade.yaml")
	cfg := fmt.Sprintf(fallbackConfig, "http://"+ln.Addr().String(), fake.AccountSID(), twAPI, smtpPort, listenAddr)
	if err := os.WriteFile(path, []byte(cfg), 0o600); err != nil {
		t.Fatal(err)
	}
	t.Setenv("KASKADE_TEST_TWILIO_TOKEN", fake.AuthToken())
	s, err := server.Start(t.Context(), server.Options{ConfigPath: path, DataDir: t.TempDir(), Listener: ln, NATSListen: "off",
		Instance: "fallback-test", Logger: testLogger(t)})
	if err != nil {
		t.Fatal(err)
	}
	waitFor(t, "engine", s.Engine.Leader)
	ts := &testServer{Server: s, t: t, token: s.AdminToken()}
	var out map[string]any
	if code := ts.api("POST", "/api/v1/incidents", map[string]any{"scenario": "cyberangriff", "reason": "Test", "exercise": true}, &out); code != 201 {
		t.Fatalf("declare: %d", code)
	}
	// The SMS is accepted, then reported undelivered (30006): email goes out
	// at once instead of after 2 minutes.
	waitFor(t, "fallback email", func() bool { return len(received()) == 1 })
	mail := received()[0]
	if mail.To[0] != "uwe.boehm@mi.example" {
		t.Fatalf("mail to %v", mail.To)
	}
	tag := regexp.MustCompile(`(?m)^Reply-To: .*kaskade\+([A-Za-z0-9_-]+)@lage\.example`).FindSubmatch(mail.Data)
	if tag == nil {
		t.Fatalf("no Reply-To tag in\n%s", mail.Data)
	}
	// The person answers by email; the first non-quoted line counts.
	reply := "From: uwe.boehm@mi.example\r\nTo: kaskade+" + string(tag[1]) + "@lage.example\r\nSubject: Re: Notfall\r\n\r\n" +
		"2 20\r\n\r\nAm 26.11.2026 um 03:12 schrieb Kaskade:\r\n> 1\r\n"
	if err := smtp.SendMail(listenAddr, nil, "uwe.boehm@mi.example", []string{"kaskade+" + string(tag[1]) + "@lage.example"}, []byte(reply)); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "email answer recorded", func() bool {
		k, _, _, _ := answerOf(s, "K1", "lead1")
		return k == activation.Delayed
	})
	// A reply from someone else for the same tag is dropped.
	forged := strings.Replace(reply, "From: uwe.boehm@mi.example", "From: mallory@evil.example", 1)
	forged = strings.Replace(forged, "2 20", "3", 1)
	if err := smtp.SendMail(listenAddr, nil, "mallory@evil.example", []string{"kaskade+" + string(tag[1]) + "@lage.example"}, []byte(forged)); err != nil {
		t.Fatal(err)
	}
	inputsApplied(t, s) // the listener hands a reply on before it answers SMTP
	if k, _, _, _ := answerOf(s, "K1", "lead1"); k != activation.Delayed {
		t.Fatalf("a forged reply changed the answer to %q", k)
	}
	// A reply that lost its tag reaches the bare reply_to address and is
	// matched through In-Reply-To.
	msgID := regexp.MustCompile(`(?m)^Message-ID: (<[^>]+>)`).FindSubmatch(mail.Data)
	if msgID == nil {
		t.Fatalf("no Message-ID in\n%s", mail.Data)
	}
	bare := "From: uwe.boehm@mi.example\r\nTo: kaskade@lage.example\r\nSubject: Re: Notfall\r\nMessage-ID: <bare@mi.example>\r\n" +
		"In-Reply-To: " + string(msgID[1]) + "\r\n\r\n3\r\n"
	if err := smtp.SendMail(listenAddr, nil, "uwe.boehm@mi.example", []string{"kaskade@lage.example"}, []byte(bare)); err != nil {
		t.Fatalf("reply to the bare address: %v", err)
	}
	waitFor(t, "untagged email answer recorded", func() bool {
		k, _, _, _ := answerOf(s, "K1", "lead1")
		return k == activation.Unavailable
	})
}
