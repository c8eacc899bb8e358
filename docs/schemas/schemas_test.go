package schemas_test

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"github.com/santhosh-tekuri/jsonschema/v6"

	"github.com/kaskade-bcm/kaskade/activation"
	"github.com/kaskade-bcm/kaskade/activation/engine"
	"github.com/kaskade-bcm/kaskade/activation/engine/enginetest"
	"github.com/kaskade-bcm/kaskade/alerting"
	"github.com/kaskade-bcm/kaskade/config"
	"github.com/kaskade-bcm/kaskade/notifiers"
)

// compile loads one schema file of this directory.
func compile(t *testing.T, file string) *jsonschema.Schema {
	t.Helper()
	data, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	doc, err := jsonschema.UnmarshalJSON(bytes.NewReader(data))
	if err != nil {
		t.Fatalf("%s: %v", file, err)
	}
	c := jsonschema.NewCompiler()
	c.AssertFormat()
	if err := c.AddResource(file, doc); err != nil {
		t.Fatal(err)
	}
	s, err := c.Compile(file)
	if err != nil {
		t.Fatalf("%s: %v", file, err)
	}
	return s
}

// valid reports whether data is valid against s, with the reason if not.
func valid(s *jsonschema.Schema, data []byte) error {
	inst, err := jsonschema.UnmarshalJSON(bytes.NewReader(data))
	if err != nil {
		return err
	}
	return s.Validate(inst)
}

func example(t *testing.T) *config.Config {
	t.Helper()
	cfg, probs, err := config.LoadExample()
	if err != nil || probs.Err() != nil {
		t.Fatalf("example: %v %v", err, probs)
	}
	return cfg
}

func TestDeclarationSchemaAgreesWithTheIntake(t *testing.T) {
	s := compile(t, "declaration.schema.json")
	cfg := example(t)
	for _, tc := range []struct {
		name, json string
		ok         bool
	}{
		{"minimal", `{"scenario":"cyberangriff","declared_by":"Lagedienst","reason":"Test"}`, true},
		{"full", `{"id":"ld-2026:42","scenario":"cyberangriff","title":"Angriff","severity":"crisis","organisations":["MI","MF"],
			"exercise":true,"declared_by":"Lagedienst Müller","reason":"Übung","message":"Bitte kommen",
			"drill":{"announced":true,"deputies_only":true,"target":"30m"}}`, true},
		{"misspelt field", `{"scenario":"cyberangriff","declared_by":"x","reason":"y","excercise":true}`, false},
		{"exercise as text", `{"scenario":"cyberangriff","declared_by":"x","reason":"y","exercise":"true"}`, false},
		{"unknown severity", `{"scenario":"cyberangriff","declared_by":"x","reason":"y","severity":"major"}`, false},
		{"no reason", `{"scenario":"cyberangriff","declared_by":"x"}`, false},
		{"blank declarer", `{"scenario":"cyberangriff","declared_by":"  ","reason":"y"}`, false},
		{"bad id", `{"id":"a b","scenario":"cyberangriff","declared_by":"x","reason":"y"}`, false},
		{"drill without exercise", `{"scenario":"cyberangriff","declared_by":"x","reason":"y","drill":{"announced":true}}`, false},
		{"bad drill target", `{"scenario":"cyberangriff","declared_by":"x","reason":"y","exercise":true,"drill":{"announced":true,"target":"half an hour"}}`, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			schemaErr := valid(s, []byte(tc.json))
			// The intake is the reference: Parse, then Resolve against the bundled example.
			d, err := alerting.Parse([]byte(tc.json))
			if err == nil {
				_, err = alerting.Resolve(cfg, d)
			}
			if (schemaErr == nil) != tc.ok || (err == nil) != tc.ok {
				t.Fatalf("schema: %v; intake: %v; want accepted %v", schemaErr, err, tc.ok)
			}
		})
	}
}

