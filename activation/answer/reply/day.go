package reply

// dayWords put an answer on another day; before them "guten", "heute" or
// "bis" make "morgen" a morning or a bound ("bis morgen im Urlaub").
var (
	dayWords     = set("morgen", "tomorrow", "uebermorgen")
	notDayBefore = set("guten", "heute", "bis", "until", "till", "good", "nicht", "not", "this")
)

// dayLater reports whether the words after a yes put the arrival on another
// day ("komme morgen", "ja, aber erst morgen früh"). Such a yes is
// unavailable for this alert, with the words as the remark: a day is no
// delay in minutes (a confirmation asking for them would be answered
// "morgen" again), and an alert is for now; the remark tells the staff when.
func dayLater(rest []string) bool {
	for i, w := range rest {
		if dayWords[w] && (i == 0 || !notDayBefore[rest[i-1]]) {
			return true
		}
	}
	return false
}

// dayUnits are the time units that put an arrival on another day ("in 2
// Tagen", "nächste Woche"); seconds, minutes and hours do not.
var dayUnits = set("tag", "tage", "tagen", "tages", "woche", "wochen", "wochenende", "monat", "monate",
	"monaten", "jahr", "jahre", "jahren", "nacht", "naechte", "naechten", "day", "days", "week", "weeks",
	"weekend", "month", "months", "year", "years", "night", "nights")

// nextWords name the next day unit ("nächste Woche", "next week").
var nextWords = set("naechste", "naechsten", "naechstes", "kommende", "kommenden", "kommendes", "next")

// dayCount reports how many words of rest are a count of day units ("2
// Tagen", "ein paar Tagen", "1,5 Tagen", "2 bis 3 Tagen", "nächste Woche"),
// 0 if none; a count below 1 ("0,5 Tage") may be today and is none.
func dayCount(rest []string) int {
	i := 0
	for i < len(rest) && i < 5 && (isCount(rest[i]) || counts[rest[i]] || i > 0 && rangeWords[rest[i]]) {
		if v, _, ok := count(rest[i]); ok && v < 1 {
			return 0
		}
		i++
	}
	if i == 0 || i == len(rest) || !dayUnits[rest[i]] {
		return 0
	}
	return i + 1
}

// anotherDay reports whether the words after a yes put the arrival on
// another day by a count ("ja, aber erst in 2 Tagen", "yes, in 2 days",
// "komme nächste Woche", "nach 2 Wochen"); "bis nächste Woche" is a bound.
// Like dayLater it makes the yes unavailable for this alert.
func anotherDay(rest []string) bool {
	for i := range rest {
		if i > 0 && notDayBefore[rest[i-1]] {
			continue
		}
		if dayAt(rest[i:]) {
			return true
		}
	}
	return false
}

// dayAt reports whether w starts with another day by a count: "in"/"nach"/
// "after" and a count of day units, or "nächste Woche".
func dayAt(w []string) bool {
	switch {
	case len(w) > 1 && (w[0] == "in" || w[0] == "nach" || w[0] == "after"):
		return dayCount(w[1:]) > 0
	case len(w) > 1 && nextWords[w[0]]:
		return dayUnits[w[1]]
	}
	return false
}

// dayOpeners may stand before another day in an answer without a yes
// ("kann erst übermorgen", "erst nächste Woche").
var dayOpeners = set("kann", "erst", "only", "fruehestens", "earliest")

// dayAnswer reports whether an answer without a yes names another day
// ("übermorgen", "next week", "erst nächste Woche", "nach 2 Tagen"); a bare
// "morgen" is a greeting, "bis morgen" a farewell: neither is one.
func dayAnswer(ws []string) bool {
	i := 0
	for i < len(ws)-1 && (leadFillers[ws[i]] || dayOpeners[ws[i]]) {
		i++
	}
	if ws[i] == "morgen" {
		return i > 0 && ws[i-1] == "erst"
	}
	return dayWords[ws[i]] || dayAt(ws[i:])
}
