package twiliotest

import (
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"
)

// amdHook is Kaskade's side for the fake: it records the signed AMD
// callbacks and redirects a machine with Update Call.
type amdHook struct {
	s      *Server
	api    string
	mu     sync.Mutex
	got    []url.Values
	badSig int
}

func (h *amdHook) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	form, _ := url.ParseQuery(string(body))
	full := "http://" + r.Host + r.URL.RequestURI()
	h.mu.Lock()
	if r.Header.Get("X-Twilio-Signature") != Signature(h.s.AuthToken(), full, form) {
		h.badSig++
	}
	if r.URL.Path == "/amd" {
		h.got = append(h.got, form)
	}
	h.mu.Unlock()
	if r.URL.Path == "/amd" && strings.HasPrefix(form.Get("AnsweredBy"), "machine") {
		upd := url.Values{"Twiml": {`<Response><Say>Bitte per SMS antworten.</Say><Hangup/></Response>`}}
		req, _ := http.NewRequest(http.MethodPost, h.api+"/2010-04-01/Accounts/"+h.s.AccountSID()+"/Calls/"+form.Get("CallSid")+".json",
			strings.NewReader(upd.Encode()))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		req.SetBasicAuth(h.s.AccountSID(), h.s.AuthToken())
		if resp, err := http.DefaultClient.Do(req); err == nil {
			resp.Body.Close()
		}
	}
	w.WriteHeader(http.StatusNoContent)
}

func TestAsyncAMDAndUpdateCall(t *testing.T) {
	const script = `<Response><Gather numDigits="1" action="/g"><Say>Alarm. Drücken Sie die 1.</Say></Gather><Say>Ende.</Say></Response>`
	tests := []struct {
		name, by string
		said     []string
		status   string
		waiting  bool
	}{
		{"machine redirected", "machine_end_beep", []string{"Bitte per SMS antworten."}, "completed", false},
		{"human hears the script", "human", []string{"Alarm. Drücken Sie die 1."}, "in-progress", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := NewServer(Options{})
			api := httptest.NewServer(s)
			hook := &amdHook{s: s, api: api.URL}
			kaskade := httptest.NewServer(hook)
			defer func() { kaskade.Close(); api.Close(); s.Close() }()
			s.SetCallOutcome("+4915100000001", CallOutcome{AnsweredBy: tt.by})
			rw, body := do(t, s, "POST", "/2010-04-01/Accounts/"+DefaultAccountSID+"/Calls.json", DefaultAccountSID, DefaultAuthToken,
				url.Values{"To": {"+4915100000001"}, "From": {"+4930123456"}, "Twiml": {script}, "MachineDetection": {"DetectMessageEnd"},
					"AsyncAmd": {"true"}, "AsyncAmdStatusCallback": {kaskade.URL + "/amd?n=K1-n1"}, "AsyncAmdStatusCallbackMethod": {"POST"},
					"StatusCallback": {kaskade.URL + "/status"}})
			if rw.Code != http.StatusCreated {
				t.Fatalf("create: %d %v", rw.Code, body)
			}
			sid := body["sid"].(string)
			var c Call
			for i := 0; i < 300; i++ {
				c, _ = s.Call(sid)
				if c.Status == tt.status && c.Waiting == tt.waiting && len(c.Said) > 0 {
					break
				}
				time.Sleep(10 * time.Millisecond)
			}
			if strings.Join(c.Said, "|") != strings.Join(tt.said, "|") || c.Status != tt.status || c.AnsweredBy != tt.by {
				t.Fatalf("call %+v", c)
			}
			hook.mu.Lock()
			defer hook.mu.Unlock()
			if len(hook.got) != 1 || hook.got[0].Get("AnsweredBy") != tt.by || hook.got[0].Get("CallSid") != sid || hook.badSig != 0 {
				t.Fatalf("AMD callbacks %v, %d badly signed", hook.got, hook.badSig)
			}
		})
	}
}

