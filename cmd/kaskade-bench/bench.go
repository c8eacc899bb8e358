package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"math"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"sync/atomic"
	"time"

	"github.com/kaskade-bcm/kaskade/cmd/internal/server"
	"github.com/kaskade-bcm/kaskade/notifiers/twilio/twiliotest"
)

// benchOptions are the flags of `kaskade-bench`.
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
	Kaskade       string // the server binary the restart phase runs ("" = build it)

	PrioRecip      int           // exercise size of the priority and stand-down phases
	PrioRate       float64       // Twilio rate_per_second of those phases
	PrioRuns       int           // real incidents declared amid the exercise
	PrioGap        time.Duration // pause between two of them
	StandDownAfter time.Duration // declaration → stand-down of the stand-down phase

	BoardStreams     int     // concurrent board streams
	BoardIncidents   int     // incidents (one organisation each) in the log
	BoardReplies     int     // replies timed per viewer count
	BoardRate        float64 // replies per second while timing
	BoardBurst       int     // replies of the burst before the last RSS reading
	BoardReaderProcs int     // GOMAXPROCS of the board readers' process
	BoardReaderNice  int     // its nice value (0: as the bench)

	FailoverPeople    int           // people of the failover phase's one organisation
	FailoverRate      float64       // Twilio rate_per_second of each instance
	FailoverConc      int           // Twilio sender concurrency of each instance
	FailoverRuns      int           // runs per scenario
	FailoverKillAfter time.Duration // first SMS → kill
	FailoverWait      time.Duration // kill → everyone alerted and settled, at most
}

func (o benchOptions) phase(name string) bool {
	return o.Phases == "all" || slices.Contains(strings.Split(o.Phases, ","), name)
}

