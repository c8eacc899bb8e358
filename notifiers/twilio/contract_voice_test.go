package twilio_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/openapi3filter"
	"github.com/getkin/kin-openapi/routers"

	"github.com/kaskade-bcm/kaskade/notifiers"
	"github.com/kaskade-bcm/kaskade/notifiers/twilio"
	"github.com/kaskade-bcm/kaskade/notifiers/twilio/twiliotest"
)

// TestContractCalls validates the Voice notifier's Create Call request and
// the fake's answer against Twilio's OpenAPI description of Calls.
func TestContractCalls(t *testing.T) {
	doc, router := loadSpec(t)
	f := twiliotest.NewServer(twiliotest.Options{AccountSID: "AC0123456789abcdef0123456789abcdef"})
	f.SetCallOutcome("+4915100000001", twiliotest.CallOutcome{Status: "busy"}) // no TwiML webhooks needed
	cap := &capturing{h: f}
	api := httptest.NewServer(cap)
	defer api.Close()
	defer f.Close()
	v, err := twilio.NewVoice(twilio.Options{AccountSID: f.AccountSID(), AuthToken: f.AuthToken(), From: testFrom, APIURL: api.URL},
		twilio.VoiceOptions{PublicURL: "https://kaskade.example.de"})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	if _, err := v.Notify(ctx, notifiers.Message{ID: "K1-n1", To: "+4915100000001", Text: "Notfall: Stab bilden <sofort> & „jetzt“",
		Purpose: notifiers.PurposeAlert, Language: "de", Exercise: true}); err != nil {
		t.Fatal(err)
	}
	ex := cap.exchanges()
	if len(ex) != 1 {
		t.Fatalf("captured %d exchanges, want 1 create", len(ex))
	}
	out := validateExchange(t, doc, router, ex[0], "CreateCall")
	if !bytes.Contains(ex[0].reqBody, []byte("AsyncAmd=true")) || !bytes.Contains(ex[0].reqBody, []byte("MachineDetection=DetectMessageEnd")) {
		t.Errorf("create without async AMD: %s", ex[0].reqBody)
	}
	e := ex[0]
	// Not vacuous: an unknown status fails.
	var m map[string]any
	_ = json.Unmarshal(e.respBody, &m)
	m["status"] = "teleported"
	bad, _ := json.Marshal(m)
	out.Body = io.NopCloser(bytes.NewReader(bad))
	if err := openapi3filter.ValidateResponse(ctx, out); err == nil {
		t.Error("a call with status teleported passed validation")
	}
}

// TestContractUpdateCall validates the Update Call that redirects an
// answering machine, and the fake's answer, against UpdateCall.
func TestContractUpdateCall(t *testing.T) {
	doc, router := loadSpec(t)
	f := twiliotest.NewServer(twiliotest.Options{AccountSID: "AC0123456789abcdef0123456789abcdef"})
	cap := &capturing{h: f}
	api := httptest.NewServer(cap)
	defer api.Close()
	defer f.Close()
	sink := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { w.WriteHeader(http.StatusNoContent) }))
	defer sink.Close()
	v, err := twilio.NewVoice(twilio.Options{AccountSID: f.AccountSID(), AuthToken: f.AuthToken(), From: testFrom, APIURL: api.URL},
		twilio.VoiceOptions{PublicURL: sink.URL})
	if err != nil {
		t.Fatal(err)
	}
	r, err := v.Notify(context.Background(), notifiers.Message{ID: "K1-n1", To: "+4915100000002", Text: "Notfall", Purpose: notifiers.PurposeAlert, Language: "de"})
	if err != nil {
		t.Fatal(err)
	}
	waitUntil(t, "the gather", func() bool { c, _ := f.Call(r.ProviderID); return c.Waiting })
	if err := v.UpdateCall(context.Background(), r.ProviderID, twilio.MachineTwiML("de", true, true)); err != nil {
		t.Fatal(err)
	}
	ex := cap.exchanges()
	if len(ex) != 2 {
		t.Fatalf("captured %d exchanges, want create and update", len(ex))
	}
	validateExchange(t, doc, router, ex[1], "UpdateCall")
	waitUntil(t, "the end of the call", func() bool { c, _ := f.Call(r.ProviderID); return c.Status == "completed" })
	if c, _ := f.Call(r.ProviderID); !strings.Contains(c.Said[len(c.Said)-1], "rufen Sie diese Nummer zurück") {
		t.Fatalf("after the update the call said %q", c.Said)
	}
	// A call that ended cannot be redirected: Twilio's 21220.
	if err := v.UpdateCall(context.Background(), r.ProviderID, twilio.MachineTwiML("de", false, false)); err == nil || !strings.Contains(err.Error(), "21220") {
		t.Fatalf("update of an ended call: %v", err)
	}
}

// validateExchange checks request and response of e against operation op.
func validateExchange(t *testing.T, doc *openapi3.T, router routers.Router, e exchange, op string) *openapi3filter.ResponseValidationInput {
	t.Helper()
	ctx := context.Background()
	opts := &openapi3filter.Options{IncludeResponseStatus: true, MultiError: true,
		AuthenticationFunc: func(context.Context, *openapi3filter.AuthenticationInput) error { return nil }}
	req, _ := http.NewRequestWithContext(ctx, e.req.Method, "https://api.twilio.com"+e.req.URL.RequestURI(), bytes.NewReader(e.reqBody))
	req.Header = e.req.Header.Clone()
	route, params, err := findRoute(doc, router, req)
	if err != nil {
		t.Fatalf("no route for %s: %v", req.URL.Path, err)
	}
	if route.Operation.OperationID != op {
		t.Fatalf("routed to %s, want %s", route.Operation.OperationID, op)
	}
	in := &openapi3filter.RequestValidationInput{Request: req, PathParams: params, Route: route, Options: opts}
	if err := openapi3filter.ValidateRequest(ctx, in); err != nil {
		t.Errorf("request violates %s: %v\nbody: %s", op, err, e.reqBody)
	}
	out := &openapi3filter.ResponseValidationInput{RequestValidationInput: in, Status: e.status, Header: e.respHeader,
		Body: io.NopCloser(bytes.NewReader(e.respBody)), Options: opts}
	if err := openapi3filter.ValidateResponse(ctx, out); err != nil {
		t.Errorf("response %d violates %s: %v\nbody: %s", e.status, op, err, e.respBody)
	}
	return out
}
