package httpapi

import (
	"encoding/json"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/kaskade-bcm/kaskade/activation"
	"github.com/kaskade-bcm/kaskade/activation/web"
	"github.com/kaskade-bcm/kaskade/config"
)

// PersonExport is what Kaskade holds about one person (an access request,
// Art. 15 GDPR): the configuration entry and every event naming them.
type PersonExport struct {
	Person     string           `json:"person"`
	ExportedAt time.Time        `json:"exported_at"`
	Config     *PersonEntry     `json:"config,omitempty"`
	Incidents  []PersonIncident `json:"incidents"`
	// Outbox holds the console outbox lines about the person, as stored.
	Outbox []json.RawMessage `json:"outbox,omitempty"`
	// NotIncluded names stores the export does not read (docs/PRIVACY.md).
	NotIncluded []string `json:"not_included"`
}

// PersonEntry is the person's configuration entry.
type PersonEntry struct {
	Name         string   `json:"name"`
	Organisation string   `json:"organisation"`
	Mobile       string   `json:"mobile,omitempty"`
	Email        string   `json:"email,omitempty"`
	Language     string   `json:"language,omitempty"`
	Functions    []string `json:"functions,omitempty"`
}

// PersonIncident is one incident's events naming the person; incident "_"
// holds inbound messages that belonged to no incident.
type PersonIncident struct {
	Incident   string             `json:"incident"`
	Title      string             `json:"title,omitempty"`
	Exercise   bool               `json:"exercise"`
	DeclaredAt time.Time          `json:"declared_at,omitzero"`
	Roles      []PersonRole       `json:"roles,omitempty"`
	Events     []activation.Event `json:"events"`
}

// PersonRole is the person's place in a call tree of the incident.
type PersonRole struct {
	Org      string `json:"org"`
	Tree     string `json:"tree"`
	Node     int    `json:"node"`
	Function string `json:"function"`
	Tier     int    `json:"tier"` // 0 primary, 1.. deputy
}

var notIncluded = []string{
	"INBOUND_SEEN bucket (answers to replayed messages, 72 h)",
	"server logs",
}

// outboxNotIncluded is listed when the server reads no outbox (Options.Outbox nil).
const outboxNotIncluded = "console outbox files in the data directory"

// personExport serves GET /api/v1/people/{id}/export to admins only.
func (s *Server) personExport(w http.ResponseWriter, r *http.Request) {
	p, ok := s.authenticate(w, r, false)
	if !ok {
		return
	}
	if p.role != config.RoleAdmin {
		web.WriteError(w, http.StatusForbidden, "forbidden", "only an admin may export a person's data")
		return
	}
	events, err := s.opts.Engine.Events(r.Context(), "")
	if err != nil {
		web.WriteError(w, http.StatusServiceUnavailable, "unavailable", err.Error())
		return
	}
	exp := ExportPerson(s.config(), events, r.PathValue("id"), time.Now())
	if s.opts.Outbox == nil {
		exp.NotIncluded = append(slices.Clone(exp.NotIncluded), outboxNotIncluded)
	} else if exp.Outbox, err = s.opts.Outbox(exp.Person); err != nil {
		web.WriteError(w, http.StatusInternalServerError, "internal", "the outbox could not be read")
		s.opts.Logger.Error("person export: outbox", "err", err)
		return
	}
	if exp.Config == nil && len(exp.Incidents) == 0 && len(exp.Outbox) == 0 {
		web.WriteError(w, http.StatusNotFound, "unknown_person", "Kaskade holds nothing about this person id")
		return
	}
	s.opts.Logger.Info("person data exported", "by", p.name, "incidents", len(exp.Incidents), "outbox_lines", len(exp.Outbox))
	web.WriteJSON(w, http.StatusOK, exp)
}

// ExportPerson collects the configuration entry and the events naming the
// person id from the whole log (events in log order, grouped by incident).
func ExportPerson(cfg *config.Config, events []activation.Event, id string, now time.Time) PersonExport {
	exp := PersonExport{Person: id, ExportedAt: now.UTC(), Incidents: []PersonIncident{}, NotIncluded: notIncluded}
	name := id
	if cp, ok := cfg.Person(id); ok {
		name = cp.Name
		exp.Config = &PersonEntry{Name: cp.Name, Organisation: cp.Organisation, Mobile: cp.Mobile, Email: cp.Email,
			Language: cp.Language, Functions: cp.Functions}
	}
	m := matcher{id: id, name: name, notifications: map[string]bool{}}
	byIncident := map[string]*PersonIncident{}
	declared := map[string]*activation.Declared{}
	var order []string
	for _, ev := range events {
		if ev.Declared != nil {
			declared[ev.Incident] = ev.Declared
		}
		roles := m.roles(ev)
		if !m.names(ev) && len(roles) == 0 {
			continue
		}
		pi := byIncident[ev.Incident]
		if pi == nil {
			pi = &PersonIncident{Incident: ev.Incident, Events: []activation.Event{}}
			byIncident[ev.Incident] = pi
			order = append(order, ev.Incident)
		}
		pi.Roles = append(pi.Roles, roles...)
		if len(roles) == 0 {
			pi.Events = append(pi.Events, ev)
		}
	}
	for _, inc := range order {
		pi := byIncident[inc]
		if d := declared[inc]; d != nil {
			pi.Title, pi.Exercise, pi.DeclaredAt = d.Title, d.Exercise, d.DeclaredAt
		}
		exp.Incidents = append(exp.Incidents, *pi)
	}
	return exp
}

// matcher recognises events naming one person: as recipient, responder,
// sender of an inbound message, or as the one who acted.
type matcher struct {
	id, name      string
	notifications map[string]bool // the person's notification ids
}

func (m matcher) is(s string) bool {
	return s != "" && (s == m.id || strings.EqualFold(s, m.name))
}

func (m matcher) names(ev activation.Event) bool {
	switch {
	case ev.Notification != nil && ev.Notification.Person == m.id:
		m.notifications[ev.Notification.ID] = true
		return true
	case ev.Delivery != nil:
		return m.notifications[ev.Delivery.Notification]
	case ev.Tier != nil:
		return ev.Tier.Person == m.id
	case ev.Response != nil:
		return ev.Response.Person == m.id || m.is(ev.Response.Actor)
	case ev.Inbound != nil:
		return ev.Inbound.Person == m.id
	case ev.Rejected != nil:
		return ev.Rejected.Person == m.id
	case ev.Declared != nil:
		return m.is(ev.Declared.DeclaredBy)
	case ev.Update != nil:
		return m.is(ev.Update.By)
	case ev.StandDown != nil:
		return m.is(ev.StandDown.By)
	case ev.Converted != nil:
		return m.is(ev.Converted.By)
	}
	return false
}

// roles lists where an activation plan names the person; the plan itself
// names others too and is therefore not exported whole.
func (m matcher) roles(ev activation.Event) []PersonRole {
	if ev.Activation == nil {
		return nil
	}
	var out []PersonRole
	for i, n := range ev.Activation.Nodes {
		if tier := slices.Index(n.People, m.id); tier >= 0 {
			out = append(out, PersonRole{Org: ev.Activation.Org, Tree: ev.Activation.Tree, Node: i, Function: n.Function, Tier: tier})
		}
	}
	return out
}
