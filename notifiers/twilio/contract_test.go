package twilio_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/openapi3filter"
	"github.com/getkin/kin-openapi/routers"
	"github.com/getkin/kin-openapi/routers/legacy"
	"github.com/twilio/twilio-go/client"

	"github.com/kaskade-bcm/kaskade/notifiers"
	"github.com/kaskade-bcm/kaskade/notifiers/twilio"
	"github.com/kaskade-bcm/kaskade/notifiers/twilio/twiliotest"
)

// specPath is the part of Twilio's OpenAPI description the contract needs
// (MIT, testdata/LICENSE; testdata/extract.go makes it from twilio-oai).
const specPath = "testdata/twilio_api_v2010_subset.json"

// exchange is one request to the fake and its answer.
type exchange struct {
	req        *http.Request
	reqBody    []byte
	status     int
	respHeader http.Header
	respBody   []byte
}

// capturing wraps h and records every exchange.
type capturing struct {
	h  http.Handler
	mu sync.Mutex
	ex []exchange
}

func (c *capturing) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	r.Body = io.NopCloser(bytes.NewReader(body))
	rec := httptest.NewRecorder()
	c.h.ServeHTTP(rec, r)
	c.mu.Lock()
	c.ex = append(c.ex, exchange{req: r.Clone(context.Background()), reqBody: body, status: rec.Code, respHeader: rec.Header().Clone(), respBody: rec.Body.Bytes()})
	c.mu.Unlock()
	for k, v := range rec.Header() {
		w.Header()[k] = v
	}
	w.WriteHeader(rec.Code)
	w.Write(rec.Body.Bytes())
}

func (c *capturing) exchanges() []exchange {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]exchange(nil), c.ex...)
}

func loadSpec(t *testing.T) (*openapi3.T, routers.Router) {
	t.Helper()
	loader := openapi3.NewLoader()
	doc, err := loader.LoadFromFile(specPath)
	if err != nil {
		t.Fatalf("loading %s: %v", specPath, err)
	}
	// Twilio's own examples violate its patterns (e.g. an AP… SID as trunk_sid),
	// so examples are not validated.
	router, err := legacy.NewRouter(doc, openapi3.DisableExamplesValidation())
	if err != nil {
		t.Fatalf("routing %s: %v", specPath, err)
	}
	return doc, router
}

