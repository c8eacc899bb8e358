package twilio

import (
	"context"
	"log/slog"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/kaskade-bcm/kaskade/notifiers"
)

// VoiceAnswerSink records a keypad answer to the call of a notification
// and returns the text to say back. digits are in the SMS reply grammar:
// "1", "3", "2 20" (2, then minutes), "2" (no minutes given).
type VoiceAnswerSink interface {
	VoiceAnswer(ctx context.Context, notification, digits, callSID string) (string, error)
}

// DeliverySink takes a call's delivery state (answer.Service.Delivery).
type DeliverySink interface {
	Delivery(ctx context.Context, notification string, state notifiers.State, providerID, code, detail string) error
}

// VoiceWebhookOptions configure the voice handlers.
type VoiceWebhookOptions struct {
	Answers  VoiceAnswerSink
	Delivery DeliverySink
	// Scripts is shared with the Voice notifier for "0 = repeat".
	Scripts *Scripts
	// Callers takes calls in (voice_caller.go); nil refuses them.
	Callers CallerSink
	// Conferences enables the staff conference line (voice_conference.go).
	Conferences ConferenceSink
	// Metrics counts call results and keypad answers (shared with Voice).
	Metrics *VoiceMetrics
	// Calls redirects an answering machine to the short message (the
	// Voice notifier); nil leaves the script playing.
	Calls CallUpdater
}

// VoiceWebhooks serves the Gather action and the call status callback,
// checked and bounded exactly like the SMS webhooks they share.
type VoiceWebhooks struct {
	w       *Webhooks
	opts    VoiceWebhookOptions
	public  string
	members *Scripts // conference CallSid → number
	heard   *Scripts // CallSid → AnsweredBy this instance was told
	amd     *Scripts // CallSid → AnsweredBy this instance recorded in the sink
}

// Voice returns the voice handlers, verified with w's tokens and limits.
func (w *Webhooks) Voice(opts VoiceWebhookOptions) *VoiceWebhooks {
	if opts.Scripts == nil {
		opts.Scripts = NewScripts(0)
	}
	return &VoiceWebhooks{w: w, opts: opts, public: w.base, members: NewScripts(12 * time.Hour),
		heard: NewScripts(2 * time.Hour), amd: NewScripts(2 * time.Hour)}
}

// Gather handles POST VoiceGatherPath?n=<notification>&l=<lang>[&k=2].
func (v *VoiceWebhooks) Gather() http.Handler { return http.HandlerFunc(v.serveGather) }

// Status handles POST VoiceStatusPath?n=<notification>[&amd=1]; amd=1:
// the call has asynchronous AMD, whose result comes to AMD().
func (v *VoiceWebhooks) Status() http.Handler { return http.HandlerFunc(v.serveStatus) }

func (v *VoiceWebhooks) serveGather(rw http.ResponseWriter, r *http.Request) {
	form, ok := v.w.form(rw, r)
	if !ok {
		return
	}
	q := r.URL.Query()
	id, lang := q.Get("n"), q.Get("l")
	sid := form.Get("CallSid")
	if id == "" || sid == "" {
		http.Error(rw, "missing notification or CallSid", http.StatusBadRequest)
		return
	}
	k := keypad{lang: lang, kind: "n", ref: id,
		action: func(stage string) string { return GatherURL(v.public, id, lang, stage) },
		repeat: func() (string, bool) { return v.opts.Scripts.Get(id) },
		record: func(ctx context.Context, answer string) (string, error) {
			if v.opts.Answers == nil {
				return "", ErrUnavailable
			}
			return v.opts.Answers.VoiceAnswer(ctx, id, answer, sid)
		}}
	v.keys(rw, r, k, q.Get("k"), strings.TrimSpace(form.Get("Digits")), slog.String("notification", id), slog.String("sid", sid))
}

// keypad is one menu: where keys go, what "0" repeats, how an answer is recorded.
type keypad struct {
	lang string
	// kind ("n" or "i") and ref name the alert for the conference offer.
	kind, ref string
	action    func(stage string) string
	repeat    func() (string, bool)
	record    func(ctx context.Context, answer string) (string, error)
}

