// Package notifiers defines how Kaskade hands one message to one channel and
// what it learns back: the Notifier interface, the Receipt with its documented
// delivery states, and pipeline stages (retry) shared by every channel. Each
// channel lives in its own subpackage (twilio, email, console).
package notifiers

import (
	"context"
	"errors"
	"fmt"
	"sync/atomic"
	"time"
)

// State is a notification's delivery state. States only move forward in the
// order pending → sending → sent → delivered; failed and unknown are final
// outcomes of one attempt.
type State string

const (
	// StatePending: requested, not yet handed to a provider.
	StatePending State = "pending"
	// StateSending: claimed by a dispatcher; the provider call may be under way.
	StateSending State = "sending"
	// StateSent: the provider accepted the message.
	StateSent State = "sent"
	// StateDelivered: the provider reports delivery to the handset or mailbox.
	StateDelivered State = "delivered"
	// StateFailed: permanent failure; the next channel or deputy takes over at once.
	StateFailed State = "failed"
	// StateUnknown: the outcome cannot be known (timeout, crash during the call).
	// It is never resent blindly; the next escalation step covers it.
	StateUnknown State = "unknown"
)

// Rank orders states so a late or duplicate receipt never overwrites a later state.
func (s State) Rank() int {
	switch s {
	case StatePending:
		return 0
	case StateSending:
		return 1
	case StateUnknown:
		return 2
	case StateSent:
		return 3
	case StateDelivered, StateFailed:
		return 4
	}
	return -1
}

// Final reports whether no further receipt can change the state.
func (s State) Final() bool { return s == StateDelivered || s == StateFailed }

// Purpose says why a message is sent.
type Purpose string

const (
	PurposeAlert     Purpose = "alert"      // activation: demands an answer
	PurposeUpdate    Purpose = "update"     // situation update (Lagemeldung)
	PurposeStandDown Purpose = "stand_down" // all clear (Entwarnung)
	PurposeReply     Purpose = "reply"      // confirmation of an answer
	PurposeConvert   Purpose = "convert"    // an exercise became a real incident
)

// Message is one rendered message to one person over one channel.
type Message struct {
	// ID identifies the attempt; providers echo it in callbacks where they can.
	ID       string
	Incident string
	Person   string
	Channel  string
	Purpose  Purpose
	Exercise bool
	Language string
	// To is an E.164 number for SMS or an address for email.
	To      string
	Subject string
	Text    string
	HTML    string
	// ReplyTag lets a reply be matched to this message (email Reply-To +tag).
	ReplyTag string
}

// Receipt is what a channel reports about one send.
type Receipt struct {
	State      State
	ProviderID string // e.g. Twilio message SID or SMTP queue id
	Code       string // provider error code when failed
	Detail     string
}

// ErrUnavailable means a backend (the engine, NATS) cannot take an input right
// now: webhooks and pages answer 503 so the sender retries. Every "unavailable"
// error in Kaskade wraps this one sentinel.
var ErrUnavailable = errors.New("temporarily unavailable")

// Notifier sends one message. It returns a Receipt with StateSent,
// StateDelivered, StateFailed (permanent) or StateUnknown. A non-nil error
// means nothing was accepted and the send may be retried; wrap it in
// *TemporaryError to tell the retry stage how long to wait.
type Notifier interface {
	Notify(ctx context.Context, m Message) (Receipt, error)
}

// NotifierFunc adapts a function to Notifier.
type NotifierFunc func(ctx context.Context, m Message) (Receipt, error)

// Notify calls f.
func (f NotifierFunc) Notify(ctx context.Context, m Message) (Receipt, error) { return f(ctx, m) }

// TemporaryError is a failure before the provider accepted the message; it
// is safe to retry, after RetryAfter when the provider said so.
type TemporaryError struct {
	Code       string
	RetryAfter time.Duration
	Err        error
}

func (e *TemporaryError) Error() string {
	if e.Code != "" {
		return fmt.Sprintf("temporary failure (code %s): %v", e.Code, e.Err)
	}
	return fmt.Sprintf("temporary failure: %v", e.Err)
}

func (e *TemporaryError) Unwrap() error { return e.Err }

// ErrNoAddress: the person has no address for the channel (no mobile, no
// email). The step fails for good at once; CodeNoAddress is its receipt code.
var ErrNoAddress = errors.New("notifiers: no address for this channel")

// CodeNoAddress is the receipt code of a send to a person without an address.
const CodeNoAddress = "no_address"

// CodeMachine is the receipt code of a call an answering machine (or fax)
// took: failed, the person was not reached.
const CodeMachine = "machine"

// ErrNoChannel is returned when a message names a channel nobody serves.
var ErrNoChannel = errors.New("notifiers: no notifier for channel")

// Gate is implemented by a Notifier whose provider bounds rate or
// concurrency. Acquire waits for the next free slot; a dispatcher claims an
// attempt only once it holds one, so only sends truly under way can end
// unknown. It calls Notify with Admit(ctx) and release when the send is over.
type Gate interface {
	Acquire(ctx context.Context) (release func(), err error)
}

type admissionKey struct{}

// admission is one slot of a Gate; its rate token pays for the first request.
type admission struct{ spent atomic.Bool }

// Admit returns ctx marked as holding a slot of the notifier's Gate: Notify
// then waits for no concurrency slot, and for no rate token on its first
// request (a retry of a throttled request waits for one again).
func Admit(ctx context.Context) context.Context {
	return context.WithValue(ctx, admissionKey{}, &admission{})
}

// Admission reports whether ctx holds a Gate slot, and whether this is the
// first request under it (its rate token unspent); it spends the token.
func Admission(ctx context.Context) (admitted, first bool) {
	a, ok := ctx.Value(admissionKey{}).(*admission)
	if !ok {
		return false, false
	}
	return true, !a.spent.Swap(true)
}

// Reconciler is implemented by a Notifier that can look up at the provider
// whether m was accepted in [from, until) (until zero: open) — an attempt
// whose outcome is unknown after a crash: found reports the receipt of the
// earliest such message.
type Reconciler interface {
	Lookup(ctx context.Context, m Message, from, until time.Time) (r Receipt, found bool, err error)
}

// Wrap returns outer extended by the optional interfaces (Gate, Reconciler)
// inner implements, so a pipeline stage does not hide them.
func Wrap(inner, outer Notifier) Notifier {
	g, isGate := inner.(Gate)
	rc, isRec := inner.(Reconciler)
	switch {
	case isGate && isRec:
		return struct {
			Notifier
			Gate
			Reconciler
		}{outer, g, rc}
	case isGate:
		return struct {
			Notifier
			Gate
		}{outer, g}
	case isRec:
		return struct {
			Notifier
			Reconciler
		}{outer, rc}
	}
	return outer
}
