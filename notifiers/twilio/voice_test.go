package twilio_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/kaskade-bcm/kaskade/notifiers"
	"github.com/kaskade-bcm/kaskade/notifiers/twilio"
	"github.com/kaskade-bcm/kaskade/notifiers/twilio/twiliotest"
)

// voiceRig is a fake Twilio, a Voice notifier and Kaskade's voice
// webhooks with recording sinks.
type voiceRig struct {
	f       *twiliotest.Server
	voice   *twilio.Voice
	kaskade string
	reg     *prometheus.Registry

	mu         sync.Mutex
	answers    []string
	deliveries []string
}

func (r *voiceRig) VoiceAnswer(_ context.Context, n, digits, sid string) (string, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.answers = append(r.answers, n+":"+digits)
	return "Danke, Antwort " + digits, nil
}

func (r *voiceRig) Delivery(_ context.Context, n string, st notifiers.State, sid, code, _ string) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.deliveries = append(r.deliveries, n+":"+string(st)+":"+code)
	return nil
}

func (r *voiceRig) got() ([]string, []string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]string(nil), r.answers...), append([]string(nil), r.deliveries...)
}

func newVoiceRig(t *testing.T) *voiceRig {
	t.Helper()
	f, apiURL := fake(t, twiliotest.Options{})
	rig := &voiceRig{f: f, reg: prometheus.NewRegistry()}
	metrics := twilio.NewVoiceMetrics(rig.reg)
	mux := http.NewServeMux()
	hs := httptest.NewServer(mux)
	t.Cleanup(hs.Close)
	rig.kaskade = hs.URL
	scripts := twilio.NewScripts(0)
	v, err := twilio.NewVoice(twilio.Options{AccountSID: f.AccountSID(), AuthToken: f.AuthToken(), From: testFrom, APIURL: apiURL},
		twilio.VoiceOptions{PublicURL: hs.URL, Scripts: scripts, Metrics: metrics})
	if err != nil {
		t.Fatal(err)
	}
	rig.voice = v
	hooks := twilio.NewWebhooks(twilio.WebhookOptions{PublicURL: hs.URL, AuthTokens: []string{f.AuthToken()}}).
		Voice(twilio.VoiceWebhookOptions{Answers: rig, Delivery: rig, Scripts: scripts, Metrics: metrics, Calls: v})
	mux.Handle("POST "+twilio.VoiceGatherPath, hooks.Gather())
	mux.Handle("POST "+twilio.VoiceStatusPath, hooks.Status())
	mux.Handle("POST "+twilio.VoiceAMDPath, hooks.AMD())
	return rig
}

func (r *voiceRig) call(t *testing.T, id, to string, exercise bool) twiliotest.Call {
	t.Helper()
	rc, err := r.voice.Notify(context.Background(), notifiers.Message{ID: id, To: to, Text: "Notfall MI: Cyberangriff. Stab bilden.",
		Purpose: notifiers.PurposeAlert, Language: "de", Exercise: exercise})
	if err != nil || rc.State != notifiers.StateSent || !strings.HasPrefix(rc.ProviderID, "CA") {
		t.Fatalf("Notify = %+v, %v", rc, err)
	}
	c, ok := r.f.Call(rc.ProviderID)
	if !ok {
		t.Fatal("call not at the fake")
	}
	return c
}

func waitUntil(t *testing.T, what string, cond func() bool) {
	t.Helper()
	for range 500 {
		if cond() {
			return
		}
		time.Sleep(10 * time.Millisecond)
	}
	t.Fatalf("timed out waiting for %s", what)
}

