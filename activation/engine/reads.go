package engine

import "github.com/kaskade-bcm/kaskade/activation"

// View runs f with the core under a read lock. f must not keep references.
func (e *Engine) View(f func(c *activation.Core)) {
	e.mu.RLock()
	defer e.mu.RUnlock()
	f(e.core)
}

// Incidents lists every incident, newest first.
func (e *Engine) Incidents() (out []activation.IncidentView) {
	e.View(func(c *activation.Core) { out = c.Incidents() })
	return out
}

// Incident returns one incident.
func (e *Engine) Incident(id string) (v activation.IncidentView, ok bool) {
	e.View(func(c *activation.Core) { v, ok = c.Incident(id) })
	return v, ok
}

// Detail returns an organisation's drill-down.
func (e *Engine) Detail(id, org string) (d activation.OrgDetail, ok bool) {
	e.View(func(c *activation.Core) { d, ok = c.Detail(id, org, e.opts.Directory) })
	return d, ok
}

// Proposals lists every proposal from warning systems, newest first.
func (e *Engine) Proposals() (out []activation.ProposalView) {
	e.View(func(c *activation.Core) { out = c.Proposals() })
	return out
}
