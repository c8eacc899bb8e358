package httpapi_test

import (
	"net/http"
	"testing"
)

// Bodies with a key given twice are refused before anything happens: the
// last one used to win, so an exercise could become a real alarm and an
// "unavailable" an "available".
func TestBodiesWithDuplicateKeysAreRefused(t *testing.T) {
	s := startAPI(t)
	id := s.declare(`{"scenario":"cyberangriff","organisations":["MI"],"exercise":true,"reason":"Übung"}`)
	for _, tc := range []struct{ name, path, body string }{
		{"declaration", "/api/v1/incidents",
			`{"scenario":"cyberangriff","organisations":["MI"],"exercise":true,"reason":"Übung","exercise":false}`},
		{"declaration, other case", "/api/v1/incidents",
			`{"scenario":"cyberangriff","organisations":["MI"],"exercise":true,"reason":"Übung","EXERCISE":false}`},
		{"response", "/api/v1/incidents/" + id + "/responses", `{"person":"mi-uwe-boehm","kind":"unavailable","kind":"available"}`},
		{"stand-down", "/api/v1/incidents/" + id + "/stand-down", `{"reason":"Ende","reason":"x"}`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			wantError(t, s.do("POST", tc.path, dutyToken, tc.body), http.StatusBadRequest, "invalid_json")
		})
	}
	if n := len(s.Engine.Incidents()); n != 1 {
		t.Errorf("%d incidents, want only the first: a refused body declared one", n)
	}
	if v, _ := s.Engine.Incident(id); v.Status != "open" || v.Counts.Responses != 0 {
		t.Errorf("incident %s: status %s, %d responses; want open with none", id, v.Status, v.Counts.Responses)
	}
}
