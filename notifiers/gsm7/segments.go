package gsm7

import "unicode/utf16"

// Encodings reported by Segments.
const (
	EncodingGSM7 = "GSM-7"
	EncodingUCS2 = "UCS-2"
)

// Segment sizes of GSM 03.40 with a concatenation header (UDH).
const (
	gsmSingle  = 160 // septets in a single-part message
	gsmPart    = 153 // septets per part of a concatenated message
	ucs2Single = 70  // UTF-16 code units in a single-part message
	ucs2Part   = 67  // UTF-16 code units per part
)

// Segments reports how s would be sent: its encoding (EncodingGSM7 when
// every rune is in the GSM-7 alphabet or extension table, else
// EncodingUCS2), the number of SMS parts, and its length in units (septets
// for GSM-7 with extension runes counting 2; UTF-16 code units for UCS-2,
// so characters outside the BMP count 2). A message fits in one part up to
// 160 septets or 70 units; longer ones are split into parts of 153 septets
// or 67 units, and an escape sequence or surrogate pair is never split
// across parts. The empty string has 0 parts.
func Segments(s string) (encoding string, segments int, units int) {
	if IsGSM7(s) {
		segments, units = count(s, septets, gsmSingle, gsmPart)
		return EncodingGSM7, segments, units
	}
	segments, units = count(s, utf16Units, ucs2Single, ucs2Part)
	return EncodingUCS2, segments, units
}

func utf16Units(r rune) int {
	if n := utf16.RuneLen(r); n > 0 {
		return n
	}
	return 1 // invalid runes are sent as U+FFFD
}

// count totals the units of s and packs them greedily into parts so that no
// rune straddles a part boundary.
func count(s string, cost func(rune) int, single, part int) (segments, units int) {
	for _, r := range s {
		units += cost(r)
	}
	switch {
	case units == 0:
		return 0, 0
	case units <= single:
		return 1, units
	}
	segments, fill := 1, 0
	for _, r := range s {
		c := cost(r)
		if fill+c > part {
			segments++
			fill = 0
		}
		fill += c
	}
	return segments, units
}
