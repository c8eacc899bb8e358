package email

import (
	"bytes"
	"context"
	"net/mail"
	"testing"

	"github.com/kaskade-bcm/kaskade/notifiers/email/emailtest"
)

// A reply whose tag a client or forwarder dropped reaches the bare reply
// address; it is matched through In-Reply-To to the Message-ID the Sender
// wrote, also when the From domain is not the reply domain.
func TestListenerMatchesReplyWithoutTag(t *testing.T) {
	smtpAddr, received := emailtest.NewServer(t)
	s, _ := newSender(t, smtpAddr, func(o *Options) {
		o.From = "Kaskade <alarm@niedersachsen.example>"
		o.ReplyTo = "kaskade@lage.example.de"
	})
	if _, err := s.Notify(context.Background(), testMessage()); err != nil {
		t.Fatal(err)
	}
	out, err := mail.ReadMessage(bytes.NewReader(received()[0].Data))
	if err != nil {
		t.Fatal(err)
	}
	sink := &fakeReplySink{}
	addr := serveListener(t, ListenerOptions{Sink: sink, Domain: "lage.example.de", ReplyLocal: "kaskade",
		MessageIDDomain: s.MessageIDDomain()})
	reply := "From: erika.mueller@mi.example.de\nSubject: Re\nIn-Reply-To: " + out.Header.Get("Message-Id") + "\n\n1\n"
	if err := send(t, addr, "erika.mueller@mi.example.de", "Kaskade@lage.example.de", reply); err != nil {
		t.Fatalf("bare reply address: %v", err)
	}
	if got := sink.got(); len(got) != 1 || got[0].Tag != "K7x9" || got[0].FirstLine != "1" {
		t.Fatalf("sink got %+v, want tag K7x9", got)
	}
	if err := send(t, addr, "erika.mueller@mi.example.de", "info@lage.example.de", reply); smtpCode(err) != 550 {
		t.Fatalf("other local part: %v, want 550", err)
	}
}
