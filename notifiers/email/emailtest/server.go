// Package emailtest owns an in-process SMTP server for tests, like
// net/http/httptest: it records envelopes and raw messages and can require
// AUTH PLAIN, reject recipients with chosen codes, offer STARTTLS or speak
// implicit TLS with an in-memory self-signed certificate, and hold the
// reply to the end of DATA.
package emailtest

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"io"
	"log"
	"math/big"
	"net"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/emersion/go-sasl"
	"github.com/emersion/go-smtp"
)

// Received is one message the server accepted.
type Received struct {
	From     string
	To       []string
	Data     []byte
	TLS      bool
	AuthUser string
}

// Option configures NewServer.
type Option func(*config)

type rejection struct {
	code      int
	remaining int // 0: always
}

type config struct {
	user, pass string
	rejects    map[string]*rejection
	tlsConf    *tls.Config
	implicit   bool
	dataHook   func(Received) error
}

// WithAuth requires AUTH PLAIN with these credentials before MAIL.
func WithAuth(user, pass string) Option {
	return func(c *config) { c.user, c.pass = user, pass }
}

// WithRejectRcpt rejects RCPT for addrs with code (e.g. 550 or 451).
func WithRejectRcpt(code int, addrs ...string) Option {
	return WithRejectRcptN(code, 0, addrs...)
}

// WithRejectRcptN rejects the first n RCPTs for each of addrs with code;
// n = 0 rejects always.
func WithRejectRcptN(code, n int, addrs ...string) Option {
	return func(c *config) {
		for _, a := range addrs {
			c.rejects[strings.ToLower(a)] = &rejection{code: code, remaining: n}
		}
	}
}

// WithSTARTTLS offers STARTTLS with cert.
func WithSTARTTLS(cert tls.Certificate) Option {
	return func(c *config) { c.tlsConf = &tls.Config{Certificates: []tls.Certificate{cert}} }
}

// WithImplicitTLS speaks TLS from the first byte with cert.
func WithImplicitTLS(cert tls.Certificate) Option {
	return func(c *config) {
		c.tlsConf = &tls.Config{Certificates: []tls.Certificate{cert}}
		c.implicit = true
	}
}

// WithDataHook runs after the message data was read and before the reply;
// a returned *smtp.SMTPError is sent as the reply. A hook that blocks holds
// the reply (to test client timeouts); release it in a t.Cleanup registered
// after NewServer, or the server cannot close.
func WithDataHook(f func(Received) error) Option {
	return func(c *config) { c.dataHook = f }
}

// NewServer starts a server on 127.0.0.1:0, stopped by t.Cleanup, and
// returns its address and a function listing the accepted messages.
func NewServer(t testing.TB, opts ...Option) (addr string, received func() []Received) {
	t.Helper()
	cfg := &config{rejects: map[string]*rejection{}}
	for _, o := range opts {
		o(cfg)
	}
	st := &store{cfg: cfg}
	srv := smtp.NewServer(smtp.BackendFunc(func(c *smtp.Conn) (smtp.Session, error) {
		_, isTLS := c.TLSConnectionState()
		return &session{st: st, tls: isTLS, conn: c}, nil
	}))
	srv.Domain = "localhost"
	srv.AllowInsecureAuth = true
	srv.ReadTimeout = 10 * time.Second
	srv.WriteTimeout = 10 * time.Second
	srv.ErrorLog = log.New(io.Discard, "", 0)
	var ln net.Listener
	var err error
	if cfg.implicit {
		ln, err = tls.Listen("tcp", "127.0.0.1:0", cfg.tlsConf)
	} else {
		srv.TLSConfig = cfg.tlsConf
		ln, err = net.Listen("tcp", "127.0.0.1:0")
	}
	if err != nil {
		t.Fatalf("emailtest: listen: %v", err)
	}
	done := make(chan struct{})
	go func() {
		defer close(done)
		_ = srv.Serve(ln)
	}()
	t.Cleanup(func() {
		_ = srv.Close()
		// Serve may not have registered ln with srv yet; close it here too.
		_ = ln.Close()
		<-done
	})
	return ln.Addr().String(), st.list
}

type store struct {
	cfg  *config
	mu   sync.Mutex
	msgs []Received
}

func (s *store) list() []Received {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Received(nil), s.msgs...)
}

// reject reports the code to reject rcpt with, or 0.
func (s *store) reject(rcpt string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	r := s.cfg.rejects[strings.ToLower(rcpt)]
	if r == nil {
		return 0
	}
	if r.remaining < 0 {
		return 0
	}
	if r.remaining > 0 {
		r.remaining--
		if r.remaining == 0 {
			r.remaining = -1 // used up
		}
	}
	return r.code
}

type session struct {
	st   *store
	conn *smtp.Conn
	tls  bool
	user string
	cur  Received
}

var _ smtp.AuthSession = (*session)(nil)

func (s *session) AuthMechanisms() []string {
	if s.st.cfg.user == "" {
		return nil
	}
	return []string{sasl.Plain}
}

func (s *session) Auth(mech string) (sasl.Server, error) {
	if mech != sasl.Plain {
		return nil, smtp.ErrAuthUnknownMechanism
	}
	return sasl.NewPlainServer(func(identity, user, pass string) error {
		if user != s.st.cfg.user || pass != s.st.cfg.pass {
			return smtp.ErrAuthFailed
		}
		s.user = user
		return nil
	}), nil
}

func (s *session) Mail(from string, _ *smtp.MailOptions) error {
	if s.st.cfg.user != "" && s.user == "" {
		return smtp.ErrAuthRequired
	}
	s.cur = Received{From: from}
	return nil
}

func (s *session) Rcpt(to string, _ *smtp.RcptOptions) error {
	switch code := s.st.reject(to); {
	case code >= 500:
		return &smtp.SMTPError{Code: code, EnhancedCode: smtp.EnhancedCode{5, 1, 1}, Message: "mailbox unknown"}
	case code >= 400:
		return &smtp.SMTPError{Code: code, EnhancedCode: smtp.EnhancedCode{4, 3, 0}, Message: "try again later"}
	}
	s.cur.To = append(s.cur.To, to)
	return nil
}

func (s *session) Data(r io.Reader) error {
	b, err := io.ReadAll(r)
	if err != nil {
		return err
	}
	s.cur.Data = b
	_, s.cur.TLS = s.conn.TLSConnectionState()
	s.cur.AuthUser = s.user
	if h := s.st.cfg.dataHook; h != nil {
		if err := h(s.cur); err != nil {
			return err
		}
	}
	s.st.mu.Lock()
	s.st.msgs = append(s.st.msgs, s.cur)
	s.st.mu.Unlock()
	return nil
}

func (s *session) Reset()        { s.cur = Received{} }
func (s *session) Logout() error { return nil }

// SelfSigned returns a certificate for 127.0.0.1 and localhost, made in
// memory, and a pool that trusts it.
func SelfSigned(t testing.TB) (tls.Certificate, *x509.CertPool) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber:          big.NewInt(1),
		Subject:               pkix.Name{CommonName: "emailtest"},
		NotBefore:             time.Now().Add(-time.Hour),
		NotAfter:              time.Now().Add(24 * time.Hour),
		KeyUsage:              x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign,
		ExtKeyUsage:           []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		BasicConstraintsValid: true,
		IsCA:                  true,
		DNSNames:              []string{"localhost"},
		IPAddresses:           []net.IP{net.IPv4(127, 0, 0, 1)},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	leaf, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	pool := x509.NewCertPool()
	pool.AddCert(leaf)
	return tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key, Leaf: leaf}, pool
}
