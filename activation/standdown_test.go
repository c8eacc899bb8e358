package activation

import (
	"testing"

	"github.com/kaskade-bcm/kaskade/notifiers"
)

// An alert in flight when the stand-down was decided reports afterwards: a
// person it reached gets the stand-down then, once; one it never reached
// (dropped by the dispatcher) gets none.
func TestLateReachedGetStandDownOnce(t *testing.T) {
	tests := []struct {
		name    string
		reports []notifiers.State
		want    int
	}{
		{"sent after stand-down", []notifiers.State{notifiers.StateSent}, 1},
		{"sent then delivered", []notifiers.State{notifiers.StateSent, notifiers.StateDelivered}, 1},
		{"unknown after a crash", []notifiers.State{notifiers.StateUnknown}, 1},
		{"dropped", []notifiers.State{notifiers.StateFailed}, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := newHarness(t, true)
			alert := notesTo(h.events, "lead1")[0]
			sd := h.input(Input{Incident: "K1", StandDown: &StandDown{By: "lagedienst", Reason: "Übungsende"}})
			if n := notes(sd); len(n) != 0 {
				t.Fatalf("stand-down to people not reached: %+v", n)
			}
			var got []Notification
			for _, st := range tt.reports {
				evs := h.input(Input{Incident: "K1", Delivery: &Delivery{Notification: alert.ID, State: st}})
				got = append(got, notes(evs)...)
			}
			if len(got) != tt.want {
				t.Fatalf("late stand-downs = %+v, want %d", got, tt.want)
			}
			for _, n := range got {
				if n.Person != "lead1" || n.Purpose != notifiers.PurposeStandDown || n.Text != "Übungsende" || n.Channel != "sms" {
					t.Fatalf("late stand-down = %+v", n)
				}
			}
		})
	}
}

// Requests carry their dispatch class: the first tier and required
// functions first, other real alerts next, real information after them,
// exercises last.
func TestNotificationClasses(t *testing.T) {
	for _, exercise := range []bool{false, true} {
		h := &harness{t: t, c: NewCore(), now: t0}
		p := testPlan()
		p.Nodes = append(p.Nodes, PlanNode{Parent: 0, Function: "protocol", People: []string{"prot1"}, Wait: p.Nodes[0].Wait, Steps: p.Nodes[0].Steps})
		h.input(Input{Incident: "K1", Declare: &Declared{ID: "K1", ReplyCode: "K1", Scenario: "s", Title: "T", Severity: "crisis",
			Exercise: exercise, DeclaredBy: "lagedienst", Reason: "Test"}, Plans: []Plan{p}})
		h.respond("lead1", Available, 0)
		h.input(Input{Incident: "K1", Update: &SituationUpdate{Text: "Lage", By: "lagedienst"}})
		want := map[string]string{"lead1/alert": ClassFirst, "it1/alert": ClassFirst, "prot1/alert": ClassAlert,
			"lead1/update": ClassInfo, "it1/update": ClassInfo, "prot1/update": ClassInfo}
		got := map[string]string{}
		for _, n := range notes(h.events) {
			got[n.Person+"/"+string(n.Purpose)] = n.Class
		}
		for k, w := range want {
			if exercise {
				w = ClassExercise
			}
			if got[k] != w {
				t.Errorf("exercise %v: %s class %q, want %q (all %v)", exercise, k, got[k], w, got)
			}
		}
	}
}
