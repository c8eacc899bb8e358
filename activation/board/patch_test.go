package board

import (
	"encoding/json"
	"maps"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/kaskade-bcm/kaskade/activation"
)

// viewer applies change events the way board.js does (applyChange), on
// decoded JSON: a model of the page's state.
type viewer struct{ incidents map[string]map[string]any }

func newViewer(snap ...activation.IncidentView) *viewer {
	v := &viewer{incidents: map[string]map[string]any{}}
	for _, inc := range snap {
		v.incidents[inc.ID] = asJSON(inc).(map[string]any)
	}
	return v
}

func asJSON(x any) any {
	data, err := json.Marshal(x)
	if err != nil {
		panic(err)
	}
	var out any
	if err := json.Unmarshal(data, &out); err != nil {
		panic(err)
	}
	return out
}

func (v *viewer) apply(t *testing.T, data []byte) {
	t.Helper()
	var ch struct {
		Kind          string            `json:"kind"`
		IncidentID    string            `json:"incident_id"`
		Incident      map[string]any    `json:"incident"`
		Readiness     map[string]any    `json:"readiness"`
		Patch         map[string]any    `json:"patch"`
		Organisations []json.RawMessage `json:"organisations"`
	}
	if err := json.Unmarshal(data, &ch); err != nil {
		t.Fatalf("change %s: %v", data, err)
	}
	switch ch.Kind {
	case "incident":
		v.incidents[ch.IncidentID] = ch.Incident
	case "incident_patch":
		inc := v.incidents[ch.IncidentID]
		if inc == nil {
			return // not in the snapshot: the page ignores it
		}
		for k, val := range ch.Patch {
			if val == nil {
				delete(inc, k)
			} else {
				inc[k] = val
			}
		}
		for _, raw := range ch.Organisations {
			var tile map[string]any
			if err := json.Unmarshal(raw, &tile); err != nil {
				t.Fatal(err)
			}
			v.putTile(inc, tile)
		}
	case "readiness":
		if inc := v.incidents[ch.IncidentID]; inc != nil {
			v.putTile(inc, ch.Readiness)
		}
	}
}

func (v *viewer) putTile(inc, tile map[string]any) {
	orgs, _ := inc["organisations"].([]any)
	for i, o := range orgs {
		if o.(map[string]any)["org"] == tile["org"] {
			orgs[i] = tile
			return
		}
	}
	inc["organisations"] = append(orgs, tile)
}

// frameData returns the data line of one SSE event.
func frameData(t *testing.T, frame []byte) []byte {
	t.Helper()
	for line := range strings.SplitSeq(string(frame), "\n") {
		if d, ok := strings.CutPrefix(line, "data: "); ok {
			return []byte(d)
		}
	}
	t.Fatalf("no data in %q", frame)
	return nil
}

