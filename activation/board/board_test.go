package board

import (
	"context"
	"encoding/json"
	"io"
	"io/fs"
	"net"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/kaskade-bcm/kaskade/activation"
	"github.com/kaskade-bcm/kaskade/activation/web"
	"github.com/kaskade-bcm/kaskade/config"
)

// clock is a settable test clock.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time      { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) Add(d time.Duration) { c.mu.Lock(); c.t = c.t.Add(d); c.mu.Unlock() }

var t0 = time.Date(2026, 3, 3, 2, 12, 0, 0, time.UTC)

type env struct {
	t     *testing.T
	src   *fakeSource
	auth  *fakeAuth
	clk   *clock
	board *Board
	srv   *httptest.Server
}

func newEnv(t *testing.T, secure bool) *env {
	t.Helper()
	return newEnvWith(t, func(o *Options) { o.SecureCookies = secure })
}

// newEnvWith is newEnv with the board's options changed by mod.
func newEnvWith(t *testing.T, mod func(*Options)) *env {
	t.Helper()
	return newEnvServing(t, ConnContext, nil, mod)
}

// newEnvServing is newEnvWith on a server with the ConnContext cc (without
// one, nil, the hub writes nothing to streams directly) and the board's
// handler wrapped by wrap, if any.
func newEnvServing(t *testing.T, cc func(context.Context, net.Conn) context.Context, wrap func(http.Handler) http.Handler, mod func(*Options)) *env {
	t.Helper()
	e := &env{t: t, src: newFakeSource(simpleIncident("K1", t0, "MI", "MF")), auth: newFakeAuth(), clk: &clock{t: t0.Add(5 * time.Minute)}}
	o := Options{Source: e.src, Auth: e.auth, Now: e.clk.Now}
	if mod != nil {
		mod(&o)
	}
	e.board = New(o)
	mux := http.NewServeMux()
	e.board.Register(mux)
	var h http.Handler = mux
	if wrap != nil {
		h = wrap(h)
	}
	e.srv = httptest.NewUnstartedServer(h)
	e.srv.Config.ConnContext = cc
	e.srv.Start()
	t.Cleanup(e.srv.Close)
	return e
}

// newStreamServer serves h as kaskade serve does: with ConnContext.
func newStreamServer(h http.Handler) *httptest.Server {
	srv := httptest.NewUnstartedServer(h)
	srv.Config.ConnContext = ConnContext
	srv.Start()
	return srv
}

