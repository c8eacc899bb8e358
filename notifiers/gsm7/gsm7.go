package gsm7

import "strings"

// gsmBasicNonASCII are the runes of the GSM 03.38 default alphabet outside
// printable ASCII. Every printable ASCII rune except the backtick and the
// extension runes below is in the default alphabet too.
const gsmBasicNonASCII = "£¥èéùìòÇØøÅåΔΦΓΛΩΠΨΣΘΞÆæßÉ¤¡ÄÖÑÜ§¿äöñüà"

// gsmExtension is the GSM 03.38 extension table. Every rune costs two
// septets (escape + character).
const gsmExtension = "\f^{}\\[~]|€"

// septets returns how many septets r costs in GSM-7, or 0 when r is not
// representable.
func septets(r rune) int {
	switch {
	case r == '\n' || r == '\r':
		return 1
	case r < 0x80 && strings.ContainsRune(gsmExtension, r):
		return 2
	case r == '`':
		return 0
	case r >= 0x20 && r < 0x7f:
		return 1
	case r < 0x80:
		if r == '\f' {
			return 2
		}
		return 0
	case r == '€':
		return 2
	case strings.ContainsRune(gsmBasicNonASCII, r):
		return 1
	}
	return 0
}

// IsGSM7 reports whether every rune of s is in the GSM-7 default alphabet or
// its extension table.
func IsGSM7(s string) bool {
	for _, r := range s {
		if septets(r) == 0 {
			return false
		}
	}
	return true
}
