package reply

import "strings"

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

// ifWords make a yes conditional on something the answer cannot read ("ja,
// wenn ich jemanden für die Kinder finde", "yes if needed"): asked again.
var ifWords = set("wenn", "falls", "sofern", "if", "unless")

// delayWords begin a delay answer that makes a yes a delay ("ja, später 30",
// "ja, komme in 30 min").
var delayWords = map[string]bool{"spaeter": true, "later": true, "komme": true, "komm": true, "coming": true}

// later reads the words after a yes that make it a delay: minutes right
// after it, a delay answer ("1 30", "ja ca. 20 min", "ja, komme später",
// "ja, in 30 min", "unterwegs, 10 min"), a time after a "but" ("ja... aber
// erst in 30 min", "yes but in 1h"), an arrival time inside the remark
// ("Komme. ETA 25 min", see arrival), a clock time or time of day, also
// after a "but" ("ja, aber erst um 20 Uhr", "yes, tonight"): delayed without
// an ETA, or a duration with a unit anywhere ("Ja. Brauche 45 Minuten.", see
// spokenDuration). A yes restricted otherwise ("ja, muss erst Kinder wegbringen",
// "ja, wenn …") is an Unknown match: it is never taken as a yes.
func later(rest []string, cuts []bool) (match, bool) {
	for _, w := range rest {
		if ifWords[w] {
			return match{kind: Unknown, why: ReasonNotUnderstood}, true // "ja, wenn …"
		}
	}
	cond := conditional(rest)
	for at := 0; at < len(rest); at++ {
		if at > 0 && !but[rest[at-1]] {
			continue // a delay is read right after the yes or after a "but"
		}
		skip, after := at, at > 0
		for skip < len(rest) && skip-at < maxLeads && (leadFillers[rest[skip]] || but[rest[skip]]) {
			after = after || but[rest[skip]]
			skip++
		}
		if m, ok := laterAt(rest[skip:], cuts[skip:], cond || after, at == 0); ok {
			m.used += skip
			return alsoSaid(m, rest[m.used:]), true
		}
	}
	if m, ok := arrival(rest); ok {
		return alsoSaid(m, rest), true
	}
	// "komme, bin um 20 Uhr da", "ja, aber erst heute Abend": coming, but at a
	// clock time or later today (the confirmation asks for the minutes);
	// "Ja. Brauche 45 Minuten.": a duration with a unit anywhere.
	if m, ok := remarkDelay(rest, cuts); ok {
		return m, true
	}
	if cond {
		return match{kind: Unknown, why: ReasonNotUnderstood}, true
	}
	return match{}, false
}

// arrival finds an arrival time inside the words after a yes: "in <n>
// <unit>", "in <n> da" or "ETA <n> [unit]" ("ja, bin gleich los, in 5 min
// da", "Komme. ETA 25 min"). Other numbers in a remark ("1, bringe 2 Laptops
// mit") are no delay.
func arrival(rest []string) (match, bool) {
	for i, w := range rest {
		if w != "in" && w != "eta" {
			continue
		}
		q := rest[i+1:]
		b, lower := bounds(q)
		q = q[b:]
		n, used, reason, low, ok := etaBound(q, w == "eta")
		if !ok && w == "in" {
			n, used, reason, low, ok = etaBound(q, true)
			ok = ok && used < len(q) && there[q[used]]
		}
		if ok && reason == "" && (lower || low) {
			return match{kind: Delayed, noETA: true, inside: true}, true // "in über einer Stunde"
		}
		if ok && reason == "" {
			return match{kind: Delayed, minutes: n, inside: true}, true
		}
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

// clockFirst reports whether rest starts with a clock time ("20 Uhr",
// "20:00"), also as a range ("20 bis 21 Uhr", "20-21 Uhr").
func clockFirst(rest []string) bool {
	if len(rest) > 3 && allDigits(rest[0]) && rangeWords[rest[1]] {
		rest = rest[2:]
	}
	hour := len(rest) > 0 && (allDigits(rest[0]) || decimalWord(rest[0]) || strings.Contains(rest[0], "-") && isCount(rest[0]))
	return colonClock(rest) || hour && len(rest) > 1 && clockWords[rest[1]] && rest[1] != "am"
}

// laterAt reads a delay at the start of w, after a yes: always when it is
// out of range or unreadable, else when the yes is conditional, w starts
// like a delay answer ("komme in 30", "später") or w follows the yes
// (first): then a number needs no unit ("1 30", "ja ca 30", "ja bin in 5 da")
// but must end the answer or its clause ("ja 4 Personen" is none, see delayEnd).
func laterAt(w []string, cuts []bool, cond, first bool) (match, bool) {
	if len(w) == 0 {
		return match{}, false
	}
	if m, ok := delayed(w, cuts); ok && (m.kind == Unknown || m.day || cond || first || delayWords[w[0]]) {
		if m.used < len(w) && notArrivalAfter[w[m.used]] {
			return match{}, false // "ja, 2 Stunden lang": how long, no arrival
		}
		return m, true
	}
	if q, lower := bounds(w); first {
		// A bare 1, 2 or 3 after a yes is a second code, no minutes ("1 1", "ja 3").
		n, used, reason, low, ok := etaBound(w[q:], true)
		if ok && !(used == 1 && len(w[q]) == 1 && w[q] <= "3") && (!unitless(w[q:], used) || delayEnd(w, cuts, q+used)) {
			if reason != "" {
				return match{kind: Unknown, why: reason}, true
			}
			used += q
			if used < len(w) && there[w[used]] {
				used++
			}
			if used < len(w) && notArrivalAfter[w[used]] {
				return match{}, false
			}
			if lower || low {
				return match{kind: Delayed, noETA: true}, true // "ja über 30": the words are the remark
			}
			return match{kind: Delayed, minutes: n, used: used}, true
		}
	}
	for _, ph := range phrases {
		if ph.kind == Delayed && !allDigits(ph.words[0]) && hasPrefix(w, ph.words) {
			return match{kind: Delayed, noETA: true, used: len(ph.words)}, true
		}
	}
	return match{}, false
}

// atClock reads a clock time after a word that says when ("ab 14 Uhr",
// "nicht vor 18 Uhr", "ETA 14:30"): coming then, delayed without an ETA
// (the confirmation asks for the minutes); the words are the remark.
func atClock(w []string, cuts []bool) (match, bool) {
	for _, lead := range clockLeads {
		at := len(lead)
		if !hasPrefix(w, lead) || at == len(w) {
			continue
		}
		if clockFirst(w[at:]) {
			used := at + 2
			if _, _, ok := colonTime(w[at]); ok && (len(w) == used-1 || !clockWords[w[used-1]]) {
				used-- // "ETA 14:30" without "Uhr"
			}
			return match{kind: Delayed, noETA: true, used: used, reason: true}, true
		}
		if last := lead[at-1]; (hourLeads[last] || last == "vor" || last == "before") && clockHour(w[at]) &&
			(at+1 == len(w) || cutAfter(cuts, at) || hourEnds[w[at+1]]) {
			// "by 10", "um 8", "nicht vor 10": a bare hour after a word that says when.
			return match{kind: Delayed, noETA: true, used: at + 1, reason: true}, true
		}
	}
	return match{}, false
}
