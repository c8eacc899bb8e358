package reply

import (
	"fmt"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"
)

// Kind is what a reply means.
type Kind string

// Kinds of replies.
const (
	Available   Kind = "available"
	Delayed     Kind = "delayed"
	Unavailable Kind = "unavailable"
	Stop        Kind = "stop"
	Start       Kind = "start"
	Help        Kind = "help"
	Unknown     Kind = "unknown"
)

// Valid reports whether k is one of the defined kinds.
func (k Kind) Valid() bool {
	switch k {
	case Available, Delayed, Unavailable, Stop, Start, Help, Unknown:
		return true
	}
	return false
}

// IsResponse reports whether k answers an alert (available, delayed or
// unavailable), as opposed to a keyword or an unreadable text.
func (k Kind) IsResponse() bool {
	return k == Available || k == Delayed || k == Unavailable
}

// Bounds of a delayed answer's ETA in minutes.
const (
	MinMinutes = 1
	MaxMinutes = 1440
)

// Reply is a parsed SMS answer.
type Reply struct {
	Kind Kind
	// Minutes is the announced delay for Delayed (MinMinutes..MaxMinutes),
	// otherwise 0; 0 with NoETA for a delayed answer without minutes ("2").
	Minutes int
	NoETA   bool
	// Remark is what the person wrote after the deciding words (or the
	// whole answer when it gives a reason: "bin krank"), at most MaxRemark bytes.
	Remark string
	// Code is the incident reply code ("K7"), upper-case, or "".
	Code string
	// Raw is the text as received.
	Raw string
	// Reason says, in German, why a reply is Unknown; "" otherwise.
	Reason string
}

// Valid reports whether r is internally consistent: a defined kind, minutes
// within bounds exactly for Delayed, a well-formed code, and a reason only
// for Unknown.
func (r Reply) Valid() bool {
	if !r.Kind.Valid() {
		return false
	}
	switch {
	case r.Kind == Delayed && r.NoETA:
		if r.Minutes != 0 {
			return false
		}
	case r.Kind == Delayed:
		if r.Minutes < MinMinutes || r.Minutes > MaxMinutes {
			return false
		}
	case r.Minutes != 0 || r.NoETA:
		return false
	}
	if len(r.Remark) > MaxRemark || r.Remark != "" && !r.Kind.IsResponse() {
		return false
	}
	if r.Code != "" && (!isCode(r.Code) || !r.Kind.IsResponse()) {
		return false
	}
	return r.Kind == Unknown || r.Reason == ""
}

// String renders r for logs.
func (r Reply) String() string {
	s := string(r.Kind)
	if r.Kind == Delayed && !r.NoETA {
		s += " " + strconv.Itoa(r.Minutes) + "min"
	}
	if r.Code != "" {
		s += " " + r.Code
	}
	if r.Reason != "" {
		s += fmt.Sprintf(" (%s)", r.Reason)
	}
	return s
}

