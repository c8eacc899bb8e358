package twilio

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/twilio/twilio-go/client"

	"github.com/kaskade-bcm/kaskade/notifiers"
)

// DefaultMaxBody caps a webhook request body; MaxBody may lower it, never raise it.
const DefaultMaxBody = 64 << 10

// MaxFormParams caps the parameters of a webhook form (Twilio sends about 20).
const MaxFormParams = 100

// errTooManyParams refuses a form beyond MaxFormParams.
var errTooManyParams = errors.New("too many form parameters")

// Loop guard: at most loopReplies replies of one text and loopTotal in
// all to one number per loopWindow, so two automats cannot ping-pong
// through us while a person changing their answer is confirmed each time.
const (
	loopReplies = 3
	loopTotal   = 10
	loopWindow  = 10 * time.Minute
)

// WebhookOptions configure the webhook handlers.
type WebhookOptions struct {
	// PublicURL is the base URL Twilio calls, e.g. https://kaskade.example.de;
	// signatures are checked against PublicURL + request path and query.
	PublicURL string
	// AuthTokens verify signatures; the primary comes first, a second is
	// accepted during token rotation. With none, every request is refused.
	AuthTokens []string
	Inbound    InboundSink
	Status     StatusSink
	Logger     *slog.Logger
	// MaxBody caps the request body (default and upper bound 64 KiB; larger → 413).
	MaxBody int64
	// Clock is the time source (default time.Now).
	Clock func() time.Time
}

// Webhooks serves Twilio's inbound SMS and status callback webhooks.
type Webhooks struct {
	base       string
	validators []client.RequestValidator
	inbound    InboundSink
	status     StatusSink
	log        *slog.Logger
	maxBody    int64
	clock      func() time.Time
	guard      *loopGuard
	rejectLog  *logBudget
}

// NewWebhooks returns the handlers' owner.
func NewWebhooks(opts WebhookOptions) *Webhooks {
	w := &Webhooks{
		base:    strings.TrimRight(opts.PublicURL, "/"),
		inbound: opts.Inbound,
		status:  opts.Status,
		log:     opts.Logger,
		maxBody: opts.MaxBody,
		clock:   opts.Clock,
	}
	if w.log == nil {
		w.log = slog.New(slog.DiscardHandler)
	}
	w.log = w.log.With("channel", "twilio")
	if w.maxBody <= 0 || w.maxBody > DefaultMaxBody {
		w.maxBody = DefaultMaxBody
	}
	if w.clock == nil {
		w.clock = time.Now
	}
	for _, t := range opts.AuthTokens {
		if t != "" {
			w.validators = append(w.validators, client.NewRequestValidator(t))
		}
	}
	if len(w.validators) == 0 {
		w.log.Error("twilio webhooks have no auth token; every request will be refused")
	}
	w.guard = newLoopGuard(loopReplies, loopTotal, loopWindow)
	w.rejectLog = newLogBudget()
	return w
}

// SMS handles POST /webhooks/twilio/sms: a verified inbound SMS goes to the
// InboundSink; its reply text is answered as TwiML.
func (w *Webhooks) SMS() http.Handler {
	return http.HandlerFunc(w.serveSMS)
}

// Status handles POST /webhooks/twilio/status: a verified delivery status
// goes to the StatusSink; the notification id comes from the query (?n=).
func (w *Webhooks) Status() http.Handler {
	return http.HandlerFunc(w.serveStatus)
}

// form checks method, size and signature and returns the parsed form. On
// failure it has written the response and returns ok == false.
func (w *Webhooks) form(rw http.ResponseWriter, r *http.Request) (url.Values, bool) {
	if r.Method != http.MethodPost {
		rw.Header().Set("Allow", http.MethodPost)
		http.Error(rw, "method not allowed", http.StatusMethodNotAllowed)
		return nil, false
	}
	body, err := io.ReadAll(http.MaxBytesReader(rw, r.Body, w.maxBody))
	if err != nil {
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			http.Error(rw, "request body too large", http.StatusRequestEntityTooLarge)
			return nil, false
		}
		http.Error(rw, "cannot read request body", http.StatusBadRequest)
		return nil, false
	}
	// Bounded before the signature: the HMAC parses and sorts every parameter.
	form, err := decodeForm(body)
	switch {
	case errors.Is(err, errTooManyParams):
		http.Error(rw, "too many form parameters", http.StatusRequestEntityTooLarge)
		return nil, false
	case err != nil:
		http.Error(rw, "malformed form body", http.StatusBadRequest)
		return nil, false
	}
	if !w.verify(r, body) {
		if ok, n := w.rejectLog.take(w.clock()); ok {
			w.log.WarnContext(r.Context(), "twilio webhook signature rejected",
				slog.String("path", r.URL.Path), slog.String("remote", r.RemoteAddr), slog.Int("suppressed_before", n))
		}
		http.Error(rw, "forbidden", http.StatusForbidden)
		return nil, false
	}
	return form, true
}

