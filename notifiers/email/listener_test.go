package email

import (
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"strings"
	"sync"
	"testing"

	"github.com/emersion/go-smtp"
)

// fakeReplySink records replies.
type fakeReplySink struct {
	mu      sync.Mutex
	replies []EmailReply
	err     error
}

func (f *fakeReplySink) EmailReply(_ context.Context, r EmailReply) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.err != nil {
		return f.err
	}
	f.replies = append(f.replies, r)
	return nil
}

func (f *fakeReplySink) got() []EmailReply {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]EmailReply(nil), f.replies...)
}

func startListener(t *testing.T, sink ReplySink, logs *logBuf) string {
	t.Helper()
	l, err := NewListener(ListenerOptions{
		Domain: "lage.example.de", Sink: sink,
		Logger: slog.New(slog.NewTextHandler(logs, nil)),
	})
	if err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- l.Serve(ln) }()
	t.Cleanup(func() {
		if err := l.Close(); err != nil {
			t.Error(err)
		}
		_ = ln.Close()
		if err := <-done; err != nil {
			t.Errorf("Serve: %v", err)
		}
	})
	return ln.Addr().String()
}

// send delivers raw with a go-smtp client; it returns the first error.
func send(t *testing.T, addr, from, to, raw string) error {
	t.Helper()
	c, err := smtp.Dial(addr)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if err := c.Hello("mx.mi.example.de"); err != nil {
		return err
	}
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
	if _, err := w.Write([]byte(strings.ReplaceAll(raw, "\n", "\r\n"))); err != nil {
		return err
	}
	if err := w.Close(); err != nil {
		return err
	}
	return c.Quit()
}

func smtpCode(err error) int {
	var se *smtp.SMTPError
	if errors.As(err, &se) {
		return se.Code
	}
	return 0
}

const plainReply = `From: =?utf-8?q?Erika_M=C3=BCller?= <erika.mueller@mi.example.de>
To: kaskade+K7x9@lage.example.de
Subject: Re: =?utf-8?q?=C3=9CBUNG_=E2=80=93_Cyberangriff_auf_das_Landesnetz?=
Message-ID: <reply-1@mi.example.de>
In-Reply-To: <n-0042+K7x9@lage.example.de>
Content-Type: text/plain; charset=utf-8
Content-Transfer-Encoding: quoted-printable

=20
2 30 =E2=80=93 bin auf der Stra=C3=9Fe

Am So., 1. M=C3=A4rz 2026 um 03:12 Uhr schrieb Kaskade Lagezentrum <
kaskade+K7x9@lage.example.de>:
> Pr=C3=BCfung
`

func TestListenerAcceptsTaggedReply(t *testing.T) {
	sink := &fakeReplySink{}
	logs := &logBuf{}
	addr := startListener(t, sink, logs)
	if err := send(t, addr, "erika.mueller@mi.example.de", "kaskade+K7x9@lage.example.de", plainReply); err != nil {
		t.Fatal(err)
	}
	got := sink.got()
	want := EmailReply{
		Tag: "K7x9", From: "erika.mueller@mi.example.de",
		Subject:   "Re: ÜBUNG – Cyberangriff auf das Landesnetz",
		FirstLine: "2 30 – bin auf der Straße", MessageID: "<reply-1@mi.example.de>",
	}
	if len(got) != 1 || got[0] != want {
		t.Fatalf("got %+v\nwant %+v", got, want)
	}
	if strings.Contains(logs.String(), "erika.mueller@") {
		t.Errorf("log leaks address:\n%s", logs.String())
	}
}

func TestListenerRejectsOtherRecipients(t *testing.T) {
	sink := &fakeReplySink{}
	addr := startListener(t, sink, &logBuf{})
	for _, to := range []string{"kaskade@lage.example.de", "kaskade+K7@other.example.de", "postmaster@lage.example.de"} {
		err := send(t, addr, "a@mi.example.de", to, plainReply)
		if smtpCode(err) != 550 {
			t.Errorf("%s: err %v, want 550", to, err)
		}
	}
	if len(sink.got()) != 0 {
		t.Fatal("sink called")
	}
}

