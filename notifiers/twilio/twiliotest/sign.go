package twiliotest

import (
	"net/url"

	"github.com/kaskade-bcm/kaskade/notifiers/twilio"
)

// Signature computes X-Twilio-Signature for a form POST to fullURL, as
// Twilio does (see twilio.Signature).
func Signature(authToken, fullURL string, params url.Values) string {
	return twilio.Signature(authToken, fullURL, params)
}
