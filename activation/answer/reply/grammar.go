package reply

import (
	"strconv"
	"strings"
	"unicode"
)

// tokenize lower-cases line, folds umlauts (ä → ae, ß → ss), treats every
// rune that is neither letter nor digit (spaces, quotes, punctuation) as a
// separator, splits letter/digit runs ("30min" → "30", "min") and pulls out
// reply codes (k7). It returns the words, the first code upper-cased, and
// how many codes it saw.
func tokenize(line string) (words []string, code string, codes int) {
	fields := strings.FieldsFunc(strings.ToLower(line), func(r rune) bool {
		return !unicode.IsLetter(r) && !unicode.IsDigit(r)
	})
	for _, f := range fields {
		f = fold(f)
		if isCode(strings.ToUpper(f)) {
			codes++
			if code == "" {
				code = strings.ToUpper(f)
			}
			continue
		}
		words = appendRuns(words, f)
	}
	return words, code, codes
}

// fold replaces German umlauts and ß by their two-letter spelling so that
// "später" and "spaeter" read alike.
func fold(s string) string {
	if !strings.ContainsAny(s, "äöüß") {
		return s
	}
	return strings.NewReplacer("ä", "ae", "ö", "oe", "ü", "ue", "ß", "ss").Replace(s)
}

// appendRuns splits f where letters and digits meet and appends the parts.
func appendRuns(words []string, f string) []string {
	start, digit := 0, false
	for i, r := range f {
		d := unicode.IsDigit(r)
		if i > start && d != digit {
			words = append(words, f[start:i])
			start = i
		}
		digit = d
	}
	return append(words, f[start:])
}

// answer reads the words of an alert answer (codes removed).
func answer(words []string) (Kind, int, string) {
	words = dropFillers(words)
	if len(words) == 0 {
		return Unknown, 0, ReasonNotUnderstood
	}
	if k := simple(words); k != Unknown {
		return k, 0, ""
	}
	// "1 komme", "3 nein": a digit confirmed by the same answer in words.
	if len(words) > 1 && (words[0] == "1" || words[0] == "3") {
		if k := simple(words[:1]); k == simple(words[1:]) {
			return k, 0, ""
		}
	}
	for _, prefix := range delayPrefixes() {
		rest, ok := cutPrefix(words, prefix)
		if !ok {
			continue
		}
		if len(rest) == 0 {
			return Unknown, 0, ReasonMissingETA
		}
		if m, reason, ok := eta(rest); ok {
			if reason != "" {
				return Unknown, 0, reason
			}
			return Delayed, m, ""
		}
	}
	return Unknown, 0, ReasonNotUnderstood
}

// simple matches the fixed available/unavailable phrases.
func simple(words []string) Kind {
	switch strings.Join(words, " ") {
	case "1", "ja", "j", "komme", "yes", "y", "komme sofort", "komme gleich":
		return Available
	case "3", "nein", "no", "n", "nicht verfuegbar", "komme nicht", "kann nicht",
		"nicht erreichbar":
		return Unavailable
	}
	return Unknown
}

// delayPrefixes introduce an ETA, longest first.
func delayPrefixes() [][]string {
	return [][]string{
		{"komme", "spaeter", "in"},
		{"komme", "spaeter"},
		{"komme", "in"},
		{"spaeter", "in"},
		{"2", "in"},
		{"komme"},
		{"spaeter"},
		{"2"},
	}
}

func cutPrefix(words, prefix []string) ([]string, bool) {
	if len(words) < len(prefix) {
		return nil, false
	}
	for i, p := range prefix {
		if words[i] != p {
			return nil, false
		}
	}
	return words[len(prefix):], true
}

// eta reads "<n> [unit]". ok is false when rest is not of that shape;
// reason is set when it is but the value is out of range.
func eta(rest []string) (minutes int, reason string, ok bool) {
	if len(rest) > 2 || !allDigits(rest[0]) {
		return 0, "", false
	}
	factor := 1
	if len(rest) == 2 {
		switch rest[1] {
		case "min", "mins", "minute", "minuten", "m":
		case "h", "std", "stunde", "stunden":
			factor = 60
		default:
			return 0, "", false
		}
	}
	n, err := strconv.Atoi(rest[0])
	if err != nil || len(rest[0]) > 5 || n*factor < MinMinutes || n*factor > MaxMinutes {
		return 0, ReasonETARange, true
	}
	return n * factor, "", true
}

func allDigits(s string) bool {
	for _, r := range s {
		if r < '0' || r > '9' {
			return false
		}
	}
	return s != ""
}

// dropFillers removes polite words that do not change the answer.
func dropFillers(words []string) []string {
	out := words[:0:0]
	for _, w := range words {
		switch w {
		case "ich", "bin", "danke", "gruss", "gruesse", "lg", "vg", "mfg":
			continue
		}
		out = append(out, w)
	}
	return out
}
