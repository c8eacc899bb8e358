package main

import (
	"bytes"
	"strings"
	"testing"
)

// TestCommandLine: help and bad arguments answer at once and never start a
// measurement.
func TestCommandLine(t *testing.T) {
	for _, tc := range []struct {
		name string
		args []string
		code int
		says string
	}{
		{"help", []string{"--help"}, 0, "fake-twilio"},
		{"unknown command", []string{"bogus"}, 2, "unknown command or argument: bogus"},
		{"bad flag", []string{"--recipients", "many"}, 2, "invalid value"},
		{"too few recipients", []string{"--recipients", "10", "--per-org", "100"}, 2, "--recipients must be at least --per-org"},
		{"no priority rate", []string{"--priority-rate", "0"}, 2, "--priority-rate and --priority-runs positive"},
		{"no board streams", []string{"--board-streams", "0"}, 2, "must be positive"},
		{"more board replies than incidents", []string{"--board-incidents", "10", "--board-replies", "11"}, 2, "must not exceed --board-incidents"},
		{"no failover runs", []string{"--failover-runs", "0"}, 2, "--failover-runs must be positive"},
		{"nats-node without a port", []string{"nats-node"}, 2, "nats-node needs --port"},
		{"fake-twilio bad flag", []string{"fake-twilio", "--latency", "soon"}, 2, "invalid value"},
		{"load-replies without a target", []string{"load-replies"}, 2, "load-replies needs --url"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var out, errOut bytes.Buffer
			if code := run(t.Context(), tc.args, &out, &errOut); code != tc.code {
				t.Fatalf("exit %d, want %d\n%s%s", code, tc.code, out.String(), errOut.String())
			}
			if all := out.String() + errOut.String(); !strings.Contains(all, tc.says) {
				t.Fatalf("output lacks %q:\n%s", tc.says, all)
			}
		})
	}
}
