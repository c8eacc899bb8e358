package reply

import (
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"
)

// token is one word of a reply: its folded form and where it stands in the line.
type token struct {
	w          string // lower-case, umlauts folded; a code upper-case
	start, end int    // byte offsets in the line
	code       bool   // an incident reply code K<digits>
}

// thumbs are read as words: 👍 and ✅ are a yes, 👎 and ❌ a no; ½ is "1/2".
var thumbs = map[rune]string{'👍': "ja", '👎': "nein", '✅': "ja", '✔': "ja", '❌': "nein",
	'½': "1/2", '¼': "1/4", '¾': "3/4"}

// tokenize lower-cases line, folds umlauts (ä → ae, ß → ss), treats every
// rune that is neither letter nor digit (spaces, quotes, punctuation) as a
// separator and splits letter/digit runs ("30min" → "30", "min").
func tokenize(line string) []token {
	var out []token
	start := -1
	flush := func(end int) {
		if start >= 0 {
			out = appendRuns(out, line, start, end)
			start = -1
		}
	}
	for i, r := range line {
		if w, ok := thumbs[r]; ok {
			flush(i)
			out = append(out, token{w: w, start: i, end: i + utf8.RuneLen(r)})
			continue
		}
		if unicode.IsLetter(r) || unicode.IsDigit(r) {
			if start < 0 {
				start = i
			}
			continue
		}
		flush(i)
	}
	flush(len(line))
	return out
}

// appendRuns splits line[start:end] where letters and digits meet and
// appends the parts; a part that is a reply code is marked as one, also
// when it is written against the answer ("1K7", "2 30K7").
func appendRuns(out []token, line string, start, end int) []token {
	if w := strings.ToUpper(line[start:end]); isCode(w) {
		return append(out, token{w: w, start: start, end: end, code: true})
	}
	from, digit, n := start, false, len(out)
	for i, r := range line[start:end] {
		d := unicode.IsDigit(r)
		if i > 0 && d != digit {
			out = append(out, token{w: fold(strings.ToLower(line[from : start+i])), start: from, end: start + i})
			from = start + i
		}
		digit = d
	}
	out = append(out, token{w: fold(strings.ToLower(line[from:end])), start: from, end: end})
	// "10am" written together is a clock time; "10 am Bahnhof" is German "at the".
	for i := n + 1; i < len(out); i++ {
		if out[i].w == "am" && allDigits(out[i-1].w) {
			out[i].w = gluedAM
		}
	}
	// A "k" part before digits, after a digit part, is a code.
	for i := n + 1; i+1 < len(out); i++ {
		if w := "K" + out[i+1].w; out[i].w == "k" && allDigits(out[i-1].w) && isCode(w) {
			out[i] = token{w: w, start: out[i].start, end: out[i+1].end, code: true}
			out = append(out[:i+1], out[i+2:]...)
		}
	}
	return out
}

// fold replaces German umlauts and ß by their two-letter spelling so that
// "später" and "spaeter" read alike.
func fold(s string) string {
	if !strings.ContainsAny(s, "äöüß") {
		if w, ok := umlautless[s]; ok {
			return w
		}
		return s
	}
	return strings.NewReplacer("ä", "ae", "ö", "oe", "ü", "ue", "ß", "ss").Replace(s)
}

// umlautless are answer words typed without their umlaut (a keyboard
// without one): "spater", "nicht verfugbar".
var umlautless = map[string]string{"spater": "spaeter", "verfugbar": "verfuegbar", "moglich": "moeglich"}

// phrase is a fixed answer in words. Reason phrases ("krank", "unterwegs")
// say more than their kind, so the whole answer is kept as the remark.
type phrase struct {
	words    []string
	squashed []string // words with runs of a letter collapsed, for the typo pass
	kind     Kind
	reason   bool
}

func p(kind Kind, reason bool, s ...string) []phrase {
	out := make([]phrase, len(s))
	for i, w := range s {
		out[i] = phrase{words: strings.Fields(w), kind: kind, reason: reason}
		out[i].squashed = squashAll(out[i].words)
	}
	return out
}

