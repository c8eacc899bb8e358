package engine

import (
	"bytes"
	"context"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/kaskade-bcm/kaskade/activation"
)

func sealTestEvents(at time.Time) []activation.Event {
	ev := func(kind string) activation.Event {
		return activation.Event{V: activation.SchemaVersion, Incident: "K1", Kind: kind, At: at}
	}
	plan, tier, resp, upd, unknown := ev(activation.KindActivationStarted), ev(activation.KindTierAlerted),
		ev(activation.KindResponse), ev(activation.KindUpdate), ev(activation.KindInbound)
	plan.Activation = &activation.Plan{Org: "MI", Nodes: []activation.PlanNode{{Parent: -1, Function: "lead",
		People: []string{"mi-uwe-boehm", "mi-eva-kranz"}}}}
	tier.Tier = &activation.TierAlerted{NodeRef: activation.NodeRef{Org: "MI"}, Person: "mi-uwe-boehm", Reason: "start"}
	resp.Response = &activation.Response{Person: "mi-uwe-boehm", Kind: activation.Available, Source: "sms", Remark: "komme mit Rad"}
	upd.Update = &activation.SituationUpdate{Text: "Lage ruhig", By: "Lagedienst Kranz"}
	unknown.Incident = ""
	unknown.Inbound = &activation.Inbound{Channel: "sms", From: "+49151*****234", Len: 12, Hash: "sha256:abc", Outcome: "unknown_sender"}
	return []activation.Event{plan, tier, resp, upd, unknown}
}

// TestSealedFieldsOpenUntilTheirKeyIsShredded: with Seal the log holds no
// personal field in clear; the engine reads them back; after a person's key
// is shredded their fields read as erased, everyone else's still open.
func TestSealedFieldsOpenUntilTheirKeyIsShredded(t *testing.T) {
	js := embeddedJS(t)
	ctx := context.Background()
	e := New(Options{JS: js, Seal: true})
	at := time.Date(2026, 12, 3, 3, 12, 0, 0, time.UTC)
	want := sealTestEvents(at)
	if err := e.persist(ctx, sealTestEvents(at)); err != nil {
		t.Fatal(err)
	}
	raw := rawLog(t, js)
	for _, secret := range []string{"mi-uwe-boehm", "mi-eva-kranz", "komme mit Rad", "Lage ruhig", "Kranz", "+49151", "sha256:abc"} {
		if bytes.Contains(raw, []byte(secret)) {
			t.Errorf("the log holds %q in clear", secret)
		}
	}
	got := openLog(t, e)
	if got[0].Activation.Nodes[0].People[1] != "mi-eva-kranz" || got[1].Tier.Person != "mi-uwe-boehm" ||
		got[2].Response.Remark != want[2].Response.Remark || got[3].Update.By != want[3].Update.By ||
		got[4].Inbound.From != want[4].Inbound.From || got[0].V != SealedVersion {
		t.Fatalf("opened events differ: %+v", got)
	}
	ref := e.keys.ref("mi-uwe-boehm")
	if err := e.keys.shred(ctx, "p."+ref); err != nil {
		t.Fatal(err)
	}
	// A fresh reader (another instance, a restart) sees the same.
	for _, r := range []*Engine{e, New(Options{JS: js})} {
		got = openLog(t, r)
		// The stand-in is the same within the incident, and not the person's ref.
		if p := got[1].Tier.Person; !IsErased(p) || p == ErasedPerson(ref) {
			t.Errorf("erased person reads %q", p)
		}
		if got[2].Response.Remark != ErasedText || got[2].Response.Person != got[1].Tier.Person {
			t.Errorf("erased answer reads %+v", got[2].Response)
		}
		if got[0].Activation.Nodes[0].People[1] != "mi-eva-kranz" || got[3].Update.Text != "Lage ruhig" {
			t.Errorf("other fields no longer open: %+v %+v", got[0].Activation.Nodes[0].People, got[3].Update)
		}
	}
}

// TestUnsealedEventsOfVersion1StillReplay: a log written before sealing
// (version 1, plaintext, also strings starting with "~") replays unchanged.
func TestUnsealedEventsOfVersion1StillReplay(t *testing.T) {
	js := embeddedJS(t)
	e := New(Options{JS: js})
	evs := sealTestEvents(time.Now())
	evs[2].Response.Remark = "~i.abc.def"
	if err := e.persist(context.Background(), evs); err != nil {
		t.Fatal(err)
	}
	if bytes.Count(rawLog(t, js), []byte("mi-uwe-boehm")) < 3 {
		t.Fatal("without Seal the log should be plaintext")
	}
	got := openLog(t, New(Options{JS: js, Seal: true}))
	if got[1].Tier.Person != "mi-uwe-boehm" || got[2].Response.Remark != "~i.abc.def" || got[2].V != 1 {
		t.Fatalf("version 1 events changed on read: %+v", got[2])
	}
}

// rawLog is every stored event's bytes, concatenated.
func rawLog(t *testing.T, js jetstream.JetStream) []byte {
	t.Helper()
	ctx := context.Background()
	stream, err := js.Stream(ctx, Layout{}.EventsStream())
	if err != nil {
		t.Fatal(err)
	}
	info, err := stream.Info(ctx)
	if err != nil {
		t.Fatal(err)
	}
	var all []byte
	for seq := info.State.FirstSeq; seq <= info.State.LastSeq; seq++ {
		m, err := stream.GetMsg(ctx, seq)
		if err != nil {
			t.Fatal(err)
		}
		all = append(all, m.Data...)
	}
	return all
}

// openLog reads the log as the engine does.
func openLog(t *testing.T, e *Engine) []activation.Event {
	t.Helper()
	evs, err := e.Events(context.Background(), "")
	if err != nil {
		t.Fatal(err)
	}
	return evs
}

// TestSealingAPlanOfManyNewPeople: the first decision for a large plan
// creates one key per person (published in windows) and lands, and every
// person opens again.
func TestSealingAPlanOfManyNewPeople(t *testing.T) {
	js := embeddedJS(t)
	ctx := context.Background()
	e := New(Options{JS: js, Seal: true})
	const n = 6000
	people := make([]string, n)
	for i := range people {
		people[i] = fmt.Sprintf("p-%05d", i)
	}
	plan := activation.Event{V: activation.SchemaVersion, Incident: "K1", Kind: activation.KindActivationStarted, At: time.Now(),
		Activation: &activation.Plan{Org: "MI", Nodes: []activation.PlanNode{{Parent: -1, Function: "lead", People: people}}}}
	if err := e.persist(ctx, []activation.Event{plan}); err != nil {
		t.Fatal(err)
	}
	got := openLog(t, New(Options{JS: js}))
	if len(got) != 1 || !slices.Equal(got[0].Activation.Nodes[0].People, people) {
		t.Fatalf("the plan did not open to its %d people", n)
	}
}
