package main

import (
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/kaskade-bcm/kaskade/activation"
	"github.com/kaskade-bcm/kaskade/alerting"
	"github.com/kaskade-bcm/kaskade/alerting/httpapi"
	"github.com/kaskade-bcm/kaskade/notifiers/twilio/twiliotest"
)

// Tokens of the proposal test: a warning system's and a duty officer's.
const (
	e2eIntakeToken = "e2e-intake-token-41d7c0a9"
	e2eDutyToken   = "e2e-duty-token-93b2f6e1"
)

// proposalConfig is smsConfig with a flood scenario, the two tokens and
// rules: DWD rain warnings propose the flood, IT outages the cyberattack.
func proposalConfig() string {
	return smsConfig + `  - id: hochwasser
    name: {de: Hochwasser, en: Flood}
    severity: emergency
    templates:
      de: {sms: "{{.SeverityName}} {{.Organisation}}: {{.Title}}. Stab bilden.", email_subject: "{{.Title}}", email_body: "{{.Title}}"}
tokens:
  - {name: dwd, role: intake, sha256: "` + httpapi.HashToken(e2eIntakeToken) + `"}
  - {name: Lagedienst, role: duty_officer, sha256: "` + httpapi.HashToken(e2eDutyToken) + `"}
proposal_rules:
  - {scenario: hochwasser, source: cap, events: [DAUERREGEN], min_severity: Severe}
  - {scenario: cyberangriff, source: alertmanager, labels: {category: cyber}}
`
}

