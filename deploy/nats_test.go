package deploy_test

import (
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/nats-io/nats-server/v2/server"
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
		"observer": "OBSERVER_LAGEBILD_NKEY", "sys": "NATS_SYS_NKEY", "stranger": "",
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
		t.Skip("no openssl: deploy/tls/make-dev-ca.sh not run")
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
		`"/etc/nats/tls/`: `"` + tlsDir + "/",
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
