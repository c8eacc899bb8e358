package config

import (
	"strings"
	"unicode"
	"unicode/utf8"
)

// parseFast parses the plain subset of YAML that configuration files are
// written in (block mappings and sequences, one-line flow collections,
// plain and simple quoted scalars, comments) about ten times faster than
// yaml.v3, straight into a compact tree. It returns false for anything
// outside that subset (anchors, tags, block scalars, escapes, multi-line
// scalars, empty values, tabs, CR, document markers, …) and for every
// syntax error; the caller then parses with yaml.v3, so messages and
// semantics stay yaml.v3's. TestFastParseMatchesYAML checks that whatever
// parseFast accepts, yaml.v3 parses to the same tree.
func parseFast(data []byte) (*tree, bool) {
	// Lines of printable UTF-8 only: no tabs, CR, BOM or control characters,
	// whose handling is yaml.v3's.
	if len(data) == 0 || len(data) >= 1<<31 {
		return nil, false
	}
	src := string(data)
	for rest := src; rest != ""; {
		l, after, _ := strings.Cut(rest, "\n")
		if !printable(l) {
			return nil, false
		}
		rest = after
	}
	p := &fastParser{src: src, line: 1, override: -1, tags: map[string]nodeTag{}, keys: map[string]uint32{}}
	p.text = make([]byte, 0, len(src)/2) // values are usually less than half of it
	ind, ok := p.skipBlank()
	if !ok {
		return nil, false
	}
	n := p.block(ind)
	if p.bad {
		return nil, false
	}
	if _, more := p.skipBlank(); more {
		return nil, false
	}
	t := p.t // not &p.t, which would keep the parser alive with the tree
	t.root = t.at(t.add(n))
	t.text = string(p.text) // exactly as long as needed
	return &t, true
}

type fastParser struct {
	src      string
	pos      int // start of the current line
	line     int // its 1-based number
	override int // indent of the current line when it continues after "- ", else -1
	bad      bool
	t        tree
	stack    []tnode // children being collected, shared by all levels
	tags     map[string]nodeTag
	// text collects the values of scalars (keys once each, at the offset
	// in keys), so the tree need not keep the source with its indentation
	// and punctuation.
	text []byte
	keys map[string]uint32
}

func (p *fastParser) fail() tnode {
	p.bad = true
	return tnode{}
}

// eol returns the end of the current line (excluding the newline).
func (p *fastParser) eol() int {
	if i := strings.IndexByte(p.src[p.pos:], '\n'); i >= 0 {
		return p.pos + i
	}
	return len(p.src)
}

func (p *fastParser) advance() {
	e := p.eol()
	if e < len(p.src) {
		e++
	}
	p.pos = e
	p.line++
	p.override = -1
}

// skipBlank moves to the next line with content and returns its indent;
// false at the end of the input. Document markers and directives are
// declined.
func (p *fastParser) skipBlank() (int, bool) {
	if p.override >= 0 {
		return p.override, true
	}
	for p.pos < len(p.src) {
		l := p.src[p.pos:p.eol()]
		t := strings.TrimLeft(l, " ")
		if t == "" || t[0] == '#' {
			p.advance()
			continue
		}
		if strings.HasPrefix(l, "---") || strings.HasPrefix(l, "...") || l[0] == '%' {
			p.bad = true
			return 0, false
		}
		return len(l) - len(t), true
	}
	return 0, false
}

// content returns the current line from column ind.
func (p *fastParser) content(ind int) string { return p.src[p.pos+ind : p.eol()] }

func isSeqEntry(s string) bool { return s == "-" || strings.HasPrefix(s, "- ") }

// collection moves the children collected since base into the tree, next
// to each other, and returns the collection node that holds them.
func (p *fastParser) collection(kind nodeKind, line, base int) tnode {
	n := tnode{kind: kind, line: int32(line), a: uint32(p.t.nodes()), b: uint32(len(p.stack) - base)}
	for _, c := range p.stack[base:] {
		p.t.add(c)
	}
	p.stack = p.stack[:base]
	return n
}

func (p *fastParser) block(ind int) tnode {
	if isSeqEntry(p.content(ind)) {
		return p.sequence(ind)
	}
	return p.mapping(ind)
}

