package config

import (
	"strings"
	"unicode"
)

// checkName checks a display name (person, organisation, function,
// scenario): blank is missing when required, and control characters other
// than line breaks (which spreadsheet exports put in names) are refused, as
// the API refuses them in texts: ESC, NUL or tabs reach SMS, board, reports
// and terminals (kaskade status). Bidi override and isolate characters are
// a warning: they make a name display reversed.
func (v *validator) checkName(path, name string, required bool, missing string) {
	if strings.TrimSpace(name) == "" {
		if required || name != "" {
			v.errorf(path, "%s", missing)
		}
		return
	}
	if i := strings.IndexFunc(name, isNameControl); i >= 0 {
		v.errorf(path, "name %q contains the control character U+%04X; remove it", name, []rune(name[i:])[0])
		return
	}
	if i := strings.IndexFunc(name, isBidiControl); i >= 0 {
		v.warnf(path, "name %q contains the bidi control U+%04X, which makes it display reversed; write right-to-left names without it", name, []rune(name[i:])[0])
	}
}

// isNameControl reports a control character other than a line break.
func isNameControl(r rune) bool { return unicode.IsControl(r) && r != '\n' && r != '\r' }

// isBidiControl reports the explicit directional embeddings, overrides and
// isolates (U+202A–U+202E, U+2066–U+2069); right-to-left scripts need none.
func isBidiControl(r rune) bool {
	return r >= 0x202A && r <= 0x202E || r >= 0x2066 && r <= 0x2069
}

// checkNames checks a German (required) and English (optional) name.
func (v *validator) checkNames(path string, n Localized) {
	v.checkName(path+".de", n.DE, true, "German name is required")
	v.checkName(path+".en", n.EN, false, "English name is blank; leave it out to use the German one")
}
