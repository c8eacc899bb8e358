package engine

import (
	"testing"
	"time"

	"github.com/kaskade-bcm/kaskade/activation"
)

// A primary's positive answer that the engine decides after the wait ran
// out comes too late: the timers due by then fire first, so the deputy is
// alerted and the log shows the escalation before the answer. The answer
// arrives while the engine's timer still sleeps (the injected clock jumped
// past the wait); decided first, it stopped the escalation for good.
func TestAnswerAfterTheWaitDoesNotPreemptTheEscalation(t *testing.T) {
	js := embeddedJS(t)
	clock := &fakeClock{now: time.Date(2026, 12, 3, 10, 0, 0, 0, time.UTC)}
	e, _ := startEngineOpts(t, Options{JS: js, Now: clock.Now, SnapshotEvery: -1})
	in := declareInput("K1", 0)
	in.Plans[0].Required = map[string]int{"staff": 1}
	in.Plans[0].Nodes = []activation.PlanNode{{Parent: -1, Function: "staff", People: []string{"primary", "deputy"},
		Wait: time.Minute, Steps: []activation.Step{{Channel: "console"}}}}
	submit(t, e, in)

	clock.Add(time.Minute + time.Second)
	submit(t, e, respond("K1", "primary"))

	var order []string
	for _, le := range readLog(t, js) {
		for _, ev := range le.ev.Unpacked() {
			switch {
			case ev.Kind == activation.KindTierAlerted:
				order = append(order, "alerted "+ev.Tier.Person+" "+ev.Tier.Reason)
			case ev.Kind == activation.KindResponse:
				order = append(order, "answer "+ev.Response.Person)
			}
		}
	}
	want := []string{"alerted primary start", "alerted deputy timeout", "answer primary"}
	if len(order) != len(want) {
		t.Fatalf("log order %q, want %q", order, want)
	}
	for i := range want {
		if order[i] != want[i] {
			t.Fatalf("log order %q, want %q", order, want)
		}
	}
}