// phrases are the fixed answers, found longest first.
var phrases = longestFirst(
	p(Available, false, "1", "ja", "j", "jo", "jap", "jep", "jawohl", "klar", "yes", "y", "yep", "yeah", "yup",
		"komme", "komm", "komme sofort", "komme gleich", "komm gleich", "komme jetzt", "coming", "i am coming", "im coming",
		"i m coming", "will come", "dabei", "geht klar", "jawoll", "selbstverstaendlich", "schon da", "bereits da",
		"bin da", "sofort", "sofort da", "sure", "of course", "zusage", "zugesagt", "positiv", "affirmative"),
	p(Available, true, "unterwegs", "auf dem weg", "gleich da", "on my way", "omw", "en route", "on the way",
		"vor ort", "schon vor ort", "bereits vor ort", "im lagezentrum", "schon im lagezentrum",
		"bereits im lagezentrum", "already there", "already here", "on site", "leaving now", "fahre los", "fahre jetzt los"),
	p(Delayed, false, "2", "spaeter", "komme spaeter", "komm spaeter", "later", "coming later", "late", "running late",
		"verspaetet", "verspaete mich", "verspaetung", "etwas spaeter", "bisschen spaeter", "ein bisschen spaeter",
		"ein wenig spaeter", "be late", "will be late", "a bit late", "bit late", "a little late"),
	p(Unavailable, false, "3", "nein", "n", "no", "nee", "ne", "noe", "nope", "nicht verfuegbar", "nicht erreichbar",
		"nicht moeglich", "nicht da", "komme nicht", "komm nicht", "kann nicht", "geht nicht", "leider nicht",
		"leider nein", "not available", "unavailable", "not coming", "cannot", "can not", "can t", "cant", "no way",
		"kann nicht kommen", "kann leider nicht", "geht leider nicht", "komme leider nicht", "heute nicht",
		"nicht heute", "not today", "kann heute nicht", "schaffe es nicht", "schaff es nicht", "schaffe ich nicht",
		"heute leider nicht", "unable", "unable to attend", "unable to come", "unable to make it",
		"unfortunately not", "not possible"),
	p(Unavailable, true, "krank", "sick", "urlaub", "im urlaub", "verhindert", "abwesend", "im ausland", "ausland",
		"krankgeschrieben", "arbeitsunfaehig",
		"on leave", "on holiday", "on vacation", "ill", "keine zeit", "nicht in der stadt", "abroad", "out of town",
		"not in town", "no time", "negativ", "negative", "absage", "abgesagt", "sage ab", "muss absagen",
		"off sick", "elternzeit", "in elternzeit", "mutterschutz", "im mutterschutz", "in mutterschutz",
		"im krankenhaus", "dienstreise", "auf dienstreise", "business trip", "on a business trip",
		"on business trip", "in hospital", "in the hospital", "parental leave", "on parental leave",
		"maternity leave", "on maternity leave"),
	// Not before tomorrow: no arrival in this alert (see dayLater).
	p(Unavailable, true, "erst morgen", "kann erst morgen", "erst uebermorgen", "tomorrow", "only tomorrow"),
)

// maxPhrase is the number of words of the longest phrase.
var maxPhrase = len(phrases[0].words)

func longestFirst(groups ...[]phrase) []phrase {
	var all []phrase
	for _, g := range groups {
		all = append(all, g...)
	}
	// A stable insertion sort by length: few phrases, built once.
	for i := 1; i < len(all); i++ {
		for j := i; j > 0 && len(all[j].words) > len(all[j-1].words); j-- {
			all[j], all[j-1] = all[j-1], all[j]
		}
	}
	return all
}

// yesWords are delay prefixes that are a yes: a clock time after one is
// delayed without an ETA ("komme 20 Uhr"), as after "ja" ("ja, 20 Uhr").
var yesWords = map[string]bool{"komme": true, "komm": true, "kommen": true}

// delayPrefixes introduce an ETA ("2 30", "komme in 20 min"), longest first.
var delayPrefixes = [][]string{
	{"will", "be", "there", "in"}, {"komme", "spaeter", "in"}, {"kann", "erst", "in"}, {"komme", "erst", "in"},
	{"komm", "erst", "in"}, {"be", "there", "in"}, {"komme", "spaeter"}, {"komm", "spaeter"}, {"coming", "in"},
	{"komme", "in"}, {"komm", "in"}, {"kommen", "in"}, {"spaeter", "in"}, {"2", "in"}, {"da", "in"},
	{"later", "in"}, {"erst", "in"}, {"etwas", "spaeter"}, {"running", "late"}, {"be", "late"},
	{"verspaete", "mich"}, {"komme"}, {"komm"}, {"kommen"}, {"spaeter"}, {"later"}, {"late"}, {"verspaetung"},
	{"verspaetet"}, {"eta"}, {"in"}, {"2"}, {"brauche", "noch"}, {"brauch", "noch"}, {"travel", "time"},
	{"driving", "time"}, {"brauche"}, {"brauch"}, {"fahrzeit"}, {"fahrtzeit"}, {"anfahrt"}, {"anfahrtszeit"},
	{"need"}, {"noch"}, {},
}

