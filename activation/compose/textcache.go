package compose

import (
	"reflect"
	"strings"
	texttemplate "text/template"
	"text/template/parse"

	"github.com/kaskade-bcm/kaskade/config"
)

// Rendered texts are kept by template and by the data fields the template
// reads: the people of one organisation in a fan-out get the same alert
// text unless the template names the person. Templates have no functions,
// so equal keys render equal texts.

// renderKey names a rendered text: the template (name and source) and the
// data with the fields it does not read zeroed.
type renderKey struct {
	tpl  string
	data config.TemplateData
}

// maxTexts bounds the rendered texts kept; when full the cache starts over.
const maxTexts = 4096

// parsed is a template with the TemplateData fields it never reads.
type parsed struct {
	t      *texttemplate.Template
	unread []int // field indices; nil when it may read the data whole
}

var dataFields = reflect.VisibleFields(reflect.TypeFor[config.TemplateData]())

// newParsed finds the fields t cannot read: a field is read only through
// its name, so a field whose name is not in the source is never read —
// unless the template passes the data whole ({{.}}, {{$}}).
func newParsed(t *texttemplate.Template, src string) *parsed {
	p := &parsed{t: t}
	for _, tpl := range t.Templates() {
		if tpl.Tree != nil && readsWhole(tpl.Tree.Root) {
			return p
		}
	}
	for _, f := range dataFields {
		if !strings.Contains(src, f.Name) {
			p.unread = append(p.unread, f.Index[0])
		}
	}
	return p
}

// reads returns data with the fields the template never reads zeroed.
func (p *parsed) reads(data config.TemplateData) config.TemplateData {
	if len(p.unread) == 0 {
		return data
	}
	v := reflect.ValueOf(&data).Elem()
	for _, i := range p.unread {
		f := v.Field(i)
		f.SetZero()
	}
	return data
}

// readsWhole reports whether a node may use the data as a whole: dot or
// the bare root variable $ (conservatively also where dot is a field).
func readsWhole(n parse.Node) bool {
	switch n := n.(type) {
	case *parse.DotNode:
		return true
	case *parse.VariableNode:
		return len(n.Ident) == 1 && n.Ident[0] == "$"
	case *parse.ListNode:
		return n != nil && anyWhole(n.Nodes)
	case *parse.ActionNode:
		return readsWhole(n.Pipe)
	case *parse.PipeNode:
		if n == nil {
			return false
		}
		for _, c := range n.Cmds {
			if readsWhole(c) {
				return true
			}
		}
	case *parse.CommandNode:
		return anyWhole(n.Args)
	case *parse.ChainNode:
		return readsWhole(n.Node)
	case *parse.IfNode:
		return readsBranch(&n.BranchNode)
	case *parse.RangeNode:
		return readsBranch(&n.BranchNode)
	case *parse.WithNode:
		return readsBranch(&n.BranchNode)
	case *parse.TemplateNode:
		return readsWhole(n.Pipe)
	}
	return false
}

func readsBranch(b *parse.BranchNode) bool {
	return readsWhole(b.Pipe) || readsWhole(b.List) || b.ElseList != nil && readsWhole(b.ElseList)
}

func anyWhole(nodes []parse.Node) bool {
	for _, n := range nodes {
		if readsWhole(n) {
			return true
		}
	}
	return false
}
