package engine

import (
	"context"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/kaskade-bcm/kaskade/activation"
	"github.com/kaskade-bcm/kaskade/notifiers"
)

func req(incident, class, text string) activation.Event {
	return activation.Event{V: activation.SchemaVersion, Incident: incident, Kind: activation.KindNotification,
		Notification: &activation.Notification{ID: incident + "-n", Class: class, Text: text}}
}

func tier(incident string) activation.Event {
	return activation.Event{V: activation.SchemaVersion, Incident: incident, Kind: activation.KindTierAlerted,
		Tier: &activation.TierAlerted{Person: "p"}}
}

func TestPackEvents(t *testing.T) {
	declared := activation.Event{V: activation.SchemaVersion, Incident: "K1", Kind: activation.KindDeclared,
		Declared: &activation.Declared{ID: "K1"}}
	stoodDown := activation.Event{V: activation.SchemaVersion, Incident: "K1", Kind: activation.KindStoodDown,
		StandDown: &activation.StandDown{By: "x"}}
	long := strings.Repeat("x", packMaxBytes/8)
	for _, tc := range []struct {
		name string
		evs  []activation.Event
		max  int
		want []int // events per stored message (1: stored alone)
	}{
		{name: "a wave: tiers and requests of one class", evs: []activation.Event{tier("K1"), req("K1", "first", ""), tier("K1"), req("K1", "first", "")},
			max: 128, want: []int{4}},
		{name: "packing off", evs: []activation.Event{tier("K1"), req("K1", "first", "")}, max: 1, want: []int{1, 1}},
		{name: "limit per pack", evs: []activation.Event{tier("K1"), tier("K1"), tier("K1"), tier("K1"), tier("K1")}, max: 2,
			want: []int{2, 2, 1}},
		{name: "another class starts a pack", evs: []activation.Event{req("K1", "first", ""), tier("K1"), req("K1", "alert", ""), req("K1", "alert", "")},
			max: 128, want: []int{2, 2}},
		{name: "another incident starts a pack", evs: []activation.Event{tier("K1"), tier("K1"), tier("K2"), tier("K2")},
			max: 128, want: []int{2, 2}},
		{name: "declarations and plans alone", evs: []activation.Event{declared, tier("K1"), tier("K1")}, max: 128, want: []int{1, 2}},
		{name: "stand-downs alone", evs: []activation.Event{tier("K1"), stoodDown, req("K1", "info", ""), req("K1", "info", "")}, max: 128,
			want: []int{1, 1, 2}},
		{name: "requests without a class alone", evs: []activation.Event{tier("K1"), req("K1", "", ""), tier("K1")}, max: 128,
			want: []int{1, 1, 1}},
		{name: "size limit", evs: []activation.Event{req("K1", "info", long), req("K1", "info", long), req("K1", "info", long),
			req("K1", "info", long), req("K1", "info", long)}, max: 128, want: []int{3, 2}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			markBatch(tc.evs, 7)
			msgs := packEvents(tc.evs, tc.max)
			var got []int
			for _, m := range msgs {
				if m.Kind != activation.KindPack {
					got = append(got, 1)
					continue
				}
				got = append(got, len(m.Events))
				if m.V != activation.PackVersion || m.Batch != 7 || m.Done != m.Events[len(m.Events)-1].Done {
					t.Errorf("pack envelope v%d batch %d done %v", m.V, m.Batch, m.Done)
				}
			}
			if !slices.Equal(got, tc.want) {
				t.Fatalf("messages %v, want %v", got, tc.want)
			}
			back := unpacked(msgs)
			if len(back) != len(tc.evs) {
				t.Fatalf("unpacked %d events, want %d", len(back), len(tc.evs))
			}
			for i := range back {
				if back[i].Kind != tc.evs[i].Kind || back[i].Done != (i == len(tc.evs)-1) {
					t.Fatalf("event %d: %s done %v", i, back[i].Kind, back[i].Done)
				}
			}
		})
	}
}

func TestPackSubjects(t *testing.T) {
	l := Layout{}
	msgs := packEvents([]activation.Event{tier("K1"), req("K1", "exercise", ""), tier("K1"), tier("K1")}, 128)
	if got := l.EventSubjectOf(msgs[0]); got != "kaskade.events.K1.pack.exercise" {
		t.Errorf("pack with requests on %s", got)
	}
	msgs = packEvents([]activation.Event{tier("K1"), tier("K1")}, 128)
	if got := l.EventSubjectOf(msgs[0]); got != "kaskade.events.K1.pack" {
		t.Errorf("pack without requests on %s", got)
	}
}