// decodeForm parses a webhook body of at most DefaultMaxBody bytes and
// MaxFormParams parameters; the count comes first, so a huge form costs one scan.
func decodeForm(body []byte) (url.Values, error) {
	if len(body) > DefaultMaxBody {
		return nil, errTooManyParams
	}
	if bytes.Count(body, []byte("&"))+1 > MaxFormParams {
		return nil, errTooManyParams
	}
	form, err := url.ParseQuery(string(body))
	if err != nil {
		return nil, fmt.Errorf("twilio webhook form: %w", err)
	}
	return form, nil
}

// verify checks X-Twilio-Signature against every configured token.
func (w *Webhooks) verify(r *http.Request, body []byte) bool {
	sig := r.Header.Get("X-Twilio-Signature")
	if sig == "" {
		return false
	}
	u := w.base + r.URL.RequestURI()
	for i := range w.validators {
		if w.validators[i].ValidateBody(u, body, sig) {
			return true
		}
	}
	return false
}

func (w *Webhooks) serveSMS(rw http.ResponseWriter, r *http.Request) {
	form, ok := w.form(rw, r)
	if !ok {
		return
	}
	m := InboundSMS{
		MessageSID: first(form, "MessageSid", "SmsSid", "SmsMessageSid"),
		From:       form.Get("From"),
		To:         form.Get("To"),
		Body:       form.Get("Body"),
		OptOutType: form.Get("OptOutType"),
		Received:   w.clock(),
	}
	if m.From == "" {
		http.Error(rw, "missing From", http.StatusBadRequest)
		return
	}
	if w.inbound == nil {
		w.unavailable(rw, r, "no inbound sink configured")
		return
	}
	text, err := w.inbound.Inbound(r.Context(), m)
	if err != nil {
		w.sinkError(rw, r, err, slog.String("sid", m.MessageSID), slog.String("from", notifiers.MaskNumber(m.From)))
		return
	}
	if text != "" && !w.guard.allow(m.From, text, m.Received) {
		w.log.WarnContext(r.Context(), "twilio reply suppressed by loop guard",
			slog.String("from", notifiers.MaskNumber(m.From)), slog.String("sid", m.MessageSID))
		text = ""
	}
	writeTwiML(rw, text)
}

func (w *Webhooks) serveStatus(rw http.ResponseWriter, r *http.Request) {
	form, ok := w.form(rw, r)
	if !ok {
		return
	}
	s := StatusCallback{
		MessageSID:    first(form, "MessageSid", "SmsSid"),
		MessageStatus: first(form, "MessageStatus", "SmsStatus"),
		ErrorCode:     form.Get("ErrorCode"),
		To:            form.Get("To"),
		Notification:  r.URL.Query().Get("n"),
	}
	if s.MessageSID == "" || s.MessageStatus == "" {
		http.Error(rw, "missing MessageSid or MessageStatus", http.StatusBadRequest)
		return
	}
	if w.status == nil {
		w.unavailable(rw, r, "no status sink configured")
		return
	}
	if err := w.status.Status(r.Context(), s); err != nil {
		w.sinkError(rw, r, err, slog.String("sid", s.MessageSID), slog.String("notification", s.Notification))
		return
	}
	rw.WriteHeader(http.StatusNoContent)
}

func (w *Webhooks) sinkError(rw http.ResponseWriter, r *http.Request, err error, attrs ...any) {
	if errors.Is(err, ErrUnavailable) {
		w.log.WarnContext(r.Context(), "twilio webhook backend unavailable", append(attrs, slog.String("error", err.Error()))...)
		http.Error(rw, "temporarily unavailable", http.StatusServiceUnavailable)
		return
	}
	w.log.ErrorContext(r.Context(), "twilio webhook failed", append(attrs, slog.String("error", err.Error()))...)
	http.Error(rw, "internal error", http.StatusInternalServerError)
}

func (w *Webhooks) unavailable(rw http.ResponseWriter, r *http.Request, why string) {
	w.log.ErrorContext(r.Context(), "twilio webhook: "+why)
	http.Error(rw, "temporarily unavailable", http.StatusServiceUnavailable)
}

// first returns the first non-empty value among keys.
func first(form url.Values, keys ...string) string {
	for _, k := range keys {
		if v := form.Get(k); v != "" {
			return v
		}
	}
	return ""
}
