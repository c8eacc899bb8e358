package engine

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/kaskade-bcm/kaskade/activation"
)

// Retention removes personal data after its time by shredding scope keys
// (seal.go): an incident's key some time after its stand-down, a day's key
// (events of no incident, chiefly messages from unknown senders) some time
// after the day. What is left replays with stand-ins for people and texts:
// counts, times, organisations and functions — the report's figures.

// Retention is how long personal data is kept; zero keeps it for good.
type Retention struct {
	Real     time.Duration // after a real incident's stand-down
	Exercise time.Duration // after an exercise's stand-down
	// Unattached is for events of no incident (messages from unknown
	// senders, answers after the stand-down), counted from the day's end.
	Unattached time.Duration
	// Every is how often the leader looks (default 1h; at every start too).
	Every time.Duration
}

func (r Retention) on() bool { return r.Real > 0 || r.Exercise > 0 || r.Unattached > 0 }

func (r Retention) String() string {
	return fmt.Sprintf("real %s, exercise %s, unattached %s", days(r.Real), days(r.Exercise), days(r.Unattached))
}

func days(d time.Duration) string {
	if d <= 0 {
		return "forever"
	}
	return fmt.Sprintf("%gd", d.Hours()/24)
}

// maybeRetain applies the retention when it is due (leader goroutine).
// errRebuild means keys were shredded.
func (e *Engine) maybeRetain(ctx context.Context) error {
	r := e.opts.Retention
	if !r.on() {
		return nil
	}
	now := e.opts.Now()
	every := r.Every
	if every <= 0 {
		every = time.Hour
	}
	if !e.retainedAt.IsZero() && now.Sub(e.retainedAt) < every && now.After(e.retainedAt) {
		return nil
	}
	e.retainedAt = now
	rec, err := e.dueForRetention(ctx, now)
	if err != nil {
		return err
	}
	if rec == nil {
		e.retainedUpTo.Store(now.UnixNano()) // nothing (more) due at now
		return nil
	}
	var names []string
	for _, id := range rec.Incidents {
		names = append(names, "i."+kvToken(id))
	}
	for _, d := range rec.Days {
		names = append(names, "d."+d)
	}
	if err := e.keys.shred(ctx, names...); err != nil {
		return err
	}
	if err := e.dropSnapshots(ctx); err != nil {
		return err
	}
	ev := activation.Event{V: activation.SchemaVersion, Kind: activation.KindRetention, At: now, Retained: rec}
	e.mu.Lock()
	e.unpersisted = true
	e.core.Apply(ev)
	e.mu.Unlock()
	if err := e.persist(ctx, []activation.Event{ev}); err != nil {
		return err
	}
	e.unpersisted = false
	e.log.Info("retention: personal data removed", "incidents", len(rec.Incidents), "days", len(rec.Days))
	return errRebuild
}

// dueForRetention lists the incidents and days whose keys are due.
func (e *Engine) dueForRetention(ctx context.Context, now time.Time) (*activation.Retention, error) {
	r := e.opts.Retention
	if err := e.keys.ensureLoaded(ctx); err != nil {
		return nil, err
	}
	live := map[string]bool{}
	scopes, err := e.keys.scopes(ctx, "")
	if err != nil {
		return nil, err
	}
	for _, s := range scopes {
		live[s] = true
	}
	rec := &activation.Retention{Policy: r.String()}
	e.mu.RLock()
	for _, inc := range e.core.Incidents() {
		keep := r.Real
		if inc.Exercise {
			keep = r.Exercise
		}
		if keep > 0 && inc.StoodDownAt != nil && !now.Before(inc.StoodDownAt.Add(keep)) && live["i."+kvToken(inc.ID)] {
			rec.Incidents = append(rec.Incidents, inc.ID)
		}
	}
	e.mu.RUnlock()
	if r.Unattached > 0 {
		for s := range live {
			day, ok := strings.CutPrefix(s, "d.")
			if !ok {
				continue
			}
			t, err := time.Parse("20060102", day)
			if err == nil && !now.Before(t.AddDate(0, 0, 1).Add(r.Unattached)) {
				rec.Days = append(rec.Days, day)
			}
		}
	}
	if len(rec.Incidents)+len(rec.Days) == 0 {
		return nil, nil
	}
	slices.Sort(rec.Incidents)
	slices.Sort(rec.Days)
	return rec, nil
}
