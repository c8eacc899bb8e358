package activation

import (
	"fmt"
	"slices"
	"strings"

	"github.com/kaskade-bcm/kaskade/notifiers"
)

// timelineCap bounds the timeline kept per incident; the full history is in the stream.
const timelineCap = 2000

// Describe turns a significant event into a timeline line for the board,
// from the event alone. Core.Describe adds what the incident knows (the
// organisation of a failed delivery, the function of an answer, the node of
// an exhausted chain). Routine events (each notification, each first alert)
// are left out to keep it readable; ok is false for them.
func Describe(e Event) (TimelineItem, bool) {
	return describe(nil, e)
}

// Describe is the timeline line of an event in the incident it belongs to.
func (c *Core) Describe(e Event) (TimelineItem, bool) {
	return describe(c.incidents[e.Incident], e)
}

func describe(inc *incident, e Event) (TimelineItem, bool) {
	it := TimelineItem{At: e.At, Kind: e.Kind}
	de, en := "", ""
	switch e.Kind {
	case KindDeclared:
		d := e.Declared
		it.Wide = true
		de = fmt.Sprintf("Lage ausgerufen von %s: %s (%s)", d.DeclaredBy, d.Title, d.Reason)
		en = fmt.Sprintf("Incident declared by %s: %s (%s)", d.DeclaredBy, d.Title, d.Reason)
		if p := d.ProposedBy; p != nil {
			de += fmt.Sprintf(" – Vorschlag %s aus %s (%s) bestätigt", p.Proposal, p.Source, p.By)
			en += fmt.Sprintf(" – confirmed proposal %s from %s (%s)", p.Proposal, p.Source, p.By)
		}
	case KindActivationStarted:
		it.Org, de, en = e.Activation.Org, "Alarmierung gestartet", "Alerting started"
	case KindTierAlerted:
		t := e.Tier
		if t.Reason == "start" || t.Reason == "cascade" {
			return it, false
		}
		it.Org, it.Person, it.Function = t.Org, t.Person, inc.function(t.Org, t.Node)
		r := reasons[t.Reason]
		de = fmt.Sprintf("Eskalation an Stellvertretung %d von %s, %s (%s)", t.Tier, it.Function, t.Person, r[0])
		en = fmt.Sprintf("Escalated to deputy %d of %s, %s (%s)", t.Tier, it.Function, t.Person, r[1])
	case KindNodeExhausted:
		x := e.Exhausted
		it.Org, it.Function = x.Org, inc.function(x.Org, x.Node)
		// Everyone asked was silent, unreachable or said no: nobody is coming
		// (not "nobody reached": a chain of noes reached everyone).
		de = fmt.Sprintf("Niemand kommt: Kette erschöpft – Knoten %d (%s)", x.Node, it.Function)
		en = fmt.Sprintf("Nobody coming: chain exhausted – node %d (%s)", x.Node, it.Function)
	case KindDelivery:
		d := e.Delivery
		if d.State != notifiers.StateFailed {
			return it, false
		}
		if n, ok := inc.noteOf(d.Notification); ok {
			it.Org, it.Person, it.Function = n.Org, n.Person, n.Function
		}
		if it.Org == "" {
			it.Wide = true
		}
		who := strings.TrimSuffix(strings.Join([]string{it.Person, it.Function}, ", "), ", ")
		de = fmt.Sprintf("Zustellung fehlgeschlagen an %s (%s %s)", who, d.Notification, d.Code)
		en = fmt.Sprintf("Delivery failed to %s (%s %s)", who, d.Notification, d.Code)
	case KindResponse:
		r := e.Response
		it.Person, it.Org, it.Function = r.Person, r.Org, inc.functionsOf(r.Person, r.Org)
		who := r.Person
		if it.Function != "" {
			who += " (" + it.Function + ")"
		}
		by := [2]string{}
		if r.Source == SourceVoice { // keyed in a call
			by = [2]string{" per Anruf", " by call"}
		}
		de = fmt.Sprintf("Rückmeldung von %s%s: %s", who, by[0], responseText(*r, 0))
		en = fmt.Sprintf("Answer from %s%s: %s", who, by[1], responseText(*r, 1))
		if r.Remark != "" {
			de += " – „" + r.Remark + "“"
			en += " – “" + r.Remark + "”"
		}
		if r.Actor != "" {
			de += " (erfasst von " + r.Actor + ")"
			en += " (recorded by " + r.Actor + ")"
		}
	case KindReadiness:
		rc := e.Readiness
		if rc.State == rc.Previous {
			return it, false // only the coverage changed; the answer says so
		}
		it.Org = rc.Org
		de = fmt.Sprintf("Status: %s → %s", StateName(rc.Previous, "de"), StateName(rc.State, "de"))
		en = fmt.Sprintf("Status: %s → %s", StateName(rc.Previous, "en"), StateName(rc.State, "en"))
	case KindUpdate:
		it.Wide, de, en = true, "Lagemeldung: "+e.Update.Text, "Situation update: "+e.Update.Text
	case KindStoodDown:
		it.Wide, de, en = true, "Entwarnung: "+e.StandDown.Reason, "Stand-down: "+e.StandDown.Reason
	case KindInbound:
		if !conferenceEvent(e) {
			return it, false
		}
		de, en = describeConference(&it, *e.Inbound)
	case KindConverted:
		it.Wide = true
		de = fmt.Sprintf("ÜBUNG in ECHTFALL umgewandelt von %s: %s", e.Converted.By, e.Converted.Reason)
		en = fmt.Sprintf("EXERCISE turned into a REAL INCIDENT by %s: %s", e.Converted.By, e.Converted.Reason)
	default:
		return it, false
	}
	it.Summary, it.SummaryEN = de, en
	return it, true
}

