package twilio

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	api "github.com/twilio/twilio-go/rest/api/v2010"

	"github.com/kaskade-bcm/kaskade/notifiers"
)

// Voice webhook paths below the public URL.
const (
	VoiceGatherPath = "/webhooks/twilio/voice/gather"
	VoiceStatusPath = "/webhooks/twilio/voice/status"
	VoiceAMDPath    = "/webhooks/twilio/voice/amd"
)

// VoiceOptions configure a Voice notifier beyond the shared Options.
type VoiceOptions struct {
	// PublicURL is the base Twilio calls back (Gather action, status).
	PublicURL string
	// Scripts remembers each call's TwiML for "0 = repeat"; share it with
	// the VoiceWebhooks. Nil: a private one (repeat says the menu only).
	Scripts *Scripts
	// NoMachineDetection turns answering-machine detection off.
	NoMachineDetection bool
	// Metrics counts calls placed; share it with the VoiceWebhooks.
	Metrics *VoiceMetrics
	// CallBack: calls in reach Kaskade (the number's incoming-call webhook
	// is set), so the answering-machine message offers calling back.
	CallBack bool
}

// Voice calls people through Twilio's Create Call API with inline TwiML:
// the alert in the person's language, repeated once, answered by keypad.
type Voice struct {
	s       *Sender
	public  string
	scripts *Scripts
	amd     bool
	metrics *VoiceMetrics
	// callBack: the machine message offers calling back (VoiceOptions).
	callBack bool
}

var _ notifiers.Notifier = (*Voice)(nil)

// NewVoice validates the options and returns a Voice notifier. From must
// be a voice-capable Twilio number (E.164).
func NewVoice(opts Options, v VoiceOptions) (*Voice, error) {
	if !strings.HasPrefix(opts.From, "+") {
		return nil, errors.New("twilio: voice needs From as an E.164 number")
	}
	opts.MessagingServiceSID, opts.StatusCallbackURL = "", ""
	s, err := New(opts)
	if err != nil {
		return nil, err
	}
	if v.PublicURL == "" {
		return nil, errors.New("twilio: voice needs the public URL for its webhooks")
	}
	if v.Scripts == nil {
		v.Scripts = NewScripts(0)
	}
	s.log = s.log.With("medium", "voice")
	return &Voice{s: s, public: strings.TrimRight(v.PublicURL, "/"), scripts: v.Scripts, amd: !v.NoMachineDetection, metrics: v.Metrics,
		callBack: v.CallBack}, nil
}

// Notify places one call. It returns StateSent with the Call SID once
// Twilio accepted the call; the outcome comes by status callback. Errors
// are classified as for SMS (Sender.Notify).
func (v *Voice) Notify(ctx context.Context, m notifiers.Message) (notifiers.Receipt, error) {
	if m.To == "" {
		return notifiers.Receipt{State: notifiers.StateFailed, Code: notifiers.CodeNoAddress, Detail: "no phone number"}, nil
	}
	s := v.s
	select {
	case s.sem <- struct{}{}:
	case <-ctx.Done():
		return notifiers.Receipt{}, fmt.Errorf("twilio voice: waiting for a slot: %w", context.Cause(ctx))
	}
	defer func() { <-s.sem }()
	if s.limiter != nil {
		if err := s.limiter.Wait(ctx); err != nil {
			return notifiers.Receipt{}, fmt.Errorf("twilio voice: waiting for the rate limit: %w", err)
		}
	}
	twiml := v.Script(m)
	v.scripts.Put(m.ID, twiml)
	status := StatusCallbackURL(v.public+VoiceStatusPath, m.ID)
	if v.amd {
		status += "&amd=1"
	}
	p := (&api.CreateCallParams{}).SetTo(m.To).SetFrom(s.opts.From).SetTwiml(twiml).
		SetStatusCallback(status).SetStatusCallbackMethod("POST").
		SetStatusCallbackEvent([]string{"initiated", "ringing", "answered", "completed"}).SetTimeout(30)
	if v.amd {
		// Asynchronous: a human hears the script at once; the result
		// arrives at VoiceAMDPath after a machine's beep.
		p.SetMachineDetection("DetectMessageEnd").SetAsyncAmd("true").SetAsyncAmdStatusCallbackMethod("POST").
			SetAsyncAmdStatusCallback(AMDURL(v.public, m, v.callBack))
	}
	callCtx, cancel := context.WithTimeout(ctx, s.opts.Timeout)
	defer cancel()
	c := &call{base: s.base, ctx: callCtx, target: s.target}
	start := time.Now()
	res, err := s.service(c).CreateCall(p)
	elapsed := time.Since(start)
	var r notifiers.Receipt
	var outcome string
	if err == nil {
		r, outcome = callReceipt(res)
	} else {
		r, err, outcome = s.classify(ctx, c, nil, err)
	}
	r.Detail = redact(r.Detail, m.To)
	v.metrics.placed(outcome, elapsed)
	s.logResult(ctx, m, r, err, outcome, elapsed)
	return r, err
}

func callReceipt(res *api.ApiV2010Call) (notifiers.Receipt, string) {
	if res == nil || res.Sid == nil || *res.Sid == "" {
		return notifiers.Receipt{State: notifiers.StateUnknown, Detail: "accepted without a call SID"}, OutcomeUnknown
	}
	r := notifiers.Receipt{State: notifiers.StateSent, ProviderID: *res.Sid}
	if res.Status != nil && *res.Status == "failed" {
		r.State, r.Detail = notifiers.StateFailed, "created with status failed"
		return r, OutcomeFailed
	}
	return r, OutcomeSent
}

// Script is the TwiML of m's call (exported for tests and the README).
func (v *Voice) Script(m notifiers.Message) string {
	return AlertTwiML(v.public, m, v.callBack)
}
