package twiliotest

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"
)

// Call is a call the Server accepted, with what the callee heard so far.
type Call struct {
	SID              string
	AccountSID       string
	To               string
	From             string
	Twiml            string // inline TwiML, or "" when URL is used
	URL              string
	MachineDetection string
	// AsyncAMD: AsyncAmd=true; the result goes to AsyncAMDCallback.
	AsyncAMD         bool
	AsyncAMDCallback string
	StatusCallback   string
	Events           []string // StatusCallbackEvent values
	Status           string   // queued, ringing, in-progress, completed, busy, no-answer, failed, canceled
	AnsweredBy       string   // human, machine_start, … when MachineDetection was asked for
	Direction        string   // outbound-api, or inbound for CallIn
	// Said are the <Say> texts played, in order; Waiting is true while a
	// <Gather> waits for keys (see Press).
	Said    []string
	Waiting bool
	// Conference is the room a <Dial><Conference> joined ("" for none).
	Conference string
	Created    time.Time
	Updated    time.Time
}

// CallOutcome is how the callee side of a call behaves.
type CallOutcome struct {
	// Status is the final status when the call is not answered: busy,
	// no-answer, failed or canceled; "" answers the call.
	Status string
	// AnsweredBy is reported when MachineDetection was asked for (default
	// human). A machine_* or fax callee never presses keys: every <Gather>
	// times out and the call ends after the TwiML. With AsyncAmd a
	// machine's greeting covers what is played before the AMD result:
	// only what follows it (an Update Call's TwiML) is recorded as said.
	AnsweredBy string
}

// calls is the Server's call state (kept apart from the Messages fake).
type calls struct {
	mu       sync.Mutex
	bySID    map[string]*liveCall
	order    []string
	outcomes map[string]CallOutcome
	rooms    map[string]string // conference → its statusCallback
	wg       sync.WaitGroup
}

// liveCall is a call and the TwiML it is executing.
type liveCall struct {
	Call
	gather *twimlVerb // the <Gather> waiting for keys
	rest   []twimlVerb
	seq    int
	confCB string // the conference's statusCallback, until the join is posted
	// redirect is the TwiML of an Update Call that arrived while the
	// async AMD callback was in flight; runCall plays it.
	redirect []twimlVerb
	inAMD    bool
}

func newCalls() *calls {
	return &calls{bySID: map[string]*liveCall{}, outcomes: map[string]CallOutcome{}}
}

// SetCallOutcome makes calls to number end as o (default: a human answers).
func (s *Server) SetCallOutcome(number string, o CallOutcome) {
	s.calls.mu.Lock()
	defer s.calls.mu.Unlock()
	s.calls.outcomes[number] = o
}

// Calls returns copies of the accepted calls in order of arrival.
func (s *Server) Calls() []Call {
	s.calls.mu.Lock()
	defer s.calls.mu.Unlock()
	out := make([]Call, 0, len(s.calls.order))
	for _, sid := range s.calls.order {
		out = append(out, s.calls.bySID[sid].snapshot())
	}
	return out
}

// Call returns the call sid.
func (s *Server) Call(sid string) (Call, bool) {
	s.calls.mu.Lock()
	defer s.calls.mu.Unlock()
	c, ok := s.calls.bySID[sid]
	if !ok {
		return Call{}, false
	}
	return c.snapshot(), true
}

func (c *liveCall) snapshot() Call {
	out := c.Call
	out.Said = slices.Clone(c.Said)
	out.Events = slices.Clone(c.Events)
	return out
}

