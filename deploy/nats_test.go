package deploy_test

import (
	"bufio"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/nats-io/nats-server/v2/server"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"github.com/nats-io/nkeys"
)

// identity is one nkey of the cluster configuration: its seed file (what
// the holder gets) and the environment variable carrying its public key.
type identity struct {
	env, seedFile, public string
}

// identities creates the nkeys accounts.conf names and puts their public
// keys into the environment, as compose and Kubernetes do.
func identities(t *testing.T) map[string]identity {
	t.Helper()
	dir := t.TempDir()
	ids := map[string]identity{}
	for role, env := range map[string]string{
		"service": "KASKADE_SERVICE_NKEY", "declarer": "DECLARER_LAGEZENTRUM_NKEY",
		"observer": "OBSERVER_LAGEBILD_NKEY", "intake": "INTAKE_MOWAS_NKEY", "sys": "NATS_SYS_NKEY", "stranger": "",
	} {
		kp, err := nkeys.CreateUser()
		if err != nil {
			t.Fatal(err)
		}
		seed, _ := kp.Seed()
		pub, _ := kp.PublicKey()
		file := filepath.Join(dir, role+".nk")
		if err := os.WriteFile(file, seed, 0o600); err != nil {
			t.Fatal(err)
		}
		if env != "" {
			t.Setenv(env, pub)
		}
		ids[role] = identity{env: env, seedFile: file, public: pub}
	}
	return ids
}

// devCerts runs make-dev-ca.sh into a temporary directory: the script is
// tested and the servers get certificates for localhost.
func devCerts(t *testing.T) string {
	t.Helper()
	if _, err := exec.LookPath("openssl"); err != nil {
		if os.Getenv("CI") != "" {
			t.Fatal("openssl is needed for deploy/tls/make-dev-ca.sh")
		}
		t.Skip("no openssl: deploy/tls/make-dev-ca.sh not run (Debian: apt-get install openssl; CI installs it)")
	}
	dir := filepath.Join(t.TempDir(), "tls")
	out, err := exec.Command("sh", "tls/make-dev-ca.sh", dir).CombinedOutput()
	if err != nil {
		t.Fatalf("make-dev-ca.sh: %v\n%s", err, out)
	}
	for _, f := range []string{"ca.pem", "server.pem", "server-key.pem", "client.pem", "client-key.pem"} {
		if _, err := os.Stat(filepath.Join(dir, f)); err != nil {
			t.Fatalf("make-dev-ca.sh: %v", err)
		}
	}
	return dir
}

// natsConfig is a cluster configuration as shipped: the node file and the
// accounts file it includes.
type natsConfig struct {
	name              string
	conf, accounts    string
	serverNameEnv     string
	routeHostSuffixes string
}

func shippedConfigs(t *testing.T) []natsConfig {
	t.Helper()
	read := func(path string) string {
		b, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		return string(b)
	}
	cm := natsConfigMap(t)
	return []natsConfig{
		{name: "nats/nats-cluster.conf", conf: read("nats/nats-cluster.conf"), accounts: read("nats/accounts.conf"),
			serverNameEnv: "NATS_SERVER_NAME", routeHostSuffixes: ""},
		{name: "kubernetes ConfigMap nats-config", conf: cm["nats.conf"], accounts: cm["accounts.conf"],
			serverNameEnv: "POD_NAME", routeHostSuffixes: ".nats.kaskade.svc.cluster.local"},
	}
}

