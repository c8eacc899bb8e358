package activation

import (
	"encoding/json"
	"fmt"
	"testing"
	"time"

	"github.com/kaskade-bcm/kaskade/notifiers"
)

// benchPlan is one organisation of n people, each a root node of the
// function "staff", all n required (every "available" changes readiness).
func benchPlan(org string, n int) Plan {
	p := Plan{Org: org, Name: Names{DE: org}, Tree: org, Target: 2 * time.Hour, Required: map[string]int{"staff": n}}
	for i := range n {
		p.Nodes = append(p.Nodes, PlanNode{Parent: -1, Function: "staff", People: []string{fmt.Sprintf("%s-p%d", org, i)},
			Wait: 30 * time.Minute, Steps: []Step{{Channel: "sms"}}})
	}
	return p
}

func benchDeclare(orgs, perOrg int) Input {
	in := Input{Incident: "K1", Declare: &Declared{ID: "K1", ReplyCode: "K1", Scenario: "fanout", Title: "Massenalarm",
		Severity: "crisis", Exercise: true, DeclaredBy: "bench", Reason: "bench"}}
	for o := range orgs {
		in.Plans = append(in.Plans, benchPlan(fmt.Sprintf("O%04d", o), perOrg))
	}
	return in
}

// BenchmarkHandleResponse is the core's work for one "available" answer in
// an incident of 100 organisations of 100 people: the response event, the
// readiness assessment of the organisation and its readiness change.
func BenchmarkHandleResponse(b *testing.B) {
	const orgs, perOrg = 100, 100
	decl := benchDeclare(orgs, perOrg)
	now := t0
	var c *Core
	var seq uint64
	i := orgs * perOrg
	b.ReportAllocs()
	for b.Loop() {
		if i == orgs*perOrg {
			b.StopTimer()
			c, seq, i = NewCore(), 1, 0
			d := decl
			d.Seq = seq
			if _, err := c.Handle(d, now); err != nil {
				b.Fatal(err)
			}
			b.StartTimer()
		}
		seq++
		person := fmt.Sprintf("O%04d-p%d", i%orgs, i/orgs)
		evs, err := c.Handle(Input{Seq: seq, Incident: "K1", Response: &Response{Person: person, Kind: Available, Source: SourceSMS}}, now)
		if err != nil || len(evs) != 2 {
			b.Fatalf("%d events, %v", len(evs), err)
		}
		i++
	}
}

// BenchmarkHandleDeclare100k declares 1,000 organisations of 100 people:
// the core's share of a 100,000-recipient fan-out (one op = whole declaration).
func BenchmarkHandleDeclare100k(b *testing.B) {
	decl := benchDeclare(1000, 100)
	b.ReportAllocs()
	for b.Loop() {
		c := NewCore()
		d := decl
		d.Seq = 1
		evs, err := c.Handle(d, t0)
		if err != nil {
			b.Fatal(err)
		}
		b.ReportMetric(float64(len(evs)), "events/op")
	}
}

var benchEvents = map[string]Event{
	"notification": {V: SchemaVersion, Incident: "K1", Kind: KindNotification, At: t0, Input: 17,
		Notification: &Notification{ID: "K1-n12345", Person: "p012345", Channel: "sms", Purpose: notifiers.PurposeAlert, Org: "O0123", Function: "staff", Node: 45}},
	"delivery": {V: SchemaVersion, Incident: "K1", Kind: KindDelivery, At: t0, Input: 18,
		Delivery: &Delivery{Notification: "K1-n12345", State: notifiers.StateSent, ProviderID: "SM0123456789abcdef0123456789abcdef"}},
	"readiness": {V: SchemaVersion, Incident: "K1", Kind: KindReadiness, At: t0, Input: 19,
		Readiness: &ReadinessChange{Org: "O0123", State: Forming, Previous: Alerting, Covered: map[string]int{"staff": 17}, Missing: []string{"staff"}}},
}

// BenchmarkEventMarshal is json.Marshal of one event, as the engine appends it.
func BenchmarkEventMarshal(b *testing.B) {
	for _, k := range []string{"notification", "delivery", "readiness"} {
		ev := benchEvents[k]
		b.Run(k, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if _, err := json.Marshal(ev); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkEventUnmarshal is json.Unmarshal of one event, as replay and the
// dispatcher read it.
func BenchmarkEventUnmarshal(b *testing.B) {
	for _, k := range []string{"notification", "delivery", "readiness"} {
		data, _ := json.Marshal(benchEvents[k])
		b.Run(k, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				var ev Event
				if err := json.Unmarshal(data, &ev); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkIncidentView builds the board view of an incident of 1,000
// organisations of 100 people (what the engine publishes per change batch).
func BenchmarkIncidentView(b *testing.B) {
	c := NewCore()
	d := benchDeclare(1000, 100)
	d.Seq = 1
	if _, err := c.Handle(d, t0); err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		if _, ok := c.Incident("K1"); !ok {
			b.Fatal("no incident")
		}
	}
}

// core100k is a core after a 100,000-person declaration with every first
// alert delivered: the state a restart restores.
func core100k(b *testing.B) *Core {
	c, _ := decided100k(b)
	return c
}

// BenchmarkSnapshot100k encodes and restores the core of a 100,000-person
// activation (one op = one whole snapshot).
func BenchmarkSnapshot100k(b *testing.B) {
	c := core100k(b)
	data := c.AppendSnapshot(nil)
	b.Run("encode", func(b *testing.B) {
		b.ReportAllocs()
		buf := make([]byte, 0, len(data)+len(data)/8)
		for b.Loop() {
			data = c.AppendSnapshot(buf[:0])
		}
		b.ReportMetric(float64(len(data))/1e6, "MB")
	})
	b.Run("parts", func(b *testing.B) { // what the engine writes without joining the pieces
		b.ReportAllocs()
		for b.Loop() {
			c.SnapshotParts(nil)
		}
	})
	b.Run("restore", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if _, err := RestoreSnapshot(data); err != nil {
				b.Fatal(err)
			}
		}
	})
}
