package answer

import (
	"context"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/kaskade-bcm/kaskade/activation"
	"github.com/kaskade-bcm/kaskade/activation/engine"
	"github.com/kaskade-bcm/kaskade/alerting"
	"github.com/kaskade-bcm/kaskade/config"
	"github.com/kaskade-bcm/kaskade/notifiers"
)

// coreEngine is a fake engine over the real core: inputs are decided at once.
type coreEngine struct {
	mu     sync.Mutex
	core   *activation.Core
	seq    uint64
	inputs []activation.Input
	down   bool
}

func (e *coreEngine) Submit(_ context.Context, in activation.Input, _ string) (uint64, error) {
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.down {
		return 0, errors.New("nats: connection closed")
	}
	e.seq++
	in.Seq = e.seq
	e.inputs = append(e.inputs, in)
	_, _ = e.core.Handle(in, time.Now())
	return e.seq, nil
}

func (e *coreEngine) WaitInput(context.Context, uint64) error { return nil }

func (e *coreEngine) View(f func(c *activation.Core)) {
	e.mu.Lock()
	defer e.mu.Unlock()
	f(e.core)
}

func setup(t *testing.T, exercises ...bool) (*Service, *coreEngine, *config.Config) {
	t.Helper()
	cfg, probs, err := config.LoadExample()
	if err != nil || probs.Err() != nil {
		t.Fatal(err, probs)
	}
	eng := &coreEngine{core: activation.NewCore()}
	for i, ex := range exercises {
		res, err := alerting.Resolve(cfg, alerting.Declaration{Scenario: "cyberangriff", Organisations: []string{"MI"},
			Exercise: ex, DeclaredBy: "Lagedienst", Reason: "Test"})
		if err != nil {
			t.Fatal(err)
		}
		id := []string{"K1", "K2"}[i]
		res.Declared.ID, res.Declared.ReplyCode = id, id
		if _, err := eng.Submit(context.Background(), activation.Input{Incident: id, Declare: &res.Declared, Plans: res.Plans}, ""); err != nil {
			t.Fatal(err)
		}
	}
	return &Service{Engine: eng, Config: cfg, RetryFor: 50 * time.Millisecond}, eng, cfg
}

const lead = "+4915100001016" // mi-uwe-boehm in the example

// The STOP confirmation carries no exercise prefix: the STOP holds for real
// alerts too.
func TestStopConfirmationInAnExerciseIsNotMarkedAsExercise(t *testing.T) {
	svc, _, _ := setup(t, true)
	text, err := svc.SMSReply(context.Background(), lead, "Stopp", "SM1")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(text, "Sie erhalten keine SMS") {
		t.Fatalf("reply %q, want the plain STOP confirmation", text)
	}
}

func TestSMSAttribution(t *testing.T) {
	cases := []struct {
		name      string
		exercises []bool
		body      string
		from      string
		reply     string // substring of the answer; "" = no answer
		answer    map[string]activation.ResponseKind
		outcome   string
	}{
		{"one open incident", []bool{true}, "1", lead, "ÜBUNG Danke, Uwe Böhm", map[string]activation.ResponseKind{"K1": activation.Available}, OutcomeRecorded},
		{"delayed", []bool{false}, "komme in 20 min", lead, "20 Min", map[string]activation.ResponseKind{"K1": activation.Delayed}, OutcomeRecorded},
		{"unknown sender", []bool{true}, "1", "+4915199999999", "", nil, OutcomeUnknownSender},
		{"ambiguous without code", []bool{true, false}, "1", lead, "Mehrere Alarmierungen offen", map[string]activation.ResponseKind{"K1": "", "K2": ""}, OutcomeAmbiguous},
		{"code picks the real one", []bool{true, false}, "1 K2", lead, "Danke", map[string]activation.ResponseKind{"K1": "", "K2": activation.Available}, OutcomeRecorded},
		{"wrong code", []bool{true}, "1 K9", lead, "Keine offene Alarmierung", map[string]activation.ResponseKind{"K1": ""}, OutcomeNoIncident},
		{"nothing open, no code", nil, "1", lead, "Keine offene Alarmierung für Sie (evtl. schon beendet). Nichts", nil, OutcomeNoIncident},
		{"nonsense", []bool{true}, "vielleicht später", lead, "1 = komme", map[string]activation.ResponseKind{"K1": ""}, OutcomeInvalid},
		{"stop", []bool{true}, "STOP", lead, "", map[string]activation.ResponseKind{"K1": ""}, OutcomeStop},
		// Twilio confirms (and blocks) only its own opt-out words, exactly: the others are confirmed here.
		{"stopp is confirmed", []bool{false}, "Stopp", lead, "keine SMS", map[string]activation.ResponseKind{"K1": ""}, OutcomeStop},
		{"stop. is confirmed", []bool{false}, "Stop.", lead, "Wieder anmelden: START", map[string]activation.ResponseKind{"K1": ""}, OutcomeStop},
		{"twilio's own word is not", []bool{false}, " unsubscribe ", lead, "", map[string]activation.ResponseKind{"K1": ""}, OutcomeStop},
		{"start names the open alert's code", []bool{false}, "START", lead, "(K1)", map[string]activation.ResponseKind{"K1": ""}, OutcomeStart},
		{"help names the open alert's code", []bool{true}, "HELP", lead, "(K1)", map[string]activation.ResponseKind{"K1": ""}, OutcomeHelp},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			svc, eng, _ := setup(t, tc.exercises...)
			text, err := svc.SMSReply(context.Background(), tc.from, tc.body, "SM1")
			if err != nil {
				t.Fatal(err)
			}
			if tc.reply == "" && text != "" || !strings.Contains(text, tc.reply) {
				t.Fatalf("reply %q, want %q", text, tc.reply)
			}
			for id, want := range tc.answer {
				var got activation.ResponseKind
				eng.View(func(c *activation.Core) { got, _, _, _ = c.Answer(id, "mi-uwe-boehm") })
				if got != want {
					t.Fatalf("%s answer %q, want %q", id, got, want)
				}
			}
			last := eng.inputs[len(eng.inputs)-1]
			if last.Inbound == nil || last.Inbound.Outcome != tc.outcome || strings.Contains(last.Inbound.From, "00001016") {
				t.Fatalf("stored raw message %+v, want outcome %s and a masked sender", last.Inbound, tc.outcome)
			}
		})
	}
}

