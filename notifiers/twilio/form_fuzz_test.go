package twilio

import (
	"net/url"
	"strings"
	"testing"
)

// FuzzDecodeForm: decodeForm never panics, refuses more than MaxFormParams
// parameters or DefaultMaxBody bytes, and otherwise agrees with url.ParseQuery.
func FuzzDecodeForm(f *testing.F) {
	f.Add([]byte("MessageSid=SM1&From=%2B4915112345234&Body=1"))
	f.Add([]byte("a=1&a=2&b"))
	f.Add([]byte("%zz=1"))
	f.Add([]byte("a=1;b=2"))
	f.Add([]byte(strings.Repeat("a=1&", 120)))
	f.Add([]byte(""))
	f.Fuzz(func(t *testing.T, body []byte) {
		form, err := decodeForm(body)
		if err != nil {
			return
		}
		n := 0
		for _, vs := range form {
			n += len(vs)
		}
		if n > MaxFormParams {
			t.Fatalf("accepted %d parameters", n)
		}
		if len(body) > DefaultMaxBody {
			t.Fatalf("accepted %d bytes", len(body))
		}
		want, werr := url.ParseQuery(string(body))
		if werr != nil {
			t.Fatalf("accepted a body url.ParseQuery refuses: %v", werr)
		}
		if len(want) != len(form) {
			t.Fatalf("decoded %d keys, url.ParseQuery %d", len(form), len(want))
		}
	})
}