func TestPatcherSendsWhatChangedAndPagesFollow(t *testing.T) {
	type step struct {
		name   string
		change func(inc *activation.IncidentView) // on the current view
		// readiness lists the organisations whose readiness change goes in the
		// same batch, after the incident change (as the engine sends them).
		readiness []string
		resync    bool   // a resync change goes first
		wantKind  string // "" when the change is left out
		wantPatch []string
		wantTiles []string
	}
	tile := func(inc *activation.IncidentView, org string) *activation.OrgReadiness {
		for i := range inc.Organisations {
			if inc.Organisations[i].Org == org {
				return &inc.Organisations[i]
			}
		}
		panic(org)
	}
	steps := []step{
		{name: "first view of the incident: whole", change: func(*activation.IncidentView) {}, wantKind: "incident"},
		{name: "same view again: left out", change: func(*activation.IncidentView) {}},
		{name: "counts only", change: func(inc *activation.IncidentView) { inc.Counts.Sent = 9 },
			wantKind: "incident_patch", wantPatch: []string{"counts"}},
		{name: "a reply: tile and counts, the tile in the batch's readiness change",
			change: func(inc *activation.IncidentView) {
				inc.Counts.Responses = 1
				tile(inc, "MI").Available, tile(inc, "MI").State = 1, activation.Forming
			},
			readiness: []string{"MI"}, wantKind: "incident_patch", wantPatch: []string{"counts"}},
		{name: "a tile without a readiness change in the batch",
			change:   func(inc *activation.IncidentView) { tile(inc, "MF").Unavailable = 2 },
			wantKind: "incident_patch", wantPatch: []string{}, wantTiles: []string{"MF"}},
		{name: "only the tile, with its readiness change: left out",
			change:    func(inc *activation.IncidentView) { tile(inc, "MF").Coming = 3 },
			readiness: []string{"MF"}},
		{name: "a situation update and a message",
			change: func(inc *activation.IncidentView) {
				inc.Updates = append(inc.Updates, activation.UpdateView{At: t0, By: "Anna", Text: "Lage stabil"})
				inc.Message = "Bitte Stabsraum 2"
			},
			wantKind: "incident_patch", wantPatch: []string{"message", "updates"}},
		{name: "a field no longer set is null",
			change:   func(inc *activation.IncidentView) { inc.Message = "" },
			wantKind: "incident_patch", wantPatch: []string{"message"}},
		{name: "after a resync: whole", resync: true,
			change:   func(inc *activation.IncidentView) { inc.Counts.Sent = 10 },
			wantKind: "incident"},
		{name: "an organisation more: whole",
			change: func(inc *activation.IncidentView) {
				inc.Organisations = append(inc.Organisations, simpleIncident(inc.ID, t0, "MK").Organisations...)
			},
			wantKind: "incident"},
		{name: "stand-down: a patch",
			change: func(inc *activation.IncidentView) {
				at := t0.Add(time.Hour)
				inc.Status, inc.StoodDownAt, inc.StoodDownBy = "stood_down", &at, "Anna"
			},
			wantKind: "incident_patch", wantPatch: []string{"status", "stood_down_at", "stood_down_by"}},
		{name: "after the stand-down: whole (no base kept)",
			change:   func(inc *activation.IncidentView) { inc.Counts.Delivered = 4 },
			wantKind: "incident"},
	}

	p := newPatcher()
	cur := simpleIncident("K1", t0, "MI", "MF")
	early := newViewer(cur) // connected before the first change
	var late *viewer        // connects in the middle
	var seq uint64
	for i, st := range steps {
		st.change(&cur)
		var batch []activation.Change
		if st.resync {
			seq++
			batch = append(batch, activation.Change{Seq: seq, Kind: activation.ChangeResync})
		}
		seq++
		view := cur
		view.Organisations = slices.Clone(cur.Organisations)
		batch = append(batch, activation.Change{Seq: seq, Kind: activation.ChangeIncident, IncidentID: "K1", Incident: &view})
		for _, org := range st.readiness {
			seq++
			r := *tile(&view, org)
			batch = append(batch, activation.Change{Seq: seq, Kind: activation.ChangeReadiness, IncidentID: "K1", Readiness: &r})
		}
		encs := p.encodeBatch(batch)

		var got *encoded
		for _, e := range encs {
			if e.Kind == activation.ChangeIncident {
				got = e
			}
		}
		var kind, data string
		var ch incidentPatch
		if got != nil {
			data = string(got.data)
			if err := json.Unmarshal(frameData(t, got.data), &ch); err != nil {
				t.Fatal(err)
			}
			kind = string(ch.Kind)
		}
		if kind != st.wantKind {
			t.Fatalf("%s: kind %q, want %q (%s)", st.name, kind, st.wantKind, data)
		}
		if kind == "incident_patch" {
			keys := slices.Sorted(maps.Keys(ch.Patch))
			if !slices.Equal(keys, st.wantPatch) {
				t.Errorf("%s: patch %v, want %v", st.name, keys, st.wantPatch)
			}
			var orgs []string
			for _, raw := range ch.Organisations {
				var r activation.OrgReadiness
				json.Unmarshal(raw, &r)
				orgs = append(orgs, r.Org)
			}
			if !slices.Equal(orgs, st.wantTiles) {
				t.Errorf("%s: tiles %v, want %v", st.name, orgs, st.wantTiles)
			}
			if got.whole == nil || !strings.Contains(string(got.whole.data), `"kind":"incident"`) {
				t.Errorf("%s: no whole view beside the patch", st.name)
			}
		}

		for _, e := range encs {
			early.apply(t, frameData(t, e.data))
			if late != nil {
				late.apply(t, frameData(t, e.data))
			}
		}
		want := asJSON(cur)
		if !reflect.DeepEqual(early.incidents["K1"], want) {
			t.Fatalf("%s: the page has\n%v\nwant\n%v", st.name, early.incidents["K1"], want)
		}
		if late != nil && !reflect.DeepEqual(late.incidents["K1"], want) {
			t.Fatalf("%s: the page that connected later has\n%v\nwant\n%v", st.name, late.incidents["K1"], want)
		}
		if i == 3 {
			late = newViewer(cur) // its snapshot
		}
	}
}

