package twilio

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/twilio/twilio-go/client"
	api "github.com/twilio/twilio-go/rest/api/v2010"
	"golang.org/x/time/rate"

	"github.com/kaskade-bcm/kaskade/notifiers"
	"github.com/kaskade-bcm/kaskade/notifiers/gsm7"
)

// Sender sends SMS through Twilio's Create Message API. It is safe for
// concurrent use; concurrency and rate are bounded per Sender.
type Sender struct {
	opts          Options
	base          http.RoundTripper
	clientTimeout time.Duration
	target        *url.URL // nil when APIURL is Twilio's own
	sem           chan struct{}
	limiter       *rate.Limiter // nil: unlimited
	log           *slog.Logger
	creds         *client.Credentials
	validity      int
}

var (
	_ notifiers.Notifier = (*Sender)(nil)
	_ notifiers.Gate     = (*Sender)(nil)
)

// New validates opts and returns a Sender.
func New(opts Options) (*Sender, error) {
	o, err := opts.withDefaults()
	if err != nil {
		return nil, err
	}
	s := &Sender{
		opts:     o,
		sem:      make(chan struct{}, o.Concurrency),
		log:      o.Logger.With("channel", "twilio"),
		creds:    client.NewCredentials(o.AccountSID, o.AuthToken),
		validity: int(math.Round(o.ValidityPeriod.Seconds())),
	}
	if o.HTTPClient != nil {
		s.base, s.clientTimeout = o.HTTPClient.Transport, o.HTTPClient.Timeout
	}
	if s.base == nil {
		s.base = newBaseTransport(o.Concurrency)
	}
	if strings.TrimRight(o.APIURL, "/") != DefaultAPIURL {
		u, _ := url.Parse(strings.TrimRight(o.APIURL, "/")) // checked in withDefaults
		s.target = u
	}
	if o.RatePerSecond > 0 {
		// A burst of 10 ms worth of requests (at least 1) keeps the
		// limiter precise at low rates and cheap at high ones.
		s.limiter = rate.NewLimiter(rate.Limit(o.RatePerSecond), max(1, int(o.RatePerSecond/100)))
	}
	return s, nil
}

// Notify sends m.Text to m.To. It returns a Receipt with StateSent and the
// message SID, StateFailed with Twilio's error code for permanent
// rejections (invalid, unsubscribed or non-mobile number, other 4xx), or
// StateUnknown when the request was sent but no answer came (timeout, lost
// connection) — never retry those. Throttling (429, 20429), server errors
// (5xx) and connections that failed before the request was sent return a
// *notifiers.TemporaryError. A context cancelled before sending returns its
// error.
func (s *Sender) Notify(ctx context.Context, m notifiers.Message) (notifiers.Receipt, error) {
	if m.To == "" {
		return notifiers.Receipt{State: notifiers.StateFailed, Detail: "no recipient number"}, nil
	}
	admitted, first := notifiers.Admission(ctx)
	if !admitted {
		release, err := s.Acquire(ctx)
		if err != nil {
			return notifiers.Receipt{}, err
		}
		defer release()
	} else if !first {
		// A retry under the caller's slot pays its own rate token.
		if err := s.waitRate(ctx); err != nil {
			return notifiers.Receipt{}, err
		}
	}

	callCtx, cancel := context.WithTimeout(ctx, s.opts.Timeout)
	defer cancel()
	c := &call{base: s.base, ctx: callCtx, target: s.target}
	start := time.Now()
	msg, err := s.service(c).CreateMessage(s.params(m))
	elapsed := time.Since(start)

	r, err, outcome := s.classify(ctx, c, msg, err)
	r.Detail = redact(r.Detail, m.To)
	s.opts.Metrics.observe(outcome, codeOf(r, err), elapsed)
	s.logResult(ctx, m, r, err, outcome, elapsed)
	return r, err
}

