package config

import (
	"encoding"
	"encoding/binary"
	"fmt"
	"net/netip"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"sort"
	"strconv"
	"strings"
)

// decoder turns a tree into Go values by walking the node and the
// target type together. Doing this ourselves, rather than calling
// yaml.Node.Decode on the whole document, is what lets the loader report
// every unknown key, wrong type and bad duration with its line and YAML path
// in one run instead of stopping at the first.
//
// Paths are built as strings only when a problem is reported. The line of
// a path that validation asks about is found afterwards by walking the
// tree again along that path only (see lineFinder), rather than recording
// the lines of every node of a large file up front.
type decoder struct {
	t       *tree // the document being decoded
	file    string
	dir     string // base for relative secret files
	env     func(string) string
	probs   *Problems
	durType reflect.Type
	secType reflect.Type
	fields  map[reflect.Type]structFields // yamlFields per type, computed once
	// textTypes says per struct type whether it is read by UnmarshalText.
	textTypes map[reflect.Type]bool

	// Fields that repeat a few texts many times (ids of organisations,
	// functions and policies; keywords: see sharedField) keep one copy of each
	// text and one slice per distinct list (saving: docs/BENCHMARKS.md).
	share bool                     // the value being decoded is such a field
	texts map[string]string        // the copy of each text
	lists map[string]reflect.Value // the slice of each list, by its texts joined with NUL
	key   []byte                   // scratch for a key of lists

	// open are the mappings and lists being decoded, outermost first: an
	// alias to one of them would recurse for ever.
	open []*tnode

	// Set for a lineFinder walk: only nodes whose path leads to target
	// are visited, their lines recorded in lines, and nothing is resolved.
	target string
	lines  map[string]int
}

func newDecoder(file string, env func(string) string, probs *Problems) *decoder {
	return &decoder{
		file:      file,
		dir:       filepath.Dir(file),
		env:       env,
		probs:     probs,
		durType:   reflect.TypeFor[Duration](),
		secType:   reflect.TypeFor[Secret](),
		fields:    map[reflect.Type]structFields{},
		textTypes: map[reflect.Type]bool{},
		texts:     map[string]string{},
		lists:     map[string]reflect.Value{},
	}
}

type structFields struct {
	index  map[string]int
	names  []string
	shared []bool // by field index: see sharedField
}

// sharedField reports whether field key of struct type t holds a text that
// a large file repeats many times, rather than one of its own like an id,
// a name or a mobile number.
func sharedField(t reflect.Type, key string) bool {
	switch t {
	case reflect.TypeFor[Person]():
		return key == "organisation" || key == "language" || key == "functions"
	case reflect.TypeFor[Node]():
		return key == "function" || key == "policy"
	case reflect.TypeFor[CallTree]():
		return key == "organisation" || key == "policy"
	case reflect.TypeFor[Organisation]():
		return key == "kind"
	case reflect.TypeFor[EscalationStep]():
		return key == "channel" || key == "if"
	case reflect.TypeFor[Scenario]():
		return key == "severity"
	}
	return false
}

// text returns a scalar's text as a copy, so that the source can be freed;
// in a shared field, the one copy of that text.
func (d *decoder) text(n *tnode) string {
	s := d.t.value(n)
	if !d.share {
		return strings.Clone(s)
	}
	return d.intern(s)
}

func (d *decoder) intern(s string) string {
	c, ok := d.texts[s]
	if !ok {
		c = strings.Clone(s)
		d.texts[c] = c
	}
	return c
}

// sharedList returns the slice that holds the same texts as the list of
// strings s: s itself for the first such list. Its capacity is its length,
// so an append copies rather than writing into another entry's list.
func (d *decoder) sharedList(s reflect.Value) reflect.Value {
	// Each text prefixed by its length: a separator could occur in a text
	// ("a\x00b" against "a", "b").
	d.key = d.key[:0]
	for i := range s.Len() {
		t := s.Index(i).String()
		d.key = append(binary.AppendUvarint(d.key, uint64(len(t))), t...)
	}
	if l, ok := d.lists[string(d.key)]; ok {
		return l
	}
	d.lists[string(d.key)] = s
	return s
}

// path is a YAML path under construction: a key or an index below a
// parent. Values live on the decoder's stack; String builds the text the
// same way for every problem ("people[3].mobile").
type path struct {
	parent *path
	key    string
	index  int
	isItem bool
}

func (p *path) String() string {
	if p == nil {
		return ""
	}
	s := p.parent.String()
	if p.isItem {
		return s + "[" + strconv.Itoa(p.index) + "]"
	}
	if s == "" {
		// Not a substring of the source, which would keep it all alive.
		return strings.Clone(p.key)
	}
	return s + "." + p.key
}

