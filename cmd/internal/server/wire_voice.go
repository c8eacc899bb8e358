package server

import (
	"context"
	"net/http"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/kaskade-bcm/kaskade/activation/answer"
	"github.com/kaskade-bcm/kaskade/config"
	"github.com/kaskade-bcm/kaskade/notifiers"
	"github.com/kaskade-bcm/kaskade/notifiers/twilio"
)

// wireVoice adds the voice notifier and its signed webhooks when Twilio is
// configured with a number to call from (voice_from, or from).
func (s *Server) wireVoice(cfg *config.Config, set *channelSet, reg prometheus.Registerer, publicURL string) error {
	tc := cfg.Channels.Twilio
	if tc == nil || tc.CallerID() == "" {
		return nil
	}
	scripts, metrics := twilio.NewScripts(0), twilio.NewVoiceMetrics(reg)
	voice, err := twilio.NewVoice(twilio.Options{
		AccountSID: tc.AccountSID, AuthToken: tc.AuthToken.Value(), From: tc.CallerID(), APIURL: tc.APIURL,
		RatePerSecond: tc.RatePerSecond, Concurrency: tc.Concurrency, Timeout: tc.Timeout.D(),
		Logger: s.log.With("component", "twilio-voice"),
	}, twilio.VoiceOptions{PublicURL: publicURL, Scripts: scripts, Metrics: metrics, CallBack: tc.CallsIn})
	if err != nil {
		return err
	}
	set.notifiers[config.ChannelVoice] = notifiers.Retry(voice, inSlotRetries)
	tokens := []string{tc.AuthToken.Value()}
	if tc.AuthTokenSecondary.IsSet() {
		tokens = append(tokens, tc.AuthTokenSecondary.Value())
	}
	svc := s.inbound()
	hooks := twilio.NewWebhooks(twilio.WebhookOptions{PublicURL: publicURL, AuthTokens: tokens, Logger: s.log.With("component", "webhooks")}).
		Voice(twilio.VoiceWebhookOptions{Answers: svc, Delivery: svc, Scripts: scripts, Callers: callers{svc}, Conferences: conferences(tc, svc), Metrics: metrics,
			Calls: voice})
	set.routes = append(set.routes, func(mux *http.ServeMux) {
		mux.Handle("POST "+twilio.VoiceGatherPath, hooks.Gather())
		mux.Handle("POST "+twilio.VoiceStatusPath, hooks.Status())
		mux.Handle("POST "+twilio.VoiceAMDPath, hooks.AMD())
		mux.Handle("POST "+twilio.VoiceCallerPath, hooks.Caller())
		mux.Handle("POST "+twilio.VoiceConferencePath, hooks.Conference())
		mux.Handle("POST "+twilio.VoiceConferenceEventsPath, hooks.ConferenceEvents())
	})
	return nil
}

// callers adapts the answer service to calls in.
type callers struct{ *answer.Service }

func (c callers) Caller(ctx context.Context, from string) (twilio.Caller, error) {
	in, err := c.Service.Caller(ctx, from)
	out := twilio.Caller{Known: in.Known, Language: in.Language}
	for _, d := range in.Open {
		out.Open = append(out.Open, twilio.OpenAlert{Incident: d.ID, Code: d.ReplyCode, Title: d.Title, Exercise: d.Exercise})
	}
	return out, err
}

// conferences enables the staff conference line when configured.
func conferences(tc *config.TwilioChannel, svc *answer.Service) twilio.ConferenceSink {
	if !tc.Conference {
		return nil
	}
	return svc
}
