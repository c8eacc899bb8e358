package reply

import "strings"

// FirstLine returns the answer line of a plain-text email reply: the first
// non-empty line that is not quoted ("> …"), looking no further than the
// start of the quoted original ("Am … schrieb …:", "On … wrote:", an
// "-----Original Message-----" or "Von:"/"From:" header block, or the "-- "
// signature delimiter). It returns "" when there is no such line.
func FirstLine(body string) string {
	lines := strings.Split(strings.ReplaceAll(body, "\r\n", "\n"), "\n")
	for i, line := range lines {
		t := strings.TrimSpace(strings.TrimPrefix(line, "\ufeff"))
		if t == "" || strings.HasPrefix(t, ">") {
			continue
		}
		next := ""
		if i+1 < len(lines) {
			next = strings.TrimSpace(lines[i+1])
		}
		if line == "-- " || isQuoteHeader(t, next) {
			return ""
		}
		return t
	}
	return ""
}

// isQuoteHeader recognises the line that introduces the quoted original.
// Mail clients wrap long attribution lines, so the next line is considered
// too.
func isQuoteHeader(line, next string) bool {
	l := strings.ToLower(line)
	joined := l + " " + strings.ToLower(next)
	switch {
	case strings.HasPrefix(l, "am ") && (strings.HasSuffix(l, "schrieb:") || strings.HasSuffix(joined, "schrieb:") ||
		strings.Contains(l, " schrieb ") && (strings.HasSuffix(l, ":") || strings.HasSuffix(joined, ":"))):
		return true
	case strings.HasPrefix(l, "on ") && (strings.HasSuffix(l, "wrote:") || strings.HasSuffix(joined, "wrote:")):
		return true
	case strings.HasPrefix(l, "-----") && (strings.Contains(l, "original") || strings.Contains(l, "ursprüngliche")):
		return true
	case strings.HasPrefix(l, "von:") || strings.HasPrefix(l, "from:"):
		return true
	case strings.HasPrefix(l, "________________"):
		return true // Outlook separator
	}
	return false
}
