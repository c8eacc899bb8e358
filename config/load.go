package config

import (
	"fmt"
	"os"
	"reflect"
	"regexp"
	"sort"
	"strconv"

	"go.yaml.in/yaml/v3"
)

// Load reads, decodes, completes and validates the configuration file at
// path, resolving secrets from the process environment. See LoadBytes.
func Load(path string) (*Config, Problems, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, nil, fmt.Errorf("config: %w", err)
	}
	return LoadBytes(path, data, os.Getenv)
}

// LoadBytes decodes, completes and validates a configuration. name is used
// in problem messages and as the base for relative {file: …} secrets; env
// looks up {env: …} secrets (nil means an empty environment).
//
// All problems are collected and returned sorted by line. The *Config is
// nil whenever Problems.Err() is non-nil, so an invalid file can never be
// used by accident. The error result is reserved for I/O failures; LoadBytes
// itself never returns one.
func LoadBytes(name string, data []byte, env func(string) string) (*Config, Problems, error) {
	if env == nil {
		env = func(string) string { return "" }
	}
	var probs Problems
	var root yaml.Node
	if err := yaml.Unmarshal(data, &root); err != nil {
		return nil, append(probs, syntaxProblem(name, err)), nil
	}
	doc := &root
	if root.Kind == yaml.DocumentNode && len(root.Content) > 0 {
		doc = root.Content[0]
	}
	if root.Kind == 0 || isNull(doc) {
		return nil, append(probs, Problem{File: name, Line: 1, Severity: Error, Message: "file is empty"}), nil
	}
	cfg := &Config{Path: name}
	d := newDecoder(name, env, &probs)
	d.decode("", doc, reflect.ValueOf(cfg).Elem())
	probs = append(probs, cfg.finish(name, d.lines)...)
	sortProblems(probs)
	if probs.Err() != nil {
		return nil, probs, nil
	}
	return cfg, probs, nil
}

// Validate applies defaults to c, checks it and builds its lookup maps. Load
// does this already; Validate is for configurations built in Go (tests,
// generated set-ups). Problems name c.Path and carry no line numbers.
func (c *Config) Validate() Problems {
	probs := c.finish(c.Path, nil)
	sortProblems(probs)
	return probs
}

func (c *Config) finish(file string, lines map[string]int) Problems {
	var probs Problems
	c.applyDefaults()
	v := &validator{c: c, file: file, lines: lines, probs: &probs}
	v.validate()
	return probs
}

func sortProblems(ps Problems) {
	sort.SliceStable(ps, func(i, j int) bool {
		li, lj := ps[i].Line, ps[j].Line
		if li == 0 || lj == 0 {
			return li != 0 && lj == 0 // problems without a line go last
		}
		return li < lj
	})
}

// syntaxProblem turns a YAML parser error ("yaml: line 7: mapping values
// are not allowed in this context") into a Problem with that line.
func syntaxProblem(name string, err error) Problem {
	p := Problem{File: name, Severity: Error, Message: err.Error()}
	re := regexp.MustCompile(`^yaml: (?:line (\d+): )?(.*)$`)
	if m := re.FindStringSubmatch(err.Error()); m != nil {
		p.Line, _ = strconv.Atoi(m[1])
		p.Message = "invalid YAML: " + m[2]
	}
	return p
}