func TestListenerBodies(t *testing.T) {
	tests := []struct {
		name, to, raw string
		wantTag       string
		wantLine      string
		dropped       bool
	}{
		{
			name: "multipart prefers plain, base64 latin1", to: "kaskade+T1@lage.example.de",
			raw: `From: a@mi.example.de
Subject: Re: Alarm
MIME-Version: 1.0
Content-Type: multipart/alternative; boundary="b1"

--b1
Content-Type: text/html; charset=utf-8

<p>HTML answer</p>
--b1
Content-Type: text/plain; charset=iso-8859-1
Content-Transfer-Encoding: base64

` + b64Latin1("Nicht verfügbar, bin im Urlaub\r\n\r\n> Zitat\r\n") + `
--b1--
`, wantTag: "T1", wantLine: "Nicht verfügbar, bin im Urlaub",
		},
		{
			name: "nested multipart mixed", to: "kaskade+T2@lage.example.de",
			raw: `From: a@mi.example.de
Subject: Re: Alarm
Content-Type: multipart/mixed; boundary="outer"

--outer
Content-Type: multipart/alternative; boundary="inner"

--inner
Content-Type: text/plain; charset=utf-8

> quoted first
komme
--inner--
--outer
Content-Type: application/pdf

xx
--outer--
`, wantTag: "T2", wantLine: "komme",
		},
		{
			name: "html only", to: "kaskade+T3@lage.example.de",
			raw: `From: a@mi.example.de
Subject: Re: Alarm
Content-Type: text/html; charset=utf-8

<html><head><style>p{}</style></head><body><div>1</div><blockquote>Pr&uuml;fung</blockquote></body></html>
`, wantTag: "T3", wantLine: "1",
		},
		{
			name: "english attribution only", to: "kaskade+T4@lage.example.de",
			raw: `From: a@mi.example.de
Subject: Re: Alarm

On Sun, 1 Mar 2026 at 03:12, Kaskade <kaskade+T4@lage.example.de> wrote:
> 1
`, wantTag: "T4", wantLine: "",
		},
		{
			name: "empty tag falls back to In-Reply-To", to: "kaskade+@lage.example.de",
			raw: `From: a@mi.example.de
Subject: Re: Alarm
In-Reply-To: <n-1+K9@lage.example.de>
References: <other@x.example> <n-1+K9@lage.example.de>

ja
`, wantTag: "K9", wantLine: "ja",
		},
		{
			name: "out of office dropped", to: "kaskade+T5@lage.example.de",
			raw: `From: a@mi.example.de
Subject: Abwesenheitsnotiz
Auto-Submitted: auto-replied

Ich bin nicht im Büro.
`, dropped: true,
		},
		{
			name: "no usable tag dropped", to: "kaskade+a.b@lage.example.de",
			raw: `From: a@mi.example.de
Subject: Re: Alarm

1
`, dropped: true,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			sink := &fakeReplySink{}
			addr := startListener(t, sink, &logBuf{})
			if err := send(t, addr, "a@mi.example.de", tt.to, tt.raw); err != nil {
				t.Fatal(err)
			}
			got := sink.got()
			if tt.dropped {
				if len(got) != 0 {
					t.Fatalf("not dropped: %+v", got)
				}
				return
			}
			if len(got) != 1 || got[0].Tag != tt.wantTag || got[0].FirstLine != tt.wantLine {
				t.Fatalf("got %+v", got)
			}
		})
	}
}

func b64Latin1(s string) string {
	var b []byte
	for _, r := range s {
		b = append(b, byte(r))
	}
	return base64Std(b)
}

func TestListenerBounceDropped(t *testing.T) {
	sink := &fakeReplySink{}
	addr := startListener(t, sink, &logBuf{})
	if err := send(t, addr, "", "kaskade+K1@lage.example.de", plainReply); err != nil {
		t.Fatal(err)
	}
	if len(sink.got()) != 0 {
		t.Fatal("bounce handed to sink")
	}
}

func TestListenerSinkErrors(t *testing.T) {
	tests := []struct {
		name string
		err  error
		code int
	}{
		{"unknown sender accepted and dropped", errors.New("unknown sender"), 0},
		{"try later", fmt.Errorf("kv down: %w", ErrTryLater), 451},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			sink := &fakeReplySink{err: tt.err}
			addr := startListener(t, sink, &logBuf{})
			err := send(t, addr, "a@mi.example.de", "kaskade+K1@lage.example.de", plainReply)
			if smtpCode(err) != tt.code || (tt.code == 0 && err != nil) {
				t.Fatalf("err %v, want code %d", err, tt.code)
			}
		})
	}
}

func TestListenerTooLarge(t *testing.T) {
	sink := &fakeReplySink{}
	addr := startListener(t, sink, &logBuf{})
	big := plainReply + strings.Repeat("x", 300<<10) + "\n"
	// go-smtp answers 552 and may drop the connection while we still write.
	if err := send(t, addr, "a@mi.example.de", "kaskade+K1@lage.example.de", big); err == nil {
		t.Fatal("oversized message accepted")
	}
	if len(sink.got()) != 0 {
		t.Fatal("oversized message handed to sink")
	}
}

