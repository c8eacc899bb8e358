package config

import (
	"bytes"
	"fmt"
	"io"
	"os"
	"reflect"
	"runtime"
	"sort"
	"strings"

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
// in problem messages and as the base for relative {file: …} secrets and
// people_file; env looks up {env: …} secrets (nil means an empty
// environment).
//
// All problems are collected and returned sorted by file (the YAML first)
// and line. The *Config is
// nil whenever Problems.Err() is non-nil, so an invalid file can never be
// used by accident. The error result is reserved for I/O failures; LoadBytes
// itself never returns one.
func LoadBytes(name string, data []byte, env func(string) string) (*Config, Problems, error) {
	return loadBytes(name, data, env, func(string) {})
}

// loadBytes is LoadBytes with a hook called after each stage while the
// stage's data is still alive (BenchmarkLoad100k measures the live heap).
func loadBytes(name string, data []byte, env func(string) string, loadStage func(stage string)) (*Config, Problems, error) {
	if env == nil {
		env = func(string) string { return "" }
	}
	var probs Problems
	doc, ok := parseFast(data)
	if !ok {
		var prob *Problem
		if doc, prob = parseYAML(name, data); prob != nil {
			return nil, append(probs, *prob), nil
		}
	}
	loadStage("parsed")
	cfg := &Config{Path: name}
	d := newDecoder(name, env, &probs)
	d.t = doc
	d.decode(nil, doc.root, reflect.ValueOf(cfg).Elem())
	lineOf := lineFinder(name, doc)
	var people *peopleFile
	if cfg.PeopleFile != "" {
		var ok bool
		if people, ok = loadPeopleFile(name, cfg, lineOf, d, &probs); !ok {
			// Without its people every call tree would be reported.
			sortProblems(name, probs)
			return nil, probs, nil
		}
	}
	loadStage("decoded")
	probs = append(probs, cfg.finish(name, lineOf, people)...)
	loadStage("validated")
	runtime.KeepAlive(doc)    // the tree is alive until validation ends
	runtime.KeepAlive(people) // and so is the people file
	sortProblems(name, probs)
	if probs.Err() != nil {
		return nil, probs, nil
	}
	return cfg, probs, nil
}

// parseYAML parses data with yaml.v3 (what parseFast declines: anything
// outside the plain subset, and every syntax error, reported as yaml.v3
// words it). The yaml.v3 tree is garbage once converted.
func parseYAML(name string, data []byte) (*tree, *Problem) {
	var root yaml.Node
	dec := yaml.NewDecoder(bytes.NewReader(data))
	if err := dec.Decode(&root); err != nil && err != io.EOF {
		p := syntaxProblem(name, data, err)
		return nil, &p
	}
	if p := secondDocument(name, data, dec); p != nil {
		return nil, p
	}
	y := &root
	if root.Kind == yaml.DocumentNode && len(root.Content) > 0 {
		y = root.Content[0]
	}
	if root.Kind == 0 || (y.Kind == yaml.ScalarNode && y.ShortTag() == "!!null") {
		return nil, &Problem{File: name, Line: 1, Severity: Error, Message: "file is empty"}
	}
	return treeFromYAML(y), nil
}

// lineFinder returns the line of a YAML path in the tree rooted at doc, or
// of its nearest ancestor that is in the file (a missing key is reported at
// the entry that lacks it); 0 if there is none. It walks the tree along the
// path only, the way the decoder did, so it is cheap enough to call for
// every problem.
func lineFinder(name string, doc *tree) func(string) int {
	var discard Problems
	d := newDecoder(name, nil, &discard)
	d.t = doc
	return func(target string) int {
		if target == "" {
			return 0
		}
		d.target, d.lines = target, map[string]int{}
		d.decode(nil, doc.root, reflect.ValueOf(&Config{}).Elem())
		for p := target; p != ""; {
			if l, ok := d.lines[p]; ok {
				return l
			}
			i := strings.LastIndexAny(p, ".[")
			if i < 0 {
				break
			}
			p = p[:i]
		}
		return 0
	}
}

// Validate applies defaults to c, checks it and builds its lookup maps. Load
// does this already; Validate is for configurations built in Go (tests,
// generated set-ups). Problems name c.Path and carry no line numbers.
func (c *Config) Validate() Problems {
	probs := c.finish(c.Path, nil, nil)
	sortProblems(c.Path, probs)
	return probs
}

// finish completes and validates c; lineOf finds the line of a YAML path
// (nil when there is no file), people where the people file's people are.
func (c *Config) finish(file string, lineOf func(string) int, people *peopleFile) Problems {
	var probs Problems
	for i := range c.CallTrees {
		if t := &c.CallTrees[i]; t.Nodes == nil && t.flat != nil {
			t.Nodes = t.flat.expand() // validated again
		}
		c.CallTrees[i].flat = nil
	}
	c.applyDefaults()
	v := &validator{c: c, file: file, lineOf: lineOf, peopleFile: people, probs: &probs}
	v.validate()
	if probs.Err() == nil {
		c.compactTrees()
	}
	return probs
}

// sortProblems puts the problems of the configuration file first, then
// those of the people file, each by line.
func sortProblems(file string, ps Problems) {
	sort.SliceStable(ps, func(i, j int) bool {
		if fi, fj := ps[i].File == file, ps[j].File == file; fi != fj {
			return fi
		}
		li, lj := ps[i].Line, ps[j].Line
		if li == 0 || lj == 0 {
			return li != 0 && lj == 0 // problems without a line go last
		}
		if li == lj {
			return ps[i].Column < ps[j].Column
		}
		return li < lj
	})
}

// secondDocument refuses a file with more than one YAML document: only the
// first would be read, and whatever follows a "---" (people appended from
// another file) would be dropped silently. An empty document is harmless.
func secondDocument(name string, data []byte, dec *yaml.Decoder) *Problem {
	var next yaml.Node
	switch err := dec.Decode(&next); {
	case err == io.EOF:
		return nil
	case err != nil:
		p := syntaxProblem(name, data, err)
		return &p
	}
	if len(next.Content) == 0 || next.Content[0].ShortTag() == "!!null" {
		return secondDocument(name, data, dec)
	}
	return &Problem{File: name, Line: next.Content[0].Line, Severity: Error,
		Message: "a second YAML document (after ---) starts here and would be ignored: write the whole configuration as one document"}
}
