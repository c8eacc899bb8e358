package activation

import (
	"slices"
	"time"
)

// Inbound outcomes of the staff conference line: a call joined or left
// the conference of Inbound.Org (Inbound.Person, call in ProviderID).
const (
	OutcomeConferenceJoin  = "conference_join"
	OutcomeConferenceLeave = "conference_leave"
)

// ConferenceMember is one person in an organisation's staff conference.
type ConferenceMember struct {
	Person string    `json:"person"`
	Name   string    `json:"name,omitempty"`
	Since  time.Time `json:"since"`
}

// confCall is one call in a staff conference; a person may be in it
// with two calls (called, and called in).
type confCall struct {
	person, call string
	since        time.Time
}

// conferenceEvent reports whether e is a join or leave of a staff conference.
func conferenceEvent(e Event) bool {
	in := e.Inbound
	return e.Kind == KindInbound && in != nil && in.Org != "" && in.Person != "" &&
		(in.Outcome == OutcomeConferenceJoin || in.Outcome == OutcomeConferenceLeave)
}

// applyConference adds or removes the call of a join or leave.
func (inc *incident) applyConference(at time.Time, in Inbound) {
	org := inc.orgs[in.Org]
	if org == nil {
		return
	}
	i := slices.IndexFunc(org.conference, func(c confCall) bool { return c.call == in.ProviderID && c.person == in.Person })
	switch {
	case in.Outcome == OutcomeConferenceLeave && i >= 0:
		org.conference = slices.Delete(org.conference, i, i+1)
	case in.Outcome == OutcomeConferenceJoin && i < 0:
		org.conference = append(org.conference, confCall{person: in.Person, call: in.ProviderID, since: at})
	}
}

// conferenceMembers lists each person in org's conference once, earliest first.
func (org *orgState) conferenceMembers(dir Directory) []ConferenceMember {
	var out []ConferenceMember
	for _, c := range org.conference {
		if slices.ContainsFunc(out, func(m ConferenceMember) bool { return m.Person == c.person }) {
			continue
		}
		m := ConferenceMember{Person: c.person, Since: c.since}
		if dir != nil {
			m.Name = dir.PersonName(c.person)
		}
		out = append(out, m)
	}
	return out
}

// Conference returns who is in the staff conference of an incident's
// organisation now, each person once (names from dir, which may be nil).
func (c *Core) Conference(id, org string) []ConferenceMember {
	inc := c.incidents[id]
	if inc == nil || inc.orgs[org] == nil {
		return nil
	}
	return inc.orgs[org].conferenceMembers(nil)
}

func describeConference(it *TimelineItem, in Inbound) (de, en string) {
	it.Org, it.Person = in.Org, in.Person
	if in.Outcome == OutcomeConferenceJoin {
		return "Stabskonferenz: " + in.Person + " hat sich eingewählt", "Staff call: " + in.Person + " joined"
	}
	return "Stabskonferenz: " + in.Person + " hat aufgelegt", "Staff call: " + in.Person + " left"
}

func encodeConference(w *snapWriter, org *orgState) {
	w.uint(uint64(len(org.conference)))
	for _, c := range org.conference {
		w.str(c.person)
		w.str(c.call)
		w.time(c.since)
	}
}

func decodeConference(r *snapReader, org *orgState) {
	if n := r.countOf(3); n > 0 {
		org.conference = make([]confCall, n)
		for i := range org.conference {
			org.conference[i] = confCall{person: r.str(), call: r.str(), since: r.time()}
		}
	}
}

// ComingTo returns the organisation whose staff a person's yes counts for
// in an open incident (the first in plan order, or the one the yes is
// bound to); ok is false without a yes.
func (c *Core) ComingTo(id, person string) (org string, ok bool) {
	inc := c.incidents[id]
	if inc == nil || inc.closed {
		return "", false
	}
	i, found := inc.byID.find(inc.people, person)
	if !found {
		return "", false
	}
	ps := &inc.people[i]
	var buf [1]nodeRef
	for _, ref := range inc.refs(i, &buf) {
		if o := inc.orgList[ref.org]; inc.comingTo(ps, o) {
			return o.id, true
		}
	}
	return "", false
}
