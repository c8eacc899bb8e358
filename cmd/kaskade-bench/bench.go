package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"math"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"runtime/pprof"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	twclient "github.com/twilio/twilio-go/client"
	api "github.com/twilio/twilio-go/rest/api/v2010"

	"github.com/kaskade-bcm/kaskade/activation"
	"github.com/kaskade-bcm/kaskade/activation/board"
	"github.com/kaskade-bcm/kaskade/notifiers/twilio/twiliotest"
)

// benchOptions are the flags of `kaskade bench`.
type benchOptions struct {
	Recipients    int
	PerOrg        int
	Concurrency   int
	RealRecip     int
	RealConc      int
	RealLatency   time.Duration
	FirstRuns     int
	ReplyRate     float64
	ReplyDuration time.Duration
	Dir           string
	ProfileDir    string
	Phases        string
	Callbacks     bool
	MemoryLimit   string // GOMEMLIMIT of an extra restart ("" = none)
}

func (o benchOptions) phase(name string) bool {
	return o.Phases == "all" || slices.Contains(strings.Split(o.Phases, ","), name)
}

// benchCmd is `kaskade bench`: it measures the targets of the design brief
// on loopback, in one run, and prints a table.
func benchCmd(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	if len(args) > 0 && args[0] == "load-replies" {
		return loadRepliesCmd(ctx, args[1:], stdout, stderr)
	}
	fs := flag.NewFlagSet("bench", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var o benchOptions
	quick := fs.Bool("quick", false, "small sizes for a CI smoke run (< 60 s)")
	fs.IntVar(&o.Recipients, "recipients", 100_000, "fan-out recipients (all in the first wave)")
	fs.IntVar(&o.PerOrg, "per-org", 100, "people per organisation")
	fs.IntVar(&o.Concurrency, "concurrency", 50, "Twilio sender concurrency for the fan-out (and the bare loops)")
	fs.IntVar(&o.RealRecip, "realistic-recipients", 10_000, "recipients of the realistic-provider run")
	fs.IntVar(&o.RealConc, "realistic-concurrency", 100, "provider concurrency limit C (and sender concurrency) of the realistic run")
	fs.DurationVar(&o.RealLatency, "realistic-latency", 200*time.Millisecond, "provider answer latency of the realistic run")
	fs.IntVar(&o.FirstRuns, "first-sms-runs", 50, "declarations for the time-to-first-SMS figure")
	fs.Float64Var(&o.ReplyRate, "replies-per-second", 1000, "inbound SMS replies per second")
	fs.DurationVar(&o.ReplyDuration, "duration", 60*time.Second, "how long replies are sent")
	fs.StringVar(&o.Dir, "dir", "", "working directory (default: a temporary directory, removed afterwards)")
	fs.StringVar(&o.ProfileDir, "profile-dir", "", "write CPU and heap profiles of the hot phases here")
	fs.StringVar(&o.MemoryLimit, "restart-memory-limit", "auto", "also restart with this GOMEMLIMIT (auto: 2 KiB per recipient less 32 MiB for the mapped binary and a margin; off: don't)")
	fs.StringVar(&o.Phases, "phases", "all", "comma-separated: baseline,fanout,first,replies,restart,realistic")
	fs.BoolVar(&o.Callbacks, "callbacks", false, "let the fake post status callbacks to Kaskade during the run (default: swallowed, counted)")
	if err := fs.Parse(args); err != nil {
		return usageError{err.Error()}
	}
	if *quick {
		o.Recipients, o.RealRecip, o.FirstRuns = 2_000, 1_000, 10
		o.ReplyRate, o.ReplyDuration = 200, 5*time.Second
	}
	switch o.MemoryLimit {
	case "off":
		o.MemoryLimit = ""
	case "auto":
		// The target's budget less what GOMEMLIMIT does not see: the
		// binary's code mapped from its file (~26 MiB resident) and a margin.
		o.MemoryLimit = fmt.Sprintf("%dMiB", max(64, o.Recipients*2/1024-32))
	}
	if o.PerOrg <= 0 || o.Recipients < o.PerOrg {
		return usageError{"--recipients must be at least --per-org"}
	}
	if o.Dir == "" {
		d, err := os.MkdirTemp("", "kaskade-bench-")
		if err != nil {
			return err
		}
		defer os.RemoveAll(d)
		o.Dir = d
	} else if err := os.MkdirAll(o.Dir, 0o700); err != nil {
		return err
	}
	if o.ProfileDir != "" {
		if err := os.MkdirAll(o.ProfileDir, 0o755); err != nil {
			return err
		}
	}
	b := &bench{o: o, out: stdout, log: slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: slog.LevelError}))}
	return b.run(ctx)
}

type bench struct {
	o   benchOptions
	out io.Writer
	log *slog.Logger
	res []benchResult

	fake    *twiliotest.Server
	fakeAPI *httptest.Server
	// onMessage is called for every message the fake accepts.
	onMessage   atomic.Pointer[func(twiliotest.Message)]
	cbSwallowed atomic.Int64
	bareCPU     float64 // µs of CPU per request of the bare twilio-go loop
}

