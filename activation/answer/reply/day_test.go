package reply

import (
	"strings"
	"testing"
)

// TestAnotherDay checks which words after a yes put the arrival on another day.
func TestAnotherDay(t *testing.T) {
	tests := []struct {
		in   string
		want bool
	}{
		{"aber erst in 2 tagen", true},
		{"in 1.5 tagen", true},
		{"in ein paar tagen", true},
		{"in 2 bis 3 wochen", true},
		{"in a couple of days", true},
		{"nach 2 wochen", true},
		{"naechste woche", true},
		{"next month", true},
		{"in 0.5 tagen", false},
		{"in 0 tagen", false},
		{"in 30 sek", false},
		{"in 25 stunden", false},
		{"fuer 2 tage", false},
		{"bis naechste woche", false},
		{"nicht in 2 tagen", false},
		{"naechste", false},
		{"in", false},
	}
	for _, tt := range tests {
		if got := anotherDay(strings.Fields(tt.in)); got != tt.want {
			t.Errorf("anotherDay(%q) = %v, want %v", tt.in, got, tt.want)
		}
	}
}

// TestDayAnswer checks answers without a yes that name another day.
func TestDayAnswer(t *testing.T) {
	tests := []struct {
		in   string
		want bool
	}{
		{"uebermorgen", true},
		{"kann erst uebermorgen", true},
		{"next week", true},
		{"ich erst naechste woche", true},
		{"erst morgen", true},
		{"morgen", false},
		{"guten morgen", false},
		{"bis morgen", false},
		{"nicht morgen", false},
		{"vielleicht naechste woche", false},
		{"kann", false},
	}
	for _, tt := range tests {
		if got := dayAnswer(strings.Fields(tt.in)); got != tt.want {
			t.Errorf("dayAnswer(%q) = %v, want %v", tt.in, got, tt.want)
		}
	}
}
