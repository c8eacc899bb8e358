package server

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/mail"
	"strings"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/kaskade-bcm/kaskade/activation/answer"
	"github.com/kaskade-bcm/kaskade/config"
	"github.com/kaskade-bcm/kaskade/notifiers"
	"github.com/kaskade-bcm/kaskade/notifiers/email"
)

// wireEmail adds the SMTP notifier (with the retry stage) and, when
// configured, the listener for replies by email.
func (s *Server) wireEmail(cfg *config.Config, set *channelSet, reg prometheus.Registerer) error {
	ec := cfg.Channels.Email
	if ec == nil {
		return nil
	}
	sender, err := email.New(email.Options{Host: ec.Host, Port: ec.Port, TLS: ec.TLS, Username: ec.Username,
		Password: ec.Password.Value(), From: ec.From, ReplyTo: ec.ReplyTo, Timeout: ec.Timeout.D(),
		Logger: s.log.With("component", "email")})
	if err != nil {
		return fmt.Errorf("email channel: %w", err)
	}
	set.notifiers[config.ChannelEmail] = notifiers.Retry(sender, inSlotRetries)
	if ec.Listener == nil {
		return nil
	}
	lc := ec.Listener
	lo := email.ListenerOptions{Addr: lc.Addr, Domain: lc.Domain, ReplyLocal: replyLocal(ec.ReplyTo),
		MessageIDDomain: sender.MessageIDDomain(), Sink: emailReplies{svc: s.inbound()},
		Logger: s.log.With("component", "email-listener"), RequireTLS: lc.RequireTLS, AuthServID: lc.AuthServID,
		RequireAuthPass: lc.RequireAuthPass, RejectLimit: lc.RejectLimit, RejectWindow: lc.RejectWindow.D(),
		Metrics: email.NewListenerMetrics(reg)}
	if lc.TLSCertFile != "" {
		tc, err := email.ListenerTLS(lc.TLSCertFile, lc.TLSKeyFile)
		if err != nil {
			return fmt.Errorf("email listener: %w", err)
		}
		lo.TLSConfig = tc
	}
	l, err := email.NewListener(lo)
	if err != nil {
		return fmt.Errorf("email listener: %w", err)
	}
	ln, err := net.Listen("tcp", ec.Listener.Addr)
	if err != nil {
		return fmt.Errorf("email listener: %w", err)
	}
	set.background = append(set.background, func(ctx context.Context) error {
		go func() {
			<-ctx.Done()
			_ = l.Close()
		}()
		if err := l.Serve(ln); err != nil && ctx.Err() == nil {
			return err
		}
		return nil
	})
	return nil
}

// replyLocal is the local part of reply_to, whose bare address the listener
// also accepts (a reply that lost its tag, matched by In-Reply-To).
func replyLocal(replyTo string) string {
	a, err := mail.ParseAddress(replyTo)
	if err != nil {
		return ""
	}
	local, _, _ := strings.Cut(a.Address[:strings.LastIndexByte(a.Address, '@')], "+")
	return local
}

// emailReplies hands email replies to the answer service: a rejection
// (forged or unknown tag) passes through, anything else asks the sending
// server to try later.
type emailReplies struct{ svc *answer.Service }

func (e emailReplies) EmailReply(ctx context.Context, r email.EmailReply) error {
	err := e.svc.EmailInbound(ctx, answer.EmailIn{Tag: r.Tag, From: r.From, FirstLine: r.FirstLine, MessageID: r.MessageID, Auth: r.Auth})
	var rej *answer.Rejected
	if err != nil && !errors.As(err, &rej) {
		return errors.Join(email.ErrTryLater, err)
	}
	return err
}
