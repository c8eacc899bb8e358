package reply

import "strings"

// clauseEnds end a part of an answer: "1 30, Stau", "ja (20 min)".
const clauseEnds = ",;()[].:!?-–—"

// cutsOf reports for each word whether a part of the answer ends after it:
// it is the last word or punctuation follows it in the line.
func cutsOf(line string, words []token) []bool {
	cuts := make([]bool, len(words))
	for i := range words {
		cuts[i] = i+1 == len(words) || strings.ContainsAny(line[words[i].end:words[i+1].start], clauseEnds)
	}
	return cuts
}

// cutAfter reports whether a part ends after word i (false past cuts).
func cutAfter(cuts []bool, i int) bool {
	return i >= 0 && i < len(cuts) && cuts[i]
}

// closers are sign-offs that may follow the minutes ("1 20 danke").
var closers = set("danke", "dank", "thx", "thanks", "lg", "vg", "mfg", "gruss", "gruesse", "ok", "okay", "cu")

// delayEnd reports whether a number without a unit, ending at w[used-1]
// after a yes, is the delay: it ends the answer or its part ("1 30", "1 30,
// Stau"), or any word but a countable one follows ("ja 20 da", "1 30 Stau",
// "ja 30 bin unterwegs"). A number before people or things counts them
// ("ja 4 Personen", "1 2 Laptops"): no delay, the words are the remark. An
// unknown word keeps the delay: an arrival is never read earlier than said.
func delayEnd(w []string, cuts []bool, used int) bool {
	if used >= len(w) || cutAfter(cuts, used-1) {
		return true
	}
	return !countable[w[used]]
}

// countable are the people and things a number after a yes may count.
var countable = set("personen", "person", "leute", "kollegen", "kolleginnen", "kollegin", "kollege",
	"mitarbeiter", "mitarbeiterinnen", "helfer", "kräfte", "kraefte", "einsatzkräfte", "einsatzkraefte",
	"laptops", "laptop", "notebooks", "rechner", "geräte", "geraete", "funkgeräte", "funkgeraete",
	"fahrzeuge", "autos", "wagen", "handys", "telefone",
	"people", "persons", "colleagues", "staff", "helpers", "laptops", "devices", "radios", "cars", "vehicles", "phones")

// unitless reports whether the duration rest[:used] has no unit ("30", "ca
// 30", "20-30"), unlike "30 min" or "halbe Stunde".
func unitless(rest []string, used int) bool {
	if _, _, ok := wordETA(rest); ok {
		return false
	}
	for _, w := range rest[:used] {
		if minuteUnits[w] || hourUnits[w] {
			return false
		}
	}
	return true
}

// countNoun reports whether rest starts with a number counting the word
// after it ("2 Laptops", "3 Kollegen kommen mit"), which is no second code
// ("1 2", "1 2 bin im Zug") and no minutes.
func countNoun(rest []string, cuts []bool) bool {
	if len(rest) < 2 || !allDigits(rest[0]) || cutAfter(cuts, 0) {
		return false
	}
	w := rest[1]
	if k, _ := phraseAt(rest[1:], false); k != Unknown || !letters(w) {
		return false
	}
	for _, known := range []map[string]bool{leadFillers, there, closers, minuteUnits, hourUnits, longUnits,
		clockWords, but, approx, timeWords, rangeWords, counts, negative, positive, ifWords, delayWords} {
		if known[w] {
			return false
		}
	}
	return true
}

// letters reports whether w is a word of letters only.
func letters(w string) bool {
	for _, r := range w {
		if r >= '0' && r <= '9' {
			return false
		}
	}
	return w != ""
}
