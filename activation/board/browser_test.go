package board

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/kaskade-bcm/kaskade/activation"
	"github.com/kaskade-bcm/kaskade/activation/board/boardtest"
	"github.com/kaskade-bcm/kaskade/activation/web"
)

// apiCall is one request the page made to the (fake) REST API.
type apiCall struct {
	Path string
	Role string
	Body map[string]any
}

// browserEnv is a board plus a fake REST API behind one httptest server. The
// stream can be switched off to simulate an outage.
type browserEnv struct {
	src   *fakeSource
	auth  *fakeAuth
	board *Board
	srv   *httptest.Server
	down  atomic.Bool

	mu    sync.Mutex
	calls []apiCall
}

func newBrowserEnv(t *testing.T, now func() time.Time, incs ...activation.IncidentView) *browserEnv {
	t.Helper()
	return newBrowserEnvWith(t, now, nil, incs...)
}

// newBrowserEnvWith lets opt change the board's options (another source).
func newBrowserEnvWith(t *testing.T, now func() time.Time, opt func(*Options), incs ...activation.IncidentView) *browserEnv {
	t.Helper()
	e := &browserEnv{src: newFakeSource(incs...), auth: newFakeAuth()}
	o := Options{Source: e.src, Auth: e.auth, Now: now}
	if opt != nil {
		opt(&o)
	}
	e.board = New(o)
	mux := http.NewServeMux()
	e.board.Register(mux)
	// A fake of the REST API that others build: cookie session + CSRF, roles.
	for _, p := range []string{"POST /api/v1/incidents", "POST /api/v1/incidents/{id}/responses", "POST /api/v1/incidents/{id}/updates", "POST /api/v1/incidents/{id}/stand-down"} {
		mux.HandleFunc(p, e.fakeAPI)
	}
	e.srv = newStreamServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if e.down.Load() && r.URL.Path == "/api/v1/stream" {
			http.Error(w, "down for the test", http.StatusServiceUnavailable)
			return
		}
		mux.ServeHTTP(w, r)
	}))
	t.Cleanup(func() {
		e.board.Close() // end the browser's stream, or Close waits for it
		e.srv.Close()
	})
	return e
}

func (e *browserEnv) fakeAPI(w http.ResponseWriter, r *http.Request) {
	_, role, ok := e.board.SessionRole(r)
	if !ok {
		writeUnauthorized(w)
		return
	}
	if !e.board.CheckCSRF(r) {
		web.WriteError(w, http.StatusForbidden, "csrf", "missing or wrong CSRF token")
		return
	}
	if !canAct(role) {
		web.WriteError(w, http.StatusForbidden, "forbidden", "viewers may not act")
		return
	}
	var body map[string]any
	if err := json.NewDecoder(r.Body).Decode(&body); err != nil {
		web.WriteError(w, http.StatusBadRequest, "bad_json", err.Error())
		return
	}
	e.mu.Lock()
	e.calls = append(e.calls, apiCall{Path: r.URL.Path, Role: string(role), Body: body})
	e.mu.Unlock()
	if r.URL.Path == "/api/v1/incidents" {
		if body["scenario"] == "power" {
			web.WriteError(w, http.StatusUnprocessableEntity, "scenario_unavailable", "Szenario Stromausfall hat keine Alarmierungsketten")
			return
		}
		inc := simpleIncident("K8", time.Now(), "MI", "MF")
		inc.Exercise, _ = body["exercise"].(bool)
		inc.Title, _ = body["title"].(string)
		e.src.putIncident(inc)
		web.WriteJSON(w, http.StatusCreated, map[string]any{"incident_id": "K8", "incident": inc})
		return
	}
	web.WriteJSON(w, http.StatusAccepted, map[string]any{})
}

func (e *browserEnv) callsTo(suffix string) []apiCall {
	e.mu.Lock()
	defer e.mu.Unlock()
	var out []apiCall
	for _, c := range e.calls {
		if strings.HasSuffix(c.Path, suffix) {
			out = append(out, c)
		}
	}
	return out
}

