package compose

import "strings"

// voiceText is a rendered SMS template made fit to be spoken: one line,
// no SMS answer hint (the call offers a keypad menu instead).
func voiceText(text string) string {
	return strings.Join(strings.Fields(text), " ")
}
