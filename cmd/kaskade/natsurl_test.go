package main

import (
	"bytes"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	natsserver "github.com/nats-io/nats-server/v2/server"

	"github.com/kaskade-bcm/kaskade/cmd/internal/server"
)

// lockedBuffer collects log lines from several goroutines.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// get returns the body of a GET to url.
func get(t *testing.T, url string) string {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil || resp.StatusCode != http.StatusOK {
		t.Fatalf("GET %s: %d, %v", url, resp.StatusCode, err)
	}
	return string(b)
}

func TestThePasswordOfTheNATSURLNeverAppearsInLogsErrorsOrMetrics(t *testing.T) {
	const password = "Pw-7f3a9"
	ns, err := natsserver.NewServer(&natsserver.Options{Host: "127.0.0.1", Port: natsserver.RANDOM_PORT, JetStream: true,
		StoreDir: t.TempDir(), NoSigs: true, NoLog: true, Users: []*natsserver.User{{Username: "kaskade", Password: password}}})
	if err != nil {
		t.Fatal(err)
	}
	go ns.Start()
	if !ns.ReadyForConnections(10 * time.Second) {
		t.Fatal("nats-server not ready")
	}
	t.Cleanup(ns.Shutdown)
	for _, tc := range []struct {
		name, url string
		ok        bool
	}{
		{"serving", fmt.Sprintf("nats://kaskade:%s@%s", password, ns.Addr()), true},
		{"refused", fmt.Sprintf("nats://other:%s@%s", password, ns.Addr()), false},
		{"malformed", fmt.Sprintf("nats://kaskade:%s@127.0.0.1:port", password), false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var logs lockedBuffer
			s, err := server.Start(t.Context(), server.Options{NATSURL: tc.url, Replicas: 1, DataDir: t.TempDir(), HTTPAddr: "127.0.0.1:0",
				Instance: "redact", Logger: slog.New(slog.NewJSONHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))})
			if (err == nil) != tc.ok {
				t.Fatalf("start: %v", err)
			}
			if err == nil {
				waitFor(t, "ready", s.Engine.Ready)
				if metrics := get(t, s.URL+"/metrics"); !strings.Contains(metrics, "kaskade_") || strings.Contains(metrics, password) {
					t.Fatalf("metrics without kaskade_ series or with the password:\n%s", metrics)
				}
				if err := s.Close(); err != nil {
					t.Fatal(err)
				}
				if !strings.Contains(logs.String(), "redacted@") {
					t.Fatalf("the log names no redacted URL:\n%s", logs.String())
				}
			}
			if strings.Contains(logs.String(), password) || (err != nil && strings.Contains(err.Error(), password)) {
				t.Fatalf("password leaked: %v\n%s", err, logs.String())
			}
		})
	}
}
