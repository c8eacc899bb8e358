package twiliotest

import (
	"context"
	"fmt"
)

// CallIn rings Kaskade's number to from from: it posts the signed
// incoming-call webhook to webhookURL, plays the TwiML answered and
// returns the call; a waiting <Gather> takes keys with Press.
func (s *Server) CallIn(ctx context.Context, webhookURL, from, to string) (Call, error) {
	now := s.opts.Clock().UTC()
	c := &liveCall{Call: Call{SID: newSID("CA"), AccountSID: s.opts.AccountSID, From: from, To: to, URL: webhookURL,
		Direction: "inbound", Status: "in-progress", Created: now, Updated: now}}
	s.calls.mu.Lock()
	s.calls.bySID[c.SID] = c
	s.calls.order = append(s.calls.order, c.SID)
	snap := c.snapshot()
	s.calls.mu.Unlock()
	doc, err := s.fetchTwiML(ctx, webhookURL, s.callForm(snap, "ringing"))
	if err != nil {
		return Call{}, fmt.Errorf("twiliotest: incoming call: %w", err)
	}
	rejected := len(doc) > 0 && doc[0].XMLName.Local == "Reject"
	if s.playJoin(ctx, c.SID, doc, false) {
		status := "completed"
		if rejected {
			status = "busy"
		}
		s.callStatus(ctx, c.SID, "completed", status, "")
	}
	out, _ := s.Call(c.SID)
	return out, nil
}
