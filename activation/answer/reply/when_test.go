package reply

import (
	"strings"
	"testing"
)

// TestHourAt checks which bare hours after a lead word are clock times.
func TestHourAt(t *testing.T) {
	tests := []struct {
		in   string
		want bool
	}{
		{"um 8", true},
		{"erst um 20", true},
		{"after 8", true},
		{"um 8.30", true},
		{"um 8 im buero", true},
		{"um 0", true},
		{"um 24", true},
		{"um 25", false},
		{"um 8.75", false},
		{"nach 2 stunden", false},
		{"nach 3 einsaetzen", false},
		{"8", false},
		{"bringe 2 laptops", false},
	}
	for _, tt := range tests {
		if got := hourAt(strings.Fields(tt.in), nil); got != tt.want {
			t.Errorf("hourAt(%q) = %v, want %v", tt.in, got, tt.want)
		}
	}
}

// TestDayTime checks which words name a time of day today.
func TestDayTime(t *testing.T) {
	tests := []struct {
		in   string
		want bool
	}{
		{"heute abend", true},
		{"aber erst heute nachmittag", true},
		{"am abend", true},
		{"gegen abend", true},
		{"abends", true},
		{"tonight", true},
		{"but only this evening", true},
		{"in the afternoon", true},
		{"at night", true},
		{"bis heute abend", false},
		{"until tonight", false},
		{"guten abend", false},
		{"had the night shift", false},
		{"abend", false},
	}
	for _, tt := range tests {
		if got := dayTime(strings.Fields(tt.in)); got != tt.want {
			t.Errorf("dayTime(%q) = %v, want %v", tt.in, got, tt.want)
		}
	}
}
