package twilio

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"strings"

	"github.com/kaskade-bcm/kaskade/notifiers"
)

// VoiceCallerPath takes calls in: set it as the number's "A call comes in" webhook.
const VoiceCallerPath = "/webhooks/twilio/voice/caller"

// OpenAlert is an alert a caller may answer.
type OpenAlert struct {
	Incident string
	Code     string // reply code, e.g. K7: the caller keys 7
	Title    string
	Exercise bool
}

// Caller is what Kaskade knows about a calling number.
type Caller struct {
	Known    bool
	Language string
	Open     []OpenAlert
}

// CallerSink identifies callers by caller ID and records their answers.
type CallerSink interface {
	Caller(ctx context.Context, from string) (Caller, error)
	CallerAnswer(ctx context.Context, from, incident, digits, callSID string) (string, error)
}

type callerTexts struct{ none, several, alert, codeHint, more string }

// maxSpokenAlerts bounds the alerts read to a caller; the rest are counted
// (their codes still work), so many open alerts neither take minutes nor
// pass Twilio's TwiML limits.
const maxSpokenAlerts = 5

func callerTextsFor(lang string) callerTexts {
	if lang == "en" {
		return callerTexts{none: "There is no open alert for you.", several: "You have several open alerts.",
			alert: "Alert", codeHint: "Enter the digits of the code, then the hash key.", more: "and %d more."}
	}
	return callerTexts{none: "Für Sie ist keine Alarmierung offen.", several: "Für Sie sind mehrere Alarmierungen offen.",
		alert: "Alarmierung", codeHint: "Geben Sie die Ziffern des Codes ein, dann die Raute-Taste.", more: "und %d weitere."}
}

// Caller handles POST VoiceCallerPath[?i=<incident>&l=<lang>&k=2]: an
// unknown number is rejected and learns nothing (logged masked); a known
// one hears their open alerts and answers by keypad.
func (v *VoiceWebhooks) Caller() http.Handler { return http.HandlerFunc(v.serveCaller) }

func (v *VoiceWebhooks) serveCaller(rw http.ResponseWriter, r *http.Request) {
	form, ok := v.w.form(rw, r)
	if !ok {
		return
	}
	from, sid, digits := form.Get("From"), form.Get("CallSid"), strings.TrimSpace(form.Get("Digits"))
	if from == "" || sid == "" {
		http.Error(rw, "missing From or CallSid", http.StatusBadRequest)
		return
	}
	if v.opts.Callers == nil {
		v.w.unavailable(rw, r, "no caller sink configured")
		return
	}
	c, err := v.opts.Callers.Caller(r.Context(), from)
	if err != nil {
		v.w.sinkError(rw, r, err, slog.String("from", notifiers.MaskNumber(from)))
		return
	}
	if !c.Known {
		v.w.log.InfoContext(r.Context(), "call from an unknown number rejected", slog.String("from", notifiers.MaskNumber(from)))
		writeVoice(rw, xmlHeader+"<Response><Reject/></Response>")
		return
	}
	q := r.URL.Query()
	if inc := q.Get("i"); inc != "" {
		a, ok := findAlert(c.Open, func(a OpenAlert) bool { return a.Incident == inc })
		if !ok {
			writeVoice(rw, sayTwiML(c.Language, callerTextsFor(c.Language).none))
			return
		}
		k := keypad{lang: c.Language, kind: "i", ref: inc,
			action: func(stage string) string { return v.callerURL(inc, c.Language, stage) },
			repeat: func() (string, bool) { return v.alertMenu(a, c.Language), true },
			record: func(ctx context.Context, answer string) (string, error) {
				return v.opts.Callers.CallerAnswer(ctx, from, inc, answer, sid)
			}}
		v.keys(rw, r, k, q.Get("k"), digits, slog.String("sid", sid))
		return
	}
	v.chooseAlert(rw, c, digits)
}

// chooseAlert offers the one open alert, or asks for the code of one of several.
func (v *VoiceWebhooks) chooseAlert(rw http.ResponseWriter, c Caller, digits string) {
	t := callerTextsFor(c.Language)
	if digits != "" {
		if a, ok := findAlert(c.Open, func(a OpenAlert) bool { return codeDigits(a.Code) == digits }); ok {
			writeVoice(rw, v.alertMenu(a, c.Language))
			return
		}
	}
	switch len(c.Open) {
	case 0:
		writeVoice(rw, sayTwiML(c.Language, t.none))
		return
	case 1:
		writeVoice(rw, v.alertMenu(c.Open[0], c.Language))
		return
	}
	w := newTwiML(c.Language)
	if digits != "" {
		w.say(w.t.invalid)
	}
	w.say(t.several)
	w.gather(v.callerURL("", c.Language, ""), "finishOnKey", "#", "numDigits", "6", "timeout", "10")
	for i, a := range c.Open {
		if i == maxSpokenAlerts {
			w.say(fmt.Sprintf(t.more, len(c.Open)-i))
			break
		}
		w.say(alertLine(a, c.Language))
	}
	w.say(t.codeHint)
	w.end("Gather")
	w.say(w.t.bye)
	w.b.WriteString("<Hangup/>")
	writeVoice(rw, w.String())
}

// alertMenu says one alert and offers the keypad menu.
func (v *VoiceWebhooks) alertMenu(a OpenAlert, lang string) string {
	w := newTwiML(lang)
	w.gather(v.callerURL(a.Incident, lang, ""), "numDigits", "1", "timeout", "8")
	w.say(alertLine(a, lang))
	w.say(w.t.menu)
	w.end("Gather")
	w.say(w.t.bye)
	w.b.WriteString("<Hangup/>")
	return w.String()
}

func alertLine(a OpenAlert, lang string) string {
	t, vt := callerTextsFor(lang), textsFor(lang)
	s := t.alert + " " + strings.Join(strings.Split(a.Code, ""), " ") + ": " + a.Title + "."
	if a.Exercise {
		s = vt.exercise + " " + s
	}
	return s
}

func (v *VoiceWebhooks) callerURL(incident, lang, stage string) string {
	q := url.Values{"l": {lang}}
	if incident != "" {
		q.Set("i", incident)
	}
	if stage != "" {
		q.Set("k", stage)
	}
	return v.public + VoiceCallerPath + "?" + q.Encode()
}

func findAlert(open []OpenAlert, match func(OpenAlert) bool) (OpenAlert, bool) {
	for _, a := range open {
		if match(a) {
			return a, true
		}
	}
	return OpenAlert{}, false
}

// codeDigits is what a caller keys for a reply code: its digits (K7 → 7).
func codeDigits(code string) string {
	return strings.Map(func(r rune) rune {
		if r >= '0' && r <= '9' {
			return r
		}
		return -1
	}, code)
}