func TestVoiceCallAndKeys(t *testing.T) {
	tests := []struct {
		name, keys string
		answer     string // recorded digits, "" for none
		said       string // in the last thing said
	}{
		{"komme", "1", "K1-n1:1", "Danke, Antwort 1"},
		{"later with minutes", "220#", "K1-n1:2 20", "Danke, Antwort 2 20"},
		{"later without minutes", "2#", "K1-n1:2", "Danke, Antwort 2"},
		{"not available", "3", "K1-n1:3", "Danke, Antwort 3"},
		{"repeat then yes", "01", "K1-n1:1", "Danke, Antwort 1"},
		{"unknown key then no", "73", "K1-n1:3", "Danke, Antwort 3"},
		// More than a day (1440 min) is refused by the grammar: keyed again, never ended with an SMS hint.
		{"minutes beyond a day asked again", "25000#1", "K1-n1:1", "Danke, Antwort 1"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rig := newVoiceRig(t)
			c := rig.call(t, "K1-n1", "+4915100001001", true)
			if c.MachineDetection != "DetectMessageEnd" || !c.AsyncAMD || !strings.HasPrefix(c.AsyncAMDCallback, rig.kaskade+twilio.VoiceAMDPath+"?") ||
				!strings.HasPrefix(c.StatusCallback, rig.kaskade+twilio.VoiceStatusPath+"?n=K1-n1") {
				t.Fatalf("call params %+v", c)
			}
			waitUntil(t, "the gather", func() bool { c, _ = rig.f.Call(c.SID); return c.Waiting })
			if !strings.HasPrefix(c.Said[0], "Übung") || !strings.Contains(c.Twiml, `language="de-DE"`) {
				t.Fatalf("said first %q", c.Said[0])
			}
			said, err := rig.f.Press(context.Background(), c.SID, tt.keys)
			if err != nil {
				t.Fatal(err)
			}
			answers, _ := rig.got()
			if len(answers) != 1 || answers[0] != tt.answer {
				t.Fatalf("answers %v, want %s", answers, tt.answer)
			}
			if !strings.Contains(strings.Join(said, " | "), tt.said) {
				t.Fatalf("said %q, want %q", said, tt.said)
			}
			waitUntil(t, "completed", func() bool {
				_, d := rig.got()
				return len(d) > 0 && d[len(d)-1] == "K1-n1:delivered:"
			})
		})
	}
}

func TestVoiceOutcomes(t *testing.T) {
	tests := []struct {
		name string
		out  twiliotest.CallOutcome
		want string // the last delivery
	}{
		{"busy", twiliotest.CallOutcome{Status: "busy"}, "K1-n1:failed:busy"},
		{"no answer", twiliotest.CallOutcome{Status: "no-answer"}, "K1-n1:failed:no-answer"},
		{"failed", twiliotest.CallOutcome{Status: "failed"}, "K1-n1:failed:failed"},
		{"canceled", twiliotest.CallOutcome{Status: "canceled"}, "K1-n1:failed:canceled"},
		{"machine", twiliotest.CallOutcome{AnsweredBy: "machine_end_beep"}, "K1-n1:failed:machine"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rig := newVoiceRig(t)
			rig.f.SetCallOutcome("+4915100001001", tt.out)
			c := rig.call(t, "K1-n1", "+4915100001001", false)
			waitUntil(t, tt.want, func() bool {
				_, d := rig.got()
				return len(d) > 0 && d[len(d)-1] == tt.want
			})
			_, d := rig.got()
			for _, s := range d {
				if strings.Contains(s, "delivered") {
					t.Fatalf("deliveries %v: a %s was delivered", d, tt.name)
				}
			}
			if tt.name == "machine" {
				// The failure is stored before the call is redirected to the
				// machine's message, so the message may still be on its way.
				waitUntil(t, "the machine hears how to answer by SMS", func() bool {
					c, _ = rig.f.Call(c.SID)
					return len(c.Said) > 0 && strings.Contains(c.Said[len(c.Said)-1], "per SMS")
				})
			}
		})
	}
}

