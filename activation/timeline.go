package activation

import (
	"fmt"
	"slices"

	"github.com/kaskade-bcm/kaskade/notifiers"
)

// timelineCap bounds the timeline kept per incident; the full history is in the stream.
const timelineCap = 2000

// Describe turns a significant event into a timeline line for the board.
// Routine events (each notification, each first alert) are left out to keep
// it readable; ok is false for them.
func Describe(e Event) (TimelineItem, bool) {
	it := TimelineItem{At: e.At, Kind: e.Kind}
	switch e.Kind {
	case KindDeclared:
		d := e.Declared
		it.Summary = fmt.Sprintf("Lage ausgerufen von %s: %s (%s)", d.DeclaredBy, d.Title, d.Reason)
	case KindActivationStarted:
		it.Org, it.Summary = e.Activation.Org, "Alarmierung gestartet"
	case KindTierAlerted:
		t := e.Tier
		if t.Reason == "start" || t.Reason == "cascade" {
			return it, false
		}
		it.Org, it.Person = t.Org, t.Person
		it.Summary = fmt.Sprintf("Eskalation an Stellvertretung %d (%s)", t.Tier, reasonDE[t.Reason])
	case KindNodeExhausted:
		it.Org, it.Summary = e.Exhausted.Org, "Niemand erreicht: Kette erschöpft"
	case KindDelivery:
		if e.Delivery.State != notifiers.StateFailed {
			return it, false
		}
		it.Summary = fmt.Sprintf("Zustellung fehlgeschlagen (%s %s)", e.Delivery.Notification, e.Delivery.Code)
	case KindResponse:
		r := e.Response
		it.Person = r.Person
		it.Summary = fmt.Sprintf("Rückmeldung: %s", responseDE(*r))
		if r.Actor != "" {
			it.Summary += " (erfasst von " + r.Actor + ")"
		}
	case KindReadiness:
		it.Org, it.Summary = e.Readiness.Org, fmt.Sprintf("Status: %s → %s", e.Readiness.Previous, e.Readiness.State)
	case KindUpdate:
		it.Summary = "Lagemeldung: " + e.Update.Text
	case KindStoodDown:
		it.Summary = "Entwarnung: " + e.StandDown.Reason
	case KindConverted:
		it.Summary = fmt.Sprintf("ÜBUNG in ECHTFALL umgewandelt von %s: %s", e.Converted.By, e.Converted.Reason)
	default:
		return it, false
	}
	return it, true
}

var reasonDE = map[string]string{
	"timeout":     "keine Antwort",
	"unavailable": "nicht verfügbar",
	"failed":      "nicht erreichbar",
}

func responseDE(r Response) string {
	switch r.Kind {
	case Available:
		return "komme"
	case Delayed:
		if r.ETAUnknown || r.Minutes == 0 {
			return "komme später (ETA unbekannt)"
		}
		return fmt.Sprintf("komme in %d Min.", r.Minutes)
	case Unavailable:
		return "nicht verfügbar"
	}
	return string(r.Kind)
}

// Timeline returns the incident's timeline, optionally only for one organisation
// (plus incident-wide items).
func (c *Core) Timeline(id, org string) []TimelineItem {
	inc := c.incidents[id]
	if inc == nil {
		return nil
	}
	var out []TimelineItem
	for _, it := range inc.timeline {
		if org == "" || it.Org == "" && it.Person == "" || it.Org == org || it.Person != "" && inc.personIn(it.Person, org) {
			out = append(out, it)
		}
	}
	return out
}

func (inc *incident) personIn(person, org string) bool {
	if i, ok := inc.byID.find(inc.people, person); ok {
		var buf [1]nodeRef
		for _, ref := range inc.refs(i, &buf) {
			if inc.orgList[ref.org].id == org {
				return true
			}
		}
	}
	return false
}

func (inc *incident) record(e Event) (TimelineItem, bool) {
	it, ok := Describe(e)
	if !ok {
		return it, false
	}
	if len(inc.timeline) >= timelineCap {
		inc.timeline = inc.timeline[1:]
	}
	inc.timeline = append(inc.timeline, it)
	return it, true
}

// OrgsTouched returns the organisations whose tile an event may change.
func (c *Core) OrgsTouched(e Event) []string {
	inc := c.incidents[e.Incident]
	if inc == nil {
		return nil
	}
	switch e.Kind {
	case KindActivationStarted:
		return []string{e.Activation.Org}
	case KindTierAlerted:
		return []string{e.Tier.Org}
	case KindNodeExhausted:
		return []string{e.Exhausted.Org}
	case KindReadiness:
		return []string{e.Readiness.Org}
	case KindNotification:
		if e.Notification.Org != "" {
			return []string{e.Notification.Org}
		}
	case KindResponse:
		var out []string
		if i, ok := inc.byID.find(inc.people, e.Response.Person); ok {
			var buf [1]nodeRef
			for _, ref := range inc.refs(i, &buf) {
				if org := inc.orgList[ref.org].id; !slices.Contains(out, org) {
					out = append(out, org)
				}
			}
		}
		return out
	}
	return nil
}
