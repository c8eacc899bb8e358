package capschema

import (
	"bytes"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"
)

// Error is one schema violation: the element it is about, the line where
// it was found (1-based) and why.
type Error struct {
	Line    int
	Element string
	Reason  string
}

func (e *Error) Error() string {
	if e.Element == "" {
		return fmt.Sprintf("line %d: %s", e.Line, e.Reason)
	}
	return fmt.Sprintf("line %d: <%s>: %s", e.Line, e.Element, e.Reason)
}

// maxDepth bounds nesting: CAP needs four levels, a hostile document may
// try thousands.
const maxDepth = 16

const xsiNS = "http://www.w3.org/2001/XMLSchema-instance"

// node is one element of the document being validated.
type node struct {
	name      xml.Name
	line, end int
	attrs     []xml.Attr
	text      strings.Builder
	children  []*node
}

// Validate checks data against the CAP 1.2 schema and returns the first
// violation as an *Error, or nil for a valid alert.
func Validate(data []byte) error {
	root, err := parse(data)
	if err != nil {
		return err
	}
	if root.name.Space != compiled.ns {
		return &Error{Line: root.line, Element: root.name.Local,
			Reason: fmt.Sprintf("namespace %q, want %s", root.name.Space, compiled.ns)}
	}
	d, ok := compiled.global[root.name.Local]
	if !ok {
		return &Error{Line: root.line, Element: root.name.Local, Reason: "not an element of CAP 1.2"}
	}
	return compiled.check(d, root)
}

// parse reads the document into a tree of elements with their lines.
func parse(data []byte) (*node, error) {
	dec := xml.NewDecoder(bytes.NewReader(data))
	var stack []*node
	var root *node
	for {
		tok, err := dec.Token()
		if err != nil {
			var syn *xml.SyntaxError
			switch {
			case errors.As(err, &syn):
				return nil, &Error{Line: syn.Line, Reason: "not well-formed XML: " + syn.Msg}
			case errors.Is(err, io.EOF) && root != nil && len(stack) == 0:
				return root, nil
			default:
				line, _ := dec.InputPos()
				return nil, &Error{Line: line, Reason: "not well-formed XML: " + err.Error()}
			}
		}
		line, _ := dec.InputPos()
		switch t := tok.(type) {
		case xml.StartElement:
			if root != nil && len(stack) == 0 {
				return nil, &Error{Line: line, Element: t.Name.Local, Reason: "a second root element"}
			}
			if len(stack) == maxDepth {
				return nil, &Error{Line: line, Element: t.Name.Local, Reason: "nested too deep"}
			}
			n := &node{name: t.Name, line: line, attrs: t.Attr}
			if len(stack) > 0 {
				top := stack[len(stack)-1]
				top.children = append(top.children, n)
			} else {
				root = n
			}
			stack = append(stack, n)
		case xml.EndElement:
			stack[len(stack)-1].end = line
			stack = stack[:len(stack)-1]
		case xml.CharData:
			if len(stack) > 0 {
				stack[len(stack)-1].text.Write(t)
			}
		case xml.Directive:
			return nil, &Error{Line: line, Reason: "a CAP alert carries no DTD (<!" + firstWord(t) + ">)"}
		}
	}
}

func firstWord(b []byte) string {
	w, _, _ := strings.Cut(string(b), " ")
	return w
}

// check validates n against its declaration d.
func (s *schema) check(d *elemDecl, n *node) error {
	for _, a := range n.attrs {
		if a.Name.Space == "xmlns" || (a.Name.Space == "" && a.Name.Local == "xmlns") ||
			(a.Name.Space == xsiNS && (a.Name.Local == "schemaLocation" || a.Name.Local == "noNamespaceSchemaLocation")) {
			continue
		}
		return &Error{Line: n.line, Element: n.name.Local, Reason: fmt.Sprintf("attribute %q is not allowed", a.Name.Local)}
	}
	if d.simple != nil {
		if len(n.children) > 0 {
			c := n.children[0]
			return &Error{Line: c.line, Element: c.name.Local, Reason: fmt.Sprintf("no element is allowed inside <%s>", n.name.Local)}
		}
		if reason := d.simple.check(n.text.String()); reason != "" {
			return &Error{Line: n.line, Element: n.name.Local, Reason: reason}
		}
		return nil
	}
	if strings.TrimSpace(n.text.String()) != "" {
		return &Error{Line: n.line, Element: n.name.Local, Reason: "text is not allowed here, only elements"}
	}
	return s.sequence(d, n)
}

// sequence matches the children of n, in order, against d's particles.
// CAP's sequences are deterministic, so taking as many as fit is exact.
func (s *schema) sequence(d *elemDecl, n *node) error {
	i := 0
	for _, p := range d.seq {
		count := 0
		for i < len(n.children) && (p.max < 0 || count < p.max) && s.matches(p, n.children[i]) {
			if p.elem != nil {
				if err := s.check(p.elem, n.children[i]); err != nil {
					return err
				}
			}
			i++
			count++
		}
		if count < p.min {
			return s.missing(p.elem.name, n, i)
		}
	}
	if i < len(n.children) {
		return s.unexpected(d, n, n.children[i])
	}
	return nil
}

func (s *schema) matches(p particle, c *node) bool {
	if p.elem != nil {
		return c.name.Space == s.ns && c.name.Local == p.elem.name
	}
	switch p.anyNS {
	case "##any":
		return true
	case "##other":
		return c.name.Space != s.ns
	default:
		return slices.Contains(strings.Fields(p.anyNS), c.name.Space)
	}
}

// missing describes a required element that is not at position i of n.
func (s *schema) missing(name string, n *node, i int) error {
	if i == len(n.children) {
		return &Error{Line: n.end, Element: name, Reason: fmt.Sprintf("required element missing in <%s>", n.name.Local)}
	}
	next := n.children[i]
	for _, c := range n.children[i+1:] {
		if c.name.Space == s.ns && c.name.Local == name {
			return &Error{Line: c.line, Element: name, Reason: fmt.Sprintf("out of order: it must come before <%s> (line %d)", next.name.Local, next.line)}
		}
	}
	return &Error{Line: next.line, Element: name, Reason: fmt.Sprintf("required element missing in <%s>, found <%s> instead", n.name.Local, next.name.Local)}
}

// unexpected describes child c that no particle of d takes at its place.
func (s *schema) unexpected(d *elemDecl, n, c *node) error {
	if c.name.Space != s.ns {
		return &Error{Line: c.line, Element: c.name.Local, Reason: fmt.Sprintf("element of namespace %q is not allowed in <%s>", c.name.Space, n.name.Local)}
	}
	for _, p := range d.seq {
		if p.elem != nil && p.elem.name == c.name.Local {
			return &Error{Line: c.line, Element: c.name.Local, Reason: fmt.Sprintf("out of order or repeated in <%s>", n.name.Local)}
		}
	}
	return &Error{Line: c.line, Element: c.name.Local, Reason: fmt.Sprintf("not an element of <%s> in CAP 1.2", n.name.Local)}
}
