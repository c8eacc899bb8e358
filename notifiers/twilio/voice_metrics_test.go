package twilio_test

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/kaskade-bcm/kaskade/notifiers/twilio/twiliotest"
)

// TestVoiceMetrics: calls placed, how they ended (from the status
// callbacks) and keypad answers are counted; every label is present from
// the start, at 0.
func TestVoiceMetrics(t *testing.T) {
	tests := []struct {
		name    string
		outcome *twiliotest.CallOutcome
		keys    string
		result  string // the result label counted once
		answer  string // the keypad answer label counted once, "" for none
	}{
		{name: "answered with a yes", keys: "1", result: "answered", answer: "available"},
		{name: "answered, later", keys: "230#", result: "answered", answer: "delayed"},
		{name: "answered, not available", keys: "3", result: "answered", answer: "unavailable"},
		{name: "machine", outcome: &twiliotest.CallOutcome{AnsweredBy: "machine_end_beep"}, result: "machine"},
		{name: "busy", outcome: &twiliotest.CallOutcome{Status: "busy"}, result: "busy"},
		{name: "no answer", outcome: &twiliotest.CallOutcome{Status: "no-answer"}, result: "no-answer"},
		{name: "failed", outcome: &twiliotest.CallOutcome{Status: "failed"}, result: "failed"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rig := newVoiceRig(t)
			if tt.outcome != nil {
				rig.f.SetCallOutcome("+4915100001001", *tt.outcome)
			}
			c := rig.call(t, "K1-n1", "+4915100001001", false)
			if tt.keys != "" {
				waitUntil(t, "the gather", func() bool { c, _ = rig.f.Call(c.SID); return c.Waiting })
				if _, err := rig.f.Press(context.Background(), c.SID, tt.keys); err != nil {
					t.Fatal(err)
				}
			}
			waitUntil(t, "the result counted", func() bool {
				n, _ := testutil.GatherAndCount(rig.reg, "kaskade_voice_call_results_total")
				return n == 6 && value(t, rig, "kaskade_voice_call_results_total", "result", tt.result) == 1
			})
			var want strings.Builder
			want.WriteString("# HELP kaskade_voice_calls_total Twilio Create Call requests by outcome (sent: the call was placed).\n# TYPE kaskade_voice_calls_total counter\n")
			for _, o := range []string{"failed", "sent", "temporary", "unknown"} {
				fmt.Fprintf(&want, "kaskade_voice_calls_total{outcome=%q} %d\n", o, b2i(o == "sent"))
			}
			want.WriteString("# HELP kaskade_voice_keypad_answers_total Answers recorded by keypad in calls (out and in), by kind.\n# TYPE kaskade_voice_keypad_answers_total counter\n")
			for _, a := range []string{"available", "delayed", "unavailable"} {
				fmt.Fprintf(&want, "kaskade_voice_keypad_answers_total{answer=%q} %d\n", a, b2i(a == tt.answer))
			}
			want.WriteString("# HELP kaskade_voice_call_results_total How placed calls ended, from Twilio's signed status callbacks.\n# TYPE kaskade_voice_call_results_total counter\n")
			for _, r := range []string{"answered", "busy", "canceled", "failed", "machine", "no-answer"} {
				fmt.Fprintf(&want, "kaskade_voice_call_results_total{result=%q} %d\n", r, b2i(r == tt.result))
			}
			if err := testutil.GatherAndCompare(rig.reg, strings.NewReader(want.String()),
				"kaskade_voice_calls_total", "kaskade_voice_keypad_answers_total", "kaskade_voice_call_results_total"); err != nil {
				t.Fatal(err)
			}
		})
	}
}

func b2i(b bool) int {
	if b {
		return 1
	}
	return 0
}

// value reads one counter of the rig's registry.
func value(t *testing.T, rig *voiceRig, name, label, v string) float64 {
	t.Helper()
	mfs, err := rig.reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, mf := range mfs {
		if mf.GetName() != name {
			continue
		}
		for _, m := range mf.GetMetric() {
			for _, l := range m.GetLabel() {
				if l.GetName() == label && l.GetValue() == v {
					return m.GetCounter().GetValue()
				}
			}
		}
	}
	return -1
}
