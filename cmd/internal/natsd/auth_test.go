package natsd_test

import (
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nkeys"

	"github.com/kaskade-bcm/kaskade/activation"
	"github.com/kaskade-bcm/kaskade/activation/engine"
	"github.com/kaskade-bcm/kaskade/cmd/internal/natsd"
)

func TestConnectionsWithoutAKnownIdentityAreRefused(t *testing.T) {
	dataDir := t.TempDir()
	e := start(t, natsd.Options{DataDir: dataDir})
	stranger, _ := nkeys.CreateUser()
	seed, _ := stranger.Seed()
	strangerFile := filepath.Join(t.TempDir(), "stranger.nk")
	if err := os.WriteFile(strangerFile, seed, 0o600); err != nil {
		t.Fatal(err)
	}
	strangerAuth, _ := nats.NkeyOptionFromSeed(strangerFile)
	for _, tc := range []struct {
		name string
		opts []nats.Option
	}{
		{"anonymous", nil},
		{"user and password", []nats.Option{nats.UserInfo("kaskade", "kaskade")}},
		{"unknown nkey", []nats.Option{strangerAuth}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			nc, err := nats.Connect(e.ClientURL(), append(tc.opts, nats.NoReconnect())...)
			if err == nil {
				nc.Close()
				t.Fatal("connected")
			}
			if !errors.Is(err, nats.ErrAuthorization) && !strings.Contains(strings.ToLower(err.Error()), "authorization") {
				t.Fatalf("err = %v, want an authorization violation", err)
			}
		})
	}
	// Kaskade's own identity is the one that gets in.
	if _, errs := client(t, e.ClientURL(), natsd.ServiceSeedFile(dataDir)); len(errs) != 0 {
		t.Fatal(<-errs)
	}
	for path, want := range map[string]os.FileMode{natsd.Dir(dataDir): 0o700 | os.ModeDir, natsd.ServiceSeedFile(dataDir): 0o600} {
		if fi, err := os.Stat(path); err != nil || fi.Mode() != want {
			t.Errorf("%s: mode %v, %v; want %v", path, fi.Mode(), err, want)
		}
	}
}

func TestADeclarerDeclaresAsItselfAndReachesNothingElse(t *testing.T) {
	k := startKaskade(t)
	seed := k.addUser(t, "siem", natsd.RoleDeclarer)
	nc, errs := client(t, k.e.ClientURL(), seed)
	// The declarer may read _INBOX.> for its replies; Kaskade's own inboxes,
	// where JetStream delivers the log, are elsewhere.
	spy := make(chan *nats.Msg, 1024)
	if _, err := nc.ChanSubscribe("_INBOX.>", spy); err != nil {
		t.Fatal(err)
	}

	decl := `{"scenario":"cyberangriff","organisations":["MI"],"exercise":true,"declared_by":"Lagedienst Müller","reason":"Ransomware im Landesnetz"}`
	reply, err := nc.Request(k.layout.DeclarerSubject("siem"), []byte(decl), 10*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	var res struct {
		IncidentID string `json:"incident_id"`
	}
	if err := json.Unmarshal(reply.Data, &res); err != nil || res.IncidentID == "" {
		t.Fatalf("reply %s: %v", reply.Data, err)
	}
	waitFor(t, "incident decided", func() bool { _, ok := k.eng.Incident(res.IncidentID); return ok })
	if d := k.declared(t, res.IncidentID); d.Source != "nats:siem" || d.DeclaredBy != "siem: Lagedienst Müller" {
		t.Fatalf("recorded source %q, declared_by %q", d.Source, d.DeclaredBy)
	}
	before := k.counts(t)
	for len(spy) > 0 {
		if m := <-spy; strings.Contains(string(m.Data), `"kind"`) || strings.Contains(string(m.Data), "Ransomware") {
			t.Fatalf("the declarer read Kaskade's traffic on %s: %.200s", m.Subject, m.Data)
		}
	}

	for _, tc := range []struct {
		name string
		do   func() error
	}{
		{"publish an answer", func() error { return nc.Publish(k.layout.InputSubject(res.IncidentID, "response"), []byte(`{}`)) }},
		{"publish a stand-down", func() error { return nc.Publish(k.layout.InputSubject(res.IncidentID, "stand_down"), []byte(`{}`)) }},
		{"publish an event", func() error { return nc.Publish(k.layout.EventSubject(res.IncidentID, "x"), []byte(`{}`)) }},
		{"declare as Kaskade", func() error { return nc.Publish(k.layout.DeclareSubject(), []byte(decl)) }},
		{"declare as another system", func() error { return nc.Publish(k.layout.DeclarerSubject("other"), []byte(decl)) }},
		{"read the event log", func() error { _, err := nc.SubscribeSync(k.layout.EventsFilter()); return err }},
		{"read everything", func() error { _, err := nc.SubscribeSync(">"); return err }},
		{"read Kaskade's inboxes", func() error { _, err := nc.SubscribeSync(natsd.ServiceInboxPrefix + ".>"); return err }},
		{"delete the record", func() error {
			return nc.PublishRequest("$JS.API.STREAM.DELETE."+k.layout.EventsStream(), nc.NewInbox(), nil)
		}},
		{"purge the declarations", func() error {
			return nc.PublishRequest("$JS.API.STREAM.PURGE."+k.layout.DeclareStream(), nc.NewInbox(), nil)
		}},
		{"read a bucket", func() error { return nc.PublishRequest("$KV.KASKADE_STATE.incident-counter", nc.NewInbox(), nil) }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if err := tc.do(); err != nil {
				t.Fatal(err)
			}
			expectViolation(t, nc, errs)
		})
	}
	if after := k.counts(t); after != before {
		t.Fatalf("messages per stream changed: %v → %v", before, after)
	}
}

