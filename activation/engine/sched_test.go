package engine

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/kaskade-bcm/kaskade/activation"
)

// The highest class waiting gets each slot, except every tenth, which goes
// one class lower: no class starves.
func TestSchedulerPicksHighestClassWithAShareForLower(t *testing.T) {
	tests := []struct {
		name   string
		queued map[int]int // class → requests
		picks  int
		want   string // classes picked, in order
	}{
		{"one class is FIFO", map[int]int{3: 3}, 3, "333"},
		{"higher first", map[int]int{3: 2, 0: 2}, 4, "0033"},
		{"tenth to the lower", map[int]int{3: 5, 0: 30}, 20, "00000000030000000003"},
		{"share goes one class down", map[int]int{3: 5, 1: 5, 0: 30}, 10, "0000000001"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := newScheduler(4, 100)
			seq := 0
			for class := 3; class >= 0; class-- { // lower classes arrive first
				for range tt.queued[class] {
					seq++
					s.push("sms", queued{class: class, ev: requestEvent{Incident: fmt.Sprint(seq)}})
				}
			}
			var got strings.Builder
			last := map[int]int{}
			for range tt.picks {
				q, ok := s.take("sms")
				if !ok {
					t.Fatal("nothing to take")
				}
				var n int
				fmt.Sscan(q.ev.Incident, &n)
				if n < last[q.class] {
					t.Fatalf("class %d out of order: %d after %d", q.class, n, last[q.class])
				}
				last[q.class] = n
				fmt.Fprint(&got, q.class)
			}
			if got.String() != tt.want {
				t.Fatalf("picked %s, want %s", got.String(), tt.want)
			}
		})
	}
}

// A real incident declared during a rate-limited exercise fan-out gets the
// next free send slot: at most the sends already under way go before it.
func TestRealAlertOvertakesExerciseFanOut(t *testing.T) {
	const concurrency = 2
	js := embeddedJS(t)
	e, _ := startEngine(t, js, -1)
	fake := startSMSFake(t)
	startDispatch(t, e, fake.sender(t, 50, concurrency), 64)

	submit(t, e, smsIncident("X1", 200, true))
	waitFor(t, "the exercise fan-out", func() bool { return len(fake.accepted()) >= 10 })
	submit(t, e, smsIncident("R1", 1, false))
	declared := len(fake.accepted())
	waitFor(t, "the real alert", func() bool {
		for _, m := range fake.accepted() {
			if strings.HasPrefix(m.Body, "alert R1 ") {
				return true
			}
		}
		return false
	})
	ahead := 0
	for _, m := range fake.accepted()[declared:] {
		if strings.HasPrefix(m.Body, "alert R1 ") {
			break
		}
		ahead++
	}
	if ahead > concurrency+1 {
		t.Fatalf("%d exercise messages went before the real alert, want at most the %d under way and one more", ahead, concurrency)
	}
	t.Logf("exercise messages accepted between the declaration and the real alert: %d", ahead)
}

// A log written before dispatch classes (requests on
// kaskade.events.<incident>.notification_requested) is still replayed and
// its requests sent.
func TestLegacyRequestsAreDispatched(t *testing.T) {
	js := embeddedJS(t)
	c := activation.NewCore()
	evs, err := c.Handle(smsIncident("K1", 2, false), time.Now())
	if err != nil {
		t.Fatal(err)
	}
	l := Layout{}
	for _, ev := range evs {
		if ev.Notification != nil {
			ev.Notification.Class = ""
		}
		data, err := json.Marshal(ev)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := js.Publish(t.Context(), l.EventSubject(ev.Incident, ev.Kind), data); err != nil {
			t.Fatal(err)
		}
	}
	e, _ := startEngine(t, js, -1)
	fake := startSMSFake(t)
	startDispatch(t, e, fake.sender(t, 0, 2), 8)
	waitFor(t, "both requests settled", func() bool { return settled(e, "K1") })
	if got := len(fake.accepted()); got != 2 {
		t.Fatalf("accepted %d, want 2", got)
	}
}