func (d *decoder) errorf(n *tnode, p *path, format string, args ...any) {
	if d.lines != nil {
		return
	}
	*d.probs = append(*d.probs, Problem{File: d.file, Line: int(n.line), Path: p.String(), Severity: Error, Message: fmt.Sprintf(format, args...)})
}

func (d *decoder) warnf(n *tnode, p *path, format string, args ...any) {
	if d.lines != nil {
		return
	}
	*d.probs = append(*d.probs, Problem{File: d.file, Line: int(n.line), Path: p.String(), Severity: Warning, Message: fmt.Sprintf(format, args...)})
}

// leadsTo reports whether the walk for target must visit path s: s is the
// target or one of its ancestors.
func (d *decoder) leadsTo(s string) bool {
	t := d.target
	return len(t) >= len(s) && t[:len(s)] == s && (len(t) == len(s) || t[len(s)] == '.' || t[len(s)] == '[')
}

// record notes the line of path p in a lineFinder walk; first says that an
// earlier line for the same path wins.
func (d *decoder) record(p *path, line int32, first bool) {
	s := p.String()
	if s == "" || !d.leadsTo(s) {
		return
	}
	if _, seen := d.lines[s]; seen && first {
		return
	}
	d.lines[s] = int(line)
}

func isNull(n *tnode) bool {
	return n.kind == scalarNode && n.tag == tagNull
}

func (d *decoder) kindName(n *tnode) string {
	switch n.kind {
	case mappingNode:
		return "a mapping"
	case sequenceNode:
		return "a list"
	case scalarNode:
		return fmt.Sprintf("%q", d.t.value(n))
	}
	return "something else"
}

// decode fills v (which must be settable) from n. p is n's YAML path.
func (d *decoder) decode(p *path, n *tnode, v reflect.Value) {
	if n.kind == aliasNode {
		target := d.t.deref(n)
		if slices.Contains(d.open, target) {
			d.errorf(n, p, "this alias refers to a node that contains it (a recursive alias); write the entries out instead")
			return
		}
		n = target
	}
	if n.kind == mappingNode || n.kind == sequenceNode {
		d.open = append(d.open, n)
		defer func() { d.open = d.open[:len(d.open)-1] }()
	}
	if d.lines != nil {
		d.record(p, n.line, true)
		if n.kind == scalarNode && v.Type() != d.secType {
			return // no paths below a scalar
		}
	}
	if isNull(n) {
		return // leave the zero value; defaults and validation deal with it
	}
	switch t := v.Type(); {
	case t == d.durType:
		if n.kind != scalarNode {
			d.errorf(n, p, "expected a duration such as 30m, got %s", d.kindName(n))
			return
		}
		dur, err := ParseDuration(d.t.value(n))
		if err != nil {
			d.errorf(n, p, "%v", err)
			return
		}
		if dur == 0 && p != nil && p.key == "wait" {
			// Zero is how the schema says "not set": refuse it rather than
			// silently waiting the default.
			d.errorf(n, p, "wait %s is not allowed: %s", d.t.value(n), zeroWaitHint(p))
			return
		}
		v.Set(reflect.ValueOf(dur))
		return
	case t == d.secType:
		if d.lines != nil {
			if n.kind == mappingNode {
				d.decodeStruct(p, n, reflect.New(t).Elem())
			}
			return
		}
		v.Set(reflect.ValueOf(d.secret(p, n)))
		return
	}
	switch v.Kind() {
	case reflect.Pointer:
		e := reflect.New(v.Type().Elem())
		d.decode(p, n, e.Elem())
		v.Set(e)
	case reflect.Struct:
		if d.isText(v.Type()) {
			d.decodeText(p, n, v)
			return
		}
		d.decodeStruct(p, n, v)
	case reflect.Slice:
		if n.kind != sequenceNode {
			d.errorf(n, p, "expected a list, got %s", d.kindName(n))
			return
		}
		if d.lines != nil {
			d.findItem(p, n, v.Type().Elem())
			return
		}
		s := reflect.MakeSlice(v.Type(), int(n.b), int(n.b))
		for i := range n.b {
			d.decode(&path{parent: p, index: int(i), isItem: true}, d.t.child(n, i), s.Index(int(i)))
		}
		if d.share && s.Len() > 0 && v.Type().Elem().Kind() == reflect.String {
			s = d.sharedList(s)
		}
		v.Set(s)
	case reflect.Map:
		d.decodeMap(p, n, v)
	case reflect.String:
		if n.kind != scalarNode {
			d.errorf(n, p, "expected a string, got %s", d.kindName(n))
			return
		}
		// Take the text as written: a number like 015100001234 must stay
		// a string, not be reinterpreted as an integer. The copy lets the
		// source text be freed.
		v.SetString(d.text(n))
	case reflect.Int, reflect.Int64, reflect.Int32:
		i, err := strconv.ParseInt(d.t.value(n), 10, 64)
		if n.kind != scalarNode || err != nil || n.tag != tagInt {
			d.errorf(n, p, "expected an integer, got %s", d.kindName(n))
			return
		}
		v.SetInt(i)
	case reflect.Float64, reflect.Float32:
		var f float64
		if n.kind != scalarNode || (n.tag != tagInt && n.tag != tagFloat) || decodeScalar(n.tag, d.t.value(n), &f) != nil {
			d.errorf(n, p, "expected a number, got %s", d.kindName(n))
			return
		}
		v.SetFloat(f)
	case reflect.Bool:
		var b bool
		if n.kind != scalarNode || n.tag != tagBool || decodeScalar(n.tag, d.t.value(n), &b) != nil {
			d.errorf(n, p, "expected true or false, got %s", d.kindName(n))
			return
		}
		v.SetBool(b)
	default:
		// Only reachable if a field of an unsupported kind is added to the schema.
		d.errorf(n, p, "internal: cannot decode into %s", v.Type())
	}
}

