package config

import (
	"bytes"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"
)

// A people file (`people_file: people.csv`, relative to the configuration
// file's directory) lists people as CSV, the way spreadsheets and directory
// exports write them:
//
//   - UTF-8, with or without a byte order mark; CRLF or LF line ends.
//   - Fields separated by `;` or `,`: whichever the header line holds more
//     of. Fields may be quoted with `"` (and then hold the separator, `""`
//     for a quote, or line breaks).
//   - The first line names the columns, in any order: id, name and
//     organisation are required, and mobile, email or phone (a landline
//     for voice calls only); language and functions are optional.
//     Unknown and repeated columns are errors. Columns without a name at
//     the end (a separator ending every line, as spreadsheets may write
//     it) are ignored; a value in one of them is an error.
//   - Each further line is one person with the meaning of the YAML keys of
//     the same names; an empty field is a key left out. functions holds
//     function ids separated by `|` (`lead|it`). Spaces around fields and
//     function ids are ignored; lines whose fields are all empty are
//     skipped.
//
// People from the file follow those under `people:` and are validated
// exactly like them (an id in both is a duplicate). Problems name the file,
// line and column: `people.csv:12:17: mobile: "0511 123" is a landline, …`.
type peopleFile struct {
	name  string   // the file as problems name it
	data  []byte   // the text without BOM, kept until validation ends
	comma rune     // the separator
	index []int    // column of each csvColumns entry, -1 when absent
	ncols int      // columns in the header
	named int      // columns up to the last with a name; those after it are ignored
	first int      // index in Config.People of the file's first person
	recs  []recPos // where each of the file's people was read
}

// recPos is where a person's record starts in peopleFile.data.
type recPos struct {
	off  int64
	line int32
}

// csvColumns are the columns a people file may have, as named in its header.
var csvColumns = []string{"id", "name", "organisation", "mobile", "email", "language", "functions", "phone"}

const (
	colID = iota
	colName
	colOrganisation
	colMobile
	colEmail
	colLanguage
	colFunctions
	colPhone
)

// Limits that keep a wrong file (a binary, a database dump) from using up
// memory: 100,000 people take about 8 MB.
const (
	maxPeopleFile  = 256 << 20
	maxFieldLength = 1000
)

// errPeopleFile is returned when a people file cannot be used at all; the
// problems say why.
var errPeopleFile = errors.New("people file unusable")

// readPeopleFile appends the people of the file at path to people; share
// holds the texts and lists the YAML's people have. It reports a bad record
// as a problem and an unusable file as an error (errPeopleFile: a problem says why).
func readPeopleFile(path string, people []Person, share sharer, probs *Problems) (*peopleFile, []Person, error) {
	data, err := readLimited(path)
	if err != nil {
		return nil, nil, err
	}
	pf := &peopleFile{name: path, data: bytes.TrimPrefix(data, []byte("\ufeff")), first: len(people)}
	r := &peopleReader{pf: pf, probs: probs, share: share, lists: map[string][]string{}}
	if !r.header() {
		return nil, nil, errPeopleFile
	}
	// Room for a person a line (up to a million): growing a slice of
	// 100,000 people step by step took longer than reading the file.
	people = r.records(slices.Grow(people, min(bytes.Count(pf.data, []byte("\n")), 1<<20)))
	if len(people) == pf.first && len(*probs) == r.before {
		r.problem(Warning, 1, 0, "", "the file lists no people, only the header")
	}
	return pf, people, nil
}

// readLimited reads a regular file of at most maxPeopleFile bytes.
func readLimited(path string) ([]byte, error) {
	fi, err := os.Stat(path) // before opening: opening a named pipe would wait for a writer
	switch {
	case err != nil:
		return nil, err
	case fi.IsDir():
		return nil, fmt.Errorf("%s is a directory, not a CSV file", path)
	case !fi.Mode().IsRegular():
		return nil, fmt.Errorf("%s is not a regular file", path)
	case fi.Size() > maxPeopleFile:
		return nil, fmt.Errorf("%s has %d bytes, more than the %d MB a people file may have", path, fi.Size(), maxPeopleFile>>20)
	}
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, maxPeopleFile+1))
	if err == nil && len(data) > maxPeopleFile {
		err = fmt.Errorf("%s grew beyond %d MB while being read", path, maxPeopleFile>>20)
	}
	return data, err
}

