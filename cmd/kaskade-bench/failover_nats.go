package main

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/hex"
	"encoding/json"
	"encoding/pem"
	"flag"
	"fmt"
	"io"
	"math/big"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	natsserver "github.com/nats-io/nats-server/v2/server"
	"github.com/nats-io/nkeys"
)

// routeSecretEnv carries the route password to the node processes.
const routeSecretEnv = "KASKADE_BENCH_ROUTE_SECRET"

// natsNodeCmd is `kaskade-bench nats-node`: one JetStream node of the
// failover phase's cluster, a process of its own so that it can be killed
// with SIGKILL. TLS on the client port, one nkey user, routes authorised.
func natsNodeCmd(ctx context.Context, args []string, stderr io.Writer) error {
	fs := flag.NewFlagSet("nats-node", flag.ContinueOnError)
	fs.SetOutput(stderr)
	name := fs.String("name", "nats-0", "server name")
	port := fs.Int("port", 0, "client port (loopback)")
	clusterPort := fs.Int("cluster-port", 0, "route port (loopback)")
	monitorPort := fs.Int("monitor-port", 0, "HTTP monitoring port (loopback; /connz, /healthz)")
	routes := fs.String("routes", "", "comma-separated route ports of all nodes")
	store := fs.String("store", "", "JetStream store directory")
	cert := fs.String("tls-cert", "", "server certificate file")
	key := fs.String("tls-key", "", "server key file")
	user := fs.String("nkey", "", "public nkey of the only user")
	if err := fs.Parse(args); err != nil {
		return usageError{err.Error()}
	}
	if *port == 0 || *clusterPort == 0 || *store == "" || *cert == "" || *user == "" {
		return usageError{"nats-node needs --port, --cluster-port, --store, --tls-cert, --tls-key and --nkey (the failover phase starts it)"}
	}
	secret := os.Getenv(routeSecretEnv)
	var rs []*url.URL
	for p := range strings.SplitSeq(*routes, ",") {
		rs = append(rs, &url.URL{Scheme: "nats", User: url.UserPassword("route", secret), Host: "127.0.0.1:" + p})
	}
	tc, err := natsserver.GenTLSConfig(&natsserver.TLSConfigOpts{CertFile: *cert, KeyFile: *key})
	if err != nil {
		return err
	}
	ns, err := natsserver.NewServer(&natsserver.Options{
		ServerName: *name, Host: "127.0.0.1", Port: *port, HTTPHost: "127.0.0.1", HTTPPort: *monitorPort,
		JetStream: true, StoreDir: *store, NoSigs: true, NoLog: true, MaxPayload: 8 << 20,
		Cluster: natsserver.ClusterOpts{Name: "kaskade-bench", Host: "127.0.0.1", Port: *clusterPort, Username: "route", Password: secret},
		Routes:  rs, TLSConfig: tc, TLSTimeout: 2,
		Nkeys: []*natsserver.NkeyUser{{Nkey: *user}},
	})
	if err != nil {
		return err
	}
	go ns.Start()
	if !ns.ReadyForConnections(30 * time.Second) {
		return fmt.Errorf("nats-node %s: not ready", *name)
	}
	<-ctx.Done()
	ns.Shutdown()
	return nil
}

// natsCluster is the failover phase's three node processes and how Kaskade
// connects to them.
type natsCluster struct {
	nodes    []*exec.Cmd
	names    []string
	monitors []string // http://127.0.0.1:port of each node
	urls     []string // tls://127.0.0.1:port of each node
	nkeyFile string   // Kaskade's seed
	caFile   string
}

// startNATSCluster starts three nodes of this executable (nats-node) under dir.
func startNATSCluster(ctx context.Context, dir string) (*natsCluster, error) {
	c := &natsCluster{}
	cert, key, ca, err := writeTestPKI(dir)
	if err != nil {
		return nil, err
	}
	c.caFile = ca
	kp, err := nkeys.CreateUser()
	if err != nil {
		return nil, err
	}
	seed, _ := kp.Seed()
	pub, _ := kp.PublicKey()
	c.nkeyFile = filepath.Join(dir, "kaskade.nk")
	if err := os.WriteFile(c.nkeyFile, seed, 0o600); err != nil {
		return nil, err
	}
	self, err := os.Executable()
	if err != nil {
		return nil, err
	}
	secret := make([]byte, 16)
	_, _ = rand.Read(secret)
	const n = 3
	ports, err := freePorts(3 * n)
	if err != nil {
		return nil, err
	}
	routes := fmt.Sprintf("%d,%d,%d", ports[n], ports[n+1], ports[n+2])
	for i := range n {
		name := fmt.Sprintf("nats-%d", i)
		logf, err := os.Create(filepath.Join(dir, name+".log"))
		if err != nil {
			c.kill()
			return nil, err
		}
		cmd := exec.Command(self, "nats-node", "--name", name, "--port", fmt.Sprint(ports[i]), "--cluster-port", fmt.Sprint(ports[n+i]),
			"--monitor-port", fmt.Sprint(ports[2*n+i]), "--routes", routes, "--store", filepath.Join(dir, name),
			"--tls-cert", cert, "--tls-key", key, "--nkey", pub)
		cmd.Env = append(os.Environ(), routeSecretEnv+"="+hex.EncodeToString(secret))
		cmd.Stdout, cmd.Stderr = logf, logf
		cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL} // not left behind by a dying bench
		err = cmd.Start()
		logf.Close()
		if err != nil {
			c.kill()
			return nil, err
		}
		c.nodes, c.names = append(c.nodes, cmd), append(c.names, name)
		c.monitors = append(c.monitors, fmt.Sprintf("http://127.0.0.1:%d", ports[2*n+i]))
		c.urls = append(c.urls, fmt.Sprintf("tls://127.0.0.1:%d", ports[i]))
	}
	// /healthz answers 200 once JetStream is up and the node is current.
	cl := &http.Client{Timeout: time.Second}
	for _, m := range c.monitors {
		if err := waitUntil(ctx, 60*time.Second, func() bool { return httpOK(cl, m+"/healthz") }); err != nil {
			c.kill()
			return nil, fmt.Errorf("failover: NATS node %s not healthy: %w (see %s)", m, err, dir)
		}
	}
	return c, nil
}

