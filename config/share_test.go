package config

import (
	"strconv"
	"strings"
	"testing"
	"unsafe"
)

// TestSharedTexts checks that a loaded configuration keeps repeated texts
// once: what BenchmarkLoad100k's retained-MB depends on.
func TestSharedTexts(t *testing.T) {
	path, data := benchFiles(t, 3, 4)
	cfg, probs, err := LoadBytes(path, data, benchEnv)
	if err != nil || probs.Err() != nil {
		t.Fatalf("%v %v", err, probs)
	}
	same := func(a, b string) bool { return unsafe.StringData(a) == unsafe.StringData(b) }
	// tt1 from the YAML, then p000000 from the people file.
	p0, p1, p2 := &cfg.People[0], &cfg.People[1], &cfg.People[2]
	if !same(p1.Organisation, p2.Organisation) || !same(p0.Functions[0], p1.Functions[0]) {
		t.Error("a person's organisation and functions must be one copy")
	}
	if &p0.Functions[0] != &p1.Functions[0] || cap(p0.Functions) != len(p0.Functions) {
		t.Error("equal function lists must share one slice, with no room to append into")
	}
	tree := &cfg.CallTrees[0]
	if n := &flatNodes(tree)[0].Node; n.Person != p1.ID || !same(n.Person, p1.ID) || !same(n.Function, p1.Functions[0]) {
		t.Error("a node must use its person's id and the one copy of its function")
	}
}

// Lists are shared by their texts; a list must never be taken for another
// whose texts join to the same bytes.
func TestSharedListsAreNotConfused(t *testing.T) {
	for _, tc := range []struct{ first, second, unknown string }{
		{first: `[lead, lead]`, second: `["lead\0lead"]`, unknown: "lead\x00lead"},
		{first: `["lead\0lead"]`, second: `[lead, lead]`, unknown: "lead\x00lead"},
		{first: `[lead]`, second: `["le", "ad"]`, unknown: "le"},
	} {
		y := strings.Replace(base, "functions: [lead]", "functions: "+tc.first, 1)
		y = strings.Replace(y, "functions: [lead]", "functions: "+tc.second, 1)
		_, probs, err := LoadBytes("lists.yaml", []byte(y), testEnv)
		if err != nil {
			t.Fatal(err)
		}
		if err := probs.Err(); err == nil || !strings.Contains(err.Error(), strconv.Quote(tc.unknown)) {
			t.Errorf("%s then %s: want the unknown function %q reported, got %v", tc.first, tc.second, tc.unknown, err)
		}
	}
}