// isText reports whether struct type t is written as one scalar that its
// UnmarshalText reads (Rate, netip.Prefix).
func (d *decoder) isText(t reflect.Type) bool {
	is, ok := d.textTypes[t]
	if !ok {
		is = reflect.PointerTo(t).Implements(reflect.TypeFor[encoding.TextUnmarshaler]())
		d.textTypes[t] = is
	}
	return is
}

func (d *decoder) decodeText(p *path, n *tnode, v reflect.Value) {
	if n.kind != scalarNode {
		d.errorf(n, p, "expected a single value, got %s", d.kindName(n))
		return
	}
	err := v.Addr().Interface().(encoding.TextUnmarshaler).UnmarshalText([]byte(d.t.value(n)))
	switch {
	case err == nil:
	case v.Type() == reflect.TypeFor[netip.Prefix]():
		d.errorf(n, p, "expected a CIDR such as 10.0.0.0/8 or 2001:db8::/32, got %s", d.kindName(n))
	default:
		d.errorf(n, p, "%v", err)
	}
}

// findItem visits, in a lineFinder walk, the one item of a list that the
// target path names, without decoding the others.
func (d *decoder) findItem(p *path, n *tnode, elem reflect.Type) {
	prefix := p.String() + "["
	if !strings.HasPrefix(d.target, prefix) {
		return
	}
	digits, _, ok := strings.Cut(d.target[len(prefix):], "]")
	i, err := strconv.Atoi(digits)
	if !ok || err != nil || i < 0 || i >= int(n.b) || strconv.Itoa(i) != digits {
		return
	}
	d.decode(&path{parent: p, index: i, isItem: true}, d.t.child(n, uint32(i)), reflect.New(elem).Elem())
}

// yamlFields maps the YAML keys of a struct type to field indexes.
func yamlFields(t reflect.Type) structFields {
	fields := map[string]int{}
	var names []string
	shared := make([]bool, t.NumField())
	for i := range t.NumField() {
		f := t.Field(i)
		if !f.IsExported() {
			continue
		}
		name, _, _ := strings.Cut(f.Tag.Get("yaml"), ",")
		if name == "-" {
			continue
		}
		if name == "" {
			name = strings.ToLower(f.Name)
		}
		fields[name] = i
		names = append(names, name)
		shared[i] = sharedField(t, name)
	}
	return structFields{index: fields, names: names, shared: shared}
}

func (d *decoder) decodeStruct(p *path, n *tnode, v reflect.Value) {
	if n.kind != mappingNode {
		d.errorf(n, p, "expected a mapping, got %s", d.kindName(n))
		return
	}
	sf, ok := d.fields[v.Type()]
	if !ok {
		sf = yamlFields(v.Type())
		d.fields[v.Type()] = sf
	}
	fields, names := sf.index, sf.names
	d.pairs(p, n, func(k, val *tnode, key string, kp *path) {
		idx, ok := fields[key]
		if !ok {
			if d.lines != nil {
				return
			}
			msg := fmt.Sprintf("unknown key %q", key)
			if key == "<<" {
				msg = "merge keys (<<) are not supported; repeat the settings"
			} else if s := suggest(key, names); s != "" {
				msg += fmt.Sprintf(" (did you mean %q?)", s)
			} else {
				msg += " (known: " + strings.Join(names, ", ") + ")"
			}
			d.errorf(k, kp, "%s", msg)
			return
		}
		if d.lines != nil {
			if !d.leadsTo(kp.String()) {
				return
			}
			d.record(kp, k.line, false)
		}
		share := d.share
		d.share = sf.shared[idx]
		d.decode(kp, val, v.Field(idx))
		d.share = share
	})
}

