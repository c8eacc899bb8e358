package notifiers

import "strings"

// Mask hides most of a phone number or mailbox for logs and stored events:
// "+4915112345234" → "+49151*****234", "anna@mi.example.de" → "a***@mi.example.de".
func Mask(to string) string {
	if strings.ContainsRune(to, '@') {
		return MaskAddress(to)
	}
	return MaskNumber(to)
}

// MaskNumber keeps a number's country and network prefix and its last three
// digits; shorter inputs keep proportionally less, six runes or fewer nothing.
func MaskNumber(number string) string {
	r := []rune(strings.TrimSpace(number))
	n := len(r)
	switch {
	case n == 0:
		return ""
	case n <= 6:
		return strings.Repeat("*", n)
	}
	head, tail := 6, 3
	if n < 12 {
		head, tail = n/3, n/4
	}
	return string(r[:head]) + strings.Repeat("*", n-head-tail) + string(r[n-tail:])
}

// MaskAddress keeps the first letter and the domain of an address (a display
// name is dropped); anything that is not an address becomes "***".
func MaskAddress(addr string) string {
	addr = strings.TrimSpace(addr)
	if i := strings.LastIndexByte(addr, '<'); i >= 0 {
		addr = strings.TrimSuffix(addr[i+1:], ">")
	}
	at := strings.LastIndexByte(addr, '@')
	if at <= 0 {
		return "***"
	}
	r := []rune(addr[:at])
	return string(r[0]) + "***" + addr[at:]
}