// isCode reports whether s is an upper-case reply code K<digits>.
func isCode(s string) bool {
	if len(s) < 2 || len(s) > 10 || s[0] != 'K' {
		return false
	}
	for i := 1; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

// Reasons for Unknown replies.
const (
	ReasonEmpty         = "leere Nachricht"
	ReasonNotUnderstood = "Antwort nicht verstanden"
	ReasonMissingETA    = "Minuten fehlen, z. B. „2 30“ für „komme in 30 Minuten“"
	ReasonETARange      = "Minuten außerhalb 1–1440"
	ReasonTwoCodes      = "mehr als ein Ereignis-Code"
	ReasonContradiction = "Antwort widersprüchlich"
	ReasonQuestion      = "Rückfrage statt Antwort"
)

// MaxRemark bounds a stored remark in bytes (an SMS holds at most 1,600).
const MaxRemark = 200

// Parse understands the first line of an SMS reply. It never fails: a text
// it cannot read is Unknown with a Reason. The leading code or keyword
// decides; the words after it are the remark.
func Parse(text string) Reply {
	return laterOnNextLine(parseLine(text, firstSMSLine(text)), text)
}

// laterOnNextLine reads minutes on the second line ("Komme\nin 30 min"):
// a yes, or a delay without minutes, is delayed with them, never earlier
// than said. Anything else there (a greeting, a quote "> …") is ignored.
func laterOnNextLine(r Reply, text string) Reply {
	if r.Kind != Available && !(r.Kind == Delayed && r.NoETA) {
		return r
	}
	next := secondSMSLine(text)
	if strings.HasPrefix(strings.TrimSpace(next), ">") {
		return r
	}
	if n := parseLine(next, next); n.Kind == Delayed && !n.NoETA && n.Code == "" {
		r.Kind, r.Minutes, r.NoETA = Delayed, n.Minutes, false
	}
	return r
}

// parseLine understands line, the answer line of text.
func parseLine(text, line string) Reply {
	r := Reply{Raw: text}
	toks := joinNumbers(line, tokenize(line))
	var words []token
	code, codes := "", 0
	for _, t := range toks {
		if !t.code {
			words = append(words, t)
		} else if codes++; code == "" {
			code = t.w
		}
	}
	if codes > 1 {
		return unknown(r, ReasonTwoCodes)
	}
	if len(words) == 0 {
		if code != "" {
			return unknown(r, ReasonNotUnderstood)
		}
		return unknown(r, ReasonEmpty)
	}
	if code == "" && len(words) == 1 {
		if k, ok := keyword(words[0].w); ok {
			r.Kind = k
			return r
		}
	}
	ws := make([]string, len(words))
	for i, t := range words {
		ws[i] = t.w
	}
	cuts := cutsOf(line, words)
	m := decide(ws, cuts)
	from := words[0].start
	if allDigits(ws[0]) && len(ws) > 1 {
		from = words[1].start // the remark of "1 morgen" is "morgen"
	}
	// Another day is unavailable for this alert, the whole answer the remark:
	// days are never minutes ("komme morgen", "in 2 Tagen", "next week").
	otherDay := func() Reply {
		r.Kind, r.Code, r.Remark = Unavailable, code, remark(line, toks, from)
		return r
	}
	if m.day || m.kind == Unknown && m.why == ReasonNotUnderstood && dayAnswer(ws) {
		return otherDay()
	}
	if m.kind == Unknown {
		return unknown(r, m.why)
	}
	if asked(m.kind, line, words, m.used) {
		return unknown(r, ReasonQuestion)
	}
	if m.kind == Available && dayLater(ws[m.used:]) {
		return otherDay()
	}
	m.used += leftoverVerb(m.kind, ws[m.used:])
	if contradicts(m.kind, ws[m.used:], cuts[m.used:]) {
		return unknown(r, ReasonContradiction)
	}
	if m.kind == Available && anotherDay(ws[m.used:]) {
		return otherDay() // after contradicts: "ja, bin nächste Woche im Urlaub" asks again
	}
	if m.kind == Delayed && m.noETA && !m.reason {
		// "2, Fahrzeit 45 min", "komme später, brauche noch 20 min": the minutes said.
		if l, ok := remarkDelay(ws[m.used:], cuts[m.used:]); ok && l.kind == Delayed && !l.noETA {
			m.minutes, m.noETA = l.minutes, false
		}
	}
	if m.kind == Available {
		l, ok := later(ws[m.used:], cuts[m.used:])
		if !ok {
			l, ok = lastClause(line, words, ws, m.used)
		}
		if ok && l.day {
			return otherDay()
		} else if ok && l.kind == Unknown {
			return unknown(r, l.why)
		} else if ok {
			m.kind, m.minutes, m.noETA = Delayed, l.minutes, l.noETA
			if !l.inside {
				m.used += l.used
			}
		}
	}
	r.Kind, r.Minutes, r.NoETA, r.Code = m.kind, m.minutes, m.noETA, code
	if m.reason {
		r.Remark = remark(line, toks, words[0].start)
	} else {
		r.Remark = remark(line, toks, words[m.used-1].end)
	}
	return r
}

// asked reports a yes or no asked back ("Ja?", "Komme?", "Nein?", "1 K7?"):
// a question mark right after the deciding words, codes aside. Recording it
// would alert a deputy, or count someone, on a question.
func asked(k Kind, line string, words []token, used int) bool {
	if k != Available && k != Unavailable {
		return false
	}
	next := len(line)
	if used < len(words) {
		next = words[used].start
	}
	return strings.Contains(line[words[used-1].end:next], "?")
}

// leftoverVerb counts the verb a no leaves behind ("kann leider nicht
// kommen", "can't make it", "heute nicht möglich"), which is no remark.
func leftoverVerb(k Kind, rest []string) int {
	switch {
	case k != Unavailable || len(rest) == 0:
		return 0
	case len(rest) > 1 && rest[0] == "make" && rest[1] == "it":
		return 2
	case rest[0] == "kommen" || rest[0] == "come" || rest[0] == "teilnehmen" || rest[0] == "attend" ||
		rest[0] == "moeglich" || rest[0] == "possible": // "heute nicht möglich", "cannot attend"
		return 1
	}
	return 0
}

// lastClause reads a remark whose last part, after a comma, bracket or
// dash, is only a duration ("1 (bin im Homeoffice, 10 min)"): the delay,
// with the remark kept whole. "1, bringe 2 Laptops mit" has none.
func lastClause(line string, words []token, ws []string, from int) (match, bool) {
	for i := len(ws) - 1; i > from; i-- {
		if !strings.ContainsAny(line[words[i-1].end:words[i].start], ",;(-–.:") {
			continue
		}
		n, used, reason, ok := eta(ws[i:], false)
		if i+used < len(ws) && there[ws[i+used]] {
			used++
		}
		if !ok || reason != "" || i+used != len(ws) {
			return match{}, false
		}
		return match{kind: Delayed, minutes: n, inside: true}, true
	}
	return match{}, false
}

// remark returns line from byte from, without reply codes standing before
// its first word, separators around it, and beyond MaxRemark bytes.
func remark(line string, toks []token, from int) string {
	for _, t := range toks {
		if t.start < from {
			continue
		}
		if !t.code {
			break
		}
		from = t.end
	}
	s := strings.TrimFunc(line[from:], func(r rune) bool { return filler(r) || strings.ContainsRune(",.;:!?-–—/", r) })
	if strings.IndexFunc(s, func(r rune) bool { return !filler(r) && !unicode.IsPunct(r) }) < 0 {
		return ""
	}
	return Clip(s, MaxRemark)
}

// filler is a space or an emoji modifier (skin tone, variation selector,
// the keycap that makes "1" of 1️⃣).
func filler(r rune) bool {
	return unicode.IsSpace(r) || unicode.Is(unicode.Sk, r) || r == '\ufe0f' || r == '\u20e3'
}

// Clip shortens s to at most n bytes without cutting a character.
func Clip(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n]
}

