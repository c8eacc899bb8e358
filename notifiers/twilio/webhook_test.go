package twilio_test

import (
	"context"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/kaskade-bcm/kaskade/notifiers"
	"github.com/kaskade-bcm/kaskade/notifiers/twilio"
	"github.com/kaskade-bcm/kaskade/notifiers/twilio/twiliotest"
)

// Twilio's published signature example.
var (
	exampleToken  = "12345"
	exampleURL    = "https://mycompany.com/myapp.php?foo=1&bar=2"
	exampleParams = url.Values{
		"CallSid": {"CA1234567890ABCDE"},
		"Caller":  {"+12349013030"},
		"Digits":  {"1234"},
		"From":    {"+12349013030"},
		"To":      {"+18005551212"},
	}
	exampleSig = "0/KCTR6DLpKmkAf8muzZqo1nDgQ="
)

func TestSignatureMatchesTwilioExample(t *testing.T) {
	if got := twiliotest.Signature(exampleToken, exampleURL, exampleParams); got != exampleSig {
		t.Fatalf("Signature = %q, want %q", got, exampleSig)
	}
}

// recorder is an InboundSink and StatusSink that records calls.
type recorder struct {
	mu       sync.Mutex
	inbound  []twilio.InboundSMS
	statuses []twilio.StatusCallback
	reply    string
	err      error
	statusCh chan twilio.StatusCallback
}

func (r *recorder) Inbound(_ context.Context, m twilio.InboundSMS) (string, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.inbound = append(r.inbound, m)
	return r.reply, r.err
}

func (r *recorder) Status(_ context.Context, s twilio.StatusCallback) error {
	r.mu.Lock()
	r.statuses = append(r.statuses, s)
	err := r.err
	r.mu.Unlock()
	if r.statusCh != nil && err == nil {
		r.statusCh <- s
	}
	return err
}

func (r *recorder) calls() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return len(r.inbound) + len(r.statuses)
}

func post(t *testing.T, h http.Handler, target string, form url.Values, sig string) *httptest.ResponseRecorder {
	t.Helper()
	req := httptest.NewRequest(http.MethodPost, target, strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	if sig != "" {
		req.Header.Set("X-Twilio-Signature", sig)
	}
	rw := httptest.NewRecorder()
	h.ServeHTTP(rw, req)
	return rw
}

func TestWebhookSignature(t *testing.T) {
	tests := []struct {
		name   string
		tokens []string
		target string // request URI seen by the handler
		sig    string
		want   int
	}{
		{"twilio example", []string{exampleToken}, "/myapp.php?foo=1&bar=2", exampleSig, http.StatusOK},
		{"second token during rotation", []string{"newtoken", exampleToken}, "/myapp.php?foo=1&bar=2", exampleSig, http.StatusOK},
		{"unknown token", []string{"newtoken"}, "/myapp.php?foo=1&bar=2", exampleSig, http.StatusForbidden},
		{"forged", []string{exampleToken}, "/myapp.php?foo=1&bar=2", "AAAAAAAAAAAAAAAAAAAAAAAAAAA=", http.StatusForbidden},
		{"missing", []string{exampleToken}, "/myapp.php?foo=1&bar=2", "", http.StatusForbidden},
		{"wrong url", []string{exampleToken}, "/myapp.php?foo=1&bar=3", exampleSig, http.StatusForbidden},
		{"wrong path", []string{exampleToken}, "/other.php?foo=1&bar=2", exampleSig, http.StatusForbidden},
		{"no tokens", nil, "/myapp.php?foo=1&bar=2", exampleSig, http.StatusForbidden},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rec := &recorder{}
			w := twilio.NewWebhooks(twilio.WebhookOptions{PublicURL: "https://mycompany.com/", AuthTokens: tt.tokens, Inbound: rec, Status: rec})
			rw := post(t, w.SMS(), tt.target, exampleParams, tt.sig)
			if rw.Code != tt.want {
				t.Fatalf("status %d, want %d (%s)", rw.Code, tt.want, rw.Body)
			}
			wantCalls := 0
			if tt.want == http.StatusOK {
				wantCalls = 1
			}
			if rec.calls() != wantCalls {
				t.Fatalf("sink called %d times, want %d", rec.calls(), wantCalls)
			}
		})
	}
}

