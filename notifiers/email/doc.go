// Package email owns the email channel: Sender delivers one notification per
// SMTP transaction (github.com/wneessen/go-mail) and classifies the outcome
// into a notifiers.Receipt or a retryable *notifiers.TemporaryError; Listener
// is the optional inbound SMTP endpoint (github.com/emersion/go-smtp) that
// turns replies to kaskade+<tag>@domain into EmailReply values for a
// ReplySink. The listener offers STARTTLS with a configured certificate,
// checks the receiving server's Authentication-Results (RFC 8601), and
// refuses senders that collect rejected replies. The test SMTP server lives
// in emailtest.
package email
