package config

import (
	"fmt"
	"reflect"
	"strings"
	"testing"
	"time"
)

// walked is one node as WalkIndex presents it.
type walked struct {
	Index, Parent int
	Node
}

// flatNodes returns the nodes of a tree in walk order, as copies.
func flatNodes(t *CallTree) []walked {
	var out []walked
	t.WalkIndex(func(i, parent int, n *Node) {
		c := *n
		c.Deputies = append([]string(nil), n.Deputies...)
		c.Children = nil
		out = append(out, walked{Index: i, Parent: parent, Node: c})
	})
	return out
}

// treeYAML is a configuration whose call tree t has the given nodes
// (indented as the items of nodes:). People p1 … p9 cover lead, p10 … p19
// it; policy std (the tree's) waits 10m, fast 2m.
func treeYAML(nodes string) string {
	var b strings.Builder
	b.WriteString(`version: 1
functions:
  - {id: lead, name: {de: Leitung}}
  - {id: it, name: {de: IT}}
policies:
  - {id: std, wait: 10m, steps: [{channel: sms}]}
  - {id: fast, wait: 2m, steps: [{channel: sms}, {channel: email, after: 1m}]}
organisations:
  - {id: MI, name: {de: Innen}, call_tree: t, readiness: {required: {lead: 1}}}
people:
`)
	for i := 1; i < 20; i++ {
		f := "lead"
		if i >= 10 {
			f = "it"
		}
		fmt.Fprintf(&b, "  - {id: p%d, name: P %d, organisation: MI, mobile: \"+4915100002%03d\", email: p%d@mi.example, functions: [%s]}\n", i, i, i, i, f)
	}
	b.WriteString("call_trees:\n  - id: t\n    organisation: MI\n    policy: std\n    nodes:\n")
	b.WriteString(nodes)
	return b.String()
}

func TestCallTreeWalk(t *testing.T) {
	type w = walked
	node := func(fn, person string, deputies ...string) Node {
		return Node{Function: fn, Person: person, Deputies: deputies}
	}
	with := func(n Node, policy string, wait time.Duration) Node {
		n.Policy, n.Wait = policy, Duration(wait)
		return n
	}
	cases := []struct {
		name  string
		nodes string
		want  []walked
	}{
		{"roots only, nothing varies", `
      - {function: lead, person: p1}
      - {function: lead, person: p2}
      - {function: lead, person: p3}
`, []walked{
			{0, -1, node("lead", "p1")},
			{1, -1, node("lead", "p2")},
			{2, -1, node("lead", "p3")},
		}},
		{"nested children with deputies, function from the person", `
      - person: p1
        deputies: [p2, p3]
        children:
          - person: p10
            deputies: [p11]
            children:
              - {person: p12}
              - {person: p13, deputies: [p14]}
          - {function: lead, person: p4}
`, []walked{
			{0, -1, node("lead", "p1", "p2", "p3")},
			{1, 0, node("it", "p10", "p11")},
			{2, 1, node("it", "p12")},
			{3, 1, node("it", "p13", "p14")},
			{4, 0, node("lead", "p4")},
		}},
		{"per-node policy and wait, several roots with subtrees", `
      - function: lead
        person: p1
        wait: 5m
        children:
          - {function: it, person: p10, policy: fast}
          - function: it
            person: p11
            policy: fast
            wait: 90s
            deputies: [p12]
            children:
              - {function: it, person: p13}
      - function: lead
        person: p2
        policy: fast
        children:
          - {function: it, person: p14, deputies: [p15, p16]}
      - {function: lead, person: p3, wait: 5m}
`, []walked{
			{0, -1, with(node("lead", "p1"), "", 5*time.Minute)},
			{1, 0, with(node("it", "p10"), "fast", 0)},
			{2, 0, with(node("it", "p11", "p12"), "fast", 90*time.Second)},
			{3, 2, node("it", "p13")},
			{4, -1, with(node("lead", "p2"), "fast", 0)},
			{5, 4, node("it", "p14", "p15", "p16")},
			{6, -1, with(node("lead", "p3"), "", 5*time.Minute)},
		}},
		{"deputies on some nodes only, a deep chain", `
      - function: lead
        person: p1
        children:
          - function: lead
            person: p2
            deputies: [p3]
            children:
              - function: it
                person: p10
                children:
                  - {function: it, person: p11, deputies: [p12]}
      - {function: lead, person: p4}
`, []walked{
			{0, -1, node("lead", "p1")},
			{1, 0, node("lead", "p2", "p3")},
			{2, 1, node("it", "p10")},
			{3, 2, node("it", "p11", "p12")},
			{4, -1, node("lead", "p4")},
		}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			cfg, probs, err := LoadBytes("t.yaml", []byte(treeYAML(c.nodes)), nil)
			if err != nil || probs.Err() != nil {
				t.Fatalf("%v\n%s", err, probs)
			}
			tree, _ := cfg.CallTree("t")
			check := func(when string, tree *CallTree) {
				t.Helper()
				if tree.Len() != len(c.want) {
					t.Errorf("%s: Len = %d, want %d", when, tree.Len(), len(c.want))
				}
				if got := flatNodes(tree); !reflect.DeepEqual(got, c.want) {
					t.Errorf("%s: WalkIndex\n got %+v\nwant %+v", when, got, c.want)
				}
				i := 0
				tree.Walk(func(n, parent *Node) {
					defer func() { i++ }()
					if i >= len(c.want) {
						t.Fatalf("%s: Walk: more than %d nodes", when, len(c.want))
					}
					want := c.want[i]
					if n.Person != want.Person || n.Function != want.Function || n.Policy != want.Policy || n.Wait != want.Wait ||
						!reflect.DeepEqual(append([]string(nil), n.Deputies...), want.Deputies) {
						t.Errorf("%s: Walk node %d = %+v, want %+v", when, i, *n, want.Node)
					}
					switch {
					case want.Parent < 0 && parent != nil:
						t.Errorf("%s: Walk node %d: parent %+v, want none", when, i, *parent)
					case want.Parent >= 0 && (parent == nil || parent.Person != c.want[want.Parent].Person):
						t.Errorf("%s: Walk node %d: parent %v, want %s", when, i, parent, c.want[want.Parent].Person)
					}
				})
				if i != len(c.want) {
					t.Errorf("%s: Walk visited %d nodes, want %d", when, i, len(c.want))
				}
			}
			if tree.Nodes != nil || tree.flat == nil {
				t.Fatal("a loaded tree must be kept in the compact form only")
			}
			check("loaded", tree)

			// The nested form the compact one came from walks the same.
			nested := *tree
			nested.Nodes, nested.flat = tree.flat.expand(), nil
			check("nested", &nested)

			// Validating again works on the nodes and compacts them again.
			if probs := cfg.Validate(); probs.Err() != nil {
				t.Fatalf("validate again: %s", probs)
			}
			if tree.Nodes != nil || tree.flat == nil {
				t.Fatal("validated again: not compact")
			}
			check("validated again", tree)
		})
	}
}

