package compose

import (
	"strings"
	"testing"
	"time"

	"github.com/kaskade-bcm/kaskade/activation"
	"github.com/kaskade-bcm/kaskade/config"
	"github.com/kaskade-bcm/kaskade/notifiers"
)

// smsOnly is a scenario with only an SMS template, as the README shows one.
const smsOnly = `version: 1
functions: [{id: lead, name: {de: Stabsleitung, en: Head of staff}}]
organisations: [{id: LK, name: {de: Landkreis Göttingen, en: Göttingen County}, readiness: {required: {lead: 1}}}]
people:
  - {id: a, name: Anna A, organisation: LK, mobile: "+4915100001001", email: a@lk.example, functions: [lead]}
  - {id: b, name: Bob B, organisation: LK, mobile: "+4915100001002", email: b@lk.example, functions: [lead], language: en}
call_trees: [{id: lk, organisation: LK, nodes: [{person: a, deputies: [b]}]}]
scenarios:
  - id: hochwasser
    name: {de: Hochwasser}
    severity: crisis
    templates:
      de: {sms: "{{.SeverityName}} {{.Organisation}}: {{.Title}}"}
`

func TestEmailOfAnSMSOnlyScenarioIsNotEmpty(t *testing.T) {
	cfg, probs, err := config.LoadBytes("sms-only.yaml", []byte(smsOnly), nil)
	if err != nil || cfg == nil {
		t.Fatalf("err=%v\n%s", err, probs)
	}
	c := New(Options{Config: cfg})
	inc := activation.Declared{ID: "K3", ReplyCode: "K3", Scenario: "hochwasser", Title: "Deichbruch an der Leine",
		Severity: "crisis", Message: "Stab tritt im Kreishaus zusammen.", DeclaredAt: time.Date(2026, 12, 3, 2, 0, 0, 0, time.UTC)}
	for _, tc := range []struct {
		person string
		wants  []string
	}{
		{"a", []string{"Deichbruch an der Leine", "Landkreis Göttingen", "Krise", "Stab tritt im Kreishaus zusammen."}},
		{"b", []string{"Deichbruch an der Leine", "Göttingen County", "Crisis", "Stab tritt im Kreishaus zusammen."}},
	} {
		m, err := c.Compose(activation.Notification{ID: "K3-" + tc.person, Person: tc.person, Channel: config.ChannelEmail,
			Purpose: notifiers.PurposeAlert, Org: "LK", Function: "lead"}, inc)
		if err != nil {
			t.Fatal(err)
		}
		if strings.TrimSpace(m.Subject) == "" || !strings.Contains(m.Subject, tc.wants[0]) {
			t.Errorf("%s: subject %q", tc.person, m.Subject)
		}
		for _, w := range tc.wants {
			if !strings.Contains(m.Text, w) {
				t.Errorf("%s: body lacks %q:\n%s", tc.person, w, m.Text)
			}
		}
	}
}
