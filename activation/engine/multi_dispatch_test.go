package engine

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/kaskade-bcm/kaskade/activation"
	"github.com/kaskade-bcm/kaskade/notifiers"
	"github.com/kaskade-bcm/kaskade/notifiers/twilio/twiliotest"
)

// Priority classes and stand-downs with two instances on one JetStream:
// one leads and decides, both dispatch, each through its own rate- and
// concurrency-limited fake Twilio (so each message names its dispatcher).

// multiPack is the pack size of these tests: a 400-person fan-out is then
// eight packs that both dispatchers share, as a fan-out of several
// thousand is with the production size of 1,000.
const multiPack = 50

// dispatchPair is two running instances and their fakes (fakes[i] is ins[i]'s).
type dispatchPair struct {
	ins   [2]*instance
	fakes [2]*smsFake
	names [2]string
}

func startDispatchPair(t *testing.T, rate float64, concurrency int) *dispatchPair {
	t.Helper()
	n, _ := startNATSOn(t, t.TempDir())
	t.Cleanup(n.stop)
	p := &dispatchPair{names: [2]string{"a", "b"}}
	for i, name := range p.names {
		p.fakes[i] = startSMSFake(t)
		p.ins[i] = startInstanceWith(t, n, name, p.fakes[i].sender(t, rate, concurrency), func(e *Engine) { e.packMax = multiPack })
	}
	waitFor(t, "one leader", func() bool { return p.ins[0].e.Leader() != p.ins[1].e.Leader() })
	waitFor(t, "both projections", func() bool { return p.ins[0].e.Ready() && p.ins[1].e.Ready() })
	// The server hands a new fan-out's packs round-robin to the pull
	// requests waiting: the tests that need both dispatchers sending start
	// once both pull every class (a dispatcher that had not pulled yet
	// would leave the whole fan-out to the other).
	js, err := jetstream.New(p.ins[0].nc)
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range activation.Classes {
		waitFor(t, "both dispatchers pulling "+c, func() bool {
			cons, err := js.Consumer(context.Background(), (Layout{}).EventsStream(), "dispatch-"+c)
			if err != nil {
				return false
			}
			info, err := cons.Info(context.Background())
			return err == nil && info.NumWaiting >= 2
		})
	}
	return p
}

// leader is the engine that decides.
func (p *dispatchPair) leader() *Engine {
	if p.ins[0].e.Leader() {
		return p.ins[0].e
	}
	return p.ins[1].e
}

// role names dispatcher i for the log.
func (p *dispatchPair) role(i int) string {
	if p.ins[i].e.Leader() {
		return p.names[i] + " (leader)"
	}
	return p.names[i] + " (follower)"
}

// accepted returns what each fake has accepted so far.
func (p *dispatchPair) accepted() [2][]twiliotest.Message {
	return [2][]twiliotest.Message{p.fakes[0].accepted(), p.fakes[1].accepted()}
}

// counts returns how many messages each fake has accepted so far.
func (p *dispatchPair) counts() [2]int {
	return [2]int{len(p.fakes[0].accepted()), len(p.fakes[1].accepted())}
}

// bodies counts the messages of both fakes by body ("<purpose> <incident> <person>").
func (p *dispatchPair) bodies() map[string]int {
	got := map[string]int{}
	for _, msgs := range p.accepted() {
		for _, m := range msgs {
			got[m.Body]++
		}
	}
	return got
}

// acceptedBefore returns how many messages f accepted before t.
func (f *smsFake) acceptedBefore(t time.Time) int {
	f.mu.Lock()
	defer f.mu.Unlock()
	n := 0
	for n < len(f.at) && f.at[n].Before(t) {
		n++
	}
	return n
}