func TestDecodeEvents(t *testing.T) {
	for _, tc := range []struct {
		name string
		data string
		n    int
		ok   bool
	}{
		{name: "version 1 event", data: `{"v":1,"incident":"K1","kind":"tier_alerted","tier":{"org":"MI","node":0,"tier":0,"person":"p","reason":"start"}}`, n: 1, ok: true},
		{name: "pack", data: `{"v":2,"incident":"K1","kind":"pack","events":[{"v":1,"incident":"K1","kind":"tier_alerted","tier":{"org":"MI"}},` +
			`{"v":1,"incident":"K1","kind":"notification_requested","notification":{"id":"K1-n1"}}]}`, n: 2, ok: true},
		{name: "empty pack", data: `{"v":2,"incident":"K1","kind":"pack"}`},
		{name: "pack in a pack", data: `{"v":2,"incident":"K1","kind":"pack","events":[{"v":2,"kind":"pack","events":[{"kind":"tier_alerted","tier":{}}]}]}`},
		{name: "unknown kind in a pack: the others apply", data: `{"v":2,"incident":"K1","kind":"pack","events":[{"v":9,"kind":"teleported"},` +
			`{"v":1,"incident":"K1","kind":"tier_alerted","tier":{"org":"MI"}}]}`, n: 1},
		{name: "broken", data: `{"v":2,`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			evs, err := decodeEvents([]byte(tc.data))
			if (err == nil) != tc.ok || len(evs) != tc.n || len(evs) > 0 && evs[0].Kind == "teleported" {
				t.Fatalf("%d events, err %v; want %d, ok %v", len(evs), err, tc.n, tc.ok)
			}
		})
	}
}

// A log written before packs (every event alone, version 1) replays into
// the same state as the packed log of the same inputs, and a dispatcher
// started on it sends its requests; the next decisions are packed.
func TestOldLogWithoutPacksReplaysAndDispatches(t *testing.T) {
	in := smsIncident("X1", 30, false)
	state := map[string]activation.IncidentView{}
	var oldJS = embeddedJS(t)
	for _, form := range []struct {
		name string
		pack int
	}{{"old", 1}, {"packed", 0}} {
		js := embeddedJS(t)
		if form.pack == 1 {
			js = oldJS
		}
		writer := New(Options{JS: js, SnapshotEvery: -1})
		writer.packMax = form.pack
		ctx, cancel := context.WithCancel(context.Background())
		done := make(chan struct{})
		go func() {
			defer close(done)
			_ = writer.Run(ctx)
		}()
		eventually(t, 10*time.Second, "leading", leading(writer))
		submit(t, writer, in)
		cancel()
		<-done
		msgs := len(readLog(t, js))
		if packed := msgs < 30; packed != (form.pack == 0) {
			t.Fatalf("%s form: %d messages for 30 requests", form.name, msgs)
		}
		state[form.name] = view(t, replayed(t, js), "X1")
	}
	if o, p := state["old"], state["packed"]; o.Counts != p.Counts || o.Counts.Requested != 30 {
		t.Fatalf("replayed old log %+v, packed log %+v", o.Counts, p.Counts)
	}

	// A current engine and dispatcher on the old log, whose class consumers
	// an older build created (one filter each).
	l := Layout{}
	for _, c := range activation.Classes {
		if _, err := oldJS.CreateOrUpdateConsumer(context.Background(), l.EventsStream(), jetstream.ConsumerConfig{
			Durable: "dispatch-" + c, FilterSubject: l.NotificationClassFilter(c), AckPolicy: jetstream.AckExplicitPolicy}); err != nil {
			t.Fatal(err)
		}
	}
	e, _ := startEngine(t, oldJS, -1)
	fake := startSMSFake(t)
	startDispatch(t, e, fake.sender(t, 0, 4), 16)
	waitFor(t, "the old requests sent", func() bool { return settled(e, "X1") })
	if got := len(fake.accepted()); got != 30 {
		t.Fatalf("%d SMS sent from the old log, want 30", got)
	}
	submit(t, e, activation.Input{Incident: "X1", StandDown: &activation.StandDown{By: "lagedienst", Reason: "Ende"}})
	waitFor(t, "the stand-downs sent", func() bool { return len(fake.accepted()) == 60 })
	standDowns := 0
	for _, m := range fake.accepted() {
		if strings.HasPrefix(m.Body, string(notifiers.PurposeStandDown)) {
			standDowns++
		}
	}
	packs := 0
	for _, le := range readLog(t, oldJS) {
		if le.ev.Kind == activation.KindPack {
			packs++
		}
	}
	if standDowns != 30 || packs == 0 {
		t.Fatalf("%d stand-downs, %d packs after the old log", standDowns, packs)
	}
}

func TestAtomicCut(t *testing.T) {
	pack := func(n int) activation.Event {
		return activation.Event{Kind: activation.KindPack, Events: make([]activation.Event, n)}
	}
	for _, tc := range []struct {
		name string
		msgs []activation.Event
		size int
		want int
	}{
		{name: "all fit", msgs: []activation.Event{tier("K1"), pack(10)}, size: 1000, want: 2},
		{name: "message limit", msgs: []activation.Event{tier("K1"), tier("K1"), tier("K1")}, size: 2, want: 2},
		{name: "event limit", msgs: []activation.Event{pack(6000), pack(4000), pack(1)}, size: 1000, want: 2},
		{name: "one large pack alone", msgs: []activation.Event{pack(atomicEventsMax + 1), tier("K1")}, size: 1000, want: 1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := atomicCut(tc.msgs, tc.size); got != tc.want {
				t.Fatalf("cut after %d messages, want %d", got, tc.want)
			}
		})
	}
}
