package reply

import (
	"strings"
	"testing"
)

// TestSpokenDuration checks which durations inside the words after a yes
// are the arrival: with a unit, not after für/seit/vor/alle, not before
// ago/lang/bleiben; two different ones leave the minutes open.
func TestSpokenDuration(t *testing.T) {
	tests := []struct {
		in      string
		ok      bool
		minutes int // -1: delayed without an ETA
	}{
		{"brauche 45 minuten", true, 45},
		{"fahrzeit ca 45 min", true, 45},
		{"stau 1 std 30", true, 90},
		{"leaving now 40 minutes", true, 40},
		{"brauche ne halbe stunde", true, 30},
		{"anfahrt 20-30 min", true, 30},
		{"10 min anziehen und 30 min fahrt", true, -1},
		{"in 20 min da fahrzeit 20 min", true, 20},
		{"fuer 2 stunden", false, 0},
		{"for 2 hours", false, 0},
		{"fuer ca 2 stunden", false, 0},
		{"bin vor 10 min losgefahren", false, 0},
		{"left 10 minutes ago", false, 0},
		{"seit 10 min unterwegs", false, 0},
		{"alle 30 min", false, 0},
		{"2 stunden lang", false, 0},
		{"kann 2 stunden bleiben", false, 0},
		{"fuer 2 stunden anfahrt 30 min", true, 30},
		{"bringe 2 laptops", false, 0},
		{"30", false, 0},
		{"2 tage", false, 0},
	}
	for _, tt := range tests {
		m, ok := spokenDuration(strings.Fields(tt.in))
		got := m.minutes
		if m.noETA {
			got = -1
		}
		if ok != tt.ok || ok && (m.kind != Delayed || got != tt.minutes || !m.inside) {
			t.Errorf("spokenDuration(%q) = %+v, %v; want %v, minutes %d", tt.in, m, ok, tt.ok, tt.minutes)
		}
	}
	if m, ok := spokenDuration(strings.Fields("fahrzeit 25 stunden")); !ok || m.kind != Unknown || m.why != ReasonETARange {
		t.Errorf("spokenDuration(out of range) = %+v, %v; want Unknown with the range reason", m, ok)
	}
}

// TestBounds checks the words before minutes: how many and whether they
// make the minutes a lower bound (later than said, no ETA).
func TestBounds(t *testing.T) {
	tests := []struct {
		in    string
		n     int
		lower bool
	}{
		{"ca 20 min", 1, false},
		{"in knapp 30 min", 2, false},
		{"knapp eine stunde", 1, false},
		{"nicht mehr als 30 min", 3, false},
		{"no more than 20 minutes", 3, false},
		{"weniger als 30 min", 2, false},
		{"bis zu 30 min", 2, false},
		{"fruehestens in 2 stunden", 2, false},
		{"at least 30 min", 2, false},
		{"mehr als 1 stunde", 2, true},
		{"etwas mehr als 30 min", 3, true},
		{"in ueber einer stunde", 2, true},
		{"gut eine stunde", 1, true},
		{"more than an hour", 2, true},
		{"over 30 minutes", 1, true},
		{"ueber", 0, false},
		{"mehr als", 0, false},
		{"30 min", 0, false},
	}
	for _, tt := range tests {
		if n, lower := bounds(strings.Fields(tt.in)); n != tt.n || lower != tt.lower {
			t.Errorf("bounds(%q) = %d, %v; want %d, %v", tt.in, n, lower, tt.n, tt.lower)
		}
	}
	if _, _, _, lower, ok := etaBound(strings.Fields("ne gute stunde"), false); !ok || !lower {
		t.Errorf(`etaBound("ne gute stunde") = %v, %v; want a lower bound`, lower, ok)
	}
}
