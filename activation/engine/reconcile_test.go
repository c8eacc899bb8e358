package engine

import (
	"context"
	"testing"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/kaskade-bcm/kaskade/activation"
	"github.com/kaskade-bcm/kaskade/notifiers"
)

// An attempt claimed by a dispatcher that died is looked up at the fake
// Twilio: recorded as sent when it is there, sent now when it is not, never
// both; one a stand-down stopped is not sent.
func TestUnknownAttemptsAreReconciled(t *testing.T) {
	tests := []struct {
		name         string
		acceptedOnce bool // the dead dispatcher's request reached Twilio
		stoodDown    bool
		wantMessages int
		wantState    notifiers.State
	}{
		{"accepted before the crash", true, false, 1, notifiers.StateSent},
		{"never sent", false, false, 1, notifiers.StateSent},
		{"never sent, stood down since", false, true, 0, notifiers.StateFailed},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			js := embeddedJS(t)
			e, _ := startEngine(t, js, -1)
			fake := startSMSFake(t)
			sms := fake.sender(t, 0, 4)
			submit(t, e, smsIncident("X1", 1, false))
			var n activation.Notification
			var decl activation.Declared
			e.View(func(c *activation.Core) {
				n, _, _ = c.NotificationInfo("X1", "X1-n1")
				decl, _ = c.Declaration("X1")
			})
			kv, err := js.KeyValue(context.Background(), (Layout{}).ClaimsBucket())
			if err != nil {
				t.Fatal(err)
			}
			if _, err := kv.Create(context.Background(), n.ID, []byte("dead")); err != nil {
				t.Fatal(err)
			}
			var sid string
			if tt.acceptedOnce {
				m, _ := testComposer{}.Compose(n, decl)
				r, err := sms.Notify(context.Background(), m)
				if err != nil {
					t.Fatal(err)
				}
				sid = r.ProviderID
			}
			if tt.stoodDown {
				submit(t, e, activation.Input{Incident: "X1", StandDown: &activation.StandDown{By: "lagedienst", Reason: "Ende"}})
			}
			ctx, cancel := context.WithCancel(context.Background())
			done := make(chan struct{})
			go func() {
				defer close(done)
				_ = e.Dispatch(ctx, DispatchOptions{Notifiers: map[string]notifiers.Notifier{"sms": sms}, Composer: testComposer{},
					Workers: 4, Instance: "survivor", ReconcileAfter: 1})
			}()
			t.Cleanup(func() {
				cancel()
				<-done
			})
			var st notifiers.State
			waitFor(t, "the attempt settled", func() bool {
				e.View(func(c *activation.Core) { _, st, _ = c.NotificationInfo("X1", n.ID) })
				return st != notifiers.StatePending
			})
			if st != tt.wantState {
				t.Errorf("state = %s, want %s", st, tt.wantState)
			}
			if got := len(fake.accepted()); got != tt.wantMessages {
				t.Errorf("fake accepted %d messages, want %d", got, tt.wantMessages)
			}
			if tt.acceptedOnce && fake.accepted()[0].SID != sid {
				t.Errorf("message %s is not the one accepted before the crash", fake.accepted()[0].SID)
			}
		})
	}
}

// submitWithRepeat declares X1 for one person whose node sends an SMS and
// then a repeat, and waits until both are requested.
func submitWithRepeat(t *testing.T, e *Engine) {
	t.Helper()
	in := smsIncident("X1", 1, false)
	in.Plans[0].Nodes[0].Steps = []activation.Step{{Channel: "sms"}, {Channel: "sms"}}
	submit(t, e, in)
	waitFor(t, "the repeat requested", func() bool {
		v, _ := e.Incident("X1")
		return v.Counts.Requested == 2
	})
}