func TestFirstLine(t *testing.T) {
	tests := []struct{ in, want string }{
		{"komme\n", "komme"},
		{"\n\n  \n> 1\n3\n", "3"},
		{"\uFEFF\u00a01 K7\n", "1 K7"},
		{"Am Bahnhof, komme gleich\nAm Mo. schrieb X:\n> y", "Am Bahnhof, komme gleich"},
		{"Am 01.03.2026 um 03:12 schrieb Kaskade <k@x.de>:\n> 1", ""},
		{"-----Ursprüngliche Nachricht-----\nVon: x", ""},
		{"Von: Kaskade <k@x.de>\nGesendet: heute", ""},
		{"--\nSignatur", ""},
		// Thunderbird writes below the quote by default; inline answers too.
		{"Am 03.12.26 um 21:00 schrieb Kaskade Lagedienst:\n> NOTFALL\n> Antwort: 1=komme\n\n2 20\n", "2 20"},
		{"Am 03.12.26 um 21:00 schrieb K:\n> NOTFALL\n3 krank\n> Antwort: 1=komme\n", "3 krank"},
		{"On Thu, Dec 3, 2026 at 9:00 PM Kaskade <k@x.de> wrote:\n\n> 1\n\nkomme\n", "komme"},
		{"Am Do., 3. Dez. 2026 um 21:00 Uhr schrieb Kaskade Lagedienst <\nkaskade+T1@lage.example.de>:\n\n> NOTFALL\n", ""},
		{"On Thu, Dec 3, 2026 at 9:00 PM Kaskade <kaskade@lage.example.de>\nwrote:\n> 1\n", ""},
		{"Am 03.12. schrieb K:\nNOTFALL 1=komme\n", ""},
		{"Am 03.12. schrieb K:\n> NOTFALL\n-- \nErika\n", ""},
		// Outlook quoting a sender it shows by name only, with nothing written.
		{"\n________________________________\nVon: Kaskade Lagedienst\nGesendet: Donnerstag, 3. Dezember 2026 21:00\n", ""},
		{"Von: Kaskade Lagedienst\nGesendet: Donnerstag, 3. Dezember 2026 21:00\nAn: Erika\n", ""},
		{"From: Kaskade\nSent: Thursday\n", ""},
		{"Von: zu Hause, komme in 20 Min\n", "Von: zu Hause, komme in 20 Min"},
		// A salutation above the answer.
		{"Hallo,\n2 30\nGru\u00df Erika\n", "2 30"},
		{"Hallo Frau M\u00fcller,\n\n1\n", "1"},
		{"Moin\n3 krank\n", "3 krank"},
		{"Guten Morgen!\nJa, ich komme in 30 Minuten\n", "Ja, ich komme in 30 Minuten"},
		{"Hallo, komme in 20 Min\n", "Hallo, komme in 20 Min"},
		{"Hi Team, bin unterwegs\n1\n", "Hi Team, bin unterwegs"},
		{"Hallo 2 30!\nErika\n", "Hallo 2 30!"},
		{"Liebe Kolleginnen und Kollegen,\n1\n", "1"},
		// Attributions led by the sender (HCL Notes, some webmailers).
		{"Kaskade Lagedienst <kaskade@lage.example.de> schrieb am 03.12.2026 21:00:00:\n\n> NOTFALL\n\n3\n", "3"},
		{"\"Kaskade\" <kaskade@lage.example.de> wrote:\n> 1\n", ""},
		{"Wie ich schrieb: komme\n", "Wie ich schrieb: komme"},
		// Inline OpenPGP signature (Enigmail, GnuPG in scripts).
		{"-----BEGIN PGP SIGNED MESSAGE-----\nHash: SHA256\n\n2 15\n-----BEGIN PGP SIGNATURE-----\nabc\n", "2 15"},
		{"-----BEGIN PGP SIGNED MESSAGE-----\nHash: SHA256\n\n\n-----BEGIN PGP SIGNATURE-----\n", ""},
		{strings.Repeat("ä", 150), strings.Repeat("ä", 100)},
		{"", ""},
	}
	for _, tt := range tests {
		if got := firstLine(tt.in); got != tt.want {
			t.Errorf("firstLine(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestNewListenerValidates(t *testing.T) {
	if _, err := NewListener(ListenerOptions{Sink: &fakeReplySink{}}); err == nil {
		t.Error("no domain: no error")
	}
	if _, err := NewListener(ListenerOptions{Domain: "x.de"}); err == nil {
		t.Error("no sink: no error")
	}
}

func base64Std(b []byte) string { return base64.StdEncoding.EncodeToString(b) }
