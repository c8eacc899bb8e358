package config

import (
	"strings"

	"go.yaml.in/yaml/v3"
)

// tree is the loader's compact form of a YAML document: its nodes without
// comments, styles and columns, which the loader never reads. A
// 100,000-person file has 1.6 million nodes, so this is most of the memory
// a load needs: 16 bytes a node, plus the text of the scalars (a yaml.Node
// with its child slice is about 170 bytes).
type tree struct {
	text   string    // holds every scalar's value
	blocks [][]tnode // nodes, blockSize each; never moved once written
	root   *tnode
}

// tnode is one node of a tree. The children of a collection are
// consecutive nodes, so a node needs no child slice of its own.
type tnode struct {
	// scalar: value text[a:a+b]; mapping, sequence: children a … a+b-1
	// (keys and values alternate in a mapping); alias: its target is
	// node a if b is 1, none if b is 0.
	a, b uint32
	line int32
	kind nodeKind
	tag  nodeTag
}

const (
	blockBits = 13
	blockSize = 1 << blockBits
)

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
// scalar with this tag and value.
func decodeScalar(tag nodeTag, value string, out any) error {
	y := yaml.Node{Kind: yaml.ScalarNode, Value: value}
	switch tag {
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

// nodes returns the number of nodes in t.
func (t *tree) nodes() int {
	if len(t.blocks) == 0 {
		return 0
	}
	return (len(t.blocks)-1)*blockSize + len(t.blocks[len(t.blocks)-1])
}

// at returns node i.
func (t *tree) at(i uint32) *tnode { return &t.blocks[i>>blockBits][i&(blockSize-1)] }

// child returns the i-th child of the collection n.
func (t *tree) child(n *tnode, i uint32) *tnode { return t.at(n.a + i) }

// value returns a scalar's text.
func (t *tree) value(n *tnode) string {
	if n.kind != scalarNode {
		return ""
	}
	return t.text[n.a : n.a+n.b]
}

// add appends n and returns its index.
func (t *tree) add(n tnode) uint32 {
	i := uint32(t.nodes())
	if len(t.blocks) == 0 || len(t.blocks[len(t.blocks)-1]) == blockSize {
		t.blocks = append(t.blocks, make([]tnode, 0, blockSize))
	}
	b := &t.blocks[len(t.blocks)-1]
	*b = append(*b, n)
	return i
}

// deref follows an alias to its anchor.
func (t *tree) deref(n *tnode) *tnode {
	if n.kind == aliasNode {
		if n.b == 0 {
			return &tnode{kind: scalarNode, line: n.line, tag: tagNull}
		}
		return t.at(n.a)
	}
	return n
}

// treeFromYAML converts a yaml.v3 tree. Aliases point at their converted
// anchor.
func treeFromYAML(y *yaml.Node) *tree {
	t := &tree{}
	var text strings.Builder
	seen := map[*yaml.Node]uint32{}
	// conv fills node i, whose slot is already taken, from y and then
	// converts y's children into consecutive new slots.
	var conv func(i uint32, y *yaml.Node)
	conv = func(i uint32, y *yaml.Node) {
		if y.Anchor != "" {
			seen[y] = i // only anchors are the target of an alias
		}
		n := tnode{line: int32(y.Line)}
		switch y.Kind {
		case yaml.ScalarNode:
			n.kind, n.tag = scalarNode, tagOf(y.ShortTag())
			n.a, n.b = uint32(text.Len()), uint32(len(y.Value))
			text.WriteString(y.Value)
		case yaml.MappingNode:
			n.kind = mappingNode
		case yaml.SequenceNode:
			n.kind = sequenceNode
		case yaml.AliasNode:
			n.kind = aliasNode
			if y.Alias != nil {
				target, ok := seen[y.Alias]
				if !ok {
					target = t.add(tnode{})
					conv(target, y.Alias)
				}
				n.a, n.b = target, 1
			}
			*t.at(i) = n
			return
		}
		if n.kind == mappingNode || n.kind == sequenceNode {
			n.a, n.b = uint32(t.nodes()), uint32(len(y.Content))
			for range y.Content {
				t.add(tnode{})
			}
		}
		*t.at(i) = n
		for j, c := range y.Content {
			if n.kind == mappingNode || n.kind == sequenceNode {
				conv(n.a+uint32(j), c)
			}
		}
	}
	conv(t.add(tnode{}), y)
	t.text = text.String()
	t.root = t.at(0)
	return t
}
