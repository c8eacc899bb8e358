package email

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"math/big"
	"net"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/emersion/go-smtp"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"
)

// serveListener starts a listener with opts on loopback.
func serveListener(t *testing.T, opts ListenerOptions) string {
	t.Helper()
	if opts.Domain == "" {
		opts.Domain = "lage.example.de"
	}
	l, err := NewListener(opts)
	if err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- l.Serve(ln) }()
	t.Cleanup(func() {
		_ = l.Close()
		_ = ln.Close()
		if err := <-done; err != nil {
			t.Errorf("Serve: %v", err)
		}
	})
	return ln.Addr().String()
}

// rejectingSink refuses every reply as the answer service does a forged tag.
type rejectingSink struct {
	mu    sync.Mutex
	calls int
}

type rejection string

func (r rejection) Error() string        { return "rejected: " + string(r) }
func (r rejection) RejectReason() string { return string(r) }

func (s *rejectingSink) EmailReply(context.Context, EmailReply) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.calls++
	return rejection(RejectUnknownTag)
}

func (s *rejectingSink) n() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.calls
}

type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *clock) add(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

const forgedReply = "From: uwe.boehm@mi.example.de\r\nTo: kaskade+%s@lage.example.de\r\nSubject: Re\r\nMessage-ID: <%s@evil.example>\r\n\r\n3\r\n"

// Issue 15, finding 2: one SMTP session tried kaskade+K1-n1 … K1-n59 with
// a forged From. Rejected tags now count against the sender, who is
// refused after the limit, and every rejection is in the metric.
func TestListenerLimitsSendersOfUnknownTags(t *testing.T) {
	sink := &rejectingSink{}
	reg := prometheus.NewRegistry()
	metrics := NewListenerMetrics(reg)
	clk := &clock{t: time.Date(2026, 12, 3, 3, 12, 0, 0, time.UTC)}
	addr := serveListener(t, ListenerOptions{Sink: sink, Metrics: metrics, Now: clk.now, RejectLimit: 5, RejectWindow: time.Hour,
		AuthServID: "mx.lage.example.de"})
	c, err := smtp.Dial(addr)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if err := c.Hello("mx.evil.example"); err != nil {
		t.Fatal(err)
	}
	refused := 0
	for i := 1; i <= 59; i++ {
		tag := "K1-n" + itoa(i)
		if err := transaction(c, "uwe.boehm@mi.example.de", "kaskade+"+tag+"@lage.example.de",
			strings.ReplaceAll(strings.Replace(forgedReply, "%s", tag, 1), "%s", tag)); err != nil {
			if smtpCode(err) != 450 {
				t.Fatalf("tag %s: %v, want 450 once limited", tag, err)
			}
			refused++
			_ = c.Reset()
		}
	}
	if sink.n() != 5 || refused != 54 {
		t.Fatalf("sink saw %d replies and %d were refused, want 5 and 54", sink.n(), refused)
	}
	if got := testutil.ToFloat64(metrics.rejected.WithLabelValues(RejectUnknownTag)); got != 5 {
		t.Fatalf("unknown_tag counted %v, want 5", got)
	}
	if got := testutil.ToFloat64(metrics.rejected.WithLabelValues(RejectRateLimited)); got != 54 {
		t.Fatalf("rate_limited counted %v, want 54", got)
	}
	// Another sender is not affected; the limited one may try again after the window.
	if err := transaction(c, "silke@mi.example.de", "kaskade+K1-n1@lage.example.de", "From: silke@mi.example.de\r\n\r\n1\r\n"); err != nil {
		t.Fatalf("another sender: %v", err)
	}
	// Forgeries in her name do not lock out the person's authenticated mail.
	if err := transaction(c, "uwe.boehm@mi.example.de", "kaskade+K1-n1@lage.example.de",
		"Authentication-Results: mx.lage.example.de; dmarc=pass header.from=mi.example.de\r\nFrom: uwe.boehm@mi.example.de\r\n\r\n1\r\n"); err != nil || sink.n() != 7 {
		t.Fatalf("authenticated mail of a limited sender: %v, sink saw %d", err, sink.n())
	}
	clk.add(time.Hour)
	if err := transaction(c, "uwe.boehm@mi.example.de", "kaskade+K1-n1@lage.example.de", "From: uwe.boehm@mi.example.de\r\n\r\n1\r\n"); err != nil {
		t.Fatalf("after the window: %v", err)
	}
	if n, err := testutil.GatherAndCount(reg, "kaskade_email_replies_rejected_total"); err != nil || n < 8 {
		t.Fatalf("metric series %d (%v), want every reason", n, err)
	}
}

// transaction sends one message on an open client.
func transaction(c *smtp.Client, from, to, raw string) error {
	if err := c.Mail(from, nil); err != nil {
		return err
	}
	if err := c.Rcpt(to, nil); err != nil {
		return err
	}
	w, err := c.Data()
	if err != nil {
		return err
	}
	if _, err := w.Write([]byte(raw)); err != nil {
		return err
	}
	return w.Close()
}

func itoa(i int) string {
	if i < 10 {
		return string(rune('0' + i))
	}
	return itoa(i/10) + string(rune('0'+i%10))
}

func TestListenerAuthenticationResults(t *testing.T) {
	const (
		dmarcPass = "Authentication-Results: mx.lage.example.de;\r\n spf=pass smtp.mailfrom=mi.example.de;\r\n dkim=pass header.d=mi.example.de (good signature);\r\n dmarc=pass header.from=mi.example.de\r\n"
		dmarcFail = "Authentication-Results: mx.lage.example.de; spf=fail smtp.mailfrom=evil.example; dkim=none; dmarc=fail (p=reject) header.from=mi.example.de\r\n"
		forged    = "Authentication-Results: mx.lage.example.de.evil; dmarc=pass header.from=mi.example.de\r\n"
		spfFail   = "Authentication-Results: MX.lage.example.de; spf=fail smtp.mailfrom=mi.example.de\r\n"
		dkimOnly  = "Authentication-Results: mx.lage.example.de 1; dkim=pass header.i=@mi.example.de\r\n"
		softfail  = "Authentication-Results: mx.lage.example.de; spf=softfail smtp.mailfrom=mi.example.de\r\n"
		otherFrom = "Authentication-Results: mx.lage.example.de; dmarc=pass header.from=evil.example\r\n"
	)
	cases := []struct {
		name        string
		servID      string
		requirePass bool
		headers     string
		auth        string // what the sink gets; "-" = dropped
	}{
		{"nothing configured", "", false, dmarcPass, ""},
		{"DMARC pass recorded", "mx.lage.example.de", false, dmarcPass, "pass (mx.lage.example.de: spf=pass dkim=pass dmarc=pass)"},
		{"DMARC fail dropped", "mx.lage.example.de", false, dmarcFail, "-"},
		{"trusted fail beats a forged pass above it", "mx.lage.example.de", false, forged + dmarcFail, "-"},
		{"forged header only: untrusted", "mx.lage.example.de", false, forged, "untrusted"},
		{"forged header only, pass required", "mx.lage.example.de", true, forged, "-"},
		{"SPF fail without DKIM dropped", "mx.lage.example.de", false, spfFail, "-"},
		{"aligned DKIM pass", "mx.lage.example.de", true, dkimOnly, "pass (mx.lage.example.de: dkim=pass)"},
		{"softfail kept, recorded", "mx.lage.example.de", false, softfail, "none (mx.lage.example.de: spf=softfail)"},
		{"softfail, pass required", "mx.lage.example.de", true, softfail, "-"},
		// The receiving server judged another From (a second From header it
		// evaluated instead): its pass says nothing about the person's domain.
		{"DMARC pass for another From domain, pass required", "mx.lage.example.de", true, otherFrom, "-"},
		{"DMARC pass for another From domain", "mx.lage.example.de", false, otherFrom, "none (mx.lage.example.de: dmarc=pass)"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			sink := &fakeReplySink{}
			metrics := NewListenerMetrics(nil)
			addr := serveListener(t, ListenerOptions{Sink: sink, AuthServID: tc.servID, RequireAuthPass: tc.requirePass, Metrics: metrics})
			msg := tc.headers + "From: Erika <erika.mueller@mi.example.de>\r\nMessage-ID: <r@mi.example.de>\r\n\r\n1\r\n"
			if err := send(t, addr, "bounce@mi.example.de", "kaskade+K7-n1@lage.example.de", strings.ReplaceAll(msg, "\r\n", "\n")); err != nil {
				t.Fatal(err)
			}
			got := sink.got()
			if tc.auth == "-" {
				if len(got) != 0 || testutil.ToFloat64(metrics.rejected.WithLabelValues(RejectAuthFailed)) != 1 {
					t.Fatalf("handed %+v to the sink, want it dropped and counted", got)
				}
				return
			}
			if len(got) != 1 || got[0].Auth != tc.auth {
				t.Fatalf("sink got %+v, want auth %q", got, tc.auth)
			}
		})
	}
}

