package httpapi_test

import (
	"net/http"
	"strings"
	"testing"

	"github.com/kaskade-bcm/kaskade/activation"
)

type declared struct {
	IncidentID string                  `json:"incident_id"`
	Duplicate  bool                    `json:"duplicate"`
	Incident   activation.IncidentView `json:"incident"`
}

type errCase struct {
	name, body string
	status     int
	code       string
}

// TestDeclareRejectsBadInputClearly: every bad declaration gets a 4xx
// with a code, and none of them creates an incident.
func TestDeclareRejectsBadInputClearly(t *testing.T) {
	s := startAPI(t)
	cases := []errCase{
		{"empty body", ``, 400, "invalid_json"},
		{"malformed JSON", `{"scenario":`, 400, "invalid_json"},
		{"not an object", `["cyberangriff"]`, 400, "invalid_json"},
		{"wrong type", `{"scenario":"cyberangriff","reason":"x","exercise":"yes"}`, 400, "invalid_json"},
		{"unknown field", `{"scenario":"cyberangriff","reason":"x","exercize":true}`, 400, "invalid_json"},
		{"trailing data", `{"scenario":"cyberangriff","reason":"x"} {"scenario":"hochwasser"}`, 400, "invalid_json"},
		{"unknown scenario", `{"scenario":"meteorit","reason":"x"}`, 422, "unknown_scenario"},
		{"no scenario", `{"reason":"x"}`, 422, "unknown_scenario"},
		{"unknown organisation", `{"scenario":"cyberangriff","reason":"x","organisations":["MI","XX"]}`, 422, "unknown_organisation"},
		{"bad severity", `{"scenario":"cyberangriff","reason":"x","severity":"apocalypse"}`, 400, "invalid_severity"},
		{"German severity", `{"scenario":"cyberangriff","reason":"x","severity":"Notfall"}`, 400, "invalid_severity"},
		{"missing reason", `{"scenario":"cyberangriff"}`, 400, "missing_reason"},
		{"blank reason", `{"scenario":"cyberangriff","reason":"  "}`, 400, "missing_reason"},
		{"blank declared_by", `{"scenario":"cyberangriff","reason":"x","declared_by":"   "}`, 400, "missing_declared_by"},
		{"bad client id", `{"id":"a b","scenario":"cyberangriff","reason":"x"}`, 400, "invalid_id"},
		{"reason too long", `{"scenario":"cyberangriff","reason":"` + strings.Repeat("x", 4001) + `"}`, 400, "too_long"},
		{"drill that is no exercise", `{"scenario":"cyberangriff","reason":"x","drill":{"announced":true}}`, 400, "invalid_drill"},
		{"drill with a bad target", `{"scenario":"cyberangriff","reason":"x","exercise":true,"drill":{"target":"soon"}}`, 400, "invalid_drill"},
		{"oversize body", `{"scenario":"cyberangriff","reason":"` + strings.Repeat("x", 64<<10) + `"}`, 413, "too_large"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			wantError(t, s.do("POST", "/api/v1/incidents", dutyToken, tc.body), tc.status, tc.code)
		})
	}
	var list struct {
		Incidents []activation.IncidentView `json:"incidents"`
	}
	r := s.do("GET", "/api/v1/incidents", viewerToken, "")
	mustJSON(t, r, &list)
	if r.Status != 200 || len(list.Incidents) != 0 {
		t.Fatalf("rejected declarations created incidents: %d %s", r.Status, r.Body)
	}
}

func TestDeclare(t *testing.T) {
	s := startAPI(t)
	// declared_by defaults to the token's name; severity and title to the scenario's.
	r := s.do("POST", "/api/v1/incidents", dutyToken,
		`{"scenario":"cyberangriff","organisations":["MI","MI"],"exercise":true,"reason":"Verschlüsselungstrojaner","message":"Raum 101"}`)
	var d declared
	mustJSON(t, r, &d)
	v := d.Incident
	if r.Status != http.StatusCreated || d.IncidentID != "K1" || d.Duplicate || v.ID != "K1" || v.ReplyCode != "K1" ||
		v.Status != "open" || !v.Exercise || v.DeclaredBy != "Lagedienst Müller" || v.Reason != "Verschlüsselungstrojaner" ||
		v.Severity != "emergency" || v.Title != "Cyberangriff" || v.Message != "Raum 101" ||
		len(v.Organisations) != 1 || v.Organisations[0].Org != "MI" || v.Organisations[0].State == "" || len(v.Organisations[0].Required) == 0 {
		t.Fatalf("declare: %d %s", r.Status, r.Body)
	}
	// An explicit declared_by is kept; severity can be overridden; a real incident is not an exercise.
	r = s.do("POST", "/api/v1/incidents", adminToken,
		`{"scenario":"stromausfall","organisations":["MF"],"severity":"crisis","declared_by":"Lagedienst Schulz","reason":"Netzausfall"}`)
	mustJSON(t, r, &d)
	if r.Status != http.StatusCreated || d.IncidentID != "K2" || d.Incident.DeclaredBy != "Lagedienst Schulz" ||
		d.Incident.Severity != "crisis" || d.Incident.Exercise {
		t.Fatalf("second declare: %d %s", r.Status, r.Body)
	}
	// The log keeps which token declared, whatever declared_by says.
	var decl activation.Declared
	s.Engine.View(func(c *activation.Core) { decl, _ = c.Declaration("K2") })
	if decl.Source != "api:admin" || decl.DeclaredBy != "Lagedienst Schulz" {
		t.Fatalf("recorded source %q, declared_by %q; want api:admin, Lagedienst Schulz", decl.Source, decl.DeclaredBy)
	}
}

