// Package enginetest starts what the engine runs on, for tests of the
// engine and of the packages around it: an in-process nats-server with
// JetStream on disk and no listener, and a client connected to it.
package enginetest

import (
	"testing"
	"time"

	"github.com/nats-io/nats-server/v2/server"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
)

// JetStream starts a nats-server with JetStream in t's temporary directory
// and returns a connection to it; both are closed when t ends. The caller
// ensures the engine's layout (engine.Layout.Ensure).
func JetStream(t testing.TB) (*nats.Conn, jetstream.JetStream) {
	t.Helper()
	return JetStreamIn(t, t.TempDir())
}

// JetStreamIn is JetStream with its store in dir (unencrypted), for tests
// that search the stored files.
func JetStreamIn(t testing.TB, dir string) (*nats.Conn, jetstream.JetStream) {
	t.Helper()
	s, err := server.NewServer(&server.Options{JetStream: true, StoreDir: dir, DontListen: true, NoSigs: true, NoLog: true})
	if err != nil {
		t.Fatal(err)
	}
	s.Start()
	t.Cleanup(s.Shutdown)
	if !s.ReadyForConnections(10 * time.Second) {
		t.Fatal("nats-server not ready")
	}
	nc, err := nats.Connect("", nats.InProcessServer(s))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(nc.Close)
	js, err := jetstream.New(nc)
	if err != nil {
		t.Fatal(err)
	}
	return nc, js
}
