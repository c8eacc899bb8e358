package alerting

import (
	"context"
	"time"
)

// answer declares what a NATS request carried, received at received. The
// request is also persisted in the declare stream; when the stream consumer
// recorded it first (after the request arrived), this is the same
// declaration, not a duplicate of an earlier one, and the requester is told so.
func (i *Intake) answer(ctx context.Context, subject string, data []byte, received time.Time) (Result, error) {
	res, err := i.handleRaw(ctx, subject, data)
	if err != nil || !res.Duplicate {
		return res, err
	}
	d, perr := Parse(data)
	if perr != nil {
		return res, nil
	}
	scope := ""
	if name := i.opts.Layout.Declarer(subject); name != "" {
		scope = name + "\x00"
	}
	bucket, key := i.dedupKey(d, data, scope)
	e, gerr := bucket.Get(ctx, key)
	if gerr == nil && e.Created().After(received) && string(e.Value()) == res.IncidentID {
		res.Duplicate = false
	}
	return res, nil
}
