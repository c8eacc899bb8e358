package board

import (
	"net/http"
	"net/url"
	"strings"

	"github.com/kaskade-bcm/kaskade/activation"
	"github.com/kaskade-bcm/kaskade/activation/web"
)

// ProposalSource is implemented by a Source that holds proposals from
// warning systems; without it GET /proposals answers 404.
type ProposalSource interface {
	// Proposals returns every proposal, newest first.
	Proposals() []activation.ProposalView
}

type proposalsData struct {
	pageData
	T         map[string]string
	Other     string // the page in the other language
	Open      []activation.ProposalView
	Closed    []activation.ProposalView
	Scenarios []activation.ScenarioInfo
}

// handleProposals serves GET /proposals (?lang=en): the warnings awaiting a
// duty officer, with confirm and dismiss for those who may act (the page's
// script calls the REST API with the session's CSRF token).
func (b *Board) handleProposals(w http.ResponseWriter, r *http.Request) {
	s, ok := b.sessionFor(r)
	if !ok {
		q := url.Values{"next": {r.URL.RequestURI()}}
		if langOf(r) == "en" {
			q.Set("lang", "en")
		}
		http.Redirect(w, r, "/login?"+q.Encode(), http.StatusSeeOther)
		return
	}
	ps, ok := b.src.(ProposalSource)
	if !ok {
		web.WriteError(w, http.StatusNotFound, "not_found", "proposals are not available on this server")
		return
	}
	lang := langOf(r)
	d := proposalsData{pageData: pageData{Lang: lang, Name: s.name, Role: string(s.role), CanAct: canAct(s.role), CSRF: s.csrf,
		Version: assetVersion}, T: proposalText[lang], Other: "/proposals?lang=" + map[string]string{"de": "en", "en": "de"}[lang],
		Scenarios: b.src.Scenarios()}
	for _, p := range ps.Proposals() {
		if p.Status == activation.ProposalOpen {
			d.Open = append(d.Open, p)
		} else {
			d.Closed = append(d.Closed, p)
		}
	}
	if len(d.Closed) > 50 {
		d.Closed = d.Closed[:50]
	}
	w.Header().Set("Cache-Control", "no-store")
	b.render(w, http.StatusOK, "proposals.html", d)
}

// handleProposalCount serves GET /proposals/count: how many proposals are
// open, so that an open board shows a new warning without a reload.
func (b *Board) handleProposalCount(w http.ResponseWriter, r *http.Request) {
	if _, ok := b.sessionFor(r); !ok {
		writeUnauthorized(w)
		return
	}
	ps, ok := b.src.(ProposalSource)
	if !ok {
		web.WriteError(w, http.StatusNotFound, "not_found", "proposals are not available on this server")
		return
	}
	open := 0
	for _, p := range ps.Proposals() {
		if p.Status == activation.ProposalOpen {
			open++
		}
	}
	w.Header().Set("Cache-Control", "no-store")
	web.WriteJSON(w, http.StatusOK, map[string]int{"open": open})
}

// proposalText holds the texts of the proposals page, German and English.
var proposalText = map[string]map[string]string{
	"de": {
		"title": "Vorschläge – Kaskade", "heading": "Vorschläge aus Warnsystemen", "back": "Zum Lagebild", "other": "English",
		"intro":  "Warnungen (CAP: MoWaS, DWD; Alertmanager) alarmieren niemanden von selbst. Der Lagedienst bestätigt sie – dann wird die Lage ausgerufen – oder verwirft sie.",
		"open_h": "Offen", "closed": "Erledigt", "none": "Keine offenen Vorschläge.",
		"source": "Quelle", "sent": "Gesendet", "severity": "Schwere", "urgency": "Dringlichkeit", "areas": "Gebiete",
		"suggest": "Vorschlag", "nosuggest": "Keine Regel passt – Szenario wählen.", "notes": "Verlauf", "alerts": "Alarme",
		"scenario": "Szenario", "orgs": "Ressorts (leer: die des Szenarios)", "mode": "Übung oder Ernstfall?",
		"exercise": "Übung", "real": "Ernstfall", "reason": "Begründung", "confirm": "Bestätigen und Lage ausrufen",
		"dismiss": "Verwerfen", "exwarn": "Übungsmeldung der Quelle", "by": "von",
		"open": "offen", "confirmed": "bestätigt", "dismissed": "verworfen", "withdrawn": "von der Quelle zurückgezogen",
		"incident": "Lage", "readonly": "Nur der Lagedienst kann bestätigen oder verwerfen.",
		"err_mode": "Bitte Übung oder Ernstfall wählen.", "err_reason": "Bitte eine Begründung angeben.",
	},
	"en": {
		"title": "Proposals – Kaskade", "heading": "Proposals from warning systems", "back": "To the board", "other": "Deutsch",
		"intro":  "Warnings (CAP: MoWaS, DWD; Alertmanager) never alert anyone by themselves. The duty officer confirms one – which declares the incident – or dismisses it.",
		"open_h": "Open", "closed": "Decided", "none": "No open proposals.",
		"source": "Source", "sent": "Sent", "severity": "Severity", "urgency": "Urgency", "areas": "Areas",
		"suggest": "Suggestion", "nosuggest": "No rule matched – choose a scenario.", "notes": "History", "alerts": "Alerts",
		"scenario": "Scenario", "orgs": "Organisations (empty: the scenario's)", "mode": "Exercise or real?",
		"exercise": "Exercise", "real": "Real", "reason": "Reason", "confirm": "Confirm and declare",
		"dismiss": "Dismiss", "exwarn": "Exercise message of the source", "by": "by",
		"open": "open", "confirmed": "confirmed", "dismissed": "dismissed", "withdrawn": "withdrawn by the source",
		"incident": "Incident", "readonly": "Only a duty officer can confirm or dismiss.",
		"err_mode": "Please choose exercise or real.", "err_reason": "Please give a reason.",
	},
}

// join is the template helper for lists.
func join(list []string) string { return strings.Join(list, ", ") }

// proposalFacts is what the facts block of one proposal needs.
type proposalFacts struct {
	T      map[string]string
	P      activation.ProposalView
	Status string // in the page's language
}

// facts is the template helper that hands one proposal to its facts block.
func facts(d proposalsData, p activation.ProposalView) proposalFacts {
	return proposalFacts{T: d.T, P: p, Status: d.T[p.Status]}
}