// perOp returns µs per operation.
func perOp(d time.Duration, n int) float64 {
	return float64(d) / float64(time.Microsecond) / float64(n)
}

type benchResult struct {
	what, value, target, verdict string
}

func (b *bench) record(what, value, target string, ok *bool) {
	v := ""
	if ok != nil {
		v = "✗ missed"
		if *ok {
			v = "✓"
		}
	}
	b.res = append(b.res, benchResult{what, value, target, v})
	fmt.Fprintf(b.out, "  %-58s %-28s %s %s\n", what, value, target, v)
}

func ptr(v bool) *bool { return &v }

func (b *bench) printf(format string, args ...any) { fmt.Fprintf(b.out, format, args...) }

func (b *bench) run(ctx context.Context) error {
	b.printf("kaskade bench: %d recipients (%d per organisation), sender concurrency %d, GOMAXPROCS %d, %s\n",
		b.o.Recipients, b.o.PerOrg, b.o.Concurrency, runtime.GOMAXPROCS(0), runtime.Version())
	// Status callbacks go back to Kaskade through this client; by default
	// they are swallowed, so the fan-out measures the hand-off alone.
	cbTransport := &callbackTransport{base: http.DefaultTransport, swallow: !b.o.Callbacks, n: &b.cbSwallowed}
	b.fake = twiliotest.NewServer(twiliotest.Options{
		Client: &http.Client{Transport: cbTransport, Timeout: 10 * time.Second},
		OnMessage: func(m twiliotest.Message) {
			if f := b.onMessage.Load(); f != nil {
				(*f)(m)
			}
		},
	})
	b.fakeAPI = httptest.NewServer(b.fake)
	defer func() { b.fakeAPI.Close(); b.fake.Close() }()
	os.Setenv(benchTokenEnv, b.fake.AuthToken())

	var bareTwilio float64
	if b.o.phase("baseline") {
		n := b.o.Recipients
		c0 := cpuTime()
		rate := b.bareHTTP(ctx, n)
		c1 := cpuTime()
		b.record("bare net/http loop → fake (requests/s)", fmt.Sprintf("%.0f/s, %.0f µs CPU/req", rate, perOp(c1-c0, n)), "reference", nil)
		bareTwilio = b.bareTwilio(ctx, n)
		b.bareCPU = perOp(cpuTime()-c1, n)
		b.record("bare twilio-go loop → fake (requests/s)", fmt.Sprintf("%.0f/s, %.0f µs CPU/req", bareTwilio, b.bareCPU), "reference", nil)
	}
	var s *server
	cfgPath := filepath.Join(b.o.Dir, "bench.yaml")
	dataDir := filepath.Join(b.o.Dir, "data")
	needServer := b.o.phase("fanout") || b.o.phase("first") || b.o.phase("replies") || b.o.phase("restart")
	if needServer {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			return err
		}
		bc := benchConfig{Orgs: b.o.Recipients / b.o.PerOrg, PerOrg: b.o.PerOrg, PublicURL: "http://" + ln.Addr().String(),
			AccountSID: b.fake.AccountSID(), APIURL: b.fakeAPI.URL, Concurrency: b.o.Concurrency}
		if err := bc.write(cfgPath); err != nil {
			return err
		}
		start := time.Now()
		// No idle snapshot: whether one happens between the replies and the
		// crash depends on timing; without it the crash leaves the tail since
		// the last periodic snapshot, as a crash under load would.
		s, err = startServer(ctx, serveOptions{ConfigPath: cfgPath, DataDir: dataDir, Listener: ln, NATSListen: "off",
			Instance: "bench", Logger: b.log, SnapshotIdle: math.MaxInt})
		if err != nil {
			return err
		}
		defer func() {
			if s != nil {
				_ = s.Close()
			}
		}()
		if err := waitUntil(ctx, 60*time.Second, func() bool { return s.Engine.Ready() && s.Engine.Leader() }); err != nil {
			return fmt.Errorf("engine did not start: %w", err)
		}
		b.printf("  (server with %d people started in %s)\n", len(s.Config.People), time.Since(start).Round(time.Millisecond))
	}
	fanoutID := ""
	if b.o.phase("fanout") {
		id, err := b.fanout(ctx, s, bareTwilio)
		if err != nil {
			return err
		}
		fanoutID = id
	}
	if b.o.phase("first") {
		if err := b.firstSMS(ctx, s); err != nil {
			return err
		}
	}
	if b.o.phase("replies") {
		if fanoutID == "" {
			b.printf("  replies: needs the fanout phase\n")
		} else if err := b.replies(ctx, s, fanoutID); err != nil {
			return err
		}
	}
	if s != nil {
		hwm := procStatus("self", "VmHWM")
		b.record(fmt.Sprintf("peak RSS of the whole bench process / recipient (%d)", b.o.Recipients),
			fmt.Sprintf("%s (%.0f MiB)", perRecipient(hwm, b.o.Recipients), float64(hwm)/1024),
			"upper bound (fake, loops, in-process server)", nil)
		// Stopped like kill -9 as far as the engine can tell: no final
		// snapshot, so the first restart finds the newest periodic snapshot
		// and a tail of the log to replay.
		s.crash()
		s = nil
	}
	if b.o.phase("restart") && needServer {
		// Each variant starts from the same crashed data directory; the
		// first restart's clean stop leaves the "clean" one behind.
		crashed := dataDir + ".crashed"
		if err := os.RemoveAll(crashed); err != nil { // from an earlier run with the same --dir
			return err
		}
		if err := os.CopyFS(crashed, os.DirFS(dataDir)); err != nil {
			return fmt.Errorf("restart: keep the crashed data: %w", err)
		}
		limits := []string{""}
		if b.o.MemoryLimit != "" {
			limits = append(limits, b.o.MemoryLimit)
		}
		for _, label := range []string{"after a crash", "after a clean stop"} {
			for i, limit := range limits {
				dir := dataDir
				if label == "after a crash" && i > 0 {
					// A copy, so that the crashed data stays as it was
					// (--dir keeps it for a look at the crash restart).
					dir = crashed + "-" + strconv.Itoa(i)
					if err := os.RemoveAll(dir); err != nil {
						return err
					}
					if err := os.CopyFS(dir, os.DirFS(crashed)); err != nil {
						return fmt.Errorf("restart: copy the crashed data: %w", err)
					}
				}
				if err := b.restart(ctx, cfgPath, dir, label, limit); err != nil {
					return err
				}
			}
		}
	}
	if b.o.phase("realistic") {
		if err := b.realistic(ctx); err != nil {
			return err
		}
	}
	if b.o.Callbacks {
		b.printf("  status callbacks posted to Kaskade: %d\n", b.fake.Stats().Callbacks)
	} else {
		b.printf("  status callbacks swallowed (not posted): %d\n", b.cbSwallowed.Load())
	}
	return nil
}

