package activation

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"errors"
	"reflect"
	"runtime/debug"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/kaskade-bcm/kaskade/notifiers"
)

// busyHarness runs an activation through most of what can happen: two
// incidents (one a drill), deliveries of every kind, answers of every kind,
// escalations, an exhausted node, updates, a conversion, a stand-down, inbound
// messages and inputs out of order.
func busyHarness(t *testing.T) *harness {
	h := newHarness(t, false)
	h.seq = 10 // leaves a gap: inputs 1…10 never seen, so the input set has entries above its low mark
	first := notes(h.events)[0]
	h.input(Input{Incident: "K1", Delivery: &Delivery{Notification: first.ID, State: notifiers.StateFailed, Code: "21211"}})
	h.advance(3 * time.Minute)
	h.respond("lead2", Delayed, 20)
	for _, n := range notes(h.events) {
		h.input(Input{Incident: "K1", Delivery: &Delivery{Notification: n.ID, State: notifiers.StateDelivered, ProviderID: "SM1"}})
	}
	h.advance(11 * time.Minute)
	h.respond("it1", Unavailable, 0)
	for _, c := range []struct{ person, call, outcome string }{
		{"lead2", "CA1", OutcomeConferenceJoin}, {"it2", "CA2", OutcomeConferenceJoin}, {"it2", "CA2", OutcomeConferenceLeave}} {
		h.input(Input{Incident: "K1", Inbound: &Inbound{Channel: SourceVoice, Person: c.person, ProviderID: c.call, Org: "MI", Outcome: c.outcome}})
	}
	h.input(Input{Incident: "K1", Update: &SituationUpdate{Text: "Lage stabil", By: "lagedienst"}})
	h.input(Input{Incident: "K1", Inbound: &Inbound{Channel: "sms", From: "+49…16", Body: "vielleicht", Outcome: "invalid"}})
	h.advance(45 * time.Minute) // the rest of the tree runs out
	h.input(Input{Incident: "K2", Declare: &Declared{ID: "K2", ReplyCode: "K2", Scenario: "stromausfall", Title: "Übung Strom",
		ScenarioName: Names{DE: "Stromausfall", EN: "Power outage"}, Severity: "major", Exercise: true, DeclaredBy: "lagedienst",
		Drill: &Drill{Announced: true, DeputiesOnly: true}}, Plans: []Plan{testPlan()}})
	h.input(Input{Incident: "K2", Convert: &Conversion{By: "lagedienst", Reason: "echte Lage"}})
	h.respond("lead1", Available, 0)
	h.input(Input{Incident: "K1", StandDown: &StandDown{By: "lagedienst", Reason: "Entwarnung"}})
	proposalInputs(h)
	return h
}

// replayed feeds a new core the harness' events the way the engine reads
// them from the log: as JSON.
func replayed(t *testing.T, evs []Event) *Core {
	t.Helper()
	c := NewCore()
	for _, e := range evs {
		data, err := json.Marshal(e)
		if err != nil {
			t.Fatal(err)
		}
		var back Event
		if err := json.Unmarshal(data, &back); err != nil {
			t.Fatal(err)
		}
		c.Apply(back)
	}
	return c
}

// normalise removes differences that carry no meaning: an empty heap or set
// is nil after a restore.
func normalise(c *Core) {
	if len(c.timers) == 0 {
		c.timers = nil
	}
	if len(c.inputs.above) == 0 {
		c.inputs.above = nil
	}
}

// replayedAndRestored returns the core a replay of evs builds and the core
// its snapshot restores, both normalised for comparison.
func replayedAndRestored(t *testing.T, evs []Event) (want, got *Core) {
	t.Helper()
	want = replayed(t, evs)
	got, err := RestoreSnapshot(want.AppendSnapshot(nil))
	if err != nil {
		t.Fatal(err)
	}
	normalise(want)
	normalise(got)
	return want, got
}

func TestSnapshotRestoresTheWholeState(t *testing.T) {
	h := busyHarness(t)
	want, got := replayedAndRestored(t, h.events)
	if len(want.inputs.above) == 0 || len(want.timers) == 0 || len(want.incidents) != 3 || len(want.props.order) != 4 {
		t.Fatalf("the harness should leave inputs above the low mark, timers and two incidents: %d, %d, %d",
			len(want.inputs.above), len(want.timers), len(want.incidents))
	}
	if !reflect.DeepEqual(want, got) {
		for id := range want.incidents {
			if !reflect.DeepEqual(want.incidents[id], got.incidents[id]) {
				t.Errorf("incident %s differs after the restore:\nwant %+v\ngot  %+v", id, *want.incidents[id], *got.incidents[id])
			}
		}
		t.Fatalf("restored core differs (timers %v/%v, inputs %+v/%+v)", len(want.timers), len(got.timers), want.inputs, got.inputs)
	}
}

