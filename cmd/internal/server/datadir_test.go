package server

import (
	"bytes"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestPrivateDir(t *testing.T) {
	for _, tc := range []struct {
		name   string
		before os.FileMode // 0: does not exist
		warn   bool
	}{
		{"new", 0, false},
		{"already private", 0o700, false},
		{"world readable", 0o755, true},
		{"group writable", 0o770, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := filepath.Join(t.TempDir(), "data")
			if tc.before != 0 {
				if err := os.Mkdir(dir, tc.before); err != nil {
					t.Fatal(err)
				}
				if err := os.Chmod(dir, tc.before); err != nil { // umask-independent
					t.Fatal(err)
				}
			}
			var logs bytes.Buffer
			if err := privateDir(dir, slog.New(slog.NewTextHandler(&logs, nil))); err != nil {
				t.Fatal(err)
			}
			fi, err := os.Stat(dir)
			if err != nil {
				t.Fatal(err)
			}
			if fi.Mode().Perm() != 0o700 {
				t.Errorf("mode %v, want 0700", fi.Mode().Perm())
			}
			if got := strings.Contains(logs.String(), "readable by others"); got != tc.warn {
				t.Errorf("warning logged %v, want %v: %s", got, tc.warn, logs.String())
			}
		})
	}
}
