package reply

import (
	"strings"
	"testing"
)

func TestAmount(t *testing.T) {
	tests := []struct {
		in        string
		v         float64
		used      int
		hoursOnly bool
		ok        bool
	}{
		{"20", 20, 1, false, true},
		{"20 min", 20, 1, false, true},
		{"zwanzig", 20, 1, false, true},
		{"fuenfundvierzig", 45, 1, false, true},
		{"forty five minutes", 45, 2, false, true},
		{"10 bis 15 min", 15, 3, false, true},
		{"20-30", 30, 1, false, true},
		{"30 oder 20", 30, 3, false, true},
		{"1 1/2 std", 1.5, 2, true, true},
		{"1/2", 0.5, 1, true, true},
		{"anderthalb", 1.5, 1, true, true},
		{"1.5", 1.5, 1, true, true},
		{"20.00", 20, 1, true, true}, // a decimal is hours only: "20.00" is no 20 minutes
		{"2:30", 2.5, 1, true, true},
		{"eine", 0, 0, false, false}, // articles are wordETAs, never a count alone
		{"bis 15", 0, 0, false, false},
		{"", 0, 0, false, false},
	}
	for _, tt := range tests {
		v, used, hoursOnly, ok := amount(strings.Fields(tt.in))
		if v != tt.v || used != tt.used || hoursOnly != tt.hoursOnly || ok != tt.ok {
			t.Errorf("amount(%q) = %v, %d, %v, %v; want %v, %d, %v, %v", tt.in, v, used, hoursOnly, ok,
				tt.v, tt.used, tt.hoursOnly, tt.ok)
		}
	}
}

// TestNumberWordsBounded checks that every count 1–60 is written in German
// and English and that the table stays bounded.
func TestNumberWordsBounded(t *testing.T) {
	de := map[float64]bool{}
	for w, v := range numberWords {
		if v < 1 || v > 60 {
			t.Errorf("numberWords[%q] = %v, outside 1–60", w, v)
		}
		de[v] = true
	}
	en := []string{"one", "nine", "ten", "nineteen", "twenty", "twenty one", "thirty five", "forty nine", "sixty"}
	for n := 1.0; n <= 60; n++ {
		if !de[n] {
			t.Errorf("no number word for %v", n)
		}
	}
	for _, w := range en {
		if _, used, _, ok := amount(strings.Fields(w)); !ok || used != len(strings.Fields(w)) {
			t.Errorf("amount(%q) not read whole", w)
		}
	}
	if len(numberWords) > 150 {
		t.Errorf("numberWords has %d words, want a bounded table", len(numberWords))
	}
}

// TestRangeUpperBound: a range is read with its later bound, in any order and unit.
func TestRangeUpperBound(t *testing.T) {
	tests := []struct {
		in   string
		want int
	}{
		{"komme in 10 bis 15 min", 15},
		{"in 20-30 min", 30},
		{"in 30-20 min", 30},
		{"20 bis 30 min", 30},
		{"komme in 2-3 Stunden", 180},
		{"ja, 1-2 std", 120},
		{"in zehn bis fünfzehn Minuten", 15},
		{"2 20 oder 30", 30},
	}
	for _, tt := range tests {
		if got := Parse(tt.in); got.Kind != Delayed || got.Minutes != tt.want {
			t.Errorf("Parse(%q) = %v, want delayed %d min", tt.in, got, tt.want)
		}
	}
}
