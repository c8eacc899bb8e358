package twilio_test

import (
	"net/http"
	"net/url"
	"strconv"
	"testing"

	"github.com/kaskade-bcm/kaskade/notifiers/twilio"
)

// Finding 5 of issue 15: a form with thousands of parameters cost CPU in the
// signature check. Too many parameters are refused before any HMAC, signed
// or not; 100 still pass.
func TestWebhookRefusesTooManyParametersBeforeSignature(t *testing.T) {
	many := func(n int) url.Values {
		f := inboundForm("+4915112345234", "1")
		for i := len(f); i < n; i++ {
			f.Set("P"+strconv.Itoa(i), "x")
		}
		return f
	}
	tests := []struct {
		name   string
		params int
		signed bool
		want   int
	}{
		{"100 signed", twilio.MaxFormParams, true, http.StatusOK},
		{"101 signed", twilio.MaxFormParams + 1, true, http.StatusRequestEntityTooLarge},
		{"8000 unsigned", 8000, false, http.StatusRequestEntityTooLarge},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rec := &recorder{}
			w := twilio.NewWebhooks(twilio.WebhookOptions{PublicURL: hookBase, AuthTokens: []string{hookToken}, Inbound: rec, Status: rec, MaxBody: 1 << 20})
			form := many(tt.params)
			sig := "AAAAAAAAAAAAAAAAAAAAAAAAAAA="
			if tt.signed {
				sig = ""
			}
			var code int
			if tt.signed {
				code = signedPost(t, w.SMS(), hookBase, "/webhooks/twilio/sms", hookToken, form).Code
			} else {
				code = post(t, w.SMS(), "/webhooks/twilio/sms", form, sig).Code
			}
			if code != tt.want {
				t.Fatalf("%d parameters: status %d, want %d", tt.params, code, tt.want)
			}
		})
	}
}

// The default body cap is 64 KiB, whatever MaxBody asks for above it.
func TestWebhookBodyCapNeverAbove64KiB(t *testing.T) {
	rec := &recorder{}
	w := twilio.NewWebhooks(twilio.WebhookOptions{PublicURL: hookBase, AuthTokens: []string{hookToken}, Inbound: rec, Status: rec, MaxBody: 1 << 20})
	big := inboundForm("+4915112345234", string(make([]byte, 65<<10)))
	if rw := signedPost(t, w.SMS(), hookBase, "/webhooks/twilio/sms", hookToken, big); rw.Code != http.StatusRequestEntityTooLarge {
		t.Fatalf("65 KiB body: status %d, want 413", rw.Code)
	}
}