// allKinds are the event kinds of package activation; the schema must
// name exactly these.
var allKinds = []string{
	activation.KindDeclared, activation.KindActivationStarted, activation.KindTierAlerted, activation.KindNodeExhausted,
	activation.KindNotification, activation.KindDelivery, activation.KindResponse, activation.KindReadiness,
	activation.KindUpdate, activation.KindStoodDown, activation.KindInbound, activation.KindRejected,
	activation.KindConverted, activation.KindBatchAborted, activation.KindConfigReloaded, activation.KindPack, activation.KindPersonErased, activation.KindRetention,
	activation.KindProposalReceived, activation.KindProposalConfirmed, activation.KindProposalDismissed, activation.KindProposalWithdrawn,
}

func TestEventSchemaNamesEveryKind(t *testing.T) {
	data, err := os.ReadFile("event.schema.json")
	if err != nil {
		t.Fatal(err)
	}
	var doc struct {
		Properties struct {
			Kind struct {
				Enum []string `json:"enum"`
			} `json:"kind"`
		} `json:"properties"`
	}
	if err := json.Unmarshal(data, &doc); err != nil {
		t.Fatal(err)
	}
	got, want := slices.Sorted(slices.Values(doc.Properties.Kind.Enum)), slices.Sorted(slices.Values(allKinds))
	if !slices.Equal(got, want) {
		t.Fatalf("schema kinds %v, activation kinds %v", got, want)
	}
}

