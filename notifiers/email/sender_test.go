package email

import (
	"bytes"
	"context"
	"crypto/tls"
	"errors"
	"io"
	"log/slog"
	"mime"
	"mime/multipart"
	"mime/quotedprintable"
	"net"
	"net/mail"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/emersion/go-smtp"

	"github.com/kaskade-bcm/kaskade/notifiers"
	"github.com/kaskade-bcm/kaskade/notifiers/email/emailtest"
)

var testNow = time.Date(2026, 3, 1, 3, 12, 0, 0, time.UTC)

// logBuf collects log output so tests can check what is (not) logged.
type logBuf struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *logBuf) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *logBuf) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

func newSender(t *testing.T, addr string, mod func(*Options)) (*Sender, *logBuf) {
	t.Helper()
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		t.Fatal(err)
	}
	p, _ := strconv.Atoi(port)
	logs := &logBuf{}
	o := Options{
		Host: host, Port: p, TLS: TLSNone,
		From:    "Kaskade Lagezentrum <kaskade@lage.example.de>",
		ReplyTo: "kaskade@lage.example.de",
		Timeout: 5 * time.Second, HeloName: "kaskade.test",
		Logger: slog.New(slog.NewTextHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug})),
		Now:    func() time.Time { return testNow },
	}
	if mod != nil {
		mod(&o)
	}
	s, err := New(o)
	if err != nil {
		t.Fatal(err)
	}
	return s, logs
}

func testMessage() notifiers.Message {
	return notifiers.Message{
		ID: "n-0042", Incident: "inc-7", Person: "p-1", Channel: "email",
		Purpose: notifiers.PurposeAlert, Exercise: true, Language: "de",
		To:       "erika.mueller@mi.example.de",
		Subject:  "ÜBUNG – Cyberangriff auf das Landesnetz",
		Text:     "Prüfung der Erreichbarkeit.\nTreffpunkt: Lagezentrum, Schiffgraben-Straße 12.\n\nAntworten: https://kaskade.example.de/ack/abc.def?answer=available",
		ReplyTag: "K7x9",
	}
}

type parsed struct {
	header mail.Header
	plain  string
	html   string
}

func parseMessage(t *testing.T, raw []byte) parsed {
	t.Helper()
	msg, err := mail.ReadMessage(bytes.NewReader(raw))
	if err != nil {
		t.Fatal(err)
	}
	p := parsed{header: msg.Header}
	mt, params, err := mime.ParseMediaType(msg.Header.Get("Content-Type"))
	if err != nil || mt != "multipart/alternative" {
		t.Fatalf("content type %q: %v", msg.Header.Get("Content-Type"), err)
	}
	mr := multipart.NewReader(msg.Body, params["boundary"])
	for {
		part, err := mr.NextRawPart()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		var r io.Reader = part
		if strings.EqualFold(part.Header.Get("Content-Transfer-Encoding"), "quoted-printable") {
			r = quotedprintable.NewReader(part)
		}
		b, err := io.ReadAll(r)
		if err != nil {
			t.Fatal(err)
		}
		ct, cp, _ := mime.ParseMediaType(part.Header.Get("Content-Type"))
		if !strings.EqualFold(cp["charset"], "utf-8") {
			t.Errorf("part %s charset %q", ct, cp["charset"])
		}
		switch ct {
		case "text/plain":
			p.plain = string(b)
		case "text/html":
			p.html = string(b)
		}
	}
	return p
}