// requestsStored returns when the log stored the first message with a
// notification request of incident id (the server's time stamp).
func requestsStored(t *testing.T, p *dispatchPair, id string) time.Time {
	t.Helper()
	ctx := context.Background()
	stream, err := p.ins[0].e.opts.JS.Stream(ctx, Layout{}.EventsStream())
	if err != nil {
		t.Fatal(err)
	}
	info, err := stream.Info(ctx)
	if err != nil {
		t.Fatal(err)
	}
	for seq := info.State.FirstSeq; seq <= info.State.LastSeq; seq++ {
		m, err := stream.GetMsg(ctx, seq)
		if err != nil {
			t.Fatal(err)
		}
		var ev activation.Event
		if json.Unmarshal(m.Data, &ev) != nil || ev.Incident != id {
			continue
		}
		for _, in := range unpacked([]activation.Event{ev}) {
			if in.Kind == activation.KindNotification {
				return m.Time
			}
		}
	}
	t.Fatalf("no request of %s in the log", id)
	return time.Time{}
}

// aheadOfLast counts the messages with prefix other accepted from index
// from on before the last message with prefix mine, and how many of mine
// there are from there on.
func aheadOfLast(msgs []twiliotest.Message, from int, mine, other string) (ahead, n int) {
	pending := 0
	for _, m := range msgs[from:] {
		switch {
		case strings.HasPrefix(m.Body, mine):
			n++
			ahead += pending
			pending = 0
		case strings.HasPrefix(m.Body, other):
			pending++
		}
	}
	return ahead, n
}

// A real incident declared while both dispatchers work through an exercise
// fan-out gets the next free slots of whichever dispatcher holds it: on
// each fake, at most the exercise sends under way and one more are
// accepted between the declaration and its last real alert. Nobody gets
// a message twice, and every exercise person gets one alert.
func TestMultiDispatchRealAlertOvertakesExercise(t *testing.T) {
	const exercise, rate, concurrency = 400, 50, 2
	for _, tc := range []struct {
		name   string
		people int
	}{
		{"one person", 1},
		{"first tier of six", 6},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p := startDispatchPair(t, rate, concurrency)
			submit(t, p.leader(), smsIncident("X1", exercise, true))
			waitFor(t, "both dispatchers sending the exercise", func() bool {
				c := p.counts()
				return c[0] >= 5 && c[1] >= 5
			})
			submit(t, p.leader(), smsIncident("R1", tc.people, false))
			waitFor(t, "every real alert", func() bool {
				_, n0 := aheadOfLast(p.fakes[0].accepted(), 0, "alert R1 ", "alert X1 ")
				_, n1 := aheadOfLast(p.fakes[1].accepted(), 0, "alert R1 ", "alert X1 ")
				return n0+n1 >= tc.people
			})
			// Counted from when the real requests were stored: from then on
			// either dispatcher could have held them.
			stored := requestsStored(t, p, "R1")
			declared := [2]int{p.fakes[0].acceptedBefore(stored), p.fakes[1].acceptedBefore(stored)}
			for i, msgs := range p.accepted() {
				ahead, n := aheadOfLast(msgs, declared[i], "alert R1 ", "alert X1 ")
				if n > 0 && ahead > concurrency+1 {
					t.Errorf("dispatcher %s: %d exercise messages accepted between the declaration and its last real alert, want at most the %d under way and one more",
						p.role(i), ahead, concurrency)
				}
				t.Logf("dispatcher %s: exercise messages before the declaration %d, real alerts %d, exercise messages between the declaration and its last real alert %d",
					p.role(i), declared[i], n, ahead)
			}
			waitFor(t, "both incidents settled", func() bool { return settled(p.leader(), "X1") && settled(p.leader(), "R1") })
			got := p.bodies()
			for body, n := range got {
				if n > 1 {
					t.Errorf("%q accepted %d times", body, n)
				}
			}
			for i := range exercise {
				if body := fmt.Sprintf("alert X1 p%d", i); got[body] != 1 {
					t.Errorf("%q accepted %d times, want once", body, got[body])
				}
			}
			for i := range tc.people {
				if body := fmt.Sprintf("alert R1 p%d", i); got[body] != 1 {
					t.Errorf("%q accepted %d times, want once", body, got[body])
				}
			}
		})
	}
}

