package main

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"os"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/nats-io/nats.go"

	"github.com/kaskade-bcm/kaskade/activation"
	"github.com/kaskade-bcm/kaskade/cmd/internal/server"
	"github.com/kaskade-bcm/kaskade/config"
	"github.com/kaskade-bcm/kaskade/notifiers"
)

// recorder is a notifier that keeps every message (a fake channel).
type recorder struct {
	mu   sync.Mutex
	msgs []notifiers.Message
}

func (r *recorder) Notify(_ context.Context, m notifiers.Message) (notifiers.Receipt, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.msgs = append(r.msgs, m)
	return notifiers.Receipt{State: notifiers.StateSent, ProviderID: "rec-" + m.ID}, nil
}

func (r *recorder) to(person string, purpose notifiers.Purpose) []notifiers.Message {
	r.mu.Lock()
	defer r.mu.Unlock()
	var out []notifiers.Message
	for _, m := range r.msgs {
		if m.Person == person && m.Purpose == purpose {
			out = append(out, m)
		}
	}
	return out
}

type fakeClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *fakeClock) Advance(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

type testServer struct {
	*server.Server
	t     *testing.T
	token string
}

func startTest(t *testing.T, dataDir string, rec *recorder, now func() time.Time) *testServer {
	t.Helper()
	ns := map[string]notifiers.Notifier{}
	if rec != nil {
		ns[config.ChannelSMS], ns[config.ChannelEmail] = rec, rec
	}
	s, err := server.Start(t.Context(), server.Options{DataDir: dataDir, HTTPAddr: "127.0.0.1:0", NATSListen: "off",
		Notifiers: ns, Now: now, Instance: "test"})
	if err != nil {
		t.Fatalf("start: %v", err)
	}
	t.Cleanup(func() { _ = s.Close() }) // before its data directory is removed
	ts := &testServer{Server: s, t: t, token: s.AdminToken()}
	waitFor(t, "engine ready", func() bool { return s.Engine.Ready() && s.Engine.Leader() })
	return ts
}

func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	waitWithin(t, 10*time.Second, what, cond)
}

