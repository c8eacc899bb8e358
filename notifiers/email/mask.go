package email

import (
	"regexp"

	"github.com/kaskade-bcm/kaskade/notifiers"
)

// maskText masks every address in free text such as an SMTP reply.
func maskText(s string, re *regexp.Regexp) string {
	return re.ReplaceAllStringFunc(s, notifiers.MaskAddress)
}

func addressPattern() *regexp.Regexp {
	return regexp.MustCompile(`[^\s<>"',;:()\[\]]+@[A-Za-z0-9.-]+`)
}