func TestRestoredCoreDecidesLikeTheOriginal(t *testing.T) {
	h := newHarness(t, false)
	h.advance(3 * time.Minute)
	orig := replayed(t, h.events)
	restored, err := RestoreSnapshot(orig.AppendSnapshot(nil))
	if err != nil {
		t.Fatal(err)
	}
	// The same input and the same overdue timer give the same decisions.
	now := h.now.Add(40 * time.Minute)
	in := Input{Incident: "K1", Seq: 99, Response: &Response{Person: "it1", Kind: Available, Source: SourceSMS}}
	a, errA := orig.Handle(in, now)
	b, errB := restored.Handle(in, now)
	if (errA == nil) != (errB == nil) || !reflect.DeepEqual(a, b) {
		t.Fatalf("decisions differ:\n%+v (%v)\n%+v (%v)", a, errA, b, errB)
	}
	if a, b := orig.Tick(now), restored.Tick(now); len(a) == 0 || !reflect.DeepEqual(a, b) {
		t.Fatalf("ticks differ or nothing was due:\n%+v\n%+v", a, b)
	}
	if !restored.InputApplied(99) || !restored.InputApplied(1) {
		t.Fatal("restored core forgot applied inputs")
	}
}

func TestCorruptSnapshotsAreRefused(t *testing.T) {
	data := replayed(t, busyHarness(t).events).AppendSnapshot(nil)
	cases := map[string][]byte{
		"empty":          nil,
		"not a snapshot": []byte("{\"v\":1}"),
		"newer version":  append(append([]byte{}, snapshotMagic...), 99),
		"trailing data":  append(append([]byte{}, data...), 0),
	}
	for cut := len(snapshotMagic); cut < len(data); cut += 1 + len(data)/97 {
		cases["truncated at "+strconv.Itoa(cut)] = data[:cut]
	}
	flipped := append([]byte{}, data...)
	flipped[len(flipped)/2] ^= 0xff
	cases["flipped byte"] = flipped
	for name, b := range cases {
		t.Run(name, func(t *testing.T) {
			c, err := RestoreSnapshot(b)
			if name == "flipped byte" && err == nil {
				// A flipped byte inside a string still decodes; it must not panic.
				return
			}
			if !errors.Is(err, ErrSnapshot) || c != nil {
				t.Fatalf("RestoreSnapshot = %v, %v; want ErrSnapshot", c != nil, err)
			}
		})
	}
}

// TestSnapshotKeepsZones: times come back in the zone the log's JSON gives
// them (here fixed offsets, as in a log written in Europe/Berlin and read
// elsewhere), so views show the same text after a restore as after a replay.
func TestSnapshotKeepsZones(t *testing.T) {
	h := busyHarness(t)
	zones := []*time.Location{time.FixedZone("CET", 3600), time.FixedZone("CEST", 7200), time.UTC}
	for i := range h.events {
		h.events[i].At = h.events[i].At.In(zones[i%len(zones)])
	}
	want, got := replayedAndRestored(t, h.events)
	if !reflect.DeepEqual(want, got) {
		t.Fatal("zones differ after the restore")
	}
	a, _ := want.Incident("K1")
	b, _ := got.Incident("K1")
	ja, _ := json.Marshal(a)
	jb, _ := json.Marshal(b)
	if string(ja) != string(jb) {
		t.Fatalf("incident JSON differs:\n%s\n%s", ja, jb)
	}
	if !strings.Contains(string(ja), "+01:00") && !strings.Contains(string(ja), "+02:00") {
		t.Fatalf("the test should carry offsets into the view: %s", ja)
	}
}

// TestLargeSnapshotEncodedInParallel: an incident above parallelEncodeAbove
// is encoded section by section on several goroutines; the result restores
// to the same state.
func TestLargeSnapshotEncodedInParallel(t *testing.T) {
	c := NewCore()
	d := benchDeclare(30, 400) // 12,000 people, 12,000 notifications
	d.Seq = 1
	if _, err := c.Handle(d, t0); err != nil {
		t.Fatal(err)
	}
	c.Handle(Input{Incident: "K1", Seq: 2, Response: &Response{Person: "O0001-p7", Kind: Available, Source: SourceSMS}}, t0.Add(time.Minute))
	if n := len(c.incidents["K1"].notes) + len(c.incidents["K1"].people); n < parallelEncodeAbove {
		t.Fatalf("only %d notifications and people: the parallel path is not taken", n)
	}
	got, err := RestoreSnapshot(c.AppendSnapshot(nil))
	if err != nil {
		t.Fatal(err)
	}
	normalise(c)
	normalise(got)
	if !reflect.DeepEqual(c, got) {
		t.Fatal("a large incident differs after the restore")
	}
}

