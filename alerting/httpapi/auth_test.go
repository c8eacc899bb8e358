package httpapi_test

import (
	"net/http"
	"strings"
	"testing"

	"github.com/kaskade-bcm/kaskade/alerting/httpapi"
	"github.com/kaskade-bcm/kaskade/config"
)

func TestAuthenticate(t *testing.T) {
	cfg := &config.Config{Tokens: []config.APIToken{
		// Configured hashes may be upper case; they are compared in lower case.
		{Name: "wall", Role: config.RoleViewer, SHA256: strings.ToUpper(httpapi.HashToken("wall-secret"))},
	}}
	a := httpapi.NewAuth(cfg, httpapi.Token{Name: "admin", Role: config.RoleAdmin, SHA256: httpapi.HashToken("admin-secret")})
	cases := []struct {
		token, name string
		role        config.Role
		ok          bool
	}{
		{"wall-secret", "wall", config.RoleViewer, true},
		{"admin-secret", "admin", config.RoleAdmin, true},
		{"", "", "", false},
		{"wall-secret ", "", "", false},
		{"WALL-SECRET", "", "", false},
		{httpapi.HashToken("wall-secret"), "", "", false}, // the stored hash is not a token
	}
	for _, tc := range cases {
		name, role, ok := a.Authenticate(tc.token)
		if name != tc.name || role != tc.role || ok != tc.ok {
			t.Errorf("Authenticate(%q) = %q %q %v, want %q %q %v", tc.token, name, role, ok, tc.name, tc.role, tc.ok)
		}
	}
	for role, want := range map[config.Role]bool{config.RoleViewer: false, config.RoleDutyOfficer: true, config.RoleAdmin: true, "": false, "root": false} {
		if got := httpapi.CanAct(role); got != want {
			t.Errorf("CanAct(%q) = %v, want %v", role, got, want)
		}
	}
}

type authCase struct {
	name   string
	auth   string // see apiServer.do
	header []string
	status int
	code   string
}