func TestWebhookTampered(t *testing.T) {
	rec := &recorder{}
	w := twilio.NewWebhooks(twilio.WebhookOptions{PublicURL: "https://mycompany.com", AuthTokens: []string{exampleToken}, Inbound: rec, Status: rec})
	tampered := url.Values{}
	for k, v := range exampleParams {
		tampered[k] = v
	}
	tampered.Set("Digits", "9999")
	if rw := post(t, w.SMS(), "/myapp.php?foo=1&bar=2", tampered, exampleSig); rw.Code != http.StatusForbidden {
		t.Fatalf("tampered body: status %d, want 403", rw.Code)
	}
}

// signedPost posts form to path of a Webhooks with PublicURL base, signed with token.
func signedPost(t *testing.T, h http.Handler, base, path, token string, form url.Values) *httptest.ResponseRecorder {
	t.Helper()
	return post(t, h, path, form, twiliotest.Signature(token, base+path, form))
}

const (
	hookBase  = "https://kaskade.example.de"
	hookToken = "hooktoken"
)

func inboundForm(from, body string) url.Values {
	return url.Values{"MessageSid": {"SM0123"}, "From": {from}, "To": {"+4930123456"}, "Body": {body}, "NumMedia": {"0"}}
}

func TestWebhookTwiML(t *testing.T) {
	tests := []struct {
		name, reply, want string
	}{
		{"empty", "", `<?xml version="1.0" encoding="UTF-8"?><Response/>`},
		{"plain", "Danke, Sie kommen.", `<?xml version="1.0" encoding="UTF-8"?><Response><Message>Danke, Sie kommen.</Message></Response>`},
		{"escaped", `<b>&"x"'</b>`, `<?xml version="1.0" encoding="UTF-8"?><Response><Message>&lt;b&gt;&amp;&#34;x&#34;&#39;&lt;/b&gt;</Message></Response>`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rec := &recorder{reply: tt.reply}
			w := twilio.NewWebhooks(twilio.WebhookOptions{PublicURL: hookBase, AuthTokens: []string{hookToken}, Inbound: rec})
			rw := signedPost(t, w.SMS(), hookBase, "/webhooks/twilio/sms", hookToken, inboundForm("+4915112345234", "1"))
			if rw.Code != http.StatusOK || !strings.HasPrefix(rw.Header().Get("Content-Type"), "text/xml") {
				t.Fatalf("status %d, content-type %q", rw.Code, rw.Header().Get("Content-Type"))
			}
			if rw.Body.String() != tt.want {
				t.Fatalf("body %s, want %s", rw.Body, tt.want)
			}
			var doc struct {
				XMLName xml.Name `xml:"Response"`
				Message *string  `xml:"Message"`
			}
			if err := xml.Unmarshal(rw.Body.Bytes(), &doc); err != nil {
				t.Fatal(err)
			}
			if tt.reply != "" && (doc.Message == nil || *doc.Message != tt.reply) {
				t.Fatalf("parsed message %v, want %q", doc.Message, tt.reply)
			}
			got := rec.inbound[0]
			if got.From != "+4915112345234" || got.Body != "1" || got.MessageSID != "SM0123" || got.To != "+4930123456" || got.Received.IsZero() {
				t.Fatalf("sink got %+v", got)
			}
		})
	}
}

func TestWebhookLoopGuard(t *testing.T) {
	now := time.Date(2025, 3, 3, 3, 12, 0, 0, time.UTC)
	rec := &recorder{reply: "Bitte mit 1, 2 <Minuten> oder 3 antworten."}
	w := twilio.NewWebhooks(twilio.WebhookOptions{
		PublicURL: hookBase, AuthTokens: []string{hookToken}, Inbound: rec,
		Clock: func() time.Time { return now },
	})
	send := func(from string) bool {
		rw := signedPost(t, w.SMS(), hookBase, "/webhooks/twilio/sms", hookToken, inboundForm(from, "??"))
		if rw.Code != http.StatusOK {
			t.Fatalf("status %d", rw.Code)
		}
		return strings.Contains(rw.Body.String(), "<Message>")
	}
	steps := []struct {
		advance time.Duration
		from    string
		replied bool
	}{
		{0, "+4915100000001", true},
		{time.Minute, "+4915100000001", true},
		{time.Minute, "+4915100000001", true},
		{time.Minute, "+4915100000001", false},                // 4th within 10 min
		{0, "+4915100000002", true},                           // other numbers unaffected
		{7*time.Minute + time.Second, "+4915100000001", true}, // first reply left the window
		{0, "+4915100000001", false},
	}
	for i, st := range steps {
		now = now.Add(st.advance)
		if got := send(st.from); got != st.replied {
			t.Fatalf("step %d: replied = %v, want %v", i, got, st.replied)
		}
	}
	if len(rec.inbound) != len(steps) {
		t.Fatalf("sink saw %d messages, want all %d", len(rec.inbound), len(steps))
	}
}

