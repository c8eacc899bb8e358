package board

import (
	"bytes"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/netip"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/kaskade-bcm/kaskade/activation"
	"github.com/kaskade-bcm/kaskade/config"
)

// Finding 4 of issue 15: 10,050 logins with a viewer token evicted a duty
// officer's session (one LRU of 10,000, no per-token cap).
func TestSessionFloodWithOneTokenKeepsOtherTokensSessions(t *testing.T) {
	clk := &clock{t: t0}
	st := newSessionStore(clk.Now, DefaultSessionTTL, DefaultSessionIdle)
	duty := st.create("Anna Lagedienst", config.RoleDutyOfficer, dutyToken)
	for range 10050 {
		clk.Add(time.Millisecond)
		st.create("Lagezentrum Wand", config.RoleViewer, viewerToken)
	}
	if _, ok := st.get(duty.id); !ok {
		t.Fatal("a flood of viewer logins evicted the duty officer's session")
	}
	if n := st.count(viewerToken); n > maxSessionsPerToken {
		t.Fatalf("viewer token holds %d sessions, cap %d", n, maxSessionsPerToken)
	}
	// The newest sessions of the flooding token survive, its oldest go.
	last := st.create("Lagezentrum Wand", config.RoleViewer, viewerToken)
	if _, ok := st.get(last.id); !ok {
		t.Fatal("the newest session is gone")
	}
}

// Beyond the global cap, the token with the most sessions gives one up.
func TestSessionGlobalCapEvictsFromTheLargestToken(t *testing.T) {
	clk := &clock{t: t0}
	st := newSessionStore(clk.Now, DefaultSessionTTL, DefaultSessionIdle)
	st.max, st.perToken = 10, 6
	a := st.create("a", config.RoleViewer, "tok-a")
	for range 5 {
		clk.Add(time.Second)
		st.create("b", config.RoleViewer, "tok-b")
	}
	for range 6 {
		clk.Add(time.Second)
		st.create("c", config.RoleViewer, "tok-c")
	}
	if _, ok := st.get(a.id); !ok {
		t.Fatal("the only session of token a was evicted")
	}
	if len(st.m) > 10 {
		t.Fatalf("%d sessions, cap 10", len(st.m))
	}
}

// Finding 7 of issue 15: the /login lockout also locked out the right
// token from the same address (behind a proxy: everyone).
func TestLoginLockoutNeverBlocksTheRightToken(t *testing.T) {
	e := newEnv(t, false)
	c := e.client()
	for range loginBurst + 5 {
		resp, _ := c.PostForm(e.srv.URL+"/login", url.Values{"token": {"guess"}})
		resp.Body.Close()
	}
	resp, _ := c.PostForm(e.srv.URL+"/login", url.Values{"token": {"guess"}})
	resp.Body.Close()
	if resp.StatusCode != http.StatusTooManyRequests {
		t.Fatalf("wrong token after %d failures: %d, want 429", loginBurst+5, resp.StatusCode)
	}
	if resp := e.login(c, dutyToken); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("the right token during the lockout: %d, want 303", resp.StatusCode)
	}
}

// Behind a trusted proxy each client is limited on its own; without one
// X-Forwarded-For is ignored, so it cannot be used to dodge the limit.
func TestLoginLimitUsesForwardedForOnlyFromTrustedProxies(t *testing.T) {
	for _, trusted := range []bool{false, true} {
		e := newEnvWith(t, func(o *Options) {
			if trusted {
				o.TrustedProxies = []netip.Prefix{netip.MustParsePrefix("127.0.0.0/8"), netip.MustParsePrefix("::1/128")}
			}
		})
		post := func(xff string) int {
			req, _ := http.NewRequest("POST", e.srv.URL+"/login", strings.NewReader("token=guess"))
			req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
			req.Header.Set("X-Forwarded-For", xff)
			resp, err := e.client().Do(req)
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			return resp.StatusCode
		}
		for range loginBurst {
			post("198.51.100.1")
		}
		want := http.StatusTooManyRequests
		if trusted {
			want = http.StatusUnauthorized
		}
		if got := post("198.51.100.2"); got != want {
			t.Fatalf("trusted %v: another forwarded client gets %d, want %d", trusted, got, want)
		}
	}
}

