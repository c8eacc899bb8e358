package twilio

import (
	"context"
	"encoding/xml"
	"log/slog"
	"net/http"
	"net/url"
	"strings"

	"github.com/kaskade-bcm/kaskade/notifiers"
)

// Conference webhook paths: the join after "9", and Twilio's participant events.
const (
	VoiceConferencePath       = "/webhooks/twilio/voice/conference"
	VoiceConferenceEventsPath = "/webhooks/twilio/voice/conference/events"
)

// ConferenceSink decides who may join a staff conference and records who
// joins and leaves. ref is a notification id (n) or an incident id (i).
type ConferenceSink interface {
	// Room returns the conference room of the person with number for ref,
	// or ok false when that number may not join.
	Room(ctx context.Context, number, kind, ref string) (room string, ok bool, err error)
	// Participant records a join (joined) or leave of number in room.
	Participant(ctx context.Context, room, number, callSID string, joined bool) error
}

type conferenceTexts struct{ offer, joining, refused string }

func conferenceTextsFor(lang string) conferenceTexts {
	if lang == "en" {
		return conferenceTexts{offer: "Press 9 to join the staff call.", joining: "Joining the staff call.",
			refused: "You cannot join this staff call."}
	}
	return conferenceTexts{offer: "Drücken Sie die 9, um der Stabskonferenz beizutreten.", joining: "Sie werden mit der Stabskonferenz verbunden.",
		refused: "Sie können dieser Stabskonferenz nicht beitreten."}
}

// confirmTwiML says the confirmation of an answer; after a yes with a
// conference line it offers "9" to join it (kind n or i, ref its id).
func (v *VoiceWebhooks) confirmTwiML(lang, answer, text, kind, ref string) string {
	if v.opts.Conferences == nil || !(answer == "1" || strings.HasPrefix(answer, "2")) {
		return sayTwiML(lang, text)
	}
	w := newTwiML(lang)
	w.say(text)
	w.gather(v.conferenceURL(kind, ref, lang), "numDigits", "1", "timeout", "6")
	w.say(conferenceTextsFor(lang).offer)
	w.end("Gather")
	w.say(w.t.bye)
	w.b.WriteString("<Hangup/>")
	return w.String()
}

func (v *VoiceWebhooks) conferenceURL(kind, ref, lang string) string {
	return v.public + VoiceConferencePath + "?" + url.Values{kind: {ref}, "l": {lang}}.Encode()
}

// Conference handles POST VoiceConferencePath?n=|i=…&l=…: "9" joins the
// room of the person the call is with (To of our call, From of a call
// in: the caller ID), if the sink allows it.
func (v *VoiceWebhooks) Conference() http.Handler { return http.HandlerFunc(v.serveConference) }

// ConferenceEvents handles Twilio's participant-join/leave callbacks.
func (v *VoiceWebhooks) ConferenceEvents() http.Handler {
	return http.HandlerFunc(v.serveConferenceEvents)
}

func (v *VoiceWebhooks) serveConference(rw http.ResponseWriter, r *http.Request) {
	form, ok := v.w.form(rw, r)
	if !ok {
		return
	}
	q := r.URL.Query()
	lang := q.Get("l")
	kind, ref := "n", q.Get("n")
	if ref == "" {
		kind, ref = "i", q.Get("i")
	}
	number := form.Get("To")
	if form.Get("Direction") == "inbound" {
		number = form.Get("From")
	}
	if form.Get("Digits") != "9" || ref == "" || v.opts.Conferences == nil {
		writeVoice(rw, sayTwiML(lang, ""))
		return
	}
	room, allowed, err := v.opts.Conferences.Room(r.Context(), number, kind, ref)
	if err != nil {
		v.w.sinkError(rw, r, err, slog.String("sid", form.Get("CallSid")))
		return
	}
	t := conferenceTextsFor(lang)
	if !allowed {
		v.w.log.InfoContext(r.Context(), "conference join refused", slog.String("number", notifiers.MaskNumber(number)))
		writeVoice(rw, sayTwiML(lang, t.refused))
		return
	}
	// Participant events carry no numbers: remember whose call this is.
	v.members.Put(form.Get("CallSid"), number)
	w := newTwiML(lang)
	w.say(t.joining)
	w.b.WriteString(`<Dial><Conference startConferenceOnEnter="true" endConferenceOnExit="false" statusCallbackEvent="join leave" statusCallbackMethod="POST" statusCallback="`)
	_ = xml.EscapeText(&w.b, []byte(v.public+VoiceConferenceEventsPath))
	w.b.WriteString(`">`)
	_ = xml.EscapeText(&w.b, []byte(room))
	w.b.WriteString("</Conference></Dial>")
	writeVoice(rw, w.String())
}

func (v *VoiceWebhooks) serveConferenceEvents(rw http.ResponseWriter, r *http.Request) {
	form, ok := v.w.form(rw, r)
	if !ok {
		return
	}
	ev, room, sid := form.Get("StatusCallbackEvent"), form.Get("FriendlyName"), form.Get("CallSid")
	if (ev != "participant-join" && ev != "participant-leave") || room == "" || v.opts.Conferences == nil {
		rw.WriteHeader(http.StatusNoContent)
		return
	}
	number, known := v.members.Get(sid)
	if !known {
		v.w.log.InfoContext(r.Context(), "conference event for a call Kaskade did not join", slog.String("sid", sid))
		rw.WriteHeader(http.StatusNoContent)
		return
	}
	if err := v.opts.Conferences.Participant(r.Context(), room, number, sid, ev == "participant-join"); err != nil {
		v.w.sinkError(rw, r, err, slog.String("sid", sid))
		return
	}
	rw.WriteHeader(http.StatusNoContent)
}