// needWords begin a delay prefix that says how long the way takes ("brauche
// 45 min", "Fahrzeit 45 min", "noch 20 min"): coming, it takes that long.
// Their minutes need a unit: "brauche 2 Laptops" is no delay.
var needWords = set("brauche", "brauch", "travel", "driving", "fahrzeit", "fahrtzeit", "anfahrt", "anfahrtszeit",
	"need", "noch")

// leadFillers are greetings, pronouns and softeners skipped before the
// deciding words ("ok komme", "sorry, kann nicht", "leider krank").
var leadFillers = map[string]bool{"ich": true, "bin": true, "hallo": true, "hi": true, "moin": true,
	"hey": true, "servus": true, "also": true, "i": true, "am": true, "m": true, "ok": true, "okay": true,
	"oki": true, "sorry": true, "leider": true, "na": true, "schon": true, "ll": true, "bereits": true, "sitze": true,
	"verstanden": true}

// approx words may stand before the minutes ("2 ca 30", "max 20 min",
// "frühestens in 2 Stunden"): a bound is read as the minutes, never earlier.
var approx = set("ca", "circa", "etwa", "ungefaehr", "about", "approx", "max", "maximal", "maximum",
	"spaetestens", "hoechstens", "fruehestens", "mindestens", "eta", "within")

// clockLeads stand before a clock time alone ("ab 14 Uhr", "nicht vor 18 Uhr",
// "ETA 14:30", "Can be there by 10am"): coming at that time, delayed without an ETA.
var clockLeads = [][]string{{"can", "be", "there", "by"}, {"can", "be", "there", "at"},
	{"will", "be", "there", "by"}, {"will", "be", "there", "at"}, {"be", "there", "by"}, {"be", "there", "at"},
	{"there", "by"}, {"there", "at"}, {"nicht", "vor"}, {"not", "before"}, {"fruehestens", "um"}, {"fruehestens", "ab"},
	{"spaetestens", "um"}, {"fruehestens"}, {"spaetestens"}, {"ab"}, {"um"}, {"gegen"}, {"ca"}, {"circa"},
	{"etwa"}, {"eta"}, {"at"}, {"by"}, {"around"}, {"from"}}

// match is the deciding part of an answer: its kind, minutes, how many words it used and whether it is a reason.
type match struct {
	kind    Kind
	minutes int
	noETA   bool
	used    int
	reason  bool
	why     string // set when the answer is Unknown
	inside  bool   // a delay read inside the remark, which is kept whole
	day     bool   // another day ("komme in 2 Tagen"): unavailable for this alert
}

// maxLeads bounds the fillers skipped before the deciding words ("ok ich bin
// schon unterwegs"), so "ich ich ich …" is read in linear time.
const maxLeads = 4

// decide reads the leading words of an answer (codes removed). Fillers
// before them are skipped only where the words as written do not match
// ("leider nicht" is a phrase, "leider krank" is "krank").
func decide(words []string, cuts []bool) match {
	leads := []int{0}
	for l := 0; l < len(words)-1 && l < maxLeads && leadFillers[words[l]]; l++ {
		leads = append(leads, l+1)
	}
	for _, typo := range []bool{false, true} {
		for _, lead := range leads {
			if m, ok := decideAt(words[lead:], cuts[lead:], typo); ok {
				m.used += lead
				return m
			}
		}
	}
	return match{kind: Unknown, why: ReasonNotUnderstood}
}

// decideAt matches w's first words: an ETA, else a phrase. Typos that
// double or drop a repeated letter ("jaaa", "kome", "neeein") are read
// only when nothing matches as written.
func decideAt(w []string, cuts []bool, typo bool) (match, bool) {
	if !typo {
		if m, ok := atClock(w, cuts); ok {
			return m, true
		}
		if m, ok := delayed(w, cuts); ok {
			return m, true
		}
		if h, _, ok := colonTime(w[0]); ok && h == 2 {
			// "2:30": the code 2 with a time, a clock time or 2 h 30, delayed
			// in every reading; the ETA is asked for, the time kept as the remark.
			return match{kind: Delayed, noETA: true, used: 1, reason: true}, true
		}
	}
	var squashed []string
	if typo {
		squashed = squashAll(w[:min(len(w), maxPhrase)]) // no phrase is longer
	}
	for _, ph := range phrases {
		if typo && !hasPrefix(squashed, ph.squashed) || !typo && !hasPrefix(w, ph.words) {
			continue
		}
		return match{kind: ph.kind, used: len(ph.words), reason: ph.reason, noETA: ph.kind == Delayed}, true
	}
	return match{}, false
}

