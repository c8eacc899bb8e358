package notifiers

import (
	"strings"
	"testing"
)

func TestMask(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"", ""},
		{"+4915112345234", "+49151*****234"},
		{"+491511234", "+49*****34"},
		{"12345678", "12****78"},
		{"123456", "******"},
		{"12", "**"},
		{"anna@mi.example.de", "a***@mi.example.de"},
		{"Anna Beispiel <anna@mi.example.de>", "a***@mi.example.de"},
		{"Ärger@x.de", "Ä***@x.de"},
		{"@x.de", "***"},
	} {
		if got := Mask(tc.in); got != tc.want {
			t.Errorf("Mask(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
	if got := MaskAddress("not an address"); got != "***" {
		t.Errorf("MaskAddress(no @) = %q, want ***", got)
	}
	// Whatever the length, the masked form never shows more than nine of the original runes.
	for n := 1; n < 30; n++ {
		in := strings.Repeat("7", n)
		if got := MaskNumber(in); strings.Count(got, "7") > 9 || (n > 0 && strings.Count(got, "7") >= n) {
			t.Errorf("MaskNumber(%d digits) = %q shows too much", n, got)
		}
	}
}
