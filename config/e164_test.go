package config

import (
	"fmt"
	"math/rand/v2"
	"testing"
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
	codes := []string{"49", "43", "41", "33", "44", "39", "48", "7", "1", "31", "353", "380", "90", "86", "61", "55", "52", "27", "998", "888", "999"}
	starts := []string{"", "0", "1", "8", "15", "17", "180020", "9", "6", "3"}
	fast := 0
	for i := range 20000 {
		raw := "+" + codes[i%len(codes)] + starts[rng.IntN(len(starts))]
		for n := 4 + rng.IntN(10); n > 0; n-- {
			raw += fmt.Sprint(rng.IntN(10))
		}
		got, gotErr := m.normalise(raw, "DE")
		want, wantErr := checkMobile(raw, "DE", nil, "", false)
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
