// Package gsm7 owns the text rules of short messages that are independent of
// any provider: transliteration to the GSM-7 alphabet, so an alert in German
// stays in cheap, reliable 7-bit segments, and the segment arithmetic used to
// keep templates within budget. It is pure: no I/O, no provider types.
package gsm7
