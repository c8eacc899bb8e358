package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/kaskade-bcm/kaskade/cmd/internal/server"
	"github.com/kaskade-bcm/kaskade/config"
	"github.com/kaskade-bcm/kaskade/notifiers"
)

// TestAuditExportOfARealIncident declares two incidents on a server with
// a NATS listener, exports the first with a key created on first use, and
// checks that the export verifies and that tampering and a wrong key do not.
func TestAuditExportOfARealIncident(t *testing.T) {
	dir := t.TempDir()
	rec := &recorder{}
	s, err := server.Start(t.Context(), server.Options{DataDir: dir, HTTPAddr: "127.0.0.1:0", NATSListen: "127.0.0.1:0",
		Notifiers: map[string]notifiers.Notifier{config.ChannelSMS: rec, config.ChannelEmail: rec}, Instance: "test"})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = s.Close() })
	ts := &testServer{Server: s, t: t, token: s.AdminToken()}
	waitFor(t, "engine ready", func() bool { return s.Engine.Ready() && s.Engine.Leader() })
	var ids []string
	for _, org := range []string{"MI", "MF"} {
		var out struct {
			IncidentID string `json:"incident_id"`
		}
		if code := ts.api("POST", "/api/v1/incidents", map[string]any{"scenario": "cyberangriff", "organisations": []string{org}, "reason": "Übung", "exercise": true}, &out); code != 201 {
			t.Fatal(code)
		}
		ids = append(ids, out.IncidentID)
	}
	lead := primaries(t, s.Config, "MI")["lead"]
	waitFor(t, "alert", func() bool { return len(rec.to(lead, notifiers.PurposeAlert)) == 1 })
	inputsApplied(t, s)

	run := func(args ...string) (int, string, string) {
		var stdout, stderr bytes.Buffer
		rc := run(context.Background(), append([]string{"audit"}, args...), nil, &stdout, &stderr)
		return rc, stdout.String(), stderr.String()
	}
	file := filepath.Join(t.TempDir(), "export.jsonl")
	rc, out, errOut := run("export", "--incident", ids[0], "-o", file, "--nats-url", s.NATSURL, "--data", dir)
	if rc != 0 || !strings.Contains(out, "Export von "+ids[0]) {
		t.Fatalf("export: exit %d\n%s%s", rc, out, errOut)
	}
	key, err := os.ReadFile(auditKeyFile(dir))
	if err != nil {
		t.Fatal(err)
	}
	for path, mode := range map[string]os.FileMode{auditKeyFile(dir): 0o600, file: 0o600} {
		if fi, err := os.Stat(path); err != nil || fi.Mode().Perm() != mode {
			t.Fatalf("%s: %v, want mode %v", path, err, mode)
		}
	}
	if keyBody := strings.Split(string(key), "\n")[1]; strings.Contains(out+errOut, keyBody) {
		t.Fatal("the signing key was printed")
	}
	pub := auditPubFile(dir)
	if rc, out, errOut := run("verify-export", file, "--pubkey", pub); rc != 0 || !strings.Contains(out, "Export echt: "+ids[0]) {
		t.Fatalf("verify-export: exit %d\n%s%s", rc, out, errOut)
	}
	data, _ := os.ReadFile(file)
	if bytes.Contains(data, []byte(`\"incident\":\"`+ids[1]+`\"`)) || !bytes.Contains(data, []byte(`"type":"gap"`)) {
		t.Fatalf("the other incident's events are not reduced to gaps:\n%.2000s", data)
	}

	ls := bytes.SplitAfter(data, []byte("\n"))
	ls = ls[:len(ls)-1]
	otherKey := filepath.Join(t.TempDir(), "other.pub")
	if rc, _, errOut := run("export", "--incident", ids[1], "-o", filepath.Join(t.TempDir(), "x"), "--nats-url", s.NATSURL,
		"--data", dir, "--key-file", filepath.Join(t.TempDir(), "missing.key")); rc != 1 || !strings.Contains(errOut, "missing.key") {
		t.Fatalf("a missing --key-file: exit %d %s", rc, errOut)
	}
	other := t.TempDir()
	if rc, _, errOut := run("export", "--incident", ids[1], "-o", filepath.Join(other, "x"), "--nats-url", s.NATSURL, "--data", other,
		"--nats-nkey", filepath.Join(dir, "nats", "service.nk")); rc != 0 {
		t.Fatalf("export with another key: %d %s", rc, errOut)
	}
	if err := os.Rename(auditPubFile(other), otherKey); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name   string
		lines  func() [][]byte
		pubkey string
		want   string
	}{
		{"changed line", func() [][]byte {
			c := slices.Clone(ls)
			c[2] = bytes.Replace(c[2], []byte(`"kind":"`), []byte(`"kind":"x`), 1)
			return c
		}, pub, "EXPORT UNGÜLTIG"},
		{"removed line", func() [][]byte { c := slices.Clone(ls); return append(c[:2], c[3:]...) }, pub, "EXPORT UNGÜLTIG"},
		{"reordered lines", func() [][]byte { c := slices.Clone(ls); c[2], c[3] = c[3], c[2]; return c }, pub, "EXPORT UNGÜLTIG"},
		{"wrong key", func() [][]byte { return ls }, otherKey, "EXPORT UNGÜLTIG"},
		{"first line after the header cut off", func() [][]byte { c := slices.Clone(ls); return append(c[:1], c[2:]...) }, pub,
			"EXPORT UNGÜLTIG (Zeile 2): the chain starts at event "},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := filepath.Join(t.TempDir(), "export.jsonl")
			if err := os.WriteFile(f, bytes.Join(tc.lines(), nil), 0o600); err != nil {
				t.Fatal(err)
			}
			if rc, out, _ := run("verify-export", f, "--pubkey", tc.pubkey); rc != 1 || !strings.Contains(out, tc.want) {
				t.Fatalf("exit %d, want 1 and %q\n%s", rc, tc.want, out)
			}
		})
	}
	if rc, _, _ := run("export", "--nats-url", s.NATSURL); rc != 2 {
		t.Fatalf("without --incident: exit %d, want 2", rc)
	}
}
