package compose

import (
	"strings"
	"testing"

	"github.com/kaskade-bcm/kaskade/activation"
	"github.com/kaskade-bcm/kaskade/config"
)

// TestSetConfigTakesNewContactsAndTexts: after a reload the next message
// goes to the corrected number with the new text, though the old text was
// rendered (and cached) before under the same name.
func TestSetConfigTakesNewContactsAndTexts(t *testing.T) {
	c, _ := composer(t)
	n := activation.Notification{ID: "K7-n1", Person: "mi-uwe-boehm", Channel: "sms", Purpose: "alert", Org: "MI", Function: "lead"}
	old, err := c.Compose(n, incident(false))
	if err != nil || !strings.Contains(old.Text, "Dienst-IT meiden") || old.To != "+4915100001016" {
		t.Fatalf("before: %+v %v", old, err)
	}
	name, data := config.Example()
	text := strings.Replace(string(data), "Dienst-IT meiden, Stab bilden.", "Neuer Text nach Reload.", 1)
	text = strings.Replace(text, "mobile: +49 151 0000 1016", "mobile: +49 151 0000 1999", 1)
	next, probs, err := config.LoadBytes(name, []byte(text), nil)
	if err != nil || probs.Err() != nil {
		t.Fatal(err, probs)
	}
	c.SetConfig(next)
	m, err := c.Compose(n, incident(false))
	if err != nil || !strings.Contains(m.Text, "Neuer Text nach Reload.") || m.To != "+4915100001999" {
		t.Fatalf("after the reload: %+v %v", m, err)
	}
}