// callbackTransport answers the fake's status callbacks with 204 without
// posting them (counted), unless swallow is false.
type callbackTransport struct {
	base    http.RoundTripper
	swallow bool
	n       *atomic.Int64
}

func (t *callbackTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	if t.swallow && strings.HasSuffix(r.URL.Path, "/webhooks/twilio/status") {
		if r.Body != nil {
			r.Body.Close()
		}
		t.n.Add(1)
		return &http.Response{StatusCode: http.StatusNoContent, Body: http.NoBody, Header: http.Header{}, Request: r}, nil
	}
	return t.base.RoundTrip(r)
}

func waitUntil(ctx context.Context, d time.Duration, cond func() bool) error {
	deadline := time.Now().Add(d)
	for !cond() {
		if time.Now().After(deadline) {
			return errors.New("timed out")
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(time.Millisecond):
		}
	}
	return nil
}

// loopTransport is a transport sized for the bench's concurrency.
func loopTransport(c int) *http.Transport {
	t := http.DefaultTransport.(*http.Transport).Clone()
	t.MaxIdleConns = max(100, 2*c)
	t.MaxIdleConnsPerHost = max(2, c)
	return t
}

// runLoop runs n calls of f with c workers and returns calls per second.
func runLoop(ctx context.Context, n, c int, f func(i int) error) (float64, int) {
	var next, errs atomic.Int64
	var wg sync.WaitGroup
	start := time.Now()
	for range c {
		wg.Go(func() {
			for ctx.Err() == nil {
				i := int(next.Add(1)) - 1
				if i >= n {
					return
				}
				if err := f(i); err != nil {
					errs.Add(1)
				}
			}
		})
	}
	wg.Wait()
	return float64(n) / time.Since(start).Seconds(), int(errs.Load())
}

func (b *bench) statusCallbackBase() string { return "http://127.0.0.1:1/webhooks/twilio/status" }

// bareHTTP posts Create Message requests with net/http alone.
func (b *bench) bareHTTP(ctx context.Context, n int) float64 {
	cl := &http.Client{Transport: loopTransport(b.o.Concurrency), Timeout: 10 * time.Second}
	target := b.fakeAPI.URL + "/2010-04-01/Accounts/" + b.fake.AccountSID() + "/Messages.json"
	rate, errs := runLoop(ctx, n, b.o.Concurrency, func(i int) error {
		_, to := benchPerson(i)
		form := url.Values{"To": {to}, "From": {benchFrom}, "Body": {"ÜBUNG Krise O0001: Massenalarm. Stab bilden."},
			"ValidityPeriod": {"900"}, "StatusCallback": {b.statusCallbackBase() + "?n=bare-" + strconv.Itoa(i)}}
		req, _ := http.NewRequestWithContext(ctx, http.MethodPost, target, strings.NewReader(form.Encode()))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		req.SetBasicAuth(b.fake.AccountSID(), b.fake.AuthToken())
		resp, err := cl.Do(req)
		if err != nil {
			return err
		}
		_, _ = io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		if resp.StatusCode != http.StatusCreated {
			return fmt.Errorf("status %d", resp.StatusCode)
		}
		return nil
	})
	if errs > 0 {
		b.printf("  bare net/http loop: %d errors\n", errs)
	}
	return rate
}

