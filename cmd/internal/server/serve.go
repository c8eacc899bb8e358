// Package server wires Kaskade's concrete providers, engine, intake and HTTP
// into one running instance: `kaskade serve` and `kaskade-bench` start it.
package server

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	natsserver "github.com/nats-io/nats-server/v2/server"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/kaskade-bcm/kaskade/activation/answer"
	"github.com/kaskade-bcm/kaskade/activation/board"
	"github.com/kaskade-bcm/kaskade/activation/compose"
	"github.com/kaskade-bcm/kaskade/activation/engine"
	"github.com/kaskade-bcm/kaskade/alerting"
	"github.com/kaskade-bcm/kaskade/alerting/httpapi"
	"github.com/kaskade-bcm/kaskade/cmd/internal/natsd"
	"github.com/kaskade-bcm/kaskade/cmd/internal/opsmetrics"
	"github.com/kaskade-bcm/kaskade/config"
	"github.com/kaskade-bcm/kaskade/notifiers"
)

// Options are the serve flags; the bench and tests fill them directly.
type Options struct {
	ConfigPath string
	DataDir    string
	HTTPAddr   string
	NATSListen string // host:port, or "off"
	NATSURL    string // external NATS instead of the embedded server
	// NATSClient authenticates to NATSURL; NATSServer holds the embedded
	// server's TLS files.
	NATSClient natsd.Client
	NATSServer natsd.Options
	Replicas   int
	LogFormat  string
	Instance   string
	Simulate   bool
	// SimulateMix and SimulateDelay shape the simulated answers.
	SimulateMix, SimulateDelay string
	PublicURL                  string // overrides server.public_url
	// SnapshotEvery is how many events make the engine snapshot its state
	// (0: the engine's default; negative: never). SnapshotIdle is how many
	// suffice when it is idle (0: the default; the bench raises it so that
	// its crash leaves a tail of the log to replay, as under steady load).
	SnapshotEvery, SnapshotIdle int

	// For tests: extra notifiers by channel (replacing configured ones), a
	// logger and a clock.
	Notifiers map[string]notifiers.Notifier
	Logger    *slog.Logger
	Now       func() time.Time
	// Listener, when set, is used instead of listening on HTTPAddr.
	Listener net.Listener
}

// UsageError is a bad option: the command line exits with status 2.
type UsageError struct{ Msg string }

func (e *UsageError) Error() string { return e.Msg }

// Server is one running Kaskade instance.
type Server struct {
	URL     string
	NATSURL string
	// Config is the configuration loaded at start; CurrentConfig is the one
	// in force after reloads.
	Config *config.Config
	Engine *engine.Engine
	Layout engine.Layout
	JS     jetstream.JetStream
	log    *slog.Logger

	ns       *natsserver.Server
	embedded *natsd.Embedded
	nc       *nats.Conn
	http     *http.Server
	tokenHex atomic.Value // string: admin token generated for this data dir ("" when configured)

	inboundSvc *answer.Service
	board      *board.Board

	// What a reload replaces (reload.go).
	configPath, instance, dataDir string
	reloadMu                      sync.Mutex
	live                          atomic.Pointer[config.Config]
	intake                        *alerting.Intake
	api                           *httpapi.Server
	composer                      *compose.Composer
	auth                          *httpapi.Auth

	cancel context.CancelFunc
	wg     sync.WaitGroup
	errMu  sync.Mutex
	err    error
	done   chan struct{}
}