func TestVoiceWebhookForged(t *testing.T) {
	rig := newVoiceRig(t)
	for _, path := range []string{twilio.VoiceGatherPath + "?n=K1-n1&l=de", twilio.VoiceStatusPath + "?n=K1-n1", twilio.VoiceAMDPath + "?n=K1-n1&l=de"} {
		form := url.Values{"CallSid": {"CA0"}, "Digits": {"1"}, "CallStatus": {"completed"}, "AnsweredBy": {"machine_end_beep"}}
		req, _ := http.NewRequest("POST", rig.kaskade+path, strings.NewReader(form.Encode()))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		req.Header.Set("X-Twilio-Signature", twiliotest.Signature("wrong", rig.kaskade+path, form))
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusForbidden {
			t.Fatalf("%s: %d, want 403", path, resp.StatusCode)
		}
	}
	if a, d := rig.got(); len(a)+len(d) != 0 {
		t.Fatalf("forged webhooks recorded %v %v", a, d)
	}
}

func TestCallDelivery(t *testing.T) {
	tests := []struct {
		status, by string
		state      notifiers.State
		code       string
		ok         bool
	}{
		{"initiated", "", "", "", false},
		{"ringing", "", notifiers.StateSent, "", true},
		{"in-progress", "human", notifiers.StateDelivered, "", true},
		{"in-progress", "machine_start", notifiers.StateFailed, "machine", true},
		{"completed", "fax", notifiers.StateFailed, "machine", true},
		{"completed", "unknown", notifiers.StateDelivered, "", true},
		{"busy", "", notifiers.StateFailed, "busy", true},
	}
	for _, tt := range tests {
		st, code, ok := twilio.CallDelivery(tt.status, tt.by)
		if st != tt.state || code != tt.code || ok != tt.ok {
			t.Errorf("CallDelivery(%s, %s) = %s %s %v", tt.status, tt.by, st, code, ok)
		}
	}
}

// BenchmarkAlertTwiML is the voice-specific work of a call before the request.
func BenchmarkAlertTwiML(b *testing.B) {
	m := notifiers.Message{ID: "K1-n1", Text: "Notfall MI: Cyberangriff auf das Landesnetz. Stab bilden.", Purpose: notifiers.PurposeAlert, Language: "de", Exercise: true}
	for b.Loop() {
		_ = twilio.AlertTwiML("https://kaskade.example.de", m, false)
	}
}

func TestAlertTwiMLFitsTwilioLimit(t *testing.T) {
	tests := []struct {
		name    string
		text    string
		repeats bool
	}{
		{"short alert is said twice", "Notfall MI: Stab bilden.", true},
		{"long alert is said once", strings.Repeat("Lange Lagebeschreibung. ", 80), false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := twilio.AlertTwiML("https://kaskade.example.de", notifiers.Message{ID: "K1-n1", Text: tt.text, Purpose: notifiers.PurposeAlert, Language: "en"}, false)
			if len(s) > 4000 || strings.Contains(s, "Once more.") != tt.repeats || !strings.Contains(s, "Press 1") {
				t.Fatalf("%d characters, repeats %v: %s", len(s), strings.Contains(s, "Once more."), s[:200])
			}
		})
	}
}

// TestMachineMessageOffersACallBack: after the menu (what an answering
// machine records) the call asks for an SMS answer, and offers calling
// back only when calls in reach Kaskade.
func TestMachineMessageOffersACallBack(t *testing.T) {
	tests := []struct {
		lang      string
		callBack  bool
		sms, back string // in the text after the <Gather>
		wantBack  bool
	}{
		{"de", false, "per SMS", "zurück", false},
		{"de", true, "per SMS", "Oder rufen Sie diese Nummer zurück", true},
		{"en", false, "by SMS", "call this number back", false},
		{"en", true, "by SMS", "Or call this number back", true},
	}
	for _, tt := range tests {
		s := twilio.AlertTwiML("https://kaskade.example.de", notifiers.Message{ID: "K1-n1", Text: "Notfall MI: Stab bilden.",
			Purpose: notifiers.PurposeAlert, Language: tt.lang}, tt.callBack)
		_, after, ok := strings.Cut(s, "</Gather>")
		if !ok || !strings.Contains(after, tt.sms) || strings.Contains(after, tt.back) != tt.wantBack {
			t.Errorf("%s, call back %v: after the menu %q", tt.lang, tt.callBack, after)
		}
	}
}
