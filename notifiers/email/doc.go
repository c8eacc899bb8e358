// Package email owns the email channel: Sender delivers one notification per
// SMTP transaction (github.com/wneessen/go-mail) and classifies the outcome
// into a notifiers.Receipt or a retryable *notifiers.TemporaryError; Listener
// is the optional inbound SMTP endpoint (github.com/emersion/go-smtp) that
// turns replies to kaskade+<tag>@domain into EmailReply values for a
// ReplySink. The test SMTP server lives in emailtest.
package email
