package natsd_test

import (
	"context"
	"encoding/json"
	"path/filepath"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/kaskade-bcm/kaskade/activation"
	"github.com/kaskade-bcm/kaskade/activation/engine"
	"github.com/kaskade-bcm/kaskade/alerting"
	"github.com/kaskade-bcm/kaskade/cmd/internal/natsd"
	"github.com/kaskade-bcm/kaskade/config"
)

// start runs the embedded server on a free loopback port; reloads happen
// when a test calls Reload unless o sets an interval.
func start(t *testing.T, o natsd.Options) *natsd.Embedded {
	t.Helper()
	if o.DataDir == "" {
		o.DataDir = t.TempDir()
	}
	if o.Listen == "" {
		o.Listen = "127.0.0.1:0"
	}
	if o.ReloadEvery == 0 {
		o.ReloadEvery = time.Hour
	}
	e, err := natsd.Start(o)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(e.Shutdown)
	return e
}

// kaskade is the engine and the intake running on the embedded server as
// Kaskade's own identity.
type kaskade struct {
	e       *natsd.Embedded
	dataDir string
	cfg     *config.Config
	js      jetstream.JetStream
	layout  engine.Layout
	eng     *engine.Engine
}

func startKaskade(t *testing.T) *kaskade {
	t.Helper()
	dataDir := t.TempDir()
	k := &kaskade{dataDir: dataDir, e: start(t, natsd.Options{DataDir: dataDir})}
	name, data := config.Example()
	cfg, _, err := config.LoadBytes(name, data, func(string) string { return "" })
	if err != nil {
		t.Fatal(err)
	}
	k.cfg = cfg
	nc, err := k.e.Connect()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(nc.Close)
	if k.js, err = jetstream.New(nc); err != nil {
		t.Fatal(err)
	}
	if err := k.layout.Ensure(t.Context(), k.js); err != nil {
		t.Fatal(err)
	}
	k.eng = engine.New(engine.Options{Layout: k.layout, JS: k.js, Directory: directory{cfg}, SnapshotIdle: 1 << 30})
	intake, err := alerting.New(t.Context(), alerting.Options{Config: cfg, JS: k.js, Layout: k.layout})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{}, 3)
	go func() { _ = k.eng.Run(ctx); done <- struct{}{} }()
	go func() { _ = intake.ServeNATS(ctx); done <- struct{}{} }()
	go func() { _ = intake.ServeWarnings(ctx); done <- struct{}{} }()
	t.Cleanup(func() { cancel(); <-done; <-done; <-done })
	waitFor(t, "engine leads", func() bool { return k.eng.Ready() && k.eng.Leader() })
	return k
}

// addUser creates an identity and applies it; it returns the seed file.
func (k *kaskade) addUser(t *testing.T, name, role string) string {
	t.Helper()
	return addUser(t, k.e, k.dataDir, name, role)
}

func addUser(t *testing.T, e *natsd.Embedded, dataDir, name, role string) string {
	t.Helper()
	seed := filepath.Join(t.TempDir(), name+".nk")
	if _, err := natsd.AddUser(dataDir, name, role, seed, time.Now()); err != nil {
		t.Fatal(err)
	}
	if err := e.Reload(); err != nil {
		t.Fatal(err)
	}
	return seed
}

// client connects over TCP with a seed file; the server's asynchronous
// errors (permission violations) arrive on the returned channel.
func client(t *testing.T, url, seed string, opts ...nats.Option) (*nats.Conn, chan error) {
	t.Helper()
	errs := make(chan error, 16)
	auth, err := nats.NkeyOptionFromSeed(seed)
	if err != nil {
		t.Fatal(err)
	}
	all := append([]nats.Option{auth, nats.NoReconnect(), nats.ErrorHandler(func(_ *nats.Conn, _ *nats.Subscription, err error) {
		select {
		case errs <- err:
		default:
		}
	})}, opts...)
	nc, err := nats.Connect(url, all...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(nc.Close)
	return nc, errs
}

// declared reads an incident's declaration from the event log.
func (k *kaskade) declared(t *testing.T, id string) activation.Declared {
	t.Helper()
	s, err := k.js.Stream(t.Context(), k.layout.EventsStream())
	if err != nil {
		t.Fatal(err)
	}
	// The projection may show a decision a moment before its events are in the log.
	var m *jetstream.RawStreamMsg
	waitFor(t, "declaration of "+id+" in the log", func() bool {
		m, err = s.GetLastMsgForSubject(t.Context(), k.layout.EventSubject(id, activation.KindDeclared))
		return err == nil
	})
	var ev activation.Event
	if err := json.Unmarshal(m.Data, &ev); err != nil || ev.Declared == nil {
		t.Fatalf("declaration event %s: %v", m.Data, err)
	}
	return *ev.Declared
}

// waitFor polls cond; the deadline only bounds a failing test.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	for deadline := time.Now().Add(15 * time.Second); !cond(); time.Sleep(5 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting: %s", what)
		}
	}
}

type directory struct{ cfg *config.Config }

func (d directory) PersonName(id string) string {
	if p, ok := d.cfg.Person(id); ok {
		return p.Name
	}
	return id
}

func (d directory) MaskedMobile(string) string { return "" }