// reasons of an escalation, German and English.
var reasons = map[string][2]string{
	"timeout":         {"keine Antwort", "no answer"},
	"unavailable":     {"nicht verfügbar", "not available"},
	"failed":          {"nicht erreichbar", "not reachable"},
	"bound_elsewhere": {"in anderem Stab gebunden", "bound to another staff"},
	"more_needed":     {"Funktion braucht weitere Personen", "function needs more people"},
}

// stateNames are the readiness states in words, German and English.
var stateNames = map[ReadinessState][2]string{
	NotActivated: {"nicht alarmiert", "not alerted"},
	Alerting:     {"Alarmierung läuft", "alerting"},
	Forming:      {"Stab bildet sich", "staff forming"},
	Ready:        {"arbeitsfähig", "ready"},
	Degraded:     {"beeinträchtigt", "degraded"},
	AtRisk:       {"gefährdet", "at risk"},
	StoodDown:    {"beendet", "stood down"},
}

// StateName names a readiness state in German ("de") or English.
func StateName(s ReadinessState, lang string) string {
	n, ok := stateNames[s]
	if !ok {
		return string(s)
	}
	if lang == "en" {
		return n[1]
	}
	return n[0]
}

func responseText(r Response, lang int) string {
	switch r.Kind {
	case Available:
		return [2]string{"komme", "coming"}[lang]
	case Delayed:
		if r.ETAUnknown || r.Minutes == 0 {
			return [2]string{"komme später (ETA unbekannt)", "coming later (ETA unknown)"}[lang]
		}
		return fmt.Sprintf([2]string{"komme in %d Min.", "coming in %d min"}[lang], r.Minutes)
	case Unavailable:
		return [2]string{"nicht verfügbar", "not available"}[lang]
	}
	return string(r.Kind)
}

// function returns the function of an organisation's node ("" when unknown).
func (inc *incident) function(org string, node int) string {
	if inc == nil || inc.orgs[org] == nil || !fits(node, len(inc.orgs[org].nodes)) {
		return ""
	}
	return inc.syms.str(inc.orgs[org].nodes[node].function)
}

// functionsOf lists a person's functions in the incident (in one
// organisation when org is set), each once.
func (inc *incident) functionsOf(person, org string) string {
	if inc == nil {
		return ""
	}
	i, ok := inc.byID.find(inc.people, person)
	if !ok {
		return ""
	}
	var out []string
	var buf [1]nodeRef
	for _, ref := range inc.refs(i, &buf) {
		o := inc.orgList[ref.org]
		if f := inc.syms.str(o.nodes[ref.node].function); (org == "" || o.id == org) && f != "" && !slices.Contains(out, f) {
			out = append(out, f)
		}
	}
	return strings.Join(out, ", ")
}

// noteOf returns a notification of the incident by id.
func (inc *incident) noteOf(id string) (Notification, bool) {
	if inc == nil {
		return Notification{}, false
	}
	i, ok := inc.note(id)
	if !ok {
		return Notification{}, false
	}
	return inc.notification(i, id), true
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
		if org == "" || it.Wide || it.Org == org || it.Org == "" && it.Person != "" && inc.personIn(it.Person, org) {
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
	it, ok := describe(inc, e)
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
	case KindInbound:
		if conferenceEvent(e) && inc.orgs[e.Inbound.Org] != nil {
			return []string{e.Inbound.Org}
		}
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
