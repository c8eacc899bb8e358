// Package capschema validates CAP 1.2 alerts against the CAP 1.2 XML
// Schema (cap-1.2.xsd, embedded): element order, occurrences, value lists
// and the simple types CAP uses. It reads the subset of XSD that the CAP
// schema is written in, in pure Go, and answers the way `xmllint --schema`
// does (a test cross-checks the two where xmllint is installed).
package capschema

import (
	_ "embed" // the schema file
	"encoding/xml"
	"fmt"
	"regexp"
	"strconv"
	"strings"
)

// XSD is the CAP 1.2 schema that Validate enforces.
//
//go:embed cap-1.2.xsd
var XSD []byte

const xsNS = "http://www.w3.org/2001/XMLSchema"

// schema is the compiled XSD: its global elements by local name.
type schema struct {
	ns     string
	global map[string]*elemDecl
}

// elemDecl is one element declaration: simple content (simple set) or a
// sequence of particles.
type elemDecl struct {
	name   string
	simple *simpleType
	seq    []particle
}

// particle is one entry of a sequence: an element or a wildcard (anyNS).
type particle struct {
	elem     *elemDecl
	anyNS    string
	min, max int // max -1: unbounded
}

// simpleType is a built-in type, optionally restricted by an enumeration
// or a pattern.
type simpleType struct {
	builtin     string
	enum        []string
	pattern     *regexp.Regexp
	patternText string
}

// xsdNode is an XSD element read generically.
type xsdNode struct {
	XMLName  xml.Name
	Attrs    []xml.Attr `xml:",any,attr"`
	Children []xsdNode  `xml:",any"`
}

func (n *xsdNode) attr(name string) string {
	for _, a := range n.Attrs {
		if a.Name.Space == "" && a.Name.Local == name {
			return a.Value
		}
	}
	return ""
}

func (n *xsdNode) child(local string) *xsdNode {
	for i := range n.Children {
		if n.Children[i].XMLName.Space == xsNS && n.Children[i].XMLName.Local == local {
			return &n.Children[i]
		}
	}
	return nil
}

// compiled is the embedded schema, compiled once at start.
var compiled = mustCompile(XSD)

func mustCompile(data []byte) *schema {
	s, err := compile(data)
	if err != nil {
		panic("capschema: embedded schema: " + err.Error())
	}
	return s
}

// compiler resolves named types and references while building the schema.
type compiler struct {
	root    xsdNode
	ns      string
	types   map[string]*xsdNode
	globals map[string]*xsdNode
	done    map[*xsdNode]*elemDecl
}

func compile(data []byte) (*schema, error) {
	c := &compiler{types: map[string]*xsdNode{}, globals: map[string]*xsdNode{}, done: map[*xsdNode]*elemDecl{}}
	if err := xml.Unmarshal(data, &c.root); err != nil {
		return nil, fmt.Errorf("read schema: %w", err)
	}
	c.ns = c.root.attr("targetNamespace")
	for i := range c.root.Children {
		n := &c.root.Children[i]
		switch n.XMLName.Local {
		case "element":
			c.globals[n.attr("name")] = n
		case "complexType", "simpleType":
			c.types[n.attr("name")] = n
		}
	}
	s := &schema{ns: c.ns, global: map[string]*elemDecl{}}
	for name, n := range c.globals {
		d, err := c.element(n)
		if err != nil {
			return nil, fmt.Errorf("element %s: %w", name, err)
		}
		s.global[name] = d
	}
	return s, nil
}

// element compiles an element declaration (or reference).
func (c *compiler) element(n *xsdNode) (*elemDecl, error) {
	if ref := n.attr("ref"); ref != "" {
		g, ok := c.globals[local(ref)]
		if !ok {
			return nil, fmt.Errorf("unknown element %s", ref)
		}
		n = g
	}
	if d, ok := c.done[n]; ok {
		return d, nil
	}
	d := &elemDecl{name: n.attr("name")}
	c.done[n] = d
	var err error
	switch typ := n.attr("type"); {
	case typ != "" && !strings.HasPrefix(typ, "xs:") && c.types[local(typ)] != nil:
		err = c.fillType(d, c.types[local(typ)])
	case typ != "":
		d.simple, err = builtin(typ)
	case n.child("complexType") != nil:
		err = c.fillType(d, n.child("complexType"))
	case n.child("simpleType") != nil:
		err = c.fillType(d, n.child("simpleType"))
	default:
		d.simple = &simpleType{builtin: "string"} // anyType: CAP declares none
	}
	return d, err
}

// fillType gives d the content of a complexType (a sequence) or simpleType.
func (c *compiler) fillType(d *elemDecl, t *xsdNode) error {
	if t.XMLName.Local == "simpleType" {
		st, err := c.simple(t)
		d.simple = st
		return err
	}
	seq := t.child("sequence")
	if seq == nil {
		return fmt.Errorf("complexType without sequence is not supported")
	}
	for i := range seq.Children {
		p := &seq.Children[i]
		part := particle{min: 1, max: 1}
		var err error
		if part.min, part.max, err = occurs(p); err != nil {
			return err
		}
		switch p.XMLName.Local {
		case "element":
			if part.elem, err = c.element(p); err != nil {
				return err
			}
		case "any":
			part.anyNS = p.attr("namespace")
		case "annotation":
			continue
		default:
			return fmt.Errorf("%s in a sequence is not supported", p.XMLName.Local)
		}
		d.seq = append(d.seq, part)
	}
	return nil
}

func (c *compiler) simple(t *xsdNode) (*simpleType, error) {
	r := t.child("restriction")
	if r == nil {
		return nil, fmt.Errorf("simpleType without restriction is not supported")
	}
	st, err := builtin(r.attr("base"))
	if err != nil {
		return nil, err
	}
	for i := range r.Children {
		f := &r.Children[i]
		switch f.XMLName.Local {
		case "enumeration":
			st.enum = append(st.enum, f.attr("value"))
		case "pattern":
			// XSD patterns match the whole value; Go's RE2 reads \d as XSD does for ASCII input.
			st.patternText = f.attr("value")
			if st.pattern, err = regexp.Compile(`^(?:` + st.patternText + `)$`); err != nil {
				return nil, err
			}
		default:
			return nil, fmt.Errorf("facet %s is not supported", f.XMLName.Local)
		}
	}
	return st, nil
}

func builtin(qname string) (*simpleType, error) {
	switch name := local(qname); name {
	case "string", "dateTime", "language", "anyURI", "decimal", "integer":
		return &simpleType{builtin: name}, nil
	default:
		return nil, fmt.Errorf("type %s is not supported", qname)
	}
}

func occurs(n *xsdNode) (lo, hi int, err error) {
	lo, hi = 1, 1
	if v := n.attr("minOccurs"); v != "" {
		if lo, err = strconv.Atoi(v); err != nil {
			return 0, 0, fmt.Errorf("minOccurs %q: %w", v, err)
		}
	}
	switch v := n.attr("maxOccurs"); v {
	case "":
	case "unbounded":
		hi = -1
	default:
		if hi, err = strconv.Atoi(v); err != nil {
			return 0, 0, fmt.Errorf("maxOccurs %q: %w", v, err)
		}
	}
	return lo, hi, nil
}

func local(qname string) string {
	if i := strings.IndexByte(qname, ':'); i >= 0 {
		return qname[i+1:]
	}
	return qname
}