// client returns an HTTP client with a cookie jar that does not follow redirects.
func (e *env) client() *http.Client {
	jar, _ := cookiejar.New(nil)
	return &http.Client{Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
}

// login logs c in with token and returns the response.
func (e *env) login(c *http.Client, token string) *http.Response {
	e.t.Helper()
	resp, err := c.PostForm(e.srv.URL+"/login", url.Values{"token": {token}, "next": {"/?wall=1"}})
	if err != nil {
		e.t.Fatal(err)
	}
	resp.Body.Close()
	return resp
}

func (e *env) session(c *http.Client) (status int, out struct {
	Name   string      `json:"name"`
	Role   config.Role `json:"role"`
	CSRF   string      `json:"csrf"`
	CanAct bool        `json:"can_act"`
}) {
	e.t.Helper()
	resp, err := c.Get(e.srv.URL + "/api/v1/session")
	if err != nil {
		e.t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode == http.StatusOK {
		if err := json.NewDecoder(resp.Body).Decode(&out); err != nil {
			e.t.Fatal(err)
		}
	}
	return resp.StatusCode, out
}

// --- SSE reading ------------------------------------------------------------

type sseEvent struct {
	Event, ID, Data string
	Comment         string
}

type stream struct {
	resp   *http.Response
	events <-chan sseEvent
	cancel context.CancelFunc
}

// openStream connects to /api/v1/stream; hdr adds headers (auth, Last-Event-ID).
func (e *env) openStream(c *http.Client, hdr map[string]string) *stream {
	e.t.Helper()
	return e.openStreamWith(c, "/api/v1/stream", hdr)
}

// openStreamPath opens the stream at path (with a query) with the default client.
func (e *env) openStreamPath(path string, hdr map[string]string) *stream {
	e.t.Helper()
	return e.openStreamWith(nil, path, hdr)
}

func (e *env) openStreamWith(c *http.Client, path string, hdr map[string]string) *stream {
	e.t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	req, _ := http.NewRequestWithContext(ctx, "GET", e.srv.URL+path, nil)
	for k, v := range hdr {
		req.Header.Set(k, v)
	}
	if c == nil {
		c = http.DefaultClient
	}
	resp, err := c.Do(req)
	if err != nil {
		cancel()
		e.t.Fatal(err)
	}
	e.t.Cleanup(func() { cancel(); resp.Body.Close() })
	if resp.StatusCode != http.StatusOK {
		ended := make(chan sseEvent)
		close(ended)
		return &stream{resp: resp, events: ended, cancel: cancel}
	}
	return &stream{resp: resp, events: sseReader(resp.Body), cancel: cancel}
}

// next returns the next event other than comments and pings; ok is false at
// the end of the stream. It fails the test after a generous wait.
func (s *stream) next(t *testing.T) (sseEvent, bool) {
	t.Helper()
	for {
		select {
		case ev, ok := <-s.events:
			if !ok {
				return sseEvent{}, false
			}
			if ev.Comment != "" && ev.Event == "" || ev.Event == "ping" {
				continue
			}
			return ev, true
		case <-time.After(10 * time.Second):
			t.Fatal("timed out waiting for an SSE event")
		}
	}
}

func (s *stream) snapshot(t *testing.T) snapshot {
	t.Helper()
	ev, ok := s.next(t)
	if !ok {
		t.Fatal("stream ended before the snapshot")
	}
	if ev.Event != "snapshot" {
		t.Fatalf("first event is %q, want snapshot", ev.Event)
	}
	if ev.ID == "" {
		t.Error("snapshot has no id")
	}
	var snap snapshot
	if err := json.Unmarshal([]byte(ev.Data), &snap); err != nil {
		t.Fatal(err)
	}
	return snap
}

func (s *stream) change(t *testing.T) activation.Change {
	t.Helper()
	ev, ok := s.next(t)
	if !ok {
		t.Fatal("stream ended, want a change")
	}
	if ev.Event != "change" {
		t.Fatalf("event %q, want change", ev.Event)
	}
	var ch activation.Change
	if err := json.Unmarshal([]byte(ev.Data), &ch); err != nil {
		t.Fatal(err)
	}
	if ev.ID != "" && ev.ID != itoa(ch.Seq) {
		t.Errorf("event id %q, seq %d", ev.ID, ch.Seq)
	}
	return ch
}

func itoa(u uint64) string { b, _ := json.Marshal(u); return string(b) }

func bearerHdr(tok string) map[string]string {
	return map[string]string{"Authorization": "Bearer " + tok}
}

// waitSubscribers waits until the source has n subscribers.
func (e *env) waitSubscribers(n int) {
	e.t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for e.src.subscribers() != n {
		if time.Now().After(deadline) {
			e.t.Fatalf("subscribers = %d, want %d", e.src.subscribers(), n)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// --- stream tests -----------------------------------------------------------

func TestStreamSnapshotFirstThenChangesInSeqOrder(t *testing.T) {
	e := newEnv(t, false)
	s := e.openStream(nil, bearerHdr(viewerToken))
	if ct := s.resp.Header.Get("Content-Type"); !strings.HasPrefix(ct, "text/event-stream") {
		t.Fatalf("Content-Type %q", ct)
	}
	snap := s.snapshot(t)
	if len(snap.Incidents) != 1 || snap.Incidents[0].ID != "K1" || len(snap.Incidents[0].Organisations) != 2 {
		t.Fatalf("snapshot incidents = %+v", snap.Incidents)
	}
	if len(snap.Scenarios) != 2 {
		t.Errorf("snapshot scenarios = %d, want 2", len(snap.Scenarios))
	}
	if !snap.Now.Equal(e.clk.Now()) {
		t.Errorf("snapshot now = %v, want %v", snap.Now, e.clk.Now())
	}

	var want []uint64
	for i := range 5 {
		want = append(want, e.src.timeline("K1", activation.TimelineItem{At: t0, Kind: "response", Summary: "r" + itoa(uint64(i))}).Seq)
	}
	want = append(want, e.src.setState("K1", "MI", activation.Forming, t0).Seq)
	want = append(want, e.src.setState("K1", "MF", activation.Ready, t0).Seq)
	var got []uint64
	for len(got) < len(want) {
		ch := s.change(t)
		got = append(got, ch.Seq)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Fatalf("seqs %v, want %v", got, want)
		}
	}
}

func TestStreamCoalescesReadinessPerOrganisation(t *testing.T) {
	e := newEnv(t, false)
	e.board.coalesce = 400 * time.Millisecond
	s := e.openStream(nil, bearerHdr(viewerToken))
	s.snapshot(t)

	// A burst of 200 changes for two organisations and one incident.
	states := []activation.ReadinessState{activation.Alerting, activation.Forming, activation.AtRisk, activation.Degraded}
	var lastMI, lastMF activation.Change
	for i := range 200 {
		r := e.src.readiness("K1", "MI")
		r.State = states[i%len(states)]
		r.Available = i
		lastMI = e.src.setReadiness(r)
		r = e.src.readiness("K1", "MF")
		r.Available = 1000 + i
		lastMF = e.src.setReadiness(r)
	}
	final := e.src.setState("K1", "MI", activation.Ready, t0.Add(time.Minute))
	lastMI = final

	var n int
	var sawMI, sawMF activation.Change
	var prev uint64
	for sawMI.Seq != lastMI.Seq || sawMF.Seq != lastMF.Seq {
		ch := s.change(t)
		n++
		if ch.Seq <= prev {
			t.Fatalf("seq %d after %d", ch.Seq, prev)
		}
		prev = ch.Seq
		if ch.Kind != activation.ChangeReadiness || ch.Readiness == nil {
			t.Fatalf("unexpected change %+v", ch)
		}
		switch ch.Readiness.Org {
		case "MI":
			sawMI = ch
		case "MF":
			sawMF = ch
		}
	}
	if sawMI.Readiness.State != activation.Ready {
		t.Errorf("last MI state %q, want ready", sawMI.Readiness.State)
	}
	if sawMF.Readiness.Available != 1199 {
		t.Errorf("last MF available %d, want 1199", sawMF.Readiness.Available)
	}
	// 401 changes went in; leading edge plus a few windows may come out.
	if n > 20 {
		t.Errorf("client received %d readiness events for 401 changes; want them coalesced", n)
	}
	t.Logf("401 changes → %d events", n)
}

func TestCoalescerKeepsLatestPerKeyInSeqOrder(t *testing.T) {
	c := newCoalescer(3)
	r := func(seq uint64, inc, org string, avail int) activation.Change {
		return activation.Change{Seq: seq, Kind: activation.ChangeReadiness, IncidentID: inc, Readiness: &activation.OrgReadiness{Incident: inc, Org: org, Available: avail}}
	}
	tl := func(seq uint64) activation.Change {
		return activation.Change{Seq: seq, Kind: activation.ChangeTimeline, IncidentID: "K1", Timeline: &activation.TimelineItem{Summary: itoa(seq)}}
	}
	inc := func(seq uint64, id string) activation.Change {
		return activation.Change{Seq: seq, Kind: activation.ChangeIncident, IncidentID: id, Incident: &activation.IncidentView{ID: id}}
	}
	for _, ch := range []activation.Change{
		r(1, "K1", "MI", 1), tl(2), r(3, "K1", "MF", 1), inc(4, "K1"), r(5, "K1", "MI", 2),
		r(6, "K2", "MI", 9), tl(7), inc(8, "K1"), r(9, "K1", "MI", 3),
	} {
		c.add(ch)
	}
	batch, end := c.take(nil)
	if end {
		t.Error("end reported without close or overflow")
	}
	var seqs []uint64
	for _, ch := range batch {
		seqs = append(seqs, ch.Seq)
	}
	want := []uint64{2, 3, 6, 7, 8, 9}
	if len(seqs) != len(want) {
		t.Fatalf("batch seqs %v, want %v", seqs, want)
	}
	for i := range want {
		if seqs[i] != want[i] {
			t.Fatalf("batch seqs %v, want %v", seqs, want)
		}
	}
	if batch[5].Readiness.Available != 3 {
		t.Errorf("MI kept %d, want the latest (3)", batch[5].Readiness.Available)
	}
	if b, _ := c.take(nil); len(b) != 0 {
		t.Errorf("second take returned %d changes", len(b))
	}
	for i := range 4 {
		c.add(tl(uint64(20 + i)))
	}
	if b, end := c.take(nil); !end || len(b) != 3 {
		t.Errorf("overflow: end=%v len=%d, want end and 3 kept", end, len(b))
	}
}

func TestStreamEndsWhenDroppedAndResyncsOnReconnect(t *testing.T) {
	e := newEnv(t, false)
	s := e.openStream(nil, bearerHdr(viewerToken))
	s.snapshot(t)
	ch := e.src.setState("K1", "MI", activation.Forming, t0)
	got := s.change(t)
	if got.Seq != ch.Seq {
		t.Fatalf("seq %d, want %d", got.Seq, ch.Seq)
	}

	// The source drops the slow subscriber: the response must end.
	e.src.dropAll()
	if ev, ok := s.next(t); ok {
		t.Fatalf("stream continued after the drop: %+v", ev)
	}
	// Meanwhile the state moves on.
	e.src.setState("K1", "MI", activation.Ready, t0.Add(2*time.Minute))

	hdr := bearerHdr(viewerToken)
	hdr["Last-Event-ID"] = itoa(got.Seq)
	s2 := e.openStream(nil, hdr)
	snap := s2.snapshot(t) // a fresh snapshot first, never a replay
	var mi activation.OrgReadiness
	for _, o := range snap.Incidents[0].Organisations {
		if o.Org == "MI" {
			mi = o
		}
	}
	if mi.State != activation.Ready {
		t.Errorf("resync snapshot MI = %q, want ready", mi.State)
	}
}

func TestStreamHeartbeat(t *testing.T) {
	e := newEnv(t, false)
	e.board.heartbeat = 30 * time.Millisecond
	s := e.openStream(nil, bearerHdr(viewerToken))
	var comment, ping bool
	deadline := time.After(10 * time.Second)
	for !comment || !ping {
		select {
		case ev, ok := <-s.events:
			if !ok {
				t.Fatal("stream ended")
			}
			if ev.Comment == "heartbeat" {
				comment = true
			}
			if ev.Event == "ping" {
				ping = true
			}
		case <-deadline:
			t.Fatalf("no heartbeat (comment %v, ping %v)", comment, ping)
		}
	}
}

func TestStreamStopsWhenClientGoes(t *testing.T) {
	e := newEnv(t, false)
	s := e.openStream(nil, bearerHdr(viewerToken))
	s.snapshot(t)
	e.waitSubscribers(1)
	s.cancel()
	e.waitSubscribers(0)
}

func TestStreamRequiresAuth(t *testing.T) {
	e := newEnv(t, false)
	for name, hdr := range map[string]map[string]string{
		"none":         nil,
		"wrong bearer": bearerHdr("nope"),
		"bad cookie":   {"Cookie": CookieName + "=forged"},
	} {
		t.Run(name, func(t *testing.T) {
			s := e.openStream(nil, hdr)
			if s.resp.StatusCode != http.StatusUnauthorized {
				t.Fatalf("status %d, want 401", s.resp.StatusCode)
			}
			var body struct{ Error web.ErrorBody }
			if err := json.NewDecoder(s.resp.Body).Decode(&body); err != nil {
				t.Fatal(err)
			}
			if body.Error.Code != "unauthorized" || body.Error.Message == "" {
				t.Errorf("body %+v", body)
			}
			if !strings.HasPrefix(s.resp.Header.Get("Content-Type"), "application/json") {
				t.Errorf("Content-Type %q", s.resp.Header.Get("Content-Type"))
			}
		})
	}
	if n := e.src.subscribers(); n != 0 {
		t.Errorf("unauthenticated requests subscribed (%d)", n)
	}
}

func TestStreamWithBearerAndWithCookie(t *testing.T) {
	e := newEnv(t, false)
	e.openStream(nil, bearerHdr(dutyToken)).snapshot(t)

	c := e.client()
	if resp := e.login(c, viewerToken); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("login status %d", resp.StatusCode)
	}
	e.openStream(c, nil).snapshot(t)
}

// --- login, sessions, CSRF --------------------------------------------------

func TestLoginSetsStrictHttpOnlyCookie(t *testing.T) {
	for _, secure := range []bool{false, true} {
		e := newEnv(t, secure)
		resp := e.login(e.client(), dutyToken)
		if resp.StatusCode != http.StatusSeeOther {
			t.Fatalf("status %d, want 303", resp.StatusCode)
		}
		if loc := resp.Header.Get("Location"); loc != "/?wall=1" {
			t.Errorf("redirect to %q, want the next page", loc)
		}
		cs := resp.Cookies()
		if len(cs) != 1 || cs[0].Name != CookieName {
			t.Fatalf("cookies %v", cs)
		}
		c := cs[0]
		if !c.HttpOnly || c.SameSite != http.SameSiteStrictMode || c.Path != "/" || c.Secure != secure {
			t.Errorf("cookie %+v: want HttpOnly, SameSite=Strict, Path=/, Secure=%v", c, secure)
		}
		if len(c.Value) < 40 {
			t.Errorf("session id %q looks short", c.Value)
		}
		raw := resp.Header.Get("Set-Cookie")
		if !strings.Contains(raw, "HttpOnly") || !strings.Contains(raw, "SameSite=Strict") {
			t.Errorf("Set-Cookie %q", raw)
		}
	}
}

func TestLoginWrongTokenShowsErrorAndSetsNoCookie(t *testing.T) {
	e := newEnv(t, false)
	c := e.client()
	for _, tok := range []string{"wrong", ""} {
		resp, err := c.PostForm(e.srv.URL+"/login", url.Values{"token": {tok}})
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != http.StatusUnauthorized {
			t.Errorf("status %d, want 401", resp.StatusCode)
		}
		if len(resp.Cookies()) != 0 {
			t.Errorf("cookies set: %v", resp.Cookies())
		}
		for _, want := range []string{`id="login-token"`, `id="login-error"`, "Token ist ungültig"} {
			if !strings.Contains(string(body), want) {
				t.Errorf("login page lacks %q", want)
			}
		}
	}
	if st, _ := e.session(c); st != http.StatusUnauthorized {
		t.Errorf("session after failed login: %d", st)
	}
}

func TestLoginRateLimit(t *testing.T) {
	e := newEnv(t, false)
	c := e.client()
	var last int
	for range loginBurst + 1 {
		resp, _ := c.PostForm(e.srv.URL+"/login", url.Values{"token": {"guess"}})
		resp.Body.Close()
		last = resp.StatusCode
	}
	if last != http.StatusTooManyRequests {
		t.Fatalf("status %d after %d failures, want 429", last, loginBurst+1)
	}
	e.clk.Add(loginWindow)
	if resp := e.login(c, dutyToken); resp.StatusCode != http.StatusSeeOther {
		t.Errorf("login after the window: %d", resp.StatusCode)
	}
}

func TestLoginRefusesCrossSite(t *testing.T) {
	e := newEnv(t, false)
	req, _ := http.NewRequest("POST", e.srv.URL+"/login", strings.NewReader("token="+dutyToken))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Sec-Fetch-Site", "cross-site")
	resp, err := e.client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusForbidden || len(resp.Cookies()) != 0 {
		t.Errorf("status %d cookies %v, want 403 and none", resp.StatusCode, resp.Cookies())
	}
}

func TestSessionReportsRole(t *testing.T) {
	e := newEnv(t, false)
	for _, tc := range []struct {
		token  string
		role   config.Role
		canAct bool
	}{{viewerToken, config.RoleViewer, false}, {dutyToken, config.RoleDutyOfficer, true}, {adminToken, config.RoleAdmin, true}} {
		c := e.client()
		e.login(c, tc.token)
		st, s := e.session(c)
		if st != http.StatusOK || s.Role != tc.role || s.CanAct != tc.canAct || s.CSRF == "" || s.Name == "" {
			t.Errorf("%s: status %d session %+v", tc.role, st, s)
		}
	}
	// Bearer works too, without a CSRF token.
	req, _ := http.NewRequest("GET", e.srv.URL+"/api/v1/session", nil)
	req.Header.Set("Authorization", "Bearer "+dutyToken)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var out map[string]any
	json.NewDecoder(resp.Body).Decode(&out)
	if out["role"] != "duty_officer" || out["csrf"] != nil {
		t.Errorf("bearer session %v", out)
	}
	if st, _ := e.session(e.client()); st != http.StatusUnauthorized {
		t.Errorf("anonymous session status %d", st)
	}
}

func TestSessionRoleAndCheckCSRF(t *testing.T) {
	e := newEnv(t, false)
	c := e.client()
	e.login(c, dutyToken)
	_, s := e.session(c)
	u, _ := url.Parse(e.srv.URL)
	cookies := c.Jar.Cookies(u)

	req := func(csrf string, withCookie bool) *http.Request {
		r := httptest.NewRequest("POST", "/api/v1/incidents", nil)
		if withCookie {
			for _, ck := range cookies {
				r.AddCookie(ck)
			}
		}
		if csrf != "" {
			r.Header.Set(CSRFHeader, csrf)
		}
		return r
	}
	if name, role, ok := e.board.SessionRole(req("", true)); !ok || role != config.RoleDutyOfficer || name != "Anna Lagedienst" {
		t.Errorf("SessionRole = %q %q %v", name, role, ok)
	}
	if _, _, ok := e.board.SessionRole(req("", false)); ok {
		t.Error("SessionRole without cookie ok")
	}
	if !e.board.CheckCSRF(req(s.CSRF, true)) {
		t.Error("CheckCSRF rejected the right token")
	}
	if e.board.CheckCSRF(req("", true)) {
		t.Error("CheckCSRF accepted a missing token")
	}
	if e.board.CheckCSRF(req(s.CSRF+"x", true)) {
		t.Error("CheckCSRF accepted a wrong token")
	}
	if e.board.CheckCSRF(req(s.CSRF, false)) {
		t.Error("CheckCSRF accepted a token without session")
	}
	// Another session's token does not fit.
	c2 := e.client()
	e.login(c2, dutyToken)
	_, s2 := e.session(c2)
	if s2.CSRF == s.CSRF || e.board.CheckCSRF(req(s2.CSRF, true)) {
		t.Error("CSRF tokens are not per session")
	}
}

func TestLogoutRequiresCSRF(t *testing.T) {
	e := newEnv(t, false)
	c := e.client()
	e.login(c, dutyToken)
	_, s := e.session(c)

	resp, err := c.Post(e.srv.URL+"/logout", "application/x-www-form-urlencoded", nil)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusForbidden {
		t.Fatalf("logout without CSRF: %d, want 403", resp.StatusCode)
	}
	if st, _ := e.session(c); st != http.StatusOK {
		t.Fatal("session ended by a logout without CSRF token")
	}

	req, _ := http.NewRequest("POST", e.srv.URL+"/logout", nil)
	req.Header.Set(CSRFHeader, s.CSRF)
	resp, err = c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusNoContent {
		t.Fatalf("logout: %d, want 204", resp.StatusCode)
	}
	if st, _ := e.session(c); st != http.StatusUnauthorized {
		t.Errorf("session after logout: %d", st)
	}

	// The form variant (no JS) redirects to the login page.
	c = e.client()
	e.login(c, dutyToken)
	_, s = e.session(c)
	resp, err = c.PostForm(e.srv.URL+"/logout", url.Values{"csrf": {s.CSRF}})
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != "/login" {
		t.Errorf("form logout: %d %q", resp.StatusCode, resp.Header.Get("Location"))
	}
}

func TestSessionExpiresAndFollowsTokenRevocation(t *testing.T) {
	e := newEnv(t, false)
	c := e.client()
	e.login(c, dutyToken)
	e.clk.Add(DefaultSessionIdle - time.Minute)
	if st, _ := e.session(c); st != http.StatusOK {
		t.Fatalf("session ended early: %d", st)
	}
	e.clk.Add(DefaultSessionIdle)
	if st, _ := e.session(c); st != http.StatusUnauthorized {
		t.Errorf("idle session still valid: %d", st)
	}

	e.login(c, dutyToken)
	for range 4 { // in use, but past the absolute lifetime
		e.clk.Add(DefaultSessionTTL / 4)
		e.session(c)
	}
	if st, _ := e.session(c); st != http.StatusUnauthorized {
		t.Errorf("session beyond its lifetime still valid: %d", st)
	}

	e.login(c, dutyToken)
	e.auth.revoke(dutyToken)
	if st, _ := e.session(c); st != http.StatusUnauthorized {
		t.Errorf("session of a revoked token still valid: %d", st)
	}
}

// --- page, detail, assets ---------------------------------------------------

func TestPageRedirectsToLoginAndRendersForRole(t *testing.T) {
	e := newEnv(t, false)
	c := e.client()
	resp, err := c.Get(e.srv.URL + "/?wall=1&lang=en")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	loc, _ := url.Parse(resp.Header.Get("Location"))
	if resp.StatusCode != http.StatusSeeOther || loc.Path != "/login" || loc.Query().Get("next") != "/?wall=1&lang=en" || loc.Query().Get("lang") != "en" {
		t.Fatalf("unauthenticated page: %d → %q", resp.StatusCode, resp.Header.Get("Location"))
	}

	page := func(token, query string) string {
		c := e.client()
		e.login(c, token)
		resp, err := c.Get(e.srv.URL + "/" + query)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("page status %d", resp.StatusCode)
		}
		if csp := resp.Header.Get("Content-Security-Policy"); !strings.Contains(csp, "script-src 'self'") {
			t.Errorf("CSP %q", csp)
		}
		b, _ := io.ReadAll(resp.Body)
		return string(b)
	}
	duty := page(dutyToken, "")
	for _, want := range []string{`<html lang="de"`, `name="csrf-token"`, `id="actions"`, `data-action="declare"`, `id="conn-banner"`, `data-can-act="true"`} {
		if !strings.Contains(duty, want) {
			t.Errorf("duty officer page lacks %q", want)
		}
	}
	viewer := page(viewerToken, "?lang=en&wall=1")
	for _, want := range []string{`<html lang="en" class="wall"`, `data-role="viewer"`, `data-can-act="false"`} {
		if !strings.Contains(viewer, want) {
			t.Errorf("viewer page lacks %q", want)
		}
	}
	for _, bad := range []string{`id="actions"`, `data-action=`, `declare-dialog`} {
		if strings.Contains(viewer, bad) {
			t.Errorf("viewer page contains %q", bad)
		}
	}
	resp, _ = c.Get(e.srv.URL + "/nothing-here")
	resp.Body.Close()
	if resp.StatusCode != http.StatusNotFound {
		t.Errorf("GET /nothing-here: %d, want 404 (the board owns only /)", resp.StatusCode)
	}
}

func TestDetail(t *testing.T) {
	e := newEnv(t, false)
	inc, details := exampleExercise(t0)
	e.src.putIncident(inc)
	e.src.details = details

	get := func(path string, hdr map[string]string) (*http.Response, []byte) {
		req, _ := http.NewRequest("GET", e.srv.URL+path, nil)
		for k, v := range hdr {
			req.Header.Set(k, v)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp, b
	}
	if resp, _ := get("/api/v1/incidents/K7/organisations/MF", nil); resp.StatusCode != http.StatusUnauthorized {
		t.Errorf("detail without auth: %d", resp.StatusCode)
	}
	resp, body := get("/api/v1/incidents/K7/organisations/MF", bearerHdr(viewerToken))
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("detail: %d %s", resp.StatusCode, body)
	}
	var d activation.OrgDetail
	if err := json.Unmarshal(body, &d); err != nil {
		t.Fatal(err)
	}
	if d.Readiness.Org != "MF" || len(d.Nodes) != 6 || len(d.Timeline) == 0 {
		t.Errorf("detail %+v", d)
	}
	if regexp.MustCompile(`\+49 ?151 ?\d{6,}`).Match(body) {
		t.Error("detail contains an unmasked phone number")
	}
	resp, body = get("/api/v1/incidents/K7/organisations/XX", bearerHdr(viewerToken))
	var apiErr struct{ Error web.ErrorBody }
	if resp.StatusCode != http.StatusNotFound || json.Unmarshal(body, &apiErr) != nil || apiErr.Error.Code != "not_found" {
		t.Errorf("unknown org: %d %s", resp.StatusCode, body)
	}
}

func TestAssetsAreEmbeddedAndSelfContained(t *testing.T) {
	e := newEnv(t, false)
	for path, ct := range map[string]string{"/assets/board.js": "javascript", "/assets/board.css": "text/css", "/assets/favicon.svg": "image/svg+xml"} {
		resp, err := http.Get(e.srv.URL + path)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK || !strings.Contains(resp.Header.Get("Content-Type"), ct) || resp.Header.Get("ETag") == "" {
			t.Errorf("%s: %d %q etag %q", path, resp.StatusCode, resp.Header.Get("Content-Type"), resp.Header.Get("ETag"))
		}
	}
	resp, _ := http.Get(e.srv.URL + "/assets/nope.js")
	resp.Body.Close()
	if resp.StatusCode != http.StatusNotFound {
		t.Errorf("missing asset: %d", resp.StatusCode)
	}
	// No CDN, no external fonts: the only absolute URL allowed is the SVG namespace.
	ext := regexp.MustCompile(`(?i)(https?:)?//[a-z0-9.-]+\.[a-z]{2,}`)
	fs.WalkDir(files, ".", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, _ := files.ReadFile(p)
		for _, m := range ext.FindAllString(string(b), -1) {
			if !strings.Contains(m, "www.w3.org") {
				t.Errorf("%s references %q", p, m)
			}
		}
		return nil
	})
}

func TestSafeNext(t *testing.T) {
	for in, want := range map[string]string{
		"": "/", "/": "/", "/?wall=1": "/?wall=1", "//evil.example": "/", "/\\evil": "/",
		"https://evil.example": "/", "evil": "/", "/a\nb": "/",
	} {
		if got := safeNext(in); got != want {
			t.Errorf("safeNext(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestCloseEndsStreams(t *testing.T) {
	e := newEnv(t, false)
	s := e.openStream(nil, bearerHdr(viewerToken))
	s.snapshot(t)
	e.board.Close()
	if ev, ok := s.next(t); ok {
		t.Fatalf("stream continued after Close: %+v", ev)
	}
	e.waitSubscribers(0)
	if s2 := e.openStream(nil, bearerHdr(viewerToken)); s2.resp.StatusCode != http.StatusServiceUnavailable {
		t.Errorf("stream after Close: %d, want 503", s2.resp.StatusCode)
	}
	e.board.Close() // idempotent
}

func TestLoginRejectsHugeBody(t *testing.T) {
	e := newEnv(t, false)
	body := "token=" + dutyToken + "&pad=" + strings.Repeat("x", 64<<10)
	resp, err := e.client().Post(e.srv.URL+"/login", "application/x-www-form-urlencoded", strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode == http.StatusSeeOther || len(resp.Cookies()) != 0 {
		t.Errorf("oversized login accepted: %d", resp.StatusCode)
	}
}
