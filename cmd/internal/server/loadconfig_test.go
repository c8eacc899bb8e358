package server

import (
	"bytes"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/kaskade-bcm/kaskade/config"
)

func TestStartLogsABoundedNumberOfConfigWarnings(t *testing.T) {
	path := filepath.Join(t.TempDir(), "k.yaml")
	// Thirty organisations whose call trees lack deputies: a warning each.
	if err := os.WriteFile(path, []byte(noDeputies(30)), 0o600); err != nil {
		t.Fatal(err)
	}
	_, probs, err := config.Load(path)
	if err != nil {
		t.Fatal(err)
	}
	total := len(probs.Warnings())
	if total <= maxLoggedWarnings {
		t.Fatalf("the test configuration has %d warnings; it needs more than %d", total, maxLoggedWarnings)
	}
	var logged bytes.Buffer
	if _, err := loadConfig(path, slog.New(slog.NewTextHandler(&logged, nil))); err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSpace(logged.String()), "\n")
	if len(lines) != maxLoggedWarnings+1 {
		t.Fatalf("logged %d lines, want %d warnings and one summary:\n%s", len(lines), maxLoggedWarnings, logged.String())
	}
	if last := lines[len(lines)-1]; !strings.Contains(last, "kaskade config check") || !strings.Contains(last, "total="+strconv.Itoa(total)) {
		t.Fatalf("summary line %q does not point to `kaskade config check` with the total", last)
	}
}

// TestStartRefusesABadConfiguration: the configuration loads while NATS
// starts; a bad one still stops the start with its problems and leaves the
// data directory usable (NATS was shut down).
func TestStartRefusesABadConfiguration(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "bad.yaml")
	if err := os.WriteFile(path, []byte("version: 1\nunknown_key: 1\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	data := filepath.Join(dir, "data")
	_, err := Start(t.Context(), Options{ConfigPath: path, DataDir: data, HTTPAddr: "127.0.0.1:0", NATSListen: "off"})
	if err == nil || !strings.Contains(err.Error(), "unknown_key") {
		t.Fatalf("start with a bad configuration: %v; want its problem named", err)
	}
	// The same data directory starts with a good configuration.
	s, err := Start(t.Context(), Options{DataDir: data, HTTPAddr: "127.0.0.1:0", NATSListen: "off"})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	stream, err := s.JS.Stream(t.Context(), s.Layout.EventsStream())
	if err != nil {
		t.Fatal(err)
	}
	info, err := stream.Info(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	if info.State.Msgs != 0 {
		t.Fatalf("%d events in the log after a refused start", info.State.Msgs)
	}
}

// noDeputies is a configuration of n organisations with one person each and
// no deputy in their call trees.
func noDeputies(n int) string {
	var b strings.Builder
	b.WriteString(`version: 1
functions:
  - {id: staff, name: {de: Stab, en: Staff}}
policies:
  - {id: sms-only, wait: 30m, steps: [{channel: sms, after: 0s}]}
organisations:
`)
	for o := range n {
		fmt.Fprintf(&b, "  - {id: O%d, name: {de: Org %d, en: Org %d}, call_tree: t%d, readiness: {required: {staff: 1}, target: 2h}}\n", o, o, o, o)
	}
	b.WriteString("people:\n")
	for o := range n {
		fmt.Fprintf(&b, "  - {id: p%d, name: Person %d, organisation: O%d, mobile: \"+49151%08d\", functions: [staff]}\n", o, o, o, o)
	}
	b.WriteString("call_trees:\n")
	for o := range n {
		fmt.Fprintf(&b, "  - {id: t%d, organisation: O%d, policy: sms-only, nodes: [{function: staff, person: p%d}]}\n", o, o, o)
	}
	b.WriteString(`scenarios:
  - id: s
    name: {de: Lage, en: Situation}
    severity: crisis
    organisations: [O0]
    templates:
      de: {sms: "{{.Title}}", email_subject: "{{.Title}}", email_body: "{{.Title}}"}
      en: {sms: "{{.Title}}", email_subject: "{{.Title}}", email_body: "{{.Title}}"}
`)
	return b.String()
}
