package main

import (
	"bytes"
	"fmt"
	"net"
	"path/filepath"
	"strings"
	"testing"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/kaskade-bcm/kaskade/activation/engine"
	"github.com/kaskade-bcm/kaskade/cmd/internal/natsd"
)

// TestBackupCommands backs up a stopped server's data directory, verifies,
// restores into a fresh one and verifies that, through the command line.
func TestBackupCommands(t *testing.T) {
	src, dst, dir := t.TempDir(), filepath.Join(t.TempDir(), "fresh"), t.TempDir()
	seedLog(t, src, 5)
	// A listener stands in for a running server on the data directory.
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	backupDir := filepath.Join(dir, "b1")
	off := []string{"--nats-listen", "off"}
	for _, tc := range []struct {
		args []string
		code int
		out  string
	}{
		{[]string{"backup", "--data", src, "--out", backupDir, "--nats-listen", ln.Addr().String()}, 1, ""},
		{append([]string{"backup", "--data", src, "--out", backupDir}, off...), 0, "KASKADE_EVENTS"},
		{[]string{"backup", "verify", backupDir}, 0, "files match"},
		{append([]string{"restore", "--from", backupDir, "--data", dst}, off...), 0, "erase them again once Kaskade runs"},
		{append([]string{"backup", "verify", backupDir, "--data", dst}, off...), 0, "JetStream matches"},
		{append([]string{"restore", "--from", backupDir, "--data", dst}, off...), 1, ""},
		{append([]string{"backup", "--data", filepath.Join(dir, "nothing"), "--out", filepath.Join(dir, "b2")}, off...), 1, ""},
		{[]string{"backup", "--out", filepath.Join(dir, "b3")}, 2, ""},
		{[]string{"restore", backupDir}, 2, ""},
	} {
		var out, errOut bytes.Buffer
		if code := run(t.Context(), tc.args, nil, &out, &errOut); code != tc.code || !strings.Contains(out.String(), tc.out) {
			t.Errorf("%v: exit %d, output %q %q; want %d, %q", tc.args, code, out.String(), errOut.String(), tc.code, tc.out)
		}
	}
}

// seedLog writes n events into a data directory's embedded JetStream and stops it.
func seedLog(t *testing.T, data string, n int) {
	t.Helper()
	e, err := natsd.Start(natsd.Options{DataDir: data, Listen: "off"})
	if err != nil {
		t.Fatal(err)
	}
	defer e.Shutdown()
	nc, err := e.Connect()
	if err != nil {
		t.Fatal(err)
	}
	defer nc.Close()
	js, err := jetstream.New(nc)
	if err != nil {
		t.Fatal(err)
	}
	layout := engine.Layout{}
	if err := layout.Ensure(t.Context(), js); err != nil {
		t.Fatal(err)
	}
	for i := range n {
		if _, err := js.Publish(t.Context(), layout.EventSubject("K1", "situation_update"), fmt.Appendf(nil, `{"v":1,"n":%d}`, i)); err != nil {
			t.Fatal(err)
		}
	}
}
