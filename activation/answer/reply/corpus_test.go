package reply

import (
	"bufio"
	"os"
	"strconv"
	"strings"
	"testing"
)

// TestCorpus reads the replies in testdata/corpus.tsv as staff type them
// (German and English, typos, colloquial forms, punctuation, emoji) and
// checks what each means and which remark is kept.
func TestCorpus(t *testing.T) {
	f, err := os.Open("testdata/corpus.tsv")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	rows := 0
	sc := bufio.NewScanner(f)
	for line := 1; sc.Scan(); line++ {
		if sc.Text() == "" || strings.HasPrefix(sc.Text(), "#") {
			continue
		}
		want, err := corpusRow(sc.Text())
		if err != nil {
			t.Fatalf("corpus.tsv:%d: %v", line, err)
		}
		rows++
		t.Run(strconv.Itoa(line), func(t *testing.T) {
			got := Parse(want.Raw)
			if got != want {
				t.Errorf("corpus.tsv:%d: Parse(%q) = %+v, want %+v", line, want.Raw, got, want)
			}
			if !got.Valid() {
				t.Errorf("corpus.tsv:%d: Parse(%q) = %+v is not Valid", line, want.Raw, got)
			}
		})
	}
	if rows < 100 {
		t.Errorf("corpus has %d replies, want at least 100", rows)
	}
}

func corpusRow(s string) (Reply, error) {
	cols := strings.Split(s, "\t")
	for len(cols) < 6 {
		cols = append(cols, "")
	}
	raw, err := strconv.Unquote(cols[0])
	if err != nil {
		return Reply{}, err
	}
	remark, err := strconv.Unquote(cols[4])
	if err != nil {
		return Reply{}, err
	}
	r := Reply{Raw: raw, Kind: Kind(cols[1]), Code: cols[3], Remark: remark, Reason: cols[5]}
	if cols[2] == "?" {
		r.NoETA = true
	} else if r.Minutes, err = strconv.Atoi(cols[2]); err != nil {
		return Reply{}, err
	}
	return r, nil
}

// corpusReplies returns the replies of testdata/corpus.tsv, the fuzz test's seeds.
func corpusReplies(tb testing.TB) []string {
	b, err := os.ReadFile("testdata/corpus.tsv")
	if err != nil {
		tb.Fatal(err)
	}
	var out []string
	for _, line := range strings.Split(string(b), "\n") {
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		r, err := corpusRow(line)
		if err != nil {
			tb.Fatal(err)
		}
		out = append(out, r.Raw)
	}
	return out
}