// A person who changes their answer is confirmed each time; only repeats of
// one reply (an auto-responder loop) and more than ten in all are held back.
func TestWebhookLoopGuardConfirmsChangedAnswers(t *testing.T) {
	now := time.Date(2025, 3, 3, 3, 12, 0, 0, time.UTC)
	sink := twilio.InboundFunc(func(_ context.Context, m twilio.InboundSMS) (string, error) {
		return "Danke: " + m.Body, nil
	})
	w := twilio.NewWebhooks(twilio.WebhookOptions{PublicURL: hookBase, AuthTokens: []string{hookToken}, Inbound: sink,
		Clock: func() time.Time { return now }})
	const person = "+4915100000001"
	steps := []struct {
		body    string
		replied bool
	}{
		{"2", true}, {"2 30", true}, {"1", true}, {"3", true}, {"2 45", true}, // each answer confirmed
		{"Urlaub", true}, {"Urlaub", true}, {"Urlaub", true}, {"Urlaub", false}, // the 4th repeat is a loop
		{"a", true}, {"b", true}, {"c", false}, // ten replies in all
	}
	for i, st := range steps {
		now = now.Add(10 * time.Second)
		rw := signedPost(t, w.SMS(), hookBase, "/webhooks/twilio/sms", hookToken, inboundForm(person, st.body))
		if got := strings.Contains(rw.Body.String(), "<Message>"); rw.Code != http.StatusOK || got != st.replied {
			t.Fatalf("step %d (%q): status %d, replied = %v, want %v", i, st.body, rw.Code, got, st.replied)
		}
	}
}

func TestWebhookSinkErrors(t *testing.T) {
	tests := []struct {
		name string
		err  error
		want int
	}{
		{"ok", nil, 0},
		{"unavailable", fmt.Errorf("nats down: %w", twilio.ErrUnavailable), http.StatusServiceUnavailable},
		{"other", errors.New("boom"), http.StatusInternalServerError},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rec := &recorder{err: tt.err}
			w := twilio.NewWebhooks(twilio.WebhookOptions{PublicURL: hookBase, AuthTokens: []string{hookToken}, Inbound: rec, Status: rec})
			sms := signedPost(t, w.SMS(), hookBase, "/webhooks/twilio/sms", hookToken, inboundForm("+4915112345234", "1"))
			status := signedPost(t, w.Status(), hookBase, "/webhooks/twilio/status?n=abc", hookToken,
				url.Values{"MessageSid": {"SM1"}, "MessageStatus": {"delivered"}, "To": {"+4915112345234"}})
			wantSMS, wantStatus := tt.want, tt.want
			if tt.want == 0 {
				wantSMS, wantStatus = http.StatusOK, http.StatusNoContent
			}
			if sms.Code != wantSMS || status.Code != wantStatus {
				t.Fatalf("sms %d, status %d; want %d, %d", sms.Code, status.Code, wantSMS, wantStatus)
			}
			if tt.err == nil && rec.statuses[0].Notification != "abc" {
				t.Fatalf("status sink got %+v", rec.statuses[0])
			}
		})
	}
}

func TestWebhookMethodAndSize(t *testing.T) {
	rec := &recorder{}
	w := twilio.NewWebhooks(twilio.WebhookOptions{PublicURL: hookBase, AuthTokens: []string{hookToken}, Inbound: rec, Status: rec, MaxBody: 1024})
	for _, h := range []http.Handler{w.SMS(), w.Status()} {
		rw := httptest.NewRecorder()
		h.ServeHTTP(rw, httptest.NewRequest(http.MethodGet, "/webhooks/twilio/sms", nil))
		if rw.Code != http.StatusMethodNotAllowed || rw.Header().Get("Allow") != http.MethodPost {
			t.Fatalf("GET: status %d, Allow %q", rw.Code, rw.Header().Get("Allow"))
		}
		big := inboundForm("+4915112345234", strings.Repeat("x", 2048))
		if rw := signedPost(t, h, hookBase, "/webhooks/twilio/sms", hookToken, big); rw.Code != http.StatusRequestEntityTooLarge {
			t.Fatalf("big body: status %d, want 413", rw.Code)
		}
	}
	if rec.calls() != 0 {
		t.Fatal("sink called")
	}
}

