package httpapi_test

import (
	"encoding/csv"
	"encoding/json"
	"strings"
	"testing"
)

func TestReports(t *testing.T) {
	s := startAPI(t)
	id := s.declare(`{"scenario":"cyberangriff","organisations":["MI"],"exercise":true,"reason":"Übung"}`)
	if r := s.do("POST", "/api/v1/incidents/"+id+"/responses", dutyToken, `{"person":"mi-uwe-boehm","kind":"available"}`); r.Status != 200 {
		t.Fatalf("respond: %d %s", r.Status, r.Body)
	}
	report := "/api/v1/incidents/" + id + "/report"
	cases := []struct {
		name, path, contentType string
		check                   func(t *testing.T, body string)
	}{
		{"report, default HTML in German", report, "text/html", func(t *testing.T, b string) {
			if !strings.Contains(b, `<html lang="de">`) || !strings.Contains(b, "Übungsbericht "+id) {
				t.Fatalf("not the German HTML report:\n%.300s", b)
			}
		}},
		{"report, HTML by name", report + "?format=html", "text/html", func(t *testing.T, b string) {
			if !strings.Contains(b, `<html lang="de">`) {
				t.Fatalf("not the HTML report:\n%.300s", b)
			}
		}},
		{"report, HTML in English", report + "?format=html&lang=en", "text/html", func(t *testing.T, b string) {
			if !strings.Contains(b, `<html lang="en">`) {
				t.Fatalf("not the English HTML report:\n%.300s", b)
			}
		}},
		{"report, unknown language falls back to German", report + "?lang=fr", "text/html", func(t *testing.T, b string) {
			if !strings.Contains(b, `<html lang="de">`) {
				t.Fatalf("not the German HTML report:\n%.300s", b)
			}
		}},
		{"report, JSON", report + "?format=json", "application/json", func(t *testing.T, b string) {
			var v map[string]any
			if err := json.Unmarshal([]byte(b), &v); err != nil || len(v) == 0 {
				t.Fatalf("not a JSON report: %v\n%.300s", err, b)
			}
			if !strings.Contains(b, `"`+id+`"`) {
				t.Fatalf("the JSON report does not name %s:\n%.300s", id, b)
			}
		}},
		{"report, CSV", report + "?format=csv", "text/csv", func(t *testing.T, b string) {
			rows, err := csv.NewReader(strings.NewReader(b)).ReadAll()
			if err != nil || len(rows) < 2 {
				t.Fatalf("not a CSV report: %v\n%.300s", err, b)
			}
		}},
		{"exercise history, HTML", "/api/v1/exercises", "text/html", func(t *testing.T, b string) {
			if !strings.Contains(b, "<html") {
				t.Fatalf("not HTML:\n%.300s", b)
			}
		}},
		{"exercise history, JSON", "/api/v1/exercises?format=json", "application/json", func(t *testing.T, b string) {
			var v any
			if err := json.Unmarshal([]byte(b), &v); err != nil {
				t.Fatalf("not JSON: %v\n%.300s", err, b)
			}
		}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			r := s.do("GET", tc.path, viewerToken, "")
			if r.Status != 200 || !strings.HasPrefix(r.Header.Get("Content-Type"), tc.contentType) {
				t.Fatalf("%d %q, want 200 %s; body %.300s", r.Status, r.Header.Get("Content-Type"), tc.contentType, r.Body)
			}
			if r.Header.Get("Cache-Control") != "no-store" {
				t.Errorf("Cache-Control %q, want no-store", r.Header.Get("Cache-Control"))
			}
			tc.check(t, string(r.Body))
		})
	}
	// The CSV is a download named after the incident.
	if cd := s.do("GET", report+"?format=csv", viewerToken, "").Header.Get("Content-Disposition"); cd != `attachment; filename="bericht-`+id+`.csv"` {
		t.Errorf("Content-Disposition %q", cd)
	}

	// What is not served is a clear error, not a 200 in another format.
	for _, tc := range []struct{ name, path string }{
		{"report, unknown format", report + "?format=pdf"},
		{"report, format in capitals", report + "?format=CSV"},
		{"exercise history as CSV (html or json only)", "/api/v1/exercises?format=csv"},
		{"exercise history, unknown format", "/api/v1/exercises?format=xml"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			wantError(t, s.do("GET", tc.path, viewerToken, ""), 400, "invalid_format")
		})
	}
	wantError(t, s.do("GET", "/api/v1/incidents/K99/report", viewerToken, ""), 404, "unknown_incident")
	wantError(t, s.do("GET", "/api/v1/incidents/K99/report?format=json", viewerToken, ""), 404, "unknown_incident")
}

// Finding 7 of issue 15: report and history HTML carried no CSP, no
// X-Frame-Options and no nosniff.
func TestReportHTMLSecurityHeaders(t *testing.T) {
	s := startAPI(t)
	id := s.declare(`{"scenario":"cyberangriff","organisations":["MI"],"exercise":true,"reason":"Übung"}`)
	for _, path := range []string{"/api/v1/incidents/" + id + "/report", "/api/v1/exercises"} {
		r := s.do("GET", path, viewerToken, "")
		if r.Status != 200 {
			t.Fatalf("%s: %d %s", path, r.Status, r.Body)
		}
		for k, want := range map[string]string{"X-Frame-Options": "DENY", "X-Content-Type-Options": "nosniff", "Referrer-Policy": "no-referrer"} {
			if got := r.Header.Get(k); got != want {
				t.Errorf("%s: %s = %q, want %q", path, k, got, want)
			}
		}
		if csp := r.Header.Get("Content-Security-Policy"); !strings.Contains(csp, "default-src 'none'") || !strings.Contains(csp, "frame-ancestors 'none'") {
			t.Errorf("%s: Content-Security-Policy %q", path, csp)
		}
	}
}
