package config

import (
	"fmt"
	"strings"
	"testing"

	"go.yaml.in/yaml/v3"
)

// sameTree reports how a differs from b, or "" if they are equal in all
// the loader reads.
func sameTree(path string, a, b *node) string {
	if a.kind != b.kind || a.tag != b.tag || a.value != b.value || a.line != b.line || len(a.content) != len(b.content) {
		return fmt.Sprintf("%s: fast {kind %d tag %d %q line %d, %d children} yaml.v3 {kind %d tag %d %q line %d, %d children}",
			path, a.kind, a.tag, a.value, a.line, len(a.content), b.kind, b.tag, b.value, b.line, len(b.content))
	}
	for i := range a.content {
		if d := sameTree(fmt.Sprintf("%s/%d", path, i), a.content[i], b.content[i]); d != "" {
			return d
		}
	}
	return ""
}

// checkFastParse fails if fastParse accepts src but yaml.v3 reads it
// differently (or not at all). accepted says whether fastParse took it.
func checkFastParse(t *testing.T, src []byte) (accepted bool) {
	t.Helper()
	fast, ok := fastParse(src)
	if !ok {
		return false
	}
	var root yaml.Node
	if err := yaml.Unmarshal(src, &root); err != nil {
		t.Fatalf("fastParse accepted what yaml.v3 rejects (%v):\n%s", err, src)
	}
	if root.Kind != yaml.DocumentNode || len(root.Content) != 1 {
		t.Fatalf("fastParse accepted a document yaml.v3 sees as kind %d:\n%s", root.Kind, src)
	}
	if d := sameTree("", fast, fromYAML(root.Content[0])); d != "" {
		t.Fatalf("trees differ at %s in\n%s", d, src)
	}
	return true
}

func TestFastParseMatchesYAML(t *testing.T) {
	// The example uses block scalars (|), which fastParse leaves to
	// yaml.v3; it still must not accept it wrongly.
	_, example := Example()
	checkFastParse(t, example)
	for name, src := range map[string]string{
		"base":  base,
		"bench": string(benchYAML(3, 4)),
	} {
		if !checkFastParse(t, []byte(src)) {
			t.Errorf("%s: fastParse declined it; large files would be slow", name)
		}
	}
	accepted := 0
	for _, src := range fastParseCases() {
		if checkFastParse(t, []byte(src)) {
			accepted++
		}
	}
	t.Logf("fastParse accepted %d of %d cases", accepted, len(fastParseCases()))
}

// fastParseCases are small documents at the edges of fastParse's subset.
func fastParseCases() []string {
	return []string{
		"", "# only a comment\n", "a: 1", "a: 1\n", "a:\n  b: 2\n", "a:\n- x\n- y\n", "a:\n  - x\n  -  y\n",
		"- a\n- b\n", "- a: 1\n  b: 2\n- c: 3\n", "- a:\n  - x\n", "-   a: 1\n    b: 2\n",
		"a: {b: c, d: [1, 2, x y]}\n", "a: {}\nb: []\n", "a: [ ]\n", "a: {b: c,}\n", "a: [a,,b]\n",
		"a: 'it''s'\n", "a: \"x\\ty\"\n", "a: \"x # y\"  # c\n", "a: 'x'#c\n", "a: x#c\n", "a: x # c\n",
		"a: yes\nb: no\nc: on\nd: ~\ne: null\nf: True\ng: .5\nh: -.inf\ni: 0x1F\nj: 1_000\nk: 2001-12-14\nl: 1e3\nm: +12\nn: -5m\n",
		"a: 30m\nb: 015100001234\nc: \"0151\"\nd: 0o17\ne: 1.5\n",
		"a: https://x.example/y?z=1\nb: x: y\n", "a: b:c\n", "a: b,c\n", "a: Müller-Lüdenscheidt\n",
		"a: x\n  y\n", "a:\n", "a:\nb: 1\n", "a: |\n  x\n", "a: >\n  x\n", "a: &x 1\nb: *x\n", "a: !!str 1\n",
		"---\na: 1\n", "a: 1\n...\n", "%YAML 1.2\n---\na: 1\n", "a: 1\n b: 2\n", "a: 1\n\n\n# c\nb: 2\n",
		"  a: 1\n  b: 2\n", "a:\n  b: 1\n c: 2\n", "<<: {a: 1}\n", "a: {b: [c, {d: e}]}\n", "a: [b, c\n  ]\n",
		"a: {b: c} x\n", "a: \"b\" c\n", "a: 'b\n", "a: \"\"\n", "a: ''\n", "? a\n: b\n", "a: -\n", "- - a\n",
		"a: [-1, +2, 3.0]\n", "a: {1: x, y: 2}\n", "a: b\n- c\n", "a: 1\nb:\n  - c\n  d: 1\n", "key with space: 1\n",
		"a: x\u2028y\n", "a: \u00a0x\n", "\ufeffa: 1\n", "a: 1\r\n", "a:\t1\n", "a: @x\n", "a: `x\n", "a: %x\n",
	}
}

func FuzzFastParse(f *testing.F) {
	for _, s := range fastParseCases() {
		f.Add(s)
	}
	f.Add(base)
	f.Add(string(benchYAML(1, 2)))
	f.Fuzz(func(t *testing.T, src string) {
		checkFastParse(t, []byte(src))
	})
}

// TestLoadFallbackSameProblems loads documents that fastParse declines and
// accepts, making sure both paths report the same problems.
func TestLoadFallbackSameProblems(t *testing.T) {
	// A trailing document marker sends the same content through yaml.v3.
	src := strings.Replace(base, "version: 1\n", "version: 2\ncolour: red\n", 1)
	if _, ok := fastParse([]byte(src)); !ok {
		t.Fatal("fastParse declined the edited base")
	}
	_, fast, _ := LoadBytes("t.yaml", []byte(src), testEnv)
	_, slow, _ := LoadBytes("t.yaml", []byte(src+"...\n"), testEnv)
	if fast.String() != slow.String() || len(fast) == 0 {
		t.Errorf("fast path:\n%s\nyaml.v3 path:\n%s", fast, slow)
	}
}
