package answer

import (
	"context"
	"strings"
	"testing"

	"github.com/kaskade-bcm/kaskade/activation"
)

// With Advanced Opt-Out on a Messaging Service, Twilio opts a number out or
// in on its own (also German) keywords and says so in OptOutType; Kaskade
// follows it, also for words its grammar does not know, and leaves the
// confirmation to Twilio.
func TestSMSFollowsTwilioOptOutType(t *testing.T) {
	steps := []struct {
		body, optOut string
		stopped      bool
		reply        string // substring; "" = no reply
		answer       activation.ResponseKind
	}{
		{"Abmelden", "STOP", true, "", ""},
		{"Anmelden", "START", false, "(K1)", ""},
		{"stopp", "STOP", true, "", ""},                        // Twilio confirmed: no second confirmation
		{"yes", "START", false, "Danke", activation.Available}, // opted in and answered
		{"1", "", false, "Danke", activation.Available},
	}
	svc, eng, _ := setup(t, false)
	for i, st := range steps {
		text, err := svc.SMSReplyOptOut(context.Background(), lead, st.body, "SMo"+string(rune('a'+i)), st.optOut)
		if err != nil {
			t.Fatal(err)
		}
		if st.reply == "" && text != "" || !strings.Contains(text, st.reply) {
			t.Fatalf("step %d %q: reply %q, want %q", i, st.body, text, st.reply)
		}
		var stopped bool
		var got activation.ResponseKind
		eng.View(func(c *activation.Core) {
			stopped = c.SMSStopped("mi-uwe-boehm")
			got, _, _, _ = c.Answer("K1", "mi-uwe-boehm")
		})
		if stopped != st.stopped || got != st.answer {
			t.Fatalf("step %d %q: stopped %v answer %q, want %v %q", i, st.body, stopped, got, st.stopped, st.answer)
		}
	}
}

// Twilio opts a number in again on "YES" (a default opt-in word, with or
// without Advanced Opt-Out): after STOP, "yes" answers and ends the STOP.
func TestYesAfterStopOptsIn(t *testing.T) {
	svc, eng, _ := setup(t, false)
	for i, body := range []string{"STOP", " Yes "} {
		if _, err := svc.SMSReply(context.Background(), lead, body, "SMy"+string(rune('a'+i))); err != nil {
			t.Fatal(err)
		}
	}
	var stopped bool
	var got activation.ResponseKind
	eng.View(func(c *activation.Core) {
		stopped = c.SMSStopped("mi-uwe-boehm")
		got, _, _, _ = c.Answer("K1", "mi-uwe-boehm")
	})
	if stopped || got != activation.Available {
		t.Fatalf("after STOP and yes: stopped %v, answer %q; want opted in and available", stopped, got)
	}
}
