package httpapi

import (
	"testing"
	"time"

	"github.com/kaskade-bcm/kaskade/activation"
	"github.com/kaskade-bcm/kaskade/config"
	"github.com/kaskade-bcm/kaskade/notifiers"
)

func TestExportPersonPicksTheEventsNamingThePerson(t *testing.T) {
	cfg, _, err := config.LoadExample()
	if err != nil {
		t.Fatal(err)
	}
	const me, other = "mi-uwe-boehm", "mi-silke-oltmanns"
	ev := func(incident, kind string, set func(*activation.Event)) activation.Event {
		e := activation.Event{V: 1, Incident: incident, Kind: kind}
		set(&e)
		return e
	}
	events := []activation.Event{
		ev("K1", activation.KindDeclared, func(e *activation.Event) {
			e.Declared = &activation.Declared{ID: "K1", Title: "Cyberangriff", Exercise: true, DeclaredBy: "Lagedienst"}
		}),
		ev("K1", activation.KindActivationStarted, func(e *activation.Event) {
			e.Activation = &activation.Plan{Org: "MI", Tree: "mi", Nodes: []activation.PlanNode{
				{Function: "lead", People: []string{me, other}}, {Function: "it", People: []string{other, me}}}}
		}),
		ev("K1", activation.KindNotification, func(e *activation.Event) {
			e.Notification = &activation.Notification{ID: "K1-n1", Person: me, Channel: "sms", Purpose: notifiers.PurposeAlert}
		}),
		ev("K1", activation.KindNotification, func(e *activation.Event) {
			e.Notification = &activation.Notification{ID: "K1-n2", Person: other, Channel: "sms", Purpose: notifiers.PurposeAlert}
		}),
		ev("K1", activation.KindDelivery, func(e *activation.Event) {
			e.Delivery = &activation.Delivery{Notification: "K1-n1", State: notifiers.StateDelivered}
		}),
		ev("K1", activation.KindDelivery, func(e *activation.Event) {
			e.Delivery = &activation.Delivery{Notification: "K1-n2", State: notifiers.StateDelivered}
		}),
		ev("K1", activation.KindResponse, func(e *activation.Event) {
			e.Response = &activation.Response{Person: other, Kind: activation.Available, Source: "api", Actor: "Uwe Böhm"}
		}),
		ev("K1", activation.KindReadiness, func(e *activation.Event) { e.Readiness = &activation.ReadinessChange{Org: "MI"} }),
		ev("_", activation.KindInbound, func(e *activation.Event) {
			e.Inbound = &activation.Inbound{Channel: "sms", Person: me, Body: "1", Outcome: "no_open_incident"}
		}),
		ev("_", activation.KindInbound, func(e *activation.Event) {
			e.Inbound = &activation.Inbound{Channel: "sms", Len: 5, Hash: "sha256:00", Outcome: "unknown_sender"}
		}),
	}
	exp := ExportPerson(cfg, events, me, time.Now())
	if exp.Config == nil || exp.Config.Name != "Uwe Böhm" || len(exp.Incidents) != 2 {
		t.Fatalf("export %+v, want the config entry and two incidents", exp)
	}
	k1, none := exp.Incidents[0], exp.Incidents[1]
	if k1.Incident != "K1" || k1.Title != "Cyberangriff" || !k1.Exercise || len(k1.Roles) != 2 || k1.Roles[1].Tier != 1 {
		t.Fatalf("K1 %+v, want the title and two roles, deputy in the second", k1)
	}
	var kinds []string
	for _, e := range k1.Events {
		kinds = append(kinds, e.Kind)
		if e.Notification != nil && e.Notification.Person != me || e.Delivery != nil && e.Delivery.Notification != "K1-n1" {
			t.Fatalf("another person's event exported: %+v", e)
		}
	}
	want := []string{activation.KindNotification, activation.KindDelivery, activation.KindResponse}
	if len(kinds) != len(want) || kinds[0] != want[0] || kinds[1] != want[1] || kinds[2] != want[2] {
		t.Fatalf("K1 events %v, want %v (the answer he recorded for someone else included)", kinds, want)
	}
	if none.Incident != "_" || len(none.Events) != 1 || none.Events[0].Inbound.Person != me {
		t.Fatalf("messages outside incidents %+v, want his one inbound message", none)
	}
}
