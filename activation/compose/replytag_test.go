package compose

import (
	"strings"
	"testing"

	"github.com/kaskade-bcm/kaskade/activation"
	"github.com/kaskade-bcm/kaskade/notifiers"
	"github.com/kaskade-bcm/kaskade/notifiers/email"
)

// The reply address carries a tag bound to the notification and its
// person, not the guessable notification id (issue 15, finding 2).
func TestReplyTagIsSignedAndFitsAnAddress(t *testing.T) {
	c, signer := composer(t)
	n := activation.Notification{ID: "K7-n3", Person: "mi-uwe-boehm", Channel: "email", Purpose: notifiers.PurposeAlert, Org: "MI", Function: "lead"}
	m, err := c.Compose(n, incident(true))
	if err != nil {
		t.Fatal(err)
	}
	if m.ReplyTag == n.ID || !signer.VerifyReplyTag(m.ReplyTag, n.ID, n.Person) {
		t.Fatalf("reply tag %q is not signed for %s and %s", m.ReplyTag, n.ID, n.Person)
	}
	if signer.VerifyReplyTag(m.ReplyTag, n.ID, "mi-other") || signer.VerifyReplyTag(m.ReplyTag, "K7-n4", n.Person) {
		t.Fatalf("reply tag %q verifies for another person or notification", m.ReplyTag)
	}
	if !email.ValidTag(m.ReplyTag) || len("kaskade+"+m.ReplyTag) > 64 || strings.ToLower(m.ReplyTag[3:]) != m.ReplyTag[3:] {
		t.Fatalf("reply tag %q does not fit a local part", m.ReplyTag)
	}
	unsigned := New(Options{Config: c.opts.Config})
	if m, _ := unsigned.Compose(n, incident(true)); m.ReplyTag != "" {
		t.Fatalf("without a signer the tag is %q, want none", m.ReplyTag)
	}
}
