package main

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/kaskade-bcm/kaskade/activation"
	"github.com/kaskade-bcm/kaskade/notifiers/twilio/twiliotest"
)

// failoverScenarios are what the failover phase kills, in this order.
var failoverScenarios = []struct {
	name, label string
	node        bool // also the NATS node the leader is connected to
}{
	{"leader", "failover: leader killed", false},
	{"leader+nats", "failover: leader and its NATS node killed", true},
}

// failover kills the leading one of two `kaskade serve` processes on a
// three-node NATS cluster (processes too) during a rate-limited fan-out,
// alone and with its NATS node, and counts what the fake Twilio received.
func (b *bench) failover(ctx context.Context) error {
	bin, err := b.kaskadeBinary(ctx)
	if err != nil {
		return err
	}
	b.kaskade = bin
	for _, sc := range failoverScenarios {
		var runs []failoverRun
		for i := range b.o.FailoverRuns {
			dir := filepath.Join(b.o.Dir, "failover", fmt.Sprintf("%s-%d", sc.name, i))
			r, err := b.failoverRun(ctx, dir, sc.node)
			if err != nil {
				return fmt.Errorf("failover %s run %d: %w (logs in %s; keep them with --dir)", sc.name, i, err, dir)
			}
			r.scenario = sc.name
			runs = append(runs, r)
			b.printf("  (%s run %d: first SMS %s after the declaration; after the kill: next SMS %s, lease %s, leads %s, everyone %s, unknown %d, missing %d; load average %s)\n",
				sc.name, i, secs(r.start), secs(r.nextSMS), secs(r.lease), secs(r.leads), secs(r.allAlerted), r.unknown(), r.missing, loadAvg())
		}
		for _, row := range failoverRows(sc.label, runs, b.o.FailoverConc) {
			b.record(row.what, row.value, row.target, row.ok)
		}
	}
	return nil
}

