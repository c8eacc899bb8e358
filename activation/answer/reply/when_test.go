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

// TestAtClock checks which answers start with a word that says when and a
// clock time or a bare hour (delayed without an ETA), and how many words
// they use.
func TestAtClock(t *testing.T) {
	tests := []struct {
		in   string
		used int // 0: no clock time
	}{
		{"ab 14 uhr", 3},
		{"eta 14:30", 2},
		{"by 10", 2},
		{"um 8", 2},
		{"um 8 da", 2},
		{"nicht vor 10", 3},
		{"can be there by 10 " + gluedAM, 6},
		{"be there at 8", 4},
		{"ca 30", 0},
		{"eta 30", 0},
		{"by 10 min", 0},
		{"um 30 leute", 0},
		{"um 25", 0},
		{"by", 0},
	}
	for _, tt := range tests {
		w := strings.Fields(tt.in)
		cuts := make([]bool, len(w))
		cuts[len(w)-1] = true
		m, ok := atClock(w, cuts)
		if ok != (tt.used > 0) || ok && (m.kind != Delayed || !m.noETA || m.used != tt.used) {
			t.Errorf("atClock(%q) = %+v, %v; want used %d", tt.in, m, ok, tt.used)
		}
	}
}

// TestGluedAM checks that "10am" written together reads as a clock time
// and "10 am Bahnhof" as German "at the".
func TestGluedAM(t *testing.T) {
	for in, want := range map[string]string{"10am": gluedAM, "10 am": "am", "am": "am", "1AM": gluedAM} {
		toks := tokenize(in)
		if got := toks[len(toks)-1].w; got != want {
			t.Errorf("tokenize(%q) ends with %q, want %q", in, got, want)
		}
	}
}