// Finding 7 of issue 15: wrong bearer tokens were neither logged nor
// limited. On the board too they are limited per address, logged at a
// bounded rate and counted; the right token still passes.
func TestBoardWrongBearerTokensAreLimitedLoggedAndCounted(t *testing.T) {
	var logs syncBuffer
	reg := prometheus.NewRegistry()
	e := newEnvWith(t, func(o *Options) {
		o.Logger = slog.New(slog.NewTextHandler(&logs, nil))
		o.Registerer = reg
	})
	codes := map[int]int{}
	for range 300 {
		req, _ := http.NewRequest("GET", e.srv.URL+"/api/v1/session", nil)
		req.Header.Set("Authorization", "Bearer guess-123")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		codes[resp.StatusCode]++
	}
	if codes[401] != loginBurst || codes[429] != 300-loginBurst {
		t.Fatalf("300 wrong bearer tokens: %v", codes)
	}
	s := e.openStream(nil, bearerHdr(viewerToken))
	if s.resp.StatusCode != 200 {
		t.Fatalf("the right token from the same address: %d", s.resp.StatusCode)
	}
	if n := strings.Count(logs.String(), "wrong token"); n < 1 || n > 5 || strings.Contains(logs.String(), "guess-123") {
		t.Fatalf("log: %d lines (want 1 to 5, without the token):\n%s", n, logs.String())
	}
	mfs, _ := reg.Gather()
	var total float64
	for _, mf := range mfs {
		if mf.GetName() == "kaskade_http_auth_failures_total" {
			for _, m := range mf.GetMetric() {
				total += m.GetCounter().GetValue()
			}
		}
	}
	if total != 300 {
		t.Fatalf("kaskade_http_auth_failures_total = %v, want 300", total)
	}
}

// Finding 3 of issue 15: 1,500 streams with one viewer token took the
// server to 4 GB. Streams are capped per token and in all, with 429 and
// Retry-After.
func TestStreamCapsPerTokenAndGlobal(t *testing.T) {
	e := newEnvWith(t, func(o *Options) { o.MaxStreams, o.MaxStreamsPerToken = 3, 2 })
	open := func(tok string) *stream {
		s := e.openStream(nil, bearerHdr(tok))
		if s.resp.StatusCode == http.StatusOK {
			s.snapshot(t)
		}
		return s
	}
	v1, v2 := open(viewerToken), open(viewerToken)
	if v1.resp.StatusCode != 200 || v2.resp.StatusCode != 200 {
		t.Fatalf("two viewer streams: %d %d", v1.resp.StatusCode, v2.resp.StatusCode)
	}
	v3 := open(viewerToken)
	if v3.resp.StatusCode != http.StatusTooManyRequests || v3.resp.Header.Get("Retry-After") == "" {
		t.Fatalf("third stream of one token: %d, Retry-After %q; want 429 with Retry-After", v3.resp.StatusCode, v3.resp.Header.Get("Retry-After"))
	}
	if d := open(dutyToken); d.resp.StatusCode != 200 {
		t.Fatalf("another token's stream: %d", d.resp.StatusCode)
	}
	if a := open(adminToken); a.resp.StatusCode != http.StatusTooManyRequests {
		t.Fatalf("stream beyond the global cap: %d, want 429", a.resp.StatusCode)
	}
	v1.cancel()
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(5 * time.Millisecond) {
		if e.board.openStreams() == 2 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the closed stream was not released")
		}
	}
	if v := open(viewerToken); v.resp.StatusCode != 200 {
		t.Fatalf("viewer stream after one closed: %d", v.resp.StatusCode)
	}
}