// TestAuthAndRoles checks every /api/v1 endpoint: no or wrong credentials
// are 401, a viewer may read but not act, board sessions need the CSRF
// token for writes, and no response repeats a token.
func TestAuthAndRoles(t *testing.T) {
	// Many wrong tokens from one address: the limit has its own test.
	s := startAPIWith(t, func(o *httpapi.Options) { o.WrongTokens = httpapi.Rate{Burst: -1} })
	id := s.declare(`{"scenario":"cyberangriff","organisations":["MI"],"reason":"Übung","exercise":true}`)
	type endpoint struct {
		method, path, body string
		write              bool
	}
	endpoints := []endpoint{
		{"GET", "/api/v1/incidents", "", false},
		{"GET", "/api/v1/incidents/" + id, "", false},
		{"GET", "/api/v1/incidents/" + id + "/readiness", "", false},
		{"GET", "/api/v1/incidents/" + id + "/report", "", false},
		{"GET", "/api/v1/scenarios", "", false},
		{"GET", "/api/v1/exercises", "", false},
		{"POST", "/api/v1/incidents", `{"scenario":"cyberangriff","organisations":["MI"],"reason":"x"}`, true},
		{"POST", "/api/v1/incidents/" + id + "/responses", `{"person":"mi-uwe-boehm","kind":"available"}`, true},
		{"POST", "/api/v1/incidents/" + id + "/updates", `{"text":"Lage"}`, true},
		{"POST", "/api/v1/incidents/" + id + "/convert", `{"reason":"echt"}`, true},
		{"POST", "/api/v1/incidents/" + id + "/abort", `{}`, true},
		{"POST", "/api/v1/incidents/" + id + "/stand-down", `{"reason":"Ende"}`, true},
	}
	const guess = "guessed-token-5e8f2a"
	for _, ep := range endpoints {
		t.Run(ep.method+" "+ep.path, func(t *testing.T) {
			cases := []authCase{
				{"no credentials", "", nil, 401, "unauthorized"},
				{"wrong token", guess, nil, 401, "unauthorized"},
				{"empty bearer", "raw:Bearer ", nil, 401, "unauthorized"},
				{"basic auth", "raw:Basic YWRtaW46YWRtaW4=", nil, 401, "unauthorized"},
				{"token without scheme", "raw:" + adminToken, nil, 401, "unauthorized"},
				// A bad bearer token is refused even with a valid session beside it.
				{"wrong token beside a session", guess, []string{"Cookie", "session=Mueller:admin", "X-CSRF-Token", "ok"}, 401, "unauthorized"},
				{"unknown session", "", []string{"Cookie", "other=1"}, 401, "unauthorized"},
			}
			if ep.write {
				cases = append(cases,
					authCase{"viewer token", viewerToken, nil, 403, "forbidden"},
					authCase{"viewer session", "", []string{"Cookie", "session=Wand:viewer", "X-CSRF-Token", "ok"}, 403, "forbidden"},
					authCase{"session without CSRF token", "", []string{"Cookie", "session=Mueller:duty_officer"}, 403, "csrf"},
					authCase{"session with wrong CSRF token", "", []string{"Cookie", "session=Mueller:duty_officer", "X-CSRF-Token", "nope"}, 403, "csrf"},
				)
			}
			for _, tc := range cases {
				t.Run(tc.name, func(t *testing.T) {
					r := s.do(ep.method, ep.path, tc.auth, ep.body, tc.header...)
					wantError(t, r, tc.status, tc.code)
					if strings.Contains(string(r.Body), guess) {
						t.Fatalf("the sent token is echoed: %s", r.Body)
					}
					if tc.status == 401 && tc.auth == "" && r.Header.Get("WWW-Authenticate") == "" {
						t.Error("401 without WWW-Authenticate")
					}
				})
			}
		})
	}
	// Reads are open to viewers, by token and by session (no CSRF needed).
	for _, ep := range endpoints {
		if ep.write {
			continue
		}
		if r := s.do(ep.method, ep.path, viewerToken, ""); r.Status != http.StatusOK {
			t.Errorf("viewer token %s %s: %d %s", ep.method, ep.path, r.Status, r.Body)
		}
		if r := s.do(ep.method, ep.path, "", "", "Cookie", "session=Wand:viewer"); r.Status != http.StatusOK {
			t.Errorf("viewer session %s %s: %d %s", ep.method, ep.path, r.Status, r.Body)
		}
	}
	// A duty officer's session with its CSRF token may act; the action is
	// recorded under the session's name.
	r := s.do("POST", "/api/v1/incidents/"+id+"/updates", "", `{"text":"Lagemeldung 1"}`,
		"Cookie", "session=Lagedienst Schulz:duty_officer", "X-CSRF-Token", "ok")
	if r.Status != http.StatusOK || !strings.Contains(string(r.Body), `"by": "Lagedienst Schulz"`) {
		t.Fatalf("session update: %d %s", r.Status, r.Body)
	}
	// Each writing role may act; the record names the token, never shows it.
	for _, tok := range []string{dutyToken, adminToken} {
		r := s.do("POST", "/api/v1/incidents/"+id+"/responses", tok, `{"person":"mi-uwe-boehm","kind":"available"}`)
		if r.Status != http.StatusOK {
			t.Fatalf("respond: %d %s", r.Status, r.Body)
		}
		for _, secret := range []string{viewerToken, dutyToken, adminToken} {
			if strings.Contains(string(r.Body), secret) {
				t.Fatalf("response body shows a token: %s", r.Body)
			}
		}
	}
}

// TestHealthNeedsNoToken: liveness and readiness probes are unauthenticated.
func TestHealthNeedsNoToken(t *testing.T) {
	s := startAPI(t)
	var health map[string]any
	r := s.do("GET", "/healthz", "", "")
	mustJSON(t, r, &health)
	if r.Status != 200 || health["status"] != "ok" {
		t.Fatalf("/healthz: %d %s", r.Status, r.Body)
	}
	var ready map[string]any
	r = s.do("GET", "/readyz", "", "")
	mustJSON(t, r, &ready)
	if r.Status != 200 || ready["status"] != "ready" || ready["leader"] != true {
		t.Fatalf("/readyz: %d %s", r.Status, r.Body)
	}
}

// TestBearerSchemeIsCaseInsensitive: the scheme name is case-insensitive
// (RFC 9110 §11.1); some clients send "bearer".
func TestBearerSchemeIsCaseInsensitive(t *testing.T) {
	s := startAPI(t)
	for _, h := range []string{"Bearer " + viewerToken, "bearer " + viewerToken, "BEARER " + viewerToken, "Bearer   " + viewerToken} {
		r := s.do("GET", "/api/v1/incidents", "raw:"+h, "")
		if r.Status != http.StatusOK || !strings.Contains(string(r.Body), `"incidents"`) {
			t.Errorf("Authorization %q: %d %s", h, r.Status, r.Body)
		}
	}
	for _, h := range []string{"Bearer", "Bearer" + viewerToken, "Token " + viewerToken, "bearer " + strings.ToUpper(viewerToken)} {
		wantError(t, s.do("GET", "/api/v1/incidents", "raw:"+h, ""), http.StatusUnauthorized, "unauthorized")
	}
}
