package compose

import (
	"strings"

	"github.com/kaskade-bcm/kaskade/notifiers"
)

// voiceText is a rendered SMS template made fit to be spoken: one line,
// no SMS answer hint (the call offers a keypad menu instead); a converted
// exercise still says first that it is real now.
func voiceText(p notifiers.Purpose, lang, text string) string {
	text = strings.Join(strings.Fields(text), " ")
	if p == notifiers.PurposeConvert {
		text = RealPrefix(lang) + text
	}
	return text
}
