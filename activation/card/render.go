package card

import (
	"bytes"
	_ "embed"
	"fmt"
	"html/template"
	"io"
	"time"
)

// Sizes of the printed page.
const (
	A6 = "a6" // wallet, folded once
	A4 = "a4" // staff room wall
)

//go:embed card.html
var cardHTML string

var page = template.Must(template.New("card").Funcs(template.FuncMap{
	"wait":    waitText,
	"indent":  func(depth int) string { return fmt.Sprintf("%.1fem", float64(depth)*1.2) },
	"safeCSS": func(s string) template.CSS { return template.CSS(s) },
}).Parse(cardHTML))

// Render writes the card as one HTML page sized for size (A6 unless A4).
func Render(w io.Writer, c Card, size string) error {
	if size != A4 {
		size = A6
	}
	var buf bytes.Buffer
	err := page.Execute(&buf, struct {
		Card
		T    texts
		Size string
	}{c, textsFor(c.Lang), size})
	if err != nil {
		return fmt.Errorf("card: %w", err)
	}
	_, err = buf.WriteTo(w)
	return err
}

// texts are the card's fixed words.
type texts struct {
	Title, Order, Cascade, Deputies, DeputyAfter, NoTree  string
	Answer, SMS, Available, Delayed, Unavailable, Several string
	EmailAnswer, Fallback, NoFallback, Conference         string
	NoConference, Notes, NoAlert                          string
}

func textsFor(lang string) texts {
	if lang == "en" {
		return texts{
			Title: "Emergency card", Order: "Whom Kaskade alerts, in this order",
			Cascade:  "A step's sub-steps are alerted once it has answered.",
			Deputies: "Deputies", DeputyAfter: "deputies after %s without an answer, or at once on 3",
			NoTree: "No call tree is configured for this organisation.",
			Answer: "How to answer an alert", SMS: "Reply to the SMS with",
			Available: "I am coming", Delayed: "I am coming in 30 minutes (any number of minutes)",
			Unavailable: "I cannot come: your deputy is alerted at once",
			Several:     "Several alerts open? Add the code from the SMS, e.g. 1 K7.",
			EmailAnswer: "By email: use the answer link in the alert email, or reply with 1, 2 30 or 3.",
			Fallback:    "No alert, but you know of an incident? Call", NoFallback: "No fallback number configured.",
			Conference: "Conference dial-in", NoConference: "none configured",
			Notes: "Notes", NoAlert: "Keep this card with you. It contains no phone numbers of staff.",
		}
	}
	return texts{
		Title: "Notfallkarte", Order: "Wen Kaskade alarmiert, in dieser Reihenfolge",
		Cascade:  "Die Unterpunkte eines Schritts werden alarmiert, sobald er geantwortet hat.",
		Deputies: "Vertretung", DeputyAfter: "Vertretung nach %s ohne Antwort, bei 3 sofort",
		NoTree: "Für diese Organisation ist keine Alarmierungskette konfiguriert.",
		Answer: "So antworten Sie auf einen Alarm", SMS: "Antworten Sie auf die SMS mit",
		Available: "Ich komme", Delayed: "Ich komme in 30 Minuten (beliebige Minutenzahl)",
		Unavailable: "Ich kann nicht kommen: Ihre Vertretung wird sofort alarmiert",
		Several:     "Mehrere Alarme offen? Den Code aus der SMS anfügen, z. B. 1 K7.",
		EmailAnswer: "Per E-Mail: den Antwort-Link in der Alarm-E-Mail nutzen oder mit 1, 2 30 oder 3 antworten.",
		Fallback:    "Kein Alarm, aber Sie wissen von einem Ereignis? Rufen Sie an", NoFallback: "Keine Rückfallnummer konfiguriert.",
		Conference: "Telefonkonferenz", NoConference: "keine konfiguriert",
		Notes: "Hinweise", NoAlert: "Tragen Sie diese Karte bei sich. Sie enthält keine Telefonnummern von Beschäftigten.",
	}
}

// waitText writes a wait exactly, in whole minutes and seconds: rounding to
// minutes told a holder of a 90 s wait "2 Min." and one of 20 s "0 Min.",
// when their deputy is alerted earlier than that.
func waitText(d time.Duration, lang string) string {
	d = d.Truncate(time.Second)
	m, s := int(d/time.Minute), int(d%time.Minute/time.Second)
	minU, secU := "Min.", "Sek."
	if lang == "en" {
		minU, secU = "min", "s"
	}
	switch {
	case s == 0:
		return fmt.Sprintf("%d %s", m, minU)
	case m == 0:
		return fmt.Sprintf("%d %s", s, secU)
	}
	return fmt.Sprintf("%d %s %d %s", m, minU, s, secU)
}