// TestSnapshotPartsConcatenate: the pieces of a large core, encoded side by
// side, are byte for byte what AppendSnapshot writes, after the caller's prefix.
func TestSnapshotPartsConcatenate(t *testing.T) {
	c := NewCore()
	d := benchDeclare(30, 400) // above parallelEncodeAbove in people, notifications and timers
	d.Seq = 1
	if _, err := c.Handle(d, t0); err != nil {
		t.Fatal(err)
	}
	prefix := []byte("header")
	parts := c.SnapshotParts(prefix)
	if len(parts) < 4 {
		t.Fatalf("%d parts: the large sections should come as pieces of their own", len(parts))
	}
	if string(parts[0][:len(prefix)]) != "header" {
		t.Fatal("the first part does not extend the prefix")
	}
	for i, p := range parts {
		if len(p) > 4096 && cap(p) > len(p)+len(p)/2 {
			t.Errorf("part %d: %d bytes in a buffer of %d: the estimate is far off", i, len(p), cap(p))
		}
	}
	joined := bytes.Join(parts, nil)
	if want := c.AppendSnapshot([]byte("header")); !bytes.Equal(joined, want) {
		t.Fatalf("parts joined (%d bytes) differ from AppendSnapshot (%d bytes)", len(joined), len(want))
	}
	got, err := RestoreSnapshot(joined[len(prefix):])
	if err != nil {
		t.Fatal(err)
	}
	normalise(c)
	normalise(got)
	if !reflect.DeepEqual(c, got) {
		t.Fatal("restored from the parts differs")
	}
	// A small core is one piece.
	if parts := replayed(t, busyHarness(t).events).SnapshotParts(nil); len(parts) != 1 {
		t.Fatalf("small core in %d parts", len(parts))
	}
}

// TestOddNotificationsAndSharedPeople: events the core would not write
// itself still replay and restore exactly: notification ids that do not
// follow "<incident>-n<k>" (or follow it for another position), and a
// person who stands in two organisations' plans.
func TestOddNotificationsAndSharedPeople(t *testing.T) {
	mf := testPlan()
	mf.Org, mf.Tree = "MF", "mf"
	mf.Nodes = mf.Nodes[:1]
	mf.Nodes[0].People = []string{"lead2", "it1"} // lead2 and it1 stand in MI too
	ev := func(kind string, set func(*Event)) Event {
		e := Event{V: SchemaVersion, Incident: "K1", Kind: kind, At: t0}
		set(&e)
		return e
	}
	plan := testPlan()
	evs := []Event{
		ev(KindDeclared, func(e *Event) { e.Declared = &Declared{ID: "K1", Title: "T"} }),
		ev(KindActivationStarted, func(e *Event) { e.Activation = &plan }),
		ev(KindActivationStarted, func(e *Event) { e.Activation = &mf }),
		ev(KindTierAlerted, func(e *Event) { e.Tier = &TierAlerted{NodeRef: NodeRef{Org: "MF"}, Person: "lead2", Reason: "start"} }),
	}
	sent := []Notification{
		{ID: "legacy-1", Person: "lead2", Channel: "sms", Purpose: notifiers.PurposeAlert, Org: "MF", Function: "lead"},
		{ID: "K1-n5", Person: "it1", Channel: "voice", Purpose: notifiers.PurposeAlert, Org: "MI", Function: "it", Node: 1},
		{ID: "K1-n3", Person: "lead1", Channel: "sms", Purpose: notifiers.PurposeAlert, Org: "MI", Function: "lead", Step: 7},
		{ID: "K1-n03", Person: "nobody", Channel: "fax", Purpose: notifiers.PurposeUpdate, Text: "Lage"},
		{ID: "K1-n5", Person: "lead1", Channel: "sms", Purpose: notifiers.PurposeAlert}, // a duplicate id: ignored
		{ID: "K1-n5000000000", Person: "it2", Channel: "sms", Purpose: notifiers.PurposeAlert, Org: "MI", Node: 1 << 40},
	}
	for i := range sent {
		evs = append(evs, ev(KindNotification, func(e *Event) { e.Notification = &sent[i] }))
	}
	evs = append(evs,
		ev(KindDelivery, func(e *Event) { e.Delivery = &Delivery{Notification: "legacy-1", State: notifiers.StateFailed} }),
		ev(KindDelivery, func(e *Event) { e.Delivery = &Delivery{Notification: "K1-n5", State: notifiers.StateDelivered} }),
		ev(KindResponse, func(e *Event) { e.Response = &Response{Person: "it1", Kind: Delayed, Minutes: 9, Source: SourceWeb} }),
	)
	want, got := replayedAndRestored(t, evs)
	if !reflect.DeepEqual(want, got) {
		t.Fatal("restored core differs")
	}
	for _, c := range []*Core{want, got} {
		for i, n := range sent[:4] {
			info, _, ok := c.NotificationInfo("K1", n.ID)
			if !ok || !reflect.DeepEqual(info, n) {
				t.Errorf("notification %d = %+v, %v; want %+v", i, info, ok, n)
			}
		}
		if info, _, ok := c.NotificationInfo("K1", sent[5].ID); !ok || info.Node != 1<<40 {
			t.Errorf("notification with a large node = %+v, %v", info, ok)
		}
		for _, id := range []string{"K1-n1", "K1-n2", "K1-n4", "K1-n7", "K1-n", "K1"} {
			if _, _, ok := c.NotificationInfo("K1", id); ok {
				t.Errorf("notification %s found; no notification has that id", id)
			}
		}
		if _, st, _ := c.NotificationInfo("K1", "K1-n5"); st != notifiers.StateDelivered {
			t.Errorf("K1-n5 is %s, want delivered", st)
		}
		orgs := c.OrgsTouched(ev(KindResponse, func(e *Event) { e.Response = &Response{Person: "it1"} }))
		if !reflect.DeepEqual(orgs, []string{"MI", "MF"}) {
			t.Errorf("it1 touches %v, want MI and MF", orgs)
		}
		if k, eta, _, ok := c.Answer("K1", "it1"); !ok || k != Delayed || !eta.Equal(t0.Add(9*time.Minute)) {
			t.Errorf("answer of it1: %v %v %v", k, eta, ok)
		}
		d, _ := c.Detail("K1", "MF", nil)
		if len(d.Nodes) != 1 || len(d.Nodes[0].Tiers) != 2 || !reflect.DeepEqual(d.Nodes[0].Tiers[0].FailedChans, []string{"sms"}) {
			t.Errorf("MF detail: %+v", d.Nodes)
		}
	}
}

