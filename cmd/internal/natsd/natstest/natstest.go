// Package natstest makes what tests of Kaskade's NATS trust need: a
// throw-away certificate authority with server and client certificates
// for loopback, written to the test's temporary directory.
package natstest

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"math/big"
	"net"
	"os"
	"path/filepath"
	"testing"
	"time"
)

// CA is a certificate authority for one test.
type CA struct {
	File string // the CA certificate (PEM)
	t    testing.TB
	cert *x509.Certificate
	key  *ecdsa.PrivateKey
	n    int64
}

// validity is how long the CA and its certificates last: beyond the two
// weeks within which the embedded server warns of an expiring certificate.
const validity = 30 * 24 * time.Hour

// NewCA creates a CA valid for 30 days.
func NewCA(t testing.TB) *CA {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "kaskade test CA"},
		NotBefore: time.Now().Add(-time.Minute), NotAfter: time.Now().Add(validity),
		IsCA: true, BasicConstraintsValid: true, KeyUsage: x509.KeyUsageCertSign}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	cert, _ := x509.ParseCertificate(der)
	ca := &CA{t: t, cert: cert, key: key, n: 1}
	ca.File = write(t, "ca.pem", "CERTIFICATE", der)
	return ca
}

// Server issues a certificate for 127.0.0.1 and localhost; it returns the
// certificate and key files.
func (ca *CA) Server() (certFile, keyFile string) {
	return ca.issue("server", x509.ExtKeyUsageServerAuth, time.Now().Add(validity))
}

// ServerUntil is Server with a certificate valid until notAfter (in the
// past: expired).
func (ca *CA) ServerUntil(notAfter time.Time) (certFile, keyFile string) {
	return ca.issue("server", x509.ExtKeyUsageServerAuth, notAfter)
}

// Client issues a client certificate.
func (ca *CA) Client() (certFile, keyFile string) {
	return ca.issue("client", x509.ExtKeyUsageClientAuth, time.Now().Add(validity))
}

func (ca *CA) issue(name string, usage x509.ExtKeyUsage, notAfter time.Time) (string, string) {
	t := ca.t
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	ca.n++
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(ca.n), Subject: pkix.Name{CommonName: name},
		NotBefore: notAfter.Add(-90 * 24 * time.Hour), NotAfter: notAfter,
		KeyUsage: x509.KeyUsageDigitalSignature, ExtKeyUsage: []x509.ExtKeyUsage{usage},
		DNSNames: []string{"localhost"}, IPAddresses: []net.IP{net.IPv4(127, 0, 0, 1)}}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, ca.cert, &key.PublicKey, ca.key)
	if err != nil {
		t.Fatal(err)
	}
	kder, err := x509.MarshalECPrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	return write(t, name+"-"+big.NewInt(ca.n).String()+".pem", "CERTIFICATE", der),
		write(t, name+"-"+big.NewInt(ca.n).String()+"-key.pem", "EC PRIVATE KEY", kder)
}

func write(t testing.TB, name, kind string, der []byte) string {
	path := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(path, pem.EncodeToMemory(&pem.Block{Type: kind, Bytes: der}), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}
