package board

import (
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/kaskade-bcm/kaskade/activation"
	"github.com/kaskade-bcm/kaskade/activation/board/boardtest"
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

// countingSource holds a changing number of open proposals.
type countingSource struct {
	*fakeSource
	open *atomic.Int32
}

func (c countingSource) Proposals() []activation.ProposalView {
	out := make([]activation.ProposalView, c.open.Load())
	for i := range out {
		out[i] = activation.ProposalView{ID: fmt.Sprintf("P-%d", i), Status: activation.ProposalOpen}
	}
	return append(out, activation.ProposalView{ID: "P-done", Status: activation.ProposalDismissed})
}

func TestProposalCount(t *testing.T) {
	open := &atomic.Int32{}
	open.Store(3)
	e := newEnvWith(t, func(o *Options) { o.Source = countingSource{o.Source.(*fakeSource), open} })
	plain := newEnvWith(t, nil)
	viewer, other := e.client(), plain.client()
	e.login(viewer, viewerToken)
	plain.login(other, viewerToken)
	for _, tc := range []struct {
		name   string
		url    string
		client *http.Client
		status int
		body   string
	}{
		{"viewer", e.srv.URL + "/proposals/count", viewer, 200, `{"open":3}`},
		{"not logged in", e.srv.URL + "/proposals/count", e.client(), 401, `"unauthorized"`},
		{"no proposals on this server", plain.srv.URL + "/proposals/count", other, 404, `"not_found"`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			resp, err := tc.client.Get(tc.url)
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			body, _ := io.ReadAll(resp.Body)
			compact := strings.Join(strings.Fields(string(body)), "")
			if resp.StatusCode != tc.status || !strings.Contains(compact, strings.ReplaceAll(tc.body, " ", "")) {
				t.Fatalf("%d %s, want %d with %s", resp.StatusCode, body, tc.status, tc.body)
			}
		})
	}
}

// TestBrowserProposalCountFollows: a proposal arriving while the board is
// open shows in the link's count without a reload, and goes when decided.
func TestBrowserProposalCountFollows(t *testing.T) {
	b := boardtest.StartBrowser(t)
	open := &atomic.Int32{}
	e := newBrowserEnvWith(t, time.Now, func(o *Options) { o.Source = countingSource{o.Source.(*fakeSource), open} },
		simpleIncident("K1", time.Now().Add(-3*time.Minute), "MI"))
	must(t, b.Login(e.srv.URL, "/", viewerToken))
	mustWait(t, b, "board", `document.getElementById('proposals-link') !== null && window.kaskade !== undefined`, 10*time.Second)
	must(t, b.Do(chromedp.Evaluate[chromedp.Void](`window.__noReload = true`)))
	if n, err := boardtest.Eval[bool](b, `document.getElementById('proposals-open') === null`); err != nil || !n {
		t.Fatalf("a count shown with no open proposal (%v)", err)
	}
	open.Store(2)
	must(t, b.Do(chromedp.Evaluate[chromedp.Void](`window.kaskade.refreshProposals()`)))
	mustWait(t, b, "count 2", `(document.getElementById('proposals-open') || {}).textContent === '2'`, 10*time.Second)
	open.Store(0)
	must(t, b.Do(chromedp.Evaluate[chromedp.Void](`window.kaskade.refreshProposals()`)))
	mustWait(t, b, "count gone", `document.getElementById('proposals-open') === null`, 10*time.Second)
	if ok, err := boardtest.Eval[bool](b, `window.__noReload === true`); err != nil || !ok {
		t.Error("page reloaded")
	}
}
