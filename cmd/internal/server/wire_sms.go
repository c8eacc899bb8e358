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

// wireTwilio adds the SMS notifier (with the retry stage) and the signed
// webhooks when a Twilio account is configured.
func (s *Server) wireTwilio(_ context.Context, cfg *config.Config, set *channelSet, reg prometheus.Registerer, publicURL string) error {
	tc := cfg.Channels.Twilio
	if tc == nil {
		return nil
	}
	sender, err := twilio.New(twilio.Options{
		AccountSID: tc.AccountSID, AuthToken: tc.AuthToken.Value(), From: tc.From, MessagingServiceSID: tc.MessagingServiceSID,
		APIURL: tc.APIURL, StatusCallbackURL: publicURL + "/webhooks/twilio/status", ValidityPeriod: tc.ValidityPeriod.D(),
		RatePerSecond: tc.RatePerSecond, Concurrency: tc.Concurrency, Timeout: tc.Timeout.D(),
		Logger: s.log.With("component", "twilio"), Metrics: twilio.NewMetrics(reg),
	})
	if err != nil {
		return err
	}
	set.notifiers[config.ChannelSMS] = notifiers.Retry(sender, inSlotRetries)
	tokens := []string{tc.AuthToken.Value()}
	if tc.AuthTokenSecondary.IsSet() {
		tokens = append(tokens, tc.AuthTokenSecondary.Value())
	}
	svc := s.inbound()
	hooks := twilio.NewWebhooks(twilio.WebhookOptions{PublicURL: publicURL, AuthTokens: tokens,
		Inbound: twilioSinks{svc}, Status: twilioSinks{svc}, Logger: s.log.With("component", "webhooks")})
	set.routes = append(set.routes, func(mux *http.ServeMux) {
		mux.Handle("POST /webhooks/twilio/sms", hooks.SMS())
		mux.Handle("POST /webhooks/twilio/status", hooks.Status())
	})
	return nil
}

// inbound returns the service that attributes answers (one per server).
func (s *Server) inbound() *answer.Service {
	if s.inboundSvc == nil {
		s.inboundSvc = &answer.Service{Engine: s.Engine, Config: s.Config, Logger: s.log.With("component", "inbound")}
	}
	return s.inboundSvc
}

// twilioSinks adapts Twilio's webhooks to the answer service.
type twilioSinks struct{ svc *answer.Service }

func (t twilioSinks) Inbound(ctx context.Context, m twilio.InboundSMS) (string, error) {
	return t.svc.SMSReplyOptOut(ctx, m.From, m.Body, m.MessageSID, m.OptOutType)
}

func (t twilioSinks) Status(ctx context.Context, cb twilio.StatusCallback) error {
	state, ok := twilio.DeliveryState(cb.MessageStatus)
	if !ok {
		return nil
	}
	return t.svc.Delivery(ctx, cb.Notification, state, cb.MessageSID, cb.ErrorCode, "twilio "+cb.MessageStatus)
}

// inSlotRetries are the quick retries of a temporary failure while the
// send still holds its provider slot (about 1.5 s); longer outages are
// waited out by the dispatcher without a slot (server.provider_retry_for).
var inSlotRetries = notifiers.RetryOptions{Attempts: 3}
