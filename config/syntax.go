package config

import (
	"bytes"
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"unicode/utf8"
)

// syntaxProblem turns a YAML parser error ("yaml: line 7: mapping values
// are not allowed in this context") into a Problem at the line it concerns.
// The YAML library reports no line for bytes that are not text, counts the
// line of an unclosed bracket from 0, and puts an unclosed quote of the
// first line at the end of the file: those are corrected here.
func syntaxProblem(name string, data []byte, err error) Problem {
	if line, msg, ok := badByte(data); ok {
		return Problem{File: name, Line: line, Severity: Error, Message: msg}
	}
	p := Problem{File: name, Severity: Error, Message: err.Error()}
	m := regexp.MustCompile(`^yaml: (?:line (\d+): )?(.*)$`).FindStringSubmatch(err.Error())
	if m == nil {
		return p
	}
	p.Line, _ = strconv.Atoi(m[1])
	p.Message = "invalid YAML: " + m[2]
	switch msg := m[2]; {
	case isParserError(msg):
		p.Line++ // counted from 0 (and absent for the first line)
		p.Message += parserErrors[msg]
	case msg == "found unexpected end of stream":
		if last := lastLine(data); p.Line == 0 || p.Line == last && !bytes.ContainsAny(lineText(data, last), `"'`) {
			p.Line = 1 // the quote opened on the first line
		}
		p.Message += " (a quote that opens on this line is not closed)"
	}
	return p
}

// parserErrors are the messages of the YAML parser (rather than its
// scanner), whose line is counted from 0, with a hint for each.
var parserErrors = map[string]string{
	"did not find expected ',' or '}'":       " (a { … } that opens on this line is not closed)",
	"did not find expected ',' or ']'":       " (a [ … ] that opens on this line is not closed)",
	"did not find expected key":              " (check the indentation and brackets from this line on)",
	"did not find expected node content":     " (a value is missing)",
	"did not find expected '-' indicator":    " (check the indentation of the list from this line on)",
	"did not find expected <document start>": "",
	"found undefined tag handle":             "",
	"found duplicate %YAML directive":        "",
	"found incompatible YAML document":       "",
	"found duplicate %TAG directive":         "",
}

func isParserError(msg string) bool {
	_, ok := parserErrors[msg]
	return ok
}

// badByte finds the first byte that cannot be in a YAML file: invalid
// UTF-8 or a control character other than tab and line breaks.
func badByte(data []byte) (line int, msg string, ok bool) {
	line = 1
	for i := 0; i < len(data); {
		r, size := utf8.DecodeRune(data[i:])
		switch {
		case r == utf8.RuneError && size <= 1:
			return line, fmt.Sprintf("the file is not UTF-8 text (byte 0x%02x at column %d); save it as UTF-8", data[i], column(data, i)), true
		case r == '\n':
			line++
		case r < 0x20 && r != '\t' && r != '\r', r == 0x7f, r >= 0x80 && r <= 0x9f && r != 0x85:
			return line, fmt.Sprintf("the file contains a control character (%U at column %d); is it a binary file?", r, column(data, i)), true
		}
		i += size
	}
	return 0, "", false
}

// column is the 1-based byte column of offset i.
func column(data []byte, i int) int {
	return i - bytes.LastIndexByte(data[:i], '\n')
}

// lastLine is the line number of the end of data.
func lastLine(data []byte) int { return bytes.Count(data, []byte("\n")) + 1 }

// lineText returns line n (1-based) of data.
func lineText(data []byte, n int) []byte {
	lines := strings.Split(string(data), "\n")
	if n < 1 || n > len(lines) {
		return nil
	}
	return []byte(lines[n-1])
}
