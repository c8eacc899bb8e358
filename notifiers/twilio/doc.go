// Package twilio owns Kaskade's SMS channel through Twilio: the Sender, a
// notifiers.Notifier that creates Messages with twilio-go under a bounded
// concurrency and an optional rate limit and classifies every outcome into
// a Receipt or a retryable *notifiers.TemporaryError; and the Webhooks that
// receive inbound SMS replies and delivery status callbacks, verify their
// X-Twilio-Signature and hand them to sinks. Numbers in logs are masked;
// the auth token is never logged. The test fake lives in twiliotest.
package twilio
