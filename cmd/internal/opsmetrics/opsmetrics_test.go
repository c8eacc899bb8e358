package opsmetrics_test

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/base64"
	"encoding/pem"
	"fmt"
	"math/big"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/kaskade-bcm/kaskade/activation"
	"github.com/kaskade-bcm/kaskade/activation/engine"
	"github.com/kaskade-bcm/kaskade/activation/engine/enginetest"
	"github.com/kaskade-bcm/kaskade/cmd/internal/opsmetrics"
)

type fakeEngine struct {
	leader    bool
	incidents []activation.IncidentView
}

func (f fakeEngine) Leader() bool                         { return f.leader }
func (f fakeEngine) Ready() bool                          { return true }
func (f fakeEngine) Incidents() []activation.IncidentView { return f.incidents }

func TestEngineAndReadinessGauges(t *testing.T) {
	eng := fakeEngine{leader: true, incidents: []activation.IncidentView{
		{ID: "K2", Exercise: true, Status: "open", Organisations: []activation.OrgReadiness{
			{Org: "MI", State: activation.AtRisk}, {Org: "MF", State: activation.Ready}}},
		{ID: "K1", Status: "stood_down", Organisations: []activation.OrgReadiness{{Org: "MI", State: activation.Ready}}},
	}}
	reg := prometheus.NewPedanticRegistry()
	if err := opsmetrics.Register(reg, opsmetrics.Options{Engine: eng, Connected: func() bool { return false }}); err != nil {
		t.Fatal(err)
	}
	want := `
# HELP kaskade_engine_leader 1 while this instance leads the engine (decides inputs and fires escalations).
# TYPE kaskade_engine_leader gauge
kaskade_engine_leader 1
# HELP kaskade_incidents_open Incidents declared and not stood down.
# TYPE kaskade_incidents_open gauge
kaskade_incidents_open{exercise="false"} 0
kaskade_incidents_open{exercise="true"} 1
# HELP kaskade_nats_connected 1 while the connection to NATS is up.
# TYPE kaskade_nats_connected gauge
kaskade_nats_connected 0
# HELP kaskade_organisation_readiness 1 for the current readiness state of each organisation of each open incident.
# TYPE kaskade_organisation_readiness gauge
kaskade_organisation_readiness{exercise="true",incident="K2",org="MF",state="ready"} 1
kaskade_organisation_readiness{exercise="true",incident="K2",org="MI",state="at_risk"} 1
`
	if err := testutil.GatherAndCompare(reg, strings.NewReader(want), opsmetrics.EngineLeader, opsmetrics.IncidentsOpen,
		opsmetrics.NATSConnected, opsmetrics.OrgReadiness); err != nil {
		t.Fatal(err)
	}
}

func TestBacklogsFromJetStream(t *testing.T) {
	_, js := enginetest.JetStream(t)
	layout := engine.Layout{}
	if err := layout.Ensure(t.Context(), js); err != nil {
		t.Fatal(err)
	}
	for i := range 3 {
		if _, err := js.Publish(t.Context(), layout.InputSubject("K1", "response"), fmt.Appendf(nil, `{"n":%d}`, i)); err != nil {
			t.Fatal(err)
		}
	}
	s, err := js.Stream(t.Context(), layout.InputStream())
	if err != nil {
		t.Fatal(err)
	}
	info, err := s.Info(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	now := info.State.FirstTime.Add(42 * time.Second)
	reg := prometheus.NewPedanticRegistry()
	if err := opsmetrics.Register(reg, opsmetrics.Options{JS: js, Layout: layout, Now: func() time.Time { return now }}); err != nil {
		t.Fatal(err)
	}
	want := `
# HELP kaskade_engine_input_backlog Inputs (answers, declarations, receipts) waiting for the engine's decision.
# TYPE kaskade_engine_input_backlog gauge
kaskade_engine_input_backlog 3
# HELP kaskade_engine_input_oldest_seconds Age of the oldest input waiting for a decision (0 when none waits): the engine's lag.
# TYPE kaskade_engine_input_oldest_seconds gauge
kaskade_engine_input_oldest_seconds 42
`
	// No dispatcher consumer yet: its backlog is left out, not reported as 0.
	if err := testutil.GatherAndCompare(reg, strings.NewReader(want), opsmetrics.InputBacklog, opsmetrics.InputOldest,
		opsmetrics.DispatchBacklog); err != nil {
		t.Fatal(err)
	}
}

func TestExpiryOfCertificatesAndCredentials(t *testing.T) {
	dir := t.TempDir()
	notAfter := time.Date(2027, 3, 1, 12, 0, 0, 0, time.UTC)
	cert := filepath.Join(dir, "tls.crt")
	writeCert(t, cert, notAfter)
	garbage := filepath.Join(dir, "garbage.crt")
	write(t, garbage, "not a certificate")
	creds := filepath.Join(dir, "kaskade.creds")
	write(t, creds, credsFile(`{"exp":1798761600,"sub":"UABC"}`))
	forever := filepath.Join(dir, "forever.creds")
	write(t, forever, credsFile(`{"sub":"UABC"}`))
	reg := prometheus.NewPedanticRegistry()
	err := opsmetrics.Register(reg, opsmetrics.Options{
		Certificates: map[string]string{"nats-tls-cert": cert, "nats-cert": garbage, "nats-ca": filepath.Join(dir, "missing.crt")},
		Credentials:  map[string]string{"nats-creds": creds, "other-creds": forever, "not-given": ""},
	})
	if err != nil {
		t.Fatal(err)
	}
	want := fmt.Sprintf(`
# HELP kaskade_certificate_expiry_timestamp_seconds When the first certificate of the file expires (Unix seconds); 0 when it cannot be read.
# TYPE kaskade_certificate_expiry_timestamp_seconds gauge
kaskade_certificate_expiry_timestamp_seconds{name="nats-ca"} 0
kaskade_certificate_expiry_timestamp_seconds{name="nats-cert"} 0
kaskade_certificate_expiry_timestamp_seconds{name="nats-tls-cert"} %d
# HELP kaskade_nats_credentials_expiry_timestamp_seconds When the JWT of the NATS credentials file expires (Unix seconds); 0 when it cannot be read, absent when it never expires.
# TYPE kaskade_nats_credentials_expiry_timestamp_seconds gauge
kaskade_nats_credentials_expiry_timestamp_seconds{name="nats-creds"} 1.7987616e+09
`, notAfter.Unix())
	if err := testutil.GatherAndCompare(reg, strings.NewReader(want), opsmetrics.CertificateExpiry, opsmetrics.CredentialsExpiry); err != nil {
		t.Fatal(err)
	}
}

func write(t *testing.T, file, s string) {
	t.Helper()
	if err := os.WriteFile(file, []byte(s), 0o600); err != nil {
		t.Fatal(err)
	}
}

// credsFile is a NATS credentials file whose JWT carries claims (the
// signature is not checked by the gauge).
func credsFile(claims string) string {
	enc := base64.RawURLEncoding.EncodeToString
	jwt := enc([]byte(`{"typ":"JWT","alg":"ed25519-nkey"}`)) + "." + enc([]byte(claims)) + ".c2ln"
	return "-----BEGIN NATS USER JWT-----\n" + jwt + "\n------END NATS USER JWT------\n\n" +
		"-----BEGIN USER NKEY SEED-----\nSUAFAKESEED\n------END USER NKEY SEED------\n"
}

func writeCert(t *testing.T, file string, notAfter time.Time) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "nats"},
		NotBefore: notAfter.Add(-time.Hour), NotAfter: notAfter}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	write(t, file, string(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})))
}
