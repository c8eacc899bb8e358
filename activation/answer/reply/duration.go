package reply

// duration reads "[ca.|max|in …] <n> [unit]" at the start of rest: the
// qualifiers (see qualifiers) and the minutes eta reads after them.
func duration(rest []string, unitOptional bool) (minutes, used int, reason string, ok bool) {
	q := qualifiers(rest)
	n, used, reason, ok := eta(rest[q:], unitOptional || q > 0 && rest[q-1] == "eta")
	return n, q + used, reason, ok
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
		n, used, reason, ok := duration(rest[i:], false)
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
		case found.kind == "":
			found = match{kind: Delayed, minutes: n, inside: true}
		case found.minutes != n:
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
