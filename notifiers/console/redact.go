package console

import (
	"regexp"
	"unicode/utf8"
)

// ackToken matches the signed token of an ack link; whoever holds the link
// can answer for the person, so the outbox keeps only "/ack/…".
var ackToken = regexp.MustCompile(`/ack/[A-Za-z0-9_\-.~%+=]+`)

// redact removes usable ack links and cuts a text to max characters: the
// outbox shows what staff would receive, not a second copy of every email.
func redact(s string, max int) string {
	s = ackToken.ReplaceAllString(s, "/ack/…")
	if max > 0 && utf8.RuneCountInString(s) > max {
		s = string([]rune(s)[:max]) + " …"
	}
	return s
}