// failoverRun is one run: a fresh cluster, two instances, one declaration, one kill.
func (b *bench) failoverRun(ctx context.Context, dir string, killNode bool) (failoverRun, error) {
	r := failoverRun{people: b.o.FailoverPeople}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return r, err
	}
	names := []string{"kaskade-a", "kaskade-b"}
	fake := newRecordingFake(b.o.RealLatency, names...)
	defer fake.Close()
	cluster, err := startNATSCluster(ctx, dir)
	if err != nil {
		return r, err
	}
	defer cluster.kill()
	tok := benchToken{Name: "failover", Role: "admin", Secret: fmt.Sprintf("failover-%d", time.Now().UnixNano())}
	var procs []*kaskadeProc
	defer func() {
		for _, p := range procs {
			p.stop()
		}
	}()
	for _, name := range names {
		// The same configuration but for the fake's address.
		bc := benchConfig{Orgs: 1, PerOrg: b.o.FailoverPeople, PublicURL: "http://127.0.0.1:1", AccountSID: fake.fake.AccountSID(),
			APIURL: fake.apis[name].URL, Concurrency: b.o.FailoverConc, RatePerSecond: b.o.FailoverRate, Tokens: []benchToken{tok}}
		cfgPath := filepath.Join(dir, name+".yaml")
		if err := bc.write(cfgPath); err != nil {
			return r, err
		}
		p, err := b.startKaskade(ctx, dir, name, cfgPath, cluster, fake.fake.AuthToken())
		if err != nil {
			return r, err
		}
		procs = append(procs, p)
	}
	var leader, survivor *kaskadeProc
	if err := waitUntil(ctx, 60*time.Second, func() bool {
		a, b := procs[0].leads(), procs[1].leads()
		switch {
		case a && !b:
			leader, survivor = procs[0], procs[1]
		case b && !a:
			leader, survivor = procs[1], procs[0]
		default:
			return false
		}
		return true
	}); err != nil {
		return r, fmt.Errorf("no single leader: %w", err)
	}
	var recipients []string
	for i := range b.o.FailoverPeople {
		_, mobile := benchPerson(i)
		recipients = append(recipients, mobile)
	}

	// Declared on the follower, as an operator's load balancer might.
	var out struct {
		IncidentID string `json:"incident_id"`
	}
	declared := time.Now()
	if _, err := apiAt(ctx, survivor.url, tok.Secret, http.MethodPost, "/api/v1/incidents", map[string]any{"id": "bench-failover",
		"scenario": "fanout", "exercise": false, "reason": "kaskade bench failover", "declared_by": "bench"}, &out); err != nil {
		return r, err
	}
	if err := waitUntil(ctx, b.o.FailoverWait, func() bool { return fake.count() > 0 }); err != nil {
		return r, fmt.Errorf("the fan-out did not start: %w", err)
	}
	r.start = fake.first().Sub(declared)
	time.Sleep(time.Until(fake.first().Add(b.o.FailoverKillAfter)))
	base := survivor.metrics()
	node := -1
	if killNode {
		if node = cluster.nodeOf("kaskade " + leader.name); node < 0 {
			node = 0 // not found: the first node, as the brief allows
		}
	}
	killed := time.Now()
	if node >= 0 {
		cluster.killNode(node)
	}
	leader.kill()
	if node >= 0 {
		b.printf("  (killed %s and %s, which it was connected to)\n", leader.name, cluster.names[node])
	}

	var view activation.IncidentView
	settled := func() bool {
		if _, err := apiAt(ctx, survivor.url, tok.Secret, http.MethodGet, "/api/v1/incidents/"+out.IncidentID, nil, &view); err != nil {
			return false
		}
		c := view.Counts
		return c.Requested >= len(recipients) && c.Sent+c.Delivered+c.Failed+c.Unknown == c.Requested
	}
	r.settled = -1
	err = waitUntil(ctx, b.o.FailoverWait, func() bool {
		time.Sleep(200 * time.Millisecond)
		if r.settled < 0 && settled() {
			r.settled = time.Since(killed)
		}
		return fake.alerted() >= len(recipients) && r.settled >= 0
	})
	if err != nil {
		b.printf("  (not settled %s after the kill: %d of %d alerted, survivor's counts %+v)\n",
			b.o.FailoverWait, fake.alerted(), len(recipients), view.Counts)
	}
	end := survivor.metrics()
	const outcomes = "kaskade_notifications_total"
	r.found = int(metricValue(end, outcomes, `channel="sms",state="reconciled"`) - metricValue(base, outcomes, `channel="sms",state="reconciled"`))
	r.resent = int(metricValue(end, outcomes, `channel="sms",state="resent"`) - metricValue(base, outcomes, `channel="sms",state="resent"`))
	r.leftOpen = view.Counts.Unknown
	tallyAccepted(&r, fake.messages(), killed, recipients, survivor.name)
	stopped := time.Now()
	survivor.stop()
	if f, err := os.Open(survivor.log); err == nil {
		tallyLeadership(&r, f, killed, stopped)
		f.Close()
	}
	return r, nil
}

// kaskadeProc is one `kaskade serve` process of the failover phase.
type kaskadeProc struct {
	name, url, log string
	cmd            *exec.Cmd
	once           sync.Once
}

// startKaskade starts the kaskade binary on the cluster and waits for /readyz.
func (b *bench) startKaskade(ctx context.Context, dir, name, cfgPath string, c *natsCluster, twilioToken string) (*kaskadeProc, error) {
	ports, err := freePorts(1)
	if err != nil {
		return nil, err
	}
	addr := fmt.Sprintf("127.0.0.1:%d", ports[0])
	p := &kaskadeProc{name: name, url: "http://" + addr, log: filepath.Join(dir, name+".log")}
	logf, err := os.Create(p.log)
	if err != nil {
		return nil, err
	}
	defer logf.Close()
	p.cmd = exec.Command(b.kaskade, "serve", "--config", cfgPath, "--data", filepath.Join(dir, name), "--http", addr,
		"--public-url", p.url, "--nats-url", c.URL(), "--nats-nkey", c.nkeyFile, "--nats-ca", c.caFile,
		"--instance", name, "--log-format", "json")
	p.cmd.Env = append(os.Environ(), benchTokenEnv+"="+twilioToken)
	p.cmd.Stdout, p.cmd.Stderr = logf, logf
	p.cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL} // not left behind by a dying bench
	if err := p.cmd.Start(); err != nil {
		return nil, err
	}
	cl := &http.Client{Timeout: time.Second}
	if err := waitUntil(ctx, 90*time.Second, func() bool { return httpOK(cl, p.url+"/readyz") }); err != nil {
		p.stop()
		return nil, fmt.Errorf("%s not ready: %w (see %s)", name, err, p.log)
	}
	return p, nil
}