func (p *fastParser) mapping(ind int) tnode {
	line, base := p.line, len(p.stack)
	for !p.bad {
		i, ok := p.skipBlank()
		if !ok || i < ind {
			break
		}
		if i > ind {
			return p.fail()
		}
		c := p.content(ind)
		k := keyLen(c)
		if k == 0 || k == len(c) || c[k] != ':' || (k+1 < len(c) && c[k+1] != ' ') {
			return p.fail()
		}
		key := p.key(c[:k])
		rest := strings.TrimLeft(c[k+1:], " ")
		var val tnode
		if rest == "" || rest[0] == '#' {
			// The value is the block on the following lines; an empty
			// value (null) is left to yaml.v3, whose line for it differs.
			p.advance()
			j, ok := p.skipBlank()
			switch {
			case ok && j > ind:
				val = p.block(j)
			case ok && j == ind && isSeqEntry(p.content(ind)):
				val = p.sequence(ind)
			default:
				return p.fail()
			}
		} else {
			val = p.inline(rest)
			p.advance()
		}
		p.stack = append(p.stack, key, val)
	}
	if p.bad {
		return tnode{}
	}
	return p.collection(mappingNode, line, base)
}

func (p *fastParser) sequence(ind int) tnode {
	line, base := p.line, len(p.stack)
	for !p.bad {
		i, ok := p.skipBlank()
		if !ok || i < ind {
			break
		}
		if i > ind {
			return p.fail()
		}
		c := p.content(ind)
		if !isSeqEntry(c) {
			break
		}
		rest := strings.TrimLeft(c[1:], " ")
		col := ind + len(c) - len(rest)
		var item tnode
		switch {
		case rest == "" || rest[0] == '#':
			p.advance()
			j, ok := p.skipBlank()
			if !ok || j <= ind {
				return p.fail() // empty item: left to yaml.v3
			}
			item = p.block(j)
		case isSeqEntry(rest):
			return p.fail()
		case keyLen(rest) > 0 && keyLen(rest) < len(rest) && rest[keyLen(rest)] == ':' &&
			(keyLen(rest)+1 == len(rest) || rest[keyLen(rest)+1] == ' '):
			// "- key: value" opens a mapping indented to the key.
			p.override = col
			item = p.mapping(col)
		default:
			item = p.inline(rest)
			p.advance()
		}
		p.stack = append(p.stack, item)
	}
	if p.bad {
		return tnode{}
	}
	return p.collection(sequenceNode, line, base)
}

// keyLen returns the length of the plain key at the start of s, or 0 if
// the word there is longer than the 1024 characters yaml.v3 allows a
// simple key (it rejects "longer: x" as a syntax error).
func keyLen(s string) int {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_' || c == '-') {
			return keyLimit(i)
		}
	}
	return keyLimit(len(s))
}

func keyLimit(n int) int {
	if n > 1024 {
		return 0
	}
	return n
}

// inline parses the value written after "key: " or "- " up to the end of
// the line, which may only hold a comment after it.
func (p *fastParser) inline(s string) tnode {
	var n tnode
	var rest string
	switch s[0] {
	case '{', '[', '"', '\'':
		n, rest = p.flowValue(s)
	default:
		end := len(s)
		if i := strings.Index(s, " #"); i >= 0 {
			end = i
		}
		v := strings.TrimRight(s[:end], " ")
		if !plainOK(v, false) {
			return p.fail()
		}
		n, rest = p.scalar(v, true), s[end:]
	}
	if p.bad {
		return tnode{}
	}
	if rest = strings.TrimLeft(rest, " "); rest != "" && rest[0] != '#' {
		return p.fail()
	}
	if rest != "" && len(rest) < len(s) && rest[0] == '#' && s[len(s)-len(rest)-1] != ' ' {
		return p.fail() // "x#y" style comments are yaml.v3's business
	}
	return n
}