// rewrite points twilio-go's fixed base URL at the fake.
type rewrite struct {
	base   http.RoundTripper
	target *url.URL
}

func (t rewrite) RoundTrip(r *http.Request) (*http.Response, error) {
	r2 := r.Clone(r.Context())
	r2.URL.Scheme, r2.URL.Host, r2.Host = t.target.Scheme, t.target.Host, ""
	return t.base.RoundTrip(r2)
}

// bareTwilio calls twilio-go's CreateMessage in a loop with the Sender's
// concurrency: the reference of the fan-out target.
func (b *bench) bareTwilio(ctx context.Context, n int) float64 {
	target, _ := url.Parse(b.fakeAPI.URL)
	cl := &twclient.Client{Credentials: twclient.NewCredentials(b.fake.AccountSID(), b.fake.AuthToken()),
		HTTPClient: &http.Client{Transport: rewrite{loopTransport(b.o.Concurrency), target}, Timeout: 10 * time.Second}}
	cl.SetAccountSid(b.fake.AccountSID())
	svc := api.NewApiServiceWithClient(cl)
	rate, errs := runLoop(ctx, n, b.o.Concurrency, func(i int) error {
		_, to := benchPerson(i)
		p := (&api.CreateMessageParams{}).SetTo(to).SetFrom(benchFrom).SetBody("ÜBUNG Krise O0001: Massenalarm. Stab bilden.").
			SetValidityPeriod(900).SetStatusCallback(b.statusCallbackBase() + "?n=bare-" + strconv.Itoa(i))
		_, err := svc.CreateMessage(p)
		return err
	})
	if errs > 0 {
		b.printf("  bare twilio-go loop: %d errors\n", errs)
	}
	return rate
}

// apiCall calls the server's HTTP API with the admin token.
func apiCall(ctx context.Context, s *server, method, path string, body any, out any) (int, error) {
	var rd io.Reader
	if body != nil {
		data, _ := json.Marshal(body)
		rd = bytes.NewReader(data)
	}
	req, err := http.NewRequestWithContext(ctx, method, s.URL+path, rd)
	if err != nil {
		return 0, err
	}
	req.Header.Set("Authorization", "Bearer "+s.tokenHex)
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return 0, err
	}
	defer resp.Body.Close()
	data, _ := io.ReadAll(resp.Body)
	if resp.StatusCode >= 300 {
		return resp.StatusCode, fmt.Errorf("%s %s: %d %s", method, path, resp.StatusCode, bytes.TrimSpace(data))
	}
	if out != nil {
		return resp.StatusCode, json.Unmarshal(data, out)
	}
	return resp.StatusCode, nil
}

func declare(ctx context.Context, s *server, scenario, id string) (string, error) {
	var out struct {
		IncidentID string `json:"incident_id"`
	}
	_, err := apiCall(ctx, s, http.MethodPost, "/api/v1/incidents", map[string]any{
		"id": id, "scenario": scenario, "exercise": true, "reason": "kaskade bench", "declared_by": "bench",
	}, &out)
	return out.IncidentID, err
}

// profile starts a CPU profile to dir/name.cpu.pprof; stop writes it and a heap profile.
func (b *bench) profile(name string) (stop func()) {
	if b.o.ProfileDir == "" {
		return func() {}
	}
	f, err := os.Create(filepath.Join(b.o.ProfileDir, name+".cpu.pprof"))
	if err != nil {
		b.printf("  profile: %v\n", err)
		return func() {}
	}
	if err := pprof.StartCPUProfile(f); err != nil {
		f.Close()
		b.printf("  profile: %v\n", err)
		return func() {}
	}
	return func() {
		pprof.StopCPUProfile()
		f.Close()
		if h, err := os.Create(filepath.Join(b.o.ProfileDir, name+".heap.pprof")); err == nil {
			_ = pprof.Lookup("heap").WriteTo(h, 0)
			h.Close()
		}
	}
}

