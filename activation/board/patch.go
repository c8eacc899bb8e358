package board

import (
	"bytes"
	"encoding/json"
	"errors"
	"slices"

	"github.com/kaskade-bcm/kaskade/activation"
)

// changeIncidentPatch is the stream's kind for an incident change sent as
// the difference to the incident's previous view (see incidentPatch).
const changeIncidentPatch activation.ChangeKind = "incident_patch"

// incidentPatch is what a stream sends instead of a whole incident view
// when the hub saw the incident's previous view: the top-level fields of the
// view that changed (null: no longer set) and the changed tiles.
type incidentPatch struct {
	Seq        uint64                     `json:"seq"`
	Kind       activation.ChangeKind      `json:"kind"`
	IncidentID string                     `json:"incident_id"`
	Patch      map[string]json.RawMessage `json:"patch"`
	// Organisations are the tiles that changed, replacing those with the same
	// org; a tile that a readiness change of the same batch carries is left out.
	Organisations []json.RawMessage `json:"organisations,omitempty"`
}

// patcher encodes the hub's changes, incident views as patches against the
// last view of the same incident it encoded. It belongs to one subscription
// of the hub (a new one starts empty) and to its run goroutine.
type patcher struct {
	views map[string]*viewBase // open incidents only
}

// viewBase is an incident view as the streams have it: its top-level JSON
// fields but the organisations, and its tiles in order.
type viewBase struct {
	fields map[string]json.RawMessage
	orgs   []string
	tiles  map[string]json.RawMessage
}

func newPatcher() *patcher { return &patcher{views: map[string]*viewBase{}} }

// encodeBatch encodes changes that arrived together, in order. An incident
// change becomes a patch when the previous view is known, and is left out
// when nothing in it changed.
func (p *patcher) encodeBatch(changes []activation.Change) []*encoded {
	out := make([]*encoded, 0, len(changes))
	// Each readiness change's tile, and the last one per organisation; the
	// last change per incident (earlier ones would be coalesced away).
	tiles := make([]json.RawMessage, len(changes))
	var batchTiles map[[2]string]json.RawMessage
	lastView := map[string]int{}
	for i, ch := range changes {
		if ch.Kind == activation.ChangeIncident && ch.Incident != nil {
			lastView[ch.IncidentID] = i
		}
		if ch.Kind == activation.ChangeReadiness && ch.Readiness != nil {
			if batchTiles == nil {
				batchTiles = map[[2]string]json.RawMessage{}
			}
			if raw, err := json.Marshal(ch.Readiness); err == nil {
				tiles[i] = raw
				batchTiles[[2]string{ch.IncidentID, ch.Readiness.Org}] = raw
			}
		}
	}
	for i, ch := range changes {
		if ch.Kind == activation.ChangeIncident && ch.Incident != nil && lastView[ch.IncidentID] != i {
			continue // one patch against the view before the batch, not two
		}
		e, err := encode(ch)
		if err != nil {
			continue
		}
		switch {
		case ch.Kind == activation.ChangeResync:
			clear(p.views) // the source rebuilt its state: views start over
		case ch.Kind == activation.ChangeReadiness && tiles[i] != nil:
			// The streams now have this tile: later patches compare with it.
			if v := p.views[ch.IncidentID]; v != nil && v.tiles[ch.Readiness.Org] != nil {
				v.tiles[ch.Readiness.Org] = tiles[i]
			}
		case ch.Kind == activation.ChangeIncident && ch.Incident != nil:
			if !p.incident(e, batchTiles) {
				continue
			}
		}
		out = append(out, e)
	}
	return out
}

// incident turns the whole-view change e into a patch when it can; the
// whole view goes to e.whole for a stream that must replace a pending one.
// It reports false when the view did not change.
func (p *patcher) incident(e *encoded, batchTiles map[[2]string]json.RawMessage) bool {
	inc := e.Incident
	next, err := newViewBase(inc)
	if err != nil {
		delete(p.views, inc.ID) // the streams get the whole view, unlike any base
		return true
	}
	prev := p.views[inc.ID]
	if inc.Status == "open" {
		p.views[inc.ID] = next
	} else {
		delete(p.views, inc.ID) // closed views are rarely patched: no base kept
	}
	if prev == nil || !slices.Equal(prev.orgs, next.orgs) {
		return true
	}
	patch := incidentPatch{Seq: e.Seq, Kind: changeIncidentPatch, IncidentID: inc.ID, Patch: map[string]json.RawMessage{}}
	for k, v := range next.fields {
		if !bytes.Equal(prev.fields[k], v) {
			patch.Patch[k] = v
		}
	}
	for k := range prev.fields {
		if _, ok := next.fields[k]; !ok {
			patch.Patch[k] = json.RawMessage("null")
		}
	}
	for _, org := range next.orgs {
		tile := next.tiles[org]
		if bytes.Equal(prev.tiles[org], tile) || bytes.Equal(batchTiles[[2]string{inc.ID, org}], tile) {
			continue
		}
		patch.Organisations = append(patch.Organisations, tile)
	}
	if len(patch.Patch) == 0 && len(patch.Organisations) == 0 {
		return false
	}
	data, err := json.Marshal(patch)
	if err != nil {
		return true
	}
	whole := *e
	e.whole, e.data = &whole, changeFrame(e.Seq, data)
	return true
}

func newViewBase(inc *activation.IncidentView) (*viewBase, error) {
	raw, err := json.Marshal(inc)
	if err != nil {
		return nil, err
	}
	var fields map[string]json.RawMessage
	if err := json.Unmarshal(raw, &fields); err != nil {
		return nil, err
	}
	var tiles []json.RawMessage
	if err := json.Unmarshal(fields["organisations"], &tiles); err != nil {
		return nil, err
	}
	if len(tiles) != len(inc.Organisations) {
		return nil, errors.New("board: tiles do not match the organisations")
	}
	delete(fields, "organisations")
	v := &viewBase{fields: fields, orgs: make([]string, len(tiles)), tiles: make(map[string]json.RawMessage, len(tiles))}
	for i, t := range tiles {
		org := inc.Organisations[i].Org
		if _, dup := v.tiles[org]; dup {
			return nil, errors.New("board: an organisation twice in one incident")
		}
		v.orgs[i] = org
		v.tiles[org] = t
	}
	return v, nil
}
