package config

import (
	"runtime/debug"
	"strings"
	"testing"
)

// A recursive alias is refused at its line instead of recursing until the
// stack (1 GB) is exhausted. The small stack limit makes the old failure
// quick.
func TestRecursiveAliasIsRefusedWithItsLine(t *testing.T) {
	defer debug.SetMaxStack(debug.SetMaxStack(64 << 20))
	for _, tc := range []struct{ name, old, new, path string }{
		{"node in its own children", "          - function: it\n", "          - &n\n            function: it\n            children: [*n] # HERE\n",
			"call_trees[0].nodes[0].children[0].children[0]"},
		{"tree in its own nodes", "            deputies: [d]\n", "            deputies: [d]\n            children: [*t] # HERE\n",
			"call_trees[0].nodes[0].children[0].children[0]"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			src := strings.Replace(edit(t, tc.old, tc.new), "call_trees:\n  - id: mi", "call_trees:\n  - &t\n    id: mi", 1)
			line := markedLine(t, src)
			cfg, probs, _ := LoadBytes("test.yaml", []byte(src), testEnv)
			if cfg != nil {
				t.Fatal("a recursive alias loaded")
			}
			for _, p := range probs {
				if p.Line == line && strings.HasPrefix(p.Path, tc.path) && strings.Contains(p.Message, "refers to a node that contains it") {
					return
				}
			}
			t.Fatalf("want the recursive alias at line %d, %s; got\n%s", line, tc.path, probs)
		})
	}
}

// Syntax errors carry the line where the unclosed bracket or quote opens
// (the YAML library counts some of them from 0), and a file with binary
// junk the line of the first bad byte.
func TestSyntaxErrorLines(t *testing.T) {
	for _, tc := range []struct {
		name, src string
		line      int
		message   string
	}{
		{"unclosed brace", "version: 1\nfunctions: {a: 1\n\n\nx: 2\n", 2, "not closed"},
		{"unclosed brace in a list", "version: 1\nfunctions:\n  - id: a\n  - {id: b, name: c\npeople: []\n", 4, "not closed"},
		{"unclosed bracket", "version: 1\n\nfunctions: [a, b\ny: 2\n", 3, "not closed"},
		{"stray brace", "version: 1\nx: {a: 1}}\ny: 2\n", 2, "invalid YAML"},
		{"unclosed quote on the first line", "\"version: 1\npeople: []\n", 1, "quote"},
		{"unclosed quote further down", "version: 1\nx:\n  y: \"abc\n  z: 1\n", 3, "quote"},
		{"unclosed single quote", "version: 1\nx:\n  - 'abc\n  - 1\n", 3, "quote"},
		{"NUL byte", "version: 1\nfunctions: []\npeople: x\x00y\n", 3, "control character"},
		{"invalid UTF-8", "version: 1\n# Gr\xfc\xdfe\n", 2, "not UTF-8"},
		{"an executable", "\x7fELF\x02\x01\x01\x00\x00\x00\x00", 1, "control character"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cfg, probs, err := LoadBytes("bad.yaml", []byte(tc.src), nil)
			if err != nil || cfg != nil {
				t.Fatalf("cfg=%v err=%v", cfg != nil, err)
			}
			if len(probs) != 1 || probs[0].Line != tc.line || !strings.Contains(probs[0].Message, tc.message) {
				t.Fatalf("want one problem at line %d mentioning %q, got:\n%s", tc.line, tc.message, probs)
			}
		})
	}
}