// fanout declares the mass alert and times the first wave into the fake.
func (b *bench) fanout(ctx context.Context, s *server, bareTwilio float64) (string, error) {
	n := b.o.Recipients
	var got atomic.Int64
	var first, last atomic.Int64
	done := make(chan struct{})
	hook := func(m twiliotest.Message) {
		if !strings.HasPrefix(m.To, "+49151") {
			return
		}
		t := time.Now().UnixNano()
		first.CompareAndSwap(0, t)
		last.Store(t)
		if got.Add(1) == int64(n) {
			close(done)
		}
	}
	b.onMessage.Store(&hook)
	defer b.onMessage.Store(nil)
	stop := b.profile("fanout")
	c0 := cpuTime()
	start := time.Now()
	id, err := declare(ctx, s, "fanout", "bench-fanout")
	if err != nil {
		stop()
		return "", err
	}
	declared := time.Since(start)
	select {
	case <-done:
	case <-time.After(max(60*time.Second, time.Duration(n)*time.Millisecond)):
		stop()
		return "", fmt.Errorf("fan-out: only %d of %d SMS arrived", got.Load(), n)
	case <-ctx.Done():
		stop()
		return "", ctx.Err()
	}
	cpu := perOp(cpuTime()-c0, n)
	total := time.Duration(last.Load() - start.UnixNano())
	b.printf("  (first SMS of the fan-out after %s)\n", time.Duration(first.Load()-start.UnixNano()).Round(time.Millisecond))
	stop()
	rate := float64(n) / total.Seconds()
	b.record(fmt.Sprintf("fan-out %d: declaration → last first-wave SMS accepted", n), total.Round(time.Millisecond).String(),
		fmt.Sprintf("(declare answered after %s)", declared.Round(time.Millisecond)), nil)
	if bareTwilio > 0 {
		ratio := rate / bareTwilio
		b.record("fan-out rate through the durable pipeline", fmt.Sprintf("%.0f/s = %.2f × bare twilio-go", rate, ratio), "≥ 0.80 × bare twilio-go", ptr(ratio >= 0.8))
		b.record("  … CPU per SMS: pipeline vs bare twilio-go (ratio)", fmt.Sprintf("%.0f µs vs %.0f µs (%.2f)", cpu, b.bareCPU, b.bareCPU/cpu),
			"(contention-independent view)", nil)
	} else {
		b.record("fan-out rate through the durable pipeline", fmt.Sprintf("%.0f/s", rate), "", nil)
	}
	return id, nil
}

// firstSMS times declaration → first SMS request at the fake.
func (b *bench) firstSMS(ctx context.Context, s *server) error {
	arrived := make(chan time.Time, 16)
	hook := func(m twiliotest.Message) {
		if m.To == benchTTNumber {
			arrived <- time.Now()
		}
	}
	b.onMessage.Store(&hook)
	defer b.onMessage.Store(nil)
	var lat []time.Duration
	for i := range b.o.FirstRuns {
		start := time.Now()
		if _, err := declare(ctx, s, "first", fmt.Sprintf("bench-first-%d-%d", start.UnixNano(), i)); err != nil {
			return err
		}
		select {
		case t := <-arrived:
			lat = append(lat, t.Sub(start))
		case <-time.After(10 * time.Second):
			return errors.New("first SMS: no SMS within 10 s")
		}
	}
	slices.Sort(lat)
	p50, p99 := pct(lat, 50), pct(lat, 99)
	b.record(fmt.Sprintf("declaration → first SMS request (%d runs) p50 / p99", len(lat)),
		fmt.Sprintf("%s / %s", ms(p50), ms(p99)), "< 100 ms", ptr(p99 < 100*time.Millisecond))
	return nil
}

func pct(s []time.Duration, p float64) time.Duration {
	if len(s) == 0 {
		return 0
	}
	i := int(float64(len(s)-1) * p / 100)
	return s[i]
}

func ms(d time.Duration) string { return fmt.Sprintf("%.1f ms", float64(d)/float64(time.Millisecond)) }

