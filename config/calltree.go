package config

// A loaded call tree keeps its nodes in a compact form rather than as the
// nested []Node the file is decoded into: a 100,000-person file has
// 100,000 nodes, and a Node is 104 bytes (three strings, a slice of
// deputies, a wait and a slice of children) where the compact form needs
// 4 to 16. Validation still works on Nodes (its problems name the paths
// of the file); when it finds no error, finish moves every tree into the
// compact form and sets Nodes to nil. Read trees through Len, Walk and
// WalkIndex, which work on either form.

// flatTree is a call tree's nodes in depth-first file order, one entry per
// node in each column. A column whose entries would all be the same is not
// stored.
type flatTree struct {
	people []Person // the configuration's people, which person and deps index
	person []int32  // the node's person
	parent []int32  // position of the node's parent, -1 for a root; nil: every node is a root
	depEnd []int32  // node i's deputies are deps[depEnd[i-1]:depEnd[i]] (from 0 for node 0); nil: no deputies
	deps   []int32
	attr   []int32    // index into attrs; nil: every node has attrs[0]
	attrs  []nodeAttr // the distinct function, policy and wait of the tree's nodes
}

// nodeAttr is what many nodes of a tree have in common.
type nodeAttr struct {
	function, policy string
	wait             Duration
}

func (f *flatTree) len() int { return len(f.person) }

// compactTrees moves the nodes of every call tree into the compact form.
// Every person a node names must be one of c.People (validation found no
// error), else the tree keeps its Nodes.
func (c *Config) compactTrees() {
	people := &c.ix().people
	for i := range c.CallTrees {
		t := &c.CallTrees[i]
		if f, ok := flatten(t.Nodes, c.People, people); ok {
			t.flat, t.Nodes = f, nil
		}
	}
}

// flatten returns the compact form of nodes; false if a person is not in
// the table.
func flatten(nodes []Node, people []Person, byID *table[Person]) (*flatTree, bool) {
	n, deps, roots := 0, 0, true
	attrs := map[nodeAttr]int32{}
	var count func(nodes []Node, depth int)
	count = func(nodes []Node, depth int) {
		for i := range nodes {
			nd := &nodes[i]
			n++
			deps += len(nd.Deputies)
			if depth > 0 {
				roots = false
			}
			a := nodeAttr{nd.Function, nd.Policy, nd.Wait}
			if _, ok := attrs[a]; !ok {
				attrs[a] = int32(len(attrs))
			}
			count(nd.Children, depth+1)
		}
	}
	count(nodes, 0)
	f := &flatTree{people: people, person: make([]int32, 0, n), attrs: make([]nodeAttr, len(attrs))}
	for a, i := range attrs {
		f.attrs[i] = a
	}
	if !roots {
		f.parent = make([]int32, 0, n)
	}
	if deps > 0 {
		f.depEnd, f.deps = make([]int32, 0, n), make([]int32, 0, deps)
	}
	if len(attrs) > 1 {
		f.attr = make([]int32, 0, n)
	}
	ok := true
	pos := func(id string) int32 {
		i := byID.index(id)
		if i < 0 {
			ok = false
		}
		return int32(i)
	}
	var add func(nodes []Node, parent int32)
	add = func(nodes []Node, parent int32) {
		for i := range nodes {
			nd := &nodes[i]
			me := int32(len(f.person))
			f.person = append(f.person, pos(nd.Person))
			if f.parent != nil {
				f.parent = append(f.parent, parent)
			}
			if f.depEnd != nil {
				for _, d := range nd.Deputies {
					f.deps = append(f.deps, pos(d))
				}
				f.depEnd = append(f.depEnd, int32(len(f.deps)))
			}
			if f.attr != nil {
				f.attr = append(f.attr, attrs[nodeAttr{nd.Function, nd.Policy, nd.Wait}])
			}
			add(nd.Children, me)
		}
	}
	add(nodes, -1)
	return f, ok
}