// benchCmd is `kaskade-bench`: it measures the targets of the design brief
// on loopback, in one run, and prints a table.
func benchCmd(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("kaskade-bench", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var o benchOptions
	quick := fs.Bool("quick", false, "small sizes for a CI smoke run (< 60 s on a quiet machine)")
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
	fs.StringVar(&o.Kaskade, "kaskade", "", "kaskade binary for the restart phase (default: go build ./cmd/kaskade into --dir)")
	fs.IntVar(&o.PrioRecip, "priority-recipients", 10_000, "exercise size of the priority and standdown phases")
	fs.Float64Var(&o.PrioRate, "priority-rate", 50, "Twilio rate_per_second of the priority and standdown phases")
	fs.IntVar(&o.PrioRuns, "priority-runs", 20, "real incidents declared amid the exercise")
	fs.DurationVar(&o.PrioGap, "priority-gap", 1500*time.Millisecond, "pause after each real incident's SMS")
	fs.DurationVar(&o.StandDownAfter, "standdown-after", 3*time.Second, "declaration → stand-down in the standdown phase")
	fs.IntVar(&o.BoardStreams, "board-streams", 1000, "concurrent board streams")
	fs.IntVar(&o.BoardIncidents, "board-incidents", 1000, "incidents in the log of the board phase (one organisation each)")
	fs.IntVar(&o.BoardReplies, "board-replies", 300, "replies timed with one viewer and again with all streams")
	fs.Float64Var(&o.BoardRate, "board-reply-rate", 20, "replies per second while timing the board")
	fs.IntVar(&o.BoardBurst, "board-burst", 1000, "replies of the burst before the last RSS reading")
	fs.IntVar(&o.BoardReaderProcs, "board-reader-procs", 1, "GOMAXPROCS of the process that reads all board streams but the measuring one (0: Go's default)")
	fs.IntVar(&o.BoardReaderNice, "board-reader-nice", 19, "nice value of that process (0: none), so that it takes only the CPU the server leaves")
	fs.IntVar(&o.FailoverPeople, "failover-people", 200, "people of the failover phase's organisation")
	fs.Float64Var(&o.FailoverRate, "failover-rate", 20, "Twilio rate_per_second of each instance in the failover phase")
	fs.IntVar(&o.FailoverConc, "failover-concurrency", 10, "Twilio sender concurrency of each instance in the failover phase")
	fs.IntVar(&o.FailoverRuns, "failover-runs", 3, "kills per failover scenario")
	fs.DurationVar(&o.FailoverKillAfter, "failover-kill-after", 3*time.Second, "first SMS accepted → kill -9 of the leading instance")
	fs.DurationVar(&o.FailoverWait, "failover-wait", 2*time.Minute, "kill → everyone alerted and every attempt settled, at most")
	fs.StringVar(&o.Phases, "phases", "all", "comma-separated: baseline,fanout,first,replies,restart,realistic,board,priority,standdown,failover (all: every phase; with --quick all but failover)")
	fs.BoolVar(&o.Callbacks, "callbacks", false, "let the fake post status callbacks to Kaskade during the run (default: swallowed, counted)")
	if err := fs.Parse(args); err != nil {
		return usageError{err.Error()}
	}
	if fs.NArg() > 0 {
		return usageError{"unknown command or argument: " + strings.Join(fs.Args(), " ") + " (kaskade-bench --help)"}
	}
	if *quick {
		o.Recipients, o.RealRecip, o.FirstRuns = 2_000, 1_000, 10
		o.ReplyRate, o.ReplyDuration = 200, 5*time.Second
		o.PrioRecip, o.PrioRuns, o.PrioGap, o.StandDownAfter = 2_000, 5, 300*time.Millisecond, 2*time.Second
		o.BoardStreams, o.BoardIncidents, o.BoardReplies, o.BoardRate, o.BoardBurst = 200, 200, 50, 20, 200
		o.FailoverRuns = 1
		if o.Phases == "all" {
			// Two scenarios of a cluster start, a fan-out and a
			// reconciliation each: over a minute, more than a smoke run.
			o.Phases = "baseline,fanout,first,replies,restart,realistic,board,priority,standdown"
		}
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
	if o.PrioRecip < o.PerOrg || o.PrioRate <= 0 || o.PrioRuns <= 0 {
		return usageError{"--priority-recipients must be at least --per-org, --priority-rate and --priority-runs positive"}
	}
	if o.BoardIncidents < 1 || o.BoardStreams < 2 || o.BoardReplies < 1 || o.BoardRate <= 0 || o.BoardBurst < 0 || o.BoardReaderProcs < 0 || o.BoardReaderNice < 0 || o.BoardReaderNice > 19 {
		return usageError{"--board-incidents, --board-replies and --board-reply-rate must be positive, --board-streams at least 2, --board-reader-nice 0…19"}
	}
	if o.BoardReplies > o.BoardIncidents || o.BoardBurst > o.BoardIncidents {
		return usageError{"--board-replies and --board-burst must not exceed --board-incidents (one reply per incident and set)"}
	}
	if o.FailoverPeople < 1 || o.FailoverRate <= 0 || o.FailoverConc < 1 || o.FailoverRuns < 1 {
		return usageError{"--failover-people, --failover-rate, --failover-concurrency and --failover-runs must be positive"}
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
	kaskade     string  // the server binary of the restart phase
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
	b.printf("kaskade-bench: %d recipients (%d per organisation), sender concurrency %d, GOMAXPROCS %d, %s\n",
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
	var s *server.Server
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
		s, err = server.Start(ctx, server.Options{ConfigPath: cfgPath, DataDir: dataDir, Listener: ln, NATSListen: "off",
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
		// The leader creates the people's sealing keys after the start, as
		// a server does long before an alarm; the fan-out starts after.
		if err := waitUntil(ctx, 120*time.Second, func() bool { return s.Engine.KeysPending() == 0 }); err != nil {
			return fmt.Errorf("person keys not created: %w", err)
		}
		b.printf("  (person keys created %s after the start)\n", time.Since(start).Round(time.Millisecond))
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
		s.Crash()
		s = nil
	}
	if b.o.phase("restart") && needServer {
		if err := b.restarts(ctx, cfgPath, dataDir); err != nil {
			return err
		}
	}
	if b.o.phase("realistic") {
		if err := b.realistic(ctx); err != nil {
			return err
		}
	}
	if b.o.phase("board") {
		if err := b.board(ctx); err != nil {
			return err
		}
	}
	if b.o.phase("priority") {
		if err := b.priority(ctx); err != nil {
			return err
		}
	}
	if b.o.phase("standdown") {
		if err := b.standdown(ctx); err != nil {
			return err
		}
	}
	if b.o.phase("failover") {
		if err := b.failover(ctx); err != nil {
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