func TestUnavailableEngineMeans503(t *testing.T) {
	svc, eng, _ := setup(t, true)
	eng.down = true
	_, err := svc.SMSReply(context.Background(), lead, "1", "SM2")
	// One chain: the engine's, the channels' and the webhooks' sentinel are the same.
	for _, target := range []error{engine.ErrUnavailable, notifiers.ErrUnavailable} {
		if !errors.Is(err, target) {
			t.Fatalf("err = %v, want it to wrap %v (the webhook answers 503 and Twilio retries)", err, target)
		}
	}
}

func TestStatusCallbacks(t *testing.T) {
	svc, eng, _ := setup(t, true)
	var id string
	eng.View(func(c *activation.Core) {
		for i := 1; i < 20 && id == ""; i++ {
			if n, _, ok := c.NotificationInfo("K1", "K1-n"+string(rune('0'+i))); ok && n.Person == "mi-uwe-boehm" {
				id = n.ID
			}
		}
	})
	if id == "" {
		t.Fatal("no alert for the lead")
	}
	for _, st := range []notifiers.State{notifiers.StateDelivered, notifiers.StateSent, notifiers.StateFailed} {
		if err := svc.Delivery(context.Background(), id, st, "SM1", "", "test "+string(st)); err != nil {
			t.Fatal(err)
		}
	}
	eng.View(func(c *activation.Core) {
		if _, st, _ := c.NotificationInfo("K1", id); st != "delivered" {
			t.Fatalf("state %s after late callbacks, want delivered", st)
		}
	})
	if err := svc.Delivery(context.Background(), "K9-n1", notifiers.StateDelivered, "SM1", "", "test"); err != nil {
		t.Fatalf("unknown notification: %v", err)
	}
}

// A failure receipt for a message already delivered (or failed) changes
// nothing and must not put „Zustellung fehlgeschlagen“ on the timeline.
func TestLateFailureReceiptLeavesNoTimelineLine(t *testing.T) {
	for _, first := range []notifiers.State{notifiers.StateDelivered, notifiers.StateFailed} {
		t.Run(string(first), func(t *testing.T) {
			svc, eng, _ := setup(t, true)
			id := "K1-n1"
			for _, st := range []notifiers.State{first, notifiers.StateFailed} {
				if err := svc.Delivery(context.Background(), id, st, "SM1", "30003", "twilio "+string(st)+" late"); err != nil {
					t.Fatal(err)
				}
			}
			failures := 0
			eng.View(func(c *activation.Core) {
				for _, it := range c.Timeline("K1", "") {
					if it.Kind == activation.KindDelivery {
						failures++
					}
				}
			})
			if want := map[notifiers.State]int{notifiers.StateDelivered: 0, notifiers.StateFailed: 1}[first]; failures != want {
				t.Fatalf("failure lines on the timeline = %d, want %d", failures, want)
			}
		})
	}
}