func TestParseAuthResults(t *testing.T) {
	cases := []struct {
		in      string
		id      string
		results string // method=result,… with header.d when present
		ok      bool
	}{
		{"mx.example; none", "mx.example", "", true},
		{`mx.example 1; dkim/1=pass (sig ok) header.d="mi.example"; spf = fail smtp.mailfrom=a@b.example`, "mx.example",
			"dkim=pass(mi.example),spf=fail", true},
		{`"mx;quoted"; dmarc=pass (comment; with (nested) semicolon) header.from=x.example`, "mx;quoted", "dmarc=pass", true},
		{"(only a comment)", "", "", false},
		{"mx.example; dkim", "", "", false},
		{"mx.example; dkim=pass header.d", "", "", false},
		{"", "", "", false},
		{strings.Repeat("a", maxAuthHeader+1), "", "", false},
	}
	for _, tc := range cases {
		id, res, ok := parseAuthResults(tc.in)
		var parts []string
		for _, r := range res {
			s := r.method + "=" + r.result
			if d := r.props["header.d"]; d != "" {
				s += "(" + d + ")"
			}
			parts = append(parts, s)
		}
		if ok != tc.ok || ok && (id != tc.id || strings.Join(parts, ",") != tc.results) {
			t.Errorf("parseAuthResults(%q) = %q, %q, %v; want %q, %q, %v", tc.in, id, strings.Join(parts, ","), ok, tc.id, tc.results, tc.ok)
		}
	}
}

