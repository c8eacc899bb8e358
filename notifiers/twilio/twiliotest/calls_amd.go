package twiliotest

import (
	"context"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
)

// validAMD checks the answering-machine parameters of Create Call.
func validAMD(f url.Values) bool {
	switch f.Get("MachineDetection") {
	case "", "Enable", "DetectMessageEnd":
	default:
		return false
	}
	switch f.Get("AsyncAmd") {
	case "", "true", "false":
	default:
		return false
	}
	// The fake posts the AMD result; a GET callback is not modelled.
	m := f.Get("AsyncAmdStatusCallbackMethod")
	return m == "" || m == http.MethodPost
}

func isMachine(by string) bool { return strings.HasPrefix(by, "machine") || by == "fax" }

// asyncAMD plays a call placed with AsyncAmd=true: answered without
// AnsweredBy, the AMD result posted signed to AsyncAmdStatusCallback, then
// the TwiML. A machine's greeting covers the script, so it records only
// what an Update Call sent during the callback. False: no async AMD.
func (s *Server) asyncAMD(ctx context.Context, sid, by string) bool {
	s.calls.mu.Lock()
	c := s.calls.bySID[sid]
	if !c.AsyncAMD || c.MachineDetection == "" {
		s.calls.mu.Unlock()
		return false
	}
	c.AnsweredBy, c.inAMD = "", true
	s.calls.mu.Unlock()
	s.callStatus(ctx, sid, "answered", "in-progress", "")
	doc, err := s.callTwiML(ctx, sid)
	if err != nil {
		s.opts.Logger.Warn("twiliotest: no TwiML for the call", slog.String("sid", sid), slog.String("error", err.Error()))
		s.callStatus(ctx, sid, "completed", "failed", "")
		return true
	}
	s.postAMD(ctx, sid, by)
	s.calls.mu.Lock()
	c.inAMD = false
	redirect, ended := c.redirect, c.Status == "completed" || c.Status == "canceled"
	c.redirect = nil
	s.calls.mu.Unlock()
	if ended {
		return true
	}
	if redirect != nil {
		doc = redirect
	}
	if s.playJoin(ctx, sid, doc, isMachine(by)) {
		s.callStatus(ctx, sid, "completed", "completed", by)
	}
	return true
}

// postAMD records the AMD result and posts it as Twilio does.
func (s *Server) postAMD(ctx context.Context, sid, by string) {
	s.calls.mu.Lock()
	c := s.calls.bySID[sid]
	c.AnsweredBy = by
	target, account := c.AsyncAMDCallback, c.AccountSID
	s.calls.mu.Unlock()
	if target == "" {
		return
	}
	form := url.Values{"AccountSid": {account}, "CallSid": {sid}, "AnsweredBy": {by}, "MachineDetectionDuration": {"2500"}}
	resp, err := s.postSigned(ctx, target, form)
	if err != nil {
		s.opts.Logger.Warn("twiliotest: AMD callback not delivered", slog.String("sid", sid), slog.String("error", err.Error()))
		return
	}
	resp.Body.Close()
	if resp.StatusCode < 300 {
		s.cbOK.Add(1)
	}
}

// updateCall is POST Calls/{Sid}.json: Twiml (or Url) redirects the call,
// Status=completed or canceled ends it.
func (s *Server) updateCall(w http.ResponseWriter, r *http.Request, sid string) {
	r.Body = http.MaxBytesReader(w, r.Body, 1<<20)
	if err := r.ParseForm(); err != nil {
		s.fail(w, Failure{Status: 400, Code: 20001, Message: "Invalid form body: " + err.Error()}, 0)
		return
	}
	f := r.PostForm
	status, twiml := f.Get("Status"), f.Get("Twiml")
	var doc []twimlVerb
	switch {
	case status != "" && status != "completed" && status != "canceled":
		s.fail(w, Failure{Status: 400, Code: 20001, Message: "Invalid Status " + status}, 0)
		return
	case status == "" && twiml == "" && f.Get("Url") == "":
		s.fail(w, Failure{Status: 400, Code: 21205, Message: "Url, Twiml or Status is required"}, 0)
		return
	case len(twiml) > 4000:
		s.fail(w, Failure{Status: 400, Code: 13702, Message: "Twiml exceeds 4000 characters"}, 0)
		return
	case status == "" && twiml == "":
		s.fail(w, Failure{Status: 400, Code: 20001, Message: "twiliotest: Update Call with Url is not modelled"}, 0)
		return
	case twiml != "":
		var err error
		if doc, err = parseTwiML(twiml); err != nil {
			s.fail(w, Failure{Status: 400, Code: 12100, Message: "Document parse failure: " + err.Error()}, 0)
			return
		}
	}
	s.calls.mu.Lock()
	c, ok := s.calls.bySID[sid]
	if !ok {
		s.calls.mu.Unlock()
		s.fail(w, Failure{Status: 404, Code: 20404}, 0)
		return
	}
	if c.Status != "in-progress" && c.Status != "ringing" && c.Status != "queued" {
		s.calls.mu.Unlock()
		s.fail(w, Failure{Status: 400, Code: 21220, Message: "Call is not in-progress. Cannot redirect."}, 0)
		return
	}
	inAMD, by := c.inAMD, c.AnsweredBy
	final := "completed"
	if c.Status != "in-progress" {
		final = "canceled"
	}
	switch {
	case inAMD && status == "":
		c.redirect = doc
	case inAMD:
		c.Status = final // runCall stops after the AMD callback
	}
	c.Updated = s.opts.Clock().UTC()
	snap := c.snapshot()
	s.calls.wg.Add(1)
	s.calls.mu.Unlock()
	writeJSON(w, http.StatusOK, callResource(snap))
	go func() {
		defer s.calls.wg.Done()
		s.applyUpdate(sid, status, final, by, doc, inAMD)
	}()
}

// applyUpdate ends the call (Status) or plays the new TwiML at once; during
// the AMD callback runCall plays it instead.
func (s *Server) applyUpdate(sid, status, final, by string, doc []twimlVerb, inAMD bool) {
	ctx := s.cb.ctx
	switch {
	case status != "":
		s.callStatus(ctx, sid, "completed", final, by)
	case !inAMD:
		if s.playJoin(ctx, sid, doc, isMachine(by)) {
			s.callStatus(ctx, sid, "completed", "completed", by)
		}
	}
}

// callSID returns {Sid} of "Calls/{Sid}.json".
func callSID(rest string) (string, bool) {
	p, ok := strings.CutPrefix(rest, "Calls/")
	if !ok {
		return "", false
	}
	sid, ok := strings.CutSuffix(p, ".json")
	return sid, ok && strings.HasPrefix(sid, "CA") && !strings.Contains(sid, "/")
}
