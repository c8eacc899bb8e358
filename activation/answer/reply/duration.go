package reply

import "strings"

// comparative bounds the minutes after it ("knapp eine Stunde", "mehr als
// 30 min"). An upper bound (knapp, fast, weniger als, unter, bis zu, less
// than, under, up to) is read as the minutes, like "max": the arrival is
// not later. A lower one (gut, über, mehr als, more than, over) says the
// arrival is later than the number, which as the ETA would claim an arrival
// possibly too early: delayed without an ETA, the confirmation asks for the
// minutes. "mindestens", "frühestens", "at least" (approx) name the earliest
// arrival itself and stay read as the minutes.
type comparative struct {
	words []string
	lower bool
}

// comparatives are found longest first ("nicht mehr als" before "mehr als").
var comparatives = compare(
	// later than the number
	[]string{"etwas mehr als", "a bit more than", "a little more than", "mehr als", "laenger als", "more than",
		"longer than", "just over", "well over", "a bit over", "a little over", "etwas ueber", "gut", "ueber",
		"over"},
	// read as the number: not later than it, or ("at least") the earliest arrival
	[]string{"nicht mehr als", "nicht laenger als", "not more than", "no more than", "not longer than",
		"no longer than", "weniger als", "less than", "just under", "bis zu", "up to", "at least", "at most",
		"knapp", "fast", "almost", "nearly", "unter", "under"})

func compare(later, asSaid []string) []comparative {
	var out []comparative
	for _, g := range []struct {
		s     []string
		lower bool
	}{{later, true}, {asSaid, false}} {
		for _, s := range g.s {
			out = append(out, comparative{words: strings.Fields(s), lower: g.lower})
		}
	}
	// Longest first, stable: few entries, built once.
	for i := 1; i < len(out); i++ {
		for j := i; j > 0 && len(out[j].words) > len(out[j-1].words); j-- {
			out[j], out[j-1] = out[j-1], out[j]
		}
	}
	return out
}

// goodHours are lower bounds in words ("ne gute Stunde", "a good hour").
var goodHours = []struct {
	words   []string
	minutes int
}{
	{[]string{"eine", "gute", "halbe", "stunde"}, 30}, {[]string{"ne", "gute", "halbe", "stunde"}, 30},
	{[]string{"a", "good", "half", "hour"}, 30}, {[]string{"einer", "guten", "stunde"}, 60},
	{[]string{"ner", "guten", "stunde"}, 60}, {[]string{"eine", "gute", "stunde"}, 60},
	{[]string{"ne", "gute", "stunde"}, 60}, {[]string{"a", "good", "hour"}, 60},
	{[]string{"gute", "stunde"}, 60}, {[]string{"good", "hour"}, 60},
}

// bounds counts the approx words, comparatives and an "in" before the
// minutes ("ca. 20", "frühestens in 2 Stunden", "in knapp 30 min", "ETA 25
// min", "mehr als 1 Stunde"), at most three of them; lower is set when one
// is a lower bound.
func bounds(rest []string) (n int, lower bool) {
	for step := 0; step < 3 && n+1 < len(rest); step++ {
		if c, l := comparativeAt(rest[n:]); c > 0 && n+c < len(rest) {
			n, lower = n+c, lower || l
			continue
		}
		if !approx[rest[n]] && rest[n] != "in" {
			break
		}
		n++
	}
	return n, lower
}

// comparativeAt returns the words of the comparative w starts with, 0 if none.
func comparativeAt(w []string) (int, bool) {
	for _, c := range comparatives {
		if hasPrefix(w, c.words) {
			return len(c.words), c.lower
		}
	}
	return 0, false
}

// etaBound reads the minutes like eta, and a lower bound in words ("ne gute
// Stunde"): lower is then set.
func etaBound(rest []string, unitOptional bool) (minutes, used int, reason string, lower, ok bool) {
	for _, g := range goodHours {
		if hasPrefix(rest, g.words) {
			return g.minutes, len(g.words), "", true, true
		}
	}
	minutes, used, reason, ok = eta(rest, unitOptional)
	return minutes, used, reason, false, ok
}