func decodeHeader(t *testing.T, v string) string {
	t.Helper()
	s, err := new(mime.WordDecoder).DecodeHeader(v)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func TestSendContentAndHeaders(t *testing.T) {
	addr, received := emailtest.NewServer(t)
	s, logs := newSender(t, addr, nil)
	m := testMessage()

	r, err := s.Notify(context.Background(), m)
	if err != nil {
		t.Fatal(err)
	}
	wantID := "<n-0042+K7x9@lage.example.de>"
	if r.State != notifiers.StateSent || r.ProviderID != wantID {
		t.Fatalf("receipt %+v", r)
	}
	msgs := received()
	if len(msgs) != 1 {
		t.Fatalf("%d messages", len(msgs))
	}
	got := msgs[0]
	if got.From != "kaskade@lage.example.de" || len(got.To) != 1 || got.To[0] != m.To {
		t.Errorf("envelope %q → %q", got.From, got.To)
	}
	p := parseMessage(t, got.Data)
	if subj := decodeHeader(t, p.header.Get("Subject")); subj != m.Subject {
		t.Errorf("subject %q", subj)
	}
	if strings.ReplaceAll(p.plain, "\r\n", "\n") != m.Text {
		t.Errorf("plain %q", p.plain)
	}
	for _, w := range []string{"Prüfung der Erreichbarkeit.<br>", "Schiffgraben-Straße 12.", `<a href="https://kaskade.example.de/ack/abc.def?answer=available">`, `lang="de"`} {
		if !strings.Contains(p.html, w) {
			t.Errorf("html lacks %q:\n%s", w, p.html)
		}
	}
	headers := map[string]string{
		"Message-Id":             wantID,
		"X-Kaskade-Notification": "n-0042",
		"X-Kaskade-Incident":     "inc-7",
		"X-Kaskade-Exercise":     "yes",
		"Auto-Submitted":         "auto-generated",
	}
	for k, v := range headers {
		if got := p.header.Get(k); got != v {
			t.Errorf("%s = %q, want %q", k, got, v)
		}
	}
	// No unsubscribe: leaving the alerting is an organisational decision,
	// and mail scanners would press a one-click List-Unsubscribe (RFC 8058).
	for _, k := range []string{"List-Unsubscribe", "List-Unsubscribe-Post", "Precedence"} {
		if v := p.header.Get(k); v != "" {
			t.Errorf("%s: %q set", k, v)
		}
	}
	rt, err := p.header.AddressList("Reply-To")
	if err != nil || len(rt) != 1 || rt[0].Address != "kaskade+K7x9@lage.example.de" {
		t.Errorf("Reply-To %v %v", rt, err)
	}
	from, err := p.header.AddressList("From")
	if err != nil || from[0].Name != "Kaskade Lagezentrum" {
		t.Errorf("From %v %v", from, err)
	}
	if d, err := p.header.Date(); err != nil || !d.Equal(testNow) {
		t.Errorf("Date %v %v", d, err)
	}
	if l := logs.String(); strings.Contains(l, m.To) || !strings.Contains(l, "e***@mi.example.de") {
		t.Errorf("log does not mask the address:\n%s", l)
	}
}

func TestExplicitHTMLAndNoTag(t *testing.T) {
	addr, received := emailtest.NewServer(t)
	s, _ := newSender(t, addr, nil)
	m := testMessage()
	m.ReplyTag = ""
	m.HTML = "<p>Eigene <b>HTML</b>-Fassung</p>"
	if r, err := s.Notify(context.Background(), m); err != nil || r.State != notifiers.StateSent || r.ProviderID != "<n-0042@lage.example.de>" {
		t.Fatalf("%+v %v", r, err)
	}
	p := parseMessage(t, received()[0].Data)
	if p.html != m.HTML {
		t.Errorf("html %q", p.html)
	}
	if p.header.Get("Reply-To") != "" {
		t.Errorf("Reply-To without tag: %q", p.header.Get("Reply-To"))
	}
}

func TestGeneratedHTMLEscapes(t *testing.T) {
	s, _ := newSender(t, "127.0.0.1:25", nil)
	got := textToHTML(s.urls, "a <b> & \"c\"\nhttps://x.example/?a=1&b=2.", "T<", "en")
	for _, w := range []string{"a &lt;b&gt; &amp; &#34;c&#34;<br>", `<a href="https://x.example/?a=1&amp;b=2">`, "</a>.", "<title>T&lt;</title>", `lang="en"`} {
		if !strings.Contains(got, w) {
			t.Errorf("lacks %q:\n%s", w, got)
		}
	}
}

func TestTLSPolicies(t *testing.T) {
	cert, pool := emailtest.SelfSigned(t)
	trust := &tls.Config{RootCAs: pool}
	tests := []struct {
		name     string
		server   []emailtest.Option
		tls      string
		conf     *tls.Config
		state    notifiers.State
		code     string
		overTLS  bool
		received int
	}{
		{"mandatory without STARTTLS refuses", nil, TLSMandatory, nil, notifiers.StateFailed, CodeTLS, false, 0},
		{"default is mandatory", nil, "", nil, notifiers.StateFailed, CodeTLS, false, 0},
		{"opportunistic without STARTTLS sends", nil, TLSOpportunistic, nil, notifiers.StateSent, "", false, 1},
		{"none sends", []emailtest.Option{emailtest.WithSTARTTLS(cert)}, TLSNone, nil, notifiers.StateSent, "", false, 1},
		{"mandatory with STARTTLS", []emailtest.Option{emailtest.WithSTARTTLS(cert)}, TLSMandatory, trust, notifiers.StateSent, "", true, 1},
		{"opportunistic upgrades", []emailtest.Option{emailtest.WithSTARTTLS(cert)}, TLSOpportunistic, trust, notifiers.StateSent, "", true, 1},
		{"mandatory untrusted cert", []emailtest.Option{emailtest.WithSTARTTLS(cert)}, TLSMandatory, nil, notifiers.StateFailed, CodeTLS, false, 0},
		{"implicit", []emailtest.Option{emailtest.WithImplicitTLS(cert)}, TLSImplicit, trust, notifiers.StateSent, "", true, 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			addr, received := emailtest.NewServer(t, tt.server...)
			s, _ := newSender(t, addr, func(o *Options) { o.TLS, o.TLSConfig = tt.tls, tt.conf })
			r, err := s.Notify(context.Background(), testMessage())
			if err != nil {
				t.Fatalf("err %v", err)
			}
			if r.State != tt.state || r.Code != tt.code {
				t.Fatalf("receipt %+v", r)
			}
			msgs := received()
			if len(msgs) != tt.received {
				t.Fatalf("%d messages received", len(msgs))
			}
			if len(msgs) == 1 && msgs[0].TLS != tt.overTLS {
				t.Errorf("TLS = %v", msgs[0].TLS)
			}
			if tt.code == CodeTLS && !strings.Contains(r.Detail, "STARTTLS") && !strings.Contains(r.Detail, "certificate") {
				t.Errorf("unclear detail %q", r.Detail)
			}
		})
	}
}

