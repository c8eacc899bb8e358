package main

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/kaskade-bcm/kaskade/activation"
	"github.com/kaskade-bcm/kaskade/cmd/internal/server"
	"github.com/kaskade-bcm/kaskade/internal/e2e"
	"github.com/kaskade-bcm/kaskade/notifiers/twilio/twiliotest"
)

// Rate limit and concurrency of each instance's Twilio sender in the kill
// test: with the fake's latency the rate limit binds, so attempts queue.
const (
	killPeople      = 120
	killRate        = 20
	killConcurrency = 5
	killLatency     = 150 * time.Millisecond
	killHold        = 5 * time.Second
)

// The leading instance is killed during a rate-limited fan-out it holds, on
// the NATS cluster with a second instance (alone, and with a NATS node):
// every person still gets exactly one first alert — the requests the dead instance held are redelivered, the
// attempts it had claimed are reconciled with the fake Twilio — and only
// sends truly in flight (at most the sender's concurrency) were unknown.
func TestClusterKillDuringRateLimitedFanOut(t *testing.T) {
	e2e.Long(t)
	if testing.Short() {
		t.Skip("cluster kill test skipped in -short mode")
	}
	for _, tc := range []struct {
		name     string
		killNode bool
	}{
		{"leader", false},
		{"leader and a NATS node", true},
	} {
		t.Run(tc.name, func(t *testing.T) { clusterKillRun(t, tc.killNode) })
	}
}

func clusterKillRun(t *testing.T, killNode bool) {
	nodes, nc := startNATSCluster(t)
	fake := twiliotest.NewServer(twiliotest.Options{Latency: killLatency})
	t.Cleanup(fake.Close)
	t.Setenv("KASKADE_TEST_TWILIO_TOKEN", fake.AuthToken())
	logs := &reconcileCount{}
	by := map[string]*sends{}
	start := func(name string) *testServer {
		by[name] = &sends{}
		api := httptest.NewServer(by[name].through(fake))
		t.Cleanup(api.Close)
		cfg := filepath.Join(t.TempDir(), "kaskade.yaml")
		if err := os.WriteFile(cfg, []byte(killConfig(fake.AccountSID(), api.URL)), 0o600); err != nil {
			t.Fatal(err)
		}
		return startClusterInstance(t, nc, name, func(o *server.Options) {
			ln := listenLocal(t)
			o.ConfigPath, o.Listener, o.PublicURL = cfg, ln, "http://"+ln.Addr().String()
			o.Logger = slog.New(&countingHandler{inner: testLogger(t).Handler(), n: logs})
		})
	}
	// The first instance leads and takes the fan-out (one pack of requests,
	// held by one dispatcher); the second joins while it is under way.
	leader := start("kaskade-a")
	waitWithin(t, clusterSlow, "kaskade-a leads", leader.Engine.Leader)
	var out map[string]any
	if code := leader.api("POST", "/api/v1/incidents", map[string]any{"scenario": "fanout", "organisations": []string{"O1"},
		"reason": "Ausfall Leitstelle", "exercise": true}, &out); code != 201 {
		t.Fatalf("declare: %d %v", code, out)
	}
	waitWithin(t, clusterSlow, "the fan-out under way", func() bool { return len(fake.Messages()) >= 5 })
	// The leader's sends wait while the second instance starts (its replay
	// can take seconds on a loaded machine), so the fan-out is still under
	// way at the kill; never longer than killHold, well inside the sender's
	// request timeout.
	release := by["kaskade-a"].hold(killHold)
	survivor := start("kaskade-b")
	if l, _ := leadingOf(t, leader, survivor); l != leader {
		t.Fatal("kaskade-b leads before the kill")
	}
	release()
	// A second of SMS out; most of the fan-out still waits for the rate limit.
	waitWithin(t, clusterSlow, "20 SMS out", func() bool { return len(fake.Messages()) >= 20 })
	before := len(fake.Messages())
	if before > killPeople/2 {
		t.Fatalf("%d of %d SMS out before the kill: the fan-out is nearly over", before, killPeople)
	}
	killed := time.Now()
	if killNode {
		nodes[0].Shutdown()
	}
	leader.Crash()
	// The lease and (with a node) a raft election, the redelivery of the
	// requests held, then the reconciliation of attempts claimed
	// (ReconcileAfter, 15 s): generous limits on a loaded machine.
	waitWithin(t, 45*time.Second, "the survivor leads", survivor.Engine.Leader)
	leads := time.Since(killed)
	perPerson := func() map[string]int {
		got := map[string]int{}
		for _, m := range fake.Messages() {
			got[m.To]++
		}
		return got
	}
	var view activation.IncidentView
	settled := func() bool {
		view = activation.IncidentView{}
		if survivor.api("GET", "/api/v1/incidents/K1", nil, &view) != 200 {
			return false
		}
		c := view.Counts
		return c.Requested == killPeople && c.Sent+c.Delivered+c.Failed+c.Unknown == c.Requested
	}
	waitWithin(t, 120*time.Second, "everyone alerted and every attempt settled", func() bool {
		return len(perPerson()) == killPeople && settled()
	})
	assertOneAlertEach(t, fake, perPerson())
	if view.Counts.Unknown != 0 {
		t.Errorf("%d attempts left unknown after reconciliation", view.Counts.Unknown)
	}
	found, resent := logs.found.Load(), logs.resent.Load()
	if found+resent > killConcurrency {
		t.Errorf("%d attempts unknown after the kill (found %d, resent %d), more than the sender's concurrency %d",
			found+resent, found, resent, killConcurrency)
	}
	if found+resent == 0 {
		t.Error("no attempt was in flight at the kill: the test missed the claim-late path")
	}
	next, all := by["kaskade-b"].firstAfter(killed), lastAfter(fake.Messages(), killed)
	t.Logf("killed the leader at %d of %d SMS (NATS node too: %v; by the survivor before it: %d): it leads after %v, its next SMS after %v, "+
		"everyone alerted after %v; unknown attempts reconciled: found at the fake %d, sent after the lookup %d; counts %+v",
		before, killPeople, killNode, by["kaskade-b"].before(killed), leads.Round(time.Millisecond), next.Round(time.Millisecond),
		all.Round(time.Millisecond), found, resent, view.Counts)
}