// TestCallTreeLiteral covers trees built in Go: Validate compacts them
// unless it finds an error, and either form walks the same.
func TestCallTreeLiteral(t *testing.T) {
	build := func(child string) *Config {
		return &Config{Path: "go", Version: 1,
			Functions:     []Function{{ID: "lead", Name: Localized{DE: "L"}}},
			Organisations: []Organisation{{ID: "MI", Name: Localized{DE: "MI"}, Readiness: Readiness{Required: map[string]int{"lead": 1}}}},
			People: []Person{
				{ID: "a", Name: "A", Organisation: "MI", Email: "a@x.example", Functions: []string{"lead"}},
				{ID: "b", Name: "B", Organisation: "MI", Email: "b@x.example", Functions: []string{"lead"}},
				{ID: "c", Name: "C", Organisation: "MI", Email: "c@x.example", Functions: []string{"lead"}},
			},
			CallTrees: []CallTree{{ID: "t", Organisation: "MI", Nodes: []Node{
				{Person: "a", Deputies: []string{"b"}, Children: []Node{{Person: child, Wait: Duration(time.Minute)}}},
			}}},
		}
	}
	want := []walked{
		{0, -1, Node{Function: "lead", Person: "a", Deputies: []string{"b"}}},
		{1, 0, Node{Function: "lead", Person: "c", Wait: Duration(time.Minute)}},
	}
	cfg := build("c")
	if probs := cfg.Validate(); probs.Err() != nil {
		t.Fatal(probs)
	}
	if tree := &cfg.CallTrees[0]; tree.Nodes != nil || tree.flat == nil {
		t.Error("Validate must compact a valid tree")
	}
	if got := flatNodes(&cfg.CallTrees[0]); !reflect.DeepEqual(got, want) {
		t.Errorf("got %+v\nwant %+v", got, want)
	}

	cfg = build("nobody")
	if probs := cfg.Validate(); probs.Err() == nil {
		t.Fatal("want an unknown-person error")
	}
	tree := &cfg.CallTrees[0]
	if tree.Nodes == nil || tree.flat != nil {
		t.Error("an invalid tree keeps its nodes")
	}
	want[1].Person, want[1].Function = "nobody", "" // no person, so no function of theirs
	if got := flatNodes(tree); !reflect.DeepEqual(got, want) || tree.Len() != 2 {
		t.Errorf("got %+v\nwant %+v", got, want)
	}
}