// metrics returns the instance's /metrics text ("" when unreachable).
func (p *kaskadeProc) metrics() string { return fetchMetrics(p.url) }

// fetchMetrics returns the /metrics text of the server at base ("" when
// unreachable).
func fetchMetrics(base string) string {
	cl := &http.Client{Timeout: 5 * time.Second}
	resp, err := cl.Get(base + "/metrics")
	if err != nil {
		return ""
	}
	defer resp.Body.Close()
	data, _ := io.ReadAll(resp.Body)
	return string(data)
}

func (p *kaskadeProc) leads() bool { return metricValue(p.metrics(), "kaskade_engine_leader", "") == 1 }

// kill is kill -9.
func (p *kaskadeProc) kill() {
	p.once.Do(func() {
		_ = p.cmd.Process.Signal(syscall.SIGKILL)
		_ = p.cmd.Wait()
	})
}

// stop is a graceful stop (SIGTERM), SIGKILL after 15 s.
func (p *kaskadeProc) stop() {
	p.once.Do(func() {
		_ = p.cmd.Process.Signal(syscall.SIGTERM)
		done := make(chan struct{})
		go func() { _ = p.cmd.Wait(); close(done) }()
		select {
		case <-done:
		case <-time.After(15 * time.Second):
			_ = p.cmd.Process.Signal(syscall.SIGKILL)
			<-done
		}
	})
}

// recordingFake is a fake Twilio that accepts a message at once and answers
// after a latency: a sender killed meanwhile leaves a message the provider
// has, whose answer it never saw — what reconciliation must find. Each
// instance gets its own address, so that every message names its sender.
type recordingFake struct {
	fake *twiliotest.Server
	apis map[string]*httptest.Server // by instance
	mu   sync.Mutex
	msgs []acceptedSMS
	seen map[string]bool
	n    atomic.Int64
}

func newRecordingFake(latency time.Duration, instances ...string) *recordingFake {
	f := &recordingFake{seen: map[string]bool{}, apis: map[string]*httptest.Server{}}
	var swallowed atomic.Int64
	f.fake = twiliotest.NewServer(twiliotest.Options{
		Client: &http.Client{Transport: &callbackTransport{base: http.DefaultTransport, swallow: true, n: &swallowed}}})
	for _, name := range instances {
		f.apis[name] = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { f.serve(w, r, name, latency) }))
	}
	return f
}

// serve hands the request to the fake, records an accepted message, and
// answers after the latency whether or not the caller still waits.
func (f *recordingFake) serve(w http.ResponseWriter, r *http.Request, by string, latency time.Duration) {
	var to, body string
	if r.Method == http.MethodPost && strings.HasSuffix(r.URL.Path, "/Messages.json") {
		data, _ := io.ReadAll(io.LimitReader(r.Body, 1<<20))
		r.Body.Close()
		r.Body = io.NopCloser(bytes.NewReader(data))
		if form, err := url.ParseQuery(string(data)); err == nil {
			to, body = form.Get("To"), form.Get("Body")
		}
	}
	rec := httptest.NewRecorder()
	f.fake.ServeHTTP(rec, r)
	if to != "" && rec.Code == http.StatusCreated {
		f.mu.Lock()
		a := acceptedSMS{at: time.Now(), to: to, alert: isAlert(body), by: by}
		f.msgs = append(f.msgs, a)
		if a.alert {
			f.seen[to] = true
		}
		f.mu.Unlock()
		f.n.Add(1)
	}
	time.Sleep(latency)
	for k, v := range rec.Header() {
		w.Header()[k] = v
	}
	w.WriteHeader(rec.Code)
	_, _ = w.Write(rec.Body.Bytes())
}

func (f *recordingFake) Close() {
	for _, api := range f.apis {
		api.Close()
	}
	f.fake.Close()
}

func (f *recordingFake) count() int64 { return f.n.Load() }

// first is when the first message was accepted.
func (f *recordingFake) first() time.Time {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.msgs[0].at
}

// alerted is how many people got an alert.
func (f *recordingFake) alerted() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return len(f.seen)
}

func (f *recordingFake) messages() []acceptedSMS {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]acceptedSMS(nil), f.msgs...)
}
