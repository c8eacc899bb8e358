package twilio

import (
	"context"
	"fmt"
	"time"

	api "github.com/twilio/twilio-go/rest/api/v2010"

	"github.com/kaskade-bcm/kaskade/notifiers"
)

var _ notifiers.Reconciler = (*Sender)(nil)

// lookupLimit bounds the messages read per list request: one person gets
// few messages in the window of one attempt.
const lookupLimit = 50

// Lookup finds a message to m.To with m's text accepted since since (an
// attempt whose outcome was unknown after a crash): first among those sent
// (To and DateSent> filters), then among the newest to m.To, which include
// those still queued (they have no DateSent yet). found is false when
// Twilio has none; err when it could not be asked.
func (s *Sender) Lookup(ctx context.Context, m notifiers.Message, since time.Time) (notifiers.Receipt, bool, error) {
	if m.To == "" {
		return notifiers.Receipt{}, false, nil
	}
	body := *s.params(m).Body
	since = since.UTC().Truncate(time.Second)
	sent := (&api.ListMessageParams{}).SetTo(m.To).SetDateSentAfter(since).SetPageSize(lookupLimit).SetLimit(lookupLimit)
	newest := (&api.ListMessageParams{}).SetTo(m.To).SetPageSize(lookupLimit).SetLimit(lookupLimit)
	for _, p := range []*api.ListMessageParams{sent, newest} {
		msgs, err := s.list(ctx, p)
		if err != nil {
			return notifiers.Receipt{}, false, err
		}
		for _, msg := range msgs {
			if r, ok := matchSent(msg, body, since); ok {
				return r, true, nil
			}
		}
	}
	return notifiers.Receipt{}, false, nil
}

func (s *Sender) list(ctx context.Context, p *api.ListMessageParams) ([]api.ApiV2010Message, error) {
	callCtx, cancel := context.WithTimeout(ctx, s.opts.Timeout)
	defer cancel()
	c := &call{base: s.base, ctx: callCtx, target: s.target}
	msgs, err := s.service(c).ListMessage(p)
	if err != nil {
		return nil, fmt.Errorf("twilio: list messages: %w", err)
	}
	return msgs, nil
}

// matchSent reports whether msg is the attempt's message: same text,
// created at or after since (a message to the same number before it is
// another attempt's).
func matchSent(msg api.ApiV2010Message, body string, since time.Time) (notifiers.Receipt, bool) {
	if msg.Sid == nil || msg.Body == nil || *msg.Body != body || msg.DateCreated == nil {
		return notifiers.Receipt{}, false
	}
	created, err := time.Parse(time.RFC1123Z, *msg.DateCreated)
	if err != nil || created.Before(since) {
		return notifiers.Receipt{}, false
	}
	r := notifiers.Receipt{State: notifiers.StateSent, ProviderID: *msg.Sid, Detail: "found at Twilio after an unknown outcome"}
	if msg.Status != nil {
		if st, ok := DeliveryState(*msg.Status); ok {
			r.State = st
		}
	}
	return r, true
}