// TestSchemasMatchARealActivation runs the intake and the engine on an
// in-process NATS, declares over NATS, answers, updates, converts and stands
// down, and validates every reply, feed message and event as published.
func TestSchemasMatchARealActivation(t *testing.T) {
	ctx, cancel := context.WithTimeout(t.Context(), 60*time.Second)
	defer cancel()
	nc, js := enginetest.JetStream(t)
	layout := engine.Layout{}
	if err := layout.Ensure(ctx, js); err != nil {
		t.Fatal(err)
	}
	cfg := example(t)
	eng := runEngine(t, ctx, js)
	intake, err := alerting.New(ctx, alerting.Options{Config: cfg, JS: js, Layout: layout})
	if err != nil {
		t.Fatal(err)
	}
	go func() { _ = intake.ServeNATS(ctx) }()
	// The declare stream swallows requests nobody answers yet: probe until the intake does.
	waitFor(t, ctx, func() bool {
		_, err := nc.Request(layout.DeclareSubject(), []byte(`{"scenario":`), 100*time.Millisecond)
		return err == nil
	})
	feed := make(chan *nats.Msg, 1024)
	sub, err := nc.ChanSubscribe(layout.ReadinessFilter(), feed)
	if err != nil {
		t.Fatal(err)
	}
	defer sub.Unsubscribe()

	replySchema := compile(t, "declaration-reply.schema.json")
	decl := `{"id":"schema-test-1","scenario":"cyberangriff","organisations":["MI"],"exercise":true,"declared_by":"Lagedienst","reason":"Schematest"}`
	id := request(t, ctx, nc, layout, replySchema, decl, true, true)
	request(t, ctx, nc, layout, replySchema, decl, true, true) // a duplicate
	// The schema cannot know the configured scenarios; the intake can.
	request(t, ctx, nc, layout, replySchema, `{"scenario":"gibtsnicht","declared_by":"x","reason":"y"}`, true, false)
	request(t, ctx, nc, layout, replySchema, `{"scenario":`, false, false)
	waitFor(t, ctx, func() bool { _, ok := eng.Incident(id); return ok })

	submit := func(in activation.Input) {
		t.Helper()
		seq, err := eng.Submit(ctx, in, "")
		if err != nil {
			t.Fatal(err)
		}
		if err := eng.WaitInput(ctx, seq); err != nil {
			t.Fatal(err)
		}
	}
	for _, in := range []activation.Input{
		{Incident: id, Inbound: &activation.Inbound{Channel: "sms", From: "+49151****0001", Body: "hallo", Outcome: "unknown_sender"}},
		{Incident: id, Response: &activation.Response{Person: "niemand", Kind: activation.Available, Source: activation.SourceAPI, Actor: "test"}},
		{Incident: id, Update: &activation.SituationUpdate{Text: "Lage stabil", By: "Lagedienst"}},
		{Incident: id, Convert: &activation.Conversion{By: "Lagedienst", Reason: "Ernstfall"}},
	} {
		submit(in)
	}
	// Everyone alerted answers, the cascade alerts the next tier, until nobody new is alerted.
	answered := map[string]bool{}
	for {
		var fresh []string
		for _, p := range alerted(t, ctx, js, layout, eng, id) {
			if !answered[p] {
				answered[p] = true
				fresh = append(fresh, p)
			}
		}
		if len(fresh) == 0 {
			break
		}
		for i, p := range fresh {
			r := &activation.Response{Person: p, Kind: activation.Available, Source: activation.SourceSMS}
			if i%4 == 1 {
				r = &activation.Response{Person: p, Kind: activation.Delayed, Minutes: 20, Source: activation.SourceAPI, Actor: "Lagedienst"}
			}
			submit(activation.Input{Incident: id, Response: r})
		}
	}
	submit(activation.Input{Incident: id, StandDown: &activation.StandDown{By: "Lagedienst", Reason: "Ende"}})

	eventSchema := compile(t, "event.schema.json")
	kinds := map[string]int{}
	waitFor(t, ctx, func() bool {
		clear(kinds)
		for _, m := range rawEvents(t, ctx, js, layout) {
			var env struct {
				Kind   string
				Events []struct{ Kind string }
			}
			_ = json.Unmarshal(m.Data, &env)
			kinds[env.Kind]++
			for _, in := range env.Events { // a pack's
				kinds[in.Kind]++
			}
		}
		return kinds[activation.KindDelivery] > 0 && kinds[activation.KindStoodDown] > 0
	})
	evs := rawEvents(t, ctx, js, layout)
	t.Logf("validating %d events: %v", len(evs), kinds)
	sealed := 0
	for _, m := range evs {
		if err := valid(eventSchema, m.Data); err != nil {
			t.Errorf("event %d on %s: %v\n%s", m.Sequence, m.Subject, err, m.Data)
		}
		if bytes.Contains(m.Data, []byte(`"v":2,`)) && !bytes.Contains(m.Data, []byte(`"kind":"pack"`)) {
			sealed++
		}
	}
	if sealed == 0 {
		t.Error("no sealed (version 2) event was validated")
	}
	checkAuditExport(t, ctx, js, layout, id)
	for _, k := range []string{activation.KindDeclared, activation.KindActivationStarted, activation.KindTierAlerted,
		activation.KindNotification, activation.KindDelivery, activation.KindResponse, activation.KindReadiness,
		activation.KindUpdate, activation.KindStoodDown, activation.KindInbound, activation.KindRejected, activation.KindConverted} {
		if kinds[k] == 0 {
			t.Errorf("the run produced no %s event (kinds: %v)", k, kinds)
		}
	}

	feedSchema := compile(t, "readiness-feed.schema.json")
	waitFor(t, ctx, func() bool { return len(feed) > 0 })
	t.Logf("validating %d readiness feed messages", len(feed))
	for len(feed) > 0 {
		m := <-feed
		if err := valid(feedSchema, m.Data); err != nil {
			t.Errorf("feed on %s: %v\n%s", m.Subject, err, m.Data)
		}
	}
}