// squashAll collapses runs of one letter in each word ("kommme" → "kome").
func squashAll(words []string) []string {
	out := make([]string, len(words))
	for i, w := range words {
		var b strings.Builder
		var last rune
		for _, r := range w {
			if r != last || unicode.IsDigit(r) {
				b.WriteRune(r)
			}
			last = r
		}
		out[i] = b.String()
	}
	return out
}

// delayed reads "<prefix> <n> [unit]"; an out-of-range ETA is an Unknown
// match. After a yes ("komme 20") a number without a unit must end the
// answer or its clause (see delayEnd): "komme 4 Personen" is no delay.
func delayed(w []string, cuts []bool) (match, bool) {
	for _, prefix := range delayPrefixes {
		if !hasPrefix(w, prefix) {
			continue
		}
		rest := w[len(prefix):]
		skip, lower := bounds(rest)
		need := len(prefix) > 0 && needWords[prefix[0]]
		if len(prefix) > 0 && notMinutes(rest[skip:]) {
			if prefix[0] == "2" || need {
				continue // the code decides ("2 20 Uhr": delayed, the time is the remark); "brauche 2 Tage" is none
			}
			if len(prefix) == 1 && yesWords[prefix[0]] && clockFirst(rest[skip:]) {
				// "komme 20 Uhr": coming at a clock time; the ETA is asked for.
				return match{kind: Delayed, noETA: true, used: 1}, true
			}
			if dayCount(rest[skip:]) > 0 {
				return match{kind: Unavailable, day: true}, true // "komme in 2 Tagen"
			}
			return match{kind: Unknown, why: ReasonNotUnderstood}, true // "in 2:30", "in 30 sek"
		}
		n, used, reason, low, ok := etaBound(rest[skip:], !need && len(prefix) > 0 || skip > 0 && rest[skip-1] == "eta")
		if !ok || len(prefix) == 1 && yesWords[prefix[0]] && unitless(rest[skip:], used) &&
			!delayEnd(w, cuts, len(prefix)+skip+used) {
			continue
		}
		if reason != "" {
			return match{kind: Unknown, why: reason}, true
		}
		if lower || low {
			// "über 30 min", "komme in mehr als einer Stunde": later than said, the
			// ETA is asked for; the bound and the minutes are the remark.
			return match{kind: Delayed, noETA: true, used: len(prefix), reason: len(prefix) == 0}, true
		}
		used += len(prefix) + skip
		if used < len(w) && there[w[used]] {
			used++ // "bin in 20 min da": "da" is part of the ETA
		}
		return match{kind: Delayed, minutes: n, used: used}, true
	}
	return match{}, false
}

// eta reads "<n> [unit]" at the start of rest. A bare number needs a unit
// ("20 min"); after "2", "komme" and the like it need not have one. Hours
// may carry minutes ("1h30", "1 Std 30 Min"), a decimal ("1,5 h") or a
// fraction ("1 1/2 Std"); a range counts with its upper bound ("20-30 min").
func eta(rest []string, unitOptional bool) (minutes, used int, reason string, ok bool) {
	if n, used, ok := wordETA(rest); ok {
		return n, used, "", true
	}
	v, used, hoursOnly, ok := amount(rest)
	if !ok {
		return 0, 0, "", false
	}
	factor, extra := 0.0, 0
	if used < len(rest) {
		switch w := rest[used]; {
		case minuteUnits[w]:
			factor, used = 1, used+1
		case hourUnits[w]:
			factor, used = 60, used+1
			extra, used = minutesAfterHours(rest, used)
		case clockWords[w] || longUnits[w]:
			return 0, 0, "", false // "20 Uhr", "2 Tage": no minutes
		}
	}
	if factor == 0 && !unitOptional || factor != 60 && hoursOnly {
		return 0, 0, "", false
	}
	n := int(min(v*max(factor, 1)+float64(extra), MaxMinutes+1) + 0.5)
	if n < MinMinutes || n > MaxMinutes {
		return 0, used, ReasonETARange, true
	}
	return n, used, "", true
}

var (
	minuteUnits = map[string]bool{"min": true, "mins": true, "minute": true, "minuten": true, "minutes": true, "m": true, "mn": true}
	hourUnits   = map[string]bool{"h": true, "std": true, "stunde": true, "stunden": true, "hour": true, "hours": true, "hr": true, "hrs": true}
)