// A readiness change updates what later patches compare with.
func TestPatcherLeavesOutTilesSentAsReadiness(t *testing.T) {
	p := newPatcher()
	inc := simpleIncident("K1", t0, "MI", "MF")
	p.encodeBatch([]activation.Change{{Seq: 1, Kind: activation.ChangeIncident, IncidentID: "K1", Incident: &inc}})

	next := simpleIncident("K1", t0, "MI", "MF")
	next.Organisations[0].State = activation.Ready
	r := next.Organisations[0]
	p.encodeBatch([]activation.Change{{Seq: 2, Kind: activation.ChangeReadiness, IncidentID: "K1", Readiness: &r}})
	// The throttled view comes later, alone, with the same tile.
	next.Counts.Responses = 1
	encs := p.encodeBatch([]activation.Change{{Seq: 3, Kind: activation.ChangeIncident, IncidentID: "K1", Incident: &next}})
	if len(encs) != 1 {
		t.Fatalf("%d changes, want 1", len(encs))
	}
	var ch incidentPatch
	if err := json.Unmarshal(frameData(t, encs[0].data), &ch); err != nil {
		t.Fatal(err)
	}
	if ch.Kind != changeIncidentPatch || len(ch.Organisations) != 0 || len(ch.Patch) != 1 || ch.Patch["counts"] == nil {
		t.Errorf("patch %s, want counts only", frameData(t, encs[0].data))
	}
}

// A stream that has a patch pending when the next one comes gets the whole
// view instead: the second patch applies to the first.
func TestCoalescerReplacesPendingPatchWithWholeView(t *testing.T) {
	p := newPatcher()
	inc := simpleIncident("K1", t0, "MI")
	p.encodeBatch([]activation.Change{{Seq: 1, Kind: activation.ChangeIncident, IncidentID: "K1", Incident: &inc}})
	patch := func(seq uint64, sent int) *encoded {
		v := simpleIncident("K1", t0, "MI")
		v.Counts.Sent = sent
		encs := p.encodeBatch([]activation.Change{{Seq: seq, Kind: activation.ChangeIncident, IncidentID: "K1", Incident: &v}})
		if len(encs) != 1 || encs[0].whole == nil {
			t.Fatalf("seq %d: no patch", seq)
		}
		return encs[0]
	}
	tests := []struct {
		name     string
		seqs     []uint64
		wantKind string
	}{
		{"one patch stays a patch", []uint64{2}, "incident_patch"},
		{"two patches become the whole view", []uint64{3, 4}, "incident"},
	}
	for _, tt := range tests {
		c := newCoalescer(8)
		var last *encoded
		for _, seq := range tt.seqs {
			last = patch(seq, int(seq))
			c.addBatch([]*encoded{last})
		}
		batch, _ := c.take(nil)
		if len(batch) != 1 {
			t.Fatalf("%s: %d changes", tt.name, len(batch))
		}
		var ch activation.Change
		if err := json.Unmarshal(frameData(t, batch[0].data), &ch); err != nil {
			t.Fatal(err)
		}
		if string(ch.Kind) != tt.wantKind || ch.Seq != last.Seq {
			t.Errorf("%s: kind %q seq %d, want %q seq %d", tt.name, ch.Kind, ch.Seq, tt.wantKind, last.Seq)
		}
		if tt.wantKind == "incident" && (ch.Incident == nil || ch.Incident.Counts.Sent != int(last.Seq)) {
			t.Errorf("%s: whole view %+v, want the latest", tt.name, ch.Incident)
		}
	}
}

