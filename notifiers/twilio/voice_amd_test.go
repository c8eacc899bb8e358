package twilio_test

import (
	"strings"
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