// outcomes reads the log: per alert of incident id, its person and the
// codes of its delivery reports.
func outcomes(t *testing.T, p *dispatchPair, id string) (person map[string]string, codes map[string][]string) {
	t.Helper()
	person, codes = map[string]string{}, map[string][]string{}
	var msgs []activation.Event
	for _, le := range readLog(t, p.ins[0].e.opts.JS) {
		if le.ok {
			msgs = append(msgs, le.ev)
		}
	}
	for _, ev := range unpacked(msgs) {
		switch {
		case ev.Incident != id:
		case ev.Kind == activation.KindNotification && ev.Notification.Purpose == notifiers.PurposeAlert:
			person[ev.Notification.ID] = ev.Notification.Person
		case ev.Kind == activation.KindDelivery:
			codes[ev.Delivery.Notification] = append(codes[ev.Delivery.Notification], string(ev.Delivery.State)+"/"+ev.Delivery.Code)
		}
	}
	return person, codes
}

// An exercise fan-out stood down while both dispatchers send it: once the
// stand-down is recorded, the fakes together accept no more alerts than
// the two dispatchers had under way; every alert not sent is settled as
// stood down, and the stand-down goes to exactly the people alerted.
func TestMultiDispatchStandDownStopsBothQueues(t *testing.T) {
	const people, rate, concurrency = 400, 50, 2
	p := startDispatchPair(t, rate, concurrency)
	submit(t, p.leader(), smsIncident("X1", people, true))
	waitFor(t, "both dispatchers sending", func() bool { // the log busy with their reports
		c := p.counts()
		return c[0] >= 20 && c[1] >= 20
	})
	submit(t, p.leader(), activation.Input{Incident: "X1", StandDown: &activation.StandDown{By: "lagedienst", Reason: "Übungsende"}})
	recorded := p.counts()
	waitFor(t, "every notification settled", func() bool { return settled(p.leader(), "X1") })

	alerted, told := map[string]int{}, map[string]int{}
	late := 0
	for i, msgs := range p.accepted() {
		early, lateHere := 0, 0
		for j, m := range msgs {
			purpose, rest, _ := strings.Cut(m.Body, " ")
			_, who, _ := strings.Cut(rest, " ")
			switch notifiers.Purpose(purpose) {
			case notifiers.PurposeAlert:
				alerted[who]++
				if j >= recorded[i] {
					lateHere++
				} else {
					early++
				}
			case notifiers.PurposeStandDown:
				told[who]++
			}
		}
		late += lateHere
		t.Logf("dispatcher %s: alerts before the stand-down was recorded %d, after %d", p.role(i), early, lateHere)
	}
	if late > 2*concurrency {
		t.Errorf("%d alerts accepted after the stand-down was recorded, want at most the %d the two dispatchers had under way", late, 2*concurrency)
	}
	if len(alerted) >= people {
		t.Errorf("all %d people alerted: the queues were not stopped", people)
	}
	for who, n := range alerted {
		if n > 1 {
			t.Errorf("%s alerted %d times", who, n)
		}
		if told[who] != 1 {
			t.Errorf("%s alerted, stood down %d times, want once", who, told[who])
		}
	}
	for who := range told {
		if alerted[who] == 0 {
			t.Errorf("%s stood down but never alerted", who)
		}
	}
	person, codes := outcomes(t, p, "X1")
	stopped := 0
	for id, who := range person {
		want := "sent/"
		if alerted[who] == 0 {
			want, stopped = "failed/"+CodeStoodDown, stopped+1
		}
		if len(codes[id]) != 1 || codes[id][0] != want {
			t.Errorf("alert %s to %s settled as %v, want %s", id, who, codes[id], want)
		}
	}
	if len(person) != people || stopped != people-len(alerted) {
		t.Errorf("%d alerts requested, %d stood down; want %d and %d", len(person), stopped, people, people-len(alerted))
	}
	t.Logf("alerts %d, stand-downs %d, stopped %d, alerts after the stand-down was recorded %d", len(alerted), len(told), stopped, late)
}