// TestDeclareDeduplicatesByClientID: the same client id never activates
// twice; the repeat answers 200 with the first incident.
func TestDeclareDeduplicatesByClientID(t *testing.T) {
	s := startAPI(t)
	body := `{"id":"uebung-2026-11","scenario":"cyberangriff","organisations":["MI"],"exercise":true,"reason":"Übung"}`
	var first, again, other declared
	r := s.do("POST", "/api/v1/incidents", dutyToken, body)
	mustJSON(t, r, &first)
	if r.Status != http.StatusCreated || first.Duplicate || first.IncidentID == "" {
		t.Fatalf("first: %d %s", r.Status, r.Body)
	}
	// The repeat may differ (another officer, a retry with more text): the id decides.
	r = s.do("POST", "/api/v1/incidents", adminToken,
		`{"id":"uebung-2026-11","scenario":"cyberangriff","organisations":["MI"],"exercise":true,"reason":"Übung, nochmal"}`)
	mustJSON(t, r, &again)
	if r.Status != http.StatusOK || !again.Duplicate || again.IncidentID != first.IncidentID || again.Incident.Reason != "Übung" {
		t.Fatalf("repeat: %d %s", r.Status, r.Body)
	}
	r = s.do("POST", "/api/v1/incidents", dutyToken, strings.Replace(body, "uebung-2026-11", "uebung-2026-12", 1))
	mustJSON(t, r, &other)
	if r.Status != http.StatusCreated || other.Duplicate || other.IncidentID == first.IncidentID {
		t.Fatalf("another id: %d %s", r.Status, r.Body)
	}
	var list struct {
		Incidents []activation.IncidentView `json:"incidents"`
	}
	mustJSON(t, s.do("GET", "/api/v1/incidents", viewerToken, ""), &list)
	if len(list.Incidents) != 2 {
		t.Fatalf("%d incidents, want 2", len(list.Incidents))
	}
}

