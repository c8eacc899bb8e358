package engine

import (
	"encoding/json"
	"slices"
	"time"

	"github.com/nats-io/nats.go"

	"github.com/kaskade-bcm/kaskade/activation"
)

// ReadinessFeed is the payload of kaskade.readiness.<incident>.<org>, the
// feed an observer identity may read: counts only, no names, no person ids,
// no numbers, so it may leave Kaskade's trust boundary.
type ReadinessFeed struct {
	V         int                         `json:"v"` // 1
	Incident  string                      `json:"incident"`
	Org       string                      `json:"org"`
	State     activation.ReadinessState   `json:"state"`
	Exercise  bool                        `json:"exercise"`
	Functions map[string]FunctionCoverage `json:"functions"`
	// Missing lists the required functions not yet covered, sorted.
	Missing []string `json:"missing"`
	// Available, Delayed and Unavailable count answers: now, later, not.
	Available   int       `json:"available"`
	Delayed     int       `json:"delayed"`
	Unavailable int       `json:"unavailable"`
	At          time.Time `json:"at"` // when the state last changed
}

// FunctionCoverage is how many holders of a function are required and how
// many of them are covered by an available response.
type FunctionCoverage struct {
	Required int `json:"required"`
	Covered  int `json:"covered"`
}

// NewReadinessFeed builds the feed payload from an organisation's readiness.
func NewReadinessFeed(r activation.OrgReadiness, exercise bool) ReadinessFeed {
	fs := make(map[string]FunctionCoverage, len(r.Required))
	for f, n := range r.Required {
		fs[f] = FunctionCoverage{Required: n, Covered: r.Covered[f]}
	}
	missing := slices.Clone(r.Missing)
	if missing == nil {
		missing = []string{}
	}
	return ReadinessFeed{V: 1, Incident: r.Incident, Org: r.Org, State: r.State, Exercise: exercise, Functions: fs,
		Missing: missing, Available: r.Available, Delayed: r.Delayed, Unavailable: r.Unavailable, At: r.ChangedAt}
}

// publishReadiness sends one readiness change to the feed.
func (e *Engine) publishReadiness(nc *nats.Conn, r activation.OrgReadiness) {
	e.mu.RLock()
	decl, _ := e.core.Declaration(r.Incident)
	e.mu.RUnlock()
	if data, err := json.Marshal(NewReadinessFeed(r, decl.Exercise)); err == nil {
		_ = nc.Publish(e.opts.Layout.ReadinessSubject(r.Incident, r.Org), data)
	}
}