// flowValue parses a flow collection, a quoted scalar or, inside a flow
// collection, a plain scalar at the start of s, and returns what follows.
func (p *fastParser) flowValue(s string) (tnode, string) {
	if s == "" {
		return p.fail(), ""
	}
	switch s[0] {
	case '{', '[':
		closer, kind := byte('}'), mappingNode
		if s[0] == '[' {
			closer, kind = ']', sequenceNode
		}
		line, base := p.line, len(p.stack)
		s = strings.TrimLeft(s[1:], " ")
		if s != "" && s[0] == closer {
			return p.collection(kind, line, base), s[1:]
		}
		for !p.bad {
			if kind == mappingNode {
				k := keyLen(s)
				if k == 0 || k+1 >= len(s) || s[k] != ':' || s[k+1] != ' ' {
					return p.fail(), ""
				}
				p.stack = append(p.stack, p.key(s[:k]))
				s = strings.TrimLeft(s[k+1:], " ")
			}
			var v tnode
			v, s = p.flowValue(s)
			if p.bad {
				return tnode{}, ""
			}
			p.stack = append(p.stack, v)
			s = strings.TrimLeft(s, " ")
			switch {
			case s == "":
				return p.fail(), "" // flow collections spanning lines go to yaml.v3
			case s[0] == closer:
				return p.collection(kind, line, base), s[1:]
			case s[0] == ',':
				s = strings.TrimLeft(s[1:], " ")
				if s == "" || s[0] == closer || s[0] == ',' {
					return p.fail(), ""
				}
			default:
				return p.fail(), ""
			}
		}
		return tnode{}, ""
	case '"', '\'':
		q := s[0]
		end := strings.IndexByte(s[1:], q)
		if end < 0 {
			return p.fail(), ""
		}
		v := s[1 : 1+end]
		after := s[2+end:]
		if strings.IndexByte(v, '\\') >= 0 || (q == '\'' && strings.HasPrefix(after, "'")) || !printable(v) {
			return p.fail(), ""
		}
		if after != "" && after[0] != ' ' && after[0] != ',' && after[0] != '}' && after[0] != ']' {
			return p.fail(), ""
		}
		return p.scalar(v, false), after
	}
	end := strings.IndexAny(s, ",]}")
	if end < 0 {
		end = len(s)
	}
	v := strings.TrimRight(s[:end], " ")
	if !plainOK(v, true) {
		return p.fail(), ""
	}
	return p.scalar(v, true), s[end:]
}

// key makes a scalar node of the plain mapping key v. The few different
// keys of a file are stored once each.
func (p *fastParser) key(v string) tnode {
	off, ok := p.keys[v]
	if !ok {
		off = uint32(len(p.text))
		p.text = append(p.text, v...)
		p.keys[v] = off
	}
	return p.tagged(tnode{kind: scalarNode, line: int32(p.line), a: off, b: uint32(len(v))}, v, true)
}

// scalar makes a scalar node of v; plain says it was written without
// quotes.
func (p *fastParser) scalar(v string, plain bool) tnode {
	n := tnode{kind: scalarNode, line: int32(p.line), a: uint32(len(p.text)), b: uint32(len(v))}
	p.text = append(p.text, v...)
	return p.tagged(n, v, plain)
}

// tagged sets the tag of n, whose value is v.
func (p *fastParser) tagged(n tnode, v string, plain bool) tnode {
	if plain && v != "" && strings.IndexByte("+-0123456789yYnNtTfFoO~<.", v[0]) >= 0 {
		// Only these first characters can make yaml.v3 resolve a plain
		// scalar to something other than a string.
		t, ok := p.tags[v]
		if !ok {
			t = plainTag(v)
			p.tags[v] = t
		}
		n.tag = t
	}
	return n
}

// plainOK reports whether v is a plain scalar that yaml.v3 reads as the
// same text in block (or, with flow, in flow) context. It is deliberately
// stricter than YAML.
func plainOK(v string, flow bool) bool {
	if v == "" {
		return false
	}
	c := v[0]
	switch {
	case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z', c >= '0' && c <= '9', c >= 0x80:
	case (c == '-' || c == '+') && len(v) > 1 && v[1] >= '0' && v[1] <= '9':
	default:
		return false
	}
	for i := 0; i < len(v); i++ {
		c := v[i]
		switch {
		case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z', c >= '0' && c <= '9', c >= 0x80:
		case c == ' ' || c == '_' || c == '-' || c == '.' || c == '/' || c == '+' || c == '@' || c == '(' || c == ')' || c == '=' || c == ';':
		case c == ':' && !flow:
			if i+1 == len(v) || v[i+1] == ' ' {
				return false
			}
		case c == ',' && !flow:
		default:
			return false
		}
	}
	return printable(v)
}

// printable reports whether s is valid UTF-8 made of characters yaml.v3
// takes as they are (no line or paragraph separators, no BOM).
func printable(s string) bool {
	for i := 0; i < len(s); {
		c := s[i]
		if c < 0x80 {
			if c < 0x20 || c == 0x7f {
				return false
			}
			i++
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError || r == 0x85 || r == 0x2028 || r == 0x2029 || r == 0xFEFF || !unicode.IsPrint(r) {
			return false
		}
		i += size
	}
	return true
}
