package httpapi_test

import (
	"encoding/json"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/kaskade-bcm/kaskade/activation"
	"github.com/kaskade-bcm/kaskade/alerting"
	"github.com/kaskade-bcm/kaskade/alerting/httpapi"
)

const dwdSourceID = "CAP@dwd.de,2.49.0.0.276.0.DWD.PVW.1764748800000.3f6a1c9e-7b2d-4c1e-9a0f-5d2e8b7c6a41"

func testdata(t *testing.T, name string) string {
	t.Helper()
	b, err := os.ReadFile("../proposal/testdata/" + name)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// otherCAP is the DWD warning with another identifier (a new warning).
func otherCAP(t *testing.T, suffix string) (body, id string) {
	body = strings.ReplaceAll(testdata(t, "dwd-unwetter.xml"), "5d2e8b7c6a41", "5d2e8b7c6a41"+suffix)
	return body, alerting.ProposalID("cap", dwdSourceID+suffix)
}

// proposalCalls exercise the proposal routes for the OpenAPI check.
func proposalCalls(t *testing.T) []apiCall {
	capID := alerting.ProposalID("cap", dwdSourceID)
	other, otherID := otherCAP(t, "b")
	prop := func(id, rest string) string { return "/api/v1/proposals/" + id + rest }
	return []apiCall{
		{"intake cap", "POST", "/api/v1/intake/cap", intakeToken, testdata(t, "dwd-unwetter.xml"), 200},
		{"intake cap again", "POST", "/api/v1/intake/cap", intakeToken, testdata(t, "dwd-unwetter.xml"), 200},
		{"intake cap not CAP", "POST", "/api/v1/intake/cap", intakeToken, "<alert/>", 400},
		{"intake cap as viewer", "POST", "/api/v1/intake/cap", viewerToken, testdata(t, "dwd-unwetter.xml"), 403},
		{"intake alertmanager", "POST", "/api/v1/intake/alertmanager", intakeToken, testdata(t, "alertmanager.json"), 200},
		{"intake alertmanager bad", "POST", "/api/v1/intake/alertmanager", intakeToken, `{"version":"3"}`, 400},
		{"proposals", "GET", "/api/v1/proposals", viewerToken, "", 200},
		{"open proposals", "GET", "/api/v1/proposals?status=open", viewerToken, "", 200},
		{"proposals as intake", "GET", "/api/v1/proposals", intakeToken, "", 403},
		{"proposal", "GET", prop(capID, ""), viewerToken, "", 200},
		{"unknown proposal", "GET", prop("P-0000000000", ""), viewerToken, "", 404},
		{"confirm without exercise", "POST", prop(capID, "/confirm"), dutyToken, `{"reason":"Pegel"}`, 400},
		{"confirm as viewer", "POST", prop(capID, "/confirm"), viewerToken, `{"exercise":true,"reason":"Pegel"}`, 403},
		{"confirm", "POST", prop(capID, "/confirm"), dutyToken, `{"exercise":true,"reason":"Pegel steigen","organisations":["MU"]}`, 201},
		{"confirm again", "POST", prop(capID, "/confirm"), dutyToken, `{"exercise":true,"reason":"Pegel"}`, 409},
		{"intake other cap", "POST", "/api/v1/intake/cap", intakeToken, other, 200},
		{"dismiss without reason", "POST", prop(otherID, "/dismiss"), dutyToken, `{"reason":" "}`, 400},
		{"dismiss", "POST", prop(otherID, "/dismiss"), dutyToken, `{"reason":"nicht betroffen"}`, 200},
		{"dismiss again", "POST", prop(otherID, "/dismiss"), dutyToken, `{"reason":"nochmal"}`, 409},
	}
}

func TestWarningsBecomeProposalsAndAConfirmationDeclares(t *testing.T) {
	s := startAPI(t)
	for _, c := range []struct{ path, body string }{
		{"/api/v1/intake/cap", testdata(t, "dwd-unwetter.xml")},
		{"/api/v1/intake/cap", testdata(t, "dwd-unwetter.xml")}, // the same warning again
		{"/api/v1/intake/alertmanager", testdata(t, "alertmanager.json")},
		// Alertmanager repeats the group with nothing new (other bytes: the stream's dedup does not catch it).
		{"/api/v1/intake/alertmanager", strings.Replace(testdata(t, "alertmanager.json"), "07:55:00Z", "07:55:30Z", 1)},
	} {
		if r := s.do("POST", c.path, intakeToken, c.body); r.Status != 200 {
			t.Fatalf("%s: %d %s", c.path, r.Status, r.Body)
		}
	}
	var list struct{ Proposals []activation.ProposalView }
	mustJSON(t, s.do("GET", "/api/v1/proposals", dutyToken, ""), &list)
	if len(list.Proposals) != 2 {
		t.Fatalf("%d proposals, want one per warning: %+v", len(list.Proposals), list.Proposals)
	}
	am, dwd := list.Proposals[0], list.Proposals[1]
	if dwd.Source != "cap" || dwd.Scenario != "hochwasser" || dwd.Status != activation.ProposalOpen || dwd.By != "dwd" {
		t.Errorf("DWD proposal %+v", dwd)
	}
	if am.Source != "alertmanager" || am.Scenario != "cyberangriff" || len(am.Alerts) != 2 || am.Alerts[1].Status != "resolved" {
		t.Errorf("Alertmanager proposal %+v", am)
	}
	for _, id := range []string{dwd.ID, am.ID} {
		if evs, err := s.Engine.Events(t.Context(), id); err != nil || len(evs) != 1 || evs[0].Kind != activation.KindProposalReceived {
			t.Errorf("the same warning twice should leave one event, not a refusal: %+v %v", evs, err)
		}
	}
	if v := s.Engine.Incidents(); len(v) != 0 {
		t.Fatalf("a warning alerted by itself: %+v", v)
	}
	r := s.do("POST", "/api/v1/proposals/"+dwd.ID+"/confirm", dutyToken, `{"exercise":false,"reason":"Pegel steigen"}`)
	var out struct {
		IncidentID string                  `json:"incident_id"`
		Proposal   activation.ProposalView `json:"proposal"`
	}
	if r.Status != 201 {
		t.Fatalf("confirm: %d %s", r.Status, r.Body)
	}
	mustJSON(t, r, &out)
	decl, ok := activation.Declared{}, false
	s.Engine.View(func(c *activation.Core) { decl, ok = c.Declaration(out.IncidentID) })
	if !ok || decl.DeclaredBy != "Lagedienst Müller" || decl.Exercise || decl.Scenario != "hochwasser" ||
		decl.ProposedBy == nil || decl.ProposedBy.Source != "cap" || decl.ProposedBy.SourceID != dwdSourceID || decl.ProposedBy.By != "dwd" {
		t.Fatalf("declaration %+v (proposed by %+v)", decl, decl.ProposedBy)
	}
	if out.Proposal.Status != activation.ProposalConfirmed || out.Proposal.Decision.By != "Lagedienst Müller" {
		t.Errorf("proposal after confirmation %+v", out.Proposal)
	}
	// The DWD lifts the warning: the running incident keeps running.
	if r := s.do("POST", "/api/v1/intake/cap", intakeToken, testdata(t, "dwd-cancel.xml")); r.Status != 200 {
		t.Fatalf("cancel: %d %s", r.Status, r.Body)
	}
	if v, _ := s.Engine.Incident(out.IncidentID); v.Status != "open" {
		t.Errorf("the source's cancel closed the incident: %s", v.Status)
	}
}

func TestCAPCancelWithdrawsAnOpenProposal(t *testing.T) {
	s := startAPI(t)
	if r := s.do("POST", "/api/v1/intake/cap", intakeToken, testdata(t, "dwd-unwetter.xml")); r.Status != 200 {
		t.Fatalf("%d %s", r.Status, r.Body)
	}
	r := s.do("POST", "/api/v1/intake/cap", intakeToken, testdata(t, "dwd-cancel.xml"))
	if r.Status != 200 || !strings.Contains(string(r.Body), `"status": "withdrawn"`) {
		t.Fatalf("cancel: %d %s", r.Status, r.Body)
	}
	id := alerting.ProposalID("cap", dwdSourceID)
	wantError(t, s.do("POST", "/api/v1/proposals/"+id+"/confirm", dutyToken, `{"exercise":false,"reason":"x"}`), 409, alerting.CodeProposalClosed)
}

func TestIntakeTokenMayOnlyDeliverWarnings(t *testing.T) {
	s := startAPI(t)
	id := s.declare(`{"scenario":"cyberangriff","organisations":["MI"],"exercise":true,"reason":"Übung"}`)
	for _, c := range []struct{ method, path, body string }{
		{"GET", "/api/v1/incidents", ""},
		{"GET", "/api/v1/incidents/" + id, ""},
		{"POST", "/api/v1/incidents", `{"scenario":"cyberangriff","exercise":true,"reason":"x"}`},
		{"POST", "/api/v1/incidents/" + id + "/stand-down", `{"reason":"x"}`},
		{"GET", "/api/v1/scenarios", ""},
		{"GET", "/api/v1/proposals", ""},
		{"POST", "/api/v1/proposals/P-0000000000/dismiss", `{"reason":"x"}`},
	} {
		wantError(t, s.do(c.method, c.path, intakeToken, c.body), 403, "forbidden")
	}
	for _, tok := range []string{viewerToken, dutyToken} {
		wantError(t, s.do("POST", "/api/v1/intake/alertmanager", tok, testdata(t, "alertmanager.json")), 403, "forbidden")
	}
	wantError(t, s.do("POST", "/api/v1/intake/cap", "", testdata(t, "dwd-unwetter.xml")), 401, "unauthorized")
	big := "<alert>" + strings.Repeat(" ", 600<<10) + "</alert>"
	wantError(t, s.do("POST", "/api/v1/intake/cap", intakeToken, big), 413, "too_large")
}

func TestWarningsAreLimitedPerToken(t *testing.T) {
	s := startAPIWith(t, func(o *httpapi.Options) { o.WarningRate = httpapi.Rate{Burst: 1, Every: time.Hour} })
	if r := s.do("POST", "/api/v1/intake/cap", intakeToken, testdata(t, "dwd-unwetter.xml")); r.Status != 200 {
		t.Fatalf("%d %s", r.Status, r.Body)
	}
	r := s.do("POST", "/api/v1/intake/cap", intakeToken, testdata(t, "dwd-cancel.xml"))
	wantError(t, r, 429, alerting.CodeRateLimited)
	if r.Header.Get("Retry-After") == "" {
		t.Error("no Retry-After")
	}
}

// TestCAPSchemaRefusalNamesElementAndLine: a warning the CAP 1.2 schema
// refuses is a 400 whose message says which element on which line.
func TestCAPSchemaRefusalNamesElementAndLine(t *testing.T) {
	s := startAPI(t)
	bad := strings.Replace(testdata(t, "dwd-unwetter.xml"), "<severity>Severe</severity>", "<severity>Schwer</severity>", 1)
	r := s.do("POST", "/api/v1/intake/cap", intakeToken, bad)
	wantError(t, r, 400, alerting.CodeInvalidWarning)
	var e struct {
		Error struct{ Message string } `json:"error"`
	}
	if err := json.Unmarshal(r.Body, &e); err != nil || !strings.Contains(e.Error.Message, `CAP 1.2 schema: line 17: <severity>: "Schwer" is not one of`) {
		t.Fatalf("the refusal does not name element and line: %s (%v)", r.Body, err)
	}
}