// TestEventsTheRunDoesNotReach marshals the kinds a short run does not
// produce (timers, crashes) from real values.
func TestEventsTheRunDoesNotReach(t *testing.T) {
	s := compile(t, "event.schema.json")
	at := time.Date(2026, 12, 3, 3, 12, 0, 0, time.UTC)
	for _, ev := range []activation.Event{
		{V: activation.SchemaVersion, Incident: "K1", Kind: activation.KindNodeExhausted, At: at, Batch: 7, Done: true,
			Exhausted: &activation.NodeRef{Org: "MI", Node: 2}},
		{V: activation.SchemaVersion, Incident: "_", Kind: activation.KindBatchAborted, At: at, Aborted: 41},
		{V: activation.SchemaVersion, Incident: "K1", Kind: activation.KindTierAlerted, At: at,
			Tier: &activation.TierAlerted{NodeRef: activation.NodeRef{Org: "MI"}, Tier: 1, Person: "p", Reason: "timeout"}},
		{V: activation.SchemaVersion, Incident: "K1", Kind: activation.KindDelivery, At: at, Input: 9,
			Delivery: &activation.Delivery{Notification: "n1", State: notifiers.StateFailed, Code: "30006", Detail: "landline"}},
		{V: activation.SchemaVersion, Incident: "K1", Kind: activation.KindActivationStarted, At: at, Activation: &activation.Plan{Org: "MI"}},
		{V: activation.SchemaVersion, Incident: "_", Kind: activation.KindConfigReloaded, At: at, Input: 12, Batch: 30, Done: true,
			Reload: &activation.ConfigReloaded{By: "admin", Via: "api", Instance: "host-1", SHA256: strings.Repeat("ab", 32),
				PeopleSHA256: strings.Repeat("cd", 32), Organisations: 11, People: 40, Scenarios: 4, CallTrees: 11, Tokens: 2}},
	} {
		data, err := json.Marshal(ev)
		if err != nil {
			t.Fatal(err)
		}
		if err := valid(s, data); err != nil {
			t.Errorf("%s: %v\n%s", ev.Kind, err, data)
		}
	}
}

