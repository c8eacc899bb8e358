package twilio

import (
	"context"
	"fmt"

	api "github.com/twilio/twilio-go/rest/api/v2010"
)

// CallUpdater redirects a call in progress to new TwiML (Update Call).
type CallUpdater interface {
	UpdateCall(ctx context.Context, sid, twiml string) error
}

var _ CallUpdater = (*Voice)(nil)

// UpdateCall makes call sid play twiml instead of its script (POST
// Calls/{Sid}.json). It shares the notifier's credentials, timeout and
// concurrency, so any instance can redirect a call another one placed.
func (v *Voice) UpdateCall(ctx context.Context, sid, twiml string) error {
	s := v.s
	select {
	case s.sem <- struct{}{}:
	case <-ctx.Done():
		return fmt.Errorf("twilio voice: update call: waiting for a slot: %w", context.Cause(ctx))
	}
	defer func() { <-s.sem }()
	callCtx, cancel := context.WithTimeout(ctx, s.opts.Timeout)
	defer cancel()
	c := &call{base: s.base, ctx: callCtx, target: s.target}
	if _, err := s.service(c).UpdateCall(sid, (&api.UpdateCallParams{}).SetTwiml(twiml)); err != nil {
		return fmt.Errorf("twilio voice: update call %s: %w", sid, err)
	}
	return nil
}
