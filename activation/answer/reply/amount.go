package reply

import (
	"math"
	"strconv"
	"strings"
)

// numberWords are the counts written in words that an ETA may use, German
// (umlauts folded) and English, bounded to 1–60 and the common hour counts.
// Articles ("eine Stunde", "an hour") are in wordETAs, not here: "komme in
// einer" is no ETA.
var numberWords = buildNumberWords()

func buildNumberWords() map[string]float64 {
	de := []string{"", "eins", "zwei", "drei", "vier", "fuenf", "sechs", "sieben", "acht", "neun", "zehn",
		"elf", "zwoelf", "dreizehn", "vierzehn", "fuenfzehn", "sechzehn", "siebzehn", "achtzehn", "neunzehn"}
	en := []string{"", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten",
		"eleven", "twelve", "thirteen", "fourteen", "fifteen", "sixteen", "seventeen", "eighteen", "nineteen"}
	m := map[string]float64{"zwanzig": 20, "dreissig": 30, "vierzig": 40, "fuenfzig": 50, "sechzig": 60,
		"twenty": 20, "thirty": 30, "forty": 40, "fourty": 40, "fifty": 50, "sixty": 60, "zwo": 2,
		"anderthalb": 1.5, "eineinhalb": 1.5, "einhalb": 1.5, "zweieinhalb": 2.5, "dreieinhalb": 3.5}
	for i := 1; i < len(de); i++ {
		m[de[i]], m[en[i]] = float64(i), float64(i)
	}
	// "einundzwanzig" … "neunundfuenfzig"; English "twenty five" is read as two words by amount.
	for _, tens := range []string{"zwanzig", "dreissig", "vierzig", "fuenfzig"} {
		for i := 1; i <= 9; i++ {
			unit := de[i]
			if i == 1 {
				unit = "ein"
			}
			m[unit+"und"+tens] = float64(i) + m[tens]
		}
	}
	return m
}

// rangeWords join the bounds of a range ("10 bis 15 min", "10 to 15").
var rangeWords = set("bis", "to", "oder", "or")

// amount reads a count at the start of rest: digits, a decimal or H:MM joined
// by joinNumbers ("1.5", "2:30"), a fraction ("1/2", "1 1/2"), a number word
// ("zwanzig", "twenty five", "anderthalb") or a range of them ("20-30",
// "10 bis 15"), whose upper bound counts: an arrival is never read earlier
// than said. hoursOnly is set for a count that is minutes only before an
// hour unit (a fraction, or H:MM, whose "20:00" is no 20 minutes).
func amount(rest []string) (v float64, used int, hoursOnly, ok bool) {
	v, used, hoursOnly = single(rest)
	if used == 0 {
		return 0, 0, false, false
	}
	if used+1 < len(rest) && rangeWords[rest[used]] {
		if u, n, h := single(rest[used+1:]); n > 0 {
			v, hoursOnly, used = max(v, u), hoursOnly || h, used+1+n
		}
	}
	return v, used, hoursOnly || v != math.Trunc(v), true
}

// single reads one count of amount, without a range: used is 0 if none.
func single(rest []string) (v float64, used int, hoursOnly bool) {
	if len(rest) == 0 {
		return 0, 0, false
	}
	v, hoursOnly, ok := count(rest[0])
	if !ok {
		return 0, 0, false
	}
	if len(rest) > 1 && v == math.Trunc(v) {
		if f, ok := fraction(rest[1]); ok { // "1 1/2"
			return v + f, 2, true
		}
		if v >= 20 && v <= 50 && int(v)%10 == 0 && englishUnit(rest[1]) { // "twenty five"
			return v + numberWords[rest[1]], 2, hoursOnly
		}
	}
	return v, 1, hoursOnly
}

// count reads one word of amount.
func count(w string) (v float64, hoursOnly, ok bool) {
	switch {
	case allDigits(w) || decimalWord(w):
		f, err := strconv.ParseFloat(w, 64)
		return f, !allDigits(w), err == nil
	case strings.Contains(w, ":"):
		h, m, ok := colonTime(w)
		return float64(h) + float64(m)/60, true, ok
	case strings.Contains(w, "-"):
		lo, hi, _ := strings.Cut(w, "-") // a range joined by joinNumbers ("20-30")
		a, _, ok1 := count(lo)
		b, _, ok2 := count(hi)
		return max(a, b), false, ok1 && ok2
	}
	if f, ok := fraction(w); ok {
		return f, true, true
	}
	f, ok := numberWords[w]
	return f, false, ok
}

// fraction reads a fraction joined by joinNumbers ("1/2", "3/4").
func fraction(w string) (float64, bool) {
	switch w {
	case "1/2":
		return 0.5, true
	case "1/4":
		return 0.25, true
	case "3/4":
		return 0.75, true
	}
	return 0, false
}

// englishUnit reports whether w is "one" … "nine".
func englishUnit(w string) bool {
	switch w {
	case "one", "two", "three", "four", "five", "six", "seven", "eight", "nine":
		return true
	}
	return false
}

// isCount reports whether w is a count amount reads ("20", "zwanzig", "20-30").
func isCount(w string) bool {
	_, _, ok := count(w)
	return ok
}
