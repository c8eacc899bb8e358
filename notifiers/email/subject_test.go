package email

import (
	"context"
	"strings"
	"testing"

	"github.com/kaskade-bcm/kaskade/notifiers/email/emailtest"
)

// A title with line breaks or control characters (typed, or from a CAP
// warning) gives a one-line subject: no CR or LF survives even encoded,
// where a client or gateway that decodes it would see a header break.
func TestSubjectIsOneLine(t *testing.T) {
	addr, received := emailtest.NewServer(t)
	s, _ := newSender(t, addr, nil)
	m := testMessage()
	m.Subject = "NOTFALL: Hochwasser\r\nBcc: evil@example.org\n\tPegel\x00 steigt\u2028weiter"
	if _, err := s.Notify(context.Background(), m); err != nil {
		t.Fatal(err)
	}
	p := parseMessage(t, received()[0].Data)
	subj := decodeHeader(t, p.header.Get("Subject"))
	if want := "NOTFALL: Hochwasser Bcc: evil@example.org Pegel steigt weiter"; subj != want {
		t.Fatalf("subject %q, want %q", subj, want)
	}
	if p.header.Get("Bcc") != "" || strings.Contains(p.header.Get("Subject"), "=0D") {
		t.Fatalf("line break in the subject header: %q", p.header.Get("Subject"))
	}
}
