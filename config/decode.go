package config

import (
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"sort"
	"strconv"
	"strings"

	"go.yaml.in/yaml/v3"
)

// decoder turns a yaml.Node tree into Go values by walking the node and the
// target type together. Doing this ourselves, rather than calling
// yaml.Node.Decode on the whole document, is what lets the loader report
// every unknown key, wrong type and bad duration with its line and YAML path
// in one run instead of stopping at the first.
type decoder struct {
	file    string
	dir     string // base for relative secret files
	env     func(string) string
	probs   *Problems
	lines   map[string]int // YAML path → line, for later validation messages
	durType reflect.Type
	secType reflect.Type
}

func newDecoder(file string, env func(string) string, probs *Problems) *decoder {
	return &decoder{
		file:    file,
		dir:     filepath.Dir(file),
		env:     env,
		probs:   probs,
		lines:   map[string]int{},
		durType: reflect.TypeFor[Duration](),
		secType: reflect.TypeFor[Secret](),
	}
}

func (d *decoder) errorf(n *yaml.Node, path, format string, args ...any) {
	*d.probs = append(*d.probs, Problem{File: d.file, Line: n.Line, Path: path, Severity: Error, Message: fmt.Sprintf(format, args...)})
}

func (d *decoder) warnf(n *yaml.Node, path, format string, args ...any) {
	*d.probs = append(*d.probs, Problem{File: d.file, Line: n.Line, Path: path, Severity: Warning, Message: fmt.Sprintf(format, args...)})
}

func isNull(n *yaml.Node) bool {
	return n.Kind == yaml.ScalarNode && n.ShortTag() == "!!null"
}

func kindName(n *yaml.Node) string {
	switch n.Kind {
	case yaml.MappingNode:
		return "a mapping"
	case yaml.SequenceNode:
		return "a list"
	case yaml.ScalarNode:
		return fmt.Sprintf("%q", n.Value)
	}
	return "something else"
}

// decode fills v (which must be settable) from n. path is n's YAML path.
func (d *decoder) decode(path string, n *yaml.Node, v reflect.Value) {
	if n.Kind == yaml.AliasNode {
		n = n.Alias
	}
	if _, seen := d.lines[path]; !seen && path != "" {
		d.lines[path] = n.Line
	}
	if isNull(n) {
		return // leave the zero value; defaults and validation deal with it
	}
	switch t := v.Type(); {
	case t == d.durType:
		if n.Kind != yaml.ScalarNode {
			d.errorf(n, path, "expected a duration such as 30m, got %s", kindName(n))
			return
		}
		dur, err := ParseDuration(n.Value)
		if err != nil {
			d.errorf(n, path, "%v", err)
			return
		}
		v.Set(reflect.ValueOf(dur))
		return
	case t == d.secType:
		v.Set(reflect.ValueOf(d.secret(path, n)))
		return
	}
	switch v.Kind() {
	case reflect.Pointer:
		p := reflect.New(v.Type().Elem())
		d.decode(path, n, p.Elem())
		v.Set(p)
	case reflect.Struct:
		d.decodeStruct(path, n, v)
	case reflect.Slice:
		if n.Kind != yaml.SequenceNode {
			d.errorf(n, path, "expected a list, got %s", kindName(n))
			return
		}
		s := reflect.MakeSlice(v.Type(), len(n.Content), len(n.Content))
		for i, item := range n.Content {
			d.decode(fmt.Sprintf("%s[%d]", path, i), item, s.Index(i))
		}
		v.Set(s)
	case reflect.Map:
		d.decodeMap(path, n, v)
	case reflect.String:
		if n.Kind != yaml.ScalarNode {
			d.errorf(n, path, "expected a string, got %s", kindName(n))
			return
		}
		// Take the text as written: a number like 015100001234 must stay
		// a string, not be reinterpreted as an integer.
		v.SetString(n.Value)
	case reflect.Int, reflect.Int64, reflect.Int32:
		i, err := strconv.ParseInt(n.Value, 10, 64)
		if n.Kind != yaml.ScalarNode || err != nil || n.ShortTag() != "!!int" {
			d.errorf(n, path, "expected an integer, got %s", kindName(n))
			return
		}
		v.SetInt(i)
	case reflect.Float64, reflect.Float32:
		var f float64
		if n.Kind != yaml.ScalarNode || (n.ShortTag() != "!!int" && n.ShortTag() != "!!float") || n.Decode(&f) != nil {
			d.errorf(n, path, "expected a number, got %s", kindName(n))
			return
		}
		v.SetFloat(f)
	case reflect.Bool:
		var b bool
		if n.Kind != yaml.ScalarNode || n.ShortTag() != "!!bool" || n.Decode(&b) != nil {
			d.errorf(n, path, "expected true or false, got %s", kindName(n))
			return
		}
		v.SetBool(b)
	default:
		// Only reachable if a field of an unsupported kind is added to the schema.
		d.errorf(n, path, "internal: cannot decode into %s", v.Type())
	}
}

