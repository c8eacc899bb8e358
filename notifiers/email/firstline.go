package email

import (
	"bufio"
	"strings"
	"unicode"
)

// firstLine returns the first line a person wrote: empty lines and quoted
// lines ('>') are skipped. An attribution ("Am … schrieb …:", "On … wrote:")
// followed by quoted lines is skipped too, so that an answer written below
// the quote (Thunderbird's default) is found; an attribution followed by an
// unquoted original, a forwarded/original-message marker or a signature
// ends the search.
func firstLine(text string) string {
	sc := bufio.NewScanner(strings.NewReader(text))
	sc.Buffer(make([]byte, 0, 4096), 1<<20)
	var lines []string
	for sc.Scan() {
		lines = append(lines, cleanLine(sc.Text()))
	}
	for i := 0; i < len(lines); i++ {
		line := lines[i]
		if line == "" || strings.HasPrefix(line, ">") {
			continue
		}
		if line == pgpSigned {
			i = endOfArmorHeader(lines, i)
			continue // the signed text follows
		}
		next := nextLine(lines, i)
		if n := attribution(line, next); n > 0 {
			if quoted(nextNonEmpty(lines, i+n)) {
				i += n - 1
				continue
			}
			return ""
		}
		if endOfReply(line, next) {
			return ""
		}
		if salutation(line) {
			continue // "Hallo," above the answer
		}
		line = strings.Map(noControl, line)
		if len(line) > maxFirstLine {
			line = truncateUTF8(line, maxFirstLine)
		}
		return line
	}
	return ""
}

// pgpSigned opens an inline OpenPGP-signed text (RFC 4880 7), followed by
// armor headers ("Hash: SHA256") and an empty line.
const pgpSigned = "-----BEGIN PGP SIGNED MESSAGE-----"

// endOfArmorHeader returns the index of the empty line after the armor
// headers that follow lines[i].
func endOfArmorHeader(lines []string, i int) int {
	for i+1 < len(lines) && lines[i+1] != "" {
		i++
	}
	return i
}

// cleanLine trims a line, including a byte-order mark and no-break spaces.
func cleanLine(raw string) string {
	line := strings.TrimSpace(strings.TrimPrefix(raw, "\uFEFF"))
	return strings.TrimSpace(strings.ReplaceAll(line, "\u00a0", " "))
}

func nextLine(lines []string, i int) string {
	if i+1 < len(lines) {
		return lines[i+1]
	}
	return ""
}

func nextNonEmpty(lines []string, from int) string {
	for ; from < len(lines); from++ {
		if lines[from] != "" {
			return lines[from]
		}
	}
	return ""
}

func quoted(line string) bool { return strings.HasPrefix(line, ">") }

// attribution reports how many lines (1, or 2 when the client wrapped it)
// the attribution starting at line takes: "Am … schrieb X <a@b>:",
// "On … wrote:", "X <a@b> schrieb am …:"; 0 when line is none.
func attribution(line, next string) int {
	l, n := strings.ToLower(line), strings.ToLower(next)
	said := func(s string) bool { return strings.Contains(s, "schrieb") || strings.Contains(s, "wrote") }
	if !strings.HasPrefix(l, "am ") && !strings.HasPrefix(l, "on ") {
		// "Kaskade <k@x.de> schrieb am 03.12.2026 21:00:00:" (Notes),
		// "Kaskade <k@x.de> wrote:": a sender's address before the verb.
		if said(l) && strings.HasSuffix(l, ":") && strings.Contains(l, "@") {
			return 1
		}
		return 0
	}
	switch {
	case said(l) && strings.HasSuffix(l, ":"):
		return 1
	case said(l) && strings.HasSuffix(n, ":") && strings.Contains(n, "@") &&
		!strings.Contains(strings.TrimSuffix(n, ":"), " "):
		return 2 // "Am … schrieb X <" / "a@b>:"
	case strings.HasSuffix(n, "schrieb:") || strings.HasSuffix(n, "wrote:"):
		return 2 // "On … X <a@b>" / "wrote:"
	}
	return 0
}

// noControl replaces control characters (a lone CR, NUL, ESC) by spaces.
func noControl(r rune) rune {
	if unicode.IsControl(r) {
		return ' '
	}
	return r
}

// endOfReply recognises a signature, a separator or the header block of an
// unquoted original ("Von: … <a@b>", "Gesendet: …").
func endOfReply(line, next string) bool {
	if line == "--" || strings.HasPrefix(line, "-----") || strings.HasPrefix(line, "________") {
		return true
	}
	l := strings.ToLower(line)
	for _, p := range []string{"von:", "from:", "gesendet:", "sent:"} {
		if strings.HasPrefix(l, p) && (strings.Contains(next+l, "@") || headerLine(next)) {
			return true
		}
	}
	return false
}

// headerLine reports a line of a quoted header block ("Gesendet: …"), as
// Outlook writes it below "Von: Name" when it shows no address.
func headerLine(line string) bool {
	l := strings.ToLower(line)
	for _, p := range []string{"gesendet:", "sent:", "datum:", "date:", "an:", "to:", "betreff:", "subject:"} {
		if strings.HasPrefix(l, p) {
			return true
		}
	}
	return false
}

// greetings open a salutation line.
var greetings = []string{"hallo", "hi", "hey", "moin", "servus", "guten morgen", "guten tag", "guten abend",
	"liebe", "lieber", "liebes", "sehr geehrte", "hello", "dear", "good morning", "good evening"}

// salutation reports a line that only greets ("Hallo,", "Moin", "Hallo
// Herr Schmidt,"), so the answer below it is taken.
func salutation(line string) bool {
	l := strings.ToLower(line)
	words := strings.Fields(strings.TrimRight(l, ",!. "))
	if len(words) == 0 || len(words) > 4 || strings.ContainsAny(l, "0123456789") {
		return false
	}
	for _, g := range greetings {
		rest, ok := strings.CutPrefix(strings.Join(words, " "), g)
		if ok && (rest == "" || strings.HasPrefix(rest, " ") && strings.ContainsAny(l[len(l)-1:], ",!")) {
			return true
		}
	}
	return false
}