// duration reads "[ca.|max|knapp|mehr als|in …] <n> [unit]" at the start of
// rest: the bounds and the minutes after them; lower as in bounds.
func duration(rest []string, unitOptional bool) (minutes, used int, reason string, lower, ok bool) {
	q, lower := bounds(rest)
	n, used, reason, low, ok := etaBound(rest[q:], unitOptional || q > 0 && rest[q-1] == "eta")
	return n, q + used, reason, lower || low, ok
}

// notArrivalBefore stand before a duration that is no arrival: how long the
// person stays ("ja, für 2 Stunden", "yes, for 2 hours"), since when ("seit
// 10 min unterwegs", "since"), how long ago ("bin vor 10 min losgefahren")
// or how often ("alle 30 min", "every"), or how long one stays ("stay").
var notArrivalBefore = set("fuer", "for", "vor", "seit", "since", "alle", "every", "bleibe", "stay")

// notArrivalAfter follow such a duration: "left 10 minutes ago", "2 Stunden
// lang", "kann 2 Stunden bleiben".
var notArrivalAfter = set("ago", "her", "lang", "long", "bleiben", "stay")

// spokenDuration finds a duration with a unit anywhere in the words after a
// yes ("Ja. Brauche 45 Minuten.", "komme, Fahrzeit 45 min", "Leaving now, 40
// minutes"): the person is coming and it takes that long, delayed with it
// (inside: the remark is kept whole). A duration after für/seit/vor/alle or
// before ago/lang/bleiben is none: "ja, bin vor 10 min losgefahren" is on the
// way like "unterwegs", available; the past is no arrival. Two different
// durations ("10 min anziehen, 30 min Fahrt") leave the arrival open: delayed
// without an ETA, the confirmation asks. Minutes out of range are refused.
func spokenDuration(rest []string) (match, bool) {
	found := match{}
	for i := 0; i < len(rest); i++ {
		n, used, reason, lower, ok := duration(rest[i:], false)
		if !ok {
			continue
		}
		if i > 0 && notArrivalBefore[rest[i-1]] || i+used < len(rest) && notArrivalAfter[rest[i+used]] {
			i += used - 1
			continue
		}
		switch {
		case reason != "":
			return match{kind: Unknown, why: reason}, true
		case lower: // "ja, über eine Stunde": later than 60, the ETA is asked for
			found = match{kind: Delayed, noETA: true, inside: true}
		case found.kind == "":
			found = match{kind: Delayed, minutes: n, inside: true}
		case found.noETA || found.minutes != n:
			found = match{kind: Delayed, noETA: true, inside: true}
		}
		i += used - 1
	}
	return found, found.kind != ""
}

// remarkDelay reads a delay inside the remark of a yes, or of a delay
// without minutes ("2, Fahrzeit 45 min"): a clock time or time of day makes
// it delayed without an ETA ("komme, bin um 20 Uhr da"; a duration beside
// one may be counted from then), else a duration with a unit (spokenDuration).
func remarkDelay(rest []string, cuts []bool) (match, bool) {
	if clockTime(rest) || dayTime(rest) || hourAt(rest, cuts) {
		return match{kind: Delayed, noETA: true, inside: true}, true
	}
	return spokenDuration(rest)
}

// alsoSaid returns m, a delay read after a yes, without its minutes when
// the rest names another duration ("ja, brauche 10 min zum Anziehen und 30
// min Fahrt"): the arrival is open, the confirmation asks for the minutes.
func alsoSaid(m match, rest []string) match {
	if m.kind != Delayed || m.noETA {
		return m
	}
	if d, ok := spokenDuration(rest); ok && d.kind == Delayed && (d.noETA || d.minutes != m.minutes) {
		m.minutes, m.noETA, m.inside = 0, true, true // the remark kept whole
	}
	return m
}