// assertOneAlertEach checks that each of the killPeople got exactly one SMS
// (the policy has one step: every SMS is a first alert) and no attempt was
// sent twice.
func assertOneAlertEach(t *testing.T, fake *twiliotest.Server, perPerson map[string]int) {
	t.Helper()
	for i := range killPeople {
		if n := perPerson[killMobile(i)]; n != 1 {
			t.Errorf("person %d got %d first alerts, want 1", i, n)
		}
	}
	perAttempt := map[string]int{}
	for _, m := range fake.Messages() {
		u, err := url.Parse(m.StatusCallback)
		if err != nil {
			t.Fatalf("status callback %q: %v", m.StatusCallback, err)
		}
		perAttempt[u.Query().Get("n")]++
	}
	for id, n := range perAttempt {
		if n != 1 {
			t.Errorf("attempt %s accepted %d times", id, n)
		}
	}
}

// lastAfter is the time from t to the last message the fake accepted.
func lastAfter(msgs []twiliotest.Message, t time.Time) time.Duration {
	var last time.Duration
	for _, m := range msgs {
		last = max(last, m.Created.Sub(t))
	}
	return last
}

// sends counts the messages one instance created at the fake Twilio and
// when each answer came back.
type sends struct {
	mu   sync.Mutex
	at   []time.Time
	gate chan struct{} // closed, or nil: requests pass
}

// hold makes requests wait until the returned release is called or d has
// passed, whichever comes first.
func (s *sends) hold(d time.Duration) (release func()) {
	gate := make(chan struct{})
	var once sync.Once
	release = func() { once.Do(func() { close(gate) }) }
	s.mu.Lock()
	s.gate = gate
	s.mu.Unlock()
	time.AfterFunc(d, release)
	return release
}

