package twilio

import (
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"time"
)

// Defaults of Options.
const (
	DefaultAPIURL         = "https://api.twilio.com"
	DefaultValidityPeriod = 15 * time.Minute
	DefaultConcurrency    = 50
	DefaultTimeout        = 10 * time.Second
)

// Options configure a Sender.
type Options struct {
	// AccountSID and AuthToken authenticate with Basic auth. Both must be
	// alphanumeric (twilio-go refuses anything else).
	AccountSID string
	AuthToken  string
	// From is the sender number or alphanumeric sender ID; it is used when
	// MessagingServiceSID is empty. One of the two is required.
	From                string
	MessagingServiceSID string
	// APIURL is the REST base URL (default https://api.twilio.com); point it
	// at a twiliotest server in tests and dev.
	APIURL string
	// StatusCallbackURL, when set, is sent as StatusCallback with the
	// notification id appended as query parameter n.
	StatusCallbackURL string
	// ValidityPeriod: Twilio drops a queued message after it (default 15m;
	// sent in whole seconds, 1..36000).
	ValidityPeriod time.Duration
	// RatePerSecond caps requests per second of this Sender (0 = unlimited).
	RatePerSecond float64
	// Concurrency caps requests in flight (default 50).
	Concurrency int
	// Timeout bounds one request (default 10s).
	Timeout time.Duration
	// HTTPClient is optional; its Transport is used (wrapped) for requests.
	// By default a transport with Concurrency idle connections per host.
	HTTPClient *http.Client
	// Unicode sends text as is (UCS-2 when needed). By default text is
	// transliterated to GSM-7 with gsm7.Transliterate.
	Unicode bool
	// Logger receives one record per send (default: discard).
	Logger *slog.Logger
	// Metrics is optional.
	Metrics *Metrics
}

// isAlnum reports whether s is non-empty ASCII letters and digits.
func isAlnum(s string) bool {
	for _, c := range []byte(s) {
		if !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9') {
			return false
		}
	}
	return s != ""
}

func (o Options) withDefaults() (Options, error) {
	if o.APIURL == "" {
		o.APIURL = DefaultAPIURL
	}
	if o.ValidityPeriod == 0 {
		o.ValidityPeriod = DefaultValidityPeriod
	}
	if o.Concurrency <= 0 {
		o.Concurrency = DefaultConcurrency
	}
	if o.Timeout <= 0 {
		o.Timeout = DefaultTimeout
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	var errs []error
	if !isAlnum(o.AccountSID) {
		errs = append(errs, errors.New("account SID must be non-empty and alphanumeric"))
	}
	if !isAlnum(o.AuthToken) {
		errs = append(errs, errors.New("auth token must be non-empty and alphanumeric"))
	}
	if o.From == "" && o.MessagingServiceSID == "" {
		errs = append(errs, errors.New("one of From and MessagingServiceSID is required"))
	}
	if u, err := url.Parse(o.APIURL); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		errs = append(errs, fmt.Errorf("API URL %q is not an absolute http(s) URL", o.APIURL))
	}
	if o.StatusCallbackURL != "" {
		if u, err := url.Parse(o.StatusCallbackURL); err != nil || !u.IsAbs() || u.RawQuery != "" {
			errs = append(errs, fmt.Errorf("status callback URL %q must be absolute and without query", o.StatusCallbackURL))
		}
	}
	if s := o.ValidityPeriod.Seconds(); s < 1 || s > 36000 {
		errs = append(errs, fmt.Errorf("validity period %s outside 1s..10h", o.ValidityPeriod))
	}
	if o.RatePerSecond < 0 {
		errs = append(errs, errors.New("rate per second must not be negative"))
	}
	if err := errors.Join(errs...); err != nil {
		return o, fmt.Errorf("twilio: invalid options: %w", err)
	}
	return o, nil
}
