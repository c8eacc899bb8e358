package answer

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/kaskade-bcm/kaskade/activation"
	"github.com/kaskade-bcm/kaskade/alerting"
)

// TestAnswersWithWords: the leading code decides, the rest is stored as the
// remark; "2" alone is delayed with ETA unknown and the confirmation asks
// for the minutes; a contradiction records nothing and asks.
func TestAnswersWithWords(t *testing.T) {
	cases := []struct {
		body, reply string
		kind        activation.ResponseKind
		remark      string
		etaUnknown  bool
	}{
		{"3 bin krank", "Danke", activation.Unavailable, "bin krank", false},
		{"1, bringe Laptop mit", "Sie kommen", activation.Available, "bringe Laptop mit", false},
		{"2 30 Stau auf der A7", "30 Min", activation.Delayed, "Stau auf der A7", false},
		{"2", "Wann?", activation.Delayed, "", true},
		{"ja... aber erst später", "Wann?", activation.Delayed, "", true},
		{"yes but in 1h", "60 Min", activation.Delayed, "", false},
		{"1 nein", "widerspr", "", "", false},
		{"ja kann nicht", "widerspr", "", "", false},
	}
	for _, tc := range cases {
		t.Run(tc.body, func(t *testing.T) {
			svc, eng, _ := setup(t, false)
			text, err := svc.SMSReply(context.Background(), lead, tc.body, "SM1")
			if err != nil {
				t.Fatal(err)
			}
			if !strings.Contains(text, tc.reply) {
				t.Fatalf("reply %q, want it to contain %q", text, tc.reply)
			}
			var pv activation.PersonView
			eng.View(func(c *activation.Core) {
				d, _ := c.Detail("K1", "MI", nil)
				for _, n := range d.Nodes {
					for _, p := range n.Tiers {
						if p.Person == "mi-uwe-boehm" {
							pv = p
						}
					}
				}
			})
			if pv.Answer != tc.kind || pv.Remark != tc.remark || pv.ETAUnknown != tc.etaUnknown {
				t.Fatalf("person row %+v, want answer %q remark %q eta unknown %v", pv, tc.kind, tc.remark, tc.etaUnknown)
			}
		})
	}
}

// TestExerciseRepliesMarked: every reply about an exercise starts with
// ÜBUNG, also "not understood", hints and unattributed answers.
func TestExerciseRepliesMarked(t *testing.T) {
	for _, body := range []string{"1", "vielleicht", "HILFE", "1 nein", "1 K9", "2"} {
		t.Run(body, func(t *testing.T) {
			svc, _, _ := setup(t, true)
			text, err := svc.SMSReply(context.Background(), lead, body, "SM1")
			if err != nil {
				t.Fatal(err)
			}
			if !strings.HasPrefix(text, "ÜBUNG") {
				t.Fatalf("reply to %q in an exercise is %q, want it to start with ÜBUNG", body, text)
			}
		})
	}
	svc, _, _ := setup(t, false)
	if text, _ := svc.SMSReply(context.Background(), lead, "vielleicht", "SM1"); strings.HasPrefix(text, "ÜBUNG") {
		t.Fatalf("reply in a real incident is marked as an exercise: %q", text)
	}
}

// TestStaffNamed (issue 16.7): "1 MF" names the staff the answer covers.
func TestStaffNamed(t *testing.T) {
	svc, _, _ := setup(t)
	for remark, want := range map[string]string{"MF": "MF", "mf, bin gleich da": "MF", "bin gleich da": "", "": ""} {
		if got := svc.staffNamed(remark); got != want {
			t.Errorf("staffNamed(%q) = %q, want %q", remark, got, want)
		}
	}
}

// TestLateReplyToStoodDownExerciseMarked: an answer naming an exercise that
// was stood down ("1 K1" while a real K2 is open) is told so as an exercise.
func TestLateReplyToStoodDownExerciseMarked(t *testing.T) {
	svc, eng, _ := setup(t, true, false)
	if _, err := eng.Submit(context.Background(), activation.Input{Incident: "K1",
		StandDown: &activation.StandDown{By: "lagedienst", Reason: "Übung beendet"}}, ""); err != nil {
		t.Fatal(err)
	}
	for body, exercise := range map[string]bool{"1 K1": true, "1 K2": false} {
		text, err := svc.SMSReply(context.Background(), lead, body, "SM-"+body)
		if err != nil {
			t.Fatal(err)
		}
		if strings.HasPrefix(text, "ÜBUNG") != exercise {
			t.Fatalf("reply to %q is %q; marked as an exercise: want %v", body, text, exercise)
		}
	}
}

// TestAmbiguousReplyBounded: with many open alerts (long titles) the "add the
// code" reply stays far below Twilio's 1,600 characters and counts the rest.
func TestAmbiguousReplyBounded(t *testing.T) {
	for _, tc := range []struct {
		incidents int
		want      string // in the reply
	}{{2, "K2: ÜBUNG " + strings.Repeat("Lange Lage ", 3)}, {40, "weitere"}} {
		svc, eng, cfg := setup(t)
		for i := range tc.incidents {
			res, err := alerting.Resolve(cfg, alerting.Declaration{Scenario: "cyberangriff", Organisations: []string{"MI"},
				Exercise: true, DeclaredBy: "Lagedienst", Reason: "Test", Title: strings.Repeat("Lange Lage ", 20)})
			if err != nil {
				t.Fatal(err)
			}
			id := fmt.Sprintf("K%d", i+1)
			res.Declared.ID, res.Declared.ReplyCode = id, id
			if _, err := eng.Submit(context.Background(), activation.Input{Incident: id, Declare: &res.Declared, Plans: res.Plans}, ""); err != nil {
				t.Fatal(err)
			}
		}
		text, err := svc.SMSReply(context.Background(), lead, "1", "SM1")
		if err != nil {
			t.Fatal(err)
		}
		if len(text) > 480 || !strings.Contains(text, tc.want) {
			t.Fatalf("%d open: reply of %d bytes %q, want at most 480 holding %q", tc.incidents, len(text), text, tc.want)
		}
	}
}