// URL is the comma-separated client URL list for --nats-url.
func (c *natsCluster) URL() string { return strings.Join(c.urls, ",") }

// killNode kills node i with SIGKILL.
func (c *natsCluster) killNode(i int) {
	_ = c.nodes[i].Process.Signal(syscall.SIGKILL)
	_ = c.nodes[i].Wait()
}

// kill ends every node still running.
func (c *natsCluster) kill() {
	for _, cmd := range c.nodes {
		if cmd.ProcessState == nil {
			_ = cmd.Process.Signal(syscall.SIGKILL)
			_ = cmd.Wait()
		}
	}
}

// nodeOf returns the index of the node a client named name is connected
// to (its nats.Name), or -1.
func (c *natsCluster) nodeOf(name string) int {
	cl := &http.Client{Timeout: 2 * time.Second}
	for i, m := range c.monitors {
		resp, err := cl.Get(m + "/connz?limit=1024")
		if err != nil {
			continue
		}
		var cz natsserver.Connz
		err = json.NewDecoder(resp.Body).Decode(&cz)
		resp.Body.Close()
		if err != nil {
			continue
		}
		for _, ci := range cz.Conns {
			if ci.Name == name {
				return i
			}
		}
	}
	return -1
}

func httpOK(cl *http.Client, u string) bool {
	resp, err := cl.Get(u)
	if err != nil {
		return false
	}
	resp.Body.Close()
	return resp.StatusCode == http.StatusOK
}

// freePorts returns n loopback ports free at the moment.
func freePorts(n int) ([]int, error) {
	var lns []net.Listener
	defer func() {
		for _, ln := range lns {
			ln.Close()
		}
	}()
	ports := make([]int, n)
	for i := range ports {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			return nil, err
		}
		lns = append(lns, ln)
		ports[i] = ln.Addr().(*net.TCPAddr).Port
	}
	return ports, nil
}

// writeTestPKI writes a throw-away CA and a server certificate for
// 127.0.0.1 into dir, valid for a day.
func writeTestPKI(dir string) (certFile, keyFile, caFile string, err error) {
	caKey, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return "", "", "", err
	}
	now := time.Now()
	caTmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "kaskade-bench CA"},
		NotBefore: now.Add(-time.Minute), NotAfter: now.Add(24 * time.Hour),
		IsCA: true, BasicConstraintsValid: true, KeyUsage: x509.KeyUsageCertSign}
	caDER, err := x509.CreateCertificate(rand.Reader, caTmpl, caTmpl, &caKey.PublicKey, caKey)
	if err != nil {
		return "", "", "", err
	}
	caCert, _ := x509.ParseCertificate(caDER)
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return "", "", "", err
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(2), Subject: pkix.Name{CommonName: "nats"},
		NotBefore: now.Add(-time.Minute), NotAfter: now.Add(24 * time.Hour),
		KeyUsage: x509.KeyUsageDigitalSignature, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		DNSNames: []string{"localhost"}, IPAddresses: []net.IP{net.IPv4(127, 0, 0, 1)}}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, caCert, &key.PublicKey, caKey)
	if err != nil {
		return "", "", "", err
	}
	kder, err := x509.MarshalECPrivateKey(key)
	if err != nil {
		return "", "", "", err
	}
	caFile, certFile, keyFile = filepath.Join(dir, "ca.pem"), filepath.Join(dir, "nats.pem"), filepath.Join(dir, "nats-key.pem")
	for _, f := range []struct {
		path, typ string
		der       []byte
	}{{caFile, "CERTIFICATE", caDER}, {certFile, "CERTIFICATE", der}, {keyFile, "EC PRIVATE KEY", kder}} {
		if err := os.WriteFile(f.path, pem.EncodeToMemory(&pem.Block{Type: f.typ, Bytes: f.der}), 0o600); err != nil {
			return "", "", "", err
		}
	}
	return certFile, keyFile, caFile, nil
}