// The listener offers STARTTLS with a configured certificate and, when
// required, refuses mail in the clear.
func TestListenerSTARTTLS(t *testing.T) {
	certFile, keyFile, pool := writeCert(t)
	conf, err := ListenerTLS(certFile, keyFile)
	if err != nil {
		t.Fatal(err)
	}
	sink := &fakeReplySink{}
	metrics := NewListenerMetrics(nil)
	addr := serveListener(t, ListenerOptions{Sink: sink, TLSConfig: conf, RequireTLS: true, Metrics: metrics})

	plain, err := smtp.Dial(addr)
	if err != nil {
		t.Fatal(err)
	}
	defer plain.Close()
	if err := plain.Hello("mx.mi.example.de"); err != nil {
		t.Fatal(err)
	}
	if ok, _ := plain.Extension("STARTTLS"); !ok {
		t.Fatal("STARTTLS not offered")
	}
	if err := plain.Mail("erika.mueller@mi.example.de", nil); smtpCode(err) != 530 {
		t.Fatalf("MAIL in the clear: %v, want 530", err)
	}
	if got := testutil.ToFloat64(metrics.rejected.WithLabelValues(RejectTLSRequired)); got != 1 {
		t.Fatalf("tls_required counted %v", got)
	}

	c, err := smtp.DialStartTLS(addr, &tls.Config{RootCAs: pool, ServerName: "lage.example.de"})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if err := transaction(c, "erika.mueller@mi.example.de", "kaskade+K7-n1@lage.example.de",
		"From: erika.mueller@mi.example.de\r\nMessage-ID: <t@mi.example.de>\r\n\r\n1\r\n"); err != nil {
		t.Fatal(err)
	}
	if got := sink.got(); len(got) != 1 || got[0].FirstLine != "1" {
		t.Fatalf("sink got %+v", got)
	}
}

func TestListenerTLSValidates(t *testing.T) {
	if _, err := NewListener(ListenerOptions{Domain: "x.de", Sink: &fakeReplySink{}, RequireTLS: true}); err == nil {
		t.Error("TLS required without a certificate: no error")
	}
	if _, err := ListenerTLS(filepath.Join(t.TempDir(), "missing.pem"), "missing.key"); err == nil {
		t.Error("missing certificate: no error")
	}
}

// writeCert writes a self-signed certificate for lage.example.de.
func writeCert(t *testing.T) (certFile, keyFile string, pool *x509.CertPool) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "lage.example.de"},
		DNSNames: []string{"lage.example.de"}, NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		KeyUsage: x509.KeyUsageDigitalSignature, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}}
	der, err := x509.CreateCertificate(rand.Reader, tpl, tpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	keyDER, err := x509.MarshalECPrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	certFile, keyFile = filepath.Join(dir, "cert.pem"), filepath.Join(dir, "key.pem")
	if err := os.WriteFile(certFile, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(keyFile, pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: keyDER}), 0o600); err != nil {
		t.Fatal(err)
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	pool = x509.NewCertPool()
	pool.AddCert(cert)
	return certFile, keyFile, pool
}

func TestSenderLimitIsBounded(t *testing.T) {
	clk := &clock{t: time.Unix(0, 0)}
	l := newSenderLimit(2, time.Minute, clk.now)
	for i := 0; i < maxLimitedSenders+100; i++ {
		l.strike("s" + itoa(i) + "@x.example")
	}
	if len(l.senders) > maxLimitedSenders {
		t.Fatalf("%d senders tracked, want at most %d", len(l.senders), maxLimitedSenders)
	}
	l.strike("A@x.example", "a@x.example ")
	if l.limited("a@x.example") {
		t.Fatal("one strike limited a sender (the same address twice counts once)")
	}
	l.strike("a@x.example")
	if !l.limited("other@x.example", "A@X.example") {
		t.Fatal("two strikes did not limit the sender")
	}
	clk.add(time.Minute)
	if l.limited("a@x.example") {
		t.Fatal("still limited after the window")
	}
}

// A reply without Message-ID gets one from its content, so a byte-for-byte
// replay is recognised by the sink.
func TestListenerMessageIDFallback(t *testing.T) {
	sink := &fakeReplySink{}
	addr := serveListener(t, ListenerOptions{Sink: sink})
	for _, raw := range []string{"From: a@mi.example.de\n\n1\n", "From: a@mi.example.de\n\n1\n", "From: a@mi.example.de\n\n3\n"} {
		if err := send(t, addr, "a@mi.example.de", "kaskade+K7-n1@lage.example.de", raw); err != nil {
			t.Fatal(err)
		}
	}
	got := sink.got()
	if len(got) != 3 || got[0].MessageID == "" || got[0].MessageID != got[1].MessageID || got[1].MessageID == got[2].MessageID {
		t.Fatalf("message ids %+v", got)
	}
}
