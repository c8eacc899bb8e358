package reply

import (
	"strings"
	"testing"
	"time"
)

// TestParseLongLine parses 100 KB first lines of repeated words: Parse must
// stay linear (skipping fillers from every word of "ich ich …" was
// quadratic); the bound is far above the linear time (docs/BENCHMARKS.md).
func TestParseLongLine(t *testing.T) {
	for _, unit := range []string{"ich ", "ja aber ", "ja aber erst um 20 Uhr ", "1 2 ", "ja 4 Personen ",
		"komme in 2 Tagen ", "ja heute Abend um 8 ", "ok sorry ", "kommme "} {
		s := strings.Repeat(unit, 100_000/len(unit))
		start := time.Now()
		r := Parse(s)
		if d := time.Since(start); d > 5*time.Second {
			t.Errorf("Parse(%q × %d) took %v", unit, 100_000/len(unit), d)
		}
		if !r.Valid() {
			t.Errorf("Parse(%q × %d) = %+v is not Valid", unit, 100_000/len(unit), r)
		}
	}
}