// load writes c to a temporary directory with the certificate paths and
// the store moved there, and parses it with nats-server's own parser.
func (c natsConfig) load(t *testing.T, tlsDir string) *server.Options {
	t.Helper()
	dir := t.TempDir()
	conf := c.conf
	for old, repl := range map[string]string{
		`"/etc/nats/tls/`:  `"` + tlsDir + "/",
		"store_dir: /data": "store_dir: " + `"` + filepath.Join(dir, "store") + `"`,
	} {
		if !strings.Contains(conf, old) {
			t.Fatalf("%s: %q not found (the test substitutes it)", c.name, old)
		}
		conf = strings.ReplaceAll(conf, old, repl)
	}
	for f, text := range map[string]string{"nats.conf": conf, "accounts.conf": c.accounts} {
		if err := os.WriteFile(filepath.Join(dir, f), []byte(text), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	t.Setenv(c.serverNameEnv, "nats-0")
	opts, err := server.ProcessConfigFile(filepath.Join(dir, "nats.conf"))
	if err != nil {
		t.Fatalf("%s: %v", c.name, err)
	}
	return opts
}

var record = []string{"kaskade.input.>", "kaskade.events.>", "$JS.>", "$KV.>", "$O.>", "_KASKADE_INBOX.>"}

func TestNATSConfigAccountsAndPermissions(t *testing.T) {
	tlsDir := devCerts(t)
	ids := identities(t)
	configs := shippedConfigs(t)
	if configs[0].accounts != configs[1].accounts {
		t.Error("accounts.conf in the Kubernetes ConfigMap differs from deploy/nats/accounts.conf")
	}
	want := []struct {
		role, account string
		perms         *server.Permissions
	}{
		{"service", "KASKADE", &server.Permissions{
			Publish:   &server.SubjectPermission{Allow: []string{">"}},
			Subscribe: &server.SubjectPermission{Allow: []string{">"}}}},
		{"declarer", "KASKADE", &server.Permissions{
			Publish:   &server.SubjectPermission{Allow: []string{"kaskade.incidents.declare.lagezentrum"}, Deny: record},
			Subscribe: &server.SubjectPermission{Allow: []string{"_INBOX.>"}, Deny: record}}},
		{"observer", "KASKADE", &server.Permissions{
			Publish:   &server.SubjectPermission{Deny: []string{">"}},
			Subscribe: &server.SubjectPermission{Allow: []string{"kaskade.readiness.>"}, Deny: record}}},
		{"intake", "KASKADE", &server.Permissions{
			Publish:   &server.SubjectPermission{Allow: []string{"kaskade.intake.cap.mowas"}, Deny: record},
			Subscribe: &server.SubjectPermission{Allow: []string{"_INBOX.>"}, Deny: record}}},
		{"sys", "SYS", nil},
	}
	for _, c := range configs {
		t.Run(c.name, func(t *testing.T) {
			opts := c.load(t, tlsDir)
			if opts.NoAuthUser != "" || len(opts.Users) != 0 || opts.Username != "" || opts.Authorization != "" {
				t.Errorf("anonymous or password access configured: no_auth_user %q, users %d", opts.NoAuthUser, len(opts.Users))
			}
			if opts.SystemAccount != "SYS" {
				t.Errorf("system_account = %q, want SYS", opts.SystemAccount)
			}
			if len(opts.Nkeys) != len(want) {
				t.Errorf("%d nkey users, want %d", len(opts.Nkeys), len(want))
			}
			for _, w := range want {
				u := nkeyUser(opts, ids[w.role].public)
				switch {
				case u == nil:
					t.Errorf("%s: no user with its nkey", w.role)
				case u.Account == nil || u.Account.Name != w.account:
					t.Errorf("%s: account %v, want %s", w.role, u.Account, w.account)
				case !samePermissions(u.Permissions, w.perms):
					t.Errorf("%s: permissions %s, want %s", w.role, permString(u.Permissions), permString(w.perms))
				}
			}
			checkTLSAndRoutes(t, opts, c.routeHostSuffixes)
			if !opts.JetStream || opts.JetStreamMaxMemory <= 0 {
				t.Errorf("jetstream %v, max memory %d: the engine lease needs memory storage", opts.JetStream, opts.JetStreamMaxMemory)
			}
		})
	}
}

func checkTLSAndRoutes(t *testing.T, opts *server.Options, suffix string) {
	t.Helper()
	if opts.TLSConfig == nil {
		t.Error("client port without TLS")
	}
	if opts.Cluster.TLSConfig == nil || !opts.Cluster.TLSCheckKnownURLs {
		t.Error("routes without mutual TLS checking the route host names")
	}
	if opts.Cluster.Name != "kaskade" || !opts.Cluster.NoAdvertise {
		t.Errorf("cluster name %q, no_advertise %v", opts.Cluster.Name, opts.Cluster.NoAdvertise)
	}
	var hosts []string
	for _, r := range opts.Routes {
		hosts = append(hosts, r.Hostname())
	}
	wantHosts := []string{"nats-0" + suffix, "nats-1" + suffix, "nats-2" + suffix}
	if !slices.Equal(hosts, wantHosts) {
		t.Errorf("routes %v, want %v (the certificate names them)", hosts, wantHosts)
	}
}

func nkeyUser(opts *server.Options, public string) *server.NkeyUser {
	for _, u := range opts.Nkeys {
		if u.Nkey == public {
			return u
		}
	}
	return nil
}

func samePermissions(a, b *server.Permissions) bool {
	return permString(a) == permString(b)
}

func permString(p *server.Permissions) string {
	if p == nil {
		return "all"
	}
	side := func(s *server.SubjectPermission) string {
		if s == nil {
			return "-"
		}
		return "allow " + strings.Join(s.Allow, ",") + " deny " + strings.Join(s.Deny, ",")
	}
	return "publish: " + side(p.Publish) + "; subscribe: " + side(p.Subscribe)
}

// startNode starts one node from the shipped configuration on loopback
// (random client port, no routes, no monitoring listener).
func startNode(t *testing.T, opts *server.Options) string {
	t.Helper()
	opts.Host, opts.Port, opts.HTTPPort = "127.0.0.1", server.RANDOM_PORT, 0
	opts.Cluster, opts.Routes = server.ClusterOpts{}, nil
	opts.NoSigs, opts.NoLog = true, true
	ns, err := server.NewServer(opts)
	if err != nil {
		t.Fatal(err)
	}
	go ns.Start()
	t.Cleanup(func() { ns.Shutdown(); ns.WaitForShutdown() })
	if !ns.ReadyForConnections(10 * time.Second) {
		t.Fatal("nats-server did not start from the shipped configuration")
	}
	return fmt.Sprintf("tls://localhost:%d", ns.Addr().(*net.TCPAddr).Port)
}

// client connects with the dev CA; its asynchronous errors (permission
// violations) arrive on the returned channel.
func client(t *testing.T, url, ca string, opts ...nats.Option) (*nats.Conn, chan error, error) {
	t.Helper()
	errs := make(chan error, 16)
	all := append([]nats.Option{nats.RootCAs(ca), nats.NoReconnect(),
		nats.ErrorHandler(func(_ *nats.Conn, _ *nats.Subscription, err error) { errs <- err })}, opts...)
	nc, err := nats.Connect(url, all...)
	if err == nil {
		t.Cleanup(nc.Close)
	}
	return nc, errs, err
}

func nkeyOpt(t *testing.T, id identity) nats.Option {
	t.Helper()
	o, err := nats.NkeyOptionFromSeed(id.seedFile)
	if err != nil {
		t.Fatal(err)
	}
	return o
}

// TestNATSConfigServes starts a node from deploy/nats and tries, as each
// identity, what issue 14's attacker tried: only what the role allows works.
func TestNATSConfigServes(t *testing.T) {
	tlsDir := devCerts(t)
	ids := identities(t)
	ca := filepath.Join(tlsDir, "ca.pem")
	url := startNode(t, shippedConfigs(t)[0].load(t, tlsDir))

	refused := []struct {
		name string
		url  string
		opts []nats.Option
	}{
		{"anonymous", url, nil},
		{"unknown nkey", url, []nats.Option{nkeyOpt(t, ids["stranger"])}},
	}
	for _, c := range refused {
		if _, _, err := client(t, c.url, ca, c.opts...); !errors.Is(err, nats.ErrAuthorization) {
			t.Errorf("%s: %v, want an authorization violation", c.name, err)
		}
	}
	checkGreeting(t, strings.TrimPrefix(url, "tls://"))

	svc, _, err := client(t, url, ca, nkeyOpt(t, ids["service"]))
	if err != nil {
		t.Fatalf("service: %v", err)
	}
	js, err := jetstream.New(svc)
	if err != nil {
		t.Fatal(err)
	}
	ctx := t.Context()
	if _, err := js.CreateStream(ctx, jetstream.StreamConfig{Name: "KASKADE_EVENTS", Subjects: []string{"kaskade.events.>"},
		DenyDelete: true, DenyPurge: true}); err != nil {
		t.Fatalf("service: JetStream in account KASKADE: %v", err)
	}
	if _, err := js.Publish(ctx, "kaskade.events.K1.declared", []byte(`{"v":1}`)); err != nil {
		t.Fatal(err)
	}
	if _, err := svc.Subscribe("kaskade.incidents.declare.*", func(m *nats.Msg) { _ = m.Respond([]byte(`{"incident_id":"K2"}`)) }); err != nil {
		t.Fatal(err)
	}
	if err := svc.Flush(); err != nil {
		t.Fatal(err)
	}

	decl, declErrs, err := client(t, url, ca, nkeyOpt(t, ids["declarer"]))
	if err != nil {
		t.Fatalf("declarer: %v", err)
	}
	if m, err := decl.Request("kaskade.incidents.declare.lagezentrum", []byte(`{}`), 5*time.Second); err != nil || !strings.Contains(string(m.Data), "K2") {
		t.Errorf("declarer: request on its own subject: %v", err)
	}
	obs, obsErrs, err := client(t, url, ca, nkeyOpt(t, ids["observer"]))
	if err != nil {
		t.Fatalf("observer: %v", err)
	}
	feed, err := obs.SubscribeSync("kaskade.readiness.>")
	if err != nil {
		t.Fatal(err)
	}
	if err := obs.Flush(); err != nil {
		t.Fatal(err)
	}
	if err := svc.Publish("kaskade.readiness.K1.MI", []byte(`{"state":"forming"}`)); err != nil {
		t.Fatal(err)
	}
	if _, err := feed.NextMsg(5 * time.Second); err != nil {
		t.Errorf("observer: readiness feed: %v", err)
	}

	pub := func(nc *nats.Conn, subject string) func() error {
		return func() error { return nc.Publish(subject, []byte(`{"v":1}`)) }
	}
	sub := func(nc *nats.Conn, subject string) func() error {
		return func() error { _, err := nc.SubscribeSync(subject); return err }
	}
	denied := []struct {
		who    string
		nc     *nats.Conn
		errs   chan error
		action func() error
		what   string
	}{
		{"declarer", decl, declErrs, pub(decl, "kaskade.input.K1.response"), "kaskade.input.K1.response"},
		{"declarer", decl, declErrs, pub(decl, "kaskade.input.K1.stand_down"), "kaskade.input.K1.stand_down"},
		{"declarer", decl, declErrs, pub(decl, "kaskade.events.K2.x"), "kaskade.events.K2.x"},
		{"declarer", decl, declErrs, pub(decl, "kaskade.incidents.declare"), "kaskade.incidents.declare"},
		{"declarer", decl, declErrs, pub(decl, "kaskade.incidents.declare.other"), "kaskade.incidents.declare.other"},
		{"declarer", decl, declErrs, pub(decl, "$JS.API.STREAM.DELETE.KASKADE_EVENTS"), "$JS.API.STREAM.DELETE.KASKADE_EVENTS"},
		{"declarer", decl, declErrs, sub(decl, ">"), ">"},
		{"declarer", decl, declErrs, sub(decl, "kaskade.events.>"), "kaskade.events.>"},
		{"declarer", decl, declErrs, sub(decl, "_KASKADE_INBOX.>"), "_KASKADE_INBOX.>"},
		{"observer", obs, obsErrs, pub(obs, "kaskade.readiness.K1.MI"), "kaskade.readiness.K1.MI"},
		{"observer", obs, obsErrs, pub(obs, "kaskade.incidents.declare.lagezentrum"), "kaskade.incidents.declare.lagezentrum"},
		{"observer", obs, obsErrs, sub(obs, "kaskade.events.>"), "kaskade.events.>"},
		{"observer", obs, obsErrs, sub(obs, "_INBOX.>"), "_INBOX.>"},
	}
	for _, d := range denied {
		if err := d.action(); err != nil {
			t.Fatalf("%s %s: %v", d.who, d.what, err)
		}
		_ = d.nc.Flush()
		select {
		case err := <-d.errs:
			if !errors.Is(err, nats.ErrPermissionViolation) || !strings.Contains(err.Error(), d.what) {
				t.Errorf("%s %s: %v, want a permissions violation for it", d.who, d.what, err)
			}
		case <-time.After(5 * time.Second):
			t.Errorf("%s %s: allowed", d.who, d.what)
		}
	}

	info, err := js.Stream(ctx, "KASKADE_EVENTS")
	if err != nil {
		t.Fatalf("the event stream is gone: %v", err)
	}
	if n := info.CachedInfo().State.Msgs; n != 1 {
		t.Errorf("event stream holds %d messages, want the service's 1", n)
	}
	if err := info.Purge(ctx); err == nil {
		t.Error("the service could purge the event stream (DenyPurge)")
	}
}

// checkGreeting reads the server's INFO in plain text: before anything else
// a client must start TLS and authenticate.
func checkGreeting(t *testing.T, addr string) {
	t.Helper()
	conn, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	line, err := bufio.NewReader(conn).ReadString('\n')
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{`"tls_required":true`, `"auth_required":true`} {
		if !strings.Contains(line, want) {
			t.Errorf("server greeting %q lacks %s", line, want)
		}
	}
}

// TestNATSRouteAuthorisation: the route port of a node started from
// deploy/nats takes only TLS peers whose certificate names a route host;
// Kaskade's client certificate, signed by the same CA, is no route.
func TestNATSRouteAuthorisation(t *testing.T) {
	tlsDir := devCerts(t)
	identities(t)
	// The shipped cluster block, on loopback, its routes naming localhost as
	// the certificate does (nothing listens on port 1: no peer is needed).
	opts := shippedConfigs(t)[0].load(t, tlsDir)
	opts.JetStream = false
	opts.Host, opts.Port, opts.HTTPPort, opts.NoSigs, opts.NoLog = "127.0.0.1", server.RANDOM_PORT, 0, true, true
	opts.Cluster.Host, opts.Cluster.Port = "127.0.0.1", server.RANDOM_PORT
	opts.Routes = server.RoutesFromStr("nats://localhost:1")
	ns, err := server.NewServer(opts)
	if err != nil {
		t.Fatal(err)
	}
	go ns.Start()
	t.Cleanup(func() { ns.Shutdown(); ns.WaitForShutdown() })
	if !ns.ReadyForConnections(10 * time.Second) {
		t.Fatal("node did not start")
	}
	addr := ns.ClusterAddr().String()
	for _, c := range []struct {
		cert string
		want string
	}{
		{"server", "PONG"},
		{"client", "Authorization Violation"},
	} {
		if got := routeHandshake(t, addr, tlsDir, c.cert); !strings.Contains(got, c.want) {
			t.Errorf("route with the %s certificate: %q, want %q", c.cert, got, c.want)
		}
	}
}

// routeHandshake connects to a route port with the named certificate, says
// CONNECT and PING as a route would, and returns the answer line.
func routeHandshake(t *testing.T, addr, tlsDir, cert string) string {
	t.Helper()
	pair, err := tls.LoadX509KeyPair(filepath.Join(tlsDir, cert+".pem"), filepath.Join(tlsDir, cert+"-key.pem"))
	if err != nil {
		t.Fatal(err)
	}
	pool := x509.NewCertPool()
	caPEM, err := os.ReadFile(filepath.Join(tlsDir, "ca.pem"))
	if err != nil || !pool.AppendCertsFromPEM(caPEM) {
		t.Fatalf("ca.pem: %v", err)
	}
	conn, err := tls.Dial("tcp", addr, &tls.Config{Certificates: []tls.Certificate{pair}, RootCAs: pool, ServerName: "localhost"})
	if err != nil {
		return "handshake: " + err.Error()
	}
	defer conn.Close()
	_ = conn.SetDeadline(time.Now().Add(10 * time.Second))
	r := bufio.NewReader(conn)
	if _, err := fmt.Fprintf(conn, "CONNECT {\"verbose\":false,\"pedantic\":false,\"tls_required\":true,\"name\":\"NPEER\",\"cluster\":\"kaskade\",\"headers\":true}\r\nPING\r\n"); err != nil {
		return "write: " + err.Error()
	}
	for {
		line, err := r.ReadString('\n')
		if err != nil {
			return "read: " + err.Error()
		}
		if strings.HasPrefix(line, "PONG") || strings.HasPrefix(line, "-ERR") {
			return line
		}
	}
}