func TestOutcomes(t *testing.T) {
	const secret = "Geheim-Passwort-123"
	unknownMailbox := "niemand@mi.example.de"
	busy := "voll@mi.example.de"
	tests := []struct {
		name     string
		server   []emailtest.Option
		user     string
		pass     string
		to       string
		state    notifiers.State
		code     string
		tempCode string
	}{
		{"auth ok", []emailtest.Option{emailtest.WithAuth("kaskade", secret)}, "kaskade", secret, "", notifiers.StateSent, "", ""},
		{"auth failure", []emailtest.Option{emailtest.WithAuth("kaskade", secret)}, "kaskade", "falsch-" + secret, "", notifiers.StateFailed, "535", ""},
		{"550 mailbox unknown", []emailtest.Option{emailtest.WithRejectRcpt(550, unknownMailbox)}, "", "", unknownMailbox, notifiers.StateFailed, "550", ""},
		{"451 temporary", []emailtest.Option{emailtest.WithRejectRcpt(451, busy)}, "", "", busy, "", "", "451"},
		{"554 on data", []emailtest.Option{emailtest.WithDataHook(func(emailtest.Received) error {
			return &smtp.SMTPError{Code: 554, EnhancedCode: smtp.EnhancedCode{5, 7, 1}, Message: "spam"}
		})}, "", "", "", notifiers.StateFailed, "554", ""},
		{"452 on data", []emailtest.Option{emailtest.WithDataHook(func(emailtest.Received) error {
			return &smtp.SMTPError{Code: 452, EnhancedCode: smtp.EnhancedCode{4, 3, 1}, Message: "disk full"}
		})}, "", "", "", "", "", "452"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			addr, _ := emailtest.NewServer(t, tt.server...)
			s, logs := newSender(t, addr, func(o *Options) { o.Username, o.Password = tt.user, tt.pass })
			m := testMessage()
			if tt.to != "" {
				m.To = tt.to
			}
			r, err := s.Notify(context.Background(), m)
			if tt.tempCode != "" {
				var te *notifiers.TemporaryError
				if !errors.As(err, &te) || te.Code != tt.tempCode {
					t.Fatalf("want TemporaryError %s, got %+v %v", tt.tempCode, r, err)
				}
			} else if err != nil || r.State != tt.state || r.Code != tt.code {
				t.Fatalf("receipt %+v err %v", r, err)
			}
			if l := logs.String(); strings.Contains(l, secret) || strings.Contains(l, m.To) {
				t.Errorf("log leaks password or address:\n%s", l)
			}
		})
	}
}

func TestAuthFailureLogsError(t *testing.T) {
	addr, _ := emailtest.NewServer(t, emailtest.WithAuth("kaskade", "richtig"))
	s, logs := newSender(t, addr, func(o *Options) { o.Username, o.Password = "kaskade@lage.example.de", "falsch" })
	if _, err := s.Notify(context.Background(), testMessage()); err != nil {
		t.Fatal(err)
	}
	l := logs.String()
	if !strings.Contains(l, "level=ERROR") || !strings.Contains(l, "authentication failed") || strings.Contains(l, "falsch") {
		t.Errorf("log:\n%s", l)
	}
}

func TestConnectionRefusedIsTemporary(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	s, _ := newSender(t, addr, nil)
	_, err = s.Notify(context.Background(), testMessage())
	var te *notifiers.TemporaryError
	if !errors.As(err, &te) {
		t.Fatalf("want TemporaryError, got %v", err)
	}
}