func TestReads(t *testing.T) {
	s := startAPI(t)
	k1 := s.declare(`{"scenario":"cyberangriff","organisations":["MI"],"exercise":true,"reason":"Übung"}`)
	k2 := s.declare(`{"scenario":"hochwasser","organisations":["MI","MF"],"reason":"Pegel"}`)

	var list struct {
		Incidents []activation.IncidentView `json:"incidents"`
	}
	r := s.do("GET", "/api/v1/incidents", viewerToken, "")
	mustJSON(t, r, &list)
	if r.Status != 200 || len(list.Incidents) != 2 || list.Incidents[0].ID != k2 || list.Incidents[1].ID != k1 {
		t.Fatalf("list (newest first): %d %s", r.Status, r.Body)
	}
	if r.Header.Get("Cache-Control") != "no-store" {
		t.Errorf("Cache-Control %q", r.Header.Get("Cache-Control"))
	}

	var v activation.IncidentView
	r = s.do("GET", "/api/v1/incidents/"+k2, viewerToken, "")
	mustJSON(t, r, &v)
	if r.Status != 200 || v.ID != k2 || v.Scenario != "hochwasser" || v.Exercise || v.Status != "open" || len(v.Organisations) != 2 ||
		v.Counts.Requested == 0 {
		t.Fatalf("detail: %d %s", r.Status, r.Body)
	}

	var ready struct {
		Incident      string                    `json:"incident"`
		Status        string                    `json:"status"`
		Exercise      bool                      `json:"exercise"`
		Organisations []activation.OrgReadiness `json:"organisations"`
	}
	r = s.do("GET", "/api/v1/incidents/"+k1+"/readiness", viewerToken, "")
	mustJSON(t, r, &ready)
	if r.Status != 200 || ready.Incident != k1 || ready.Status != "open" || !ready.Exercise || len(ready.Organisations) != 1 {
		t.Fatalf("readiness: %d %s", r.Status, r.Body)
	}
	o := ready.Organisations[0]
	if o.Org != "MI" || o.Incident != k1 || o.State != activation.Alerting && o.State != activation.Forming ||
		len(o.Required) == 0 || len(o.Missing) == 0 || o.TargetSeconds <= 0 || o.Deadline.Before(o.ActivatedAt) {
		t.Fatalf("readiness tile: %+v", o)
	}

	var sc struct {
		Scenarios []activation.ScenarioInfo `json:"scenarios"`
	}
	r = s.do("GET", "/api/v1/scenarios", viewerToken, "")
	mustJSON(t, r, &sc)
	if r.Status != 200 || len(sc.Scenarios) != len(s.Config.Scenarios) || sc.Scenarios[0].ID != "cyberangriff" ||
		sc.Scenarios[0].Name.DE == "" || len(sc.Scenarios[0].Organisations) == 0 {
		t.Fatalf("scenarios: %d %s", r.Status, r.Body)
	}

	for _, tc := range []struct{ method, path, code string }{
		{"GET", "/api/v1/incidents/K99", "unknown_incident"},
		{"GET", "/api/v1/incidents/K99/readiness", "unknown_incident"},
		{"GET", "/api/v1/incidents/k1", "unknown_incident"}, // ids are case-sensitive
		{"GET", "/api/v1/nothing", "not_found"},
		{"GET", "/api/v1/incidents/" + k1 + "/nothing", "not_found"},
	} {
		wantError(t, s.do(tc.method, tc.path, viewerToken, ""), 404, tc.code)
	}
}

// TestRespondOnBehalf covers POST …/responses: validation of the person,
// the kind and the minutes, and the answer with the person's readiness.
func TestRespondOnBehalf(t *testing.T) {
	s := startAPI(t)
	id := s.declare(`{"scenario":"cyberangriff","organisations":["MI"],"exercise":true,"reason":"Übung"}`)
	path := "/api/v1/incidents/" + id + "/responses"
	cases := []errCase{
		{"malformed JSON", `{"person":`, 400, "invalid_json"},
		{"unknown field", `{"person":"mi-uwe-boehm","kind":"delayed","minute":30}`, 400, "invalid_json"},
		{"minutes as text", `{"person":"mi-uwe-boehm","kind":"delayed","minutes":"30"}`, 400, "invalid_json"},
		{"trailing data", `{"person":"mi-uwe-boehm","kind":"available"} {"person":"mi-uwe-boehm","kind":"unavailable"}`, 400, "invalid_json"},
		{"no person", `{"kind":"available"}`, 400, "invalid_response"},
		{"blank person", `{"person":" ","kind":"available"}`, 400, "invalid_response"},
		{"no kind", `{"person":"mi-uwe-boehm"}`, 400, "invalid_response"},
		{"unknown kind", `{"person":"mi-uwe-boehm","kind":"maybe"}`, 400, "invalid_response"},
		{"SMS digit as kind", `{"person":"mi-uwe-boehm","kind":"1"}`, 400, "invalid_response"},
		{"delayed without minutes", `{"person":"mi-uwe-boehm","kind":"delayed"}`, 400, "invalid_response"},
		{"delayed by zero minutes", `{"person":"mi-uwe-boehm","kind":"delayed","minutes":0}`, 400, "invalid_response"},
		{"delayed by negative minutes", `{"person":"mi-uwe-boehm","kind":"delayed","minutes":-5}`, 400, "invalid_response"},
		{"delayed by more than a day", `{"person":"mi-uwe-boehm","kind":"delayed","minutes":1441}`, 400, "invalid_response"},
		{"minutes with available", `{"person":"mi-uwe-boehm","kind":"available","minutes":30}`, 400, "invalid_response"},
		{"negative minutes with available", `{"person":"mi-uwe-boehm","kind":"available","minutes":-5}`, 400, "invalid_response"},
		{"minutes with unavailable", `{"person":"mi-uwe-boehm","kind":"unavailable","minutes":30}`, 400, "invalid_response"},
		{"unknown person", `{"person":"nobody","kind":"available"}`, 422, "unknown_person"},
		{"person of another organisation", `{"person":"mf-maren-quast","kind":"available"}`, 422, "unknown_person"},
		{"oversize body", `{"person":"mi-uwe-boehm","kind":"available","x":"` + strings.Repeat("x", 64<<10) + `"}`, 413, "too_large"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			wantError(t, s.do("POST", path, dutyToken, tc.body), tc.status, tc.code)
		})
	}
	wantError(t, s.do("POST", "/api/v1/incidents/K99/responses", dutyToken, `{"person":"mi-uwe-boehm","kind":"available"}`), 404, "unknown_incident")

	type answer struct {
		Person     string                    `json:"person"`
		Answer     string                    `json:"answer"`
		ETA        *string                   `json:"eta"`
		Readiness  []activation.OrgReadiness `json:"readiness"`
		RecordedBy string                    `json:"recorded_by"`
	}
	var a answer
	r := s.do("POST", path, dutyToken, `{"person":"mi-uwe-boehm","kind":"delayed","minutes":30}`)
	mustJSON(t, r, &a)
	if r.Status != 200 || a.Person != "mi-uwe-boehm" || a.Answer != "delayed" || a.ETA == nil || a.RecordedBy != "Lagedienst Müller" ||
		len(a.Readiness) != 1 || a.Readiness[0].Org != "MI" || a.Readiness[0].Coming != 1 {
		t.Fatalf("delayed: %d %s", r.Status, r.Body)
	}
	a = answer{}
	r = s.do("POST", path, adminToken, `{"person":"mi-uwe-boehm","kind":"available"}`)
	mustJSON(t, r, &a)
	if r.Status != 200 || a.Answer != "available" || a.ETA != nil || a.RecordedBy != "admin" ||
		len(a.Readiness) != 1 || a.Readiness[0].Available != 1 || a.Readiness[0].Coming != 1 || a.Readiness[0].Delayed != 0 {
		t.Fatalf("available: %d %s", r.Status, r.Body)
	}
	a = answer{}
	r = s.do("POST", path, dutyToken, `{"person":"mi-uwe-boehm","kind":"unavailable"}`)
	mustJSON(t, r, &a)
	if r.Status != 200 || a.Answer != "unavailable" || len(a.Readiness) != 1 || a.Readiness[0].Unavailable != 1 {
		t.Fatalf("unavailable: %d %s", r.Status, r.Body)
	}
}

