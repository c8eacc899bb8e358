package twilio_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/kaskade-bcm/kaskade/notifiers"
	"github.com/kaskade-bcm/kaskade/notifiers/twilio"
	"github.com/kaskade-bcm/kaskade/notifiers/twilio/twiliotest"
)

// A caller holding the Gate's only slot sends under it without waiting
// again; anyone else waits until the slot is released.
func TestGateSlotIsTheSendSlot(t *testing.T) {
	f, url := fake(t, twiliotest.Options{})
	s := sender(t, f, url, func(o *twilio.Options) { o.Concurrency = 1; o.RatePerSecond = 1000 })
	var g notifiers.Gate = notifiers.Retry(s, notifiers.RetryOptions{}).(notifiers.Gate)
	release, err := g.Acquire(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	msg := notifiers.Message{ID: "n1", To: "+4915100000001", Text: "Alarm"}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if r, err := s.Notify(notifiers.Admit(ctx), msg); err != nil || r.State != notifiers.StateSent {
		t.Fatalf("admitted send = %+v, %v", r, err)
	}
	blocked, cancelBlocked := context.WithCancel(context.Background())
	cancelBlocked()
	if _, err := s.Notify(blocked, msg); !errors.Is(err, context.Canceled) {
		t.Fatalf("send without the held slot = %v, want it waiting for the slot", err)
	}
	release()
	release() // idempotent
	if r, err := s.Notify(ctx, msg); err != nil || r.State != notifiers.StateSent {
		t.Fatalf("send after release = %+v, %v", r, err)
	}
	if got := f.Stats().Accepted; got != 2 {
		t.Fatalf("accepted %d, want 2", got)
	}
}