func TestTimeoutAfterDataIsUnknown(t *testing.T) {
	release := make(chan struct{})
	addr, _ := emailtest.NewServer(t, emailtest.WithDataHook(func(emailtest.Received) error {
		<-release
		return nil
	}))
	// Registered after NewServer so it runs before the server is closed.
	t.Cleanup(func() { close(release) })
	s, _ := newSender(t, addr, func(o *Options) { o.Timeout = 300 * time.Millisecond })
	r, err := s.Notify(context.Background(), testMessage())
	if err != nil || r.State != notifiers.StateUnknown || r.ProviderID == "" {
		t.Fatalf("receipt %+v err %v", r, err)
	}
}

func TestCancelBeforeSend(t *testing.T) {
	addr, received := emailtest.NewServer(t)
	s, _ := newSender(t, addr, nil)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, err := s.Notify(ctx, testMessage())
	if err == nil || len(received()) != 0 {
		t.Fatalf("err %v, %d received", err, len(received()))
	}
}

func TestRetryStage(t *testing.T) {
	busy := "voll@mi.example.de"
	tests := []struct {
		name     string
		rejectN  int
		attempts int
		state    notifiers.State
		sleeps   int
	}{
		{"recovers", 2, 5, notifiers.StateSent, 2},
		// Attempts used up: the temporary error, so the dispatcher retries later.
		{"gives up", 0, 3, "", 2},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			addr, received := emailtest.NewServer(t, emailtest.WithRejectRcptN(451, tt.rejectN, busy))
			s, _ := newSender(t, addr, nil)
			sleeps := 0
			n := notifiers.Retry(s, notifiers.RetryOptions{
				Attempts: tt.attempts,
				Sleep:    func(context.Context, time.Duration) error { sleeps++; return nil },
			})
			m := testMessage()
			m.To = busy
			r, err := n.Notify(context.Background(), m)
			var te *notifiers.TemporaryError
			if tt.state == "" {
				if !errors.As(err, &te) || te.Code != "451" || sleeps != tt.sleeps {
					t.Fatalf("receipt %+v err %v sleeps %d; want a temporary error 451", r, err, sleeps)
				}
			} else if err != nil || r.State != tt.state || sleeps != tt.sleeps {
				t.Fatalf("receipt %+v err %v sleeps %d", r, err, sleeps)
			}
			if want := map[notifiers.State]int{notifiers.StateSent: 1}[tt.state]; len(received()) != want {
				t.Errorf("%d received", len(received()))
			}
		})
	}
}

func TestInvalidMessage(t *testing.T) {
	addr, received := emailtest.NewServer(t)
	s, _ := newSender(t, addr, nil)
	for name, mod := range map[string]func(*notifiers.Message){
		"bad address": func(m *notifiers.Message) { m.To = "kein-at-zeichen" },
		"bad tag":     func(m *notifiers.Message) { m.ReplyTag = "a b@c" },
	} {
		t.Run(name, func(t *testing.T) {
			m := testMessage()
			mod(&m)
			r, err := s.Notify(context.Background(), m)
			if err != nil || r.State != notifiers.StateFailed || r.Code != CodeInvalidMessage {
				t.Fatalf("%+v %v", r, err)
			}
		})
	}
	if len(received()) != 0 {
		t.Fatal("sent an invalid message")
	}
}

func TestNewValidates(t *testing.T) {
	ok := Options{Host: "smtp.example.de", From: "kaskade@lage.example.de"}
	tests := []struct {
		name string
		mod  func(*Options)
	}{
		{"no host", func(o *Options) { o.Host = "" }},
		{"bad tls", func(o *Options) { o.TLS = "starttls" }},
		{"bad from", func(o *Options) { o.From = "kaskade" }},
		{"plus in reply-to", func(o *Options) { o.ReplyTo = "a+b@lage.example.de" }},
		{"user without password", func(o *Options) { o.Username = "u" }},
		{"port", func(o *Options) { o.Port = 70000 }},
	}
	if _, err := New(ok); err != nil {
		t.Fatal(err)
	}
	for _, tt := range tests {
		o := ok
		tt.mod(&o)
		if _, err := New(o); err == nil {
			t.Errorf("%s: no error", tt.name)
		}
	}
}

func TestMessageIDRoundTrip(t *testing.T) {
	id := MessageID("n/1 2", "K7", "lage.example.de")
	if id != "n_1_2+K7@lage.example.de" {
		t.Fatal(id)
	}
	if tag := tagFromMessageID("<"+id+">", "LAGE.example.de"); tag != "K7" {
		t.Fatalf("tag %q", tag)
	}
	if tag := tagFromMessageID("<"+id+">", "other.example"); tag != "" {
		t.Fatalf("foreign domain tag %q", tag)
	}
}
