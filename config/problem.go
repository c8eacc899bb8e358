package config

import (
	"fmt"
	"strings"
)

// Severity says whether a problem stops the configuration from loading.
type Severity int

const (
	// Error makes the configuration unusable.
	Error Severity = iota
	// Warning is worth fixing but does not stop loading.
	Warning
)

// String returns "error" or "warning".
func (s Severity) String() string {
	if s == Warning {
		return "warning"
	}
	return "error"
}

// Problem is one finding about a configuration file. Path is the YAML path
// with 0-based sequence indexes, e.g. "people[3].mobile"; in a people file
// (File is the CSV file) it is the column name, e.g. "mobile".
type Problem struct {
	File     string
	Line     int
	Column   int // 1-based byte index in the line; set in people files only
	Path     string
	Severity Severity
	Message  string
}

// String formats the problem as "file:line: path: message" (or
// "file:line:column: …"), the form editors and grep understand; warnings
// are prefixed with "warning: ". A missing line, column (0) or path is left
// out rather than printed empty.
func (p Problem) String() string {
	var b strings.Builder
	if p.Severity == Warning {
		b.WriteString("warning: ")
	}
	b.WriteString(p.File)
	if p.Line > 0 {
		fmt.Fprintf(&b, ":%d", p.Line)
		if p.Column > 0 {
			fmt.Fprintf(&b, ":%d", p.Column)
		}
	}
	b.WriteString(": ")
	if p.Path != "" {
		b.WriteString(p.Path)
		b.WriteString(": ")
	}
	b.WriteString(p.Message)
	return b.String()
}

// Problems are all findings of one load, in file order.
type Problems []Problem

// Errors returns the problems of severity Error.
func (ps Problems) Errors() Problems { return ps.filter(Error) }

// Warnings returns the problems of severity Warning.
func (ps Problems) Warnings() Problems { return ps.filter(Warning) }

func (ps Problems) filter(s Severity) Problems {
	var out Problems
	for _, p := range ps {
		if p.Severity == s {
			out = append(out, p)
		}
	}
	return out
}

// Err returns nil when there is no error-level problem, otherwise an
// *InvalidError holding the errors.
func (ps Problems) Err() error {
	errs := ps.Errors()
	if len(errs) == 0 {
		return nil
	}
	return &InvalidError{Problems: errs}
}

// String lists one problem per line.
func (ps Problems) String() string {
	lines := make([]string, len(ps))
	for i, p := range ps {
		lines[i] = p.String()
	}
	return strings.Join(lines, "\n")
}

// InvalidError is returned by Problems.Err; use errors.As to get at the
// individual problems.
type InvalidError struct {
	Problems Problems
}

func (e *InvalidError) Error() string {
	if len(e.Problems) == 1 {
		return "invalid configuration: " + e.Problems[0].String()
	}
	return fmt.Sprintf("invalid configuration (%d errors):\n%s", len(e.Problems), e.Problems.String())
}
