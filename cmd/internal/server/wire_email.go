package server

import (
	"context"
	"errors"
	"fmt"
	"net"

	"github.com/kaskade-bcm/kaskade/config"
	"github.com/kaskade-bcm/kaskade/notifiers"
	"github.com/kaskade-bcm/kaskade/notifiers/email"
)

// wireEmail adds the SMTP notifier (with the retry stage) and, when
// configured, the listener for replies by email.
func (s *Server) wireEmail(cfg *config.Config, set *channelSet) error {
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
	set.notifiers[config.ChannelEmail] = notifiers.Retry(sender, notifiers.RetryOptions{})
	if ec.Listener == nil {
		return nil
	}
	svc := s.inbound()
	l, err := email.NewListener(email.ListenerOptions{Addr: ec.Listener.Addr, Domain: ec.Listener.Domain,
		Sink: emailReplies{svc: svc}, Logger: s.log.With("component", "email-listener")})
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

// emailReplies hands email replies to the inbound service; when NATS is
// away the sending server is asked to try later.
type emailReplies struct {
	svc interface {
		EmailAnswer(ctx context.Context, tag, from, firstLine, messageID string) error
	}
}

func (e emailReplies) EmailReply(ctx context.Context, r email.EmailReply) error {
	if err := e.svc.EmailAnswer(ctx, r.Tag, r.From, r.FirstLine, r.MessageID); err != nil {
		return errors.Join(email.ErrTryLater, err)
	}
	return nil
}
