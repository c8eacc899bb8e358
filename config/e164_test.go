package config

import (
	"fmt"
	"math/rand/v2"
	"testing"

	"github.com/nyaruka/phonenumbers"
)

// TestParseE164MatchesParse: for numbers written as +<digits>, the fast
// path gives exactly what phonenumbers.Parse gives (number, or the same
// error), over random numbers of many countries, with national parts that
// start with national prefixes, zeros and carrier codes.
func TestParseE164MatchesParse(t *testing.T) {
	m := newMobileNormaliser()
	if len(m.prefixes) < 200 {
		t.Fatalf("only %d country codes known to the fast path", len(m.prefixes))
	}
	rng := rand.New(rand.NewPCG(1, 2))
	codes := []string{"0", "049", "01", "49", "43", "41", "33", "44", "39", "48", "7", "1", "31", "353", "380", "90", "86", "61", "55", "52", "27", "998", "888", "999"}
	starts := []string{"", "0", "1", "8", "15", "17", "180020", "9", "6", "3"}
	fast := 0
	for i := range 20000 {
		raw := "+" + codes[i%len(codes)] + starts[rng.IntN(len(starts))]
		for n := 4 + rng.IntN(10); n > 0; n-- {
			raw += fmt.Sprint(rng.IntN(10))
		}
		got, gotErr := m.normalise(raw, "DE")
		want, wantErr := checkMobile(raw, "DE", nil, "", false, phonenumbers.GetNumberType)
		if got != want || fmt.Sprint(gotErr) != fmt.Sprint(wantErr) {
			t.Fatalf("%s: fast path %q, %v; Parse %q, %v", raw, got, gotErr, want, wantErr)
		}
		if _, _, ok := m.parseE164(raw); ok {
			fast++
		}
	}
	if fast < 5000 {
		t.Fatalf("only %d of 20,000 numbers took the fast path", fast)
	}
	for _, raw := range []string{"+4915100001234", "+436641234567", "+447700900123", "+15005550006"} {
		if _, _, ok := m.parseE164(raw); !ok {
			t.Errorf("%s should take the fast path", raw)
		}
	}
}

// TestNumberTypeImpliesValidity backs normaliseMobile's use of
// GetNumberType alone: it is UNKNOWN exactly for invalid numbers.
func TestNumberTypeImpliesValidity(t *testing.T) {
	for _, raw := range []string{
		"+4915100001234", "015100001234", "+49 511 1234567", "+4930123", "+15005550006", "+14155552671",
		"+447700900123", "+441624123456", "+3906123456", "+390612345678", "+80012345678", "+882123456",
		"+12423570000", "+16845551234", "+9991234", "+4915299000001", "+491515", "0800 1234567", "+7 701 1234567",
	} {
		n, err := phonenumbers.Parse(raw, "DE")
		if err != nil {
			continue
		}
		if valid, typ := phonenumbers.IsValidNumber(n), phonenumbers.GetNumberType(n); valid != (typ != phonenumbers.UNKNOWN) {
			t.Errorf("%s: valid=%v type=%v", raw, valid, typ)
		}
	}
}