func (s *sends) wait(ctx context.Context) {
	s.mu.Lock()
	gate := s.gate
	s.mu.Unlock()
	if gate == nil {
		return
	}
	select {
	case <-gate:
	case <-ctx.Done():
	}
}

func (s *sends) before(t time.Time) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	n := 0
	for _, at := range s.at {
		if at.Before(t) {
			n++
		}
	}
	return n
}

// firstAfter is the time from t to the first message created after it (-1: none).
func (s *sends) firstAfter(t time.Time) time.Duration {
	s.mu.Lock()
	defer s.mu.Unlock()
	first := time.Duration(-1)
	for _, at := range s.at {
		if d := at.Sub(t); d > 0 && (first < 0 || d < first) {
			first = d
		}
	}
	return first
}

// through passes requests on to the fake and records its message creations.
func (s *sends) through(fake http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.wait(r.Context())
		fake.ServeHTTP(w, r)
		if r.Method == http.MethodPost && strings.HasSuffix(r.URL.Path, "/Messages.json") {
			s.mu.Lock()
			s.at = append(s.at, time.Now())
			s.mu.Unlock()
		}
	})
}

func killMobile(i int) string { return fmt.Sprintf("+49151%08d", 20000+i) }

// killConfig is one organisation of killPeople, each a root node of its
// call tree (the first wave reaches everyone), alerted by one SMS.
func killConfig(sid, apiURL string) string {
	var b strings.Builder
	fmt.Fprintf(&b, `version: 1
server: {public_url: "http://127.0.0.1:1"} # each instance's own URL overrides it
channels:
  console: {as: [email]}
  twilio: {account_sid: %s, auth_token: {env: KASKADE_TEST_TWILIO_TOKEN}, from: "+15005550006", api_url: %s,
    concurrency: %d, rate_per_second: %d}
functions: [{id: staff, name: {de: Stab, en: Staff}}]
policies:
  - {id: sms-only, wait: 30m, steps: [{channel: sms, after: 0s}]}
organisations:
  - {id: O1, name: {de: Leitstelle, en: Control centre}, call_tree: t1, readiness: {required: {staff: 1}, target: 2h}}
scenarios:
  - id: fanout
    name: {de: Massenalarm, en: Mass alert}
    severity: crisis
    organisations: [O1]
    templates: {de: {sms: "{{.Title}}", email_subject: "{{.Title}}", email_body: "{{.Title}}"}}
people:
`, sid, apiURL, killConcurrency, killRate)
	for i := range killPeople {
		fmt.Fprintf(&b, "  - {id: p%03d, name: Person %d, organisation: O1, mobile: \"%s\", functions: [staff]}\n", i, i, killMobile(i))
	}
	b.WriteString("call_trees:\n  - id: t1\n    organisation: O1\n    policy: sms-only\n    nodes:\n")
	for i := range killPeople {
		fmt.Fprintf(&b, "      - {function: staff, person: p%03d}\n", i)
	}
	return b.String()
}

// reconcileCount counts the engine's reconciliations of unknown attempts.
type reconcileCount struct{ found, resent atomic.Int64 }

// countingHandler counts the reconciliation log records (Info) of both
// instances and passes on what its inner handler takes.
type countingHandler struct {
	inner slog.Handler
	n     *reconcileCount
}

func (h *countingHandler) Enabled(ctx context.Context, l slog.Level) bool {
	return l >= slog.LevelInfo || h.inner.Enabled(ctx, l)
}

func (h *countingHandler) Handle(ctx context.Context, r slog.Record) error {
	switch r.Message {
	case "unknown attempt found at the provider":
		h.n.found.Add(1)
	case "unknown attempt not at the provider; sending it now":
		h.n.resent.Add(1)
	}
	if !h.inner.Enabled(ctx, r.Level) {
		return nil
	}
	return h.inner.Handle(ctx, r)
}

func (h *countingHandler) WithAttrs(as []slog.Attr) slog.Handler {
	return &countingHandler{inner: h.inner.WithAttrs(as), n: h.n}
}

func (h *countingHandler) WithGroup(name string) slog.Handler {
	return &countingHandler{inner: h.inner.WithGroup(name), n: h.n}
}
