package natsd_test

import (
	"bytes"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/nats-io/nats.go"

	"github.com/kaskade-bcm/kaskade/cmd/internal/natsd"
	"github.com/kaskade-bcm/kaskade/cmd/internal/natsd/natstest"
)

func TestTheEmbeddedServerServesTLS(t *testing.T) {
	ca := natstest.NewCA(t)
	cert, key := ca.Server()
	clientCert, clientKey := ca.Client()
	other := natstest.NewCA(t)
	for _, tc := range []struct {
		name   string
		mutual bool
		opts   []nats.Option
		ok     bool
	}{
		{"trusted CA", false, []nats.Option{nats.RootCAs(ca.File)}, true},
		{"unknown CA", false, []nats.Option{nats.RootCAs(other.File)}, false},
		{"mutual with a client certificate", true, []nats.Option{nats.RootCAs(ca.File), nats.ClientCert(clientCert, clientKey)}, true},
		{"mutual without a client certificate", true, []nats.Option{nats.RootCAs(ca.File)}, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dataDir := t.TempDir()
			o := natsd.Options{DataDir: dataDir, TLSCert: cert, TLSKey: key}
			if tc.mutual {
				o.TLSCA = ca.File
			}
			e := start(t, o)
			auth, err := nats.NkeyOptionFromSeed(natsd.ServiceSeedFile(dataDir))
			if err != nil {
				t.Fatal(err)
			}
			nc, err := nats.Connect(e.ClientURL(), append(tc.opts, auth, nats.NoReconnect())...)
			if (err == nil) != tc.ok {
				t.Fatalf("connect to %s: %v", e.ClientURL(), err)
			}
			if err == nil {
				if !nc.TLSRequired() {
					t.Error("connection without TLS")
				}
				nc.Close()
			}
			// Kaskade's own in-process connection needs no certificate.
			in, err := e.Connect()
			if err != nil {
				t.Fatal(err)
			}
			in.Close()
		})
	}
}

func TestTLSFlagsGoTogether(t *testing.T) {
	ca := natstest.NewCA(t)
	cert, _ := ca.Server()
	_, err := natsd.Start(natsd.Options{DataDir: t.TempDir(), Listen: "127.0.0.1:0", TLSCert: cert})
	if _, ok := err.(natsd.UsageError); !ok {
		t.Fatalf("err = %v, want a usage error", err)
	}
}

// TestACertificateOutOfDateIsReported: nats-server serves an expired
// certificate without a word; every declarer's and observer's handshake then
// fails while Kaskade's own in-process connection and its health checks
// carry on. The start names the file and the date (an error when expired,
// a warning within two weeks), and so does a running server when the date passes.
func TestACertificateOutOfDateIsReported(t *testing.T) {
	ca := natstest.NewCA(t)
	for _, tc := range []struct {
		name     string
		notAfter time.Time
		level    slog.Level
		want     string
	}{
		{"expired", time.Now().Add(-time.Hour), slog.LevelError, "expired"},
		{"expiring", time.Now().Add(72 * time.Hour), slog.LevelWarn, "expires"},
		{"valid", time.Now().Add(60 * 24 * time.Hour), 0, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cert, key := ca.ServerUntil(tc.notAfter)
			var logs lockedBuffer
			start(t, natsd.Options{TLSCert: cert, TLSKey: key,
				Logger: slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelWarn}))})
			out := logs.String()
			if tc.want == "" {
				if strings.Contains(out, cert) {
					t.Fatalf("a valid certificate reported: %s", out)
				}
				return
			}
			if !strings.Contains(out, "level="+tc.level.String()) || !strings.Contains(out, tc.want) || !strings.Contains(out, cert) ||
				!strings.Contains(out, tc.notAfter.UTC().Format(time.DateOnly)) {
				t.Fatalf("logged %q; want %s naming %s, %q and the date", out, tc.level, cert, tc.want)
			}
		})
	}
	// A running server reports the moment its certificate expires.
	cert, key := ca.ServerUntil(time.Now().Add(1500 * time.Millisecond))
	var logs lockedBuffer
	start(t, natsd.Options{TLSCert: cert, TLSKey: key, ReloadEvery: 20 * time.Millisecond,
		Logger: slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelError}))})
	waitFor(t, "the expiry reported", func() bool { return strings.Contains(logs.String(), "expired") })
}

// lockedBuffer is a log sink for the server's goroutines.
type lockedBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *lockedBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *lockedBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}
