package twilio

import (
	"log/slog"
	"net/http"
	"net/url"
	"strings"

	"github.com/kaskade-bcm/kaskade/notifiers"
)

// AMDURL is the AsyncAmdStatusCallback of m's call: notification, language,
// exercise (x=1) and whether the machine message offers calling back (cb=1).
func AMDURL(public string, m notifiers.Message, callBack bool) string {
	q := url.Values{"n": {m.ID}, "l": {m.Language}}
	if m.Exercise {
		q.Set("x", "1")
	}
	if callBack {
		q.Set("cb", "1")
	}
	return strings.TrimRight(public, "/") + VoiceAMDPath + "?" + q.Encode()
}

// MachineTwiML is what an answering machine records after its beep: an
// exercise says so first, then that Kaskade alerted, how to answer by SMS
// and, with callBack, that calling back works. No menu.
func MachineTwiML(lang string, exercise, callBack bool) string {
	w := newTwiML(lang)
	if exercise {
		w.say(w.t.exercise)
	}
	w.say(w.t.machine)
	if callBack {
		w.say(w.t.callBack)
	}
	w.b.WriteString("<Hangup/>")
	return w.String()
}

// isMachine: AMD heard a machine (machine_start, machine_end_*) or a fax.
func isMachine(answeredBy string) bool {
	return strings.HasPrefix(answeredBy, "machine") || answeredBy == "fax"
}

// AMD handles POST VoiceAMDPath?n=&l=[&x=1][&cb=1], the asynchronous
// answering-machine result: a machine counts as not reached and gets the
// short message (Update Call, best effort); a human or an undecided result
// is delivered and the script plays on. A result the sink did not take is
// answered 5xx (as the other webhooks) and stays known here for the status
// callback of the same call, which records it then.
func (v *VoiceWebhooks) AMD() http.Handler { return http.HandlerFunc(v.serveAMD) }

func (v *VoiceWebhooks) serveAMD(rw http.ResponseWriter, r *http.Request) {
	form, ok := v.w.form(rw, r)
	if !ok {
		return
	}
	q := r.URL.Query()
	id, sid, by := q.Get("n"), form.Get("CallSid"), form.Get("AnsweredBy")
	if id == "" || sid == "" || by == "" {
		http.Error(rw, "missing notification, CallSid or AnsweredBy", http.StatusBadRequest)
		return
	}
	v.heard.Put(sid, by)
	state, code := notifiers.StateDelivered, ""
	if isMachine(by) {
		state, code = notifiers.StateFailed, notifiers.CodeMachine
	}
	if v.deliver(rw, r, id, sid, state, code, "twilio amd "+by) {
		v.amd.Put(sid, by)
	}
	if isMachine(by) {
		v.redirect(r, sid, MachineTwiML(q.Get("l"), q.Get("x") == "1", q.Get("cb") == "1"))
	}
}

// redirect points a machine's call at the short message; when it cannot,
// the machine records the script instead (not reached either way).
func (v *VoiceWebhooks) redirect(r *http.Request, sid, twiml string) {
	if v.opts.Calls == nil {
		v.w.log.WarnContext(r.Context(), "twilio amd: no call updater, the machine hears the script", slog.String("sid", sid))
	} else if err := v.opts.Calls.UpdateCall(r.Context(), sid, twiml); err != nil {
		v.w.log.WarnContext(r.Context(), "twilio amd: redirecting the machine failed",
			slog.String("sid", sid), slog.String("error", err.Error()))
	}
}

// deliver records a call's delivery state and answers 204.
func (v *VoiceWebhooks) deliver(rw http.ResponseWriter, r *http.Request, id, sid string, state notifiers.State, code, detail string) bool {
	if v.opts.Delivery == nil {
		v.w.unavailable(rw, r, "no voice status sink configured")
		return false
	}
	if err := v.opts.Delivery.Delivery(r.Context(), id, state, sid, code, detail); err != nil {
		v.w.sinkError(rw, r, err, slog.String("sid", sid))
		return false
	}
	rw.WriteHeader(http.StatusNoContent)
	return true
}