// counts are the messages in the record's streams (all must exist).
func (k *kaskade) counts(t *testing.T) [2]uint64 {
	t.Helper()
	var out [2]uint64
	for i, name := range []string{k.layout.EventsStream(), k.layout.DeclareStream()} {
		s, err := k.js.Stream(t.Context(), name)
		if err != nil {
			t.Fatalf("stream %s: %v", name, err)
		}
		info, err := s.Info(t.Context())
		if err != nil {
			t.Fatal(err)
		}
		out[i] = info.State.Msgs
	}
	return out
}

// expectViolation waits for the server's permission error.
func expectViolation(t *testing.T, nc *nats.Conn, errs chan error) {
	t.Helper()
	_ = nc.Flush()
	select {
	case err := <-errs:
		if !errors.Is(err, nats.ErrPermissionViolation) && !strings.Contains(err.Error(), "Permissions Violation") {
			t.Fatalf("err = %v, want a permissions violation", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("no permissions violation")
	}
}

func TestAnObserverReadsReadinessWithoutPersonalData(t *testing.T) {
	k := startKaskade(t)
	seed := k.addUser(t, "lagebild", natsd.RoleObserver)
	nc, errs := client(t, k.e.ClientURL(), seed)
	feed := make(chan *nats.Msg, 64)
	if _, err := nc.ChanSubscribe(k.layout.ReadinessFilter(), feed); err != nil {
		t.Fatal(err)
	}
	if err := nc.Flush(); err != nil {
		t.Fatal(err)
	}
	svc, err := k.e.Connect()
	if err != nil {
		t.Fatal(err)
	}
	defer svc.Close()
	decl := `{"scenario":"cyberangriff","organisations":["MI"],"exercise":true,"declared_by":"Lagedienst Müller","reason":"Ransomware"}`
	if _, err := svc.Request(k.layout.DeclareSubject(), []byte(decl), 10*time.Second); err != nil {
		t.Fatal(err)
	}
	// The lead's answer moves the ministry on: a readiness change.
	waitFor(t, "incident decided", func() bool { _, ok := k.eng.Incident("K1"); return ok })
	lead := ""
	for _, p := range k.cfg.People {
		if p.Organisation == "MI" && slices.Contains(p.Functions, "lead") && lead == "" {
			lead = p.ID
		}
	}
	if _, err := k.eng.Submit(t.Context(), activation.Input{Incident: "K1", Response: &activation.Response{
		Person: lead, Kind: activation.Available, Source: activation.SourceAPI}}, ""); err != nil {
		t.Fatal(err)
	}
	var m *nats.Msg
	select {
	case m = <-feed:
	case <-time.After(15 * time.Second):
		t.Fatal("no readiness change")
	}
	var r engine.ReadinessFeed
	if err := json.Unmarshal(m.Data, &r); err != nil {
		t.Fatal(err)
	}
	if m.Subject != k.layout.ReadinessSubject("K1", "MI") || r.Incident != "K1" || r.Org != "MI" || !r.Exercise || r.State == "" ||
		r.Functions["lead"].Required == 0 {
		t.Fatalf("feed %s on %s", m.Data, m.Subject)
	}
	for _, p := range k.cfg.People {
		for _, personal := range []string{p.ID, p.Name, p.Mobile, p.Email} {
			if personal != "" && strings.Contains(string(m.Data), personal) {
				t.Fatalf("feed carries %q: %s", personal, m.Data)
			}
		}
	}
	for _, tc := range []struct {
		name string
		do   func() error
	}{
		{"read the event log", func() error { _, err := nc.SubscribeSync(k.layout.EventsFilter()); return err }},
		{"declare", func() error { return nc.Publish(k.layout.DeclarerSubject("lagebild"), []byte(decl)) }},
		{"publish readiness", func() error { return nc.Publish(k.layout.ReadinessSubject("K1", "MI"), []byte(`{}`)) }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if err := tc.do(); err != nil {
				t.Fatal(err)
			}
			expectViolation(t, nc, errs)
		})
	}
}

func TestRevokingClosesTheConnections(t *testing.T) {
	dataDir := t.TempDir()
	e := start(t, natsd.Options{DataDir: dataDir})
	seed := addUser(t, e, dataDir, "siem", natsd.RoleDeclarer)
	keep := addUser(t, e, dataDir, "leitstelle", natsd.RoleDeclarer)
	closed := make(chan struct{})
	nc, _ := client(t, e.ClientURL(), seed, nats.ClosedHandler(func(*nats.Conn) { close(closed) }))
	other, _ := client(t, e.ClientURL(), keep)
	if err := natsd.Revoke(dataDir, "siem"); err != nil {
		t.Fatal(err)
	}
	if err := e.Reload(); err != nil {
		t.Fatal(err)
	}
	select {
	case <-closed:
	case <-time.After(10 * time.Second):
		t.Fatalf("revoked connection still open: %v", nc.Status())
	}
	if !other.IsConnected() {
		t.Fatal("another identity lost its connection")
	}
	auth, _ := nats.NkeyOptionFromSeed(seed)
	if nc, err := nats.Connect(e.ClientURL(), auth, nats.NoReconnect()); err == nil {
		nc.Close()
		t.Fatal("a revoked identity connected again")
	}
	if users, _ := natsd.ListUsers(dataDir); len(users) != 1 || users[0].Name != "leitstelle" {
		t.Fatalf("users = %+v", users)
	}
}

func TestTheServerPicksUpNewIdentitiesWithoutARestart(t *testing.T) {
	dataDir := t.TempDir()
	e := start(t, natsd.Options{DataDir: dataDir, ReloadEvery: 10 * time.Millisecond})
	seed := filepath.Join(t.TempDir(), "siem.nk")
	if _, err := natsd.AddUser(dataDir, "siem", natsd.RoleDeclarer, seed, time.Now()); err != nil {
		t.Fatal(err)
	}
	auth, _ := nats.NkeyOptionFromSeed(seed)
	waitFor(t, "the new identity connects", func() bool {
		nc, err := nats.Connect(e.ClientURL(), auth, nats.NoReconnect())
		if err == nil {
			nc.Close()
		}
		return err == nil
	})
}

// TestAddUserNeedsASeedFile: without a file the seed is written nowhere
// (it was NAME.nk in the working directory) and no identity is recorded.
func TestAddUserNeedsASeedFile(t *testing.T) {
	dataDir, wd := t.TempDir(), t.TempDir()
	t.Chdir(wd)
	if _, err := natsd.AddUser(dataDir, "siem", natsd.RoleDeclarer, "", time.Now()); err == nil {
		t.Fatal("added without a credentials file")
	}
	if files, _ := os.ReadDir(wd); len(files) != 0 {
		t.Fatalf("the working directory holds %v", files)
	}
	if users, _ := natsd.ListUsers(dataDir); len(users) != 0 {
		t.Fatalf("users = %+v", users)
	}
}

func TestUserNamesAndRoles(t *testing.T) {
	dataDir := t.TempDir()
	for _, tc := range []struct {
		name, role string
		ok         bool
	}{
		{"siem", natsd.RoleDeclarer, true},
		{"lage-bild_2", natsd.RoleObserver, true},
		{"mowas", natsd.RoleIntake, true},
		{"siem", natsd.RoleObserver, false}, // exists
		{"SIEM", natsd.RoleDeclarer, false},
		{"a.b", natsd.RoleDeclarer, false},
		{"", natsd.RoleDeclarer, false},
		{strings.Repeat("x", 33), natsd.RoleDeclarer, false},
		{"admin", "admin", false},
	} {
		seed := filepath.Join(t.TempDir(), "user.nk")
		_, err := natsd.AddUser(dataDir, tc.name, tc.role, seed, time.Now())
		if (err == nil) != tc.ok {
			t.Errorf("add %q as %q: %v", tc.name, tc.role, err)
		}
		if _, statErr := os.Stat(seed); (statErr == nil) != tc.ok {
			t.Errorf("add %q: seed file left: %v", tc.name, statErr)
		}
		if tc.ok {
			if fi, _ := os.Stat(seed); fi.Mode() != 0o600 {
				t.Errorf("seed mode %v", fi.Mode())
			}
		}
	}
	if fi, err := os.Stat(natsd.UsersFile(dataDir)); err != nil || fi.Mode() != 0o600 {
		t.Fatalf("users file: %v", err)
	}
	if err := natsd.Revoke(dataDir, "nobody"); err == nil {
		t.Fatal("revoked an unknown user")
	}
}

// TestASeedNeverGoesIntoTheDataDirectory: Kaskade keeps only public keys;
// a seed written into the data directory travels with every copy and
// backup of it, readable by whoever reads the store. AddUser refuses such a
// path, also through a symbolic link, and records nothing.
func TestASeedNeverGoesIntoTheDataDirectory(t *testing.T) {
	dataDir := t.TempDir()
	link := filepath.Join(t.TempDir(), "link")
	if err := os.Symlink(dataDir, link); err != nil {
		t.Fatal(err)
	}
	for _, seed := range []string{
		filepath.Join(dataDir, "siem.nk"),
		filepath.Join(dataDir, "nats", "siem.nk"),
		filepath.Join(dataDir, "nats", "..", "siem.nk"),
		filepath.Join(link, "siem.nk"),
	} {
		_, err := natsd.AddUser(dataDir, "siem", natsd.RoleDeclarer, seed, time.Now())
		if err == nil || !strings.Contains(err.Error(), "data directory") {
			t.Errorf("seed %s: err = %v, want a refusal naming the data directory", seed, err)
		}
		if _, statErr := os.Stat(seed); statErr == nil {
			t.Errorf("seed written to %s", seed)
		}
	}
	if users, _ := natsd.ListUsers(dataDir); len(users) != 0 {
		t.Fatalf("users = %+v", users)
	}
	if _, err := natsd.AddUser(dataDir, "siem", natsd.RoleDeclarer, filepath.Join(t.TempDir(), "siem.nk"), time.Now()); err != nil {
		t.Fatalf("a seed outside: %v", err)
	}
}