// replies runs the load generator as a separate process and measures the
// latency from each webhook request to the response's change, as delivered
// by the engine (Subscribe) and by the board stream (SSE).
func (b *bench) replies(ctx context.Context, s *server, incident string) error {
	count := min(int(b.o.ReplyRate*b.o.ReplyDuration.Seconds()), b.o.Recipients)
	numbers := filepath.Join(b.o.Dir, "numbers.txt")
	var nb strings.Builder
	// Spread the senders over the organisations, so readiness changes everywhere.
	orgs := b.o.Recipients / b.o.PerOrg
	for k := range count {
		i := (k%orgs)*b.o.PerOrg + (k/orgs)%b.o.PerOrg
		_, m := benchPerson(i)
		nb.WriteString(m + "\n")
	}
	if err := os.WriteFile(numbers, []byte(nb.String()), 0o600); err != nil {
		return err
	}
	var mu sync.Mutex
	engineAt := map[string]int64{} // person → first change (Unix ns)
	sseAt := map[string]int64{}
	var readinessChanges, sseEvents atomic.Int64
	note := func(m map[string]int64, ch activation.Change, t int64) {
		if ch.Kind == "timeline" && ch.Timeline != nil && ch.Timeline.Kind == activation.KindResponse && ch.IncidentID == incident {
			mu.Lock()
			if _, ok := m[ch.Timeline.Person]; !ok {
				m[ch.Timeline.Person] = t
			}
			mu.Unlock()
		}
	}
	changes, cancel := s.Engine.Subscribe()
	defer cancel()
	go func() {
		for ch := range changes {
			if ch.Kind == "readiness" {
				readinessChanges.Add(1)
			}
			note(engineAt, ch, time.Now().UnixNano())
		}
	}()
	sseCtx, stopSSE := context.WithCancel(ctx)
	defer stopSSE()
	sseReady := make(chan error, 1)
	go func() {
		req, _ := http.NewRequestWithContext(sseCtx, http.MethodGet, s.URL+"/api/v1/stream", nil)
		req.Header.Set("Authorization", "Bearer "+s.tokenHex)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			sseReady <- err
			return
		}
		defer resp.Body.Close()
		if resp.StatusCode != 200 {
			sseReady <- fmt.Errorf("stream: %d", resp.StatusCode)
			return
		}
		sc := bufio.NewScanner(resp.Body)
		sc.Buffer(make([]byte, 1<<20), 256<<20)
		event := ""
		for sc.Scan() {
			line := sc.Bytes()
			switch {
			case bytes.HasPrefix(line, []byte("event: ")):
				event = string(line[7:])
			case bytes.HasPrefix(line, []byte("data: ")) && event == "snapshot":
				sseReady <- nil
			case bytes.HasPrefix(line, []byte("data: ")) && event == "change":
				// Time of arrival; only timeline changes are decoded, so the
				// large incident views do not hold up this reader.
				t := time.Now().UnixNano()
				sseEvents.Add(1)
				head := line[:min(len(line), 96)]
				if !bytes.Contains(head, []byte(`"kind":"timeline"`)) {
					continue
				}
				var ch activation.Change
				if json.Unmarshal(line[6:], &ch) == nil {
					note(sseAt, ch, t)
				}
			}
		}
	}()
	select {
	case err := <-sseReady:
		if err != nil {
			return err
		}
	case <-time.After(30 * time.Second):
		return errors.New("board stream: no snapshot")
	}

	exe, err := os.Executable()
	if err != nil {
		return err
	}
	outFile := filepath.Join(b.o.Dir, "replies.txt")
	cmd := exec.CommandContext(ctx, exe, "bench", "load-replies", "--url", s.URL+"/webhooks/twilio/sms",
		"--numbers", numbers, "--out", outFile, "--rate", strconv.FormatFloat(b.o.ReplyRate, 'f', -1, 64),
		"--duration", b.o.ReplyDuration.String(), "--account", b.fake.AccountSID())
	cmd.Env = append(os.Environ(), benchTokenEnv+"="+b.fake.AuthToken())
	cmd.Stdout, cmd.Stderr = b.out, b.out
	stop := b.profile("replies")
	err = cmd.Run()
	stop()
	if err != nil {
		return fmt.Errorf("load-replies: %w", err)
	}
	time.Sleep(time.Second) // stragglers on the stream
	data, err := os.ReadFile(outFile)
	if err != nil {
		return err
	}
	var webhook, eng, sse []time.Duration
	var httpErrs, missingEng, missingSSE int
	mu.Lock()
	for line := range strings.Lines(string(data)) {
		f := strings.Fields(line)
		if len(f) != 4 {
			continue
		}
		startNs, _ := strconv.ParseInt(f[1], 10, 64)
		endNs, _ := strconv.ParseInt(f[2], 10, 64)
		if f[3] != "200" {
			httpErrs++
			continue
		}
		webhook = append(webhook, time.Duration(endNs-startNs))
		person := personByMobile(f[0])
		if t, ok := engineAt[person]; ok {
			eng = append(eng, time.Duration(t-startNs))
		} else {
			missingEng++
		}
		if t, ok := sseAt[person]; ok {
			sse = append(sse, time.Duration(t-startNs))
		} else {
			missingSSE++
		}
	}
	mu.Unlock()
	for _, s := range [][]time.Duration{webhook, eng, sse} {
		slices.Sort(s)
	}
	line := func(s []time.Duration) string {
		if len(s) == 0 {
			return "–"
		}
		return fmt.Sprintf("%s / %s / %s", ms(pct(s, 50)), ms(pct(s, 99)), ms(s[len(s)-1]))
	}
	label := fmt.Sprintf("%.0f/s for %s", b.o.ReplyRate, b.o.ReplyDuration)
	b.record("reply webhook answered (TwiML), p50 / p99 / max", line(webhook), label, nil)
	b.record("reply → engine change (Subscribe), p50 / p99 / max", line(eng), "p99 < 25 ms", ptr(len(eng) > 0 && pct(eng, 99) < 25*time.Millisecond))
	b.record(fmt.Sprintf("reply → board stream (SSE, %s window), p50 / p99 / max", board.DefaultCoalesceWindow), line(sse), "p99 < 25 ms", ptr(len(sse) > 0 && pct(sse, 99) < 25*time.Millisecond))
	errs := httpErrs + missingEng
	b.record(fmt.Sprintf("reply errors (of %d): HTTP / no engine change / not on stream", len(strings.Split(strings.TrimSpace(string(data)), "\n"))),
		fmt.Sprintf("%d / %d / %d", httpErrs, missingEng, missingSSE), "0", ptr(errs == 0 && missingSSE == 0))
	b.printf("  (readiness changes seen by the engine subscriber: %d; SSE change events: %d)\n", readinessChanges.Load(), sseEvents.Load())
	return nil
}

