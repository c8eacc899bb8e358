package config

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// loadWithPeople writes base (with people_file: people.csv and yamlEdit
// applied) and files into a new directory and loads it. Problems are
// returned as strings with the directory left out.
func loadWithPeople(t *testing.T, yamlEdit func(string) string, files map[string]string) (*Config, []string) {
	t.Helper()
	dir := t.TempDir()
	src := base + "people_file: people.csv\n"
	if yamlEdit != nil {
		src = yamlEdit(src)
	}
	for name, content := range files {
		if content == "<dir>" {
			if err := os.Mkdir(filepath.Join(dir, name), 0o700); err != nil {
				t.Fatal(err)
			}
			continue
		}
		if err := os.WriteFile(filepath.Join(dir, name), []byte(content), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	path := filepath.Join(dir, "base.yaml")
	cfg, probs, err := LoadBytes(path, []byte(src), testEnv)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, p := range probs {
		// The CSV people are in no call tree of base; these tests are
		// about the file format (the warning: neveralerted_test.go).
		if s := p.String(); !strings.Contains(s, "is in no call tree that an organisation activates") {
			got = append(got, strings.ReplaceAll(s, dir+string(filepath.Separator), ""))
		}
	}
	return cfg, got
}

const header = "id,name,organisation,mobile\n"

func TestPeopleFileProblems(t *testing.T) {
	long := strings.Repeat("x", maxFieldLength+1)
	tests := []struct {
		name     string
		yamlEdit func(string) string
		csv      string // people.csv; "<none>" for no file, "<dir>" for a directory
		want     []string
	}{
		{name: "empty file", csv: "",
			want: []string{"people.csv:1: the file is empty; its first line must name the columns (id, name, organisation, mobile, email, language, functions, phone)"}},
		{name: "only a BOM and blank lines", csv: "\ufeff\r\n\n",
			want: []string{"people.csv:1: the file is empty; its first line must name the columns (id, name, organisation, mobile, email, language, functions, phone)"}},
		{name: "header only", csv: header,
			want: []string{"warning: people.csv:1: the file lists no people, only the header"}},
		{name: "missing file", csv: "<none>",
			want: []string{"base.yaml:53: people_file: cannot read the people file: stat people.csv: no such file or directory"}},
		{name: "directory", csv: "<dir>",
			want: []string{"base.yaml:53: people_file: cannot read the people file: people.csv is a directory, not a CSV file"}},
		{name: "unknown column", csv: "id;name;organisation;mobile;mobil2\n",
			want: []string{`people.csv:1:29: mobil2: unknown column "mobil2" (did you mean "mobile"?)`}},
		{name: "unknown column far from any", csv: "id,name,organisation,mobile,Telefax\n",
			want: []string{`people.csv:1:29: Telefax: unknown column "Telefax" (known: id, name, organisation, mobile, email, language, functions, phone)`}},
		{name: "column without a name", csv: "id,name,,organisation,mobile\n",
			want: []string{"people.csv:1:9: column 3 has no name"}},
		{name: "unnamed column before named ones", csv: "id,name,organisation,mobile,,email,\n",
			want: []string{"people.csv:1:29: column 5 has no name"}},
		{name: "value in a trailing unnamed column", csv: "id;name;organisation;mobile;;\ne;Erika E;MI;+4915100001005;;x\nf;Frank F;MI;+4915100001006; ;\n",
			want: []string{`people.csv:2:30: column 6: "x" stands in a column the header does not name (the header names 4 columns; delete it or name the column)`}},
		{name: "repeated column", csv: "id,name,organisation,mobile,id\n",
			want: []string{`people.csv:1:29: id: column "id" appears twice`}},
		{name: "missing required columns", csv: "id,mobile\n",
			want: []string{
				`people.csv:1:1: column "name" is missing (required: id, name, organisation, and mobile, email or phone)`,
				`people.csv:1:1: column "organisation" is missing (required: id, name, organisation, and mobile, email or phone)`,
			}},
		{name: "neither mobile nor email column", csv: "id,name,organisation\n",
			want: []string{"people.csv:1:1: the file has no mobile, email or phone column; nobody could be alerted"}},
		{name: "too few fields", csv: header + "e,Erika E,MI\nf,Frank F,MI,+4915100001006\n",
			want: []string{`people.csv:2:1: this line has 3 fields, the header 4 (is a field with the separator ',' not quoted?)`}},
		{name: "unclosed quote", csv: header + "e,\"Erika E,MI,+4915100001005\n",
			want: []string{`people.csv:2:30: a quoted field has no closing quote (write "" for a quote inside quotes)`}},
		{name: "unclosed quote over lines", csv: header + "e,\"Erika E,MI,+4915100001005\nf,Frank F,MI,+4915100001006\n",
			want: []string{`people.csv:3:29: a quoted field has no closing quote in the record that starts on line 2 (write "" for a quote inside quotes)`}},
		{name: "quote in an unquoted field", csv: header + "e,Erika \"E\",MI,+4915100001005\n",
			want: []string{`people.csv:2:9: a quote in an unquoted field (quote the whole field and write "" for the quote)`}},
		{name: "invalid UTF-8", csv: header + "e,Er\xffika E,MI,+4915100001005\n",
			want: []string{"people.csv:2:5: name: invalid UTF-8 (save the file as UTF-8)"}},
		{name: "invalid UTF-8 on the second line of a quoted field", csv: header + "e,\"Erika\nE\xff\",MI,+4915100001005\n",
			want: []string{"people.csv:3:2: name: invalid UTF-8 (save the file as UTF-8)"}},
		{name: "invalid UTF-8 in the header", csv: "id,name,organisation,m\xf6bile\n",
			want: []string{"people.csv:1:23: column 4: invalid UTF-8 (save the file as UTF-8)"}},
		{name: "huge field", csv: header + "e," + long + ",MI,+4915100001005\n",
			want: []string{"people.csv:2:3: name: 1001 bytes; a field may have at most 1000"}},
		{name: "a megabyte on one line", csv: header + "e,E,MI,+4915100001005" + strings.Repeat(" ", 1<<20) + "\n",
			want: []string{"people.csv:2:8: mobile: 1048590 bytes; a field may have at most 1000"}},
		{name: "quoted newline counts lines", csv: header + "e,\"Erika\nE\",MI,+4915100001005\nf,Frank F,MI,0511 1234567\n",
			want: []string{`people.csv:4:14: mobile: "0511 1234567" is a landline, not a mobile number`}},
		{name: "field after a quoted line break", csv: header + "e,\"Erika\nE\",MI,0511 1234567\n",
			want: []string{`people.csv:3:7: mobile: "0511 1234567" is a landline, not a mobile number`}},
		{name: "mobile with letters", csv: header + "e,Erika E,MI,+49 151 KASKADE\n",
			want: []string{`people.csv:2:14: mobile: "+49 151 KASKADE" contains letters; write the mobile number with digits only`}},
		{name: "duplicate id across YAML and CSV", csv: header + "a,Anna Again,MI,+4915100001099\n",
			want: []string{`people.csv:2:1: id: duplicate person id "a" (first at base.yaml:15)`}},
		{name: "duplicate id within the CSV", csv: header + "e,Erika E,MI,+4915100001005\n\ne,Erika F,MI,+4915100001006\n",
			want: []string{`people.csv:4:1: id: duplicate person id "e" (first at line 2)`}},
		{name: "YAML person after the CSV's is still named by line", yamlEdit: func(s string) string {
			return strings.Replace(s, "  - id: b\n", "  - id: e\n", 1)
		}, csv: header + "e,Erika E,MI,+4915100001005\n",
			want: []string{
				`base.yaml:42: call_trees[0].nodes[0].deputies[0]: unknown person "b"`,
				`people.csv:2:1: id: duplicate person id "e" (first at base.yaml:20)`,
			}},
		{name: "mobile of a YAML person", csv: header + "e,Erika E,MI,+4915100001001\n",
			want: []string{`people.csv:2:14: mobile: +4915100001001 is also the mobile of a; replies could not be told apart`}},
		{name: "phone not a number", csv: "id,name,organisation,phone\ne,Erika E,MI,0511 KASKADE\n",
			want: []string{`people.csv:2:14: phone: "0511 KASKADE" contains letters; write the phone number with digits only`}},
		{name: "phone too short", csv: "id;name;organisation;mobile;phone\ne;Erika E;MI;+4915100001005;12\n",
			want: []string{`people.csv:2:29: phone: "12" is not a valid phone number`}},
		{name: "phone of another person", csv: "id,name,organisation,phone\ne,Erika E,MI,0511 120-0\nf,Frank F,MI,+49 511 1200\n",
			want: []string{`warning: people.csv:3:14: phone: +495111200 is also the phone of e; calls in could not be told apart`}},
		{name: "neither mobile nor email", csv: "id,name,organisation,mobile,email\ne,Erika E,MI,,\n",
			want: []string{`people.csv:2: person "e" has neither mobile nor email and cannot be alerted`}},
		{name: "unknown organisation and function", csv: "id,name,organisation,mobile,functions\ne,Erika E,MK,+4915100001005,lead|boss\n",
			want: []string{
				`people.csv:2:11: organisation: unknown organisation "MK"`,
				`people.csv:2:29: functions: unknown function "boss"`,
			}},
		{name: "empty function id", csv: "id,name,organisation,mobile,functions\ne,Erika E,MI,+4915100001005,lead||it\n",
			want: []string{`people.csv:2:29: functions: empty function id in "lead||it" (separate function ids with |)`}},
		{name: "bad language and email", csv: "id;name;organisation;email;language\ne;Erika E;MI;erika;fr\n",
			want: []string{
				`people.csv:2:14: email: "erika" is not an email address`,
				`people.csv:2:20: language: language must be de or en, got "fr"`,
			}},
		{name: "bad id", csv: header + "e f,Erika E,MI,+4915100001005\n",
			want: []string{`people.csv:2:1: id: person id "e f" may only contain letters, digits, _ and - (ids are used in NATS subjects and URLs)`}},
		{name: "YAML problems come first", yamlEdit: func(s string) string {
			return strings.Replace(s, "name: Anna A", "name: ''", 1)
		}, csv: header + "e,,MI,+4915100001005\n",
			want: []string{"base.yaml:16: people[0].name: name is required", "people.csv:2:3: name: name is required"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			files := map[string]string{}
			if tc.csv != "<none>" {
				files["people.csv"] = tc.csv
			}
			_, got := loadWithPeople(t, tc.yamlEdit, files)
			if !slices.Equal(got, tc.want) {
				t.Errorf("got\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(tc.want, "\n"))
			}
		})
	}
}

// TestPeopleFileExport loads a spreadsheet export: BOM, ;, CRLF, quoted
// fields holding the separator and a line break, an empty row.
func TestPeopleFileExport(t *testing.T) {
	export, err := os.ReadFile("testdata/people-export.csv")
	if err != nil {
		t.Fatal(err)
	}
	cfg, probs := loadWithPeople(t, nil, map[string]string{"people.csv": string(export)})
	if len(probs) != 0 || cfg == nil {
		t.Fatalf("problems:\n%s", strings.Join(probs, "\n"))
	}
	want := []Person{
		{ID: "e", Name: "Müller; Erika", Organisation: "MI", Mobile: "+4915100001005", Email: "erika.mueller@mi.niedersachsen.example", Language: "de", Functions: []string{"lead", "it"}},
		{ID: "f", Name: "François\nDupont", Organisation: "MI", Mobile: "+4915100001006", Language: "en", Functions: []string{"personnel"}},
		{ID: "g", Name: "Grete G", Organisation: "MI", Email: "grete.g@mi.niedersachsen.example", Language: "de"},
	}
	got := cfg.People[4:]
	if len(got) != len(want) {
		t.Fatalf("%d people from the file, want %d: %+v", len(got), len(want), got)
	}
	for i := range want {
		g, w := got[i], want[i]
		if g.ID != w.ID || g.Name != w.Name || g.Organisation != w.Organisation || g.Mobile != w.Mobile ||
			g.Email != w.Email || g.Language != w.Language || !slices.Equal(g.Functions, w.Functions) {
			t.Errorf("person %d:\n got %+v\nwant %+v", i, g, w)
		}
	}
	if p, ok := cfg.Person("f"); !ok || p.Name != want[1].Name {
		t.Errorf("Person(f) = %+v, %v", p, ok)
	}
}

// TestPeopleFileTrailingSeparator: spreadsheets may end every line with the
// separator (an empty column at the end); such empty columns are ignored.
func TestPeopleFileTrailingSeparator(t *testing.T) {
	for _, tc := range []struct{ name, csv string }{
		{"semicolon", "id;name;organisation;mobile;\r\ne;Erika E;MI;+4915100001005;\r\n"},
		{"comma, two columns, spaces", "id,name,organisation,mobile, ,\ne,Erika E,MI,+4915100001005, ,\n,,,,,\n"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cfg, probs := loadWithPeople(t, nil, map[string]string{"people.csv": tc.csv})
			if len(probs) != 0 || cfg == nil {
				t.Fatalf("problems:\n%s", strings.Join(probs, "\n"))
			}
			if p := cfg.People[len(cfg.People)-1]; p.ID != "e" || p.Mobile != "+4915100001005" {
				t.Errorf("got %+v", p)
			}
		})
	}
}

// TestPeopleFileSpaces: spaces around fields and function ids are not part
// of them, as in YAML.
func TestPeopleFileSpaces(t *testing.T) {
	cfg, probs := loadWithPeople(t, nil, map[string]string{"people.csv": " id , name , organisation , mobile , functions \n e , Erika E , MI , +4915100001005 , lead | it \n"})
	if len(probs) != 0 || cfg == nil {
		t.Fatalf("problems:\n%s", strings.Join(probs, "\n"))
	}
	p := cfg.People[4]
	if p.ID != "e" || p.Name != "Erika E" || p.Mobile != "+4915100001005" || !slices.Equal(p.Functions, []string{"lead", "it"}) {
		t.Errorf("got %+v", p)
	}
}

// TestYAMLAliases: anchors and aliases still reach the decoder.
func TestYAMLAliases(t *testing.T) {
	src := strings.Replace(base, "functions: [lead]", "functions: &lead [lead]", 1)
	src = strings.Replace(src, "functions: [lead]", "functions: *lead", 1)
	cfg, probs, err := LoadBytes("aliases.yaml", []byte(src), testEnv)
	if err != nil || probs.Err() != nil {
		t.Fatalf("err=%v\n%s", err, probs)
	}
	if p, _ := cfg.Person("b"); !slices.Equal(p.Functions, []string{"lead"}) {
		t.Errorf("functions of b = %v, want [lead]", p.Functions)
	}
}

// FuzzPeopleFile: no input makes reading a people file or locating a
// problem in it panic, and every position found lies in the file.
func FuzzPeopleFile(f *testing.F) {
	f.Add([]byte(header + "e,\"Erika\nE\",MI,+4915100001005\n"))
	f.Add([]byte("\ufeffid;name;organisation;email;functions\r\n\r\ne;E;MI;e@x.example;a|b\r\n;;;;\r\n"))
	f.Add([]byte("id,name,organisation,mobile\n\re,E,MI,1\n"))
	f.Add([]byte("id;name;organisation;mobile;;\ne;E;MI;+4915100001005;;x\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		path := filepath.Join(t.TempDir(), "people.csv")
		if err := os.WriteFile(path, data, 0o600); err != nil {
			t.Fatal(err)
		}
		var probs Problems
		pf, people, err := readPeopleFile(path, nil, newDecoder(path, nil, &probs), &probs)
		if err != nil {
			return
		}
		lines := bytes.Count(data, []byte("\n")) + 1
		for i := range people {
			for _, c := range append(slices.Clone(csvColumns), "") {
				line, _, _, ok := pf.locate(fmt.Sprintf("people[%d].%s", i, c))
				if !ok || line < 1 || line > lines {
					t.Fatalf("people[%d].%s located at line %d (ok=%v) in a file of %d lines", i, c, line, ok, lines)
				}
			}
		}
	})
}

// TestPeopleFilePhone (issue 18.3): the phone column is a landline or any
// other number to call, normalised to E.164 like the YAML key; a person
// with a phone only is reachable (by voice), and calls in find them.
func TestPeopleFilePhone(t *testing.T) {
	tests := []struct {
		name, csv    string
		mobile, want string // of person e
	}{
		{"landline beside a mobile", "id;name;organisation;mobile;phone\ne;Erika E;MI;0151 00001005;0511 120-0\n", "+4915100001005", "+495111200"},
		{"phone only", "id,name,organisation,phone\ne,Erika E,MI,+49 511 1200\n", "", "+495111200"},
		{"empty phone", "id,name,organisation,mobile,phone\ne,Erika E,MI,+4915100001005, \n", "+4915100001005", ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			cfg, probs := loadWithPeople(t, nil, map[string]string{"people.csv": tc.csv})
			if len(probs) != 0 || cfg == nil {
				t.Fatalf("problems:\n%s", strings.Join(probs, "\n"))
			}
			p := cfg.People[len(cfg.People)-1]
			if p.ID != "e" || p.Mobile != tc.mobile || p.Phone != tc.want {
				t.Fatalf("got mobile %q phone %q, want %q %q", p.Mobile, p.Phone, tc.mobile, tc.want)
			}
			if tc.want == "" {
				return
			}
			if got, ok := cfg.PersonByNumber(tc.want); !ok || got.ID != "e" || got.VoiceNumber() != tc.want {
				t.Fatalf("caller %s: %+v %v", tc.want, got, ok)
			}
		})
	}
}
