package main

import (
	"bytes"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/kaskade-bcm/kaskade/config"
)

func TestStartLogsABoundedNumberOfConfigWarnings(t *testing.T) {
	t.Setenv(benchTokenEnv, "abc123")
	path := filepath.Join(t.TempDir(), "k.yaml")
	// Thirty organisations whose call trees lack deputies: a warning each.
	bc := benchConfig{Orgs: 30, PerOrg: 1, PublicURL: "http://127.0.0.1:1", AccountSID: "AC" + strings.Repeat("0", 32),
		APIURL: "http://127.0.0.1:2", Concurrency: 1}
	if err := bc.write(path); err != nil {
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

// TestConfigCheckOutputIsStable: the segment report lists each scenario's
// languages in order, so two runs print the same (map order must not leak).
func TestConfigCheckOutputIsStable(t *testing.T) {
	cfg, _, err := config.LoadExample()
	if err != nil {
		t.Fatal(err)
	}
	first := segmentWarnings(cfg)
	if len(first) < 2 {
		t.Fatalf("the example should report segments for several templates, got %v", first)
	}
	for range 20 {
		if again := segmentWarnings(cfg); !slices.Equal(first, again) {
			t.Fatalf("segment report changed between runs:\n%v\n%v", first, again)
		}
	}
	for i := 1; i < len(first); i++ {
		prev, cur := first[i-1], first[i]
		// Within one scenario, "(de)" comes before "(en)".
		prevScenario, _, _ := strings.Cut(prev, " (")
		curScenario, _, _ := strings.Cut(cur, " (")
		if prevScenario == curScenario && strings.Contains(prev, "(en)") && strings.Contains(cur, "(de)") {
			t.Fatalf("languages out of order: %q before %q", prev, cur)
		}
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
	_, err := startServer(t.Context(), serveOptions{ConfigPath: path, DataDir: data, HTTPAddr: "127.0.0.1:0", NATSListen: "off"})
	if err == nil || !strings.Contains(err.Error(), "unknown_key") {
		t.Fatalf("start with a bad configuration: %v; want its problem named", err)
	}
	// The same data directory starts with a good configuration.
	s, err := startServer(t.Context(), serveOptions{DataDir: data, HTTPAddr: "127.0.0.1:0", NATSListen: "off"})
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
