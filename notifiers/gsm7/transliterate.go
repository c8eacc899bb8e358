package gsm7

import (
	"strings"
	"unicode"

	"golang.org/x/text/unicode/norm"
)

// Transliterate rewrites s so that it is representable in GSM-7. Runes of
// the default alphabet (including ä ö ü Ä Ö Ü ß é) and of the extension
// table (€ [ ] { } …) are kept. Typographic punctuation is mapped to its
// plain form („“” → ", ‚‘’ → ', – — → -, … → ..., non-breaking and other
// spaces → space); letters with diacritics outside the alphabet lose their
// marks (á → a, č → c); anything else becomes '?'.
func Transliterate(s string) string {
	if IsGSM7(s) {
		return s
	}
	var b strings.Builder
	b.Grow(len(s))
	for _, r := range s {
		writeGSM(&b, r)
	}
	return b.String()
}

func writeGSM(b *strings.Builder, r rune) {
	if septets(r) > 0 {
		b.WriteRune(r)
		return
	}
	if m, ok := substitute(r); ok {
		b.WriteString(m)
		return
	}
	// Strip diacritics: decompose and keep the representable base runes.
	d := norm.NFD.String(string(r))
	base := strings.Builder{}
	for _, c := range d {
		if unicode.Is(unicode.Mn, c) {
			continue
		}
		if septets(c) == 0 {
			base.Reset()
			break
		}
		base.WriteRune(c)
	}
	if base.Len() > 0 {
		b.WriteString(base.String())
		return
	}
	switch {
	case unicode.IsSpace(r):
		b.WriteByte(' ')
	case unicode.IsControl(r), unicode.Is(unicode.Cf, r), unicode.Is(unicode.Mn, r):
		// Invisible: zero-width spaces, joiners, BOM, stray combining marks.
	default:
		b.WriteByte('?')
	}
}

// substitute maps runes without a GSM-7 form to their closest plain form.
func substitute(r rune) (string, bool) {
	switch r {
	case '„', '“', '”', '‟', '«', '»', '″', '〃':
		return `"`, true
	case '‚', '‘', '’', '‛', '‹', '›', '′', '`', '´':
		return "'", true
	case '‐', '‑', '‒', '–', '—', '―', '−', '⁃':
		return "-", true
	case '…':
		return "...", true
	case '\t', '\u00a0', '\u2007', '\u202f', '\u2009', '\u200a', '\u2002', '\u2003', '\u3000':
		return " ", true
	case '\u2028', '\u2029':
		return "\n", true
	case '•', '·', '‣', '∙':
		return "-", true
	case 'ł':
		return "l", true
	case 'Ł':
		return "L", true
	case 'đ':
		return "d", true
	case 'Đ':
		return "D", true
	case 'œ':
		return "oe", true
	case 'Œ':
		return "OE", true
	case 'ĳ':
		return "ij", true
	case 'ẞ':
		return "SS", true
	case '×':
		return "x", true
	case '÷':
		return "/", true
	case '©':
		return "(c)", true
	case '®':
		return "(R)", true
	case '™':
		return "TM", true
	case '°':
		return "o", true
	case '½':
		return "1/2", true
	case '¼':
		return "1/4", true
	case '¾':
		return "3/4", true
	case '→':
		return "->", true
	case '←':
		return "<-", true
	case '≤':
		return "<=", true
	case '≥':
		return ">=", true
	case '¢':
		return "c", true
	}
	return "", false
}
