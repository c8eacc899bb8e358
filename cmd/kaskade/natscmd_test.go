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
		{[]string{"nats", "add-user", "siem", "--role", "declarer", "--data", data, "--out", filepath.Join(dir, "siem2.nk")}, 1, ""},
		{[]string{"nats", "add-user", "Bad.Name", "--role", "declarer", "--data", data, "--out", filepath.Join(dir, "bad.nk")}, 1, ""},
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
	if fi, err := os.Stat(seed); err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("seed file mode: %v %v, want 0600", fi.Mode(), err)
	}
	var out bytes.Buffer
	run(t.Context(), []string{"nats", "list-users", "--data", data}, nil, &out, &out)
	if strings.Contains(out.String(), "lagebild") || !strings.Contains(out.String(), "siem") {
		t.Fatalf("after revoke:\n%s", out.String())
	}
}

// TestNATSAddUserWritesTheSeedOnlyWhereTold: the seed is a secret; without
// --out add-user refuses (exit 2, saying to pass --out) instead of writing
// NAME.nk into the working directory, and it never overwrites a file.
func TestNATSAddUserWritesTheSeedOnlyWhereTold(t *testing.T) {
	data, wd := t.TempDir(), t.TempDir()
	t.Chdir(wd)
	existing := filepath.Join(t.TempDir(), "old.nk")
	if err := os.WriteFile(existing, []byte("keep me\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name   string
		args   []string
		code   int
		errOut string
	}{
		{"without --out, with --data", []string{"siem", "--role", "declarer", "--data", data}, 2, "--out FILE fehlt / missing"},
		{"without --out or --data", []string{"siem", "--role", "declarer"}, 2, "Kaskade keeps only the public key"},
		{"--out names an existing file", []string{"siem", "--role", "declarer", "--data", data, "--out", existing}, 1, "file exists"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var out, errOut bytes.Buffer
			if code := run(t.Context(), append([]string{"nats", "add-user"}, tc.args...), nil, &out, &errOut); code != tc.code ||
				!strings.Contains(errOut.String(), tc.errOut) {
				t.Fatalf("exit %d, stderr %q; want %d, %q", code, errOut.String(), tc.code, tc.errOut)
			}
			if files, _ := os.ReadDir(wd); len(files) != 0 {
				t.Fatalf("the working directory holds %v", files)
			}
			if b, _ := os.ReadFile(existing); string(b) != "keep me\n" {
				t.Fatalf("the existing file was overwritten: %q", b)
			}
			var list bytes.Buffer
			run(t.Context(), []string{"nats", "list-users", "--data", data}, nil, &list, &list)
			if strings.Contains(list.String(), "siem") {
				t.Fatalf("the identity was recorded:\n%s", list.String())
			}
		})
	}
}
