package board

import (
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/kaskade-bcm/kaskade/activation"
)

// proposingSource is the fake source that also holds proposals.
type proposingSource struct{ *fakeSource }

func (proposingSource) Proposals() []activation.ProposalView {
	sent := time.Date(2026, 12, 3, 7, 0, 0, 0, time.UTC)
	return []activation.ProposalView{
		{ID: "P-open", Status: activation.ProposalOpen, Source: "cap", By: "dwd", Sent: sent, Event: "DAUERREGEN",
			Headline: "Unwetterwarnung <Dauerregen>", Severity: "Severe", Areas: []string{"Stadt Hannover"},
			Scenario: "hochwasser", Organisations: []string{"MU", "MI"},
			Notes: []activation.ProposalNote{{At: sent, Kind: "update", Text: "verlängert"}}},
		{ID: "P-done", Status: activation.ProposalConfirmed, Source: "alertmanager", By: "prometheus", Sent: sent, Event: "FachverfahrenDown",
			Decision: &activation.ProposalDecision{By: "Lagedienst", Reason: "bestätigt", Incident: "K3"}, Incident: "K3"},
	}
}

func TestProposalsPage(t *testing.T) {
	e := newEnvWith(t, func(o *Options) { o.Source = proposingSource{o.Source.(*fakeSource)} })
	duty, viewer := e.client(), e.client()
	e.login(duty, dutyToken)
	e.login(viewer, viewerToken)
	tests := []struct {
		name, path string
		client     *http.Client
		status     int
		want, not  []string
	}{
		{"duty officer, German", "/proposals", duty, 200,
			[]string{"Vorschläge aus Warnsystemen", "Unwetterwarnung &lt;Dauerregen&gt;", `data-id="P-open"`, "Übung oder Ernstfall?",
				"Stadt Hannover", "MU, MI", "bestätigt", `href="/?incident=K3"`, "/assets/proposals.js"}, []string{"<Dauerregen>"}},
		{"duty officer, English", "/proposals?lang=en", duty, 200,
			[]string{"Proposals from warning systems", "Exercise or real?", "Confirm and declare", "Dismiss"}, nil},
		{"viewer reads only", "/proposals", viewer, 200,
			[]string{"Unwetterwarnung", "Nur der Lagedienst kann bestätigen"}, []string{"<form class=\"proposal-form\""}},
		{"not logged in", "/proposals?lang=en", e.client(), 303, []string{"/login?lang=en&next=%2Fproposals%3Flang%3Den"}, nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			resp, err := tc.client.Get(e.srv.URL + tc.path)
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			body, _ := io.ReadAll(resp.Body)
			if resp.StatusCode != tc.status {
				t.Fatalf("status %d, want %d: %s", resp.StatusCode, tc.status, body)
			}
			text := string(body) + resp.Header.Get("Location")
			for _, w := range tc.want {
				if !strings.Contains(text, w) {
					t.Errorf("page lacks %q", w)
				}
			}
			for _, n := range tc.not {
				if strings.Contains(text, n) {
					t.Errorf("page has %q", n)
				}
			}
		})
	}
}

func TestBoardLinksOpenProposals(t *testing.T) {
	e := newEnvWith(t, func(o *Options) { o.Source = proposingSource{o.Source.(*fakeSource)} })
	c := e.client()
	e.login(c, viewerToken)
	resp, err := c.Get(e.srv.URL + "/")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	if !strings.Contains(string(body), `href="/proposals?lang=de">Vorschläge <span class="badge" id="proposals-open">1</span>`) {
		t.Errorf("the board does not link the one open proposal:\n%s", body)
	}
}

func TestProposalsPageWithoutProposalSource(t *testing.T) {
	e := newEnv(t, false)
	c := e.client()
	e.login(c, viewerToken)
	resp, err := c.Get(e.srv.URL + "/proposals")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusNotFound {
		t.Fatalf("status %d, want 404", resp.StatusCode)
	}
}
