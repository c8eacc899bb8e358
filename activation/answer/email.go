package answer

import (
	"context"
	"strings"

	"github.com/kaskade-bcm/kaskade/activation"
	"github.com/kaskade-bcm/kaskade/activation/answer/ack"
	"github.com/kaskade-bcm/kaskade/activation/answer/reply"
	"github.com/kaskade-bcm/kaskade/config"
)

// EmailIn is one email reply as the listener hands it over.
type EmailIn struct {
	// Tag is the signed reply tag (ack.Signer.ReplyTag) of the address.
	Tag string
	// From is the header From address; it must be the tag's person.
	From      string
	FirstLine string
	// MessageID deduplicates replays for 72 h.
	MessageID string
	// Auth summarises the receiving server's Authentication-Results; stored.
	Auth string
}

// Reasons an email reply is rejected (Rejected.Reason).
const (
	RejectUnknownTag     = "unknown_tag"
	RejectSenderMismatch = "sender_mismatch"
)

// Rejected is returned for an email reply that is refused; the listener
// counts it per sender (RejectReason) and limits senders that collect them.
type Rejected struct{ Reason string }

func (r *Rejected) Error() string        { return "answer: email reply rejected: " + r.Reason }
func (r *Rejected) RejectReason() string { return r.Reason }

// EmailInbound attributes an email reply: its tag must be signed for the
// notification and person it names, and the sender must be that person.
// Errors are *Rejected or wrap engine.ErrUnavailable. A Message-ID seen
// before from the same person records nothing.
func (s *Service) EmailInbound(ctx context.Context, in EmailIn) error {
	p, _ := s.config().PersonByEmail(in.From)
	n, ok := s.taggedNotification(in.Tag, p)
	if !ok {
		s.log().Info("email reply with an unknown or forged tag dropped", "from", mask(in.From))
		return &Rejected{Reason: RejectUnknownTag}
	}
	raw := activation.Inbound{Channel: activation.SourceEmail, From: mask(in.From), Body: clip(in.FirstLine),
		ProviderID: in.MessageID, Auth: clip(in.Auth)}
	incident := incidentOf(n.ID)
	if p == nil || p.ID != n.Person {
		raw = minimiseUnknown(raw, in.FirstLine)
		raw.Outcome = OutcomeUnknownSender
		s.log().Info("email reply not from the person its tag was issued to; dropped", "from", mask(in.From), "notification", n.ID)
		if err := s.store(ctx, "_", raw, nil, dedupID("mail-", seenKey("x", in.From, in.MessageID))); err != nil {
			return err
		}
		return &Rejected{Reason: RejectSenderMismatch}
	}
	key := seenKey("mail", p.ID, in.MessageID)
	_, replay, err := s.once(ctx, key, func() (string, error) {
		return s.Record(ctx, Answer{Person: p, Reply: reply.Parse(in.FirstLine), Raw: raw, MsgID: dedupID("mail-", key), Incident: incident})
	})
	if replay {
		s.log().Info("email replay ignored: Message-ID already recorded", "notification", n.ID)
	}
	return err
}

// taggedNotification finds the notification a reply tag names and checks
// the tag's signature for its person. A tag whose case was folded is
// matched among the sender's open incidents.
func (s *Service) taggedNotification(tag string, sender *config.Person) (activation.Notification, bool) {
	id, ok := ack.ReplyTagNotification(tag)
	if !ok || s.ReplyTags == nil {
		return activation.Notification{}, false
	}
	incident := incidentOf(id)
	var n activation.Notification
	found := false
	s.Engine.View(func(c *activation.Core) {
		if n, _, found = c.NotificationInfo(incident, id); found || sender == nil {
			return
		}
		for _, d := range c.OpenIncidentsOf(sender.ID) {
			if strings.EqualFold(d.ID, incident) {
				n, _, found = c.NotificationInfo(d.ID, d.ID+id[len(incident):])
			}
		}
	})
	return n, found && s.ReplyTags.VerifyReplyTag(tag, n.ID, n.Person)
}
