package main

import (
	"bytes"
	"log/slog"
	"path/filepath"
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
