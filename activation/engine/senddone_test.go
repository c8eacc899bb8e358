package engine

import (
	"context"
	"testing"
	"time"

	"github.com/kaskade-bcm/kaskade/activation"
	"github.com/kaskade-bcm/kaskade/notifiers"
)

// ackRecorder is a request message that records how it was settled.
type ackRecorder struct{ acked chan struct{} }

func (a *ackRecorder) Ack() error                       { close(a.acked); return nil }
func (a *ackRecorder) Nak() error                       { return nil }
func (a *ackRecorder) NakWithDelay(time.Duration) error { return nil }
func (a *ackRecorder) Term() error                      { return nil }
func (a *ackRecorder) InProgress() error                { return nil }

// TestProviderSlotIsFreedBeforeTheReport: the provider slot goes back as
// soon as the provider call is over, while the report is still being
// stored; the request is acknowledged only after its report.
func TestProviderSlotIsFreedBeforeTheReport(t *testing.T) {
	d := &dispatcher{e: New(Options{}), opts: DispatchOptions{Composer: testComposer{}}, reports: make(chan reportReq)}
	sent := make(chan struct{})
	notifier := notifiers.NotifierFunc(func(context.Context, notifiers.Message) (notifiers.Receipt, error) {
		close(sent)
		return notifiers.Receipt{State: notifiers.StateSent, ProviderID: "SM1"}, nil
	})
	released := make(chan struct{})
	m := &ackRecorder{acked: make(chan struct{})}
	r := request{incident: "K1", n: activation.Notification{ID: "K1-n1", Person: "p1", Channel: "sms", Purpose: notifiers.PurposeAlert}}
	go d.sendAndReport(withSendDone(context.Background(), func() { close(released) }), m, notifier, r, true)
	for what, ch := range map[string]chan struct{}{"sent": sent, "slot released": released} {
		select {
		case <-ch:
		case <-time.After(5 * time.Second):
			t.Fatalf("not %s while the report waits", what)
		}
	}
	var rep reportReq
	select {
	case rep = <-d.reports:
	case <-time.After(5 * time.Second):
		t.Fatal("no report")
	}
	select {
	case <-m.acked:
		t.Fatal("acknowledged before its report was stored")
	default:
	}
	if rep.in.Delivery == nil || rep.in.Delivery.State != notifiers.StateSent || rep.in.Delivery.ProviderID != "SM1" {
		t.Fatalf("report %+v", rep.in.Delivery)
	}
	close(rep.done)
	select {
	case <-m.acked:
	case <-time.After(5 * time.Second):
		t.Fatal("not acknowledged after its report")
	}
}
