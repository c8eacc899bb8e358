package answer

import (
	"context"
	"strings"

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
	p, ok := s.config().Person(n.Person)
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
	p, ok := s.config().PersonByNumber(from)
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
	p, ok := s.config().PersonByNumber(from)
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

// Room returns the staff conference that the person with number may
// join: only a person alerted in the open incident (by this notification,
// kind "n"; or by caller ID, kind "i") who answered yes, and only the
// conference of the organisation whose staff that yes counts for.
func (s *Service) Room(_ context.Context, number, kind, ref string) (string, bool, error) {
	p, ok := s.config().PersonByNumber(number)
	if !ok {
		return "", false, nil
	}
	incident := ref
	if kind == "n" {
		incident = incidentOf(ref)
	}
	var org string
	allowed := false
	s.Engine.View(func(c *activation.Core) {
		if kind == "n" {
			if n, _, known := c.NotificationInfo(incident, ref); !known || n.Person != p.ID {
				return
			}
		}
		org, allowed = c.ComingTo(incident, p.ID)
	})
	if !allowed || incident == "" {
		return "", false, nil
	}
	return ConferenceRoom(incident, org), true, nil
}

// ConferenceRoom names the staff conference of an incident and organisation.
func ConferenceRoom(incident, org string) string { return "kaskade-" + incident + "-" + org }

// roomOf splits a conference room name; incident ids hold no "-",
// organisation ids may.
func roomOf(room string) (incident, org string, ok bool) {
	rest, ok := strings.CutPrefix(room, "kaskade-")
	incident, org, found := strings.Cut(rest, "-")
	return incident, org, ok && found && incident != "" && org != ""
}

// Participant records that the person with number joined or left a staff
// conference: an inbound voice event of the incident naming the
// organisation, which the board shows.
func (s *Service) Participant(ctx context.Context, room, number, callSID string, joined bool) error {
	incident, org, ok := roomOf(room)
	p, known := s.config().PersonByNumber(number)
	if !ok || !known {
		return nil
	}
	raw := activation.Inbound{Channel: activation.SourceVoice, From: mask(number), Person: p.ID, ProviderID: callSID,
		Org: org, Outcome: activation.OutcomeConferenceLeave}
	if joined {
		raw.Outcome = activation.OutcomeConferenceJoin
	}
	return s.store(ctx, incident, raw, nil, dedupID("conf-", callSID+"-"+raw.Outcome))
}