func readTestdata(t *testing.T, name string) string {
	t.Helper()
	b, err := os.ReadFile("../../alerting/proposal/testdata/" + name)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// call sends body with a bearer token and returns the status and the body.
func call(t *testing.T, method, u, token, body string) (int, []byte) {
	t.Helper()
	req, err := http.NewRequest(method, u, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, b
}

func TestWarningsBecomeProposalsEndToEnd(t *testing.T) {
	s, fake, _ := startWithTwilio(t, proposalConfig(), twiliotest.Options{}, nil, nil)
	const dwdID = "CAP@dwd.de,2.49.0.0.276.0.DWD.PVW.1764748800000.3f6a1c9e-7b2d-4c1e-9a0f-5d2e8b7c6a41"

	// A DWD warning and an Alertmanager webhook each become a proposal; nobody is alerted.
	for path, body := range map[string]string{"/api/v1/intake/cap": readTestdata(t, "dwd-unwetter.xml"),
		"/api/v1/intake/alertmanager": readTestdata(t, "alertmanager.json")} {
		if code, b := call(t, "POST", s.URL+path, e2eIntakeToken, body); code != 200 {
			t.Fatalf("%s: %d %s", path, code, b)
		}
	}
	var dwd, am activation.ProposalView
	s.Engine.View(func(c *activation.Core) {
		dwd, _ = c.Proposal(alerting.ProposalID("cap", dwdID))
		am, _ = c.Proposal(alerting.ProposalID("alertmanager", `{}:{alertname="FachverfahrenDown"}`))
	})
	if dwd.Status != activation.ProposalOpen || dwd.Scenario != "hochwasser" || dwd.By != "dwd" {
		t.Fatalf("DWD proposal %+v", dwd)
	}
	if am.Status != activation.ProposalOpen || am.Scenario != "cyberangriff" || len(am.Notes) != 0 || am.Alerts[1].Status != "resolved" {
		t.Fatalf("Alertmanager proposal %+v", am)
	}
	if len(s.Engine.Incidents()) != 0 || len(fake.Messages()) != 0 {
		t.Fatal("a warning alerted by itself")
	}

	// The intake token can do nothing else: not read, not declare, not log into the board.
	for _, c := range []struct{ method, path, body string }{
		{"GET", "/api/v1/incidents", ""}, {"GET", "/api/v1/proposals", ""},
		{"POST", "/api/v1/incidents", `{"scenario":"cyberangriff","exercise":true,"reason":"x"}`},
		{"POST", "/api/v1/proposals/" + dwd.ID + "/confirm", `{"exercise":true,"reason":"x"}`},
	} {
		if code, b := call(t, c.method, s.URL+c.path, e2eIntakeToken, c.body); code != http.StatusForbidden {
			t.Errorf("intake token: %s %s → %d %s, want 403", c.method, c.path, code, b)
		}
	}
	form := url.Values{"token": {e2eIntakeToken}}.Encode()
	req, _ := http.NewRequest("POST", s.URL+"/login", strings.NewReader(form))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	noRedirect := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	if resp, err := noRedirect.Do(req); err != nil || resp.StatusCode != http.StatusForbidden {
		t.Errorf("board login with the intake token: %v %v, want 403", resp.Status, err)
	}
	if code, b := call(t, "GET", s.URL+"/api/v1/incidents/K1/organisations/MI", e2eIntakeToken, ""); code != http.StatusForbidden {
		t.Errorf("intake token on the board: %d %s, want 403", code, b)
	}

	// The duty officer confirms: the incident is declared with proposer and confirmer, and alerts go out.
	code, b := call(t, "POST", s.URL+"/api/v1/proposals/"+dwd.ID+"/confirm", e2eDutyToken,
		`{"exercise":true,"reason":"Pegel der Leine steigen"}`)
	if code != http.StatusCreated {
		t.Fatalf("confirm: %d %s", code, b)
	}
	var out struct {
		IncidentID string `json:"incident_id"`
	}
	if err := json.Unmarshal(b, &out); err != nil {
		t.Fatal(err)
	}
	evs, err := s.Engine.Events(t.Context(), out.IncidentID)
	if err != nil || len(evs) == 0 || evs[0].Kind != activation.KindDeclared {
		t.Fatalf("events of %s: %v %v", out.IncidentID, evs, err)
	}
	d := evs[0].Declared
	if d.DeclaredBy != "Lagedienst" || d.Reason != "Pegel der Leine steigen" || d.Scenario != "hochwasser" || !d.Exercise ||
		d.ProposedBy == nil || d.ProposedBy.Source != "cap" || d.ProposedBy.SourceID != dwdID || d.ProposedBy.By != "dwd" || d.ProposedBy.Proposal != dwd.ID {
		t.Fatalf("declaration %+v, proposed by %+v", d, d.ProposedBy)
	}
	waitFor(t, "the SMS to the lead", func() bool { return len(fake.Messages()) > 0 })
	pevs, _ := s.Engine.Events(t.Context(), dwd.ID)
	if kinds := eventKinds(pevs); kinds != "proposal_received proposal_confirmed" {
		t.Errorf("proposal log %s", kinds)
	}

	// A second warning over NATS, then its cancel: the proposal is withdrawn.
	other := strings.ReplaceAll(readTestdata(t, "dwd-unwetter.xml"), "5d2e8b7c6a41", "5d2e8b7c6a42")
	cancel := strings.ReplaceAll(readTestdata(t, "dwd-cancel.xml"), "5d2e8b7c6a41", "5d2e8b7c6a42")
	nc := s.JS.Conn()
	for _, body := range []string{other, cancel} {
		m, err := nc.Request(s.Layout.CAPSubject(), []byte(body), 10*time.Second)
		if err != nil || !strings.Contains(string(m.Data), `"accepted"`) {
			t.Fatalf("CAP over NATS: %v %s", err, m.Data)
		}
	}
	otherID := alerting.ProposalID("cap", strings.Replace(dwdID, "5d2e8b7c6a41", "5d2e8b7c6a42", 1))
	waitFor(t, "the withdrawal", func() bool {
		var p activation.ProposalView
		s.Engine.View(func(c *activation.Core) { p, _ = c.Proposal(otherID) })
		return p.Status == activation.ProposalWithdrawn && p.By == "nats"
	})
	if n := len(s.Engine.Incidents()); n != 1 {
		t.Errorf("%d incidents, want only the confirmed one", n)
	}
}

func eventKinds(evs []activation.Event) string {
	kinds := make([]string, len(evs))
	for i, e := range evs {
		kinds[i] = e.Kind
	}
	return strings.Join(kinds, " ")
}
