package reply

import (
	"strconv"
	"strings"
)

// longUnits are time units other than minutes and hours: a number before
// one of them ("in 2 Tagen", "3 weeks", "30 sek") is no ETA in minutes.
var longUnits = set("tag", "tage", "tagen", "tages", "woche", "wochen", "wochenende", "monat", "monate",
	"monaten", "jahr", "jahre", "jahren", "nacht", "naechte", "naechten", "day", "days", "week", "weeks", "weekend",
	"month", "months", "year", "years", "night", "nights", "sek", "sekunde", "sekunden", "sec", "secs",
	"second", "seconds")

// clockWords follow a clock time ("20 Uhr", "8 pm", "8 o'clock", "10am").
var clockWords = set("uhr", "am", "pm", "oclock", "o", gluedAM)

// gluedAM is the word of "am" written against an hour ("10am", see appendRuns).
const gluedAM = "a.m."

// counts stand for or before a number of long units ("ein paar Tage",
// "a couple of weeks", "nächste Woche").
var counts = set("ein", "eine", "einer", "einem", "einen", "nem", "ner", "ne", "zwei", "drei", "paar",
	"a", "an", "one", "two", "three", "couple", "few", "of", "naechste", "naechsten", "naechstes",
	"kommende", "kommenden", "kommendes", "next")

// timeWords say when without minutes ("um", "heute Abend"); after a "but"
// they make a yes conditional on a time.
var timeWords = set("um", "at", "ab", "from", "nach", "after", "gegen", "around", "heute", "tonight",
	"abend", "abends", "nachmittag", "nachmittags", "mittag", "vormittag", "morgens", "frueh", "nachts",
	"bis", "until", "till", "vor", "before")

func set(words ...string) map[string]bool {
	m := make(map[string]bool, len(words))
	for _, w := range words {
		m[w] = true
	}
	return m
}

// notMinutes reports whether rest starts with a count (a number, a number
// word, a range or words like "ein paar") followed by a long unit or a clock
// word: a time that is no delay in minutes ("2 Tagen", "nächste Woche", "20 Uhr").
func notMinutes(rest []string) bool {
	if colonClock(rest) {
		return true // "komme 20:00", "in 2:30"
	}
	i := 0
	for i < len(rest) && i < 5 && (isCount(rest[i]) || counts[rest[i]] || i > 0 && rangeWords[rest[i]]) {
		i++
	}
	return i > 0 && i < len(rest) && (longUnits[rest[i]] || clockWords[rest[i]])
}

// decimalWord reports whether w is a decimal joined by joinNumbers ("1.5").
func decimalWord(w string) bool {
	for i := 1; i < len(w)-1; i++ {
		if w[i] == '.' {
			return allDigits(w[:i]) && allDigits(w[i+1:])
		}
	}
	return false
}

// conditional reports whether the words after a yes restrict it in time:
// "erst" anywhere, or a "but"/"only" followed by a number or time word
// ("ja, aber um 20 Uhr"). "1 aber ohne Auto" is no time condition.
func conditional(rest []string) bool {
	seenBut := false
	for _, w := range rest {
		switch {
		case w == "erst":
			return true
		case but[w]:
			seenBut = true
		case seenBut && (allDigits(w) || decimalWord(w) || timeWords[w] || longUnits[w]):
			return true
		case seenBut && colonClock([]string{w}): // "ja, aber 20:00"
			return true
		}
	}
	return false
}

// colonTime reads hours and minutes joined by joinNumbers ("20:00", "2:30").
func colonTime(w string) (h, m int, ok bool) {
	hs, ms, found := strings.Cut(w, ":")
	if !found || len(hs) > 2 || len(ms) != 2 || !allDigits(hs) || !allDigits(ms) {
		return 0, 0, false
	}
	h, _ = strconv.Atoi(hs)
	m, _ = strconv.Atoi(ms)
	return h, m, h <= 24 && m < 60
}

// colonClock reports whether rest starts with a clock time written H:MM or
// HH:MM ("20:00", "8:30 pm"); before an hour unit ("2:30 h") it is a duration.
func colonClock(rest []string) bool {
	if len(rest) == 0 {
		return false
	}
	_, _, ok := colonTime(rest[0])
	return ok && (len(rest) == 1 || !hourUnits[rest[1]])
}

// dayParts are times of day; after "heute", "am", "gegen", "this", "at" or
// "in the" they are later today ("heute Abend", "this evening"). abends,
// tonight stand alone. "guten Abend" is a greeting, "morgen Abend" another day.
var (
	dayParts     = set("abend", "nachmittag", "mittag", "vormittag", "nacht", "evening", "afternoon", "noon", "night")
	dayPartLeads = set("heute", "am", "gegen", "this", "at")
	dayPartAlone = set("abends", "nachmittags", "tonight", "tonite")
	untilWords   = set("bis", "until", "till", "nicht", "not")
)

// dayTime reports whether rest names a time of day today ("heute Abend",
// "heute Nachmittag", "this evening", "tonight"), not as a bound ("bis heute
// Abend" is available until then).
func dayTime(rest []string) bool {
	for i, w := range rest {
		start := i
		switch {
		case dayPartAlone[w]:
		case dayParts[w] && i > 0 && dayPartLeads[rest[i-1]]:
			start = i - 1
		case dayParts[w] && i > 1 && rest[i-1] == "the" && rest[i-2] == "in":
			start = i - 2
		default:
			continue
		}
		if start == 0 || !untilWords[rest[start-1]] {
			return true
		}
	}
	return false
}

// hourLeads stand before a bare hour that is a clock time ("um 8", "at 8",
// "after 8"), never minutes.
var hourLeads = set("um", "at", "gegen", "around", "ab", "nach", "after", "from", "by")

// hourEnds may follow such an hour: "bin", "da", a place ("um 8 im Büro").
var hourEnds = set("bin", "da", "dort", "there", "here", "hier", "im", "in", "am", "an", "beim", "zum", "zur", "ins")

// hourAt reports whether rest holds a lead and a bare hour 0–24 or H.MM
// ("ja, erst um 8", "yes, only after 8", "um 8.30 im Büro") that ends the
// answer or a clause (cuts, see cutsOf) or is followed by one of hourEnds;
// "nach 2 Stunden" is a duration and "nach 3 Einsätzen" no time.
func hourAt(rest []string, cuts []bool) bool {
	for i := 1; i < len(rest); i++ {
		if !hourLeads[rest[i-1]] || !clockHour(rest[i]) {
			continue
		}
		if i+1 == len(rest) || cutAfter(cuts, i) || hourEnds[rest[i+1]] {
			return true
		}
	}
	return false
}

// clockHour reports whether w is an hour 0–24 ("8", "20") or H.MM ("8.30").
func clockHour(w string) bool {
	h, m, found := strings.Cut(w, ".")
	if len(h) > 2 || !allDigits(h) || found && (len(m) != 2 || !allDigits(m) || m >= "60") {
		return false
	}
	return atoi(h) <= 24
}
