package simulate

import (
	"net/url"
	"testing"
	"time"

	"github.com/kaskade-bcm/kaskade/notifiers/twilio"
)

func TestParseMix(t *testing.T) {
	m, err := ParseMix("available=70, delayed=15,unavailable=10,silent=5")
	if err != nil || m != (Mix{70, 15, 10, 5}) {
		t.Fatalf("ParseMix = %+v %v", m, err)
	}
	for _, bad := range []string{"", "available", "maybe=10", "available=-1", "available=0"} {
		if _, err := ParseMix(bad); err == nil {
			t.Errorf("ParseMix(%q) accepted", bad)
		}
	}
}

func TestParseDelay(t *testing.T) {
	lo, hi, err := ParseDelay("20s-5m")
	if err != nil || lo != 20*time.Second || hi != 5*time.Minute {
		t.Fatalf("ParseDelay = %v %v %v", lo, hi, err)
	}
	if lo, hi, err = ParseDelay("1s"); err != nil || lo != hi {
		t.Fatalf("single delay: %v %v %v", lo, hi, err)
	}
	for _, bad := range []string{"5m-20s", "x-1s", "-1s"} {
		if _, _, err := ParseDelay(bad); err == nil {
			t.Errorf("ParseDelay(%q) accepted", bad)
		}
	}
}

// Twilio's published example: the simulator signs exactly as Twilio does.
func TestSignatureMatchesTwilioExample(t *testing.T) {
	params := url.Values{"CallSid": {"CA1234567890ABCDE"}, "Caller": {"+12349013030"}, "Digits": {"1234"},
		"From": {"+12349013030"}, "To": {"+18005551212"}}
	if got := twilio.Signature("12345", "https://mycompany.com/myapp.php?foo=1&bar=2", params); got != "0/KCTR6DLpKmkAf8muzZqo1nDgQ=" {
		t.Fatalf("signature %s", got)
	}
}

func TestDrawFollowsTheMix(t *testing.T) {
	s := New(Options{Mix: Mix{Available: 1}})
	for range 20 {
		if a, _ := s.draw(); a != "available" {
			t.Fatalf("draw = %q with an all-available mix", a)
		}
	}
	s = New(Options{Mix: Mix{Delayed: 1}})
	if a, m := s.draw(); a != "delayed" || m < 5 || m > 60 {
		t.Fatalf("delayed draw = %q %d", a, m)
	}
	if nearestChoice(50) != 45 || nearestChoice(200) != 120 {
		t.Fatal("nearestChoice")
	}
}