// expand returns the nested nodes of f (to validate a loaded tree again).
func (f *flatTree) expand() []Node {
	var roots []Node
	children := make([][]Node, f.len())
	f.walk(func(i, parent int, n *Node) {
		if parent < 0 {
			roots = append(roots, *n)
		} else {
			children[parent] = append(children[parent], *n)
		}
	}, true)
	// Children were collected by value, so attach them bottom up: a
	// node's children all come after it.
	var attach func(nodes []Node, first int) int
	attach = func(nodes []Node, next int) int {
		for i := range nodes {
			me := next
			next++
			nodes[i].Children = children[me]
			next = attach(nodes[i].Children, next)
		}
		return next
	}
	attach(roots, 0)
	return roots
}

// walk calls fn for every node of f in order with a view of it; with own,
// each view's Deputies are a slice of their own.
func (f *flatTree) walk(fn func(i, parent int, n *Node), own bool) {
	var names []string // every deputy's id, in order
	if len(f.deps) > 0 {
		names = make([]string, len(f.deps))
		for i, d := range f.deps {
			names[i] = f.people[d].ID
		}
	}
	var n Node
	depStart := 0
	for i := range f.person {
		a := &f.attrs[0]
		if f.attr != nil {
			a = &f.attrs[f.attr[i]]
		}
		n = Node{Function: a.function, Person: f.people[f.person[i]].ID, Wait: a.wait, Policy: a.policy}
		if f.depEnd != nil {
			end := int(f.depEnd[i])
			if end > depStart {
				n.Deputies = names[depStart:end:end]
				if own {
					n.Deputies = append([]string(nil), n.Deputies...)
				}
			}
			depStart = end
		}
		parent := -1
		if f.parent != nil {
			parent = int(f.parent[i])
		}
		fn(i, parent, &n)
	}
}

// Len returns the number of nodes of the tree.
func (t *CallTree) Len() int {
	if t.Nodes == nil && t.flat != nil {
		return t.flat.len()
	}
	n := 0
	t.Walk(func(_, _ *Node) { n++ })
	return n
}

// WalkIndex calls fn for every node of the tree, depth first in file
// order, with the node's position in that order (0, 1, …) and its
// parent's position (-1 for a root).
//
// n is valid only until fn returns: for a loaded tree it is a view built
// for the call, without Children. Copy what you keep; Deputies may be
// kept (never appended to).
func (t *CallTree) WalkIndex(fn func(i, parent int, n *Node)) {
	if t.Nodes == nil && t.flat != nil {
		t.flat.walk(fn, false)
		return
	}
	i := 0
	var walk func(nodes []Node, parent int)
	walk = func(nodes []Node, parent int) {
		for j := range nodes {
			me := i
			i++
			fn(me, parent, &nodes[j])
			walk(nodes[j].Children, me)
		}
	}
	walk(t.Nodes, -1)
}

// Walk calls fn for every node of the tree, depth first in file order,
// with the node's parent (nil for roots).
//
// As with WalkIndex, node and parent are valid only until fn returns.
func (t *CallTree) Walk(fn func(node, parent *Node)) {
	if t.Nodes == nil && t.flat != nil {
		// The views of the current node's ancestors, innermost last.
		var stack []Node
		var pos []int
		t.flat.walk(func(i, parent int, n *Node) {
			for len(pos) > 0 && pos[len(pos)-1] != parent {
				stack, pos = stack[:len(stack)-1], pos[:len(pos)-1]
			}
			stack, pos = append(stack, *n), append(pos, i)
			var p *Node
			if len(stack) > 1 {
				p = &stack[len(stack)-2]
			}
			fn(&stack[len(stack)-1], p)
		}, false)
		return
	}
	var walk func(nodes []Node, parent *Node)
	walk = func(nodes []Node, parent *Node) {
		for i := range nodes {
			fn(&nodes[i], parent)
			walk(nodes[i].Children, &nodes[i])
		}
	}
	walk(t.Nodes, nil)
}
