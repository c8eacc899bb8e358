package config

import (
	"strings"
	"testing"
	"unsafe"

	"go.yaml.in/yaml/v3"
)

// node is a tree node as the tests compare it: a tnode expanded into its
// value and a slice of children (an alias holds its target as content[0]).
type node struct {
	value   string
	content []*node
	line    int32
	kind    nodeKind
	tag     nodeTag
}

// expand returns the tree as nodes.
func (t *tree) expand() *node {
	seen := map[*tnode]*node{}
	var conv func(n *tnode) *node
	conv = func(n *tnode) *node {
		if e, ok := seen[n]; ok {
			return e
		}
		e := &node{value: t.value(n), line: n.line, kind: n.kind, tag: n.tag}
		seen[n] = e
		switch n.kind {
		case mappingNode, sequenceNode:
			for i := range n.b {
				e.content = append(e.content, conv(t.child(n, i)))
			}
		case aliasNode:
			if n.b == 1 {
				e.content = []*node{conv(t.at(n.a))}
			}
		}
		return e
	}
	return conv(t.root)
}

// fastParse is parseFast with its tree expanded.
func fastParse(data []byte) (*node, bool) {
	t, ok := parseFast(data)
	if !ok {
		return nil, false
	}
	return t.expand(), true
}

// fromYAML is treeFromYAML with its tree expanded.
func fromYAML(y *yaml.Node) *node { return treeFromYAML(y).expand() }

// TestTreeSize keeps the tree of a file with 40,000 call-tree nodes small
// (its people are in a people file): the nodes, in
// the blocks allocated for them, must stay within 17 bytes a node, and the
// text of the scalars within 40 % of the source (measured by size, so it is
// the same on every run).
func TestTreeSize(t *testing.T) {
	data := benchYAML(400, 100)
	tr, ok := parseFast(data)
	if !ok {
		t.Fatal("parseFast declined the bench file")
	}
	n := tr.nodes()
	var bytes int
	for _, b := range tr.blocks {
		bytes += cap(b) * int(unsafe.Sizeof(tnode{}))
	}
	bytes += cap(tr.blocks) * int(unsafe.Sizeof([]tnode{}))
	perNode := float64(bytes) / float64(n)
	t.Logf("%d nodes, %.1f bytes a node, text %d bytes of a %d-byte source", n, perNode, len(tr.text), len(data))
	if n < 200_000 {
		t.Errorf("only %d nodes; the bench file changed?", n)
	}
	if perNode > 17 {
		t.Errorf("%.1f bytes a node, want at most 17", perNode)
	}
	if len(tr.text) > len(data)*4/10 {
		t.Errorf("tree holds %d bytes of text for a %d-byte source, want at most 40 %%", len(tr.text), len(data))
	}
}

// TestLongKeys: yaml.v3 rejects simple keys longer than 1024 characters,
// so parseFast must leave them to it.
func TestLongKeys(t *testing.T) {
	for _, n := range []int{1024, 1025} {
		k := strings.Repeat("C", n)
		for _, src := range []string{k + ": 1\n", "- " + k + ": 1\n", "a: {" + k + ": 1}\n", "a: {x: 1, " + k + ": 1}\n", "b:\n  " + k + ": 1\n"} {
			if accepted := checkFastParse(t, []byte(src)); accepted != (n <= 1024) {
				t.Errorf("key of %d characters, %q…: parseFast accepted=%v", n, src[:4], accepted)
			}
		}
	}
	if !checkFastParse(t, []byte("- "+strings.Repeat("C", 2000)+"\n")) {
		t.Error("a long plain value was declined")
	}
}