// peopleReader reads one people file.
type peopleReader struct {
	pf     *peopleFile
	r      *csv.Reader
	probs  *Problems
	before int // problems before the file
	share  sharer
	lists  map[string][]string // function lists by the field's text
}

// sharer keeps one copy of the texts and lists that many people have
// (organisation, language, functions), together with the YAML decoder.
type sharer interface {
	intern(string) string
	sharedList(reflect.Value) reflect.Value
}

func (r *peopleReader) problem(sev Severity, line, col int, column, format string, args ...any) {
	*r.probs = append(*r.probs, Problem{File: r.pf.name, Line: line, Column: col, Path: column, Severity: sev, Message: fmt.Sprintf(format, args...)})
}

// header detects the separator and reads the header line; false if the
// file cannot be read further.
func (r *peopleReader) header() bool {
	pf := r.pf
	r.before = len(*r.probs)
	if len(bytes.TrimSpace(pf.data)) == 0 {
		r.problem(Error, 1, 0, "", "the file is empty; its first line must name the columns (%s)", strings.Join(csvColumns, ", "))
		return false
	}
	first, _, _ := bytes.Cut(pf.data, []byte("\n"))
	pf.comma = ','
	if bytes.Count(first, []byte(";")) > bytes.Count(first, []byte(",")) {
		pf.comma = ';'
	}
	r.r = newCSVReader(pf.data, pf.comma)
	r.r.FieldsPerRecord = 0 // every record as many fields as the header
	cols, err := r.r.Read()
	if err != nil {
		r.csvError(err)
		return false
	}
	if !r.validUTF8(0, cols) {
		return false
	}
	pf.ncols, pf.named = len(cols), 0
	for i, c := range cols {
		if strings.TrimSpace(c) != "" {
			pf.named = i + 1
		}
	}
	pf.index = make([]int, len(csvColumns))
	for i := range pf.index {
		pf.index[i] = -1
	}
	for i, c := range cols[:pf.named] {
		c = strings.TrimSpace(c)
		_, col := r.r.FieldPos(i)
		j := indexOf(csvColumns, c)
		switch {
		case c == "":
			r.problem(Error, 1, col, "", "column %d has no name", i+1)
		case j < 0 && suggest(c, csvColumns) != "":
			r.problem(Error, 1, col, c, "unknown column %q (did you mean %q?)", c, suggest(c, csvColumns))
		case j < 0:
			r.problem(Error, 1, col, c, "unknown column %q (known: %s)", c, strings.Join(csvColumns, ", "))
		case pf.index[j] >= 0:
			r.problem(Error, 1, col, c, "column %q appears twice", c)
		default:
			pf.index[j] = i
		}
	}
	for _, j := range []int{colID, colName, colOrganisation} {
		if pf.index[j] < 0 {
			r.problem(Error, 1, 1, "", "column %q is missing (required: id, name, organisation, and mobile, email or phone)", csvColumns[j])
		}
	}
	if pf.index[colMobile] < 0 && pf.index[colEmail] < 0 && pf.index[colPhone] < 0 {
		r.problem(Error, 1, 1, "", "the file has no mobile, email or phone column; nobody could be alerted")
	}
	return len(*r.probs) == r.before
}

func newCSVReader(data []byte, comma rune) *csv.Reader {
	r := csv.NewReader(bytes.NewReader(data))
	r.Comma = comma
	r.ReuseRecord = true
	return r
}

func indexOf(names []string, s string) int {
	for i, n := range names {
		if n == s {
			return i
		}
	}
	return -1
}