// On the wire: the first view of an incident whole, then patches; a page
// that applies them has the source's view.
func TestStreamSendsIncidentPatches(t *testing.T) {
	e := newEnv(t, false)
	s := e.openStream(nil, bearerHdr(viewerToken))
	snap := s.snapshot(t)
	page := newViewer(snap.Incidents...)

	inc := e.src.Incidents()[0]
	var kinds []string
	for i, change := range []func(){
		func() { inc.Counts.Requested = 18 },
		func() {
			inc.Counts.Sent = 18
			inc.Updates = []activation.UpdateView{{At: t0, By: "Anna", Text: "Lage stabil"}}
		},
	} {
		change()
		e.src.putIncident(inc)
		ev, ok := s.next(t) // before the next change, so they are not coalesced
		if !ok {
			t.Fatal("stream ended")
		}
		var ch struct {
			Kind  string         `json:"kind"`
			Patch map[string]any `json:"patch"`
		}
		if err := json.Unmarshal([]byte(ev.Data), &ch); err != nil {
			t.Fatal(err)
		}
		kinds = append(kinds, ch.Kind)
		page.apply(t, []byte(ev.Data))
		if i == 1 && len(ch.Patch) != 2 {
			t.Errorf("patch %s, want counts and updates only", ev.Data)
		}
	}
	if !slices.Equal(kinds, []string{"incident", "incident_patch"}) {
		t.Errorf("kinds %v, want the whole view, then a patch", kinds)
	}
	if !reflect.DeepEqual(page.incidents["K1"], asJSON(inc)) {
		t.Errorf("the page has %v, want %v", page.incidents["K1"], asJSON(inc))
	}
}

// Two views of one incident in one batch make one patch with both changes
// (two patches would reach a stream as the whole view).
func TestPatcherOnePatchPerIncidentAndBatch(t *testing.T) {
	p := newPatcher()
	inc := simpleIncident("K1", t0, "MI")
	p.encodeBatch([]activation.Change{{Seq: 1, Kind: activation.ChangeIncident, IncidentID: "K1", Incident: &inc}})
	a := simpleIncident("K1", t0, "MI")
	a.Counts.Sent = 1
	b := a
	b.Message = "Stabsraum 2"
	encs := p.encodeBatch([]activation.Change{
		{Seq: 2, Kind: activation.ChangeIncident, IncidentID: "K1", Incident: &a},
		{Seq: 3, Kind: activation.ChangeTimeline, IncidentID: "K1", Timeline: &activation.TimelineItem{Summary: "x"}},
		{Seq: 4, Kind: activation.ChangeIncident, IncidentID: "K1", Incident: &b},
	})
	var kinds []string
	var patch incidentPatch
	for _, e := range encs {
		kinds = append(kinds, string(e.Kind))
		if e.Kind == activation.ChangeIncident {
			if err := json.Unmarshal(frameData(t, e.data), &patch); err != nil {
				t.Fatal(err)
			}
		}
	}
	if !slices.Equal(kinds, []string{"timeline", "incident"}) {
		t.Fatalf("kinds %v, want timeline and one incident change", kinds)
	}
	if patch.Seq != 4 || !slices.Equal(slices.Sorted(maps.Keys(patch.Patch)), []string{"counts", "message"}) {
		t.Errorf("patch seq %d %v, want seq 4 with counts and message", patch.Seq, slices.Sorted(maps.Keys(patch.Patch)))
	}
}

// queuedSource hands out one subscription whose changes are already queued.
type queuedSource struct {
	*fakeSource
	queued chan activation.Change
}

func (q *queuedSource) Subscribe() (<-chan activation.Change, func()) { return q.queued, func() {} }

// What the source published together reaches a stream as one batch (one
// write), not change by change.
func TestHubHandsStreamsWhatWasPublishedTogether(t *testing.T) {
	inc := simpleIncident("K1", t0, "MI")
	r := inc.Organisations[0]
	src := &queuedSource{fakeSource: newFakeSource(), queued: make(chan activation.Change, 3)}
	src.queued <- activation.Change{Seq: 1, Kind: activation.ChangeTimeline, IncidentID: "K1", Timeline: &activation.TimelineItem{Summary: "Antwort"}}
	src.queued <- activation.Change{Seq: 2, Kind: activation.ChangeIncident, IncidentID: "K1", Incident: &inc}
	src.queued <- activation.Change{Seq: 3, Kind: activation.ChangeReadiness, IncidentID: "K1", Readiness: &r}
	h := newHub(src)
	co := newCoalescer(8)
	leave := h.join(co)
	defer leave()
	select {
	case <-co.kick:
	case <-time.After(10 * time.Second):
		t.Fatal("no change reached the stream")
	}
	batch, _ := co.take(nil)
	var seqs []uint64
	for _, e := range batch {
		seqs = append(seqs, e.Seq)
	}
	if !slices.Equal(seqs, []uint64{1, 2, 3}) {
		t.Errorf("first batch %v, want [1 2 3]", seqs)
	}
}