// TestContractWithTwilioOpenAPI validates the requests the Sender sends and
// the fake's answers against Twilio's own OpenAPI description.
func TestContractWithTwilioOpenAPI(t *testing.T) {
	doc, router := loadSpec(t)

	f := twiliotest.NewServer(twiliotest.Options{
		AccountSID: "AC0123456789abcdef0123456789abcdef",
		Outcomes:   map[string]twiliotest.Outcome{"+4915100000002": {Status: "undelivered", ErrorCode: 30006}},
	})
	cap := &capturing{h: f}
	api := httptest.NewServer(cap)
	defer api.Close()
	defer f.Close()

	statuses := make(chan twilio.StatusCallback, 16)
	mux := http.NewServeMux()
	kaskade := httptest.NewServer(mux)
	defer kaskade.Close()
	// Signatures cover the public URL; here that is the test server's.
	hooks := twilio.NewWebhooks(twilio.WebhookOptions{PublicURL: kaskade.URL, AuthTokens: []string{f.AuthToken()},
		Status: twilio.StatusFunc(func(_ context.Context, s twilio.StatusCallback) error { statuses <- s; return nil })})
	mux.Handle("/webhooks/twilio/status", hooks.Status())

	ctx := context.Background()
	viaFrom := sender(t, f, api.URL, func(o *twilio.Options) {
		o.StatusCallbackURL = kaskade.URL + "/webhooks/twilio/status"
	})
	viaService := sender(t, f, api.URL, func(o *twilio.Options) {
		o.MessagingServiceSID = "MG0123456789abcdef0123456789abcdef"
	})
	r1, err := viaFrom.Notify(ctx, msg("n1", "+4915100000001", "ÜBUNG: Stab MI, bitte mit 1, 2 <Minuten> oder 3 antworten. 5 €"))
	if err != nil {
		t.Fatal(err)
	}
	r2, err := viaFrom.Notify(ctx, msg("n2", "+4915100000002", "Alarm"))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := viaService.Notify(ctx, msg("n3", "+4915100000003", "Alarm")); err != nil {
		t.Fatal(err)
	}
	// Wait for both messages' final callbacks so fetch shows delivered and
	// undelivered with an error code.
	final := 0
	for final < 2 {
		if s := <-statuses; s.MessageStatus != "sent" {
			final++
		}
	}
	for _, sid := range []string{r1.ProviderID, r2.ProviderID} {
		req, _ := http.NewRequest(http.MethodGet, api.URL+"/2010-04-01/Accounts/"+f.AccountSID()+"/Messages/"+sid+".json", nil)
		req.SetBasicAuth(f.AccountSID(), f.AuthToken())
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
	}

	lookups(t, f, api.URL, viaFrom, r1.ProviderID)

	opts := &openapi3filter.Options{
		IncludeResponseStatus: true,
		MultiError:            true,
		AuthenticationFunc: func(_ context.Context, in *openapi3filter.AuthenticationInput) error {
			if _, _, ok := in.RequestValidationInput.Request.BasicAuth(); !ok {
				return in.NewError(nil)
			}
			return nil
		},
	}
	ex := cap.exchanges()
	if len(ex) != 10 {
		t.Fatalf("captured %d exchanges, want 3 creates, 2 fetches, 3 lookups and 2 pages", len(ex))
	}
	for i, e := range ex {
		// Route against the spec's server, https://api.twilio.com.
		req, err := http.NewRequestWithContext(ctx, e.req.Method, "https://api.twilio.com"+e.req.URL.RequestURI(), bytes.NewReader(e.reqBody))
		if err != nil {
			t.Fatal(err)
		}
		req.Header = e.req.Header.Clone()
		route, params, err := findRoute(doc, router, req)
		if err != nil {
			t.Fatalf("exchange %d %s %s: no route in spec: %v", i, req.Method, req.URL.Path, err)
		}
		in := &openapi3filter.RequestValidationInput{Request: req, PathParams: params, Route: route, Options: opts}
		if err := openapi3filter.ValidateRequest(ctx, in); err != nil {
			t.Errorf("exchange %d %s %s: request violates %s: %v\nbody: %s", i, req.Method, route.Path, route.Operation.OperationID, err, e.reqBody)
		}
		out := &openapi3filter.ResponseValidationInput{
			RequestValidationInput: in,
			Status:                 e.status,
			Header:                 e.respHeader,
			Body:                   io.NopCloser(bytes.NewReader(e.respBody)),
			Options:                opts,
		}
		if err := openapi3filter.ValidateResponse(ctx, out); err != nil {
			t.Errorf("exchange %d %s %s: response %d violates %s: %v\nbody: %s", i, req.Method, route.Path, e.status, route.Operation.OperationID, err, e.respBody)
		}
		if i == 0 {
			checkValidatorBites(t, in, e)
		}
	}
}

// lookups reconciles a sent message (found by To and DateSent>) and one
// never sent (not found after both list requests), then reads the list
// page by page through next_page_uri.
func lookups(t *testing.T, f *twiliotest.Server, apiURL string, s *twilio.Sender, sid string) {
	t.Helper()
	ctx := context.Background()
	since := time.Now().Add(-time.Minute)
	r, found, err := s.Lookup(ctx, msg("n1", "+4915100000001", "ÜBUNG: Stab MI, bitte mit 1, 2 <Minuten> oder 3 antworten. 5 €"), since, time.Time{})
	if err != nil || !found || r.ProviderID != sid || r.State != notifiers.StateDelivered {
		t.Fatalf("lookup of a sent message = %+v, %v, %v; want delivered %s", r, found, err, sid)
	}
	if r, found, err := s.Lookup(ctx, msg("n9", "+4915100000009", "Alarm"), since, time.Time{}); err != nil || found {
		t.Fatalf("lookup of a message never sent = %+v, %v, %v", r, found, err)
	}
	uri := "/2010-04-01/Accounts/" + f.AccountSID() + "/Messages.json?PageSize=2"
	var sids []string
	for uri != "" {
		req, _ := http.NewRequest(http.MethodGet, apiURL+uri, nil)
		req.SetBasicAuth(f.AccountSID(), f.AuthToken())
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		var page struct {
			Messages []struct {
				SID string `json:"sid"`
			} `json:"messages"`
			Next *string `json:"next_page_uri"`
		}
		err = json.NewDecoder(resp.Body).Decode(&page)
		resp.Body.Close()
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range page.Messages {
			sids = append(sids, m.SID)
		}
		uri = ""
		if page.Next != nil {
			uri = *page.Next
		}
	}
	if len(sids) != 3 || sids[2] != sid {
		t.Fatalf("paged list = %v, want 3 messages, oldest %s last", sids, sid)
	}
}

