package activation

import (
	"encoding/json"
	"errors"
	"reflect"
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
	h.input(Input{Incident: "K1", Update: &SituationUpdate{Text: "Lage stabil", By: "lagedienst"}})
	h.input(Input{Incident: "K1", Inbound: &Inbound{Channel: "sms", From: "+49…16", Body: "vielleicht", Outcome: "invalid"}})
	h.advance(45 * time.Minute) // the rest of the tree runs out
	h.input(Input{Incident: "K2", Declare: &Declared{ID: "K2", ReplyCode: "K2", Scenario: "stromausfall", Title: "Übung Strom",
		ScenarioName: Names{DE: "Stromausfall", EN: "Power outage"}, Severity: "major", Exercise: true, DeclaredBy: "lagedienst",
		Drill: &Drill{Announced: true, DeputiesOnly: true}}, Plans: []Plan{testPlan()}})
	h.input(Input{Incident: "K2", Convert: &Conversion{By: "lagedienst", Reason: "echte Lage"}})
	h.respond("lead1", Available, 0)
	h.input(Input{Incident: "K1", StandDown: &StandDown{By: "lagedienst", Reason: "Entwarnung"}})
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

func TestSnapshotRestoresTheWholeState(t *testing.T) {
	h := busyHarness(t)
	want := replayed(t, h.events)
	if len(want.inputs.above) == 0 || len(want.timers) == 0 || len(want.incidents) != 2 {
		t.Fatalf("the harness should leave inputs above the low mark, timers and two incidents: %d, %d, %d",
			len(want.inputs.above), len(want.timers), len(want.incidents))
	}
	got, err := RestoreSnapshot(want.AppendSnapshot(nil))
	if err != nil {
		t.Fatal(err)
	}
	normalise(want)
	normalise(got)
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
	want := replayed(t, h.events)
	got, err := RestoreSnapshot(want.AppendSnapshot(nil))
	if err != nil {
		t.Fatal(err)
	}
	normalise(want)
	normalise(got)
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