// Start starts one instance and returns once it serves; the engine replays
// the event log in the background (Engine.Ready). ctx ends it, as Close does.
func Start(parent context.Context, o Options) (_ *Server, err error) {
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	if o.Instance == "" {
		host, _ := os.Hostname()
		o.Instance = host + "-" + strconv.Itoa(os.Getpid())
	}
	log := o.Logger
	if err := privateDir(o.DataDir, log); err != nil {
		return nil, err
	}
	// The configuration loads first (it may name the NATS to use); the engine
	// starts after: its snapshot restore would otherwise add its memory to
	// the loader's peak.
	cfg, err := loadConfig(o.ConfigPath, log)
	if err != nil {
		return nil, err
	}
	o = withNATSConfig(o, cfg.NATS)
	ctx, cancel := context.WithCancel(parent)
	s := &Server{log: log, cancel: cancel, done: make(chan struct{}), configPath: o.ConfigPath, instance: o.Instance, dataDir: o.DataDir}
	defer func() {
		if err != nil {
			cancel()
			s.shutdown()
		}
	}()
	if err := s.connect(o); err != nil {
		return nil, err
	}
	replicas := o.Replicas
	if replicas == 0 {
		replicas = 1
		if o.NATSURL != "" {
			replicas = 3
		}
	}
	s.Layout = engine.Layout{Replicas: replicas}
	if err := s.Layout.Ensure(ctx, s.JS); err != nil {
		return nil, err
	}
	s.Config = cfg
	s.live.Store(cfg)
	auth, token, err := s.authFor(cfg)
	if err != nil {
		return nil, err
	}
	s.auth = auth
	s.tokenHex.Store(token)
	reg := prometheus.NewRegistry()
	reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	metrics := engine.NewMetrics(reg)
	var elector engine.Elector
	if o.NATSURL != "" {
		if elector, err = engine.NewLease(ctx, s.JS, s.Layout, o.Instance, log); err != nil {
			return nil, err
		}
	}
	s.Engine = engine.New(engine.Options{Layout: s.Layout, JS: s.JS, Logger: log.With("component", "engine"),
		Metrics: metrics, Directory: directory{s.CurrentConfig}, Elector: elector, Now: o.Now, SnapshotEvery: o.SnapshotEvery, SnapshotIdle: o.SnapshotIdle,
		Seal: true, Retention: engineRetention(cfg.Server.Retention), People: s.personIDs}) // privacy.go
	if err := opsmetrics.Register(reg, opsmetrics.Options{Engine: s.Engine, Connected: s.nc.IsConnected, JS: s.JS, Layout: s.Layout,
		Certificates: map[string]string{"nats-tls-cert": o.NATSServer.TLSCert, "nats-cert": o.NATSClient.Cert, "nats-ca": o.NATSClient.CA},
		Credentials:  map[string]string{"nats-creds": o.NATSClient.Creds}}); err != nil {
		return nil, err
	}
	intake, err := alerting.New(ctx, alerting.Options{Config: cfg, JS: s.JS, Layout: s.Layout, Logger: log.With("component", "intake"), Metrics: metrics,
		DeclarerRates: declarerRates(cfg.Server.DeclarationRate)})
	if err != nil {
		return nil, err
	}
	s.intake = intake
	ln := o.Listener
	if ln == nil {
		if ln, err = net.Listen("tcp", o.HTTPAddr); err != nil {
			return nil, fmt.Errorf("http listen: %w", err)
		}
	}
	o.HTTPAddr = ln.Addr().String()
	channels, err := s.channels(ctx, cfg, o, reg, auth)
	if err != nil {
		return nil, err
	}

	mux := http.NewServeMux()
	api := httpapi.New(httpapi.Options{Config: cfg, Intake: intake, Engine: s.Engine, Auth: auth,
		Sessions: channels.sessions, Logger: log.With("component", "api"), Healthy: s.nc.IsConnected, Registerer: reg,
		SMSSegments: cfg.Server.SMSSegmentBudget, DeclareLimits: declareLimits(cfg.Server.DeclarationRate),
		TrustedProxies: cfg.Server.TrustedProxies, Outbox: channels.outbox, EraseData: eraseData(channels.outboxFile, filepath.Join(o.DataDir, "outbox.jsonl")), Reload: func(ctx context.Context, by string) (httpapi.ReloadResult, error) {
			return s.Reload(ctx, by, ViaAPI)
		}})
	s.api, s.composer = api, channels.composer
	api.Register(mux)
	mux.Handle("GET /metrics", promhttp.HandlerFor(reg, promhttp.HandlerOpts{Registry: reg}))
	channels.register(mux)
	s.URL = "http://" + ln.Addr().String()
	s.http = &http.Server{Handler: untilReplayed(s.Engine, mux), ReadHeaderTimeout: 10 * time.Second, ReadTimeout: 30 * time.Second,
		IdleTimeout: 2 * time.Minute, MaxHeaderBytes: MaxHeaderBytes, ConnContext: board.ConnContext, ErrorLog: slog.NewLogLogger(log.Handler(), slog.LevelWarn)}
	s.http.RegisterOnShutdown(s.board.Close) // live streams end so shutdown can finish

	s.goRun("engine", func() error { return s.Engine.Run(ctx) })
	s.goRun("intake", func() error { return retryLoop(ctx, log, "intake", intake.ServeNATS) })
	s.goRun("warnings", func() error { return retryLoop(ctx, log, "warnings", intake.ServeWarnings) })
	s.goRun("dispatch", func() error {
		return retryLoop(ctx, log, "dispatch", func(ctx context.Context) error {
			return s.Engine.Dispatch(ctx, engine.DispatchOptions{Notifiers: channels.notifiers, Composer: channels.composer, Instance: o.Instance,
				RetryFor: cfg.Server.ProviderRetryFor.D()})
		})
	})
	if o.Simulate {
		sim, err := s.simulator(o, channels)
		if err != nil {
			return nil, err
		}
		s.goRun("simulate", func() error { return sim.Run(ctx) })
	}
	if d := time.Duration(cfg.Server.Retention.Outbox); d > 0 {
		// Also with the console channel off: files of an earlier run remain.
		prune := outboxPruner(channels.outboxFile, filepath.Join(o.DataDir, "outbox.jsonl"))
		s.goRun("outbox retention", func() error { return outboxRetention(ctx, prune, d, o.Now, log) })
	}
	for _, extra := range channels.background {
		s.goRun("channel", func() error { return extra(ctx) })
	}
	s.goRun("http", func() error {
		if err := s.http.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			return fmt.Errorf("http: %w", err)
		}
		return nil
	})
	s.wg.Go(func() { s.reloadOnHangUp(ctx) })
	go func() {
		<-ctx.Done()
		s.shutdown()
		close(s.done)
	}()
	log.Info("kaskade serving", "http", s.URL, "nats", s.NATSURL, "config", cfg.Path, "organisations", len(cfg.Organisations),
		"people", len(cfg.People), "data", o.DataDir, "instance", o.Instance)
	return s, nil
}

