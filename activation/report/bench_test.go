package report

import (
	"fmt"
	"testing"
	"time"

	"github.com/kaskade-bcm/kaskade/activation"
	"github.com/kaskade-bcm/kaskade/notifiers"
)

// bigLog writes a 10,000-person log by hand (the core would take longer to
// produce it than the report takes to read it): 2,000 nodes of 5 people;
// every primary is alerted by SMS and delivered; every third primary says
// "nicht verfügbar" and the first deputy covers.
func bigLog() []activation.Event {
	const nodes = 2000
	plan := activation.Plan{Org: "MI", Tree: "mi", Target: 30 * time.Minute, Required: map[string]int{}}
	for i := range nodes {
		f := fmt.Sprintf("f%d", i%10)
		plan.Required[f] = 1
		people := make([]string, 5)
		for t := range people {
			people[t] = fmt.Sprintf("p%d-%d", i, t)
		}
		plan.Nodes = append(plan.Nodes, activation.PlanNode{Parent: -1, Function: f, People: people, Wait: 10 * time.Minute})
	}
	at := func(s int) time.Time { return t0.Add(time.Duration(s) * time.Second) }
	evs := []activation.Event{
		{Incident: "K", Kind: activation.KindDeclared, At: t0, Declared: &activation.Declared{ID: "K", Exercise: true}},
		{Incident: "K", Kind: activation.KindActivationStarted, At: t0, Activation: &plan},
	}
	seq := 0
	alert := func(node, tier, s int) {
		seq++
		id := fmt.Sprintf("n%d", seq)
		p := plan.Nodes[node].People[tier]
		evs = append(evs,
			activation.Event{Incident: "K", Kind: activation.KindTierAlerted, At: at(s), Tier: &activation.TierAlerted{NodeRef: activation.NodeRef{Org: "MI", Node: node}, Tier: tier, Person: p, Reason: "start"}},
			activation.Event{Incident: "K", Kind: activation.KindNotification, At: at(s), Notification: &activation.Notification{ID: id, Person: p, Channel: "sms", Purpose: notifiers.PurposeAlert, Org: "MI", Node: node, Tier: tier}},
			activation.Event{Incident: "K", Kind: activation.KindDelivery, At: at(s + 5), Delivery: &activation.Delivery{Notification: id, State: notifiers.StateDelivered}})
	}
	answer := func(p string, k activation.ResponseKind, s int) {
		evs = append(evs, activation.Event{Incident: "K", Kind: activation.KindResponse, At: at(s), Response: &activation.Response{Person: p, Kind: k, Source: "sms"}})
	}
	for i := range nodes {
		alert(i, 0, i%60)
		if i%3 == 0 {
			answer(plan.Nodes[i].People[0], activation.Unavailable, 60+i%300)
			alert(i, 1, 60+i%300)
			answer(plan.Nodes[i].People[1], activation.Available, 400+i%300)
		} else {
			answer(plan.Nodes[i].People[0], activation.Available, 60+i%600)
		}
	}
	evs = append(evs, activation.Event{Incident: "K", Kind: activation.KindReadiness, At: at(1000),
		Readiness: &activation.ReadinessChange{Org: "MI", State: activation.Ready}})
	return evs
}

func BenchmarkBuild(b *testing.B) {
	evs := bigLog()
	opts := Options{Now: t0.Add(time.Hour)}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Build(evs, opts); err != nil {
			b.Fatal(err)
		}
	}
}

func TestBigLogFigures(t *testing.T) {
	r, err := Build(bigLog(), Options{Now: t0.Add(time.Hour)})
	if err != nil {
		t.Fatal(err)
	}
	// 2,000 primaries + 667 deputies (every third node) alerted, all answered.
	expect(t, "in plan", r.People.InPlan, 10000)
	expect(t, "alerted", r.People.Alerted, 2667)
	expect(t, "answered", r.People.Answered, 2667)
	expect(t, "deputies covering", len(r.People.DeputiesCovering), 667)
}