// csvError reports a syntax error of encoding/csv at its position.
func (r *peopleReader) csvError(err error) {
	var pe *csv.ParseError
	if !errors.As(err, &pe) {
		r.problem(Error, 0, 0, "", "%v", err)
		return
	}
	msg, hint := pe.Err.Error(), ""
	switch {
	case errors.Is(pe.Err, csv.ErrQuote):
		msg, hint = "a quoted field has no closing quote", ` (write "" for a quote inside quotes)`
	case errors.Is(pe.Err, csv.ErrBareQuote):
		msg, hint = "a quote in an unquoted field", ` (quote the whole field and write "" for the quote)`
	}
	if pe.StartLine != pe.Line {
		msg += fmt.Sprintf(" in the record that starts on line %d", pe.StartLine)
	}
	msg += hint
	r.problem(Error, pe.Line, pe.Column, "", "%s", msg)
}

// records reads the people after the header. A record with a problem is
// reported and left out; a syntax error ends the file.
func (r *peopleReader) records(people []Person) []Person {
	for {
		off := r.r.InputOffset()
		rec, err := r.r.Read()
		if err == io.EOF {
			return people
		}
		var pe *csv.ParseError
		if errors.As(err, &pe) && errors.Is(pe.Err, csv.ErrFieldCount) {
			r.problem(Error, pe.StartLine, 1, "", "this line has %d fields, the header %d (is a field with the separator %q not quoted?)",
				len(rec), r.pf.ncols, r.pf.comma)
			continue
		}
		if err != nil {
			r.csvError(err)
			return people
		}
		// Past the empty lines that the reader skipped, to where the record starts.
		for off < int64(len(r.pf.data)) && (r.pf.data[off] == '\n' || r.pf.data[off] == '\r') {
			off++
		}
		line, _ := r.r.FieldPos(0)
		if blank(rec) || !r.validUTF8(off, rec) || !r.shortFields(line, rec) || !r.unnamedEmpty(rec) {
			continue
		}
		if p, ok := r.person(rec); ok {
			people = append(people, p)
			r.pf.recs = append(r.pf.recs, recPos{off: off, line: int32(line)})
		}
	}
}

func blank(rec []string) bool {
	for _, f := range rec {
		if strings.TrimSpace(f) != "" {
			return false
		}
	}
	return true
}

// validUTF8 reports the first invalid UTF-8 byte of the record that
// starts at off, with its line and column.
func (r *peopleReader) validUTF8(off int64, rec []string) bool {
	for i, f := range rec {
		if utf8.ValidString(f) {
			continue
		}
		line, col := r.r.FieldPos(i)
		end := r.r.InputOffset()
		raw := r.pf.data[off:end]
		for j := 0; j < len(raw); {
			c, size := utf8.DecodeRune(raw[j:])
			if c == utf8.RuneError && size <= 1 {
				start, _ := r.r.FieldPos(0)
				line, col = position(raw[:j], start)
				break
			}
			j += size
		}
		r.problem(Error, line, col, r.columnName(i), "invalid UTF-8 (save the file as UTF-8)")
		return false
	}
	return true
}

// position returns the line and column just after prefix, which starts at
// the beginning of line.
func position(prefix []byte, line int) (int, int) {
	if i := bytes.LastIndexByte(prefix, '\n'); i >= 0 {
		return line + bytes.Count(prefix, []byte("\n")), len(prefix) - i
	}
	return line, len(prefix) + 1
}

func (r *peopleReader) columnName(i int) string {
	for j, c := range r.pf.index {
		if c == i {
			return csvColumns[j]
		}
	}
	return "column " + strconv.Itoa(i+1)
}

// shortFields reports fields longer than maxFieldLength.
func (r *peopleReader) shortFields(line int, rec []string) bool {
	for i, f := range rec {
		if len(f) > maxFieldLength {
			l, col := r.r.FieldPos(i)
			r.problem(Error, l, col, r.columnName(i), "%d bytes; a field may have at most %d", len(f), maxFieldLength)
			return false
		}
	}
	return true
}

// unnamedEmpty reports a value in a column after the last named one.
func (r *peopleReader) unnamedEmpty(rec []string) bool {
	for i := r.pf.named; i < len(rec); i++ {
		if f := strings.TrimSpace(rec[i]); f != "" {
			l, col := r.r.FieldPos(i)
			r.problem(Error, l, col, r.columnName(i), "%q stands in a column the header does not name (the header names %d columns; delete it or name the column)",
				f, r.pf.named)
			return false
		}
	}
	return true
}

