package alerting

import (
	"context"
	"encoding/json"
	"errors"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/kaskade-bcm/kaskade/activation/engine"
	"github.com/kaskade-bcm/kaskade/alerting/proposal"
)

// WarningReply answers a CAP warning delivered over NATS with a reply subject.
type WarningReply struct {
	Status string `json:"status"` // accepted
	// Proposals are the ids the warning's messages were filed under (an
	// update or cancel lands on the proposal it references).
	Proposals []string `json:"proposals"`
}

// ServeWarnings answers CAP warnings on kaskade.intake.cap (Kaskade's own
// identity) and kaskade.intake.cap.<name> (intake identities) and processes
// every one persisted in the warnings stream, plain publishes included,
// until ctx ends. The same warning twice is one proposal.
func (i *Intake) ServeWarnings(ctx context.Context) error {
	answer := func(m *nats.Msg) {
		rctx, cancel := context.WithTimeout(ctx, 10*time.Second)
		defer cancel()
		ids, err := i.warning(rctx, m.Subject, m.Data)
		var v any = WarningReply{Status: "accepted", Proposals: ids}
		if err != nil {
			v = map[string]*Error{"error": AsError(err)}
		}
		b, _ := json.Marshal(v)
		_ = m.Respond(b)
	}
	return i.serveStream(ctx, i.opts.Layout.CAPSubject(), i.opts.Layout.CAPSendersFilter(), answer, i.opts.Layout.WarningsStream(), "warnings", func(m jetstream.Msg) {
		_, err := i.warning(ctx, m.Subject(), m.Data())
		var e *Error
		switch {
		case err != nil && ctx.Err() != nil:
			_ = m.Nak() // stopping: not refused, back to the stream
		case errors.As(err, &e) && e.Code == CodeInvalidWarning:
			i.quarantine(engine.QuarantineWarnings, m, err) // not a CAP warning at all
		case err == nil:
			_ = m.Ack()
		case errors.As(err, &e) && e.Code == CodeUnavailable:
			_ = m.NakWithDelay(time.Second)
		default:
			// Invalid warnings stay in the stream as received; logged (the
			// reason only), not retried.
			i.warnThrottled("refused:"+m.Subject(), "warning refused", "subject", m.Subject(), "err", clip(err.Error(), 200))
			_ = m.Term()
		}
	})
}

// warning files a CAP warning from subject: the sender's identity comes
// from the subject (only it may publish there), never from the payload.
func (i *Intake) warning(ctx context.Context, subject string, data []byte) ([]string, error) {
	if len(data) > engine.MaxWarningBytes {
		return nil, errorf(CodeTooLong, "warning is larger than %d bytes", engine.MaxWarningBytes)
	}
	ws, err := ParseWarnings(proposal.SourceCAP, data)
	if err != nil {
		return nil, err
	}
	by := "nats"
	if name := i.opts.Layout.CAPSender(subject); name != "" {
		by = "nats:" + name
	}
	ins := WarningInputs(i.Config(), ws, by)
	if _, err := i.SubmitWarnings(ctx, ins); err != nil {
		return nil, err
	}
	ids := make([]string, len(ins))
	for k, in := range ins {
		ids[k] = in.Incident
	}
	return ids, nil
}
