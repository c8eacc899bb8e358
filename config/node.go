package config

import "go.yaml.in/yaml/v3"

// node is the loader's compact form of a yaml.Node: 48 bytes instead of
// about 160, without comments, styles and columns, which the loader never
// reads. A 100,000-person file has over a million nodes, so this is most of
// the memory a load needs.
type node struct {
	value   string
	content []*node // children; an alias holds its target as content[0]
	line    int32
	kind    nodeKind
	tag     nodeTag
}

type nodeKind uint8

const (
	scalarNode nodeKind = iota + 1
	mappingNode
	sequenceNode
	aliasNode
)

// nodeTag is a scalar's resolved short tag, reduced to what the decoder
// distinguishes.
type nodeTag uint8

const (
	tagOther nodeTag = iota // !!str, !!timestamp, custom tags, collections
	tagNull
	tagBool
	tagInt
	tagFloat
)

func tagOf(short string) nodeTag {
	switch short {
	case "!!null":
		return tagNull
	case "!!bool":
		return tagBool
	case "!!int":
		return tagInt
	case "!!float":
		return tagFloat
	}
	return tagOther
}

// plainTag resolves an unquoted scalar exactly as yaml.v3 does.
func plainTag(value string) nodeTag {
	n := yaml.Node{Kind: yaml.ScalarNode, Value: value}
	return tagOf(n.ShortTag())
}

// decodeScalar decodes a bool or number the way yaml.Node.Decode does for a
// scalar with this tag.
func (n *node) decodeScalar(out any) error {
	y := yaml.Node{Kind: yaml.ScalarNode, Value: n.value}
	switch n.tag {
	case tagBool:
		y.Tag = "!!bool"
	case tagInt:
		y.Tag = "!!int"
	case tagFloat:
		y.Tag = "!!float"
	case tagNull:
		y.Tag = "!!null"
	default:
		y.Tag = "!!str"
	}
	return y.Decode(out)
}

// arena hands out nodes and child slices from large blocks, so a file with
// a million nodes costs a few hundred allocations instead of a million.
type arena struct {
	nodes []node
	ptrs  []*node
}

func (a *arena) node() *node {
	if len(a.nodes) == 0 {
		a.nodes = make([]node, 4096)
	}
	n := &a.nodes[0]
	a.nodes = a.nodes[1:]
	return n
}

// children copies c into arena memory.
func (a *arena) children(c []*node) []*node {
	if len(c) == 0 {
		return nil
	}
	if len(c) > len(a.ptrs) {
		if len(c) > 1024 {
			return append([]*node(nil), c...)
		}
		a.ptrs = make([]*node, 16384)
	}
	out := a.ptrs[:len(c):len(c)]
	a.ptrs = a.ptrs[len(c):]
	copy(out, c)
	return out
}

// fromYAML converts a yaml.v3 tree (the general path, used when fastParse
// declines a file). Aliases keep pointing at their converted anchor.
func fromYAML(y *yaml.Node) *node {
	a := &arena{}
	seen := map[*yaml.Node]*node{}
	var conv func(y *yaml.Node) *node
	conv = func(y *yaml.Node) *node {
		if y == nil {
			return nil
		}
		if n, ok := seen[y]; ok {
			return n
		}
		n := a.node()
		seen[y] = n
		n.value, n.line = y.Value, int32(y.Line)
		switch y.Kind {
		case yaml.ScalarNode:
			n.kind, n.tag = scalarNode, tagOf(y.ShortTag())
		case yaml.MappingNode:
			n.kind = mappingNode
		case yaml.SequenceNode:
			n.kind = sequenceNode
		case yaml.AliasNode:
			n.kind = aliasNode
			if t := conv(y.Alias); t != nil {
				n.content = []*node{t}
			}
			return n
		}
		if len(y.Content) > 0 {
			c := make([]*node, len(y.Content))
			for i, ch := range y.Content {
				c[i] = conv(ch)
			}
			n.content = c
		}
		return n
	}
	return conv(y)
}

// deref follows an alias to its anchor.
func (n *node) deref() *node {
	if n.kind == aliasNode {
		if len(n.content) == 0 {
			return &node{kind: scalarNode, line: n.line, tag: tagNull}
		}
		return n.content[0]
	}
	return n
}
