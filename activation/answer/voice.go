package answer

import (
	"context"

	"github.com/kaskade-bcm/kaskade/activation"
	"github.com/kaskade-bcm/kaskade/activation/answer/reply"
	"github.com/kaskade-bcm/kaskade/config"
)

// VoiceAnswer records a keypad answer given in the call of notification
// and returns the text to say back, in the person's language; the rules
// are the SMS rules (source voice). digits are in the reply grammar ("1",
// "2 20", "3"). A CallSid and digits seen before record nothing and get the
// first answer again.
func (s *Service) VoiceAnswer(ctx context.Context, notification, digits, callSID string) (string, error) {
	incident := incidentOf(notification)
	var n activation.Notification
	known := false
	if incident != "" {
		s.Engine.View(func(c *activation.Core) { n, _, known = c.NotificationInfo(incident, notification) })
	}
	p, ok := s.Config.Person(n.Person)
	if !known || !ok {
		s.log().Info("keypad answer for an unknown notification ignored", "notification", notification)
		return "", nil
	}
	text, replay, err := s.once(ctx, seenKey("voice", callSID, digits), func() (string, error) {
		raw := activation.Inbound{Channel: activation.SourceVoice, From: mask(voiceNumber(p)), Body: clip(digits), ProviderID: callSID}
		return s.Record(ctx, Answer{Person: p, Reply: reply.Parse(digits), Raw: raw,
			MsgID: dedupID("voice-", seenKey("v", callSID, digits)), Incident: incident})
	})
	if replay {
		s.log().Info("keypad replay ignored: already recorded", "notification", notification)
	}
	return text, err
}

// voiceNumber is the number a call to p goes to.
func voiceNumber(p *config.Person) string { return p.VoiceNumber() }

// Caller is a calling number as Kaskade knows it.
type Caller struct {
	Known    bool
	Language string
	Open     []activation.Declared // the person's open incidents
}

// Caller identifies a calling number by mobile or phone and lists the
// person's open alerts; an unknown number is Known false.
func (s *Service) Caller(_ context.Context, from string) (Caller, error) {
	p, ok := s.Config.PersonByNumber(from)
	if !ok {
		return Caller{}, nil
	}
	c := Caller{Known: true, Language: p.Language}
	s.Engine.View(func(core *activation.Core) { c.Open = core.OpenIncidentsOf(p.ID) })
	return c, nil
}

// CallerAnswer records a keypad answer of a caller to incident (source
// voice, same rules as SMS) and returns the text to say back.
func (s *Service) CallerAnswer(ctx context.Context, from, incident, digits, callSID string) (string, error) {
	p, ok := s.Config.PersonByNumber(from)
	if !ok {
		return "", nil
	}
	text, _, err := s.once(ctx, seenKey("voice", callSID, incident, digits), func() (string, error) {
		raw := activation.Inbound{Channel: activation.SourceVoice, From: mask(from), Body: clip(digits), ProviderID: callSID}
		return s.Record(ctx, Answer{Person: p, Reply: reply.Parse(digits), Raw: raw,
			MsgID: dedupID("voice-", seenKey("vi", callSID, incident, digits)), Incident: incident})
	})
	return text, err
}
