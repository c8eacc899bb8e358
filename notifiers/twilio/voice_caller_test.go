package twilio_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/kaskade-bcm/kaskade/notifiers/twilio"
	"github.com/kaskade-bcm/kaskade/notifiers/twilio/twiliotest"
)

// callers knows one number with the given open alerts.
type callers struct {
	number string
	open   []twilio.OpenAlert
	got    []string
}

func (c *callers) Caller(_ context.Context, from string) (twilio.Caller, error) {
	if from != c.number {
		return twilio.Caller{}, nil
	}
	return twilio.Caller{Known: true, Language: "de", Open: c.open}, nil
}

func (c *callers) CallerAnswer(_ context.Context, from, incident, digits, sid string) (string, error) {
	c.got = append(c.got, incident+":"+digits)
	return "Danke.", nil
}

func TestCallIn(t *testing.T) {
	k1 := twilio.OpenAlert{Incident: "K1", Code: "K1", Title: "Cyberangriff", Exercise: true}
	k12 := twilio.OpenAlert{Incident: "K12", Code: "K12", Title: "Stromausfall"}
	tests := []struct {
		name   string
		from   string
		open   []twilio.OpenAlert
		keys   string
		heard  string // in everything said
		answer string // recorded, "" for none
	}{
		{"unknown number", "+4915199999999", []twilio.OpenAlert{k1}, "", "", ""},
		{"nothing open", "+4915100001001", nil, "", "keine Alarmierung offen", ""},
		{"one open", "+4915100001001", []twilio.OpenAlert{k1}, "1", "Übung. Dies ist eine Übung. Alarmierung K 1: Cyberangriff.", "K1:1"},
		{"two open, code keyed", "+4915100001001", []twilio.OpenAlert{k1, k12}, "12#220#", "mehrere", "K12:2 20"},
		{"two open, wrong code", "+4915100001001", []twilio.OpenAlert{k1, k12}, "5#1#3", "kenne ich nicht", "K1:3"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f, _ := fake(t, twiliotest.Options{})
			var logs logBuffer
			sink := &callers{number: "+4915100001001", open: tt.open}
			mux := http.NewServeMux()
			hs := httptest.NewServer(mux)
			defer hs.Close()
			hooks := twilio.NewWebhooks(twilio.WebhookOptions{PublicURL: hs.URL, AuthTokens: []string{f.AuthToken()}, Logger: debugLogger(&logs)}).
				Voice(twilio.VoiceWebhookOptions{Callers: sink})
			mux.Handle("POST "+twilio.VoiceCallerPath, hooks.Caller())
			c, err := f.CallIn(context.Background(), hs.URL+twilio.VoiceCallerPath, tt.from, testFrom)
			if err != nil {
				t.Fatal(err)
			}
			if tt.keys != "" {
				if _, err := f.Press(context.Background(), c.SID, tt.keys); err != nil {
					t.Fatal(err)
				}
				c, _ = f.Call(c.SID)
			}
			said := strings.Join(c.Said, " ")
			if tt.heard == "" && (said != "" || c.Status != "busy" || strings.Contains(logs.String(), tt.from) || !strings.Contains(logs.String(), "+49151*****999")) {
				t.Fatalf("unknown caller: said %q, status %s, log %s", said, c.Status, logs.String())
			}
			if !strings.Contains(said, tt.heard) {
				t.Fatalf("said %q, want %q", said, tt.heard)
			}
			if got := strings.Join(sink.got, ","); got != tt.answer {
				t.Fatalf("answers %q, want %q", got, tt.answer)
			}
		})
	}
}
