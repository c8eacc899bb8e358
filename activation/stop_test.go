package activation

import (
	"testing"
	"time"
)

// TestStopSkipsSMS (issue 16.10): after STOP a person gets no SMS — the
// email step runs at once and, when only SMS is left, the deputy — until
// START; the person row shows it, and a snapshot keeps it.
func TestStopSkipsSMS(t *testing.T) {
	h := &harness{t: t, c: NewCore(), now: t0}
	stop := func(person, outcome string) {
		h.input(Input{Incident: "_", Inbound: &Inbound{Channel: SourceSMS, Person: person, Body: outcome, Outcome: outcome}})
	}
	stop("lead1", OutcomeStop)
	c, err := RestoreSnapshot(h.c.AppendSnapshot(nil))
	if err != nil {
		t.Fatal(err)
	}
	h.c = c
	h.input(Input{Incident: "K1", Declare: &Declared{ID: "K1", ReplyCode: "K1", Title: "T", DeclaredBy: "x", Reason: "y"}, Plans: []Plan{testPlan()}})
	for _, n := range notesTo(h.events, "lead1") {
		if n.Channel == "sms" {
			t.Fatalf("SMS to lead1 after STOP: %+v", n)
		}
	}
	if n := notesTo(h.events, "lead1"); len(n) != 1 || n[0].Channel != "email" {
		t.Fatalf("lead1 got %+v, want the email step at once", n)
	}
	d, _ := h.c.Detail("K1", "MI", nil)
	if !d.Nodes[0].Tiers[0].SMSStopped {
		t.Fatal("person row does not show STOP")
	}
	// SMS only: the deputy takes over at once.
	h2 := &harness{t: t, c: NewCore(), now: t0}
	h2.input(Input{Incident: "_", Inbound: &Inbound{Channel: SourceSMS, Person: "lead1", Outcome: OutcomeStop}})
	p := testPlan()
	p.Nodes[0].Steps = []Step{{Channel: "sms"}, {Channel: "sms", After: 5 * time.Minute}}
	h2.input(Input{Incident: "K1", Declare: &Declared{ID: "K1", ReplyCode: "K1"}, Plans: []Plan{p}})
	if n := notesTo(h2.events, "lead2"); len(n) != 1 {
		t.Fatalf("deputy not alerted at once for an SMS-only policy after STOP: %+v", notes(h2.events))
	}
	h2.input(Input{Incident: "_", Inbound: &Inbound{Channel: SourceSMS, Person: "lead1", Outcome: OutcomeStart}})
	if h2.c.SMSStopped("lead1") {
		t.Fatal("START did not lift STOP")
	}
}
