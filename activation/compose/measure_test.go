package compose

import (
	"strings"
	"testing"

	"github.com/kaskade-bcm/kaskade/activation"
	"github.com/kaskade-bcm/kaskade/config"
	"github.com/kaskade-bcm/kaskade/notifiers"
)

// MeasureSMS is never shorter than what any recipient gets.
func TestMeasureSMSCoversEveryRecipient(t *testing.T) {
	c, _ := composer(t)
	inc := incident(true)
	size, err := c.MeasureSMS(notifiers.PurposeAlert, inc, "")
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range c.opts.Config.People[:20] {
		m, err := c.Compose(activation.Notification{ID: "n1", Person: p.ID, Org: p.Organisation, Channel: config.ChannelSMS, Purpose: notifiers.PurposeAlert}, inc)
		if err != nil {
			t.Fatal(err)
		}
		if n := len([]rune(m.Text)); n > size.Chars {
			t.Fatalf("%s gets %d characters, measured %d", p.ID, n, size.Chars)
		}
	}
	cases := []struct {
		purpose notifiers.Purpose
		inc     activation.Declared
		text    string
		min     int // segments at least
		max     int // segments at most
	}{
		{notifiers.PurposeAlert, inc, "", 1, 3},
		{notifiers.PurposeAlert, func() activation.Declared { d := inc; d.Title = strings.Repeat("x", 1679); return d }(), "", 11, 99},
		{notifiers.PurposeUpdate, inc, "Stab tritt um 04:00 zusammen.", 1, 1},
		{notifiers.PurposeUpdate, inc, strings.Repeat("ü", 500), 4, 99},
		{notifiers.PurposeStandDown, inc, strings.Repeat("x", 1000), 7, 99},
	}
	for _, tc := range cases {
		size, err := c.MeasureSMS(tc.purpose, tc.inc, tc.text)
		if err != nil {
			t.Fatal(err)
		}
		if size.Segments < tc.min || size.Segments > tc.max {
			t.Errorf("%s with %d characters of text: %d segments, want %d to %d", tc.purpose, len(tc.text), size.Segments, tc.min, tc.max)
		}
	}
}

// A conversion and an unknown purpose are refused, not measured as an alert.
func TestMeasureSMSRefusesOtherPurposes(t *testing.T) {
	c, _ := composer(t)
	for _, p := range []notifiers.Purpose{notifiers.PurposeConvert, "bogus"} {
		if _, err := c.MeasureSMS(p, incident(false), ""); err == nil {
			t.Errorf("MeasureSMS(%q) measured", p)
		}
	}
}
