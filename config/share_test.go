package config

import (
	"testing"
	"unsafe"
)

// TestSharedTexts checks that a loaded configuration keeps repeated texts
// once: what BenchmarkLoad100k's retained-MB depends on.
func TestSharedTexts(t *testing.T) {
	cfg, probs, err := LoadBytes("bench.yaml", benchYAML(3, 4), benchEnv)
	if err != nil || probs.Err() != nil {
		t.Fatalf("%v %v", err, probs)
	}
	same := func(a, b string) bool { return unsafe.StringData(a) == unsafe.StringData(b) }
	p0, p1 := &cfg.People[0], &cfg.People[1]
	if !same(p0.Organisation, p1.Organisation) || !same(p0.Functions[0], p1.Functions[0]) {
		t.Error("a person's organisation and functions must be one copy")
	}
	if &p0.Functions[0] != &p1.Functions[0] || cap(p0.Functions) != len(p0.Functions) {
		t.Error("equal function lists must share one slice, with no room to append into")
	}
	tree := &cfg.CallTrees[0]
	if n := &flatNodes(tree)[1].Node; n.Person != p1.ID || !same(n.Person, p1.ID) || !same(n.Function, p1.Functions[0]) {
		t.Error("a node must use its person's id and the one copy of its function")
	}
}