// pairs calls f for each key of mapping n that is a plain word and appears
// once, and reports the others.
func (d *decoder) pairs(p *path, n *tnode, f func(k, val *tnode, key string, kp *path)) {
	// A large file has hundreds of thousands of small mappings (one per
	// person and node): their earlier keys are searched rather than put
	// in a map each.
	var seen map[string]int32
	if n.b > 2*smallMapping {
		seen = make(map[string]int32, n.b/2)
	}
	for i := uint32(0); i+1 < n.b; i += 2 {
		k, val := d.t.child(n, i), d.t.child(n, i+1)
		key := d.t.value(k)
		kp := &path{parent: p, key: key}
		if k.kind != scalarNode {
			d.errorf(k, p, "keys must be plain words, got %s", d.kindName(k))
			continue
		}
		if line, dup := d.firstKey(n, i, key, seen); dup {
			d.errorf(k, kp, "key %q appears twice (first at line %d)", key, line)
			continue
		}
		if seen != nil {
			seen[key] = k.line
		}
		f(k, val, key, kp)
	}
}

// smallMapping is the number of keys up to which pairs finds repeated keys
// without a map.
const smallMapping = 16

// firstKey returns the line of the first plain key of mapping n before
// child i that is key: from seen, or by searching when seen is nil.
func (d *decoder) firstKey(n *tnode, i uint32, key string, seen map[string]int32) (int32, bool) {
	if seen != nil {
		line, ok := seen[key]
		return line, ok
	}
	for j := uint32(0); j < i; j += 2 {
		if k := d.t.child(n, j); k.kind == scalarNode && d.t.value(k) == key {
			return k.line, true
		}
	}
	return 0, false
}

func (d *decoder) decodeMap(p *path, n *tnode, v reflect.Value) {
	if n.kind != mappingNode {
		d.errorf(n, p, "expected a mapping, got %s", d.kindName(n))
		return
	}
	if v.Type().Key().Kind() != reflect.String {
		d.errorf(n, p, "internal: map key %s", v.Type().Key())
		return
	}
	m := reflect.MakeMapWithSize(v.Type(), int(n.b/2))
	d.pairs(p, n, func(k, val *tnode, key string, kp *path) {
		e := reflect.New(v.Type().Elem()).Elem()
		if d.lines != nil {
			if d.leadsTo(kp.String()) {
				d.record(kp, k.line, false)
				d.decode(kp, val, e)
			}
			return
		}
		d.decode(kp, val, e)
		// Map keys are ids and languages, which repeat.
		m.SetMapIndex(reflect.ValueOf(d.intern(key)).Convert(v.Type().Key()), e)
	})
	v.Set(m)
}

// secret decodes and resolves a Secret. Messages name the variable or file,
// never the value.
func (d *decoder) secret(p *path, n *tnode) Secret {
	switch n.kind {
	case scalarNode:
		d.warnf(n, p, "secret written in the file; use {env: …} or {file: …}")
		return Secret{value: strings.Clone(d.t.value(n))}
	case mappingNode:
	default:
		d.errorf(n, p, "expected {env: NAME} or {file: PATH}, got %s", d.kindName(n))
		return Secret{}
	}
	var s Secret
	before := len(*d.probs)
	d.decodeStruct(p, n, reflect.ValueOf(&s).Elem())
	if len(*d.probs) > before {
		return Secret{}
	}
	switch {
	case s.Env != "" && s.File != "":
		d.errorf(n, p, "give either env or file, not both")
	case s.Env != "":
		s.value = d.env(s.Env)
		if s.value == "" {
			d.errorf(n, p, "environment variable %s is not set or empty", s.Env)
		}
	case s.File != "":
		fp := s.File
		if !filepath.IsAbs(fp) {
			fp = filepath.Join(d.dir, fp)
		}
		b, err := os.ReadFile(fp)
		if err != nil {
			// The os error names the file and the reason, not the content.
			d.errorf(n, p, "cannot read secret file: %v", err)
			break
		}
		s.value = strings.TrimRight(string(b), "\r\n")
		if s.value == "" {
			d.errorf(n, p, "secret file %s is empty", fp)
		}
	default:
		d.errorf(n, p, "expected {env: NAME} or {file: PATH}")
	}
	return s
}

// suggest returns the known name closest to key if it is a likely typo.
func suggest(key string, names []string) string {
	sorted := append([]string(nil), names...)
	sort.Strings(sorted)
	best, bestDist := "", 3
	for _, n := range sorted {
		if dist := editDistance(key, n); dist < bestDist {
			best, bestDist = n, dist
		}
	}
	return best
}

func editDistance(a, b string) int {
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(b)]
}