// TestUpdateStandDownAbortConvert covers the incident actions.
func TestUpdateStandDownAbortConvert(t *testing.T) {
	s := startAPI(t)
	real := s.declare(`{"scenario":"cyberangriff","organisations":["MI"],"reason":"echt"}`)
	drill := s.declare(`{"scenario":"cyberangriff","organisations":["MI"],"exercise":true,"reason":"Übung"}`)
	act := func(id, action string) string { return "/api/v1/incidents/" + id + "/" + action }

	for _, tc := range []struct {
		errCase
		path string
	}{
		{errCase{"update of an unknown incident", `{"text":"x"}`, 404, "unknown_incident"}, act("K99", "updates")},
		{errCase{"stand-down of an unknown incident", `{"reason":"x"}`, 404, "unknown_incident"}, act("K99", "stand-down")},
		{errCase{"abort of an unknown incident", `{}`, 404, "unknown_incident"}, act("K99", "abort")},
		{errCase{"update without text", `{}`, 400, "missing_text"}, act(real, "updates")},
		{errCase{"update with blank text", `{"text":" \n "}`, 400, "missing_text"}, act(real, "updates")},
		{errCase{"update with a typo", `{"txt":"Lage"}`, 400, "invalid_json"}, act(real, "updates")},
		{errCase{"update, malformed", `{"text":`, 400, "invalid_json"}, act(real, "updates")},
		{errCase{"update, trailing data", `{"text":"a"} {"text":"b"}`, 400, "invalid_json"}, act(real, "updates")},
		{errCase{"update, oversize", `{"text":"` + strings.Repeat("x", 64<<10) + `"}`, 413, "too_large"}, act(real, "updates")},
		{errCase{"stand-down without reason", `{}`, 400, "missing_reason"}, act(real, "stand-down")},
		{errCase{"stand-down, empty body", ``, 400, "invalid_json"}, act(real, "stand-down")},
		{errCase{"abort a real incident", `{}`, 409, "not_an_exercise"}, act(real, "abort")},
		{errCase{"convert a real incident", `{"reason":"x"}`, 409, "not_an_exercise"}, act(real, "convert")},
		{errCase{"convert without reason", `{}`, 400, "missing_reason"}, act(drill, "convert")},
	} {
		t.Run(tc.name, func(t *testing.T) {
			wantError(t, s.do("POST", tc.path, dutyToken, tc.body), tc.status, tc.code)
		})
	}

	var v activation.IncidentView
	r := s.do("POST", act(real, "updates"), dutyToken, `{"text":"Stab tritt um 04:00 zusammen."}`)
	mustJSON(t, r, &v)
	if r.Status != 200 || v.ID != real || len(v.Updates) != 1 || v.Updates[0].Text != "Stab tritt um 04:00 zusammen." ||
		v.Updates[0].By != "Lagedienst Müller" {
		t.Fatalf("update: %d %s", r.Status, r.Body)
	}
	v = activation.IncidentView{}
	r = s.do("POST", act(real, "stand-down"), adminToken, `{"reason":"Lage beendet"}`)
	mustJSON(t, r, &v)
	if r.Status != 200 || v.Status != "stood_down" || v.StoodDownBy != "admin" || v.StoodDownAt == nil {
		t.Fatalf("stand-down: %d %s", r.Status, r.Body)
	}
	// A stood-down incident takes no more actions.
	wantError(t, s.do("POST", act(real, "stand-down"), dutyToken, `{"reason":"nochmal"}`), 409, "stood_down")
	wantError(t, s.do("POST", act(real, "updates"), dutyToken, `{"text":"x"}`), 409, "stood_down")
	// A late answer is still recorded (the report lists it).
	r = s.do("POST", act(real, "responses"), dutyToken, `{"person":"mi-uwe-boehm","kind":"available"}`)
	if r.Status != 200 || !strings.Contains(string(r.Body), `"answer": "available"`) {
		t.Fatalf("late answer: %d %s", r.Status, r.Body)
	}

	// Converting an exercise makes it real; after that it cannot be aborted as one.
	v = activation.IncidentView{}
	r = s.do("POST", act(drill, "convert"), dutyToken, `{"reason":"Angriff ist echt"}`)
	mustJSON(t, r, &v)
	if r.Status != 200 || v.Exercise || v.ConvertedBy != "Lagedienst Müller" || v.ConvertedAt == nil || v.Status != "open" {
		t.Fatalf("convert: %d %s", r.Status, r.Body)
	}
	wantError(t, s.do("POST", act(drill, "abort"), dutyToken, `{}`), 409, "not_an_exercise")

	// Aborting an exercise stands it down in one action, reason optional.
	third := s.declare(`{"scenario":"cyberangriff","organisations":["MI"],"exercise":true,"reason":"Übung"}`)
	v = activation.IncidentView{}
	r = s.do("POST", act(third, "abort"), dutyToken, `{"reason":"Fehlalarm"}`)
	mustJSON(t, r, &v)
	if r.Status != 200 || v.Status != "stood_down" || v.StoodDownBy != "Lagedienst Müller" {
		t.Fatalf("abort: %d %s", r.Status, r.Body)
	}
	wantError(t, s.do("POST", act(third, "abort"), dutyToken, `{}`), 409, "stood_down")
}