func mustWait(t *testing.T, b *boardtest.Browser, what, expr string, timeout time.Duration) {
	t.Helper()
	if err := b.WaitTrue(expr, timeout); err != nil {
		html, _ := boardtest.Eval[string](b, `document.body ? document.body.innerText.slice(0, 2000) : ''`)
		t.Fatalf("%s: %v (waited for %s)\npage text:\n%s", what, err, expr, html)
	}
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

const (
	jsBannerShown  = `(() => { const b = document.getElementById('conn-banner'); return !!b && !b.hidden && getComputedStyle(b).display !== 'none' && b.textContent.includes('Verbindung unterbrochen seit'); })()`
	jsBannerHidden = `(() => { const b = document.getElementById('conn-banner'); return !!b && b.hidden && getComputedStyle(b).display === 'none'; })()`
)

func tileState(org string) string {
	return `(document.querySelector('#tiles [data-org="` + org + `"]') || {dataset: {}}).dataset.state`
}

func TestBrowserLiveUpdatesAndReconnect(t *testing.T) {
	b := boardtest.StartBrowser(t)
	e := newBrowserEnv(t, time.Now, simpleIncident("K1", time.Now().Add(-3*time.Minute), "MI", "MF"))
	must(t, b.Login(e.srv.URL, "/", viewerToken))

	mustWait(t, b, "tile MI shown", tileState("MI")+` === 'alerting'`, 10*time.Second)
	mustWait(t, b, "live", `document.getElementById('conn-status').dataset.conn === 'live'`, 10*time.Second)
	must(t, b.Do(chromedp.Evaluate[chromedp.Void](`window.__noReload = true`)))

	// A readiness change reaches the tile without a reload.
	e.src.setState("K1", "MI", activation.Ready, time.Now())
	mustWait(t, b, "MI ready within 2 s", tileState("MI")+` === 'ready'`, 2*time.Second)
	text, err := boardtest.Eval[string](b, `document.querySelector('[data-org="MI"] .badge').textContent`)
	must(t, err)
	if text != "Arbeitsfähig" {
		t.Errorf("MI badge %q, want Arbeitsfähig", text)
	}

	// Outage: the source drops all subscribers and the server refuses new streams.
	e.down.Store(true)
	e.src.dropAll()
	mustWait(t, b, "banner shown", jsBannerShown, 15*time.Second)
	stale, err := boardtest.Eval[bool](b, `document.body.classList.contains('stale')`)
	must(t, err)
	if !stale {
		t.Error("tiles not marked stale during the outage")
	}

	// The state moves on while the board is cut off; then the stream returns.
	e.src.setState("K1", "MF", activation.AtRisk, time.Now())
	e.down.Store(false)
	mustWait(t, b, "resync: banner hidden", jsBannerHidden, 30*time.Second)
	mustWait(t, b, "resync: MF at risk", tileState("MF")+` === 'at_risk'`, 5*time.Second)
	ok, err := boardtest.Eval[bool](b, `window.__noReload === true && !document.body.classList.contains('stale')`)
	must(t, err)
	if !ok {
		t.Error("page reloaded or still stale after resync")
	}
}

func TestBrowserViewerSeesNoActions(t *testing.T) {
	b := boardtest.StartBrowser(t)
	inc, details := exampleExercise(time.Now())
	e := newBrowserEnv(t, time.Now, inc)
	e.src.details = details

	for _, tc := range []struct {
		token   string
		actions bool
	}{{viewerToken, false}, {dutyToken, true}} {
		// A fresh login replaces the previous session cookie.
		must(t, b.Login(e.srv.URL, "/login", tc.token))
		mustWait(t, b, "tiles", `document.querySelectorAll('#tiles .tile').length === 11`, 10*time.Second)
		n, err := boardtest.Eval[int](b, `document.querySelectorAll('#actions, [data-action]').length`)
		must(t, err)
		if got := n > 0; got != tc.actions {
			t.Errorf("%s: action controls present = %v, want %v", tc.token, got, tc.actions)
		}
		// Drill-down: respond buttons only for those who may act.
		must(t, b.Do(chromedp.Click(chromedp.CSS(`#tiles [data-org="MF"] .tile-btn`))))
		mustWait(t, b, "detail open", `document.getElementById('detail-dialog').open && document.querySelectorAll('#detail-tree .person').length === 8`, 10*time.Second)
		n, err = boardtest.Eval[int](b, `document.querySelectorAll('#detail-tree [data-respond]').length`)
		must(t, err)
		if got := n > 0; got != tc.actions {
			t.Errorf("%s: respond buttons present = %v, want %v", tc.token, got, tc.actions)
		}
		must(t, b.Do(chromedp.Click(chromedp.CSS(`#detail-dialog [data-close]`))))
	}
}

func TestBrowserDrillDownAndRespond(t *testing.T) {
	b := boardtest.StartBrowser(t)
	inc, details := exampleExercise(time.Now())
	e := newBrowserEnv(t, time.Now, inc)
	e.src.details = details
	must(t, b.Login(e.srv.URL, "/", dutyToken))
	mustWait(t, b, "exercise banner", `!!document.querySelector('#incident .exercise-bar') && document.querySelector('#incident .exercise-bar').textContent.includes('ÜBUNG')`, 10*time.Second)

	must(t, b.Do(chromedp.Click(chromedp.CSS(`#tiles [data-org="MF"] .tile-btn`))))
	mustWait(t, b, "call tree", `document.querySelector('#detail-tree [data-person="mf-comm-d"]') !== null`, 10*time.Second)
	row, err := boardtest.Eval[string](b, `document.querySelector('#detail-tree [data-person="mf-comm-d"]').textContent`)
	must(t, err)
	for _, want := range []string{"Tobias Wolf", "Vertretung", "kommt später", "+49 151 ••••"} {
		if !strings.Contains(row, want) {
			t.Errorf("person row %q lacks %q", row, want)
		}
	}
	exOK, err := boardtest.Eval[bool](b, `!document.getElementById('detail-exercise').hidden`)
	must(t, err)
	if !exOK {
		t.Error("drill-down of an exercise shows no ÜBUNG bar")
	}
	tl, err := boardtest.Eval[int](b, `document.querySelectorAll('#detail-timeline .tl-item').length`)
	must(t, err)
	if tl != 8 {
		t.Errorf("timeline items %d, want 8", tl)
	}

	must(t, b.Do(
		chromedp.Click(chromedp.CSS(`#detail-tree [data-respond="mf-comm"]`)),
		chromedp.WaitVisible(chromedp.CSS(`#respond-dialog`)),
		chromedp.Click(chromedp.CSS(`#respond-dialog input[value="delayed"]`)),
		chromedp.SetValue(chromedp.CSS(`#respond-minutes`), "20"),
		chromedp.Click(chromedp.CSS(`#respond-submit`)),
	))
	mustWait(t, b, "respond dialog closed", `!document.getElementById('respond-dialog').open`, 10*time.Second)
	calls := e.callsTo("/responses")
	if len(calls) != 1 {
		t.Fatalf("responses calls %+v", calls)
	}
	c := calls[0]
	if c.Path != "/api/v1/incidents/K7/responses" || c.Body["person"] != "mf-comm" || c.Body["kind"] != "delayed" || c.Body["minutes"] != float64(20) {
		t.Errorf("response call %+v", c)
	}
}

func TestBrowserDeclareAndErrors(t *testing.T) {
	b := boardtest.StartBrowser(t)
	e := newBrowserEnv(t, time.Now)
	must(t, b.Login(e.srv.URL, "/", dutyToken))
	mustWait(t, b, "empty board", `document.querySelector('#incident .empty') !== null && window.kaskade.state.conn === 'live'`, 10*time.Second)

	must(t, b.Do(
		chromedp.Click(chromedp.CSS(`#btn-declare`)),
		chromedp.WaitVisible(chromedp.CSS(`#declare-scenario`)),
	))
	ex, err := boardtest.Eval[bool](b, `document.getElementById('declare-exercise').checked`)
	must(t, err)
	if !ex {
		t.Error("exercise is not checked by default")
	}
	// Without a reason nothing is sent.
	must(t, b.Do(chromedp.Click(chromedp.CSS(`#declare-submit`))))
	mustWait(t, b, "reason required", `!document.getElementById('declare-error').hidden`, 5*time.Second)
	if n := len(e.callsTo("/incidents")); n != 0 {
		t.Fatalf("declared without a reason (%d calls)", n)
	}
	// An API error is shown in the dialog.
	must(t, b.Do(
		chromedp.SetValue(chromedp.CSS(`#declare-scenario`), "power"),
		chromedp.Evaluate[chromedp.Void](`document.getElementById('declare-scenario').dispatchEvent(new Event('change'))`),
		chromedp.SendKeys(chromedp.CSS(`#declare-reason`), "Test der Fehleranzeige"),
		chromedp.Click(chromedp.CSS(`#declare-submit`)),
	))
	mustWait(t, b, "API error shown", `document.getElementById('declare-error').textContent.includes('keine Alarmierungsketten')`, 5*time.Second)

	must(t, b.Do(
		chromedp.SetValue(chromedp.CSS(`#declare-scenario`), "cyber"),
		chromedp.Evaluate[chromedp.Void](`document.getElementById('declare-scenario').dispatchEvent(new Event('change'))`),
		chromedp.Click(chromedp.CSS(`#declare-submit`)),
	))
	mustWait(t, b, "new incident shown", `document.getElementById('incident').dataset.incident === 'K8' && document.querySelectorAll('#tiles .tile').length === 2`, 10*time.Second)
	calls := e.callsTo("/incidents")
	if len(calls) != 2 {
		t.Fatalf("declare calls %d, want 2", len(calls))
	}
	c := calls[1].Body
	if c["scenario"] != "cyber" || c["exercise"] != true || c["reason"] != "Test der Fehleranzeige" || c["declared_by"] != "Anna Lagedienst" || c["title"] != "Cyberangriff" {
		t.Errorf("declare body %+v", c)
	}
}

func TestBrowserEnglishAndWallMode(t *testing.T) {
	b := boardtest.StartBrowser(t)
	inc, _ := exampleExercise(time.Now())
	e := newBrowserEnv(t, time.Now, inc)
	must(t, b.Login(e.srv.URL, "/?lang=en", dutyToken))
	mustWait(t, b, "english", `(document.querySelector('[data-org="StK"] .badge') || {}).textContent === 'Operational'`, 10*time.Second)
	must(t, b.Do(chromedp.Click(chromedp.CSS(`#lang-toggle`))))
	mustWait(t, b, "german", `document.querySelector('[data-org="StK"] .badge').textContent === 'Arbeitsfähig' && document.documentElement.lang === 'de'`, 5*time.Second)
	over, err := boardtest.Eval[string](b, `document.querySelector('[data-org="MWK"] .countdown').textContent`)
	must(t, err)
	if !strings.HasPrefix(over, "Ziel überschritten +") {
		t.Errorf("MWK countdown %q, want overdue", over)
	}
	must(t, b.Do(chromedp.Click(chromedp.CSS(`#wall-toggle`))))
	mustWait(t, b, "wall mode hides actions", `document.documentElement.classList.contains('wall') && getComputedStyle(document.getElementById('actions')).display === 'none'`, 5*time.Second)
	// Eleven tiles fit on 1920×1080 without scrolling.
	fits, err := boardtest.Eval[bool](b, `document.documentElement.scrollHeight <= window.innerHeight && [...document.querySelectorAll('#tiles .tile')].every(t => t.getBoundingClientRect().bottom <= window.innerHeight)`)
	must(t, err)
	if !fits {
		t.Error("tiles do not fit on 1920×1080")
	}
}

// The page applies incident patches: header fields, tiles that come only
// in a patch, and the stand-down.
func TestBrowserAppliesIncidentPatches(t *testing.T) {
	b := boardtest.StartBrowser(t)
	inc := simpleIncident("K1", time.Now().Add(-3*time.Minute), "MI", "MF")
	e := newBrowserEnv(t, time.Now, inc)
	must(t, b.Login(e.srv.URL, "/", viewerToken))
	mustWait(t, b, "live", `document.getElementById('conn-status').dataset.conn === 'live'`, 10*time.Second)
	must(t, b.Do(chromedp.Evaluate[chromedp.Void](`window.__noReload = true`)))

	// The hub's first view of the incident goes out whole.
	inc.Title = "Erste Fassung"
	e.src.putIncident(inc)
	mustWait(t, b, "title", `(document.querySelector('.incident-title') || {}).textContent === 'Erste Fassung'`, 5*time.Second)

	// Then a patch: a situation update and MF's tile, without a readiness change.
	inc.Updates = []activation.UpdateView{{At: time.Now(), By: "Anna", Text: "Lage stabil"}}
	inc.Organisations[1].State = activation.Ready
	e.src.putIncident(inc)
	mustWait(t, b, "update shown", `(document.querySelector('.incident-update') || {}).textContent?.includes('Lage stabil')`, 5*time.Second)
	mustWait(t, b, "MF ready", tileState("MF")+` === 'ready'`, 5*time.Second)

	// The stand-down as a patch.
	at := time.Now()
	inc.Status, inc.StoodDownAt, inc.StoodDownBy = "stood_down", &at, "Anna Lagedienst"
	e.src.putIncident(inc)
	mustWait(t, b, "stand-down shown", `!!document.querySelector('.standdown-bar')`, 5*time.Second)
	ok, err := boardtest.Eval[bool](b, `window.__noReload === true && (document.querySelector('.incident-title') || {}).textContent === 'Erste Fassung'`)
	must(t, err)
	if !ok {
		t.Error("page reloaded or lost the title while applying patches")
	}
}