// Acquire waits for a send slot and a rate token (notifiers.Gate); Notify
// with notifiers.Admit(ctx) then sends at once. release frees the slot.
func (s *Sender) Acquire(ctx context.Context) (release func(), err error) {
	select {
	case s.sem <- struct{}{}:
	case <-ctx.Done():
		s.opts.Metrics.observe(OutcomeCanceled, "", 0)
		return nil, fmt.Errorf("twilio: waiting for a send slot: %w", context.Cause(ctx))
	}
	if err := s.waitRate(ctx); err != nil {
		<-s.sem
		return nil, err
	}
	var once sync.Once
	return func() { once.Do(func() { <-s.sem }) }, nil
}

func (s *Sender) waitRate(ctx context.Context) error {
	if s.limiter == nil {
		return nil
	}
	if err := s.limiter.Wait(ctx); err != nil {
		s.opts.Metrics.observe(OutcomeCanceled, "", 0)
		return fmt.Errorf("twilio: waiting for the rate limit: %w", err)
	}
	return nil
}

// service builds the twilio-go API service bound to one call's transport.
func (s *Sender) service(c *call) *api.ApiService {
	cl := &client.Client{
		Credentials: s.creds,
		HTTPClient: &http.Client{
			Transport:     c,
			Timeout:       s.clientTimeout,
			CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
		},
	}
	cl.SetAccountSid(s.opts.AccountSID)
	return api.NewApiServiceWithClient(cl)
}

func (s *Sender) params(m notifiers.Message) *api.CreateMessageParams {
	text := m.Text
	if !s.opts.Unicode {
		text = gsm7.Transliterate(text)
	}
	p := (&api.CreateMessageParams{}).SetTo(m.To).SetBody(text).SetValidityPeriod(s.validity)
	if s.opts.MessagingServiceSID != "" {
		p.SetMessagingServiceSid(s.opts.MessagingServiceSID)
	} else {
		p.SetFrom(s.opts.From)
	}
	if s.opts.StatusCallbackURL != "" {
		p.SetStatusCallback(StatusCallbackURL(s.opts.StatusCallbackURL, m.ID))
	}
	return p
}

// StatusCallbackURL is the callback URL a Sender gives Twilio for
// notification id: base + "?n=" + id (query-escaped).
func StatusCallbackURL(base, id string) string {
	if id == "" {
		return base
	}
	return base + "?n=" + url.QueryEscape(id)
}

// classify turns twilio-go's result and what the transport observed into a
// receipt or a temporary error.
func (s *Sender) classify(ctx context.Context, c *call, msg *api.ApiV2010Message, err error) (notifiers.Receipt, error, string) {
	wrote, status, retryAfter := c.observed()
	if err == nil {
		if msg == nil || msg.Sid == nil || *msg.Sid == "" {
			return notifiers.Receipt{State: notifiers.StateUnknown, Detail: "accepted without a message SID"}, nil, OutcomeUnknown
		}
		r := notifiers.Receipt{State: notifiers.StateSent, ProviderID: *msg.Sid}
		if msg.Status != nil && *msg.Status == "failed" {
			r.State, r.Detail = notifiers.StateFailed, "created with status failed"
			if msg.ErrorCode != nil {
				r.Code = strconv.Itoa(*msg.ErrorCode)
			}
			return r, nil, OutcomeFailed
		}
		return r, nil, OutcomeSent
	}

	var te *client.TwilioRestError
	if errors.As(err, &te) {
		st := te.Status
		if st == 0 {
			st = status
		}
		code := ""
		if te.Code != 0 {
			code = strconv.Itoa(te.Code)
		} else if st != 0 {
			code = "http_" + strconv.Itoa(st)
		}
		if gatewayError(st) {
			return notifiers.Receipt{State: notifiers.StateUnknown, Code: code, Detail: "server or gateway error after the request was sent: " + te.Message}, nil, OutcomeUnknown
		}
		if te.Code == 20429 || st == http.StatusTooManyRequests || st >= 500 {
			return notifiers.Receipt{}, &notifiers.TemporaryError{Code: code, RetryAfter: retryAfter, Err: fmt.Errorf("twilio: %w", te)}, OutcomeTemporary
		}
		return notifiers.Receipt{State: notifiers.StateFailed, Code: code, Detail: te.Message}, nil, OutcomeFailed
	}

	err = s.hostOnly(err)
	switch {
	case gatewayError(status):
		// Twilio failed inside, or a proxy gave up waiting: it may have accepted it.
		return notifiers.Receipt{State: notifiers.StateUnknown, Code: "http_" + strconv.Itoa(status), Detail: err.Error()}, nil, OutcomeUnknown
	case status >= 200 && status < 400:
		// An answer we could not read: the message may have been accepted.
		return notifiers.Receipt{State: notifiers.StateUnknown, Detail: fmt.Sprintf("unreadable answer (HTTP %d): %v", status, err)}, nil, OutcomeUnknown
	case status == http.StatusTooManyRequests || status >= 500:
		code := "http_" + strconv.Itoa(status)
		return notifiers.Receipt{}, &notifiers.TemporaryError{Code: code, RetryAfter: retryAfter, Err: fmt.Errorf("twilio: HTTP %d: %w", status, err)}, OutcomeTemporary
	case status != 0:
		return notifiers.Receipt{State: notifiers.StateFailed, Code: "http_" + strconv.Itoa(status), Detail: err.Error()}, nil, OutcomeFailed
	case wrote:
		return notifiers.Receipt{State: notifiers.StateUnknown, Detail: "no answer after the request was sent: " + err.Error()}, nil, OutcomeUnknown
	case ctx.Err() != nil:
		return notifiers.Receipt{}, fmt.Errorf("twilio: cancelled before sending: %w", context.Cause(ctx)), OutcomeCanceled
	default:
		return notifiers.Receipt{}, &notifiers.TemporaryError{Code: "connect", Err: fmt.Errorf("twilio: request not sent: %w", err)}, OutcomeTemporary
	}
}