// TestNATSGone: without NATS nothing can be recorded. Writes say so with
// 503 unavailable (never a 2xx that was not recorded, never a 500), and
// /readyz reports it.
func TestNATSGone(t *testing.T) {
	s := startAPI(t)
	id := s.declare(`{"scenario":"cyberangriff","organisations":["MI"],"exercise":true,"reason":"Übung"}`)
	s.NC.Close()
	for _, tc := range []struct{ path, body string }{
		{"/api/v1/incidents", `{"scenario":"cyberangriff","organisations":["MI"],"reason":"x"}`},
		{"/api/v1/incidents", `{"id":"retry-1","scenario":"cyberangriff","organisations":["MI"],"reason":"x"}`},
		{"/api/v1/incidents/" + id + "/responses", `{"person":"mi-uwe-boehm","kind":"available"}`},
		{"/api/v1/incidents/" + id + "/updates", `{"text":"Lage"}`},
		{"/api/v1/incidents/" + id + "/stand-down", `{"reason":"Ende"}`},
	} {
		t.Run(tc.path, func(t *testing.T) {
			wantError(t, s.do("POST", tc.path, dutyToken, tc.body), http.StatusServiceUnavailable, "unavailable")
		})
	}
	r := s.do("GET", "/readyz", "", "")
	var ready map[string]any
	mustJSON(t, r, &ready)
	if r.Status != http.StatusServiceUnavailable || ready["status"] != "starting" {
		t.Fatalf("/readyz without NATS: %d %s", r.Status, r.Body)
	}
	wantError(t, s.do("GET", "/api/v1/incidents/"+id+"/report", viewerToken, ""), http.StatusServiceUnavailable, "unavailable")
}
