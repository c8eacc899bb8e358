package reply

// there ends an ETA ("bin in 20 min da") without being a remark.
var there = map[string]bool{"da": true, "dort": true, "there": true}

// wordETAs are durations written in words, longest first.
var wordETAs = []struct {
	words   []string
	minutes int
}{
	{[]string{"einer", "halben", "stunde"}, 30}, {[]string{"eine", "halbe", "stunde"}, 30},
	{[]string{"ne", "halbe", "stunde"}, 30}, {[]string{"ner", "halben", "stunde"}, 30}, {[]string{"ner", "stunde"}, 60},
	{[]string{"ne", "stunde"}, 60},
	{[]string{"half", "an", "hour"}, 30}, {[]string{"halbe", "stunde"}, 30}, {[]string{"halben", "stunde"}, 30},
	{[]string{"half", "hour"}, 30}, {[]string{"einer", "stunde"}, 60}, {[]string{"eine", "stunde"}, 60},
	{[]string{"an", "hour"}, 60}, {[]string{"one", "hour"}, 60}, {[]string{"anderthalb", "stunden"}, 90},
	{[]string{"eineinhalb", "stunden"}, 90}, {[]string{"ner", "viertelstunde"}, 15},
	{[]string{"einer", "viertelstunde"}, 15}, {[]string{"eine", "viertelstunde"}, 15},
	{[]string{"ne", "viertelstunde"}, 15}, {[]string{"viertelstunde"}, 15}, {[]string{"viertel", "stunde"}, 15},
	{[]string{"dreiviertel", "stunde"}, 45},
}

// wordETA reads a duration in words at the start of rest ("halbe Stunde",
// "in einer Stunde", "an hour").
func wordETA(rest []string) (minutes, used int, ok bool) {
	for _, e := range wordETAs {
		if hasPrefix(rest, e.words) {
			return e.minutes, len(e.words), true
		}
	}
	return 0, 0, false
}

// but are words that make a yes conditional ("ja, aber erst in 30 min").
var but = map[string]bool{"aber": true, "but": true, "erst": true, "only": true, "allerdings": true,
	"jedoch": true, "though": true, "however": true}

// delayWords begin a delay answer that makes a yes a delay ("ja, später 30",
// "ja, komme in 30 min").
var delayWords = map[string]bool{"spaeter": true, "later": true, "komme": true, "komm": true, "coming": true}

// later reads the words after a yes that make it a delay: a delay answer
// ("ja, komme später", "ja, in 30 min", "yes, later 30"), or a time after a
// "but" ("ja... aber erst in 30 min", "yes but in 1h"). An arrival time alone
// ("komme, bin in 20 min da") is a remark: the leading yes decides. A yes
// restricted to a time that is no readable delay ("ja, aber erst um 20 Uhr",
// "ja, erst in 2 Tagen") is an Unknown match: it is never taken as a yes.
func later(rest []string) (match, bool) {
	cond := conditional(rest)
	for at := 0; at < len(rest); at++ {
		if at > 0 && !but[rest[at-1]] {
			continue // a delay is read right after the yes or after a "but"
		}
		skip, after := at, at > 0
		for skip < len(rest) && (leadFillers[rest[skip]] || but[rest[skip]]) {
			after = after || but[rest[skip]]
			skip++
		}
		if m, ok := laterAt(rest[skip:], cond || after, skip == 0); ok {
			m.used += skip
			return m, true
		}
	}
	if cond {
		return match{kind: Unknown, why: ReasonNotUnderstood}, true
	}
	if clockTime(rest) {
		// "komme, bin um 20 Uhr da": coming, but at a clock time, not now;
		// the confirmation asks for the minutes.
		return match{kind: Delayed, noETA: true}, true
	}
	return match{}, false
}

// clockTime reports whether a clock time stands in rest: a number followed
// by a clock word ("20 Uhr", "8.30 Uhr", "8 pm") or H:MM ("20:00", "2:30").
func clockTime(rest []string) bool {
	for i := range rest {
		if clockFirst(rest[i:]) {
			return true
		}
	}
	return false
}

// clockFirst reports whether rest starts with a clock time ("20 Uhr", "20:00").
func clockFirst(rest []string) bool {
	return colonClock(rest) ||
		len(rest) > 1 && (allDigits(rest[0]) || decimalWord(rest[0])) && clockWords[rest[1]] && rest[1] != "am"
}

// laterAt reads a delay at the start of w, after a yes: always when it is
// out of range or unreadable, else when the yes is conditional or w starts
// like a delay answer ("komme in 30", "später", right after the yes "in 30 min").
func laterAt(w []string, cond, first bool) (match, bool) {
	if len(w) == 0 {
		return match{}, false
	}
	if m, ok := delayed(w); ok && (m.kind == Unknown || cond || delayWords[w[0]] || first && w[0] == "in") {
		return m, true
	}
	for _, ph := range phrases {
		if ph.kind == Delayed && !allDigits(ph.words[0]) && hasPrefix(w, ph.words) {
			return match{kind: Delayed, noETA: true, used: len(ph.words)}, true
		}
	}
	return match{}, false
}
