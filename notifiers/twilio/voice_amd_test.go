package twilio_test

import (
	"context"
	"errors"
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

// TestVoiceAsyncAMD: a machine is redirected (Update Call) to the short
// message and counted as not reached once; a human or an undecided
// result hears the script and is delivered.
func TestVoiceAsyncAMD(t *testing.T) {
	tests := []struct {
		by       string
		exercise bool
		want     string // the delivery recorded
		machine  bool
	}{
		{"human", false, "K1-n1:delivered:", false},
		{"unknown", false, "K1-n1:delivered:", false},
		{"machine_end_beep", true, "K1-n1:failed:machine", true},
		{"machine_end_silence", false, "K1-n1:failed:machine", true},
		{"machine_start", false, "K1-n1:failed:machine", true},
		{"fax", false, "K1-n1:failed:machine", true},
	}
	for _, tt := range tests {
		t.Run(tt.by, func(t *testing.T) {
			rig := newVoiceRig(t)
			rig.f.SetCallOutcome("+4915100001001", twiliotest.CallOutcome{AnsweredBy: tt.by})
			c := rig.call(t, "K1-n1", "+4915100001001", tt.exercise)
			if tt.machine {
				waitUntil(t, "the end of the call", func() bool { c, _ = rig.f.Call(c.SID); return c.Status == "completed" })
			} else {
				waitUntil(t, "the gather", func() bool { c, _ = rig.f.Call(c.SID); return c.Waiting })
			}
			waitUntil(t, tt.want, func() bool { _, d := rig.got(); return len(d) > 0 && d[len(d)-1] == tt.want })
			time.Sleep(50 * time.Millisecond) // a late duplicate would arrive by now
			_, d := rig.got()
			if n := strings.Count(strings.Join(d, " "), tt.want); n != 1 {
				t.Fatalf("deliveries %v: %s recorded %d times", d, tt.want, n)
			}
			heard := strings.Join(c.Said, " | ")
			if tt.machine {
				want := twilio.MachineTwiML("de", tt.exercise, false)
				if strings.Contains(heard, "Drücken Sie") || strings.Contains(heard, "Cyberangriff") || !strings.Contains(heard, "per SMS") ||
					strings.HasPrefix(heard, "Übung") != tt.exercise || len(c.Said) != strings.Count(want, "<Say") {
					t.Fatalf("the machine heard %q", heard)
				}
				return
			}
			if !strings.Contains(heard, "Cyberangriff") || !strings.Contains(heard, "Drücken Sie") {
				t.Fatalf("the callee heard %q", heard)
			}
		})
	}
}

func TestMachineTwiML(t *testing.T) {
	tests := []struct {
		lang               string
		exercise, callBack bool
		want, not          []string
	}{
		{"de", false, false, []string{"per SMS", `language="de-DE"`}, []string{"Übung", "zurück", "Drücken", "<Gather"}},
		{"de", true, true, []string{"<Say voice=\"alice\" language=\"de-DE\">Übung", "rufen Sie diese Nummer zurück"}, []string{"Drücken"}},
		{"en", true, false, []string{"Exercise", "by SMS"}, []string{"call this number back", "Press"}},
	}
	for _, tt := range tests {
		s := twilio.MachineTwiML(tt.lang, tt.exercise, tt.callBack)
		for _, w := range tt.want {
			if !strings.Contains(s, w) {
				t.Errorf("%+v: no %q in %s", tt, w, s)
			}
		}
		for _, w := range tt.not {
			if strings.Contains(s, w) {
				t.Errorf("%+v: %q in %s", tt, w, s)
			}
		}
	}
}

func TestAMDURL(t *testing.T) {
	m := notifiers.Message{ID: "K1-n1", Language: "en", Exercise: true}
	got := twilio.AMDURL("https://kaskade.example.de/", m, true)
	if got != "https://kaskade.example.de"+twilio.VoiceAMDPath+"?cb=1&l=en&n=K1-n1&x=1" {
		t.Fatalf("AMDURL = %s", got)
	}
}

// updater records Update Call requests.
type updater struct {
	mu    sync.Mutex
	twiml map[string]string
	err   error
}

func (u *updater) UpdateCall(_ context.Context, sid, twiml string) error {
	u.mu.Lock()
	defer u.mu.Unlock()
	u.twiml[sid] = twiml
	return u.err
}

// detailSink records deliveries with their detail (the journal's dedupe
// key); the first fail deliveries fail (a NATS blip).
type detailSink struct {
	mu   sync.Mutex
	got  []string
	fail int
}

func (d *detailSink) Delivery(_ context.Context, n string, st notifiers.State, sid, code, detail string) error {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.fail > 0 {
		d.fail--
		return errors.New("nats: timeout")
	}
	d.got = append(d.got, n+":"+string(st)+":"+code+":"+detail)
	return nil
}

// finalState folds deliveries as the core does: a state only rises, and a
// final one (delivered, failed) stays.
func finalState(got []string) notifiers.State {
	cur := notifiers.StatePending
	for _, g := range got {
		st := notifiers.State(strings.Split(g, ":")[1])
		if !cur.Final() && st.Rank() > cur.Rank() {
			cur = st
		}
	}
	return cur
}

func postSigned(t *testing.T, h http.Handler, public, path, token string, form url.Values) int {
	t.Helper()
	req := httptest.NewRequest(http.MethodPost, public+path, strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("X-Twilio-Signature", twiliotest.Signature(token, public+path, form))
	rw := httptest.NewRecorder()
	h.ServeHTTP(rw, req)
	return rw.Code
}

// TestAMDWebhook: the AMD result and the status callbacks of a call with
// async AMD, in the orders Twilio may send them.
func TestAMDWebhook(t *testing.T) {
	const public, token = "https://kaskade.example.de", "0123456789abcdef0123456789abcdef"
	type hook struct {
		path, status, by string
		code             int // the answer, 0 for 204
	}
	amd := func(by string) hook { return hook{twilio.VoiceAMDPath + "?n=K1-n1&l=en&x=1&cb=1", "", by, 0} }
	st := func(status, by string) hook { return hook{twilio.VoiceStatusPath + "?n=K1-n1&amd=1", status, by, 0} }
	failed := func(h hook) hook { h.code = http.StatusInternalServerError; return h }
	const machineEnd, machineStart = "K1-n1:failed:machine:twilio amd machine_end_beep", "K1-n1:failed:machine:twilio amd machine_start"
	const human, sent = "K1-n1:delivered::twilio amd human", "K1-n1:sent::twilio call completed"
	tests := []struct {
		name    string
		hooks   []hook
		fail    int    // deliveries the sink fails first
		updated string // in the TwiML of the update, "" for none
		want    []string
		final   notifiers.State
	}{
		{"machine", []hook{st("in-progress", ""), amd("machine_end_beep"), st("completed", "machine_end_beep")}, 0,
			"Or call this number back", []string{machineEnd}, notifiers.StateFailed},
		{"machine, completed without AnsweredBy", []hook{st("in-progress", ""), amd("machine_start"), st("completed", "")}, 0,
			"Exercise", []string{machineStart}, notifiers.StateFailed},
		{"fax", []hook{amd("fax")}, 0, "by SMS", []string{"K1-n1:failed:machine:twilio amd fax"}, notifiers.StateFailed},
		{"human", []hook{st("in-progress", ""), amd("human"), st("completed", "")}, 0, "",
			[]string{human}, notifiers.StateDelivered},
		{"unknown", []hook{amd("unknown")}, 0, "", []string{"K1-n1:delivered::twilio amd unknown"}, notifiers.StateDelivered},
		// The AMD result went to another instance (or was lost): the same
		// detail, so the journal keeps one entry.
		{"machine seen elsewhere", []hook{st("completed", "machine_end_beep")}, 0, "",
			[]string{machineEnd}, notifiers.StateFailed},
		// The sink failed the AMD result: Twilio hears 5xx, the machine is
		// still redirected, and the status callback records it.
		{"sink fails, completed records the machine", []hook{failed(amd("machine_end_beep")), st("completed", "")}, 1,
			"Or call this number back", []string{machineEnd}, notifiers.StateFailed},
		{"sink fails, completed with AnsweredBy records the machine",
			[]hook{st("in-progress", ""), failed(amd("machine_end_beep")), st("completed", "machine_end_beep")}, 1,
			"Or call this number back", []string{machineEnd}, notifiers.StateFailed},
		{"sink fails, human recorded by completed", []hook{failed(amd("human")), st("completed", "")}, 1, "",
			[]string{human}, notifiers.StateDelivered},
		{"sink fails on completed too", []hook{failed(amd("machine_start")), failed(st("completed", "")), st("completed", "")}, 2,
			"Exercise", []string{machineStart}, notifiers.StateFailed},
		// A short voicemail hangs up before AMD decides, or AMD went to
		// another instance: completed alone is only sent, AMD decides.
		{"completed first, then machine", []hook{st("in-progress", ""), st("completed", ""), amd("machine_start")}, 0,
			"Exercise", []string{sent, machineStart}, notifiers.StateFailed},
		{"completed first, then human", []hook{st("completed", ""), amd("human")}, 0, "",
			[]string{sent, human}, notifiers.StateDelivered},
		{"AMD result never comes", []hook{st("in-progress", ""), st("completed", "")}, 0, "",
			[]string{sent}, notifiers.StateSent},
		{"busy", []hook{st("busy", "")}, 0, "", []string{"K1-n1:failed:busy:twilio call busy"}, notifiers.StateFailed},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			u, sink := &updater{twiml: map[string]string{}}, &detailSink{fail: tt.fail}
			hooks := twilio.NewWebhooks(twilio.WebhookOptions{PublicURL: public, AuthTokens: []string{token}}).
				Voice(twilio.VoiceWebhookOptions{Delivery: sink, Calls: u})
			mux := http.NewServeMux()
			mux.Handle("POST "+twilio.VoiceStatusPath, hooks.Status())
			mux.Handle("POST "+twilio.VoiceAMDPath, hooks.AMD())
			for _, h := range tt.hooks {
				form := url.Values{"CallSid": {"CA1"}, "AccountSid": {"AC1"}}
				if h.status != "" {
					form.Set("CallStatus", h.status)
				}
				if h.by != "" {
					form.Set("AnsweredBy", h.by)
				}
				want := h.code
				if want == 0 {
					want = http.StatusNoContent
				}
				if code := postSigned(t, mux, public, h.path, token, form); code != want {
					t.Fatalf("%s %s %s: %d, want %d", h.path, h.status, h.by, code, want)
				}
			}
			if got := u.twiml["CA1"]; (tt.updated == "") != (got == "") || !strings.Contains(got, tt.updated) ||
				(got != "" && (strings.Contains(got, "Press") || !strings.Contains(got, `language="en-GB"`))) {
				t.Fatalf("update %q, want one with %q", got, tt.updated)
			}
			if strings.Join(sink.got, "|") != strings.Join(tt.want, "|") {
				t.Fatalf("deliveries %q, want %q", sink.got, tt.want)
			}
			if got := finalState(sink.got); got != tt.final {
				t.Fatalf("the core ends at %s, want %s", got, tt.final)
			}
		})
	}
	t.Run("forged", func(t *testing.T) {
		u, sink := &updater{twiml: map[string]string{}}, &detailSink{}
		h := twilio.NewWebhooks(twilio.WebhookOptions{PublicURL: public, AuthTokens: []string{token}}).
			Voice(twilio.VoiceWebhookOptions{Delivery: sink, Calls: u}).AMD()
		form := url.Values{"CallSid": {"CA1"}, "AnsweredBy": {"machine_end_beep"}}
		if code := postSigned(t, h, public, twilio.VoiceAMDPath+"?n=K1-n1&l=de", "f0123456789abcdef0123456789abcde", form); code != http.StatusForbidden {
			t.Fatalf("forged: %d", code)
		}
		if len(u.twiml)+len(sink.got) != 0 {
			t.Fatalf("a forged result acted: %v %v", u.twiml, sink.got)
		}
	})
	t.Run("update fails", func(t *testing.T) {
		u, sink := &updater{twiml: map[string]string{}, err: errors.New("21220")}, &detailSink{}
		h := twilio.NewWebhooks(twilio.WebhookOptions{PublicURL: public, AuthTokens: []string{token}}).
			Voice(twilio.VoiceWebhookOptions{Delivery: sink, Calls: u}).AMD()
		form := url.Values{"CallSid": {"CA1"}, "AnsweredBy": {"machine_end_beep"}}
		if code := postSigned(t, h, public, twilio.VoiceAMDPath+"?n=K1-n1&l=de", token, form); code != http.StatusNoContent || len(sink.got) != 1 {
			t.Fatalf("%d, deliveries %v: a machine is not reached even when the redirect fails", code, sink.got)
		}
	})
}
