package twiliotest

import (
	"context"
	"fmt"
	"log/slog"
	"net/url"
)

// playJoin plays verbs and, when they dialled into a conference, posts
// participant-join to the conference's statusCallback.
func (s *Server) playJoin(ctx context.Context, sid string, verbs []twimlVerb, machine bool) bool {
	ended := s.play(sid, verbs, machine)
	s.calls.mu.Lock()
	c := s.calls.bySID[sid]
	room, cb := c.Conference, c.confCB
	c.confCB = ""
	s.calls.mu.Unlock()
	if room != "" && cb != "" {
		s.conferenceEvent(ctx, cb, room, sid, "participant-join")
	}
	return ended
}

// Hangup ends a call as the callee would; a call in a conference leaves it
// first (participant-leave).
func (s *Server) Hangup(ctx context.Context, sid string) error {
	c, ok := s.Call(sid)
	if !ok {
		return fmt.Errorf("twiliotest: no call %s", sid)
	}
	if c.Conference != "" {
		s.calls.mu.Lock()
		s.calls.bySID[sid].Conference = ""
		s.calls.mu.Unlock()
		if cb := s.conferenceCallback(c); cb != "" {
			s.conferenceEvent(ctx, cb, c.Conference, sid, "participant-leave")
		}
	}
	s.callStatus(ctx, sid, "completed", "completed", c.AnsweredBy)
	return nil
}

// conferenceCallback is remembered per room: the join's callback URL.
func (s *Server) conferenceCallback(c Call) string {
	s.calls.mu.Lock()
	defer s.calls.mu.Unlock()
	return s.calls.rooms[c.Conference]
}

// conferenceEvent posts a signed conference status callback, as Twilio
// does: no caller numbers, only the call and the room.
func (s *Server) conferenceEvent(ctx context.Context, cb, room, sid, event string) {
	s.calls.mu.Lock()
	if s.calls.rooms == nil {
		s.calls.rooms = map[string]string{}
	}
	s.calls.rooms[room] = cb
	s.calls.mu.Unlock()
	form := url.Values{"AccountSid": {s.opts.AccountSID}, "CallSid": {sid}, "ConferenceSid": {"CF" + sid[2:]},
		"FriendlyName": {room}, "StatusCallbackEvent": {event}, "Muted": {"false"}, "Hold": {"false"},
		"Timestamp": {s.opts.Clock().UTC().Format("Mon, 02 Jan 2006 15:04:05 -0700")}}
	resp, err := s.postSigned(ctx, cb, form)
	if err != nil {
		s.opts.Logger.Warn("twiliotest: conference callback not delivered", slog.String("sid", sid), slog.String("error", err.Error()))
		return
	}
	resp.Body.Close()
}

// ConferenceEvent posts a participant callback (event "participant-join"
// or "participant-leave") of call sid in room again, signed, as Twilio
// does when it retries; the room must have had a join before.
func (s *Server) ConferenceEvent(ctx context.Context, room, sid, event string) error {
	s.calls.mu.Lock()
	cb := s.calls.rooms[room]
	s.calls.mu.Unlock()
	if cb == "" || len(sid) < 2 {
		return fmt.Errorf("twiliotest: no conference %q joined before", room)
	}
	s.conferenceEvent(ctx, cb, room, sid, event)
	return nil
}