// repeatPair returns X1's first attempt and its repeat (submitWithRepeat)
// and the declaration.
func repeatPair(e *Engine) (first, repeat activation.Notification, decl activation.Declared) {
	e.View(func(c *activation.Core) {
		first, _, _ = c.NotificationInfo("X1", "X1-n1")
		repeat, _, _ = c.NotificationInfo("X1", "X1-n2")
		decl, _ = c.Declaration("X1")
	})
	return first, repeat, decl
}

// attemptDiedRepeatSent plays a first attempt whose dispatcher died after
// its claim, before its call, and the repeat claimed and sent after it.
// Provider dates have whole seconds: the repeat is claimed in a later second
// than the first, and it returns in the second after the repeat's message,
// so that a resend claim (which ends the repeat's lookup window) falls
// later (the one-second edge of provider dates, a known limit).
func attemptDiedRepeatSent(t *testing.T, js jetstream.JetStream, sms notifiers.Notifier, first, repeat activation.Notification, decl activation.Declared) notifiers.Receipt {
	t.Helper()
	kv, err := js.KeyValue(context.Background(), (Layout{}).ClaimsBucket())
	if err != nil {
		t.Fatal(err)
	}
	if _, err := kv.Create(context.Background(), first.ID, []byte("dead")); err != nil {
		t.Fatal(err)
	}
	time.Sleep(1100 * time.Millisecond)
	if _, err := kv.Create(context.Background(), repeat.ID, []byte("dead")); err != nil {
		t.Fatal(err)
	}
	m, _ := testComposer{}.Compose(repeat, decl)
	receipt, err := sms.Notify(context.Background(), m)
	if err != nil {
		t.Fatal(err)
	}
	time.Sleep(time.Until(time.Now().Truncate(time.Second).Add(time.Second + 50*time.Millisecond)))
	return receipt
}

// A repeat with the same text, claimed after an attempt that died before
// its call, is not taken for that attempt's message: the first is sent
// now, the repeat recorded as sent.
func TestReconcileTellsARepeatFromTheAttempt(t *testing.T) {
	js := embeddedJS(t)
	e, _ := startEngine(t, js, -1)
	fake := startSMSFake(t)
	sms := fake.sender(t, 0, 4)
	submitWithRepeat(t, e)
	first, repeat, decl := repeatPair(e)
	attemptDiedRepeatSent(t, js, sms, first, repeat, decl)
	startDispatchWith(t, e, DispatchOptions{Notifiers: map[string]notifiers.Notifier{"sms": sms}, Composer: testComposer{},
		Workers: 4, Instance: "survivor", ReconcileAfter: 1})
	waitFor(t, "both attempts settled", func() bool { return settled(e, "X1") })
	if got := len(fake.accepted()); got != 2 {
		t.Fatalf("fake accepted %d messages, want the repeat and the first sent now", got)
	}
	v := view(t, e, "X1")
	if v.Counts.Sent != 2 {
		t.Fatalf("counts %+v, want both sent", v.Counts)
	}
}

// A send whose answer was lost (a gateway error: Twilio may or may not have
// the message) is looked up later instead of staying unknown: sent now when
// Twilio has none.
func TestUnknownOutcomeIsLookedUp(t *testing.T) {
	js := embeddedJS(t)
	e, _ := startEngine(t, js, -1)
	fake := startSMSFake(t)
	fake.ServerErrorNext(1, 502) // refused, but it looks like a lost answer
	startDispatchWith(t, e, DispatchOptions{Notifiers: map[string]notifiers.Notifier{"sms": fake.sender(t, 0, 2)},
		Composer: testComposer{}, Workers: 4, Instance: "test", ReconcileAfter: time.Millisecond})
	submit(t, e, smsIncident("X1", 1, false))
	waitFor(t, "the attempt settled", func() bool { return settled(e, "X1") })
	if c := view(t, e, "X1").Counts; c.Sent != 1 || c.Unknown != 0 {
		t.Fatalf("counts %+v, want sent after the lookup", c)
	}
	if got := len(fake.accepted()); got != 1 {
		t.Fatalf("fake accepted %d, want 1", got)
	}
}
