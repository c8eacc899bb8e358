package httpapi_test

import (
	"net/http"
	"testing"
)

// TestWrongMethodIsMethodNotAllowed: a known endpoint called with a method
// it does not serve answers 405 with Allow and the error envelope, not 404
// (the catch-all below /api/v1/ used to hide the mux's own 405).
func TestWrongMethodIsMethodNotAllowed(t *testing.T) {
	s := startAPI(t)
	id := s.declare(`{"scenario":"cyberangriff","organisations":["MI"],"exercise":true,"reason":"Übung"}`)
	for _, tc := range []struct{ method, path, allow string }{
		{"PUT", "/api/v1/incidents", "GET, HEAD, POST"},
		{"DELETE", "/api/v1/incidents/" + id, "GET, HEAD"},
		{"GET", "/api/v1/incidents/" + id + "/stand-down", "POST"},
		{"PATCH", "/api/v1/incidents/" + id + "/responses", "POST"},
		{"GET", "/api/v1/config/reload", "POST"},
		{"POST", "/api/v1/scenarios", "GET, HEAD"},
		{"DELETE", "/api/v1/incidents/K99", "GET, HEAD"}, // the route exists whatever the id
	} {
		t.Run(tc.method+" "+tc.path, func(t *testing.T) {
			r := s.do(tc.method, tc.path, dutyToken, "")
			wantError(t, r, http.StatusMethodNotAllowed, "method_not_allowed")
			if got := r.Header.Get("Allow"); got != tc.allow {
				t.Fatalf("Allow %q, want %q", got, tc.allow)
			}
		})
	}
	// Paths no route serves stay 404.
	for _, path := range []string{"/api/v1/nothing", "/api/v1/incidents/" + id + "/nothing"} {
		for _, m := range []string{"GET", "DELETE"} {
			wantError(t, s.do(m, path, dutyToken, ""), http.StatusNotFound, "not_found")
		}
	}
}