func unknown(r Reply, reason string) Reply {
	r.Kind, r.Minutes, r.NoETA, r.Code, r.Remark, r.Reason = Unknown, 0, false, "", "", reason
	return r
}

// keyword recognises the carrier-style opt-out/opt-in and help words; they
// only count as the whole message. The opt-out words are Twilio's (which
// blocks the number on them) and the German "stopp".
func keyword(w string) (Kind, bool) {
	switch w {
	case "stop", "stopp", "stopall", "unsubscribe", "cancel", "end", "quit", "revoke", "optout":
		return Stop, true
	case "start", "unstop":
		return Start, true
	case "help", "hilfe", "info":
		return Help, true
	}
	return "", false
}

// secondSMSLine returns the second line of text that has any content, or "".
func secondSMSLine(text string) string {
	n := 0
	for line := range strings.FieldsFuncSeq(text, func(r rune) bool { return r == '\n' || r == '\r' }) {
		if strings.TrimSpace(line) != "" {
			if n++; n == 2 {
				return line
			}
		}
	}
	return ""
}

// firstSMSLine returns the first line of text that has any content.
func firstSMSLine(text string) string {
	for line := range strings.FieldsFuncSeq(text, func(r rune) bool { return r == '\n' || r == '\r' }) {
		if strings.TrimSpace(line) != "" {
			return line
		}
	}
	return ""
}
