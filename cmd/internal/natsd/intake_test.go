package natsd_test

import (
	"encoding/json"
	"os"
	"testing"
	"time"

	"github.com/kaskade-bcm/kaskade/activation"
	"github.com/kaskade-bcm/kaskade/alerting"
	"github.com/kaskade-bcm/kaskade/cmd/internal/natsd"
)

func TestAnIntakeIdentityDeliversWarningsAndReachesNothingElse(t *testing.T) {
	k := startKaskade(t)
	seed := k.addUser(t, "dwd", natsd.RoleIntake)
	nc, errs := client(t, k.e.ClientURL(), seed)
	capXML, err := os.ReadFile("../../../alerting/proposal/testdata/dwd-unwetter.xml")
	if err != nil {
		t.Fatal(err)
	}
	reply, err := nc.Request(k.layout.CAPSenderSubject("dwd"), capXML, 10*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	var res alerting.WarningReply
	if err := json.Unmarshal(reply.Data, &res); err != nil || res.Status != "accepted" || len(res.Proposals) != 1 {
		t.Fatalf("reply %s: %v", reply.Data, err)
	}
	waitFor(t, "the proposal", func() bool {
		var p activation.ProposalView
		k.eng.View(func(c *activation.Core) { p, _ = c.Proposal(res.Proposals[0]) })
		return p.By == "nats:dwd" && p.Status == activation.ProposalOpen
	})
	if len(k.eng.Incidents()) != 0 {
		t.Fatal("a warning declared an incident")
	}
	decl := `{"scenario":"cyberangriff","exercise":true,"declared_by":"x","reason":"y"}`
	for _, tc := range []struct {
		name string
		do   func() error
	}{
		{"declare", func() error { return nc.Publish(k.layout.DeclareSubject(), []byte(decl)) }},
		{"declare as a declarer", func() error { return nc.Publish(k.layout.DeclarerSubject("dwd"), []byte(decl)) }},
		{"warn as Kaskade", func() error { return nc.Publish(k.layout.CAPSubject(), capXML) }},
		{"warn as another system", func() error { return nc.Publish(k.layout.CAPSenderSubject("mowas"), capXML) }},
		{"publish an input", func() error { return nc.Publish(k.layout.InputSubject("P-1", "confirm"), []byte(`{}`)) }},
		{"read the event log", func() error { _, err := nc.SubscribeSync(k.layout.EventsFilter()); return err }},
		{"read the readiness feed", func() error { _, err := nc.SubscribeSync(k.layout.ReadinessFilter()); return err }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if err := tc.do(); err != nil {
				t.Fatal(err)
			}
			expectViolation(t, nc, errs)
		})
	}
}