func TestUpdateCallErrors(t *testing.T) {
	s := NewServer(Options{})
	defer s.Close()
	base := "/2010-04-01/Accounts/" + DefaultAccountSID + "/Calls"
	s.SetCallOutcome("+4915100000002", CallOutcome{Status: "busy"})
	rw, body := do(t, s, "POST", base+".json", DefaultAccountSID, DefaultAuthToken,
		url.Values{"To": {"+4915100000002"}, "From": {"+4930123456"}, "Twiml": {"<Response><Say>x</Say></Response>"}})
	if rw.Code != http.StatusCreated {
		t.Fatalf("create: %d", rw.Code)
	}
	busy := body["sid"].(string)
	for i := 0; i < 300; i++ {
		if c, _ := s.Call(busy); c.Status == "busy" {
			break
		}
		time.Sleep(10 * time.Millisecond)
	}
	twiml := url.Values{"Twiml": {"<Response><Say>y</Say></Response>"}}
	tests := []struct {
		name, path string
		form       url.Values
		status     int
		code       float64
	}{
		{"bad MachineDetection", base + ".json", url.Values{"To": {"+4915100000003"}, "From": {"+4930123456"}, "Twiml": {"<Response/>"},
			"MachineDetection": {"Sometimes"}}, 400, 20001},
		{"GET AMD callback not modelled", base + ".json", url.Values{"To": {"+4915100000003"}, "From": {"+4930123456"}, "Twiml": {"<Response/>"},
			"MachineDetection": {"Enable"}, "AsyncAmd": {"true"}, "AsyncAmdStatusCallbackMethod": {"GET"}}, 400, 20001},
		{"unknown call", base + "/CA00000000000000000000000000000000.json", twiml, 404, 20404},
		{"ended call", base + "/" + busy + ".json", twiml, 400, 21220},
		{"bad status", base + "/" + busy + ".json", url.Values{"Status": {"paused"}}, 400, 20001},
		{"nothing to do", base + "/" + busy + ".json", url.Values{}, 400, 21205},
		{"bad TwiML", base + "/" + busy + ".json", url.Values{"Twiml": {"<Say>"}}, 400, 12100},
	}
	for _, tt := range tests {
		rw, body := do(t, s, "POST", tt.path, DefaultAccountSID, DefaultAuthToken, tt.form)
		if rw.Code != tt.status || body["code"] != tt.code {
			t.Errorf("%s: %d %v, want %d %v", tt.name, rw.Code, body, tt.status, tt.code)
		}
	}
}

func TestUpdateCallHangsUp(t *testing.T) {
	s := NewServer(Options{})
	defer s.Close()
	base := "/2010-04-01/Accounts/" + DefaultAccountSID + "/Calls"
	rw, body := do(t, s, "POST", base+".json", DefaultAccountSID, DefaultAuthToken, url.Values{"To": {"+4915100000004"},
		"From": {"+4930123456"}, "Twiml": {`<Response><Gather action="https://k.example/g"><Say>x</Say></Gather></Response>`}})
	if rw.Code != http.StatusCreated {
		t.Fatalf("create: %d", rw.Code)
	}
	sid := body["sid"].(string)
	waitCall(t, s, sid, func(c Call) bool { return c.Waiting })
	if rw, body := do(t, s, "POST", base+"/"+sid+".json", DefaultAccountSID, DefaultAuthToken, url.Values{"Status": {"completed"}}); rw.Code != http.StatusOK || body["sid"] != sid {
		t.Fatalf("update: %d %v", rw.Code, body)
	}
	waitCall(t, s, sid, func(c Call) bool { return c.Status == "completed" && !c.Waiting })
}

func waitCall(t *testing.T, s *Server, sid string, cond func(Call) bool) {
	t.Helper()
	for i := 0; i < 300; i++ {
		if c, _ := s.Call(sid); cond(c) {
			return
		}
		time.Sleep(10 * time.Millisecond)
	}
	c, _ := s.Call(sid)
	t.Fatalf("call %+v", c)
}