// Finding 3 of issue 15: the snapshot carried every incident ever. It
// carries the open ones and the recently closed ones; ?history=1 asks for all.
func TestSnapshotHasOpenAndRecentlyClosedIncidentsOnly(t *testing.T) {
	e := newEnvWith(t, func(o *Options) { o.RecentClosed = 2 })
	closed := func(id string, ago time.Duration) activation.IncidentView {
		inc := simpleIncident(id, t0.Add(-ago-time.Hour), "MI")
		at := t0.Add(-ago)
		inc.Status, inc.StoodDownAt = "stood_down", &at
		return inc
	}
	e.src.mu.Lock()
	e.src.incidents = []activation.IncidentView{simpleIncident("K9", t0, "MI"), closed("K8", time.Hour), closed("K7", 2*time.Hour),
		closed("K6", 3*time.Hour), simpleIncident("K1", t0.Add(-30*24*time.Hour), "MI")}
	e.src.mu.Unlock()
	ids := func(snap snapshot) string {
		var out []string
		for _, inc := range snap.Incidents {
			out = append(out, inc.ID)
		}
		return strings.Join(out, ",")
	}
	if got := ids(e.openStream(nil, bearerHdr(viewerToken)).snapshot(t)); got != "K9,K8,K7,K1" {
		t.Fatalf("snapshot incidents %s, want K9,K8,K7,K1 (open ones and the 2 most recently closed)", got)
	}
	req := bearerHdr(viewerToken)
	s := e.openStreamPath("/api/v1/stream?history=1", req)
	if got := ids(s.snapshot(t)); got != "K9,K8,K7,K6,K1" {
		t.Fatalf("snapshot with history %s, want all", got)
	}
}

// Memory per stream is bounded: streams share one subscription to the
// source instead of one (with its buffer) each.
func TestStreamsShareOneSubscription(t *testing.T) {
	e := newEnv(t, false)
	var streams []*stream
	for range 5 {
		s := e.openStream(nil, bearerHdr(viewerToken))
		s.snapshot(t)
		streams = append(streams, s)
	}
	if n := e.src.subscribers(); n != 1 {
		t.Fatalf("5 streams hold %d subscriptions, want 1", n)
	}
	ch := e.src.setState("K1", "MI", activation.Forming, t0.Add(6*time.Minute))
	for i, s := range streams {
		if got := s.change(t); got.Seq != ch.Seq {
			t.Fatalf("stream %d got seq %d, want %d", i, got.Seq, ch.Seq)
		}
	}
	for _, s := range streams {
		s.cancel()
	}
	e.waitSubscribers(0)
}

type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.Write(p)
}
func (b *syncBuffer) String() string { b.mu.Lock(); defer b.mu.Unlock(); return b.b.String() }

// Memory per stream is bounded in time too: a client that stops reading is
// dropped once a write has waited writeWait (its socket buffers full), and
// it holds up neither the hub nor the other streams meanwhile.
func TestStalledStreamClientIsDropped(t *testing.T) {
	e := newEnv(t, false)
	e.board.writeWait = 2 * time.Second // before any stream is served
	conn, err := net.Dial("tcp", e.srv.Listener.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	fmt.Fprintf(conn, "GET /api/v1/stream HTTP/1.1\r\nHost: board\r\nAuthorization: Bearer %s\r\n\r\n", viewerToken)
	reader := e.openStream(nil, bearerHdr(dutyToken))
	reader.snapshot(t)
	for deadline := time.Now().Add(10 * time.Second); e.board.openStreams() < 2; time.Sleep(5 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatal("the stalled client's stream never opened")
		}
	}
	// 10 MB of timeline items: more than the socket buffers of a client
	// that does not read hold (the server's send buffer grows to 4 MB).
	big := strings.Repeat("x", 64<<10)
	var last activation.Change
	for range 160 {
		last = e.src.timeline("K1", activation.TimelineItem{At: t0, Summary: big})
	}
	for deadline := time.Now().Add(15 * time.Second); e.board.openStreams() != 1; time.Sleep(10 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("%d streams open 15 s after the client stopped reading, want the stalled one dropped", e.board.openStreams())
		}
	}
	for {
		ch := reader.change(t)
		if ch.Seq == last.Seq {
			break
		}
	}
}
