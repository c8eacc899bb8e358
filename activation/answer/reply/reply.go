package reply

import (
	"fmt"
	"strconv"
	"strings"
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
	// otherwise 0.
	Minutes int
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
	if r.Kind == Delayed {
		if r.Minutes < MinMinutes || r.Minutes > MaxMinutes {
			return false
		}
	} else if r.Minutes != 0 {
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
	if r.Kind == Delayed {
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
)

// Parse understands the first line of an SMS reply. It never fails: a text
// it cannot read is Unknown with a Reason.
func Parse(text string) Reply {
	r := Reply{Raw: text}
	words, code, codes := tokenize(firstSMSLine(text))
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
		if k, ok := keyword(words[0]); ok {
			r.Kind = k
			return r
		}
	}
	kind, minutes, reason := answer(words)
	if kind == Unknown {
		return unknown(r, reason)
	}
	r.Kind, r.Minutes, r.Code = kind, minutes, code
	return r
}

func unknown(r Reply, reason string) Reply {
	r.Kind, r.Minutes, r.Code, r.Reason = Unknown, 0, "", reason
	return r
}

// keyword recognises the carrier-style opt-out/opt-in and help words; they
// only count as the whole message.
func keyword(w string) (Kind, bool) {
	switch w {
	case "stop", "stopp", "stopall", "unsubscribe", "cancel", "end", "quit":
		return Stop, true
	case "start", "unstop":
		return Start, true
	case "help", "hilfe", "info":
		return Help, true
	}
	return "", false
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