// checkValidatorBites makes sure the validation is not vacuous: a response
// with a wrongly typed field and a request with a malformed parameter fail.
func checkValidatorBites(t *testing.T, in *openapi3filter.RequestValidationInput, e exchange) {
	t.Helper()
	ctx := context.Background()
	var m map[string]any
	if err := json.Unmarshal(e.respBody, &m); err != nil {
		t.Fatal(err)
	}
	m["num_segments"], m["status"] = 1, "teleported"
	bad, _ := json.Marshal(m)
	err := openapi3filter.ValidateResponse(ctx, &openapi3filter.ResponseValidationInput{
		RequestValidationInput: in, Status: e.status, Header: e.respHeader,
		Body: io.NopCloser(bytes.NewReader(bad)), Options: in.Options,
	})
	if err == nil {
		t.Error("a response with num_segments as a number and an unknown status passed validation")
	}
	body := strings.Replace(string(e.reqBody), "ValidityPeriod=900", "ValidityPeriod=soon", 1)
	req, _ := http.NewRequest(http.MethodPost, "https://api.twilio.com"+in.Request.URL.Path, strings.NewReader(body))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.SetBasicAuth("AC0123456789abcdef0123456789abcdef", "x")
	badIn := *in
	badIn.Request = req
	if err := openapi3filter.ValidateRequest(ctx, &badIn); err == nil {
		t.Errorf("a request with ValidityPeriod=soon passed validation: %s", body)
	}
}

// TestContractErrorShape checks the fake's error answers against what
// twilio-go decodes (the spec documents no error responses for Messages).
func TestContractErrorShape(t *testing.T) {
	f, url := fake(t, twiliotest.Options{})
	req, _ := http.NewRequest(http.MethodPost, url+"/2010-04-01/Accounts/"+f.AccountSID()+"/Messages.json", nil)
	req.SetBasicAuth(f.AccountSID(), f.AuthToken())
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var raw map[string]any
	if err := json.NewDecoder(resp.Body).Decode(&raw); err != nil {
		t.Fatal(err)
	}
	for _, k := range []string{"code", "message", "more_info", "status"} {
		if _, ok := raw[k]; !ok {
			t.Errorf("error JSON lacks %q: %v", k, raw)
		}
	}
	b, _ := json.Marshal(raw)
	var te client.TwilioRestError
	if err := json.Unmarshal(b, &te); err != nil || te.Code != 21604 || te.Status != 400 || resp.StatusCode != 400 {
		t.Fatalf("decoded %+v (%v), HTTP %d; want 21604/400", te, err, resp.StatusCode)
	}
}

// findRoute asks the router first. kin-openapi's legacy router does not
// match a path parameter followed by a literal suffix ("{Sid}.json"), so
// the templates this package uses are matched by hand as a fallback.
func findRoute(doc *openapi3.T, router routers.Router, req *http.Request) (*routers.Route, map[string]string, error) {
	route, params, err := router.FindRoute(req)
	if err == nil {
		return route, params, nil
	}
	for _, tmpl := range []string{
		"/2010-04-01/Accounts/{AccountSid}/Messages.json",
		"/2010-04-01/Accounts/{AccountSid}/Messages/{Sid}.json",
		"/2010-04-01/Accounts/{AccountSid}/Calls.json",
		"/2010-04-01/Accounts/{AccountSid}/Calls/{Sid}.json",
	} {
		var names []string
		var pattern strings.Builder
		rest := tmpl
		for {
			open, close := strings.Index(rest, "{"), strings.Index(rest, "}")
			if open < 0 || close < open {
				pattern.WriteString(regexp.QuoteMeta(rest))
				break
			}
			pattern.WriteString(regexp.QuoteMeta(rest[:open]) + "([^/]+?)")
			names = append(names, rest[open+1:close])
			rest = rest[close+1:]
		}
		got := regexp.MustCompile("^" + pattern.String() + "$").FindStringSubmatch(req.URL.Path)
		item := doc.Paths.Value(tmpl)
		if got == nil || item == nil || item.GetOperation(req.Method) == nil {
			continue
		}
		params := map[string]string{}
		for i, n := range names {
			params[n] = got[i+1]
		}
		return &routers.Route{Spec: doc, Path: tmpl, PathItem: item, Method: req.Method, Operation: item.GetOperation(req.Method)}, params, nil
	}
	return nil, nil, err
}
