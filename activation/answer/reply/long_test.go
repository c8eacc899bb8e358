package reply

import (
	"os"
	"strings"
	"testing"
	"time"
)

// TestParseLongLine parses 100 KB first lines of repeated words: Parse must
// stay linear (skipping fillers from every word of "ich ich …" was
// quadratic); the bound is far above the linear time (docs/BENCHMARKS.md).
func TestParseLongLine(t *testing.T) {
	for _, unit := range []string{"ich ", "ja aber ", "ja aber erst um 20 Uhr ", "1 2 ", "ja 4 Personen ",
		"komme in 2 Tagen ", "ja heute Abend um 8 ", "ok sorry ", "kommme ", "ja, Fahrzeit 45 min ",
		"ja mehr als ", "2 über 30 min, ", "ja für 2 h "} {
		s := strings.Repeat(unit, 100_000/len(unit))
		start := time.Now()
		r := Parse(s)
		d := time.Since(start)
		if os.Getenv("LONG_TIMES") != "" {
			t.Logf("%q: %v", unit, d)
		}
		if d > 5*time.Second {
			t.Errorf("Parse(%q × %d) took %v", unit, 100_000/len(unit), d)
		}
		if !r.Valid() {
			t.Errorf("Parse(%q × %d) = %+v is not Valid", unit, 100_000/len(unit), r)
		}
	}
}
