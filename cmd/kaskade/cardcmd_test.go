package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestCardCommand(t *testing.T) {
	out := filepath.Join(t.TempDir(), "karte.html")
	tests := []struct {
		name string
		args []string
		code int
		want string // in stdout, or in the file when -o is given
	}{
		{"german to stdout", []string{"card", "MI"}, 0, "Notfallkarte"},
		{"english to a file", []string{"card", "StK", "--lang", "en", "--size", "a4", "-o", out}, 0, "size:A4"},
		{"unknown organisation", []string{"card", "NOPE"}, 1, ""},
		{"no organisation", []string{"card"}, 2, ""},
		{"bad language", []string{"card", "MI", "--lang", "fr"}, 2, ""},
		{"missing file", []string{"card", "MI", "--config", filepath.Join(t.TempDir(), "none.yaml")}, 1, ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var stdout, stderr bytes.Buffer
			if code := run(t.Context(), tc.args, nil, &stdout, &stderr); code != tc.code {
				t.Fatalf("exit %d, want %d; stderr %s", code, tc.code, stderr.String())
			}
			got := stdout.String()
			if strings.Contains(strings.Join(tc.args, " "), "-o") {
				b, err := os.ReadFile(out)
				if err != nil {
					t.Fatal(err)
				}
				got = string(b)
			}
			if !strings.Contains(got, tc.want) {
				t.Errorf("output lacks %q:\n%.300s", tc.want, got)
			}
		})
	}
}
