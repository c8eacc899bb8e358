package answer

import (
	"context"
	"errors"
	"net"
	"strings"
	"testing"

	"github.com/emersion/go-smtp"

	"github.com/kaskade-bcm/kaskade/activation"
	"github.com/kaskade-bcm/kaskade/notifiers/email"
)

// listenerSink is the adapter the server wires between the listener and
// the service: rejections pass through, anything else means "try later".
type listenerSink struct{ svc *Service }

func (l listenerSink) EmailReply(ctx context.Context, r email.EmailReply) error {
	err := l.svc.EmailInbound(ctx, EmailIn{Tag: r.Tag, From: r.From, FirstLine: r.FirstLine, MessageID: r.MessageID, Auth: r.Auth})
	var rej *Rejected
	if err != nil && !errors.As(err, &rej) {
		return errors.Join(email.ErrTryLater, err)
	}
	return err
}

// Issue 15, finding 2 end to end: over SMTP, a forged From to the
// sequential tags records nothing and the sender is refused after five;
// the signed tag from the person records, with the receiving server's
// Authentication-Results.
func TestEmailListenerToService(t *testing.T) {
	svc, eng, signer := emailSetup(t)
	c, addr := dialListener(t, email.ListenerOptions{Domain: "lage.example", Sink: listenerSink{svc},
		AuthServID: "mx.lage.example", Metrics: email.NewListenerMetrics(nil)})
	if err := c.Hello("mx.evil.example"); err != nil {
		t.Fatal(err)
	}
	inputs, refused := len(eng.inputs), 0
	for i := 1; i <= 59; i++ {
		tag := "K1-n" + itoa(i)
		err := mailOne(c, leadMail, "kaskade+"+tag+"@lage.example", "From: "+leadMail+"\r\nMessage-ID: <g"+itoa(i)+"@evil.example>\r\n\r\n3\r\n")
		if err != nil {
			refused++
			_ = c.Reset()
		}
	}
	if len(eng.inputs) != inputs || answerOf(eng, "K1", "mi-uwe-boehm") != "" || refused != 54 {
		t.Fatalf("guessed tags: %d inputs, answer %q, %d refused; want none, none, 54",
			len(eng.inputs)-inputs, answerOf(eng, "K1", "mi-uwe-boehm"), refused)
	}

	tag := signer.ReplyTag(notificationOf(t, eng, "K1", "mi-uwe-boehm"), "mi-uwe-boehm")
	c2, err := smtp.Dial(addr)
	if err != nil {
		t.Fatal(err)
	}
	defer c2.Close()
	msg := "Authentication-Results: mx.lage.example; dkim=pass header.d=mi.niedersachsen.example; dmarc=pass\r\n" +
		"From: Uwe <" + leadMail + ">\r\nMessage-ID: <ok@mi.example>\r\n\r\n2 20\r\n"
	if err := mailOne(c2, "uwe@bounce.example", "kaskade+"+tag+"@lage.example", msg); err != nil {
		t.Fatal(err)
	}
	if got := answerOf(eng, "K1", "mi-uwe-boehm"); got != activation.Delayed {
		t.Fatalf("signed reply: answer %q, want delayed", got)
	}
	last := eng.inputs[len(eng.inputs)-1].Inbound
	if last == nil || !strings.HasPrefix(last.Auth, "pass (mx.lage.example: dkim=pass dmarc=pass)") {
		t.Fatalf("stored %+v, want the authentication results", last)
	}
}

func mailOne(c *smtp.Client, from, to, raw string) error {
	if err := c.Mail(from, nil); err != nil {
		return err
	}
	if err := c.Rcpt(to, nil); err != nil {
		return err
	}
	w, err := c.Data()
	if err != nil {
		return err
	}
	if _, err := w.Write([]byte(raw)); err != nil {
		return err
	}
	return w.Close()
}

// Mail as clients send it, end to end: an out-of-office reply without
// Auto-Submitted records nothing; Thunderbird's flowed reply below the
// quote, after a salutation, records the delay it states.
func TestEmailListenerClientReplies(t *testing.T) {
	svc, eng, signer := emailSetup(t)
	c, _ := dialListener(t, email.ListenerOptions{Domain: "lage.example", Sink: listenerSink{svc}})
	to := "kaskade+" + signer.ReplyTag(notificationOf(t, eng, "K1", "mi-uwe-boehm"), "mi-uwe-boehm") + "@lage.example"
	ooo := "From: Uwe <" + leadMail + ">\r\nSubject: Automatische Antwort: NOTFALL\r\nMessage-ID: <ooo@mi.example>\r\n\r\n" +
		"Ich bin im Urlaub.\r\n"
	if err := mailOne(c, leadMail, to, ooo); err != nil {
		t.Fatal(err)
	}
	if got := answerOf(eng, "K1", "mi-uwe-boehm"); got != "" {
		t.Fatalf("out of office recorded as %q", got)
	}
	thunderbird := "From: Uwe <" + leadMail + ">\r\nSubject: Re: NOTFALL\r\nMessage-ID: <tb@mi.example>\r\n" +
		"Content-Type: text/plain; charset=UTF-8; format=flowed\r\nContent-Transfer-Encoding: 8bit\r\n\r\n" +
		"Am 03.12.26 um 21:00 schrieb Kaskade Lagedienst:\r\n> NOTFALL\r\n> Antwort: 1=komme\r\n\r\nHallo,\r\n\r\n" +
		"ich komme, stehe aber mit dem Wagen im Stau auf der A2 bei Peine und bin \r\nerst in 45 Minuten da\r\n"
	if err := mailOne(c, leadMail, to, thunderbird); err != nil {
		t.Fatal(err)
	}
	if got := answerOf(eng, "K1", "mi-uwe-boehm"); got != activation.Delayed {
		t.Fatalf("Thunderbird reply: answer %q, want delayed", got)
	}
	if r := eng.inputs[len(eng.inputs)-1].Response; r == nil || r.Minutes != 45 {
		t.Fatalf("response %+v, want 45 minutes", r)
	}
}

// dialListener serves a listener with o on loopback and returns an SMTP
// client connected to it and its address; both end with the test.
func dialListener(t *testing.T, o email.ListenerOptions) (*smtp.Client, string) {
	t.Helper()
	l, err := email.NewListener(o)
	if err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go func() { _ = l.Serve(ln) }()
	t.Cleanup(func() { _ = l.Close() })
	c, err := smtp.Dial(ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = c.Close() })
	return c, ln.Addr().String()
}
