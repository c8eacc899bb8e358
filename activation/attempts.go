package activation

// Attempts returns the ids of every notification of person over channel in
// an incident, in request order. It walks all the incident's notifications:
// for the rare reconciliation of an attempt after a crash, not for hot paths.
func (c *Core) Attempts(incident, person, channel string) []string {
	inc := c.incidents[incident]
	if inc == nil {
		return nil
	}
	p, ok := inc.byID.find(inc.people, person)
	ch, known := inc.syms.idx[channel]
	if !ok || !known {
		return nil
	}
	var out []string
	for i := range inc.notes {
		if ns := &inc.notes[i]; ns.person == p && ns.channel == ch {
			id := noteID(inc.decl.ID, i+1)
			if n := inc.odd[int32(i)]; n != nil {
				id = n.ID
			}
			out = append(out, id)
		}
	}
	return out
}