// person builds a person from a record.
func (r *peopleReader) person(rec []string) (Person, bool) {
	field := func(j int) string {
		if i := r.pf.index[j]; i >= 0 {
			return strings.TrimSpace(rec[i])
		}
		return ""
	}
	// The texts of id, name, mobile, email and phone keep the record's one
	// string alive until packPeople copies them out.
	p := Person{
		ID:           field(colID),
		Name:         field(colName),
		Organisation: r.intern(field(colOrganisation)),
		Mobile:       field(colMobile),
		Email:        field(colEmail),
		Phone:        field(colPhone),
		Language:     r.intern(field(colLanguage)),
	}
	fs := field(colFunctions)
	if fs == "" {
		return p, true
	}
	if l, ok := r.lists[fs]; ok {
		p.Functions = l
		return p, true
	}
	for f := range strings.SplitSeq(fs, "|") {
		f = strings.TrimSpace(f)
		if f == "" {
			l, col := r.r.FieldPos(r.pf.index[colFunctions])
			r.problem(Error, l, col, "functions", "empty function id in %q (separate function ids with |)", fs)
			return Person{}, false
		}
		p.Functions = append(p.Functions, r.intern(f))
	}
	p.Functions = r.share.sharedList(reflect.ValueOf(slices.Clip(p.Functions))).Interface().([]string)
	r.lists[strings.Clone(fs)] = p.Functions
	return p, true
}

func (r *peopleReader) intern(s string) string {
	if s == "" {
		return ""
	}
	return r.share.intern(s)
}

// locate returns where the problem at a validator path ("people[7].mobile",
// "people[7].functions[1]", "people[7]") lies in the file: its line,
// column and column name. false if the path is not one of the file's people.
func (pf *peopleFile) locate(path string) (line, col int, column string, ok bool) {
	if pf == nil {
		return 0, 0, "", false
	}
	rest, ok := strings.CutPrefix(path, "people[")
	if !ok {
		return 0, 0, "", false
	}
	digits, rest, ok := strings.Cut(rest, "]")
	i, err := strconv.Atoi(digits)
	if !ok || err != nil || i < pf.first || i-pf.first >= len(pf.recs) {
		return 0, 0, "", false
	}
	rec := pf.recs[i-pf.first]
	column, _, _ = strings.Cut(strings.TrimPrefix(rest, "."), "[")
	j := indexOf(csvColumns, column)
	if j < 0 || pf.index[j] < 0 {
		return int(rec.line), 0, column, true
	}
	r := newCSVReader(pf.data[rec.off:], pf.comma)
	r.FieldsPerRecord = -1
	if _, err := r.Read(); err != nil {
		return int(rec.line), 0, column, true
	}
	l, c := r.FieldPos(pf.index[j])
	return int(rec.line) + l - 1, c, column, true
}

// loadPeopleFile reads c.PeopleFile, relative to the directory of the
// configuration file name, and appends its people to c.People. A file that
// cannot be used at all is reported at the people_file key (lineOf finds
// it) and returns false.
func loadPeopleFile(name string, c *Config, lineOf func(string) int, share sharer, probs *Problems) (*peopleFile, bool) {
	pf, people, err := readPeopleFile(c.PeopleFilePath(), c.People, share, probs)
	if err != nil {
		if !errors.Is(err, errPeopleFile) {
			*probs = append(*probs, Problem{File: name, Line: lineOf("people_file"), Path: "people_file", Severity: Error,
				Message: fmt.Sprintf("cannot read the people file: %v", err)})
		}
		return nil, false
	}
	c.People = people
	return pf, true
}

// PeopleFilePath is the people_file as read: relative names are relative to
// the configuration file's directory ("" without a people_file).
func (c *Config) PeopleFilePath() string {
	if c.PeopleFile == "" || filepath.IsAbs(c.PeopleFile) {
		return c.PeopleFile
	}
	return filepath.Join(filepath.Dir(c.Path), c.PeopleFile)
}