func personByMobile(m string) string {
	i, err := strconv.Atoi(strings.TrimPrefix(m, "+49151"))
	if err != nil {
		return ""
	}
	id, _ := benchPerson(i)
	return id
}

// cpuTime is the CPU time (user + system) this process has used so far.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// procStatus reads a kB field of /proc/<pid>/status.
func procStatus(pid, field string) int64 {
	data, err := os.ReadFile("/proc/" + pid + "/status")
	if err != nil {
		return 0
	}
	for line := range strings.Lines(string(data)) {
		if v, ok := strings.CutPrefix(line, field+":"); ok {
			n, _ := strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(v), " kB"), 10, 64)
			return n
		}
	}
	return 0
}

func perRecipient(kb int64, n int) string {
	return fmt.Sprintf("%.2f KiB", float64(kb)/float64(n))
}

// restartSummary reads what the restarted server logged about its snapshot
// and its replay.
func restartSummary(logPath string) string {
	data, err := os.ReadFile(logPath)
	if err != nil {
		return err.Error()
	}
	var parts []string
	for line := range strings.Lines(string(data)) {
		var rec struct {
			Msg    string  `json:"msg"`
			Events uint64  `json:"events"`
			Took   float64 `json:"took"`
		}
		if json.Unmarshal([]byte(line), &rec) != nil {
			continue
		}
		switch rec.Msg {
		case "snapshot restored", "event log replayed":
			parts = append(parts, fmt.Sprintf("%s at event %d in %s", rec.Msg, rec.Events, time.Duration(rec.Took).Round(time.Millisecond)))
		}
	}
	if len(parts) == 0 {
		return "no snapshot or replay logged"
	}
	return strings.Join(parts, "; ")
}

// restart times `kaskade serve` on the data directory until /readyz, as a
// subprocess (with GOMEMLIMIT=memLimit unless empty), and reports its peak RSS.
func (b *bench) restart(ctx context.Context, cfgPath, dataDir, label, memLimit string) error {
	profile := b.o.ProfileDir != "" && label == "after a clean stop" && memLimit == ""
	if memLimit != "" {
		label += ", GOMEMLIMIT=" + memLimit
	}
	exe, err := os.Executable()
	if err != nil {
		return err
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return err
	}
	addr := ln.Addr().String()
	ln.Close()
	logf, err := os.Create(filepath.Join(b.o.Dir, "restart-"+strings.ReplaceAll(label, " ", "-")+".log"))
	if err != nil {
		return err
	}
	defer logf.Close()
	cmd := exec.CommandContext(ctx, exe, "serve", "--config", cfgPath, "--data", dataDir, "--http", addr,
		"--nats-listen", "off", "--instance", "bench-restart", "--log-format", "json")
	cmd.Env = append(os.Environ(), benchTokenEnv+"="+b.fake.AuthToken())
	if memLimit != "" {
		cmd.Env = append(cmd.Env, "GOMEMLIMIT="+memLimit)
	}
	cmd.Stdout, cmd.Stderr = logf, logf
	start := time.Now()
	if err := cmd.Start(); err != nil {
		return err
	}
	defer func() {
		_ = cmd.Process.Signal(syscall.SIGTERM)
		_ = cmd.Wait()
	}()
	cl := &http.Client{Timeout: time.Second}
	err = waitUntil(ctx, 120*time.Second, func() bool {
		resp, err := cl.Get("http://" + addr + "/readyz")
		if err != nil {
			return false
		}
		resp.Body.Close()
		return resp.StatusCode == http.StatusOK
	})
	took := time.Since(start)
	if err != nil {
		return fmt.Errorf("restart: not ready: %w (see %s)", err, logf.Name())
	}
	pid := strconv.Itoa(cmd.Process.Pid)
	b.record(fmt.Sprintf("restart %s, %d-recipient activation → /readyz 200", label, b.o.Recipients), took.Round(time.Millisecond).String(), "< 2 s", ptr(took < 2*time.Second))
	time.Sleep(1500 * time.Millisecond) // let the dispatcher, the board and an idle snapshot settle
	hwm := procStatus(pid, "VmHWM")
	b.record(fmt.Sprintf("… peak RSS / tracked recipient (%d)", b.o.Recipients),
		fmt.Sprintf("%s (%.0f MiB)", perRecipient(hwm, b.o.Recipients), float64(hwm)/1024), "≤ 2 KiB", ptr(float64(hwm)/float64(b.o.Recipients) <= 2))
	_ = cmd.Process.Signal(syscall.SIGTERM)
	_ = cmd.Wait()
	b.printf("  (%s: %s)\n", label, restartSummary(logf.Name()))
	if profile {
		// The same restart in-process, profiled: where the seconds go.
		stop := b.profile("restart")
		start := time.Now()
		s, err := startServer(ctx, serveOptions{ConfigPath: cfgPath, DataDir: dataDir, HTTPAddr: "127.0.0.1:0", NATSListen: "off",
			Instance: "bench-restart-profile", Logger: b.log})
		if err != nil {
			stop()
			return err
		}
		loaded := time.Since(start)
		err = waitUntil(ctx, 120*time.Second, s.Engine.Ready)
		stop()
		b.printf("  (profiled in-process restart: configuration and NATS %s, replay until ready %s)\n",
			loaded.Round(time.Millisecond), (time.Since(start) - loaded).Round(time.Millisecond))
		_ = s.Close()
		if err != nil {
			return err
		}
	}
	return nil
}