func (s *Server) createCall(w http.ResponseWriter, r *http.Request, account string) {
	r.Body = http.MaxBytesReader(w, r.Body, 1<<20)
	if err := r.ParseForm(); err != nil {
		s.fail(w, Failure{Status: 400, Code: 20001, Message: "Invalid form body: " + err.Error()}, 0)
		return
	}
	f := r.PostForm
	c := &liveCall{Call: Call{AccountSID: account, To: f.Get("To"), From: f.Get("From"), Twiml: f.Get("Twiml"), URL: f.Get("Url"),
		MachineDetection: f.Get("MachineDetection"), StatusCallback: f.Get("StatusCallback"), Events: f["StatusCallbackEvent"],
		AsyncAMD: f.Get("AsyncAmd") == "true", AsyncAMDCallback: f.Get("AsyncAmdStatusCallback")}}
	switch {
	case c.To == "":
		s.fail(w, Failure{Status: 400, Code: 21201, Message: "No 'To' number is specified"}, 0)
		return
	case c.From == "":
		s.fail(w, Failure{Status: 400, Code: 21213, Message: "No 'From' number is specified"}, 0)
		return
	case c.Twiml == "" && c.URL == "" && f.Get("ApplicationSid") == "":
		s.fail(w, Failure{Status: 400, Code: 21205, Message: "Url, Twiml or ApplicationSid is required"}, 0)
		return
	case !validAMD(f):
		s.fail(w, Failure{Status: 400, Code: 20001, Message: "Invalid MachineDetection, AsyncAmd or AsyncAmdStatusCallbackMethod"}, 0)
		return
	case len(c.Twiml) > 4000:
		s.fail(w, Failure{Status: 400, Code: 13702, Message: "Twiml exceeds 4000 characters"}, 0)
		return
	case !isE164(c.To):
		s.fail(w, Failure{Status: 400, Code: 21211, Message: "The 'To' number " + c.To + " is not a valid phone number."}, 0)
		return
	}
	if c.Twiml != "" {
		if _, err := parseTwiML(c.Twiml); err != nil {
			s.fail(w, Failure{Status: 400, Code: 12100, Message: "Document parse failure: " + err.Error()}, 0)
			return
		}
	}
	if fl, ok := s.opts.Failures[c.To]; ok {
		s.fail(w, fl, 0)
		return
	}
	now := s.opts.Clock().UTC()
	c.SID, c.Status, c.Created, c.Updated = newSID("CA"), "queued", now, now
	s.calls.mu.Lock()
	s.calls.bySID[c.SID] = c
	s.calls.order = append(s.calls.order, c.SID)
	out := s.calls.outcomes[c.To]
	snap := c.snapshot()
	s.calls.wg.Add(1)
	s.calls.mu.Unlock()
	s.accepted.Add(1)
	writeJSON(w, http.StatusCreated, callResource(snap))
	go func() {
		defer s.calls.wg.Done()
		s.runCall(c.SID, out)
	}()
}

// runCall plays a call: initiated, ringing, then answered and its TwiML,
// or the final status of an unanswered call.
func (s *Server) runCall(sid string, out CallOutcome) {
	ctx := s.cb.ctx
	s.callStatus(ctx, sid, "initiated", "initiated", "")
	s.callStatus(ctx, sid, "ringing", "ringing", "")
	if out.Status != "" {
		s.callStatus(ctx, sid, "completed", out.Status, "")
		return
	}
	by := ""
	s.calls.mu.Lock()
	if c := s.calls.bySID[sid]; c.MachineDetection != "" {
		by = cmpOr(out.AnsweredBy, "human")
		c.AnsweredBy = by
	}
	s.calls.mu.Unlock()
	if s.asyncAMD(ctx, sid, by) {
		return
	}
	s.callStatus(ctx, sid, "answered", "in-progress", by)
	doc, err := s.callTwiML(ctx, sid)
	if err != nil {
		s.opts.Logger.Warn("twiliotest: no TwiML for the call", slog.String("sid", sid), slog.String("error", err.Error()))
		s.callStatus(ctx, sid, "completed", "failed", by)
		return
	}
	if s.playJoin(ctx, sid, doc, strings.HasPrefix(by, "machine") || by == "fax") {
		s.callStatus(ctx, sid, "completed", "completed", by)
	}
}

// callTwiML returns the inline TwiML or fetches it from Url (signed POST).
func (s *Server) callTwiML(ctx context.Context, sid string) ([]twimlVerb, error) {
	c, _ := s.Call(sid)
	if c.Twiml != "" {
		return parseTwiML(c.Twiml)
	}
	return s.fetchTwiML(ctx, c.URL, s.callForm(c, "in-progress"))
}

// play executes verbs until a <Gather> waits (false) or the call ends
// (true). A machine lets every <Gather> time out.
func (s *Server) play(sid string, verbs []twimlVerb, machine bool) (ended bool) {
	s.calls.mu.Lock()
	defer s.calls.mu.Unlock()
	c := s.calls.bySID[sid]
	c.gather, c.rest, c.Waiting = nil, nil, false
	for i := range verbs {
		v := &verbs[i]
		switch v.XMLName.Local {
		case "Say":
			c.Said = append(c.Said, strings.TrimSpace(v.Text))
		case "Gather":
			for _, in := range v.Children {
				if in.XMLName.Local == "Say" {
					c.Said = append(c.Said, strings.TrimSpace(in.Text))
				}
			}
			if machine {
				continue
			}
			c.gather, c.rest, c.Waiting = v, verbs[i+1:], true
			return false
		case "Hangup", "Reject":
			return true
		case "Dial":
			for _, in := range v.Children {
				if in.XMLName.Local == "Conference" {
					c.Conference, c.confCB = strings.TrimSpace(in.Text), in.attr("statusCallback")
					return false
				}
			}
		}
	}
	return true
}