// TestDamagedSnapshotsNeverPanic flips every byte of a snapshot: each
// either is refused or restores a core that still serves its views and
// timers (a flipped byte inside a string or a time decodes).
func TestDamagedSnapshotsNeverPanic(t *testing.T) {
	data := replayed(t, busyHarness(t).events).AppendSnapshot(nil)
	for i := len(snapshotMagic); i < len(data); i++ {
		for _, mask := range []byte{0x01, 0x80, 0xff} {
			damaged := append([]byte{}, data...)
			damaged[i] ^= mask
			func() {
				defer func() {
					if p := recover(); p != nil {
						t.Fatalf("byte %d ^ %#x: panic %v\n%s", i, mask, p, debug.Stack())
					}
				}()
				c, err := RestoreSnapshot(damaged)
				if err != nil {
					return
				}
				c.Incidents()
				for _, id := range c.order {
					for _, org := range c.incidents[id].orgList {
						c.Detail(id, org.id, nil)
					}
				}
				c.Tick(t0.Add(24 * time.Hour))
			}()
		}
	}
}

func TestSnapshotCountsBoundedByElementSize(t *testing.T) {
	for _, tc := range []struct {
		count, size int
		ok          bool
	}{
		{count: 11, size: 9, ok: true}, // 99 bytes of the 100 left
		{count: 12, size: 9},           // would need 108
		{count: 100, size: 1, ok: true},
		{count: 101, size: 1},
		{count: 1 << 40, size: 72},
	} {
		data := binary.AppendUvarint(nil, uint64(tc.count))
		r := &snapReader{VarintReader{data: append(data, make([]byte, 100)...)}}
		got := r.countOf(tc.size)
		if ok := r.err == nil; ok != tc.ok || ok && got != tc.count || !ok && got != 0 {
			t.Errorf("count %d of %d-byte elements in 100 bytes: got %d, err %v", tc.count, tc.size, got, r.err)
		}
	}
}

// A step or wait timer names a tier; on an organisation without tiers (a
// deadline timer's kind damaged) the restore must refuse it, not let Tick
// index a tier that is not there.
func TestSnapshotRefusesTimerOfMissingTier(t *testing.T) {
	for _, kind := range []timerKind{timerStep, timerWait} {
		c := NewCore()
		c.Apply(Event{Incident: "K1", Kind: KindDeclared, At: t0, Declared: &Declared{ID: "K1"}})
		c.Apply(Event{Incident: "K1", Kind: KindActivationStarted, At: t0, Activation: &Plan{Org: "MI", Target: time.Minute}})
		if len(c.timers) != 1 || c.timers[0].kind() != timerDeadline {
			t.Fatalf("want one deadline timer, have %v", c.timers)
		}
		c.timers[0].ref = uint32(kind) << 30 // the damage
		if _, err := RestoreSnapshot(c.AppendSnapshot(nil)); !errors.Is(err, ErrSnapshot) {
			t.Errorf("timer kind %d on an organisation without tiers: restore gave %v", kind, err)
		}
	}
}
