package answer

import (
	"crypto/sha256"
	"encoding/hex"
	"unicode/utf8"

	"github.com/kaskade-bcm/kaskade/activation"
)

// minimiseUnknown keeps of a message from an unknown sender (a third party,
// not a person in the configuration) only the masked sender already in raw,
// the text's length and its hash: enough to count and correlate, nothing to read.
func minimiseUnknown(raw activation.Inbound, body string) activation.Inbound {
	sum := sha256.Sum256([]byte(body))
	raw.Body = ""
	raw.Len = utf8.RuneCountInString(body)
	raw.Hash = "sha256:" + hex.EncodeToString(sum[:])
	return raw
}