// Press enters keys on a call waiting in a <Gather>, as the callee would:
// each Gather takes digits up to its numDigits or finishOnKey (default #),
// posts them signed to its action URL, and the TwiML answered is played;
// keys left over go to the next Gather. It returns what was said in
// answer to the keys.
func (s *Server) Press(ctx context.Context, sid, keys string) ([]string, error) {
	c, ok := s.Call(sid)
	if !ok {
		return nil, fmt.Errorf("twiliotest: no call %s", sid)
	}
	heard := len(c.Said)
	for keys != "" {
		s.calls.mu.Lock()
		lc := s.calls.bySID[sid]
		g := lc.gather
		s.calls.mu.Unlock()
		if g == nil {
			return nil, fmt.Errorf("twiliotest: call %s waits for no keys (left: %q)", sid, keys)
		}
		digits, finished, rest := takeDigits(g, keys)
		keys = rest
		form := s.callForm(c, "in-progress")
		form.Set("Digits", digits)
		if finished != "" {
			form.Set("FinishedOnKey", finished)
		}
		action, err := absolute(c, g.attr("action"))
		if err != nil {
			return nil, err
		}
		doc, err := s.fetchTwiML(ctx, action, form)
		if err != nil {
			return nil, err
		}
		if s.playJoin(ctx, sid, doc, false) {
			s.callStatus(ctx, sid, "completed", "completed", c.AnsweredBy)
			break
		}
	}
	c, _ = s.Call(sid)
	return c.Said[heard:], nil
}

// takeDigits consumes keys for one Gather.
func takeDigits(g *twimlVerb, keys string) (digits, finished, rest string) {
	finish := g.attr("finishOnKey")
	if _, set := g.attrOK("finishOnKey"); !set {
		finish = "#"
	}
	n, _ := strconv.Atoi(g.attr("numDigits"))
	for i := 0; i < len(keys); i++ {
		k := keys[i : i+1]
		if k == " " {
			continue
		}
		if finish != "" && k == finish {
			return digits, k, keys[i+1:]
		}
		digits += k
		if n > 0 && len(digits) >= n {
			return digits, "", keys[i+1:]
		}
	}
	return digits, "", ""
}

// absolute resolves a Gather action against the call's URL.
func absolute(c Call, action string) (string, error) {
	u, err := url.Parse(action)
	if err != nil || action == "" {
		return "", fmt.Errorf("twiliotest: Gather action %q: %v", action, err)
	}
	if u.IsAbs() {
		return action, nil
	}
	base, err := url.Parse(c.URL)
	if err != nil || !base.IsAbs() {
		return "", errors.New("twiliotest: relative Gather action without a call Url")
	}
	return base.ResolveReference(u).String(), nil
}

// callForm is the common part of a call webhook.
func (s *Server) callForm(c Call, status string) url.Values {
	f := url.Values{
		"AccountSid": {c.AccountSID}, "ApiVersion": {"2010-04-01"}, "CallSid": {c.SID}, "CallStatus": {status},
		"Direction": {cmpOr(c.Direction, "outbound-api")}, "From": {c.From}, "To": {c.To}, "Called": {c.To}, "Caller": {c.From},
	}
	if c.AnsweredBy != "" {
		f.Set("AnsweredBy", c.AnsweredBy)
	}
	return f
}

// fetchTwiML posts a signed call webhook and parses the TwiML answered.
func (s *Server) fetchTwiML(ctx context.Context, target string, form url.Values) ([]twimlVerb, error) {
	resp, err := s.postSigned(ctx, target, form)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, 64<<10))
	if err != nil {
		return nil, err
	}
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("twiliotest: %s answered %d: %s", target, resp.StatusCode, body)
	}
	return parseTwiML(string(body))
}

// callStatus records a status and posts the callback when event is asked
// for (completed always is).
func (s *Server) callStatus(ctx context.Context, sid, event, status, answeredBy string) {
	s.calls.mu.Lock()
	c := s.calls.bySID[sid]
	if event != "initiated" {
		c.Status, c.Updated = status, s.opts.Clock().UTC()
	}
	if event == "completed" {
		c.gather, c.Waiting = nil, false
	}
	c.seq++
	seq := c.seq
	snap := c.snapshot()
	s.calls.mu.Unlock()
	if snap.StatusCallback == "" || (event != "completed" && !slices.Contains(snap.Events, event)) {
		return
	}
	form := s.callForm(snap, status)
	form.Set("CallbackSource", "call-progress-events")
	form.Set("SequenceNumber", strconv.Itoa(seq-1))
	form.Set("Timestamp", s.opts.Clock().UTC().Format(time.RFC1123Z))
	if answeredBy != "" {
		form.Set("AnsweredBy", answeredBy)
	}
	if event == "completed" && status == "completed" {
		form.Set("CallDuration", "30")
	}
	resp, err := s.postSigned(ctx, snap.StatusCallback, form)
	if err != nil {
		s.opts.Logger.Warn("twiliotest: call status callback not delivered", slog.String("sid", sid), slog.String("error", err.Error()))
		return
	}
	resp.Body.Close()
	if resp.StatusCode < 300 {
		s.cbOK.Add(1)
	}
}

func cmpOr(a, b string) string {
	if a != "" {
		return a
	}
	return b
}
