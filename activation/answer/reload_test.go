package answer

import (
	"context"
	"strings"
	"testing"

	"github.com/kaskade-bcm/kaskade/activation"
	"github.com/kaskade-bcm/kaskade/config"
)

// TestSetConfigAttributesByTheNewNumbers: after a reload that corrects a
// person's mobile, an SMS from the new number counts for the running
// incident and the old number is a stranger.
func TestSetConfigAttributesByTheNewNumbers(t *testing.T) {
	svc, eng, _ := setup(t, true)
	name, data := config.Example()
	text := strings.Replace(string(data), "mobile: +49 151 0000 1016", "mobile: +49 151 0000 1999", 1)
	next, probs, err := config.LoadBytes(name, []byte(text), nil)
	if err != nil || probs.Err() != nil {
		t.Fatal(err, probs)
	}
	svc.SetConfig(next)
	if _, err := svc.SMSReply(context.Background(), lead, "1", "SM-old"); err != nil {
		t.Fatal(err)
	}
	if last := eng.inputs[len(eng.inputs)-1]; last.Inbound == nil || last.Inbound.Outcome != OutcomeUnknownSender {
		t.Fatalf("the old number: %+v, want an unknown sender", last.Inbound)
	}
	if _, err := svc.SMSReply(context.Background(), "+4915100001999", "1", "SM-new"); err != nil {
		t.Fatal(err)
	}
	var got activation.ResponseKind
	eng.View(func(c *activation.Core) { got, _, _, _ = c.Answer("K1", "mi-uwe-boehm") })
	if got != activation.Available {
		t.Fatalf("answer from the new number: %q", got)
	}
}
