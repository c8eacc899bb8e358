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
