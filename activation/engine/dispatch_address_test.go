package engine

import (
	"context"
	"testing"

	"github.com/kaskade-bcm/kaskade/activation"
	"github.com/kaskade-bcm/kaskade/notifiers"
)

type addressBook map[string]string // person → address

func (a addressBook) Compose(n activation.Notification, _ activation.Declared) (notifiers.Message, error) {
	return notifiers.Message{ID: n.ID, Person: n.Person, Channel: n.Channel, To: a[n.Person], Text: "Alarm"}, nil
}

// TestSendWithoutAddressFails (issue 16.4): in every channel a person
// without an address fails the step at once, and the channel is not called.
func TestSendWithoutAddressFails(t *testing.T) {
	calls := 0
	always := notifiers.NotifierFunc(func(context.Context, notifiers.Message) (notifiers.Receipt, error) {
		calls++
		return notifiers.Receipt{State: notifiers.StateDelivered}, nil
	})
	d := &dispatcher{opts: DispatchOptions{Composer: addressBook{"a": "+4915100000001"}}}
	for _, ch := range []string{"sms", "email", "console"} {
		r, _ := d.send(context.Background(), always, activation.Notification{ID: "K1-n1", Person: "b", Channel: ch}, activation.Declared{})
		if r.State != notifiers.StateFailed || r.Code != notifiers.CodeNoAddress {
			t.Errorf("%s to a person without address: %+v, want failed %s", ch, r, notifiers.CodeNoAddress)
		}
	}
	if calls != 0 {
		t.Fatalf("channel called %d times without an address", calls)
	}
	if r, _ := d.send(context.Background(), always, activation.Notification{ID: "K1-n2", Person: "a", Channel: "sms"}, activation.Declared{}); r.State != notifiers.StateDelivered {
		t.Fatalf("with an address: %+v", r)
	}
}