// keys answers the keys of a menu: 1 and 3 are recorded, 2 asks for the
// minutes (stage "2"), 0 repeats, anything else offers the menu again.
func (v *VoiceWebhooks) keys(rw http.ResponseWriter, r *http.Request, k keypad, stage, digits string, attrs ...any) {
	t := textsFor(k.lang)
	var answer string
	switch {
	case stage == "2" && (digits == "" || strings.Trim(digits, "0") == ""):
		answer = "2"
	case stage == "2" && isDigits(digits) && keypadMinutes(digits) <= maxKeypadMinutes:
		answer = "2 " + strings.TrimLeft(digits, "0")
	case stage == "2":
		writeVoice(rw, menuTwiML(k.action(""), k.lang, t.invalid))
		return
	case digits == "2":
		writeVoice(rw, minutesTwiML(k.action("2"), k.lang))
		return
	case digits == "0":
		if s, ok := k.repeat(); ok {
			writeVoice(rw, s)
		} else {
			writeVoice(rw, menuTwiML(k.action(""), k.lang, ""))
		}
		return
	case digits == "1" || digits == "3":
		answer = digits
	default:
		writeVoice(rw, menuTwiML(k.action(""), k.lang, t.invalid))
		return
	}
	text, err := k.record(r.Context(), answer)
	if err != nil {
		v.w.sinkError(rw, r, err, attrs...)
		return
	}
	v.opts.Metrics.keypad(answer)
	writeVoice(rw, v.confirmTwiML(k.lang, answer, text, k.kind, k.ref))
}

func (v *VoiceWebhooks) serveStatus(rw http.ResponseWriter, r *http.Request) {
	form, ok := v.w.form(rw, r)
	if !ok {
		return
	}
	sid, status, by := form.Get("CallSid"), form.Get("CallStatus"), form.Get("AnsweredBy")
	if sid == "" || status == "" {
		http.Error(rw, "missing CallSid or CallStatus", http.StatusBadRequest)
		return
	}
	if r.URL.Query().Get("amd") == "1" && answered(status) {
		v.asyncAnswered(rw, r, r.URL.Query().Get("n"), sid, status, by)
		return
	}
	state, code, ok := CallDelivery(status, by)
	if !ok {
		rw.WriteHeader(http.StatusNoContent)
		return
	}
	if code == "" {
		code = form.Get("ErrorCode")
	}
	detail := "twilio call " + status
	if by != "" {
		detail += " " + by
	}
	if v.deliver(rw, r, r.URL.Query().Get("n"), sid, state, code, detail) {
		v.opts.Metrics.ended(status, state, code)
	}
}

// asyncAnswered: a call with async AMD was answered or has ended after an
// answer. The verdict (human or machine) is AMD's, heard here or sent along
// by Twilio; without one an answer says nothing yet, and an ended call is
// only sent: the AMD result may still come (to any instance) and decides.
// A result AMD() recorded already is only counted.
func (v *VoiceWebhooks) asyncAnswered(rw http.ResponseWriter, r *http.Request, id, sid, status, by string) {
	if by == "" {
		by, _ = v.heard.Get(sid)
	}
	if by == "" {
		if status == "completed" {
			v.deliver(rw, r, id, sid, notifiers.StateSent, "", "twilio call completed")
		} else {
			rw.WriteHeader(http.StatusNoContent)
		}
		return
	}
	state, code, _ := CallDelivery(status, by)
	if rec, ok := v.amd.Get(sid); ok && rec == by {
		v.opts.Metrics.ended(status, state, code)
		rw.WriteHeader(http.StatusNoContent)
		return
	}
	// The detail AMD() uses, so the journal keeps one entry per result.
	if v.deliver(rw, r, id, sid, state, code, "twilio amd "+by) {
		v.amd.Put(sid, by)
		v.opts.Metrics.ended(status, state, code)
	}
}

// answered: the call was picked up (by someone or something).
func answered(status string) bool {
	return status == "in-progress" || status == "answered" || status == "completed"
}

// CallDelivery maps a call status (and AnsweredBy of answering-machine
// detection) to a delivery state: ringing is sent, a human answer is
// delivered; busy, no-answer, failed and canceled fail with the status as
// code, and a machine or fax fails with code "machine" (not reached).
func CallDelivery(status, answeredBy string) (notifiers.State, string, bool) {
	machine := isMachine(answeredBy)
	switch status {
	case "ringing":
		return notifiers.StateSent, "", true
	case "in-progress", "answered", "completed":
		if machine {
			return notifiers.StateFailed, notifiers.CodeMachine, true
		}
		return notifiers.StateDelivered, "", true
	case "busy", "no-answer", "failed", "canceled":
		return notifiers.StateFailed, status, true
	}
	return "", "", false
}

// maxKeypadMinutes is the longest delay the reply grammar takes (a day);
// more is keyed again rather than refused with the SMS hint and a hang-up.
const maxKeypadMinutes = 1440

// keypadMinutes is the value of up to four keyed digits.
func keypadMinutes(digits string) int {
	n, _ := strconv.Atoi(digits)
	return n
}

func isDigits(s string) bool {
	for _, c := range []byte(s) {
		if c < '0' || c > '9' {
			return false
		}
	}
	return s != "" && len(s) <= 4
}

func writeVoice(rw http.ResponseWriter, twiml string) {
	rw.Header().Set("Content-Type", "text/xml; charset=utf-8")
	rw.WriteHeader(http.StatusOK)
	_, _ = rw.Write([]byte(twiml))
}
