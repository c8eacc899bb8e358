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

// Lookup finds the earliest message to m.To with m's text created in
// [from, until) (until zero: open; both compared in whole seconds, as
// Twilio dates are): first among those sent (To and DateSent> filters), then
// among the newest to m.To, which include those still queued (without
// DateSent). found is false when Twilio has none; err when it could not be
// asked.
func (s *Sender) Lookup(ctx context.Context, m notifiers.Message, from, until time.Time) (notifiers.Receipt, bool, error) {
	if m.To == "" {
		return notifiers.Receipt{}, false, nil
	}
	w := window{body: *s.params(m).Body, from: from.UTC().Truncate(time.Second)}
	if !until.IsZero() {
		w.until = until.UTC().Truncate(time.Second)
	}
	sent := (&api.ListMessageParams{}).SetTo(m.To).SetDateSentAfter(w.from).SetPageSize(lookupLimit).SetLimit(lookupLimit)
	newest := (&api.ListMessageParams{}).SetTo(m.To).SetPageSize(lookupLimit).SetLimit(lookupLimit)
	var best *api.ApiV2010Message
	var bestAt time.Time
	for _, p := range []*api.ListMessageParams{sent, newest} {
		msgs, err := s.list(ctx, p)
		if err != nil {
			return notifiers.Receipt{}, false, err
		}
		for i := range msgs {
			if at, ok := w.holds(msgs[i]); ok && (best == nil || at.Before(bestAt)) {
				best, bestAt = &msgs[i], at
			}
		}
		if best != nil {
			break
		}
	}
	if best == nil {
		return notifiers.Receipt{}, false, nil
	}
	r := notifiers.Receipt{State: notifiers.StateSent, ProviderID: *best.Sid, Detail: "found at Twilio after an unknown outcome"}
	if best.Status != nil {
		if st, ok := DeliveryState(*best.Status); ok {
			r.State = st
		}
	}
	return r, true, nil
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

// window is what an attempt's message looks like: its text, created from
// its latest try on and before the next try of another attempt to the same
// person.
type window struct {
	body        string
	from, until time.Time
}

func (w window) holds(msg api.ApiV2010Message) (time.Time, bool) {
	if msg.Sid == nil || msg.Body == nil || *msg.Body != w.body || msg.DateCreated == nil {
		return time.Time{}, false
	}
	created, err := time.Parse(time.RFC1123Z, *msg.DateCreated)
	if err != nil || created.Before(w.from) || (!w.until.IsZero() && !created.Before(w.until)) {
		return time.Time{}, false
	}
	return created, true
}
