package compose

import (
	"strings"
	"testing"

	"github.com/kaskade-bcm/kaskade/activation"
	"github.com/kaskade-bcm/kaskade/config"
	"github.com/kaskade-bcm/kaskade/notifiers"
)

func TestComposeVoice(t *testing.T) {
	c, _ := composer(t)
	tests := []struct {
		name, person, to string
	}{
		{"landline phone first", "stk-anna-meyer", "+495111206901"},
		{"mobile without phone", "mi-uwe-boehm", "+4915100001016"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m, err := c.Compose(activation.Notification{ID: "K7-n1", Person: tt.person, Channel: config.ChannelVoice,
				Purpose: notifiers.PurposeAlert, Org: "MI", Function: "lead"}, incident(true))
			if err != nil {
				t.Fatal(err)
			}
			if m.To != tt.to || !m.Exercise || m.Channel != config.ChannelVoice {
				t.Fatalf("message %+v", m)
			}
			// The call says the exercise and the keypad menu itself.
			if strings.Contains(m.Text, "ÜBUNG") || strings.Contains(m.Text, "Antwort:") || strings.Contains(m.Text, "\n") {
				t.Fatalf("voice text %q", m.Text)
			}
		})
	}
	m, err := c.Compose(activation.Notification{ID: "K7-n2", Person: "mi-uwe-boehm", Channel: config.ChannelVoice,
		Purpose: notifiers.PurposeConvert, Org: "MI", Function: "lead"}, incident(false))
	if err != nil || !strings.HasPrefix(m.Text, "ECHTFALL, KEINE ÜBUNG MEHR: ") {
		t.Fatalf("converted alert by voice: %q, %v", m.Text, err)
	}
}
