package twilio

import (
	"context"
	"strings"
	"time"

	"github.com/kaskade-bcm/kaskade/notifiers"
)

// ErrUnavailable is wrapped by a sink's error when the backend cannot take
// the webhook now; the handler answers 503 so Twilio retries. It is
// notifiers.ErrUnavailable, the one sentinel of that chain.
var ErrUnavailable = notifiers.ErrUnavailable

// InboundSMS is an SMS received on one of our numbers.
type InboundSMS struct {
	MessageSID string
	From       string
	To         string
	Body       string
	// OptOutType is STOP, START or HELP when Twilio's Advanced Opt-Out took
	// the message as one of its keywords (and acted on it), else "".
	OptOutType string
	Received   time.Time
}

// InboundSink takes inbound SMS. A non-empty reply text is sent back to the
// sender as the answer SMS (subject to the loop guard).
type InboundSink interface {
	Inbound(ctx context.Context, m InboundSMS) (replyText string, err error)
}

// StatusCallback is one delivery status report of an outgoing message.
type StatusCallback struct {
	MessageSID    string
	MessageStatus string // queued, sent, delivered, undelivered, failed, …
	ErrorCode     string // Twilio error code for undelivered/failed, or ""
	To            string
	// Notification is the notification id from the callback URL (?n=).
	Notification string
}

// StatusSink takes delivery status callbacks. Callbacks may arrive twice
// and out of order.
type StatusSink interface {
	Status(ctx context.Context, s StatusCallback) error
}

// InboundFunc adapts a function to InboundSink.
type InboundFunc func(ctx context.Context, m InboundSMS) (string, error)

// Inbound calls f.
func (f InboundFunc) Inbound(ctx context.Context, m InboundSMS) (string, error) { return f(ctx, m) }

// StatusFunc adapts a function to StatusSink.
type StatusFunc func(ctx context.Context, s StatusCallback) error

// Status calls f.
func (f StatusFunc) Status(ctx context.Context, s StatusCallback) error { return f(ctx, s) }

// DeliveryState maps a Twilio message status to a delivery state; ok is
// false for statuses that say nothing new (queued, accepted, sending).
func DeliveryState(status string) (state notifiers.State, ok bool) {
	switch strings.ToLower(status) {
	case "sent":
		return notifiers.StateSent, true
	case "delivered", "read":
		return notifiers.StateDelivered, true
	case "undelivered", "failed", "canceled":
		return notifiers.StateFailed, true
	}
	return "", false
}
