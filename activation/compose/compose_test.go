package compose

import (
	"strings"
	"testing"
	"time"

	"github.com/kaskade-bcm/kaskade/activation"
	"github.com/kaskade-bcm/kaskade/activation/answer/ack"
	"github.com/kaskade-bcm/kaskade/config"
	"github.com/kaskade-bcm/kaskade/notifiers"
	"github.com/kaskade-bcm/kaskade/notifiers/gsm7"
)

func composer(t *testing.T) (*Composer, *ack.Signer) {
	t.Helper()
	cfg, probs, err := config.LoadExample()
	if err != nil || probs.Err() != nil {
		t.Fatal(err, probs)
	}
	signer, err := ack.NewSigner([][]byte{[]byte("0123456789abcdef0123")}, time.Hour, nil)
	if err != nil {
		t.Fatal(err)
	}
	return New(Options{Config: cfg, Signer: signer, PublicURL: "https://kaskade.example.de"}), signer
}

func incident(exercise bool) activation.Declared {
	return activation.Declared{ID: "K7", ReplyCode: "K7", Scenario: "cyberangriff", Title: "Cyberangriff „Landesnetz“ – Ausfall",
		Severity: "emergency", Exercise: exercise, DeclaredAt: time.Date(2026, 11, 26, 2, 12, 0, 0, time.UTC)}
}

func TestCompose(t *testing.T) {
	c, signer := composer(t)
	cases := []struct {
		name     string
		n        activation.Notification
		exercise bool
		check    func(t *testing.T, m notifiers.Message)
	}{
		{"exercise SMS in German", activation.Notification{ID: "K7-n1", Person: "mi-uwe-boehm", Channel: "sms", Purpose: notifiers.PurposeAlert, Org: "MI", Function: "lead"}, true,
			func(t *testing.T, m notifiers.Message) {
				if !strings.HasPrefix(m.Text, "ÜBUNG ") || !strings.Contains(m.Text, "Antwort: 1=komme, 2 30=komme in 30 Min., 3=nicht verfügbar (K7)") {
					t.Fatalf("text %q", m.Text)
				}
				if !gsm7.IsGSM7(m.Text) || strings.ContainsAny(m.Text, "„“–") {
					t.Fatalf("not GSM-7: %q", m.Text)
				}
				if m.To != "+4915100001016" || m.Language != "de" || !m.Exercise {
					t.Fatalf("message %+v", m)
				}
			}},
		{"real SMS has no marking", activation.Notification{ID: "K7-n2", Person: "mi-uwe-boehm", Channel: "sms", Purpose: notifiers.PurposeAlert, Org: "MI"}, false,
			func(t *testing.T, m notifiers.Message) {
				if strings.Contains(m.Text, "ÜBUNG") {
					t.Fatalf("real alert marked as exercise: %q", m.Text)
				}
			}},
		{"email with ack links", activation.Notification{ID: "K7-n3", Person: "mi-uwe-boehm", Channel: "email", Purpose: notifiers.PurposeAlert, Org: "MI", Function: "lead"}, true,
			func(t *testing.T, m notifiers.Message) {
				if !strings.HasPrefix(m.Subject, "ÜBUNG ") || m.To != "uwe.boehm@mi.niedersachsen.example" || !strings.HasPrefix(m.ReplyTag, "K7-n3-") {
					t.Fatalf("email %q to %q tag %q", m.Subject, m.To, m.ReplyTag)
				}
				i := strings.Index(m.Text, "https://kaskade.example.de/ack/")
				if i < 0 || !strings.Contains(m.HTML, "Ich komme später") {
					t.Fatalf("no ack links:\n%s", m.Text)
				}
				tok := strings.SplitN(strings.TrimPrefix(m.Text[i:], "https://kaskade.example.de/ack/"), "?", 2)[0]
				claims, err := signer.Verify(tok)
				if err != nil || claims.Person != "mi-uwe-boehm" || claims.Incident != "K7" || claims.Notification != "K7-n3" {
					t.Fatalf("token claims %+v: %v", claims, err)
				}
				if !strings.Contains(m.Text, "26.11.2026 03:12") {
					t.Fatalf("declaration time not in Europe/Berlin:\n%s", m.Text)
				}
			}},
		{"stand-down", activation.Notification{ID: "K7-n4", Person: "mi-uwe-boehm", Channel: "sms", Purpose: notifiers.PurposeStandDown, Org: "MI", Text: "Lage beendet"}, true,
			func(t *testing.T, m notifiers.Message) {
				if !strings.HasPrefix(m.Text, "ÜBUNG ") || !strings.Contains(m.Text, "Lage beendet") || strings.Contains(m.Text, "Antwort:") {
					t.Fatalf("stand-down %q", m.Text)
				}
			}},
		{"conversion to a real incident", activation.Notification{ID: "K7-n5", Person: "mi-uwe-boehm", Channel: "sms", Purpose: notifiers.PurposeConvert, Org: "MI", Text: "bestätigt"}, false,
			func(t *testing.T, m notifiers.Message) {
				if !strings.HasPrefix(m.Text, "ECHTFALL, KEINE UBUNG MEHR") && !strings.HasPrefix(m.Text, "ECHTFALL, KEINE ÜBUNG MEHR") || !strings.Contains(m.Text, "(K7)") {
					t.Fatalf("conversion %q", m.Text)
				}
			}},
		{"unknown person", activation.Notification{ID: "K7-n6", Person: "nobody", Channel: "sms", Purpose: notifiers.PurposeAlert}, true, nil},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			m, err := c.Compose(tc.n, incident(tc.exercise))
			if tc.check == nil {
				if err == nil {
					t.Fatal("composed a message for an unknown person")
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			tc.check(t, m)
		})
	}
}

func TestEnglishRecipients(t *testing.T) {
	c, _ := composer(t)
	var en *config.Person
	for i := range c.opts.Config.People {
		if c.opts.Config.People[i].Language == "en" && c.opts.Config.People[i].Mobile != "" {
			en = &c.opts.Config.People[i]
			break
		}
	}
	if en == nil {
		t.Fatal("the example has no English-speaking person with a mobile")
	}
	m, err := c.Compose(activation.Notification{ID: "K7-n9", Person: en.ID, Channel: "sms", Purpose: notifiers.PurposeAlert, Org: en.Organisation}, incident(true))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(m.Text, "ÜBUNG/EXERCISE ") || !strings.Contains(m.Text, "Reply: 1=coming") {
		t.Fatalf("English SMS %q", m.Text)
	}
}
