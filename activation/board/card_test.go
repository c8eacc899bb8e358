package board

import (
	"io"
	"net/http"
	"strings"
	"testing"
)

// cardingSource is the fake source that also prints cards: its page names
// the organisation, language and size asked for.
type cardingSource struct{ *fakeSource }

func (cardingSource) Card(org, lang, size string) ([]byte, bool) {
	if org != "MI" {
		return nil, false
	}
	return []byte("<p>card " + org + " " + lang + " " + size + "</p>"), true
}

func TestCardPage(t *testing.T) {
	e := newEnvWith(t, func(o *Options) { o.Source = cardingSource{o.Source.(*fakeSource)} })
	viewer := e.client()
	if resp := e.login(viewer, viewerToken); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("login: %d", resp.StatusCode)
	}
	tests := []struct {
		name, path, token string
		client            *http.Client
		status            int
		want              string // body, or Location for a redirect
	}{
		{"viewer session", "/card/MI", "", viewer, 200, "card MI de a6"},
		{"english A4", "/card/MI?lang=en&size=a4", "", viewer, 200, "card MI en a4"},
		{"bearer", "/card/MI", viewerToken, e.client(), 200, "card MI de a6"},
		{"unknown organisation", "/card/XX", "", viewer, 404, "unknown organisation"},
		{"not logged in", "/card/MI?lang=en", "", e.client(), 303, "/login?lang=en&next=%2Fcard%2FMI%3Flang%3Den"},
		{"wrong bearer", "/card/MI", "wrong", e.client(), 401, "unauthorized"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			req, _ := http.NewRequest("GET", e.srv.URL+tc.path, nil)
			if tc.token != "" {
				req.Header.Set("Authorization", "Bearer "+tc.token)
			}
			resp, err := tc.client.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			body, _ := io.ReadAll(resp.Body)
			if resp.StatusCode != tc.status {
				t.Fatalf("status %d, want %d: %s", resp.StatusCode, tc.status, body)
			}
			got := string(body)
			if tc.status == 303 {
				got = resp.Header.Get("Location")
			}
			if !strings.Contains(got, tc.want) {
				t.Errorf("got %q, want %q in it", got, tc.want)
			}
			if tc.status == 200 && !strings.Contains(resp.Header.Get("Content-Security-Policy"), "default-src 'none'") {
				t.Errorf("card page without the document CSP: %v", resp.Header)
			}
		})
	}
}

func TestCardPageWithoutCardSource(t *testing.T) {
	e := newEnv(t, false)
	req, _ := http.NewRequest("GET", e.srv.URL+"/card/MI", nil)
	req.Header.Set("Authorization", "Bearer "+viewerToken)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusNotFound {
		t.Fatalf("status %d, want 404 when the source prints no cards", resp.StatusCode)
	}
}