// TestSchemasRejectMalformedMessages shows that the checks above can fail.
func TestSchemasRejectMalformedMessages(t *testing.T) {
	for _, tc := range []struct{ file, name, json string }{
		{"event.schema.json", "payload of another kind", `{"v":1,"incident":"K1","kind":"response","at":"2026-12-03T03:12:00Z","stand_down":{"by":"x","reason":"y"}}`},
		{"event.schema.json", "two payloads", `{"v":1,"incident":"K1","kind":"stood_down","at":"2026-12-03T03:12:00Z","stand_down":{"by":"x","reason":"y"},"update":{"text":"t","by":"b"}}`},
		{"event.schema.json", "proposal from an unknown source", `{"v":1,"incident":"P-1","kind":"proposal_received","at":"2026-12-03T03:12:00Z","proposal":{"source":"fax","source_id":"1","kind":"new","sent":"2026-12-03T03:12:00Z","event":"x","by":"y"}}`},
		{"event.schema.json", "unknown kind", `{"v":1,"incident":"K1","kind":"exploded","at":"2026-12-03T03:12:00Z"}`},
		{"event.schema.json", "reload payload on another kind", `{"v":1,"incident":"K1","kind":"stood_down","at":"2026-12-03T03:12:00Z","stand_down":{"by":"x","reason":"y"},"reload":{"by":"a","via":"api","sha256":"` + strings.Repeat("ab", 32) + `","organisations":1,"people":1,"scenarios":1,"call_trees":1,"tokens":0}}`},
		{"event.schema.json", "reload with a name in it", `{"v":1,"incident":"_","kind":"config_reloaded","at":"2026-12-03T03:12:00Z","reload":{"by":"a","via":"api","sha256":"` + strings.Repeat("ab", 32) + `","organisations":1,"people":1,"scenarios":1,"call_trees":1,"tokens":0,"names":["Anna Muster"]}}`},
		{"event.schema.json", "version 3", `{"v":3,"incident":"K1","kind":"stood_down","at":"2026-12-03T03:12:00Z","stand_down":{"by":"x","reason":"y"}}`},
		{"event.schema.json", "pack of version 1", `{"v":1,"incident":"K1","kind":"pack","at":"2026-12-03T03:12:00Z","events":[{"v":1,"incident":"K1","kind":"stood_down","at":"2026-12-03T03:12:00Z","stand_down":{"by":"x","reason":"y"}}]}`},
		{"event.schema.json", "pack in a pack", `{"v":2,"incident":"K1","kind":"pack","at":"2026-12-03T03:12:00Z","events":[{"v":2,"incident":"K1","kind":"pack","at":"2026-12-03T03:12:00Z","events":[]}]}`},
		{"event.schema.json", "empty pack", `{"v":2,"incident":"K1","kind":"pack","at":"2026-12-03T03:12:00Z","events":[]}`},
		{"event.schema.json", "events outside a pack", `{"v":1,"incident":"K1","kind":"stood_down","at":"2026-12-03T03:12:00Z","stand_down":{"by":"x","reason":"y"},"events":[]}`},
		{"event.schema.json", "time not RFC 3339", `{"v":1,"incident":"K1","kind":"stood_down","at":"03.12.2026 03:12","stand_down":{"by":"x","reason":"y"}}`},
		{"event.schema.json", "unknown response kind", `{"v":1,"incident":"K1","kind":"response","at":"2026-12-03T03:12:00Z","response":{"person":"p","kind":"maybe","source":"sms"}}`},
		{"event.schema.json", "duration as text", `{"v":1,"incident":"K1","kind":"activation_started","at":"2026-12-03T03:12:00Z","activation":{"org":"MI","name":{"de":"","en":""},"tree":"t","required":null,"target":"30m","nodes":null}}`},
		{"readiness-feed.schema.json", "a name in the feed", `{"v":1,"incident":"K1","org":"MI","state":"ready","exercise":false,"functions":{},"missing":[],"available":1,"delayed":0,"unavailable":0,"at":"2026-12-03T03:12:00Z","people":["Anna Muster"]}`},
		{"readiness-feed.schema.json", "unknown state", `{"v":1,"incident":"K1","org":"MI","state":"bereit","exercise":false,"functions":{},"missing":[],"available":1,"delayed":0,"unavailable":0,"at":"2026-12-03T03:12:00Z"}`},
		{"declaration-reply.schema.json", "both", `{"incident_id":"K1","error":{"code":"internal","message":"x"}}`},
		{"declaration-reply.schema.json", "unknown code", `{"error":{"code":"oops","message":"x"}}`},
	} {
		t.Run(tc.file+"/"+tc.name, func(t *testing.T) {
			if err := valid(compile(t, tc.file), []byte(tc.json)); err == nil {
				t.Fatalf("accepted: %s", tc.json)
			}
		})
	}
}

// delivered is a channel that accepts everything.
var delivered = notifiers.NotifierFunc(func(ctx context.Context, m notifiers.Message) (notifiers.Receipt, error) {
	return notifiers.Receipt{State: notifiers.StateDelivered, ProviderID: "fake-" + m.ID}, nil
})

type composer struct{}

func (composer) Compose(n activation.Notification, inc activation.Declared) (notifiers.Message, error) {
	return notifiers.Message{ID: n.ID, Incident: inc.ID, Person: n.Person, Channel: n.Channel, Purpose: n.Purpose, Text: "Test"}, nil
}

func runEngine(t *testing.T, ctx context.Context, js jetstream.JetStream) *engine.Engine {
	t.Helper()
	eng := engine.New(engine.Options{JS: js, Seal: true}) // as kaskade serve stores events
	ctx, cancel := context.WithCancel(ctx)
	done := make(chan struct{}, 2)
	go func() { _ = eng.Run(ctx); done <- struct{}{} }()
	chans := map[string]notifiers.Notifier{"sms": delivered, "email": delivered, "console": delivered, "voice": delivered}
	go func() {
		_ = eng.Dispatch(ctx, engine.DispatchOptions{Notifiers: chans, Composer: composer{}, Instance: "test"})
		done <- struct{}{}
	}()
	t.Cleanup(func() { cancel(); <-done; <-done })
	waitFor(t, ctx, eng.Leader)
	return eng
}

