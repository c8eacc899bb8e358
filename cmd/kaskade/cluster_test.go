package main

import (
	"fmt"
	"net"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	natsserver "github.com/nats-io/nats-server/v2/server"
	"github.com/nats-io/nkeys"

	"github.com/kaskade-bcm/kaskade/activation"
	"github.com/kaskade-bcm/kaskade/cmd/internal/natsd"
	"github.com/kaskade-bcm/kaskade/cmd/internal/natsd/natstest"
	"github.com/kaskade-bcm/kaskade/cmd/internal/server"
	"github.com/kaskade-bcm/kaskade/config"
	"github.com/kaskade-bcm/kaskade/internal/e2e"
	"github.com/kaskade-bcm/kaskade/notifiers"
)

func freePort(t *testing.T) int {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port
}

// startNATSCluster runs three JetStream nodes with routes on loopback, as
// in production: TLS on the client port, Kaskade's nkey the only user,
// routes authorised. It returns how Kaskade connects.
func startNATSCluster(t *testing.T) ([]*natsserver.Server, natsd.Client) {
	t.Helper()
	ca := natstest.NewCA(t)
	cert, key := ca.Server()
	kp, err := nkeys.CreateUser()
	if err != nil {
		t.Fatal(err)
	}
	seed, _ := kp.Seed()
	pub, _ := kp.PublicKey()
	seedFile := filepath.Join(t.TempDir(), "kaskade.nk")
	if err := os.WriteFile(seedFile, seed, 0o600); err != nil {
		t.Fatal(err)
	}
	const n = 3
	clientPorts, routePorts := make([]int, n), make([]int, n)
	for i := range n {
		clientPorts[i], routePorts[i] = freePort(t), freePort(t)
	}
	var routes []*url.URL
	for _, p := range routePorts {
		routes = append(routes, &url.URL{Scheme: "nats", User: url.UserPassword("route", "route-secret"), Host: fmt.Sprintf("127.0.0.1:%d", p)})
	}
	dir := t.TempDir()
	servers := make([]*natsserver.Server, n)
	var urls []string
	for i := range n {
		tc, err := natsserver.GenTLSConfig(&natsserver.TLSConfigOpts{CertFile: cert, KeyFile: key})
		if err != nil {
			t.Fatal(err)
		}
		opts := &natsserver.Options{
			ServerName: fmt.Sprintf("nats-%d", i), Host: "127.0.0.1", Port: clientPorts[i], JetStream: true,
			StoreDir: filepath.Join(dir, fmt.Sprint(i)), NoSigs: true, NoLog: true, MaxPayload: 8 << 20,
			Cluster: natsserver.ClusterOpts{Name: "kaskade-test", Host: "127.0.0.1", Port: routePorts[i],
				Username: "route", Password: "route-secret"},
			Routes:    routes,
			TLSConfig: tc, TLSTimeout: 2,
			Nkeys: []*natsserver.NkeyUser{{Nkey: pub}},
		}
		ns, err := natsserver.NewServer(opts)
		if err != nil {
			t.Fatal(err)
		}
		go ns.Start()
		servers[i] = ns
		urls = append(urls, fmt.Sprintf("tls://127.0.0.1:%d", clientPorts[i]))
	}
	for _, ns := range servers {
		if !ns.ReadyForConnections(20 * time.Second) {
			t.Fatal("NATS node not ready")
		}
		t.Cleanup(ns.Shutdown)
	}
	waitFor(t, "JetStream meta leader", func() bool {
		for _, ns := range servers {
			if ns.JetStreamIsLeader() {
				return true
			}
		}
		return false
	})
	return servers, natsd.Client{URL: strings.Join(urls, ","), NkeyFile: seedFile, CA: ca.File}
}

