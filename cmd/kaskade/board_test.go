package main

import (
	"context"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/kaskade-bcm/kaskade/activation"
	"github.com/kaskade-bcm/kaskade/activation/board/boardtest"
	"github.com/kaskade-bcm/kaskade/alerting/httpapi"
	"github.com/kaskade-bcm/kaskade/cmd/internal/server"
	"github.com/kaskade-bcm/kaskade/config"
)

const (
	dutyToken   = "lagedienst-token-0123456789"
	viewerToken = "lagezentrum-token-0123456789"
)

// configWithTokens is the bundled example plus a duty officer and a viewer.
func configWithTokens(t *testing.T) string {
	_, data := config.Example()
	data = append(data, []byte("\ntokens:\n"+
		"  - {name: Lagedienst, role: duty_officer, sha256: "+httpapi.HashToken(dutyToken)+"}\n"+
		"  - {name: Lagezentrum, role: viewer, sha256: "+httpapi.HashToken(viewerToken)+"}\n")...)
	path := filepath.Join(t.TempDir(), "kaskade.yaml")
	if err := os.WriteFile(path, data, 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

// cutProxy stands between the browser and Kaskade and can cut the network.
type cutProxy struct {
	proxy *httputil.ReverseProxy
	down  atomic.Bool
	mu    sync.Mutex
	live  map[*http.Request]context.CancelFunc
}

func newCutProxy(target string) *cutProxy {
	u, _ := url.Parse(target)
	p := httputil.NewSingleHostReverseProxy(u)
	p.FlushInterval = -1 // stream SSE at once
	return &cutProxy{proxy: p, live: map[*http.Request]context.CancelFunc{}}
}

func (c *cutProxy) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if c.down.Load() {
		http.Error(w, "network down", http.StatusBadGateway)
		return
	}
	ctx, cancel := context.WithCancel(r.Context())
	r = r.WithContext(ctx)
	c.mu.Lock()
	c.live[r] = cancel
	c.mu.Unlock()
	defer func() {
		c.mu.Lock()
		delete(c.live, r)
		c.mu.Unlock()
		cancel()
	}()
	c.proxy.ServeHTTP(w, r)
}

func (c *cutProxy) cut() {
	c.down.Store(true)
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, cancel := range c.live {
		cancel()
	}
}

func tileState(org string) string {
	return `(document.querySelector('#tiles [data-org="` + org + `"]') || {dataset: {}}).dataset.state`
}

const (
	bannerShown  = `(() => { const b = document.getElementById('conn-banner'); return !!b && !b.hidden && b.textContent.includes('Verbindung unterbrochen seit'); })()`
	bannerHidden = `(() => { const b = document.getElementById('conn-banner'); return !!b && b.hidden; })()`
)

func wait(t *testing.T, b *boardtest.Browser, what, expr string, d time.Duration) {
	t.Helper()
	if err := b.WaitTrue(expr, d); err != nil {
		t.Fatalf("%s: %v", what, err)
	}
}

func TestBoardInBrowserAgainstRealServer(t *testing.T) {
	b := boardtest.StartBrowser(t)
	s, err := server.Start(t.Context(), server.Options{ConfigPath: configWithTokens(t), DataDir: t.TempDir(), HTTPAddr: "127.0.0.1:0",
		NATSListen: "off", Instance: "board-test", Logger: testLogger(t)})
	if err != nil {
		t.Fatal(err)
	}
	waitFor(t, "engine", s.Engine.Leader)
	api := &testServer{Server: s, t: t, token: dutyToken}
	proxy := newCutProxy(s.URL)
	front := httptest.NewServer(proxy)
	defer func() {
		proxy.cut() // end the live stream, or Close waits for it forever
		front.Close()
	}()

	if err := b.Login(front.URL, "/", dutyToken); err != nil {
		t.Fatal(err)
	}
	wait(t, b, "live", `window.kaskade && window.kaskade.state.conn === 'live'`, 10*time.Second)
	if err := b.Do(chromedp.Evaluate[chromedp.Void](`window.__noReload = true`)); err != nil {
		t.Fatal(err)
	}
	// Declare an exercise from the board.
	if err := b.Do(
		chromedp.Click(chromedp.CSS(`#btn-declare`)),
		chromedp.WaitVisible(chromedp.CSS(`#declare-scenario`)),
		chromedp.SetValue(chromedp.CSS(`#declare-scenario`), "cyberangriff"),
		chromedp.Evaluate[chromedp.Void](`document.getElementById('declare-scenario').dispatchEvent(new Event('change'))`),
		chromedp.SendKeys(chromedp.CSS(`#declare-reason`), "Alarmierungsübung Browser"),
		chromedp.Click(chromedp.CSS(`#declare-drill`)),
		chromedp.Click(chromedp.CSS(`#declare-submit`)),
	); err != nil {
		t.Fatal(err)
	}
	wait(t, b, "incident on the board", `document.getElementById('incident').dataset.incident === 'K1' && document.querySelectorAll('#tiles .tile').length === 11`, 10*time.Second)
	v, _ := s.Engine.Incident("K1")
	if !v.Exercise || v.DeclaredBy != "Lagedienst" || v.Drill == nil || v.Drill.DeputiesOnly {
		t.Fatalf("declared from the board: exercise %v by %q drill %+v", v.Exercise, v.DeclaredBy, v.Drill)
	}

	// Answers through the API: the MI tile turns ready within 2 s, no reload.
	answerAll := func(org string) {
		for f, p := range primaries(t, s.Config, org) {
			var out map[string]any
			if code := api.api("POST", "/api/v1/incidents/K1/responses", map[string]any{"person": p, "kind": "available"}, &out); code != 200 {
				t.Fatalf("respond %s: %d", f, code)
			}
		}
	}
	href, err := boardtest.Eval[string](b, `document.getElementById('report-link').getAttribute('href')`)
	if err != nil || !strings.HasPrefix(href, "/api/v1/incidents/K1/report") {
		t.Fatalf("report link %q: %v", href, err)
	}
	answerAll("MI")
	wait(t, b, "MI ready within 2 s", tileState("MI")+` === 'ready'`, 2*time.Second)

	// Cut the network: the board says so; the state moves on meanwhile.
	proxy.cut()
	wait(t, b, "disconnection notice", bannerShown, 20*time.Second)
	answerAll("MF")
	if st := tileStateNow(t, b, "MF"); st == "ready" {
		t.Fatal("MF shown ready while cut off")
	}
	proxy.down.Store(false)
	wait(t, b, "resync: banner hidden", bannerHidden, 30*time.Second)
	wait(t, b, "resync: MF ready", tileState("MF")+` === 'ready'`, 5*time.Second)
	if ok, _ := boardtest.Eval[bool](b, `window.__noReload === true`); !ok {
		t.Fatal("the page reloaded instead of resynchronising")
	}

	// A viewer sees no actions and cannot act through the API either.
	if err := b.Login(front.URL, "/login", viewerToken); err != nil {
		t.Fatal(err)
	}
	wait(t, b, "viewer board", `document.querySelectorAll('#tiles .tile').length === 11`, 10*time.Second)
	if n, _ := boardtest.Eval[int](b, `document.querySelectorAll('#actions, [data-action]').length`); n != 0 {
		t.Fatalf("viewer sees %d action controls", n)
	}
	viewer := &testServer{Server: s, t: t, token: viewerToken}
	var out map[string]any
	if code := viewer.api("POST", "/api/v1/incidents/K1/stand-down", map[string]any{"reason": "x"}, &out); code != http.StatusForbidden {
		t.Fatalf("viewer stand-down: %d, want 403", code)
	}
	if code := viewer.api("GET", "/api/v1/incidents/K1", nil, &activation.IncidentView{}); code != 200 {
		t.Fatalf("viewer read: %d", code)
	}
}

func tileStateNow(t *testing.T, b *boardtest.Browser, org string) string {
	s, err := boardtest.Eval[string](b, tileState(org))
	if err != nil {
		t.Fatal(err)
	}
	return s
}