// request sends a declaration as a NATS request, validates the reply and
// returns the incident id. schemaOK and ok say whether the schema and the
// intake accept it.
func request(t *testing.T, ctx context.Context, nc *nats.Conn, l engine.Layout, s *jsonschema.Schema, decl string, schemaOK, ok bool) string {
	t.Helper()
	if err := valid(compile(t, "declaration.schema.json"), []byte(decl)); (err == nil) != schemaOK {
		t.Errorf("declaration %s: schema says %v", decl, err)
	}
	m, err := nc.RequestWithContext(ctx, l.DeclareSubject(), []byte(decl))
	if err != nil {
		t.Fatal(err)
	}
	if err := valid(s, m.Data); err != nil {
		t.Fatalf("reply %s: %v", m.Data, err)
	}
	var r struct {
		IncidentID string `json:"incident_id"`
	}
	_ = json.Unmarshal(m.Data, &r)
	if (r.IncidentID != "") != ok {
		t.Fatalf("reply %s", m.Data)
	}
	return r.IncidentID
}

// alerted returns the people the incident's first tiers alerted.
func alerted(t *testing.T, ctx context.Context, js jetstream.JetStream, l engine.Layout, eng *engine.Engine, id string) []string {
	t.Helper()
	var people []string
	for _, m := range rawEvents(t, ctx, js, l) {
		var ev activation.Event
		if err := json.Unmarshal(m.Data, &ev); err != nil {
			t.Fatal(err)
		}
		for _, ev := range ev.Unpacked() {
			eng.Open(ctx, &ev) // person ids are sealed in the log
			if ev.Incident == id && ev.Tier != nil {
				people = append(people, ev.Tier.Person)
			}
		}
	}
	if len(people) == 0 {
		t.Fatal("nobody alerted")
	}
	return people
}

// rawEvents reads the event log as stored.
func rawEvents(t *testing.T, ctx context.Context, js jetstream.JetStream, l engine.Layout) []*jetstream.RawStreamMsg {
	t.Helper()
	stream, err := js.Stream(ctx, l.EventsStream())
	if err != nil {
		t.Fatal(err)
	}
	info, err := stream.Info(ctx)
	if err != nil {
		t.Fatal(err)
	}
	var out []*jetstream.RawStreamMsg
	for seq := info.State.FirstSeq; seq <= info.State.LastSeq && info.State.Msgs > 0; seq++ {
		m, err := stream.GetMsg(ctx, seq)
		if err != nil {
			continue // a deleted sequence
		}
		out = append(out, m)
	}
	return out
}

// waitFor polls cond until it holds or ctx ends (no timed assertion: the
// context bounds only a hang).
func waitFor(t *testing.T, ctx context.Context, cond func() bool) {
	t.Helper()
	for !cond() {
		select {
		case <-ctx.Done():
			t.Fatal("condition not reached")
		case <-time.After(5 * time.Millisecond):
		}
	}
}

// TestDeclarationReplyNamesEveryErrorCode: each code the intake can answer a
// NATS declaration with (a declarer over its rate included) is in the schema.
func TestDeclarationReplyNamesEveryErrorCode(t *testing.T) {
	s := compile(t, "declaration-reply.schema.json")
	for _, code := range []string{alerting.CodeInvalidJSON, alerting.CodeUnknownScenario, alerting.CodeUnknownOrganisation,
		alerting.CodeMissingReason, alerting.CodeMissingDeclaredBy, alerting.CodeInvalidSeverity, alerting.CodeInvalidID,
		alerting.CodeTooLong, alerting.CodeInvalidText, alerting.CodeRateLimited, alerting.CodeInvalidDrill,
		alerting.CodeUnavailable, alerting.CodeInternal} {
		if err := valid(s, []byte(`{"error":{"code":"`+code+`","message":"x"}}`)); err != nil {
			t.Errorf("code %s: %v", code, err)
		}
	}
}
