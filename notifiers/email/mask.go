package email

import (
	"regexp"
	"strings"
)

// MaskAddress shortens an email address for logs: "anna@example.de" becomes
// "a***@example.de". Anything that is not an address becomes "***".
func MaskAddress(addr string) string {
	addr = strings.TrimSpace(addr)
	if i := strings.LastIndexByte(addr, '<'); i >= 0 {
		addr = strings.TrimSuffix(addr[i+1:], ">")
	}
	at := strings.LastIndexByte(addr, '@')
	if at <= 0 {
		if at == 0 {
			return "***" + addr
		}
		return "***"
	}
	r := []rune(addr[:at])
	return string(r[0]) + "***" + addr[at:]
}

// maskText masks every address in free text such as an SMTP reply.
func maskText(s string, re *regexp.Regexp) string {
	return re.ReplaceAllStringFunc(s, MaskAddress)
}

func addressPattern() *regexp.Regexp {
	return regexp.MustCompile(`[^\s<>"',;:()\[\]]+@[A-Za-z0-9.-]+`)
}
