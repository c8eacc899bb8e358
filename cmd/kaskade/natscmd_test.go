package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestNATSUserCommands(t *testing.T) {
	data, dir := t.TempDir(), t.TempDir()
	seed := filepath.Join(dir, "siem.nk")
	for _, tc := range []struct {
		args []string
		code int
		out  string
	}{
		{[]string{"nats", "add-user", "siem", "--role", "declarer", "--out", seed, "--data", data}, 0, "siem (declarer)"},
		{[]string{"nats", "add-user", "--data", data, "--role", "observer", "--out", filepath.Join(dir, "lage.nk"), "lagebild"}, 0, "lagebild (observer)"},
		{[]string{"nats", "add-user", "siem", "--role", "declarer", "--data", data}, 1, ""},
		{[]string{"nats", "add-user", "Bad.Name", "--role", "declarer", "--data", data}, 1, ""},
		{[]string{"nats", "add-user", "x", "--data", data}, 2, ""},
		{[]string{"nats", "list-users", "--data", data}, 0, "lagebild  observer"},
		{[]string{"nats", "revoke", "lagebild", "--data", data}, 0, "revoked"},
		{[]string{"nats", "revoke", "lagebild", "--data", data}, 1, ""},
		{[]string{"nats", "frobnicate"}, 2, ""},
	} {
		var out, errOut bytes.Buffer
		if code := run(t.Context(), tc.args, nil, &out, &errOut); code != tc.code || !strings.Contains(out.String(), tc.out) {
			t.Errorf("%v: exit %d, output %q %q; want %d, %q", tc.args, code, out.String(), errOut.String(), tc.code, tc.out)
		}
	}
	if b, err := os.ReadFile(seed); err != nil || !strings.HasPrefix(string(b), "SU") {
		t.Fatalf("seed file: %v", err)
	}
	var out bytes.Buffer
	run(t.Context(), []string{"nats", "list-users", "--data", data}, nil, &out, &out)
	if strings.Contains(out.String(), "lagebild") || !strings.Contains(out.String(), "siem") {
		t.Fatalf("after revoke:\n%s", out.String())
	}
}
