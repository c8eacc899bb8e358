package main

import (
	"io"
	"net/http"
	"strings"
	"testing"
)

func TestAPIRejectsBadRequestsClearly(t *testing.T) {
	s := startTest(t, t.TempDir(), &recorder{}, nil)
	big := `{"scenario":"cyberangriff","reason":"` + strings.Repeat("x", 70<<10) + `"}`
	cases := []struct {
		name, method, path, auth, body string
		status                         int
		code                           string
	}{
		{"no token", "GET", "/api/v1/incidents", "", "", 401, "unauthorized"},
		{"wrong token", "GET", "/api/v1/incidents", "Bearer nope", "", 401, "unauthorized"},
		{"malformed JSON", "POST", "/api/v1/incidents", "admin", `{"scenario":`, 400, "invalid_json"},
		{"unknown field", "POST", "/api/v1/incidents", "admin", `{"scenario":"cyberangriff","reason":"x","exercize":true}`, 400, "invalid_json"},
		{"unknown scenario", "POST", "/api/v1/incidents", "admin", `{"scenario":"meteorit","reason":"x"}`, 422, "unknown_scenario"},
		{"unknown organisation", "POST", "/api/v1/incidents", "admin", `{"scenario":"cyberangriff","reason":"x","organisations":["XX"]}`, 422, "unknown_organisation"},
		{"missing reason", "POST", "/api/v1/incidents", "admin", `{"scenario":"cyberangriff"}`, 400, "missing_reason"},
		{"oversize body", "POST", "/api/v1/incidents", "admin", big, 413, "too_large"},
		{"unknown incident", "GET", "/api/v1/incidents/K99", "admin", "", 404, "unknown_incident"},
		{"respond to unknown incident", "POST", "/api/v1/incidents/K99/responses", "admin", `{"person":"mi-uwe-boehm","kind":"available"}`, 404, "unknown_incident"},
		{"unknown endpoint", "GET", "/api/v1/nothing", "admin", "", 404, "not_found"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			req, _ := http.NewRequest(tc.method, s.URL+tc.path, strings.NewReader(tc.body))
			switch tc.auth {
			case "admin":
				req.Header.Set("Authorization", "Bearer "+s.token)
			case "":
			default:
				req.Header.Set("Authorization", tc.auth)
			}
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			b, _ := io.ReadAll(resp.Body)
			if resp.StatusCode != tc.status || !strings.Contains(string(b), `"code": "`+tc.code+`"`) {
				t.Fatalf("%d %s, want %d %s", resp.StatusCode, b, tc.status, tc.code)
			}
		})
	}
	// Bad answers on a real incident: unknown person, bad kind, bad delay.
	var out map[string]any
	if code := s.api("POST", "/api/v1/incidents", map[string]any{"scenario": "cyberangriff", "organisations": []string{"MI"}, "reason": "x"}, &out); code != 201 {
		t.Fatal(code)
	}
	for body, want := range map[string]int{
		`{"person":"nobody","kind":"available"}`:                    422,
		`{"person":"mi-uwe-boehm","kind":"maybe"}`:                  400,
		`{"person":"mi-uwe-boehm","kind":"delayed"}`:                400,
		`{"person":"mi-uwe-boehm","kind":"available"}`:              200,
		`{"person":"mi-uwe-boehm","kind":"delayed","minutes":2000}`: 400,
	} {
		req, _ := http.NewRequest("POST", s.URL+"/api/v1/incidents/K1/responses", strings.NewReader(body))
		req.Header.Set("Authorization", "Bearer "+s.token)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != want {
			t.Errorf("%s → %d, want %d", body, resp.StatusCode, want)
		}
	}
	// /healthz and /readyz need no token.
	for _, p := range []string{"/healthz", "/readyz", "/metrics"} {
		resp, err := http.Get(s.URL + p)
		if err != nil || resp.StatusCode != 200 {
			t.Fatalf("%s: %v %v", p, err, resp.Status)
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if p == "/metrics" && !strings.Contains(string(b), "kaskade_declarations_total") {
			t.Fatal("metrics lack kaskade_declarations_total")
		}
	}
}
