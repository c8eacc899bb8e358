package compose

import (
	"strings"
	"testing"

	"github.com/kaskade-bcm/kaskade/activation"
	"github.com/kaskade-bcm/kaskade/notifiers"
)

// TestEmailReplyOnlyWhenRead (issue 16.19): the alert email offers
// "reply to this email" only when a reply listener reads the answers.
func TestEmailReplyOnlyWhenRead(t *testing.T) {
	n := activation.Notification{ID: "K7-n3", Person: "mi-uwe-boehm", Channel: "email", Purpose: notifiers.PurposeAlert, Org: "MI", Function: "lead"}
	for _, listener := range []bool{false, true} {
		c, _ := composer(t)
		c.opts.EmailReplies = listener
		m, err := c.Compose(n, incident(false))
		if err != nil {
			t.Fatal(err)
		}
		for _, body := range []string{m.Text, m.HTML} {
			if got := strings.Contains(body, "antworten Sie auf diese E-Mail"); got != listener {
				t.Errorf("listener %v: reply hint shown %v in\n%s", listener, got, body)
			}
		}
	}
}
