package reply

import (
	"strings"
	"testing"
)

// TestDelayEnd checks after which words a number without a unit, after a
// yes, is still the delay.
func TestDelayEnd(t *testing.T) {
	tests := []struct {
		in   string // the number is the first word
		cut  bool   // punctuation follows the number
		want bool
	}{
		{"30", false, true},
		{"30 da", false, true},
		{"30 bin da", false, true},
		{"30 dort", false, true},
		{"30 bin unterwegs", false, true},
		{"30 danke", false, true},
		{"30 stau", true, true},
		{"30 stau", false, true},
		{"20 traffic", false, true},
		{"4 personen", false, false},
		{"2 laptops", false, false},
		{"4 people", false, false},
	}
	for _, tt := range tests {
		w := strings.Fields(tt.in)
		cuts := make([]bool, len(w))
		cuts[0], cuts[len(w)-1] = tt.cut, true
		if got := delayEnd(w, cuts, 1); got != tt.want {
			t.Errorf("delayEnd(%q, cut %v) = %v, want %v", tt.in, tt.cut, got, tt.want)
		}
	}
}

// TestCountNoun checks which numbers after a yes count the word after them.
func TestCountNoun(t *testing.T) {
	tests := []struct {
		in   string
		want bool
	}{
		{"2 laptops", true},
		{"3 kollegen kommen mit", true},
		{"3 colleagues", true},
		{"2", false},
		{"2 bin im zug", false},
		{"3 krank", false},
		{"3 nein", false},
		{"2 tage", false},
		{"2 min", false},
		{"2 30", false},
		{"laptops 2", false},
	}
	for _, tt := range tests {
		w := strings.Fields(tt.in)
		if got := countNoun(w, nil); got != tt.want {
			t.Errorf("countNoun(%q) = %v, want %v", tt.in, got, tt.want)
		}
	}
	if countNoun([]string{"2", "laptops"}, []bool{true, true}) {
		t.Error(`countNoun("2, laptops") = true, want false: punctuation ends the number`)
	}
}
