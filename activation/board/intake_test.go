package board

import (
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/kaskade-bcm/kaskade/activation/web"
	"github.com/kaskade-bcm/kaskade/config"
)

// A warning system's intake token is a right token without access to the
// board: 403 on every board endpoint and at login, as the README says,
// and never counted as a wrong token (it answered 401 and, after a few
// calls, locked the address out with 429).
func TestIntakeTokenIsForbiddenNotWrong(t *testing.T) {
	const intakeToken = "intake-token-dwd"
	e := newEnv(t, false)
	e.auth.mu.Lock()
	e.auth.tokens[intakeToken] = fakeUser{"dwd", config.RoleIntake}
	e.auth.mu.Unlock()

	get := func(path, token string) (int, web.ErrorBody) {
		t.Helper()
		req, _ := http.NewRequest("GET", e.srv.URL+path, nil)
		req.Header.Set("Authorization", "Bearer "+token)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		var body struct{ Error web.ErrorBody }
		_ = json.NewDecoder(resp.Body).Decode(&body)
		return resp.StatusCode, body.Error
	}
	paths := []string{"/api/v1/stream", "/api/v1/session", "/api/v1/incidents/K1/organisations/MI", "/card/MI"}
	for range 3 { // more than enough calls to pass the wrong-token burst
		for _, p := range paths {
			if st, body := get(p, intakeToken); st != http.StatusForbidden || body.Code != "forbidden" || body.Message == "" {
				t.Fatalf("GET %s with the intake token: %d %+v, want 403 forbidden", p, st, body)
			}
		}
	}
	if st, _ := get("/api/v1/session", "wrong"); st != http.StatusUnauthorized {
		t.Errorf("a wrong token after the intake token's calls: %d, want 401 (the intake calls were counted as failures)", st)
	}

	resp, err := e.client().PostForm(e.srv.URL+"/login", url.Values{"token": {intakeToken}})
	if err != nil {
		t.Fatal(err)
	}
	page, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusForbidden || len(resp.Cookies()) != 0 || !strings.Contains(string(page), "Warnsystem") {
		t.Fatalf("login with the intake token: %d, cookies %v, want 403 with the reason and no session", resp.StatusCode, resp.Cookies())
	}
}
