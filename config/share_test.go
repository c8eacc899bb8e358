package config

import (
	"bytes"
	"strconv"
	"strings"
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

// Lists are shared by their texts; a list must never be taken for another
// whose texts join to the same bytes.
func TestSharedListsAreNotConfused(t *testing.T) {
	for _, tc := range []struct{ first, second, unknown string }{
		{first: `[staff, staff]`, second: `["staff\0staff"]`, unknown: "staff\x00staff"},
		{first: `["staff\0staff"]`, second: `[staff, staff]`, unknown: "staff\x00staff"},
		{first: `[staff]`, second: `["sta", "ff"]`, unknown: "sta"},
	} {
		y := benchYAML(1, 2)
		y = bytes.Replace(y, []byte(`mobile: "+4915100000000", functions: [staff]`), []byte(`mobile: "+4915100000000", functions: `+tc.first), 1)
		y = bytes.Replace(y, []byte(`mobile: "+4915100000001", functions: [staff]`), []byte(`mobile: "+4915100000001", functions: `+tc.second), 1)
		_, probs, err := LoadBytes("lists.yaml", y, benchEnv)
		if err != nil {
			t.Fatal(err)
		}
		if err := probs.Err(); err == nil || !strings.Contains(err.Error(), strconv.Quote(tc.unknown)) {
			t.Errorf("%s then %s: want the unknown function %q reported, got %v", tc.first, tc.second, tc.unknown, err)
		}
	}
}
