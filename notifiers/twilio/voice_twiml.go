package twilio

import (
	"encoding/xml"
	"net/url"
	"strings"

	"github.com/kaskade-bcm/kaskade/notifiers"
)

// voiceTexts are the fixed spoken texts of one language.
type voiceTexts struct {
	lang, exercise, menu, again, machine, callBack, minutes, invalid, noMinutes, bye string
}

var voiceDE = voiceTexts{
	lang:      "de-DE",
	exercise:  "Übung. Dies ist eine Übung.",
	menu:      "Drücken Sie die 1, wenn Sie kommen. Die 2, wenn Sie später kommen, dann die Minuten und die Raute-Taste. Die 3, wenn Sie nicht verfügbar sind. Die 0 zum Wiederholen.",
	again:     "Ich wiederhole.",
	machine:   "Sie wurden von Kaskade alarmiert und haben nicht geantwortet. Bitte antworten Sie per SMS: 1 für komme, 2 und Minuten für später, 3 für nicht verfügbar.",
	callBack:  "Oder rufen Sie diese Nummer zurück und antworten Sie mit der Tastatur.",
	minutes:   "Bitte geben Sie die Minuten ein und drücken Sie die Raute-Taste.",
	invalid:   "Diese Eingabe kenne ich nicht.",
	noMinutes: "Keine Minuten erhalten.",
	bye:       "Auf Wiederhören.",
}

var voiceEN = voiceTexts{
	lang:      "en-GB",
	exercise:  "Exercise. This is an exercise.",
	menu:      "Press 1 if you are coming. 2 if you are coming later, then the minutes and the hash key. 3 if you are not available. 0 to repeat.",
	again:     "Once more.",
	machine:   "You were alerted by Kaskade and did not answer. Please reply by SMS: 1 for coming, 2 and minutes for later, 3 for not available.",
	callBack:  "Or call this number back and answer with the keypad.",
	minutes:   "Please enter the minutes, then press the hash key.",
	invalid:   "I do not know that key.",
	noMinutes: "No minutes received.",
	bye:       "Goodbye.",
}

func textsFor(lang string) voiceTexts {
	if lang == "en" {
		return voiceEN
	}
	return voiceDE
}

// twimlBuilder writes a <Response> document.
type twimlBuilder struct {
	b strings.Builder
	t voiceTexts
}

func newTwiML(lang string) *twimlBuilder {
	w := &twimlBuilder{t: textsFor(lang)}
	w.b.WriteString(xmlHeader + "<Response>")
	return w
}

func (w *twimlBuilder) say(text string) {
	if text = strings.TrimSpace(text); text == "" {
		return
	}
	w.b.WriteString(`<Say voice="alice" language="` + w.t.lang + `">`)
	_ = xml.EscapeText(&w.b, []byte(strings.Join(strings.Fields(text), " ")))
	w.b.WriteString("</Say>")
}

// gather opens a <Gather>; attrs are name, value pairs.
func (w *twimlBuilder) gather(action string, attrs ...string) {
	w.b.WriteString(`<Gather input="dtmf" method="POST" action="`)
	_ = xml.EscapeText(&w.b, []byte(action))
	w.b.WriteString(`"`)
	for i := 0; i+1 < len(attrs); i += 2 {
		w.b.WriteString(" " + attrs[i] + `="` + attrs[i+1] + `"`)
	}
	w.b.WriteString(">")
}

func (w *twimlBuilder) end(verb string) { w.b.WriteString("</" + verb + ">") }

func (w *twimlBuilder) String() string { return w.b.String() + "</Response>" }

// GatherURL is the Gather action of notification id; stage "2" asks for minutes.
func GatherURL(public, id, lang, stage string) string {
	q := url.Values{"n": {id}, "l": {lang}}
	if stage != "" {
		q.Set("k", stage)
	}
	return strings.TrimRight(public, "/") + VoiceGatherPath + "?" + q.Encode()
}

// AlertTwiML is the call script of m: an exercise says so first, the
// text and the keypad menu are said twice inside a one-digit <Gather>;
// a callee who presses nothing (an answering machine) hears how to
// answer by SMS, and with callBack that calling back works too. Other
// purposes are said twice without a menu.
func AlertTwiML(public string, m notifiers.Message, callBack bool) string {
	if s := alertTwiML(public, m, true, callBack); len(s) <= maxTwiML {
		return s
	}
	// Twilio refuses inline TwiML above 4,000 characters: say it once.
	return alertTwiML(public, m, false, callBack)
}

// maxTwiML is Twilio's limit for the Twiml parameter of Create Call.
const maxTwiML = 4000

func alertTwiML(public string, m notifiers.Message, repeat, callBack bool) string {
	w := newTwiML(m.Language)
	intro := ""
	if m.Exercise {
		intro = w.t.exercise
	}
	if m.Purpose != notifiers.PurposeAlert && m.Purpose != notifiers.PurposeConvert && m.Purpose != "" {
		w.say(intro)
		w.say(m.Text)
		w.say(w.t.again)
		w.say(m.Text)
		w.b.WriteString("<Hangup/>")
		return w.String()
	}
	w.gather(GatherURL(public, m.ID, m.Language, ""), "numDigits", "1", "timeout", "8")
	w.say(intro)
	w.say(m.Text)
	w.say(w.t.menu)
	if repeat {
		w.b.WriteString(`<Pause length="1"/>`)
		w.say(w.t.again)
		w.say(intro)
		w.say(m.Text)
		w.say(w.t.menu)
	}
	w.end("Gather")
	w.say(intro)
	w.say(w.t.machine)
	if callBack {
		w.say(w.t.callBack)
	}
	w.b.WriteString("<Hangup/>")
	return w.String()
}

// minutesTwiML asks for the minutes of a "2"; action is the stage-2 URL.
func minutesTwiML(action, lang string) string {
	w := newTwiML(lang)
	w.gather(action, "finishOnKey", "#", "numDigits", "4", "timeout", "10", "actionOnEmptyResult", "true")
	w.say(w.t.minutes)
	w.end("Gather")
	return w.String()
}

// menuTwiML says prefix and offers the menu again; action takes the key.
func menuTwiML(action, lang, prefix string) string {
	w := newTwiML(lang)
	w.say(prefix)
	w.gather(action, "numDigits", "1", "timeout", "8")
	w.say(w.t.menu)
	w.end("Gather")
	w.say(w.t.bye)
	w.b.WriteString("<Hangup/>")
	return w.String()
}

// sayTwiML says text and hangs up.
func sayTwiML(lang, text string) string {
	w := newTwiML(lang)
	w.say(text)
	w.say(w.t.bye)
	w.b.WriteString("<Hangup/>")
	return w.String()
}