// waitWithin is waitFor with its own limit, for what a loaded machine may
// legitimately take longer to do (a raft election and a lease expiry).
func waitWithin(t *testing.T, limit time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(limit)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// inputsApplied waits until the engine has applied every input submitted so
// far: after it, an input that a synchronous call (a webhook, an SMTP
// transaction) submitted has had its effect, or never will.
func inputsApplied(t *testing.T, s *server.Server) {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
	defer cancel()
	stream, err := s.JS.Stream(ctx, s.Layout.InputStream())
	if err != nil {
		t.Fatal(err)
	}
	info, err := stream.Info(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Engine.WaitInput(ctx, info.State.LastSeq); err != nil {
		t.Fatalf("inputs up to %d not applied: %v", info.State.LastSeq, err)
	}
}

func (s *testServer) api(method, path string, body any, out any) int {
	s.t.Helper()
	var rd io.Reader
	if body != nil {
		b, _ := json.Marshal(body)
		rd = bytes.NewReader(b)
	}
	req, _ := http.NewRequest(method, s.URL+path, rd)
	req.Header.Set("Authorization", "Bearer "+s.token)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		s.t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	data, _ := io.ReadAll(resp.Body)
	if out != nil && resp.StatusCode < 300 {
		if err := json.Unmarshal(data, out); err != nil {
			s.t.Fatalf("%s %s: decode %s: %v", method, path, data, err)
		}
	}
	if resp.StatusCode >= 300 && out != nil {
		s.t.Logf("%s %s → %d %s", method, path, resp.StatusCode, data)
	}
	return resp.StatusCode
}

// primaries returns the primary person of each required function of an organisation.
func primaries(t *testing.T, cfg *config.Config, org string) map[string]string {
	tree, ok := cfg.TreeFor(org)
	if !ok {
		t.Fatalf("no tree for %s", org)
	}
	o, _ := cfg.Organisation(org)
	out := map[string]string{}
	tree.Walk(func(n, _ *config.Node) {
		if _, req := o.Readiness.Required[n.Function]; req {
			out[n.Function] = n.Person
		}
	})
	return out
}

func TestDeclareOverNATSAnswerUntilReady(t *testing.T) {
	rec := &recorder{}
	s := startTest(t, t.TempDir(), rec, nil)
	nc, err := s.Embedded().Connect() // as Kaskade's own identity: nobody else may declare on the bare subject
	if err != nil {
		t.Fatal(err)
	}
	defer nc.Close()
	readiness := make(chan *nats.Msg, 100)
	if _, err := nc.ChanSubscribe("kaskade.readiness.>", readiness); err != nil {
		t.Fatal(err)
	}
	decl := []byte(`{"id":"uebung-2026-11","scenario":"cyberangriff","organisations":["MI"],"exercise":true,` +
		`"declared_by":"Lagedienst Müller","reason":"Verschlüsselungstrojaner im Landesnetz"}`)
	reply, err := nc.Request("kaskade.incidents.declare", decl, 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	var res struct {
		IncidentID string `json:"incident_id"`
	}
	if err := json.Unmarshal(reply.Data, &res); err != nil || res.IncidentID != "K1" {
		t.Fatalf("reply %s: %v", reply.Data, err)
	}
	var inc activation.IncidentView
	waitFor(t, "incident visible", func() bool { return s.api("GET", "/api/v1/incidents/K1", nil, &inc) == 200 })
	if !inc.Exercise || inc.DeclaredBy != "Lagedienst Müller" || inc.Reason == "" || len(inc.Organisations) != 1 {
		t.Fatalf("incident = %+v", inc)
	}
	people := primaries(t, s.Config, "MI")
	waitFor(t, "lead alerted", func() bool { return len(rec.to(people["lead"], notifiers.PurposeAlert)) == 1 })
	if m := rec.to(people["lead"], notifiers.PurposeAlert)[0]; m.Channel != "sms" || m.Text[:len("ÜBUNG")] != "ÜBUNG" {
		t.Fatalf("alert = %+v", m)
	}
	for _, f := range []string{"lead", "it", "personnel", "facilities", "communication", "protocol"} {
		var out map[string]any
		if code := s.api("POST", "/api/v1/incidents/K1/responses", map[string]any{"person": people[f], "kind": "available"}, &out); code != 200 {
			t.Fatalf("respond %s: %d", f, code)
		}
	}
	var rd struct {
		Organisations []activation.OrgReadiness `json:"organisations"`
	}
	s.api("GET", "/api/v1/incidents/K1/readiness", nil, &rd)
	if rd.Organisations[0].State != activation.Ready || len(rd.Organisations[0].Missing) != 0 {
		t.Fatalf("readiness = %+v", rd.Organisations[0])
	}
	// The readiness subject carries the same transition for other consumers.
	deadline := time.After(5 * time.Second)
	for ready := false; !ready; {
		select {
		case m := <-readiness:
			var r activation.OrgReadiness
			_ = json.Unmarshal(m.Data, &r)
			ready = r.State == activation.Ready && m.Subject == "kaskade.readiness.K1.MI"
		case <-deadline:
			t.Fatal("no ready message on kaskade.readiness.K1.MI")
		}
	}

	// The same client id again, as a plain publish and as a request: nothing new.
	if err := nc.Publish("kaskade.incidents.declare", decl); err != nil {
		t.Fatal(err)
	}
	reply, err = nc.Request("kaskade.incidents.declare", decl, 5*time.Second)
	if err != nil || !bytes.Contains(reply.Data, []byte(`"K1"`)) || !bytes.Contains(reply.Data, []byte(`"duplicate": true`)) && !bytes.Contains(reply.Data, []byte(`"duplicate":true`)) {
		t.Fatalf("duplicate request reply %s: %v", reply.Data, err)
	}
	waitIntakeIdle(t, s)
	var list struct {
		Incidents []activation.IncidentView `json:"incidents"`
	}
	s.api("GET", "/api/v1/incidents", nil, &list)
	if len(list.Incidents) != 1 {
		t.Fatalf("incidents after duplicate declarations = %d, want 1", len(list.Incidents))
	}

	// A bad declaration gets a structured error.
	reply, err = nc.Request("kaskade.incidents.declare", []byte(`{"scenario":"meteorit","reason":"x","declared_by":"y"}`), 5*time.Second)
	if err != nil || !bytes.Contains(reply.Data, []byte(`unknown_scenario`)) {
		t.Fatalf("bad declaration reply %s: %v", reply.Data, err)
	}
}

// waitIntakeIdle waits until the intake consumed everything in the declare stream.
func waitIntakeIdle(t *testing.T, s *testServer) {
	t.Helper()
	waitFor(t, "intake idle", func() bool {
		c, err := s.JS.Consumer(context.Background(), s.Layout.DeclareStream(), "intake")
		if err != nil {
			return false
		}
		info, err := c.Info(context.Background())
		return err == nil && info.NumPending == 0 && info.NumAckPending == 0
	})
}

func TestRestartFiresOverdueEscalationOnce(t *testing.T) {
	dir := t.TempDir()
	rec := &recorder{}
	clock := &fakeClock{t: time.Now()}
	s := startTest(t, dir, rec, clock.Now)
	var out map[string]any
	if code := s.api("POST", "/api/v1/incidents", map[string]any{"scenario": "stromausfall", "organisations": []string{"MF"},
		"reason": "Stromausfall Hannover", "exercise": true}, &out); code != 201 {
		t.Fatalf("declare: %d %v", code, out)
	}
	people := primaries(t, s.Config, "MF")
	waitFor(t, "lead alerted", func() bool { return len(rec.to(people["lead"], notifiers.PurposeAlert)) == 1 })
	if code := s.api("POST", "/api/v1/incidents/K1/responses", map[string]any{"person": people["lead"], "kind": "delayed", "minutes": 20}, &out); code != 200 {
		t.Fatalf("respond: %d", code)
	}
	waitFor(t, "cascade to IT", func() bool { return len(rec.to(people["it"], notifiers.PurposeAlert)) == 1 })
	if err := s.Close(); err != nil {
		t.Fatalf("close: %v", err)
	}

	// While Kaskade is down, the IT primary's wait runs out.
	tree, _ := s.Config.TreeFor("MF")
	var itDeputy string
	tree.Walk(func(n, _ *config.Node) {
		if n.Function == "it" {
			itDeputy = n.Deputies[0]
		}
	})
	if len(rec.to(itDeputy, notifiers.PurposeAlert)) != 0 {
		t.Fatal("deputy alerted before the wait ran out")
	}
	clock.Advance(31 * time.Minute)
	start := time.Now()
	s2 := startTest(t, dir, rec, clock.Now)
	defer s2.Close()
	t.Logf("restart to leading engine: %v", time.Since(start))
	waitFor(t, "overdue escalation to the IT deputy", func() bool { return len(rec.to(itDeputy, notifiers.PurposeAlert)) >= 1 })
	time.Sleep(300 * time.Millisecond) // room for a wrong second firing
	if n := len(rec.to(itDeputy, notifiers.PurposeAlert)); n != 1 {
		t.Fatalf("IT deputy alerted %d times, want once", n)
	}
	var detail activation.OrgDetail
	s2.api("GET", "/api/v1/incidents/K1", nil, &out)
	ready := 0
	s2.Engine.View(func(c *activation.Core) {
		k, _, _, _ := c.Answer("K1", people["lead"])
		if k == activation.Delayed {
			ready = 1
		}
		detail, _ = c.Detail("K1", "MF", nil)
	})
	if ready != 1 {
		t.Fatal("the lead's answer from before the restart is lost")
	}
	if detail.Readiness.State != activation.AtRisk {
		t.Fatalf("MF after the target time = %s, want at_risk", detail.Readiness.State)
	}
	if !slices.ContainsFunc(detail.Timeline, func(it activation.TimelineItem) bool { return it.Kind == activation.KindTierAlerted }) {
		t.Fatal("timeline lacks the escalation")
	}
}

// testLogger logs warnings and errors through t.Log (everything with
// KASKADE_TEST_LOG=debug, to follow a failure).
func testLogger(t *testing.T) *slog.Logger {
	level := slog.LevelWarn
	if os.Getenv("KASKADE_TEST_LOG") == "debug" {
		level = slog.LevelDebug
	}
	return slog.New(slog.NewTextHandler(tWriter{t}, &slog.HandlerOptions{Level: level}))
}

type tWriter struct{ t *testing.T }

func (w tWriter) Write(p []byte) (int, error) {
	w.t.Log(strings.TrimSpace(string(p)))
	return len(p), nil
}
