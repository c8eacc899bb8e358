package twiliotest

import (
	"context"
	"encoding/json"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/twilio/twilio-go/client"
)

func do(t *testing.T, h http.Handler, method, path, user, pass string, form url.Values) (*httptest.ResponseRecorder, map[string]any) {
	t.Helper()
	req := httptest.NewRequest(method, path, strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	if user != "" {
		req.SetBasicAuth(user, pass)
	}
	rw := httptest.NewRecorder()
	h.ServeHTTP(rw, req)
	var body map[string]any
	_ = json.Unmarshal(rw.Body.Bytes(), &body)
	return rw, body
}

func TestServerAPI(t *testing.T) {
	s := NewServer(Options{})
	defer s.Close()
	create := "/2010-04-01/Accounts/" + DefaultAccountSID + "/Messages.json"
	ok := url.Values{"To": {"+4915112345234"}, "From": {"+4930123456"}, "Body": {"x"}}
	tests := []struct {
		name       string
		method     string
		path       string
		user, pass string
		form       url.Values
		status     int
		code       float64
	}{
		{"no auth", "POST", create, "", "", ok, 401, 20003},
		{"wrong token", "POST", create, DefaultAccountSID, "nope", ok, 401, 20003},
		{"other account", "POST", "/2010-04-01/Accounts/AC11111111111111111111111111111111/Messages.json", DefaultAccountSID, DefaultAuthToken, ok, 404, 20404},
		{"no To", "POST", create, DefaultAccountSID, DefaultAuthToken, url.Values{"From": {"+4930123456"}, "Body": {"x"}}, 400, 21604},
		{"no From", "POST", create, DefaultAccountSID, DefaultAuthToken, url.Values{"To": {"+4915112345234"}, "Body": {"x"}}, 400, 21603},
		{"no Body", "POST", create, DefaultAccountSID, DefaultAuthToken, url.Values{"To": {"+4915112345234"}, "From": {"+4930123456"}}, 400, 21602},
		{"fetch unknown", "GET", "/2010-04-01/Accounts/" + DefaultAccountSID + "/Messages/SM00.json", DefaultAccountSID, DefaultAuthToken, nil, 404, 20404},
		{"created", "POST", create, DefaultAccountSID, DefaultAuthToken, ok, 201, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rw, body := do(t, s, tt.method, tt.path, tt.user, tt.pass, tt.form)
			if rw.Code != tt.status {
				t.Fatalf("status %d, want %d: %s", rw.Code, tt.status, rw.Body)
			}
			if tt.code != 0 && (body["code"] != tt.code || body["status"] != float64(tt.status) || body["more_info"] == nil) {
				t.Fatalf("error body %v, want code %v", body, tt.code)
			}
			if rw.Header().Get("Twilio-Concurrent-Requests") == "" {
				t.Fatal("no Twilio-Concurrent-Requests header")
			}
		})
	}
	msgs := s.Messages()
	if len(msgs) != 1 || s.Stats().Accepted != 1 {
		t.Fatalf("messages %v, stats %+v", msgs, s.Stats())
	}
	rw, body := do(t, s, "GET", "/2010-04-01/Accounts/"+DefaultAccountSID+"/Messages/"+msgs[0].SID+".json", DefaultAccountSID, DefaultAuthToken, nil)
	if rw.Code != 200 || body["sid"] != msgs[0].SID || body["status"] != "queued" || body["num_segments"] != "1" {
		t.Fatalf("fetch: %d %v", rw.Code, body)
	}
	if _, err := time.Parse(time.RFC1123Z, body["date_created"].(string)); err != nil {
		t.Fatalf("date_created: %v", err)
	}
}

func TestSendInboundIsSigned(t *testing.T) {
	s := NewServer(Options{})
	defer s.Close()
	got := make(chan bool, 1)
	var hs *httptest.Server
	hs = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		r.ParseForm()
		params := map[string]string{}
		for k := range r.PostForm {
			params[k] = r.PostForm.Get(k)
		}
		v := client.NewRequestValidator(DefaultAuthToken)
		got <- v.Validate(hs.URL+r.URL.RequestURI(), params, r.Header.Get("X-Twilio-Signature")) &&
			r.PostForm.Get("Body") == "1 K7" && r.PostForm.Get("NumMedia") == "0"
	}))
	defer hs.Close()
	resp, err := s.SendInbound(context.Background(), hs.URL+"/webhooks/twilio/sms", "+4915112345234", "+4930123456", "1 K7")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if !<-got {
		t.Fatal("inbound SMS not signed as twilio-go validates")
	}
}

func TestListenAndServe(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- ListenAndServe(ctx, addr, Options{}) }()
	var resp *http.Response
	for range 100 {
		if resp, err = http.Get("http://" + addr + "/2010-04-01/Accounts/x/Messages.json"); err == nil {
			break
		}
		time.Sleep(10 * time.Millisecond)
	}
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusUnauthorized {
		t.Fatalf("status %d, want 401", resp.StatusCode)
	}
	cancel()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
}
