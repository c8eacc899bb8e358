package email

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"log/slog"
	"net/textproto"
	"strconv"
	"strings"

	mail "github.com/wneessen/go-mail"

	"github.com/kaskade-bcm/kaskade/notifiers"
)

// Receipt codes for failures that have no SMTP reply code.
const (
	// CodeTLS: the TLS policy could not be met (no STARTTLS, bad certificate).
	CodeTLS = "tls"
	// CodeInvalidMessage: the message cannot be sent as given (bad address or tag).
	CodeInvalidMessage = "invalid_message"
	// CodeAuth: authentication could not even be attempted (no common mechanism).
	CodeAuth = "auth"
)

// classify maps a failed send to the Notifier contract:
//
//   - 5xx reply (greeting, AUTH, MAIL, RCPT, DATA, end of data) → failed
//     receipt with the code; 535 is logged as a configuration error;
//   - 4xx reply → *notifiers.TemporaryError with the code;
//   - no reply after the message data was sent (timeout, connection lost)
//     → unknown receipt: the server may have accepted it;
//   - TLS policy not met or certificate rejected → failed receipt "tls";
//   - dial or other network failure before DATA → *notifiers.TemporaryError;
//   - ctx cancelled before DATA → ctx's error.
func (s *Sender) classify(ctx context.Context, log *slog.Logger, msgID string, err error) (notifiers.Receipt, error) {
	detail := maskText(err.Error(), s.addrs)
	var se *mail.SendError
	if errors.As(err, &se) {
		code := se.ErrorCode()
		switch {
		case code >= 500:
			log.Warn("email: rejected", "code", code, "status", se.EnhancedStatusCode(), "stage", se.Reason.String(), "err", detail)
			return failed(strconv.Itoa(code), detail), nil
		case code >= 400:
			log.Warn("email: temporarily rejected", "code", code, "stage", se.Reason.String(), "err", detail)
			return notifiers.Receipt{}, &notifiers.TemporaryError{Code: strconv.Itoa(code), Err: errors.New(detail)}
		}
		switch se.Reason {
		case mail.ErrSMTPDataClose:
			log.Warn("email: outcome unknown, no reply after data", "message_id", msgID, "err", detail)
			return notifiers.Receipt{State: notifiers.StateUnknown, ProviderID: msgID, Detail: detail}, nil
		case mail.ErrGetSender, mail.ErrGetRcpts, mail.ErrNoUnencoded:
			log.Error("email: message cannot be sent", "err", detail)
			return failed(CodeInvalidMessage, detail), nil
		}
		if ctx.Err() != nil {
			return notifiers.Receipt{}, ctx.Err()
		}
		log.Warn("email: send failed before data was complete", "stage", se.Reason.String(), "err", detail)
		return notifiers.Receipt{}, &notifiers.TemporaryError{Err: errors.New(detail)}
	}

	// The connection phase: greeting, EHLO, STARTTLS, AUTH.
	var tpe *textproto.Error
	if errors.As(err, &tpe) {
		code := strconv.Itoa(tpe.Code)
		auth := strings.Contains(err.Error(), "AUTH")
		switch {
		case tpe.Code >= 500 && auth:
			log.Error("email: SMTP authentication failed; check the configured username and password",
				"code", tpe.Code, "username", notifiers.MaskAddress(s.o.Username), "host", s.o.Host)
			return failed(code, "authentication failed: "+tpe.Msg), nil
		case tpe.Code >= 500:
			log.Warn("email: rejected by server", "code", tpe.Code, "err", detail)
			return failed(code, detail), nil
		case tpe.Code >= 400:
			log.Warn("email: server temporarily unavailable", "code", tpe.Code, "err", detail)
			return notifiers.Receipt{}, &notifiers.TemporaryError{Code: code, Err: errors.New(detail)}
		}
	}
	if isTLSError(err) {
		log.Error("email: TLS policy not met; nothing was sent", "tls", s.o.TLS, "host", s.o.Host, "err", detail)
		return failed(CodeTLS, detail), nil
	}
	if errors.Is(err, mail.ErrNoSupportedAuthDiscovered) || isAuthSetupError(err) {
		log.Error("email: SMTP authentication not possible; check configuration", "host", s.o.Host, "err", detail)
		return failed(CodeAuth, detail), nil
	}
	if ctx.Err() != nil {
		return notifiers.Receipt{}, ctx.Err()
	}
	log.Warn("email: connection failed", "host", s.o.Host, "err", detail)
	return notifiers.Receipt{}, &notifiers.TemporaryError{Err: err}
}

func failed(code, detail string) notifiers.Receipt {
	return notifiers.Receipt{State: notifiers.StateFailed, Code: code, Detail: detail}
}

// isTLSError reports a STARTTLS policy failure or a rejected certificate;
// both are configuration problems that retrying does not fix.
func isTLSError(err error) bool {
	var (
		cv  *tls.CertificateVerificationError
		ua  x509.UnknownAuthorityError
		hn  x509.HostnameError
		ci  x509.CertificateInvalidError
		rhe tls.RecordHeaderError
		ae  tls.AlertError
	)
	if errors.As(err, &cv) || errors.As(err, &ua) || errors.As(err, &hn) || errors.As(err, &ci) ||
		errors.As(err, &rhe) || errors.As(err, &ae) {
		return true
	}
	// go-mail reports a missing STARTTLS under the mandatory policy as text.
	return strings.Contains(err.Error(), "does not support STARTTLS")
}

// isAuthSetupError reports go-mail's "mechanism not offered" errors.
func isAuthSetupError(err error) bool {
	msg := err.Error()
	return strings.Contains(msg, "server does not support SMTP AUTH") ||
		strings.Contains(msg, "authentication type not supported") ||
		strings.Contains(msg, "unencrypted connection")
}