// hostOnly rewrites a transport error to name the configured API host:
// twilio-go quotes its fixed https://api.twilio.com URL, with the account
// in the path, whatever api_url says.
func (s *Sender) hostOnly(err error) error {
	var ue *url.Error
	if !errors.As(err, &ue) {
		return err
	}
	host := strings.TrimPrefix(DefaultAPIURL, "https://")
	if s.target != nil {
		host = s.target.Host
	}
	return fmt.Errorf("%s %s: %w", ue.Op, host, ue.Err)
}

func codeOf(r notifiers.Receipt, err error) string {
	var te *notifiers.TemporaryError
	if errors.As(err, &te) {
		return te.Code
	}
	return r.Code
}

func (s *Sender) logResult(ctx context.Context, m notifiers.Message, r notifiers.Receipt, err error, outcome string, d time.Duration) {
	level := slog.LevelDebug
	switch outcome {
	case OutcomeFailed, OutcomeUnknown:
		level = slog.LevelWarn
	case OutcomeTemporary, OutcomeCanceled:
		level = slog.LevelInfo
	}
	if !s.log.Enabled(ctx, level) {
		return
	}
	attrs := []slog.Attr{
		slog.String("notification", m.ID),
		slog.String("incident", m.Incident),
		slog.String("to", notifiers.MaskNumber(m.To)),
		slog.String("outcome", outcome),
		slog.Duration("duration", d),
	}
	if r.ProviderID != "" {
		attrs = append(attrs, slog.String("sid", r.ProviderID))
	}
	if code := codeOf(r, err); code != "" {
		attrs = append(attrs, slog.String("code", code))
	}
	if err != nil {
		attrs = append(attrs, slog.String("error", redact(err.Error(), m.To)))
	} else if r.Detail != "" {
		attrs = append(attrs, slog.String("detail", r.Detail))
	}
	s.log.LogAttrs(ctx, level, "twilio send", attrs...)
}

// redact masks the number wherever Twilio echoes it in a message.
func redact(s, number string) string {
	if number == "" || !strings.Contains(s, number) {
		return s
	}
	return strings.ReplaceAll(s, number, notifiers.MaskNumber(number))
}

// gatewayError reports a 500, 502 or 504: Twilio failed inside or an
// intermediary lost the answer, so the message may have been created.
// Without an idempotency key at Twilio it must not be resent blindly; it is
// reconciled (looked up) instead. 503 and 429 are Twilio refusing it and
// are retried.
func gatewayError(status int) bool {
	return status == http.StatusInternalServerError || status == http.StatusBadGateway || status == http.StatusGatewayTimeout
}
