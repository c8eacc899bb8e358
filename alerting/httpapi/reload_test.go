package httpapi_test

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/kaskade-bcm/kaskade/activation"
	"github.com/kaskade-bcm/kaskade/alerting/httpapi"
	"github.com/kaskade-bcm/kaskade/config"
)

// fakeReloader answers as the server would and remembers who asked.
type fakeReloader struct {
	err error
	by  []string
}

func (f *fakeReloader) reload(_ context.Context, by string) (httpapi.ReloadResult, error) {
	f.by = append(f.by, by)
	if f.err != nil {
		return httpapi.ReloadResult{}, f.err
	}
	return httpapi.ReloadResult{ConfigReloaded: activation.ConfigReloaded{By: by, Via: "api", SHA256: strings.Repeat("0f", 32),
		Organisations: 11, People: 40, Scenarios: 4, CallTrees: 11, Tokens: 3}, Warnings: 2}, nil
}

// TestConfigReloadEndpoint: only an admin reloads; a refusal says why in
// the error envelope (422 invalid, 409 restart needed, 503 not recorded),
// and every answer matches openapi.json.
func TestConfigReloadEndpoint(t *testing.T) {
	_, router := loadOpenAPI(t)
	for _, tc := range []struct {
		name, token string
		cookie      []string
		err         error
		status      int
		code, says  string
		reached     bool
	}{
		{name: "admin", token: adminToken, status: 200, reached: true},
		{name: "viewer", token: viewerToken, status: 403, code: "forbidden"},
		{name: "duty officer", token: dutyToken, status: 403, code: "forbidden"},
		{name: "no token", status: 401, code: "unauthorized"},
		{name: "admin session without CSRF token", cookie: []string{"Cookie", "session=admin:admin"}, status: 403, code: "csrf"},
		{name: "admin session", cookie: []string{"Cookie", "session=admin:admin", "X-CSRF-Token", "ok"}, status: 200, reached: true},
		{name: "invalid file", token: adminToken, err: &httpapi.ReloadError{Problems: []string{"kaskade.yaml:12: people[3].mobile: not a phone number"}},
			status: 422, code: "invalid_config", says: "kaskade.yaml:12: people[3].mobile", reached: true},
		{name: "restart needed", token: adminToken, err: &httpapi.ReloadError{NeedsRestart: []string{"nats", "channels.twilio"}},
			status: 409, code: "needs_restart", says: "nats, channels.twilio", reached: true},
		{name: "not recorded", token: adminToken, err: errors.New("nats: no responders"), status: 503, code: "unavailable", reached: true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := &fakeReloader{err: tc.err}
			s := startAPIWith(t, func(o *httpapi.Options) { o.Reload = f.reload })
			r := s.do("POST", "/api/v1/config/reload", tc.token, "", tc.cookie...)
			if tc.status != 200 {
				wantError(t, r, tc.status, tc.code)
				if !strings.Contains(string(r.Body), tc.says) {
					t.Errorf("the refusal does not say why (%q): %s", tc.says, r.Body)
				}
			} else if r.Status != 200 || !strings.Contains(string(r.Body), `"sha256"`) {
				t.Fatalf("status %d: %s", r.Status, r.Body)
			}
			if got := len(f.by) > 0; got != tc.reached {
				t.Fatalf("reloader called: %v, want %v", got, tc.reached)
			}
			if tc.reached && tc.err == nil && f.by[0] != "admin" {
				t.Errorf("reload by %q, want the token's name", f.by[0])
			}
			if tc.cookie == nil {
				checkAgainstDoc(t, router, s.URL, apiCall{name: tc.name, method: "POST", path: "/api/v1/config/reload", token: tc.token, status: tc.status}, r)
			}
		})
	}
}

// TestConfigReloadErrorListsAtMostFifty: a file with thousands of problems
// gives a readable answer that points to `kaskade config check`.
func TestConfigReloadErrorListsAtMostFifty(t *testing.T) {
	probs := make([]string, 3000)
	for i := range probs {
		probs[i] = "people.csv: bad row"
	}
	msg := (&httpapi.ReloadError{Problems: probs}).Error()
	if n := strings.Count(msg, "bad row"); n != 50 || !strings.Contains(msg, "2950") || !strings.Contains(msg, "config check") {
		t.Fatalf("%d problems listed: %.300s", n, msg)
	}
}

// TestAuthReplaceSwapsTokens: after Replace the new tokens work and the old
// ones do not (a reload that rotates tokens).
func TestAuthReplaceSwapsTokens(t *testing.T) {
	cfg := &config.Config{}
	a := httpapi.NewAuth(cfg, httpapi.Token{Name: "old", Role: config.RoleAdmin, SHA256: httpapi.HashToken("old-secret")})
	a.Replace(httpapi.NewAuth(cfg, httpapi.Token{Name: "new", Role: config.RoleViewer, SHA256: httpapi.HashToken("new-secret")}))
	if _, _, ok := a.Authenticate("old-secret"); ok {
		t.Error("a removed token still works")
	}
	if name, role, ok := a.Authenticate("new-secret"); !ok || name != "new" || role != "viewer" {
		t.Errorf("the new token: %q %q %v", name, role, ok)
	}
}
