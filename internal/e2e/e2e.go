// Package e2e gates the long test suites (crash harness, NATS cluster,
// browser, mailpit) behind one switch, KASKADE_E2E=1, which .ci/run sets.
// Test files import it; no command does (imports_test.go checks the server).
package e2e

import (
	"os"
	"testing"
)

// Env is the switch that runs the long suites.
const Env = "KASKADE_E2E"

// Long skips the calling test unless KASKADE_E2E is set (and not "0"),
// saying why and how to run it.
func Long(t testing.TB) {
	t.Helper()
	if !Enabled() {
		t.Skip("long suite: set KASKADE_E2E=1 (CI does)")
	}
}

// Enabled reports whether the long suites run.
func Enabled() bool {
	v := os.Getenv(Env)
	return v != "" && v != "0"
}
