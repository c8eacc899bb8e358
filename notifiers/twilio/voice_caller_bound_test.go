package twilio_test

import (
	"fmt"
	"net/url"
	"strings"
	"testing"

	"github.com/kaskade-bcm/kaskade/notifiers/twilio"
	"github.com/kaskade-bcm/kaskade/notifiers/twilio/twiliotest"
)

// TestCallInManyOpenAlertsBounded: a caller with many open alerts hears a
// few of them and how many more, not every title (130 open made 14 kB of
// TwiML and minutes of listening); keying any code still works.
func TestCallInManyOpenAlertsBounded(t *testing.T) {
	for _, tc := range []struct {
		open   int
		listed int
		more   string
	}{{3, 3, ""}, {40, 5, "und 35 weitere"}} {
		var open []twilio.OpenAlert
		for i := range tc.open {
			id := fmt.Sprintf("K%d", i+1)
			open = append(open, twilio.OpenAlert{Incident: id, Code: id, Title: "Hochwasser an der Leine", Exercise: true})
		}
		const base, token = "https://kaskade.example.de", "tok"
		hooks := twilio.NewWebhooks(twilio.WebhookOptions{PublicURL: base, AuthTokens: []string{token}}).
			Voice(twilio.VoiceWebhookOptions{Callers: &callers{number: "+4915100001001", open: open}})
		form := url.Values{"From": {"+4915100001001"}, "CallSid": {"CA1"}}
		rr := post(t, hooks.Caller(), twilio.VoiceCallerPath, form, twiliotest.Signature(token, base+twilio.VoiceCallerPath, form))
		body := rr.Body.String()
		more := tc.more
		if more == "" {
			more = "weitere"
		}
		if n := strings.Count(body, "Alarmierung K"); n != tc.listed || strings.Contains(body, more) != (tc.more != "") {
			t.Fatalf("%d open: %d listed, want %d and %q: %s", tc.open, n, tc.listed, tc.more, body)
		}
	}
}
