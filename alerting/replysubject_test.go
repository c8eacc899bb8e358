package alerting

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
)

// TestAnswersGoOnlyToInboxes: a declarer or intake identity chooses its
// request's reply subject, and NATS checks it against nothing but JetStream's
// own. Answered anywhere, Kaskade would publish as itself where the sender
// may not: into the event log, a KV bucket (the incident counter: every
// declaration after fails), the engine's inputs, the observers' feed.
// Replies to a named subject go to _INBOX.… only, which is all such an
// identity may read; the bare subjects are Kaskade's own and answered anywhere.
func TestAnswersGoOnlyToInboxes(t *testing.T) {
	in, js, layout := intakeOnNATS(t)
	ctx, cancel := context.WithCancel(t.Context())
	done := make(chan struct{}, 2)
	go func() { _ = in.ServeNATS(ctx); done <- struct{}{} }()
	go func() { _ = in.ServeWarnings(ctx); done <- struct{}{} }()
	t.Cleanup(func() { cancel(); <-done; <-done })
	nc := js.Conn()
	decl := []byte(`{"scenario":"cyberangriff","organisations":["MI"],"exercise":true,"declared_by":"SIEM","reason":"Ransomware"}`)
	forbidden := []string{
		layout.EventSubject("K9", "declared"),
		layout.InputSubject("K1", "stand_down"),
		"$KV." + layout.StateBucket() + ".incident-counter",
		"$O." + layout.SnapshotBucket() + ".M.x",
		layout.ReadinessSubject("K1", "MI"),
		"_KASKADE_INBOX.abc.1",
		"_INBOX", // not an inbox below the prefix
		"elsewhere",
	}
	spy := make(chan *nats.Msg, 64)
	for _, s := range forbidden {
		if _, err := nc.ChanSubscribe(s, spy); err != nil {
			t.Fatal(err)
		}
	}
	// Until the intake subscribed, requests find no one.
	for _, s := range []string{layout.DeclarerSubject("siem"), layout.CAPSenderSubject("mowas")} {
		for deadline := time.Now().Add(10 * time.Second); ; {
			if _, err := nc.Request(s, []byte("-"), 50*time.Millisecond); err == nil {
				break
			} else if time.Now().After(deadline) {
				t.Fatalf("no answer on %s: %v", s, err)
			}
		}
	}
	for _, tc := range []struct {
		name, subject string
		data          []byte
	}{
		{"a declarer", layout.DeclarerSubject("siem"), decl},
		{"a declarer's garbage", layout.DeclarerSubject("siem"), []byte("not json")},
		{"an intake identity", layout.CAPSenderSubject("mowas"), []byte("<alert>not CAP</alert>")},
	} {
		t.Run(tc.name, func(t *testing.T) {
			for _, reply := range forbidden {
				if err := nc.PublishRequest(tc.subject, reply, tc.data); err != nil {
					t.Fatal(err)
				}
			}
			// Requests on one subject are answered in order: once this one is, so were those.
			if _, err := nc.Request(tc.subject, tc.data, 10*time.Second); err != nil {
				t.Fatalf("an inbox is not answered: %v", err)
			}
			for quiet := time.After(50 * time.Millisecond); ; {
				select {
				case m := <-spy:
					// The intake's own writes to the counter are numbers; an answer is JSON.
					if strings.HasPrefix(string(m.Data), "{") {
						t.Fatalf("answered on %s: %s", m.Subject, m.Data)
					}
					continue
				case <-quiet:
				}
				break
			}
		})
	}
	if _, err := in.nextID(t.Context()); err != nil {
		t.Fatalf("the incident counter: %v", err)
	}
	// Kaskade's own subject answers its own reply subjects.
	const own = "_KASKADE_INBOX.own.1"
	sub, err := nc.SubscribeSync(own)
	if err != nil {
		t.Fatal(err)
	}
	if err := nc.PublishRequest(layout.DeclareSubject(), own, []byte("not json")); err != nil {
		t.Fatal(err)
	}
	if _, err := sub.NextMsg(10 * time.Second); err != nil {
		t.Fatalf("Kaskade's own request: %v", err)
	}
}
