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
	{[]string{"half", "an", "hour"}, 30}, {[]string{"halbe", "stunde"}, 30}, {[]string{"halben", "stunde"}, 30},
	{[]string{"half", "hour"}, 30}, {[]string{"einer", "stunde"}, 60}, {[]string{"eine", "stunde"}, 60},
	{[]string{"an", "hour"}, 60}, {[]string{"one", "hour"}, 60}, {[]string{"anderthalb", "stunden"}, 90},
	{[]string{"eineinhalb", "stunden"}, 90},
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
// ("ja, komme später", "ja, komme in 30 min", "yes, later 30"), or a time
// after a "but" ("ja... aber erst in 30 min", "yes but in 1h"). An arrival
// time alone ("komme, bin in 20 min da") is a remark: the leading yes decides.
func later(rest []string) (match, bool) {
	skip, conditional := 0, false
	for skip < len(rest) && (leadFillers[rest[skip]] || but[rest[skip]]) {
		conditional = conditional || but[rest[skip]]
		skip++
	}
	w := rest[skip:]
	if len(w) == 0 {
		return match{}, false
	}
	if m, ok := delayed(w); ok && m.kind == Delayed && (conditional || delayWords[w[0]]) {
		m.used += skip
		return m, true
	}
	for _, ph := range phrases {
		if ph.kind == Delayed && !allDigits(ph.words[0]) && hasPrefix(w, ph.words) {
			return match{kind: Delayed, noETA: true, used: skip + len(ph.words)}, true
		}
	}
	return match{}, false
}
