package alerting

import (
	"context"
	"encoding/json"
	"testing"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/kaskade-bcm/kaskade/activation"
)

// The intake takes a declarer's identity from the subject NATS let it
// publish on, never from the payload, and keeps its client ids apart.
func TestDeclarationsOverNATSRecordTheDeclarer(t *testing.T) {
	in, js, layout := intakeOnNATS(t)
	ctx, cancel := context.WithCancel(t.Context())
	done := make(chan struct{})
	go func() { _ = in.ServeNATS(ctx); close(done) }()
	t.Cleanup(func() { cancel(); <-done })
	const body = `{"id":"siem-4711","scenario":"cyberangriff","organisations":["MI"],"exercise":true,` +
		`"declared_by":"Lagedienst Müller","reason":"Ransomware"}`
	for _, tc := range []struct {
		name, subject string
		request       bool
		source, by    string
		want          string // incident id
	}{
		// A plain publish first: the stream delivers it once the intake runs.
		{"Kaskade itself", layout.DeclareSubject(), false, "nats", "Lagedienst Müller", "K1"},
		{"a declarer's request", layout.DeclarerSubject("siem"), true, "nats:siem", "siem: Lagedienst Müller", "K2"},
		{"the same client id from another declarer", layout.DeclarerSubject("leitstelle"), false, "nats:leitstelle",
			"leitstelle: Lagedienst Müller", "K3"},
		{"the same again from the first declarer", layout.DeclarerSubject("siem"), true, "nats:siem", "siem: Lagedienst Müller", "K2"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			nc := js.Conn()
			if tc.request {
				reply, err := nc.Request(tc.subject, []byte(body), 10*time.Second)
				if err != nil {
					t.Fatal(err)
				}
				var res Result
				if err := json.Unmarshal(reply.Data, &res); err != nil || res.IncidentID != tc.want {
					t.Fatalf("reply %s, want %s", reply.Data, tc.want)
				}
			} else if err := nc.Publish(tc.subject, []byte(body)); err != nil {
				t.Fatal(err)
			}
			d := declaredInput(t, js, layout.InputStream(), layout.InputSubject(tc.want, "declare"))
			if d.Source != tc.source || d.DeclaredBy != tc.by {
				t.Fatalf("recorded source %q, declared_by %q; want %q, %q", d.Source, d.DeclaredBy, tc.source, tc.by)
			}
		})
	}
}

// declaredInput waits for the declaration the intake handed to the engine.
func declaredInput(t *testing.T, js jetstream.JetStream, stream, subject string) activation.Declared {
	t.Helper()
	s, err := js.Stream(t.Context(), stream)
	if err != nil {
		t.Fatal(err)
	}
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(5 * time.Millisecond) {
		m, err := s.GetLastMsgForSubject(t.Context(), subject)
		if err == nil {
			var in activation.Input
			if err := json.Unmarshal(m.Data, &in); err != nil || in.Declare == nil {
				t.Fatalf("input %s: %v", m.Data, err)
			}
			return *in.Declare
		}
		if time.Now().After(deadline) {
			t.Fatalf("no input on %s: %v", subject, err)
		}
	}
}