// yamlFields maps the YAML keys of a struct type to field indexes.
func yamlFields(t reflect.Type) (map[string]int, []string) {
	fields := map[string]int{}
	var names []string
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
	}
	return fields, names
}

func (d *decoder) decodeStruct(path string, n *yaml.Node, v reflect.Value) {
	if n.Kind != yaml.MappingNode {
		d.errorf(n, path, "expected a mapping, got %s", kindName(n))
		return
	}
	fields, names := yamlFields(v.Type())
	seen := map[string]int{}
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, val := n.Content[i], n.Content[i+1]
		key := k.Value
		kp := join(path, key)
		if k.Kind != yaml.ScalarNode {
			d.errorf(k, path, "keys must be plain words, got %s", kindName(k))
			continue
		}
		if line, dup := seen[key]; dup {
			d.errorf(k, kp, "key %q appears twice (first at line %d)", key, line)
			continue
		}
		seen[key] = k.Line
		idx, ok := fields[key]
		if !ok {
			msg := fmt.Sprintf("unknown key %q", key)
			if key == "<<" {
				msg = "merge keys (<<) are not supported; repeat the settings"
			} else if s := suggest(key, names); s != "" {
				msg += fmt.Sprintf(" (did you mean %q?)", s)
			} else {
				msg += " (known: " + strings.Join(names, ", ") + ")"
			}
			d.errorf(k, kp, "%s", msg)
			continue
		}
		d.lines[kp] = k.Line
		d.decode(kp, val, v.Field(idx))
	}
}

func (d *decoder) decodeMap(path string, n *yaml.Node, v reflect.Value) {
	if n.Kind != yaml.MappingNode {
		d.errorf(n, path, "expected a mapping, got %s", kindName(n))
		return
	}
	if v.Type().Key().Kind() != reflect.String {
		d.errorf(n, path, "internal: map key %s", v.Type().Key())
		return
	}
	m := reflect.MakeMapWithSize(v.Type(), len(n.Content)/2)
	seen := map[string]int{}
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, val := n.Content[i], n.Content[i+1]
		kp := join(path, k.Value)
		if k.Kind != yaml.ScalarNode {
			d.errorf(k, path, "keys must be plain words, got %s", kindName(k))
			continue
		}
		if line, dup := seen[k.Value]; dup {
			d.errorf(k, kp, "key %q appears twice (first at line %d)", k.Value, line)
			continue
		}
		seen[k.Value] = k.Line
		d.lines[kp] = k.Line
		e := reflect.New(v.Type().Elem()).Elem()
		d.decode(kp, val, e)
		m.SetMapIndex(reflect.ValueOf(k.Value).Convert(v.Type().Key()), e)
	}
	v.Set(m)
}

// secret decodes and resolves a Secret. Messages name the variable or file,
// never the value.
func (d *decoder) secret(path string, n *yaml.Node) Secret {
	switch n.Kind {
	case yaml.ScalarNode:
		d.warnf(n, path, "secret written in the file; use {env: …} or {file: …}")
		return Secret{value: n.Value}
	case yaml.MappingNode:
	default:
		d.errorf(n, path, "expected {env: NAME} or {file: PATH}, got %s", kindName(n))
		return Secret{}
	}
	var s Secret
	before := len(*d.probs)
	d.decodeStruct(path, n, reflect.ValueOf(&s).Elem())
	if len(*d.probs) > before {
		return Secret{}
	}
	switch {
	case s.Env != "" && s.File != "":
		d.errorf(n, path, "give either env or file, not both")
	case s.Env != "":
		s.value = d.env(s.Env)
		if s.value == "" {
			d.errorf(n, path, "environment variable %s is not set or empty", s.Env)
		}
	case s.File != "":
		p := s.File
		if !filepath.IsAbs(p) {
			p = filepath.Join(d.dir, p)
		}
		b, err := os.ReadFile(p)
		if err != nil {
			// The os error names the file and the reason, not the content.
			d.errorf(n, path, "cannot read secret file: %v", err)
			break
		}
		s.value = strings.TrimRight(string(b), "\r\n")
		if s.value == "" {
			d.errorf(n, path, "secret file %s is empty", p)
		}
	default:
		d.errorf(n, path, "expected {env: NAME} or {file: PATH}")
	}
	return s
}

func join(path, key string) string {
	if path == "" {
		return key
	}
	return path + "." + key
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
