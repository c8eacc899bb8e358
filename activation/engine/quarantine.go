package engine

import (
	"context"
	"errors"
	"sync"

	"github.com/kaskade-bcm/kaskade/activation"
)

// A message that cannot be decoded, or an event of a kind this build does
// not know, is quarantined: skipped, logged once with its stream and
// sequence (never its content: it may carry personal data) and counted in
// kaskade_quarantined_messages_total. It is never applied to the core.

// Streams named in logs and in the metric's label.
const (
	QuarantineEvents  = "events"
	QuarantineInput   = "input"
	QuarantineDeclare = "declare"
	// QuarantineWarnings: the intake's CAP warnings stream (KASKADE_WARNINGS).
	QuarantineWarnings = "warnings"
)

// quarantine remembers what was reported, so a replay after a restart
// neither logs nor counts the same message again.
type quarantine struct {
	mu   sync.Mutex
	seen map[string]map[uint64]bool
}

// quarantine reports a skipped message once per stream and sequence.
func (e *Engine) quarantine(stream string, seq uint64, err error) {
	q := &e.quar
	q.mu.Lock()
	defer q.mu.Unlock()
	if q.seen[stream][seq] {
		return
	}
	if q.seen == nil {
		q.seen = map[string]map[uint64]bool{}
	}
	if q.seen[stream] == nil {
		q.seen[stream] = map[uint64]bool{}
	}
	q.seen[stream][seq] = true
	e.opts.Metrics.Quarantined(stream)
	e.log.Error("message quarantined: skipped, never applied", "stream", stream, "seq", seq, "err", err)
}

// errUnknownEvent marks an event of a kind unknown to this build, or one
// without the payload its kind needs.
var errUnknownEvent = errors.New("unknown event")

// decodeEvents decodes a message of the log (an event or a pack), opens
// the sealed fields of its events and checks that the core can apply them.
func (e *Engine) decodeEvents(data []byte) ([]activation.Event, error) {
	evs, err := decodeEvents(data)
	for i := range evs {
		e.keys.openEvent(context.Background(), &evs[i])
	}
	return evs, err
}

// applicable reports whether ev's kind is known and carries its payload.
func applicable(ev activation.Event) bool {
	switch ev.Kind {
	case activation.KindDeclared:
		return ev.Declared != nil
	case activation.KindActivationStarted:
		return ev.Activation != nil
	case activation.KindTierAlerted:
		return ev.Tier != nil
	case activation.KindNodeExhausted:
		return ev.Exhausted != nil
	case activation.KindNotification:
		return ev.Notification != nil
	case activation.KindDelivery:
		return ev.Delivery != nil
	case activation.KindResponse:
		return ev.Response != nil
	case activation.KindReadiness:
		return ev.Readiness != nil
	case activation.KindUpdate:
		return ev.Update != nil
	case activation.KindStoodDown:
		return ev.StandDown != nil
	case activation.KindInbound, activation.KindRejected:
		return true
	case activation.KindConverted:
		return ev.Converted != nil
	case activation.KindBatchAborted:
		return ev.Aborted != 0
	case activation.KindProposalReceived:
		return ev.Proposal != nil
	case activation.KindProposalConfirmed, activation.KindProposalDismissed:
		return ev.ProposalDecision != nil
	case activation.KindProposalWithdrawn:
		return ev.Withdrawn != nil
	case activation.KindConfigReloaded:
		return ev.Reload != nil
	case activation.KindPersonErased:
		return ev.Erased != nil
	case activation.KindRetention:
		return ev.Retained != nil
	}
	return false
}

func truncate(s string, n int) string {
	if len(s) > n {
		return s[:n] + "…"
	}
	return s
}
