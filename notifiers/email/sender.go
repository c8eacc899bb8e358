package email

import (
	"context"
	"crypto/tls"
	"fmt"
	"log/slog"
	"net"
	"regexp"
	"sync"

	mail "github.com/wneessen/go-mail"

	"github.com/kaskade-bcm/kaskade/notifiers"
)

// Sender delivers notifications by SMTP. It is safe for concurrent use;
// each Notify is one connection and one transaction.
type Sender struct {
	o     validated
	log   *slog.Logger
	urls  *regexp.Regexp
	addrs *regexp.Regexp
}

var _ notifiers.Notifier = (*Sender)(nil)

// New checks opts and returns a Sender. It does not connect.
func New(opts Options) (*Sender, error) {
	v, err := opts.validate()
	if err != nil {
		return nil, err
	}
	return &Sender{o: v, log: v.Logger, urls: urlPattern(), addrs: addressPattern()}, nil
}

// MessageIDDomain is the host of the Message-IDs the Sender writes (its
// From domain): a Listener's MessageIDDomain, to match In-Reply-To.
func (s *Sender) MessageIDDomain() string { return s.o.domain }

// Notify sends m to m.To. See classify for how outcomes map to receipts.
func (s *Sender) Notify(ctx context.Context, m notifiers.Message) (notifiers.Receipt, error) {
	log := s.log.With("notification", m.ID, "incident", m.Incident, "to", notifiers.MaskAddress(m.To))
	if m.ReplyTag != "" && !ValidTag(m.ReplyTag) {
		log.Error("email: invalid reply tag")
		return notifiers.Receipt{State: notifiers.StateFailed, Code: CodeInvalidMessage, Detail: "invalid reply tag"}, nil
	}
	msg, msgID, err := s.build(m)
	if err != nil {
		log.Error("email: cannot build message", "err", maskText(err.Error(), s.addrs))
		return notifiers.Receipt{State: notifiers.StateFailed, Code: CodeInvalidMessage, Detail: maskText(err.Error(), s.addrs)}, nil
	}
	client, stop, err := s.client(ctx)
	if err != nil {
		return notifiers.Receipt{}, fmt.Errorf("email: client: %w", err)
	}
	sendErr := client.DialAndSendWithContext(ctx, msg)
	stop()
	if msg.IsDelivered() {
		if sendErr != nil {
			// Accepted after DATA; only RSET or QUIT failed.
			log.Warn("email: sent, error after acceptance", "err", maskText(sendErr.Error(), s.addrs))
		}
		log.Info("email: sent", "message_id", msgID)
		return notifiers.Receipt{State: notifiers.StateSent, ProviderID: msgID}, nil
	}
	return s.classify(ctx, log, msgID, sendErr)
}

// client returns a go-mail client whose connection is closed when ctx is
// done; stop releases that hook.
func (s *Sender) client(ctx context.Context) (*mail.Client, func(), error) {
	var (
		mu    sync.Mutex
		stops []func() bool
	)
	dial := func(dctx context.Context, network, addr string) (net.Conn, error) {
		var d net.Dialer
		conn, err := d.DialContext(dctx, network, addr)
		if err != nil {
			return nil, err
		}
		if s.o.implicit {
			tc := tls.Client(conn, s.o.tlsConf)
			if err := tc.HandshakeContext(dctx); err != nil {
				_ = conn.Close()
				return nil, err
			}
			conn = tc // keep *tls.Conn unwrapped: the SMTP client detects TLS by type
		}
		stop := context.AfterFunc(ctx, func() { _ = conn.Close() })
		mu.Lock()
		stops = append(stops, stop)
		mu.Unlock()
		return conn, nil
	}
	policy := mail.TLSMandatory
	switch s.o.TLS {
	case TLSOpportunistic:
		policy = mail.TLSOpportunistic
	case TLSNone, TLSImplicit: // implicit: the dialer already speaks TLS
		policy = mail.NoTLS
	}
	opts := []mail.Option{
		mail.WithPort(s.o.Port),
		mail.WithTimeout(s.o.Timeout),
		mail.WithTLSPolicy(policy),
		mail.WithTLSConfig(s.o.tlsConf),
		mail.WithDialContextFunc(dial),
	}
	if s.o.HeloName != "" {
		opts = append(opts, mail.WithHELO(s.o.HeloName))
	}
	if s.o.Username != "" {
		opts = append(opts,
			mail.WithOpportunisticSMTPAuth(mail.SMTPAuthPlain, mail.SMTPAuthLogin),
			mail.WithUsername(s.o.Username), mail.WithPassword(s.o.Password))
	}
	c, err := mail.NewClient(s.o.Host, opts...)
	if err != nil {
		return nil, nil, err
	}
	return c, func() {
		mu.Lock()
		defer mu.Unlock()
		for _, stop := range stops {
			stop()
		}
	}, nil
}
