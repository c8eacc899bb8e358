package alerting

import (
	"context"
	"encoding/json"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
)

// TestOneIdentitysFloodDelaysOnlyItself: the requests of all declarers
// arrive on one subscription. Answered one after the other, a flood of one
// identity's requests (each a few KV round trips) made every other
// declarer's request time out (18 of 30 in a probe with nats.go). Each
// identity now waits in its own line; beyond its length a request is
// answered rate_limited at once, without work.
func TestOneIdentitysFloodDelaysOnlyItself(t *testing.T) {
	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	release := make(chan struct{})
	answered := make(chan string, 1024)
	busy := make(chan *nats.Msg, 1024)
	q := newRequestQueues(ctx, func(m *nats.Msg) {
		if m.Subject == "kaskade.incidents.declare.evil" {
			<-release // the flooder's requests take their time
		}
		answered <- m.Subject
	}, func(m *nats.Msg) { busy <- m })
	const flood = 3 * requestQueueLen
	for range flood {
		q.dispatch("evil", &nats.Msg{Subject: "kaskade.incidents.declare.evil"})
	}
	q.dispatch("siem", &nats.Msg{Subject: "kaskade.incidents.declare.siem"})
	select {
	case s := <-answered:
		if s != "kaskade.incidents.declare.siem" {
			t.Fatalf("answered %s first", s)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("another declarer's request waits behind the flood")
	}
	// At most one in work and requestQueueLen waiting: the rest were told at once.
	if got := len(busy); got < flood-requestQueueLen-1 {
		t.Fatalf("%d requests refused at once, want at least %d", got, flood-requestQueueLen-1)
	}
	close(release)
	for n := len(busy); n < flood; n++ {
		select {
		case <-answered:
		case <-time.After(10 * time.Second):
			t.Fatalf("%d of %d of the flooder's requests answered or refused", n, flood)
		}
	}
}

// The refusal of a request over the line is the error envelope, rate_limited.
func TestBusyReply(t *testing.T) {
	var v struct{ Error *Error }
	if err := json.Unmarshal(busyReply("siem"), &v); err != nil || v.Error == nil || v.Error.Code != CodeRateLimited {
		t.Fatalf("busy reply %s: %v", busyReply("siem"), err)
	}
}

// The same over NATS, through the intake's subscriptions: while the
// flooder's requests are stuck in work, another declarer's is answered and
// the flooder's beyond its line are refused with rate_limited.
func TestAFloodOfRequestsLeavesOthersAnswered(t *testing.T) {
	in, js, layout := intakeOnNATS(t)
	ctx, cancel := context.WithCancel(t.Context())
	release := make(chan struct{})
	answer := func(m *nats.Msg) {
		if m.Subject == layout.DeclarerSubject("evil") {
			<-release
		}
		_ = m.Respond([]byte(`{"incident_id":"K1"}`))
	}
	done := make(chan struct{})
	go func() {
		_ = in.serveStream(ctx, layout.DeclareSubject(), layout.DeclarersFilter(), answer, layout.DeclareStream(), "declare",
			func(m jetstream.Msg) { _ = m.Ack() })
		close(done)
	}()
	t.Cleanup(func() { close(release); cancel(); <-done })
	nc := js.Conn()
	siem := layout.DeclarerSubject("siem")
	for deadline := time.Now().Add(10 * time.Second); ; { // until the intake subscribed
		if _, err := nc.Request(siem, []byte("-"), 50*time.Millisecond); err == nil {
			break
		} else if time.Now().After(deadline) {
			t.Fatal(err)
		}
	}
	refused, err := nc.SubscribeSync("_INBOX.evil.>")
	if err != nil {
		t.Fatal(err)
	}
	for range 2 * requestQueueLen {
		if err := nc.PublishRequest(layout.DeclarerSubject("evil"), "_INBOX.evil.1", []byte("{}")); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := nc.Request(siem, []byte("{}"), 5*time.Second); err != nil {
		t.Fatalf("another declarer during the flood: %v", err)
	}
	m, err := refused.NextMsg(5 * time.Second)
	if err != nil {
		t.Fatalf("the flooder was not refused: %v", err)
	}
	var v struct{ Error *Error }
	if err := json.Unmarshal(m.Data, &v); err != nil || v.Error == nil || v.Error.Code != CodeRateLimited {
		t.Fatalf("the flooder was told %s", m.Data)
	}
}
