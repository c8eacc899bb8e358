package natsd_test

import (
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/nats-io/nats-server/v2/server"

	"github.com/kaskade-bcm/kaskade/cmd/internal/natsd"
	"github.com/kaskade-bcm/kaskade/cmd/internal/natsd/natstest"
)

func TestRedact(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"nats://127.0.0.1:4222", "nats://127.0.0.1:4222"},
		{"nats://kaskade:s3cret@nats-0:4222", "nats://redacted@nats-0:4222"},
		{"tls://token@nats-0:4222,nats://u:p%40ss@nats-1:4222", "tls://redacted@nats-0:4222,nats://redacted@nats-1:4222"},
		{`parse "nats://u:s3cret@host:x": invalid port`, `parse "nats://redacted@host:x": invalid port`},
		{"", ""},
	} {
		if got := natsd.Redact(tc.in); got != tc.want {
			t.Errorf("Redact(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}

func TestAPasswordInTheURLNeverAppearsInErrors(t *testing.T) {
	const password = "s3cret-Pw"
	ns := startPasswordServer(t, "kaskade", password)
	for _, tc := range []struct {
		name, url string
		ok        bool
	}{
		{"right password", fmt.Sprintf("nats://kaskade:%s@%s", password, ns.Addr()), true},
		{"wrong user", fmt.Sprintf("nats://other:%s@%s", password, ns.Addr()), false},
		{"bad port", fmt.Sprintf("nats://kaskade:%s@127.0.0.1:notaport", password), false},
		{"nobody listening", fmt.Sprintf("nats://kaskade:%s@%s", password, closedAddr(t)), false},
		{"escaped", "nats://kaskade:s3cret%2DPw@127.0.0.1:notaport", false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			nc, err := natsd.Client{URL: tc.url}.Connect()
			if (err == nil) != tc.ok {
				t.Fatalf("connect: %v", err)
			}
			if err != nil && strings.Contains(err.Error(), password) {
				t.Fatalf("error carries the password: %v", err)
			}
			if nc != nil {
				nc.Close()
			}
		})
	}
}

func TestTheExternalClientOptions(t *testing.T) {
	const password = "pw-from-file"
	ns := startPasswordServer(t, "kaskade", password)
	pwFile := filepath.Join(t.TempDir(), "pw")
	if err := os.WriteFile(pwFile, []byte(password+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	url := "nats://" + ns.Addr().String()
	t.Setenv(natsd.PasswordEnv, password)
	for _, tc := range []struct {
		name  string
		c     natsd.Client
		ok    bool
		usage bool
	}{
		{"password file", natsd.Client{URL: url, User: "kaskade", PasswordFile: pwFile}, true, false},
		{"password from the environment", natsd.Client{URL: url, User: "kaskade"}, true, false},
		{"no credentials", natsd.Client{URL: url}, false, false},
		{"two kinds of credentials", natsd.Client{URL: url, User: "kaskade", NkeyFile: pwFile}, false, true},
		{"certificate without key", natsd.Client{URL: url, Cert: pwFile}, false, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			nc, err := tc.c.Connect()
			if (err == nil) != tc.ok {
				t.Fatalf("connect: %v", err)
			}
			if _, isUsage := err.(natsd.UsageError); isUsage != tc.usage {
				t.Fatalf("err = %v; usage error: %v", err, isUsage)
			}
			if nc != nil {
				nc.Close()
			}
		})
	}
}

func TestMutualTLSToAnExternalServer(t *testing.T) {
	ca := natstest.NewCA(t)
	cert, key := ca.Server()
	tc, err := server.GenTLSConfig(&server.TLSConfigOpts{CertFile: cert, KeyFile: key, CaFile: ca.File, Verify: true})
	if err != nil {
		t.Fatal(err)
	}
	ns := startServer(t, &server.Options{TLSConfig: tc, TLSVerify: true, TLSTimeout: 2})
	clientCert, clientKey := ca.Client()
	nc, err := natsd.Client{URL: "tls://" + ns.Addr().String(), CA: ca.File, Cert: clientCert, Key: clientKey}.Connect()
	if err != nil {
		t.Fatal(err)
	}
	nc.Close()
	if nc, err := (natsd.Client{URL: "tls://" + ns.Addr().String(), CA: ca.File}).Connect(); err == nil {
		nc.Close()
		t.Fatal("connected without a client certificate")
	}
}

func startPasswordServer(t *testing.T, user, password string) *server.Server {
	return startServer(t, &server.Options{Users: []*server.User{{Username: user, Password: password}}})
}

func startServer(t *testing.T, o *server.Options) *server.Server {
	t.Helper()
	o.Host, o.Port, o.NoSigs = "127.0.0.1", server.RANDOM_PORT, true
	ns, err := server.NewServer(o)
	if err != nil {
		t.Fatal(err)
	}
	go ns.Start()
	if !ns.ReadyForConnections(10 * time.Second) {
		t.Fatal("nats-server not ready")
	}
	t.Cleanup(ns.Shutdown)
	return ns
}

func closedAddr(t *testing.T) string {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	return addr
}

// TestAnIdentityWithoutTheJetStreamAPIIsNamedAtOnce: an external cluster's
// user for Kaskade without $JS.API (a mistake in accounts.conf) made serve
// retry the streams for over a minute, with raw "permissions violation"
// lines on stderr and at last "context canceled". Connect names it.
func TestAnIdentityWithoutTheJetStreamAPIIsNamedAtOnce(t *testing.T) {
	ns := startServer(t, &server.Options{JetStream: true, StoreDir: t.TempDir(), Users: []*server.User{
		{Username: "kaskade", Password: "pw", Permissions: &server.Permissions{
			Publish: &server.SubjectPermission{Allow: []string{"kaskade.>"}}}},
		{Username: "full", Password: "pw"},
	}})
	url := "nats://" + ns.Addr().String()
	t.Setenv(natsd.PasswordEnv, "pw")
	start := time.Now()
	nc, err := natsd.Client{URL: url, User: "kaskade"}.Connect()
	if err == nil {
		nc.Close()
		t.Fatal("connected as an identity that may not reach the JetStream API")
	}
	if !strings.Contains(err.Error(), "JetStream API") || !strings.Contains(err.Error(), "accounts.conf") {
		t.Fatalf("err = %v; want it to name the JetStream API and accounts.conf", err)
	}
	if took := time.Since(start); took > 10*time.Second {
		t.Fatalf("took %v", took)
	}
	if nc, err = (natsd.Client{URL: url, User: "full"}).Connect(); err != nil {
		t.Fatalf("a full identity: %v", err)
	}
	nc.Close()
}
