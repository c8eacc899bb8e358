package twilio

import "strings"

// MaskNumber hides the middle of a phone number for logs: the country and
// network prefix and the last three digits stay ("+4915112345234" →
// "+49151*****234"). Short inputs are masked proportionally; "" stays "".
func MaskNumber(e164 string) string {
	r := []rune(e164)
	n := len(r)
	head, tail := 6, 3
	if n < head+tail+3 {
		head, tail = n/3, n/4
	}
	if n == 0 {
		return ""
	}
	return string(r[:head]) + strings.Repeat("*", n-head-tail) + string(r[n-tail:])
}