// realistic fans out against a fake that answers after RealLatency with a
// concurrency limit, through a server whose sender uses that concurrency.
func (b *bench) realistic(ctx context.Context) error {
	c, n := b.o.RealConc, b.o.RealRecip
	var got atomic.Int64
	var first, last atomic.Int64
	var tmu sync.Mutex
	times := make([]int64, 0, n)
	done := make(chan struct{})
	fake := twiliotest.NewServer(twiliotest.Options{Latency: b.o.RealLatency, ConcurrencyLimit: c,
		Client: &http.Client{Transport: &callbackTransport{base: http.DefaultTransport, swallow: !b.o.Callbacks, n: &b.cbSwallowed}},
		OnMessage: func(m twiliotest.Message) {
			t := time.Now().UnixNano()
			first.CompareAndSwap(0, t)
			last.Store(t)
			tmu.Lock()
			times = append(times, t)
			tmu.Unlock()
			if got.Add(1) == int64(n) {
				close(done)
			}
		}})
	fapi := httptest.NewServer(fake)
	defer func() { fapi.Close(); fake.Close() }()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return err
	}
	dir := filepath.Join(b.o.Dir, "realistic")
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return err
	}
	cfgPath := filepath.Join(dir, "bench.yaml")
	bc := benchConfig{Orgs: n / b.o.PerOrg, PerOrg: b.o.PerOrg, PublicURL: "http://" + ln.Addr().String(),
		AccountSID: fake.AccountSID(), APIURL: fapi.URL, Concurrency: c}
	if err := bc.write(cfgPath); err != nil {
		return err
	}
	os.Setenv(benchTokenEnv, fake.AuthToken())
	s, err := startServer(ctx, serveOptions{ConfigPath: cfgPath, DataDir: filepath.Join(dir, "data"), Listener: ln,
		NATSListen: "off", Instance: "bench-realistic", Logger: b.log})
	if err != nil {
		return err
	}
	defer s.Close()
	if err := waitUntil(ctx, 60*time.Second, func() bool { return s.Engine.Ready() && s.Engine.Leader() }); err != nil {
		return err
	}
	start := time.Now()
	if _, err := declare(ctx, s, "fanout", "bench-realistic"); err != nil {
		return err
	}
	select {
	case <-done:
	case <-time.After(time.Duration(float64(n)/(float64(c)/b.o.RealLatency.Seconds())*3*float64(time.Second)) + 30*time.Second):
		return fmt.Errorf("realistic: only %d of %d SMS arrived", got.Load(), n)
	}
	// Little's law: C requests in flight, each RealLatency long.
	bound := float64(c) / b.o.RealLatency.Seconds()
	// The first answer arrives one latency after the first request: count
	// from the first request, i.e. first answer − latency.
	span := time.Duration(last.Load()-first.Load()) + b.o.RealLatency
	rate := float64(n) / span.Seconds()
	share := rate / bound
	st := fake.Stats()
	tmu.Lock()
	slices.Sort(times)
	lo, hi := len(times)/10, len(times)*9/10
	steady := float64(hi-lo) / (float64(times[hi]-times[lo]) / 1e9)
	tmu.Unlock()
	b.record(fmt.Sprintf("fan-out %d vs provider C=%d, %s latency: rate / (C/latency)", n, c, b.o.RealLatency),
		fmt.Sprintf("%.0f/s of %.0f/s = %.3f", rate, bound, share), "≥ 0.95", ptr(share >= 0.95))
	b.record("  … steady state (10 % → 90 % of the messages)", fmt.Sprintf("%.0f/s = %.3f", steady, steady/bound), "", nil)
	b.record("  … 20429 (Too Many Requests) provoked / max concurrent", fmt.Sprintf("%d / %d", st.Rejected[20429], st.MaxConcurrent),
		"0", ptr(st.Rejected[20429] == 0))
	b.printf("  (declaration → last SMS: %s)\n", time.Since(start).Round(time.Millisecond))
	return nil
}