// untilReplayed answers 503 on everything that reads or changes incidents
// until the event log has been replayed: a webhook answered from an empty
// projection would acknowledge a reply and then drop it as unattributable.
// Twilio, browsers and the CLI retry a 503.
func untilReplayed(e *engine.Engine, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !e.Ready() && needsState(r.URL.Path) {
			w.Header().Set("Retry-After", "1")
			http.Error(w, "Kaskade startet / starting: the event log is being replayed", http.StatusServiceUnavailable)
			return
		}
		next.ServeHTTP(w, r)
	})
}

func needsState(path string) bool {
	for _, p := range []string{"/api/", "/webhooks/", "/ack/", "/proposals"} {
		if strings.HasPrefix(path, p) {
			return true
		}
	}
	return false
}

// retryLoop restarts a component after a transient failure (NATS away).
func retryLoop(ctx context.Context, log *slog.Logger, name string, f func(context.Context) error) error {
	for {
		err := f(ctx)
		if ctx.Err() != nil {
			return nil
		}
		log.Error(name+" stopped; restarting", "err", err)
		select {
		case <-ctx.Done():
			return nil
		case <-time.After(time.Second):
		}
	}
}

func (s *Server) goRun(name string, f func() error) {
	s.wg.Go(func() {
		if err := f(); err != nil {
			s.log.Error(name+" failed", "err", err)
			s.errMu.Lock()
			if s.err == nil {
				s.err = fmt.Errorf("%s: %w", name, err)
			}
			s.errMu.Unlock()
			s.cancel()
		}
	})
}

// Wait blocks until the server has shut down and returns the first failure.
func (s *Server) Wait() error {
	<-s.done
	s.errMu.Lock()
	defer s.errMu.Unlock()
	return s.err
}

// Crash stops the server the way kill -9 would as far as NATS can tell:
// the connection drops without draining and the engine lease is not
// released, so a survivor must wait for it to expire (tests).
func (s *Server) Crash() {
	if s.nc != nil {
		s.nc.Close()
	}
	s.cancel()
	<-s.done
}

// AdminToken is the admin token generated for this data directory ("" when
// tokens are configured): the bench and tests call the API with it.
func (s *Server) AdminToken() string {
	t, _ := s.tokenHex.Load().(string)
	return t
}

// Embedded is the embedded NATS server (nil with an external one).
func (s *Server) Embedded() *natsd.Embedded { return s.embedded }

// Close stops the server gracefully.
func (s *Server) Close() error {
	s.cancel()
	return s.Wait()
}

// shutdown drains HTTP (webhooks in flight finish), lets the dispatcher
// finish its sends, then closes NATS.
func (s *Server) shutdown() {
	if s.http != nil {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		_ = s.http.Shutdown(ctx)
		cancel()
	}
	s.wg.Wait()
	if s.nc != nil {
		_ = s.nc.Drain()
		for i := 0; i < 100 && !s.nc.IsClosed(); i++ {
			time.Sleep(10 * time.Millisecond)
		}
	}
	if s.embedded != nil {
		s.embedded.Shutdown()
	}
	s.log.Info("kaskade stopped")
}

