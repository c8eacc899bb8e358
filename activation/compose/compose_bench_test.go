package compose

import (
	"testing"
	"time"

	"github.com/kaskade-bcm/kaskade/activation"
	"github.com/kaskade-bcm/kaskade/activation/answer/ack"
	"github.com/kaskade-bcm/kaskade/config"
	"github.com/kaskade-bcm/kaskade/notifiers"
)

func benchComposer(b *testing.B) (*Composer, activation.Declared) {
	b.Helper()
	cfg, _, err := config.LoadExample()
	if err != nil {
		b.Fatal(err)
	}
	signer, err := ack.NewSigner([][]byte{[]byte("0123456789abcdef0123456789abcdef")}, 24*time.Hour, nil)
	if err != nil {
		b.Fatal(err)
	}
	c := New(Options{Config: cfg, Signer: signer, PublicURL: "https://kaskade.example.de"})
	decl := activation.Declared{ID: "K1", ReplyCode: "K1", Scenario: "cyberangriff", ScenarioName: activation.Names{DE: "Cyberangriff", EN: "Cyber attack"},
		Title: "Cyberangriff", Severity: "emergency", Exercise: true, DeclaredBy: "lagedienst", Reason: "bench",
		DeclaredAt: time.Date(2026, 11, 26, 3, 12, 0, 0, time.UTC), Orgs: []string{"MI"}}
	return c, decl
}

func benchCompose(b *testing.B, channel string) {
	c, decl := benchComposer(b)
	n := activation.Notification{ID: "K1-n1", Person: "mi-uwe-boehm", Channel: channel, Purpose: notifiers.PurposeAlert,
		Org: "MI", Function: "lead"}
	if _, err := c.Compose(n, decl); err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := c.Compose(n, decl); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkComposeSMS renders one alert SMS (the fan-out's per-message work).
func BenchmarkComposeSMS(b *testing.B) { benchCompose(b, config.ChannelSMS) }

// BenchmarkComposeEmail renders one alert email with its signed ack link.
func BenchmarkComposeEmail(b *testing.B) { benchCompose(b, config.ChannelEmail) }
