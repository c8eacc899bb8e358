package twilio_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/getkin/kin-openapi/openapi3filter"

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
	opts := &openapi3filter.Options{IncludeResponseStatus: true, MultiError: true,
		AuthenticationFunc: func(context.Context, *openapi3filter.AuthenticationInput) error { return nil }}
	ex := cap.exchanges()
	if len(ex) != 1 {
		t.Fatalf("captured %d exchanges, want 1 create", len(ex))
	}
	e := ex[0]
	req, _ := http.NewRequestWithContext(ctx, e.req.Method, "https://api.twilio.com"+e.req.URL.RequestURI(), bytes.NewReader(e.reqBody))
	req.Header = e.req.Header.Clone()
	route, params, err := findRoute(doc, router, req)
	if err != nil {
		t.Fatalf("no route for %s: %v", req.URL.Path, err)
	}
	if route.Operation.OperationID != "CreateCall" {
		t.Fatalf("routed to %s", route.Operation.OperationID)
	}
	in := &openapi3filter.RequestValidationInput{Request: req, PathParams: params, Route: route, Options: opts}
	if err := openapi3filter.ValidateRequest(ctx, in); err != nil {
		t.Errorf("request violates CreateCall: %v\nbody: %s", err, e.reqBody)
	}
	out := &openapi3filter.ResponseValidationInput{RequestValidationInput: in, Status: e.status, Header: e.respHeader,
		Body: io.NopCloser(bytes.NewReader(e.respBody)), Options: opts}
	if err := openapi3filter.ValidateResponse(ctx, out); err != nil {
		t.Errorf("response %d violates CreateCall: %v\nbody: %s", e.status, err, e.respBody)
	}
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