func TestClusterFailover(t *testing.T) {
	e2e.Long(t)
	if testing.Short() {
		t.Skip("cluster failover test skipped in -short mode")
	}
	nodes, nc := startNATSCluster(t)
	rec := &recorder{}
	withRecorder := func(o *server.Options) {
		o.Notifiers = map[string]notifiers.Notifier{config.ChannelSMS: rec, config.ChannelEmail: rec}
	}
	a, b := startClusterInstance(t, nc, "kaskade-a", withRecorder), startClusterInstance(t, nc, "kaskade-b", withRecorder)
	leading := func() (*testServer, *testServer) { return leadingOf(t, a, b) }
	// An answer is recorded (200) or durably accepted and applied soon (202).
	respond := func(s *testServer, person string) {
		t.Helper()
		var out map[string]any
		if code := s.api("POST", "/api/v1/incidents/K1/responses", map[string]any{"person": person, "kind": "available"}, &out); code != 200 && code != 202 {
			t.Fatalf("respond %s: %d %v", person, code, out)
		}
	}
	// Declare on the follower: intake and API work on every instance.
	leader, survivor := leading()
	var out map[string]any
	if code := survivor.api("POST", "/api/v1/incidents", map[string]any{"scenario": "hochwasser", "organisations": []string{"MU"},
		"reason": "Pegel Hann. Münden steigt", "exercise": true}, &out); code != 201 {
		t.Fatalf("declare on follower: %d %v", code, out)
	}
	people := primaries(t, survivor.Config, "MU")
	waitWithin(t, clusterSlow, "lead alerted", func() bool { return len(rec.to(people["lead"], notifiers.PurposeAlert)) >= 1 })
	respond(leader, people["lead"])
	waitWithin(t, clusterSlow, "cascade", func() bool { return len(rec.to(people["it"], notifiers.PurposeAlert)) >= 1 })

	// Kill a NATS node and the instance leading at that moment.
	leader, survivor = leading()
	nodes[0].Shutdown()
	killed := time.Now()
	leader.Crash()
	// The lease expires after LeaseTTL; when the dead node led a stream,
	// JetStream's raft election (seconds) comes on top.
	waitWithin(t, 45*time.Second, "survivor takes over", survivor.Engine.Leader)
	t.Logf("take-over after killing the leader and a NATS node: %v", time.Since(killed).Round(time.Millisecond))

	// Answers keep working on the survivor, nothing before the kill is lost.
	for _, f := range []string{"it", "personnel", "facilities", "communication", "protocol"} {
		respond(survivor, people[f])
	}
	var v activation.IncidentView
	waitWithin(t, clusterSlow, "all six answers applied", func() bool {
		v = activation.IncidentView{}
		return survivor.api("GET", "/api/v1/incidents/K1", nil, &v) == 200 && v.Counts.Responses == 6
	})
	if v.Organisations[0].State != activation.Ready {
		t.Fatalf("after failover: state %s, responses %d", v.Organisations[0].State, v.Counts.Responses)
	}
	// Each alert went out once although two dispatchers shared the work.
	for f, p := range people {
		if n := len(rec.to(p, notifiers.PurposeAlert)); n != 1 {
			t.Errorf("%s (%s) alerted %d times", f, p, n)
		}
	}
}

// clusterSlow bounds what a loaded machine running three NATS nodes and two
// instances may take (a raft election, a lease expiry): only what happens is
// asserted, not how fast.
const clusterSlow = 30 * time.Second

// startClusterInstance starts one Kaskade instance on the NATS cluster nc
// with three replicas; mod adjusts its options (notifiers, configuration).
func startClusterInstance(t *testing.T, nc natsd.Client, name string, mod func(*server.Options)) *testServer {
	t.Helper()
	o := server.Options{NATSURL: nc.URL, NATSClient: nc, Replicas: 3, DataDir: t.TempDir(), HTTPAddr: "127.0.0.1:0",
		Instance: name, Logger: testLogger(t)}
	if mod != nil {
		mod(&o)
	}
	s, err := server.Start(t.Context(), o)
	if err != nil {
		t.Fatalf("start %s: %v", name, err)
	}
	t.Cleanup(func() { _ = s.Close() }) // before the NATS nodes stop
	waitWithin(t, clusterSlow, name+" ready", s.Engine.Ready)
	return &testServer{Server: s, t: t, token: s.AdminToken()}
}

// leadingOf waits until exactly one of a and b leads and returns it first.
func leadingOf(t *testing.T, a, b *testServer) (leader, follower *testServer) {
	t.Helper()
	waitWithin(t, clusterSlow, "one leader", func() bool { return a.Engine.Leader() != b.Engine.Leader() })
	if b.Engine.Leader() {
		return b, a
	}
	return a, b
}
