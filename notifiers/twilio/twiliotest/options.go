package twiliotest

import (
	"log/slog"
	"net/http"
	"time"
)

// Default credentials of a Server (alphanumeric, as twilio-go requires).
const (
	DefaultAccountSID = "AC00000000000000000000000000000000"
	DefaultAuthToken  = "0123456789abcdef0123456789abcdef"
)

// Failure is a rejection of a Create Message request.
type Failure struct {
	Status  int    // HTTP status, e.g. 400
	Code    int    // Twilio error code, e.g. 21211
	Message string // optional; a default text is used
}

// Outcome is the delivery result reported in status callbacks after "sent".
type Outcome struct {
	Status    string // delivered (default), undelivered or failed
	ErrorCode int    // e.g. 30006 for undelivered
}

// Options configure a Server. The zero value is usable.
type Options struct {
	AccountSID string // default DefaultAccountSID
	AuthToken  string // default DefaultAuthToken; also signs callbacks
	// Latency delays every API answer.
	Latency time.Duration
	// ConcurrencyLimit: requests beyond it in flight answer 429/20429
	// (0 = unlimited).
	ConcurrencyLimit int
	// Failures rejects Create Message to these numbers (beyond the magic
	// test numbers +15005550001/2/3/4/9).
	Failures map[string]Failure
	// Outcomes sets the delivery result per number (default delivered).
	Outcomes map[string]Outcome
	// CallbacksOutOfOrder sends the final status before "sent".
	CallbacksOutOfOrder bool
	// CallbacksTwice sends every status callback twice.
	CallbacksTwice bool
	// CallbackDelay waits before each message's callbacks.
	CallbackDelay time.Duration
	// CallbackRetries is how often a callback answered with 5xx or not at
	// all is retried (default 2; negative: none).
	CallbackRetries int
	// CallbackWorkers post callbacks in parallel (default 8).
	CallbackWorkers int
	// Client posts callbacks and inbound SMS (default: 10s timeout).
	Client *http.Client
	// OnMessage is called with every accepted message, synchronously.
	OnMessage func(Message)
	// Clock is the time source (default time.Now).
	Clock  func() time.Time
	Logger *slog.Logger
}

func (o Options) withDefaults() Options {
	if o.AccountSID == "" {
		o.AccountSID = DefaultAccountSID
	}
	if o.AuthToken == "" {
		o.AuthToken = DefaultAuthToken
	}
	if o.CallbackRetries == 0 {
		o.CallbackRetries = 2
	}
	if o.CallbackWorkers <= 0 {
		o.CallbackWorkers = 8
	}
	if o.Client == nil {
		o.Client = &http.Client{Timeout: 10 * time.Second}
	}
	if o.Clock == nil {
		o.Clock = time.Now
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	return o
}