func (s *Server) connect(o Options) error {
	copts := []nats.Option{nats.Name("kaskade " + o.Instance), nats.MaxReconnects(-1), nats.ReconnectWait(250 * time.Millisecond)}
	var err error
	if o.NATSURL != "" {
		c := o.NATSClient
		c.URL = o.NATSURL
		s.NATSURL = natsd.Redact(o.NATSURL)
		s.nc, err = c.Connect(copts...)
	} else {
		no := o.NATSServer
		no.DataDir, no.Listen, no.Logger, no.SIGHUP = o.DataDir, o.NATSListen, s.log.With("component", "nats"), true
		if s.embedded, err = natsd.Start(no); err == nil {
			s.ns, s.NATSURL = s.embedded.Server(), s.embedded.ClientURL()
			s.nc, err = s.embedded.Connect(copts...)
		}
	}
	if ue := (natsd.UsageError{}); errors.As(err, &ue) {
		return &UsageError{ue.Msg}
	}
	if err != nil {
		return err
	}
	js, err := jetstream.New(s.nc, jetstream.WithPublishAsyncMaxPending(8192))
	if err != nil {
		return fmt.Errorf("jetstream: %w", err)
	}
	s.JS = js
	return nil
}

// authFor makes sure someone can log in: without configured tokens it
// creates (once) an admin token in <data>/admin.token, mode 0600, and
// returns it (else "").
func (s *Server) authFor(cfg *config.Config) (*httpapi.Auth, string, error) {
	if len(cfg.Tokens) > 0 {
		return httpapi.NewAuth(cfg), "", nil
	}
	path := filepath.Join(s.dataDir, "admin.token")
	data, err := os.ReadFile(path)
	switch {
	case errors.Is(err, os.ErrNotExist):
		b := make([]byte, 24)
		if _, err := rand.Read(b); err != nil {
			return nil, "", err
		}
		data = []byte(hex.EncodeToString(b))
		if err := os.WriteFile(path, append(data, '\n'), 0o600); err != nil {
			return nil, "", fmt.Errorf("admin token: %w", err)
		}
		s.log.Info("no API tokens configured: created an admin token", "file", path)
	case err != nil:
		return nil, "", fmt.Errorf("admin token: %w", err)
	default:
		s.log.Info("no API tokens configured: using the admin token", "file", path)
	}
	token := strings.TrimSpace(string(data))
	return httpapi.NewAuth(cfg, httpapi.Token{Name: "admin", Role: config.RoleAdmin, SHA256: httpapi.HashToken(token)}), token, nil
}

// maxLoggedWarnings bounds the configuration warnings a start logs.
const maxLoggedWarnings = 20

func loadConfig(path string, log *slog.Logger) (*config.Config, error) {
	cfg, probs, err := config.LoadOrExample(path)
	if err != nil {
		return nil, err
	}
	warnings := probs.Warnings()
	for i, p := range warnings {
		if i == maxLoggedWarnings {
			// A generated configuration can carry a warning per person; the
			// log of a start must stay readable (and the start fast).
			log.Warn("config: more warnings not logged; run `kaskade config check` to see all",
				"logged", maxLoggedWarnings, "total", len(warnings))
			break
		}
		log.Warn("config", "problem", logSafe(p.String())) // `kaskade config check` shows the values
	}
	if err := probs.Err(); err != nil {
		return nil, fmt.Errorf("configuration has errors (run `kaskade config check`):\n%s", probs.Errors().String())
	}
	return cfg, nil
}

// directory names people for the board, masking phone numbers, from the
// configuration in force.
// personIDs lists the people of the configuration in force (the engine
// creates their sealing keys ahead of their first alert).
func (s *Server) personIDs() []string {
	cfg := s.CurrentConfig()
	ids := make([]string, len(cfg.People))
	for i := range cfg.People {
		ids[i] = cfg.People[i].ID
	}
	return ids
}

type directory struct{ cfg func() *config.Config }

func (d directory) PersonName(id string) string {
	if p, ok := d.cfg().Person(id); ok {
		return p.Name
	}
	return id
}

func (d directory) MaskedMobile(id string) string {
	if p, ok := d.cfg().Person(id); ok && p.Mobile != "" {
		return maskNumber(p.Mobile)
	}
	return ""
}