// minutesAfterHours reads the minutes of "1h30" or "1 Std 30 Min" after the
// hour unit at rest[used-1]: the extra minutes and the words used.
func minutesAfterHours(rest []string, used int) (int, int) {
	if len(rest) <= used || !allDigits(rest[used]) || len(rest[used]) > 2 {
		return 0, used
	}
	m, _ := strconv.Atoi(rest[used])
	if m >= 60 {
		return 0, used
	}
	used++
	if len(rest) > used && minuteUnits[rest[used]] {
		used++
	}
	return m, used
}

// joinNumbers keeps a decimal ("1,5 h"; without an hour unit it is no ETA),
// a clock time ("20:00"), a fraction ("1/2") and a range ("20-30") as one
// word, so none reads as two numbers ("1,5h" is no yes with 5 hours). In the
// first word "2,30" and "2-30" stay the code 2 with minutes unless a unit
// follows ("2,5h" is 150 minutes); "1-2" without one is no range either.
func joinNumbers(line string, toks []token) []token {
	out := make([]token, 0, len(toks))
	word := false
	for i := 0; i < len(toks); i++ {
		t := toks[i]
		if i+1 < len(toks) && allDigits(t.w) && allDigits(toks[i+1].w) {
			sep, next := line[t.end:toks[i+1].start], toks[i+1].w
			unit := i+2 < len(toks) && (hourUnits[toks[i+2].w] || minuteUnits[toks[i+2].w])
			join := ""
			switch {
			case (sep == "," || sep == ".") && (word || t.w != "2" || unit):
				join = "."
			case sep == ":" && len(next) == 2:
				join = ":"
			case sep == "/":
				if _, ok := fraction(t.w + "/" + next); ok {
					join = "/"
				}
			case (sep == "-" || sep == "–") && (word || unit) && len(t.w) <= 4 && len(next) <= 4 && atoi(next) > atoi(t.w):
				join = "-"
			}
			if join != "" {
				t.w += join + next
				t.end, i = toks[i+1].end, i+1
			}
		}
		word = word || !t.code
		out = append(out, t)
	}
	return out
}

// atoi reads a short digit string.
func atoi(s string) int {
	n, _ := strconv.Atoi(s)
	return n
}

func hasPrefix(words, prefix []string) bool {
	if len(words) < len(prefix) {
		return false
	}
	for i, p := range prefix {
		if words[i] != p {
			return false
		}
	}
	return true
}

func allDigits(s string) bool {
	for _, r := range s {
		if r < '0' || r > '9' {
			return false
		}
	}
	return s != ""
}

// negative words contradict a yes; positive words contradict a no.
var (
	negative = map[string]bool{"nicht": true, "not": true, "morgen": true, "tomorrow": true, "nie": true, "never": true}
	positive = map[string]bool{"komme": true, "komm": true, "coming": true, "unterwegs": true}
)

// contradicts reports whether the words after the deciding ones say the
// opposite: a yes with a no word ("1 nein", "ja kann nicht") or a no with
// a yes ("3 komme", "nein 1"). Such answers are never guessed.
func contradicts(kind Kind, rest []string, cuts []bool) bool {
	for i := 0; i < len(rest); i++ {
		if i == 0 && countNoun(rest, cuts) {
			continue // "1 2 Laptops", "ja, 3 Kollegen kommen mit": a count, no code
		}
		if _, n, reason, _, ok := duration(rest[i:], false); ok && reason == "" {
			i += n - 1 // "ne halbe Stunde", "3 min", "nicht mehr als 30 min": this "ne", "3" or "nicht" is no no
			continue
		}
		other, n := phraseAt(rest[i:], i == 0)
		negated := i > 0 && (rest[i-1] == "nicht" || rest[i-1] == "not")
		if n > 0 {
			i += n - 1
		} else if kind == Unavailable && positive[rest[i]] || kind != Unavailable && negative[rest[i]] {
			return true
		}
		if other == Unknown || other == Available && negated {
			continue // "nein, bin nicht vor Ort": a negated yes is no yes
		}
		if (kind == Unavailable) != (other == Unavailable) {
			return true
		}
		if i == 0 && allDigits(rest[0]) && other != kind {
			return true // "1 2": two codes
		}
	}
	return false
}

// phraseAt finds the longest phrase at the start of w. Single letters
// ("j", "n") and, unless first, bare digits are not read: inside a remark
// they are parts of other words or numbers.
func phraseAt(w []string, first bool) (Kind, int) {
	for _, ph := range phrases {
		if len(ph.words) == 1 && (utf8.RuneCountInString(ph.words[0]) == 1 && !allDigits(ph.words[0]) ||
			allDigits(ph.words[0]) && !first) {
			continue
		}
		if hasPrefix(w, ph.words) {
			return ph.kind, len(ph.words)
		}
	}
	return Unknown, 0
}
