package engine

import (
	"context"
	"testing"
	"time"

	"github.com/kaskade-bcm/kaskade/activation"
	"github.com/kaskade-bcm/kaskade/notifiers"
)

// A dispatcher whose engine is still replaying the log acts on nothing: its
// projection held the first attempt of a person but not yet the repeat
// after it, so reconciling the first (claimed by a dispatcher that died
// before its call) found the repeat's message and recorded that attempt as
// sent. Once replayed, the first attempt is sent now.
func TestDispatchWaitsForTheReplay(t *testing.T) {
	js := embeddedJS(t)
	e1, stop1 := startEngine(t, js, -1)
	fake := startSMSFake(t)
	sms := fake.sender(t, 0, 4)
	submitWithRepeat(t, e1)
	first, repeat, decl := repeatPair(e1)
	stop1()
	receipt := attemptDiedRepeatSent(t, js, sms, first, repeat, decl)

	// The restarted engine, halfway through its replay: the declaration is
	// applied, the repeat's decision is not.
	e2 := New(Options{JS: js, SnapshotEvery: -1})
replay:
	for _, le := range readLog(t, js) {
		evs := le.ev.Unpacked()
		for _, ev := range evs {
			if ev.Kind == activation.KindNotification && ev.Notification.ID == repeat.ID {
				break replay
			}
		}
		for _, ev := range evs {
			e2.core.Apply(ev)
		}
	}
	opts := DispatchOptions{Notifiers: map[string]notifiers.Notifier{"sms": sms}, Composer: testComposer{},
		Workers: 4, Instance: "restarted", ReconcileAfter: 1}
	startDispatchWith(t, e2, opts)
	time.Sleep(time.Second) // long enough to reconcile on the partial projection

	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		_ = e2.Run(ctx)
	}()
	t.Cleanup(func() { cancel(); <-done })
	waitFor(t, "both attempts settled", func() bool { return settled(e2, "X1") })
	for _, le := range readLog(t, js) {
		for _, ev := range le.ev.Unpacked() {
			if ev.Kind == activation.KindDelivery && ev.Delivery.Notification == first.ID && ev.Delivery.ProviderID == receipt.ProviderID {
				t.Fatalf("the first attempt was recorded as the repeat's message %s", receipt.ProviderID)
			}
		}
	}
	if got := len(fake.accepted()); got != 2 {
		t.Fatalf("fake accepted %d messages, want the repeat and the first sent now", got)
	}
}
