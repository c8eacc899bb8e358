package answer

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/kaskade-bcm/kaskade/activation"
	"github.com/kaskade-bcm/kaskade/alerting"
	"github.com/kaskade-bcm/kaskade/config"
)

// twoStaffsConfig has Bernd (b) in the staffs of MI (deputy) and MF (primary).
const twoStaffsConfig = `version: 1
functions: [{id: lead, name: {de: Stabsleitung}}]
organisations:
  - {id: MI, name: {de: Innen}, readiness: {required: {lead: 1}}}
  - {id: MF, name: {de: Finanzen}, readiness: {required: {lead: 1}}}
people:
  - {id: a, name: Anna A, organisation: MI, mobile: "+49 151 00001001", functions: [lead]}
  - {id: b, name: Bernd B, organisation: MF, mobile: "+49 151 00001002", functions: [lead]}
  - {id: c, name: Carla C, organisation: MI, mobile: "+49 151 00001003", functions: [lead]}
  - {id: d, name: Dora D, organisation: MF, mobile: "+49 151 00001004", functions: [lead]}
call_trees:
  - {id: mi, organisation: MI, nodes: [{function: lead, person: a, deputies: [b, c]}]}
  - {id: mf, organisation: MF, nodes: [{function: lead, person: b, deputies: [d]}]}
scenarios:
  - id: s
    name: {de: Lage}
    severity: crisis
    templates: {de: {sms: "{{.Title}}"}}
`

// twoStaffsService declares K1 for MI and MF and lets MI's primary decline,
// so Bernd is alerted by MF first and by MI second.
func twoStaffsService(t *testing.T) (*Service, *coreEngine) {
	t.Helper()
	cfg, probs, err := config.LoadBytes("two.yaml", []byte(twoStaffsConfig), nil)
	if err != nil || probs.Err() != nil {
		t.Fatal(err, probs)
	}
	res, err := alerting.Resolve(cfg, alerting.Declaration{Scenario: "s", DeclaredBy: "Lagedienst", Reason: "Test"})
	if err != nil {
		t.Fatal(err)
	}
	res.Declared.ID, res.Declared.ReplyCode = "K1", "K1"
	eng := &coreEngine{core: activation.NewCore()}
	if _, err := eng.Submit(context.Background(), activation.Input{Incident: "K1", Declare: &res.Declared, Plans: res.Plans}, ""); err != nil {
		t.Fatal(err)
	}
	time.Sleep(2 * time.Millisecond) // MI's alert to Bernd comes strictly later
	svc := &Service{Engine: eng, Config: cfg, RetryFor: 50 * time.Millisecond}
	if _, err := svc.SMSReply(context.Background(), "+4915100001001", "3", "SM0"); err != nil {
		t.Fatal(err)
	}
	return svc, eng
}

// TestTwoStaffsBySMS (issue 16.7): Bernd's "1" covers MF, whose alert came
// first, and MI moves to Carla at once; "1 MI" names MI instead, and MF
// moves to Dora.
func TestTwoStaffsBySMS(t *testing.T) {
	for _, tc := range []struct{ body, covers, other, next string }{
		{"1", "MF", "MI", "c"},
		{"1 MI", "MI", "MF", "d"},
		{"ja, mi", "MI", "MF", "d"},
	} {
		t.Run(tc.body, func(t *testing.T) {
			svc, eng := twoStaffsService(t)
			text, err := svc.SMSReply(context.Background(), "+4915100001002", tc.body, "SM1")
			if err != nil || !strings.Contains(text, "Danke") {
				t.Fatalf("reply %q, %v", text, err)
			}
			eng.View(func(c *activation.Core) {
				covers, _ := c.Readiness("K1", tc.covers)
				other, _ := c.Readiness("K1", tc.other)
				if covers.Covered["lead"] != 1 || other.Covered["lead"] != 0 {
					t.Errorf("covered %s %v, %s %v: the yes must cover %s only", tc.covers, covers.Covered, tc.other, other.Covered, tc.covers)
				}
				d, _ := c.Detail("K1", tc.other, nil)
				alerted, bound := false, ""
				for _, p := range d.Nodes[0].Tiers {
					alerted = alerted || p.Person == tc.next && p.Alerted
					if p.Person == "b" {
						bound = p.BoundTo
					}
				}
				if !alerted || bound != tc.covers {
					t.Errorf("%s: next deputy %s alerted %v, Bernd bound to %q, want alerted and %s", tc.other, tc.next, alerted, bound, tc.covers)
				}
			})
		})
	}
}
