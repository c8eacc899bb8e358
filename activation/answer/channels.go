package answer

import (
	"context"
	"strings"
	"time"

	"github.com/kaskade-bcm/kaskade/activation"
	"github.com/kaskade-bcm/kaskade/activation/answer/ack"
	"github.com/kaskade-bcm/kaskade/activation/answer/reply"
	"github.com/kaskade-bcm/kaskade/notifiers"
)

const maxStoredBody = 1600

// dedupID makes a message id for the input stream; without a provider id
// there is nothing to deduplicate by.
func dedupID(prefix, id string) string {
	if id == "" {
		return ""
	}
	return prefix + id
}

func clip(s string) string {
	if len(s) > maxStoredBody {
		return s[:maxStoredBody]
	}
	return s
}

// SMSReply attributes an SMS reply by its sender number and returns the
// confirmation to send back ("" for unknown senders). providerID (Twilio's
// MessageSid) deduplicates a provider's retries and replays: a MessageSid
// seen before (72 h) gets the first answer again and records nothing.
func (s *Service) SMSReply(ctx context.Context, from, body, providerID string) (string, error) {
	return s.SMSReplyOptOut(ctx, from, body, providerID, "")
}

// SMSReplyOptOut is SMSReply for a message Twilio classified: optOut is
// its OptOutType (STOP, START, HELP, or "" when Advanced Opt-Out is off).
// Twilio has then opted the number out or in on its keyword list (German
// words too) and confirmed it; Kaskade records the same.
func (s *Service) SMSReplyOptOut(ctx context.Context, from, body, providerID, optOut string) (string, error) {
	text, replay, err := s.once(ctx, seenKey("sms", providerID), func() (string, error) {
		return s.smsReply(ctx, from, body, providerID, strings.ToUpper(strings.TrimSpace(optOut)))
	})
	if replay {
		s.log().Info("SMS replay ignored: MessageSid already recorded", "from", mask(from))
	}
	return text, err
}

func (s *Service) smsReply(ctx context.Context, from, body, providerID, optOut string) (string, error) {
	raw := activation.Inbound{Channel: activation.SourceSMS, From: mask(from), Body: clip(body), ProviderID: providerID}
	msgID := dedupID("sms-", providerID)
	p, ok := s.config().PersonByMobile(from)
	if !ok {
		raw = minimiseUnknown(raw, body)
		raw.Outcome = OutcomeUnknownSender
		s.log().Info("SMS from an unknown sender ignored", "from", mask(from))
		return "", s.store(ctx, "_", raw, nil, msgID)
	}
	r := reply.Parse(body)
	if optOut == "" && s.twilioOptsIn(p.ID, body) {
		optOut = "START"
	}
	switch {
	case optOut == "STOP":
		r = reply.Reply{Kind: reply.Stop, Raw: body}
	case optOut == "START" && r.Kind.IsResponse():
		// "yes" opts in at Twilio and answers the alert: both are recorded.
		in := raw
		in.Person, in.Outcome = p.ID, OutcomeStart
		if err := s.store(ctx, "_", in, nil, dedupID("sms-start-", providerID)); err != nil {
			return "", err
		}
	case optOut == "START":
		r = reply.Reply{Kind: reply.Start, Raw: body}
	}
	return s.Record(ctx, Answer{Person: p, Reply: r, Raw: raw, MsgID: msgID, CarrierKeyword: optOut != ""})
}

// Delivery turns a provider's delivery receipt into an input; late or
// repeated receipts are harmless because the core never moves a state
// backwards. detail says where it came from ("twilio delivered").
func (s *Service) Delivery(ctx context.Context, notification string, state notifiers.State, providerID, code, detail string) error {
	incident := incidentOf(notification)
	if incident == "" {
		return nil
	}
	known, cur := false, notifiers.State("")
	s.Engine.View(func(c *activation.Core) { _, cur, known = c.NotificationInfo(incident, notification) })
	if !known {
		s.log().Info("delivery receipt for an unknown notification ignored", "notification", notification)
		return nil
	}
	if state == notifiers.StateFailed && cur.Final() {
		// A late or repeated failure changes nothing, and stored it would
		// show „Zustellung fehlgeschlagen“ for a message already delivered.
		s.log().Info("failure receipt for a finished notification ignored", "notification", notification, "state", string(cur))
		return nil
	}
	in := activation.Input{Incident: incident, Delivery: &activation.Delivery{Notification: notification, State: state,
		ProviderID: providerID, Code: code, Detail: detail}}
	_, err := s.submit(ctx, in, "st-"+notification+"-"+string(state)+"-"+detail)
	return err
}

// Ack is the one-click acknowledgement sink.
type Ack struct{ *Service }

// Current shows what the person answered so far.
func (s Ack) Current(_ context.Context, c ack.Claims) (ack.Status, error) {
	st := ack.Status{}
	p, ok := s.config().Person(c.Person)
	if !ok {
		return st, nil
	}
	st.PersonName, st.Language = p.Name, p.Language
	s.Engine.View(func(core *activation.Core) {
		decl, found := core.Declaration(c.Incident)
		kind, eta, at, inIncident := core.Answer(c.Incident, c.Person)
		if !found || !inIncident {
			return
		}
		st.Known, st.Open = true, !core.Closed(c.Incident)
		st.IncidentTitle, st.Exercise, st.Answer = decl.Title, decl.Exercise, string(kind)
		if !eta.IsZero() {
			st.ETA = &eta
		}
		if !at.IsZero() && kind != "" {
			st.AnsweredAt = &at
		}
	})
	return st, nil
}

// Record stores a button press from the ack page.
func (s Ack) Record(ctx context.Context, c ack.Claims, kind string, minutes int) (ack.Status, error) {
	st, _ := s.Current(ctx, c)
	if !st.Known {
		return st, nil
	}
	if !st.Open {
		return st, ack.ErrClosed
	}
	in := activation.Input{Incident: c.Incident, Response: &activation.Response{Person: c.Person,
		Kind: activation.ResponseKind(kind), Minutes: minutes, Source: activation.SourceWeb}}
	seq, err := s.submit(ctx, in, "")
	if err != nil {
		return st, err
	}
	wctx, cancel := context.WithTimeout(ctx, 3*time.Second)
	defer cancel()
	_ = s.Engine.WaitInput(wctx, seq)
	return s.Current(ctx, c)
}

// EmailAnswer attributes an email reply; see EmailInbound.
func (s *Service) EmailAnswer(ctx context.Context, tag, from, firstLine, messageID string) error {
	return s.EmailInbound(ctx, EmailIn{Tag: tag, From: from, FirstLine: firstLine, MessageID: messageID})
}

// twilioOptsIn: body is "YES", which Twilio takes as an opt-in by default
// (like START), from a person Kaskade has as stopped.
func (s *Service) twilioOptsIn(person, body string) bool {
	if !strings.EqualFold(strings.TrimSpace(body), "yes") {
		return false
	}
	stopped := false
	s.Engine.View(func(c *activation.Core) { stopped = c.SMSStopped(person) })
	return stopped
}
