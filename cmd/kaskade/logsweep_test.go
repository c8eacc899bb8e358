package main

import (
	"log/slog"
	"strings"
	"testing"

	"github.com/kaskade-bcm/kaskade/cmd/internal/server"
	"github.com/kaskade-bcm/kaskade/notifiers/twilio/twiliotest"
)

// TestTheLogsHoldNoNumbersNamesTextsOrSecrets: everything the server logs
// (debug included) through an SMS exercise — alerts, answers with a remark,
// an unknown sender, a STOP, an erasure, a stand-down — holds no full
// number, no name, no reply text and no token.
func TestTheLogsHoldNoNumbersNamesTextsOrSecrets(t *testing.T) {
	var logs lockedBuffer
	e := startSMS(t, twiliotest.Options{}, func(o *server.Options) {
		o.Logger = slog.New(slog.NewJSONHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	})
	var out map[string]any
	if code := e.api("POST", "/api/v1/incidents", map[string]any{"scenario": "cyberangriff", "reason": "Test", "exercise": true}, &out); code != 201 {
		t.Fatalf("declare: %d", code)
	}
	waitFor(t, "SMS to the lead", func() bool { return len(e.messagesTo("+4915100001001")) == 1 })
	if code, body := e.reply("+4915100001001", "1 komme mit dem Fahrrad"); code != 200 {
		t.Fatalf("reply: %d %s", code, body)
	}
	// it1's number is Twilio's test number of an invalid recipient: the deputy is alerted.
	waitFor(t, "SMS to the IT deputy", func() bool { return len(e.messagesTo("+4915100001004")) == 1 })
	for _, r := range []struct{ from, body string }{
		{"+4915100001004", "3 liege krank im Bett"},
		{"+4917099988877", "Hallo hier ist Max Mustermann"},
		{"+4915100001002", "STOP"},
	} {
		if code, body := e.reply(r.from, r.body); code != 200 {
			t.Fatalf("reply from %s: %d %s", r.from, code, body)
		}
	}
	inputsApplied(t, e.Server)
	if code := e.api("POST", "/api/v1/people/lead1/erase", map[string]any{"reason": "Antrag 17/2026"}, nil); code != 200 {
		t.Fatalf("erase: %d", code)
	}
	waitFor(t, "engine leading after the erasure", func() bool { return e.Engine.Ready() && e.Engine.Leader() })
	if code := e.api("POST", "/api/v1/incidents/K1/stand-down", map[string]any{"reason": "Ende der Übung"}, nil); code/100 != 2 {
		t.Logf("stand-down: %d", code)
	}
	inputsApplied(t, e.Server)

	got := logs.String()
	// The capture holds the run: the sends (masked), the unknown sender, the erasure.
	if !strings.Contains(got, "person erased") || !strings.Contains(got, "+49151*****001") || !strings.Contains(got, "+49170*****877") {
		t.Fatalf("the log capture missed the run:\n%s", got)
	}
	secrets := []string{
		"4915100001001", "4915100001002", "15005550001", "4915100001004", "4917099988877", "151 00001001",
		"Uwe Böhm", "Silke Oltmanns", "Sven Eilers", "Frauke Warnecke", "Max Mustermann",
		"komme mit dem Fahrrad", "liege krank", e.token, e.fake.AuthToken(),
	}
	for _, s := range secrets {
		if s == "" {
			continue
		}
		for _, line := range strings.Split(got, "\n") {
			if strings.Contains(line, s) {
				t.Errorf("%q logged: %s", s, line)
			}
		}
	}
}