// TestEndToEnd sends through the Sender to the fake, which calls back into
// Kaskade's status webhook, and posts an inbound SMS to the SMS webhook.
func TestEndToEnd(t *testing.T) {
	tests := []struct {
		name       string
		opts       twiliotest.Options
		wantStatus []string
	}{
		{"in order", twiliotest.Options{}, []string{"sent", "undelivered"}},
		{"out of order", twiliotest.Options{CallbacksOutOfOrder: true}, []string{"undelivered", "sent"}},
		{"twice", twiliotest.Options{CallbacksTwice: true}, []string{"sent", "sent", "undelivered", "undelivered"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tt.opts.Outcomes = map[string]twiliotest.Outcome{"+4915112345234": {Status: "undelivered", ErrorCode: 30006}}
			f, apiURL := fake(t, tt.opts)
			rec := &recorder{reply: "Danke: komme.", statusCh: make(chan twilio.StatusCallback, 8)}
			mux := http.NewServeMux()
			ks := httptest.NewServer(mux)
			t.Cleanup(ks.Close)
			w := twilio.NewWebhooks(twilio.WebhookOptions{PublicURL: ks.URL, AuthTokens: []string{f.AuthToken()}, Inbound: rec, Status: rec})
			mux.Handle("POST /webhooks/twilio/sms", w.SMS())
			mux.Handle("POST /webhooks/twilio/status", w.Status())

			s := sender(t, f, apiURL, func(o *twilio.Options) { o.StatusCallbackURL = ks.URL + "/webhooks/twilio/status" })
			r, err := s.Notify(context.Background(), msg("inc-1/n 7", "+4915112345234", "Alarm"))
			if err != nil || r.State != notifiers.StateSent {
				t.Fatalf("got %+v, %v", r, err)
			}
			for i, want := range tt.wantStatus {
				got := <-rec.statusCh
				if got.MessageStatus != want || got.MessageSID != r.ProviderID || got.Notification != "inc-1/n 7" || got.To != "+4915112345234" {
					t.Fatalf("callback %d = %+v, want %s for %s", i, got, want, r.ProviderID)
				}
				if want == "undelivered" && got.ErrorCode != "30006" {
					t.Fatalf("callback %d ErrorCode = %q, want 30006", i, got.ErrorCode)
				}
			}

			resp, err := f.SendInbound(context.Background(), ks.URL+"/webhooks/twilio/sms", "+4915112345234", testFrom, "2 30")
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			body, _ := io.ReadAll(resp.Body)
			if resp.StatusCode != http.StatusOK || !strings.Contains(string(body), "<Message>Danke: komme.</Message>") {
				t.Fatalf("inbound: %d %s", resp.StatusCode, body)
			}
			rec.mu.Lock()
			defer rec.mu.Unlock()
			if in := rec.inbound[0]; in.Body != "2 30" || in.From != "+4915112345234" || !strings.HasPrefix(in.MessageSID, "SM") {
				t.Fatalf("inbound sink got %+v", in)
			}
		})
	}
}

func TestDeliveryState(t *testing.T) {
	for status, want := range map[string]notifiers.State{
		"queued": "", "accepted": "", "sending": "", "sent": notifiers.StateSent, "Delivered": notifiers.StateDelivered,
		"read": notifiers.StateDelivered, "undelivered": notifiers.StateFailed, "failed": notifiers.StateFailed, "canceled": notifiers.StateFailed,
	} {
		got, ok := twilio.DeliveryState(status)
		if got != want || ok != (want != "") {
			t.Errorf("DeliveryState(%q) = %q, %v; want %q", status, got, ok, want)
		}
	}
}

// Advanced Opt-Out adds OptOutType to an inbound SMS: it reaches the sink.
func TestWebhookPassesOptOutType(t *testing.T) {
	rec := &recorder{}
	w := twilio.NewWebhooks(twilio.WebhookOptions{PublicURL: hookBase, AuthTokens: []string{hookToken}, Inbound: rec})
	form := inboundForm("+4915112345234", "Abmelden")
	form.Set("OptOutType", "STOP")
	if rw := signedPost(t, w.SMS(), hookBase, "/webhooks/twilio/sms", hookToken, form); rw.Code != http.StatusOK {
		t.Fatalf("status %d", rw.Code)
	}
	if len(rec.inbound) != 1 || rec.inbound[0].OptOutType != "STOP" {
		t.Fatalf("sink got %+v, want OptOutType STOP", rec.inbound)
	}
}
