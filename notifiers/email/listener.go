package email

import (
	"cmp"
	"context"
	"crypto/sha256"
	"crypto/tls"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"strings"
	"time"

	"github.com/emersion/go-smtp"

	"github.com/kaskade-bcm/kaskade/notifiers"
)

// ErrTryLater is returned (wrapped) by a ReplySink that cannot take a reply
// right now; the listener answers 451 so the sending server retries.
var ErrTryLater = errors.New("email: reply sink unavailable")

// EmailReply is one reply by email, reduced to what matching needs.
type EmailReply struct {
	// Tag is the plus-address tag (or the one found via In-Reply-To).
	Tag string
	// From is the header From address (the envelope sender if absent).
	// It is not authenticated: the sink must check it belongs to the
	// person the tag was issued to.
	From    string
	Subject string
	// FirstLine is the first line the person wrote, quotes stripped.
	FirstLine string
	// MessageID is the reply's own Message-ID, for deduplication; without
	// one, <sha256-…@kaskade.invalid> of the whole message.
	MessageID string
	// Auth is the verdict and results of the receiving server's
	// Authentication-Results ("" when no AuthServID is configured), to record.
	Auth string
}

// Rejection is an error a ReplySink returns (wrapped) to refuse a reply
// (an unknown or forged tag, a sender who is not the tag's person): the
// listener drops it, counts it by RejectReason and strikes its sender.
type Rejection interface {
	error
	RejectReason() string
}

// ReplySink receives replies. A Rejection is counted against the sender;
// an error wrapping ErrTryLater makes the listener answer 451; any other
// error is logged and the message dropped.
type ReplySink interface {
	EmailReply(ctx context.Context, r EmailReply) error
}

// ListenerOptions configure NewListener.
type ListenerOptions struct {
	// Addr is used by ListenAndServe, e.g. ":2525".
	Addr string
	// Domain is the reply domain: only <local>+<tag>@Domain is accepted.
	Domain string
	// ReplyLocal, when set, also accepts the bare <ReplyLocal>@Domain (a
	// client or forwarder dropped the tag): the reply is matched by its
	// In-Reply-To or References.
	ReplyLocal string
	Sink       ReplySink
	Logger     *slog.Logger
	// MaxMessageBytes defaults to 256 KiB.
	MaxMessageBytes int64
	// ReadTimeout and WriteTimeout default to 1 minute.
	ReadTimeout, WriteTimeout time.Duration
	// SinkTimeout bounds one EmailReply call (default 10s).
	SinkTimeout time.Duration
	// MessageIDDomain is the host of Kaskade's Message-IDs (the From
	// domain of the Sender), for the In-Reply-To fallback; default Domain.
	MessageIDDomain string
	// TLSConfig, when set, offers STARTTLS (ListenerTLS loads one).
	TLSConfig *tls.Config
	// RequireTLS refuses MAIL before STARTTLS; it needs TLSConfig.
	RequireTLS bool
	// AuthServID is the authserv-id of the receiving mail server whose
	// Authentication-Results are trusted (RFC 8601); "" trusts none.
	AuthServID string
	// RequireAuthPass drops replies without a trusted passing result;
	// without it only a failing result (DMARC or SPF fail) drops a reply.
	RequireAuthPass bool
	// RejectLimit rejected replies per sender address and RejectWindow
	// (default 5 per hour) make the listener refuse that sender (450).
	RejectLimit  int
	RejectWindow time.Duration
	// Metrics counts rejections; nil counts nothing.
	Metrics *ListenerMetrics
	// MaxConnections bounds open connections (default 200) and
	// MaxConnectionsPerIP those from one address (default 50, above the 20
	// parallel deliveries of a Postfix or Exchange relay); more are greeted
	// with 421 and closed.
	MaxConnections, MaxConnectionsPerIP int
	// Now is the clock of the sender limit (default time.Now).
	Now func() time.Time
}

// Listener is an SMTP server that accepts replies to tagged addresses.
type Listener struct {
	o      ListenerOptions
	log    *slog.Logger
	srv    *smtp.Server
	parser *replyParser
	limit  *senderLimit
}

// NewListener checks opts and returns a Listener; call Serve or ListenAndServe.
func NewListener(opts ListenerOptions) (*Listener, error) {
	if opts.Domain == "" {
		return nil, errors.New("email: listener domain is required")
	}
	if opts.Sink == nil {
		return nil, errors.New("email: listener sink is required")
	}
	if opts.MaxMessageBytes <= 0 {
		opts.MaxMessageBytes = 256 << 10
	}
	if opts.ReadTimeout <= 0 {
		opts.ReadTimeout = time.Minute
	}
	if opts.WriteTimeout <= 0 {
		opts.WriteTimeout = time.Minute
	}
	if opts.SinkTimeout <= 0 {
		opts.SinkTimeout = 10 * time.Second
	}
	if opts.MessageIDDomain == "" {
		opts.MessageIDDomain = opts.Domain
	}
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	if opts.RequireTLS && opts.TLSConfig == nil {
		return nil, errors.New("email: listener requires TLS but has no certificate")
	}
	if opts.RejectLimit <= 0 {
		opts.RejectLimit = 5
	}
	if opts.RejectWindow <= 0 {
		opts.RejectWindow = time.Hour
	}
	if opts.MaxConnections <= 0 {
		opts.MaxConnections = 200
	}
	if opts.MaxConnectionsPerIP <= 0 {
		opts.MaxConnectionsPerIP = 50
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	l := &Listener{o: opts, log: opts.Logger, parser: newReplyParser(),
		limit: newSenderLimit(opts.RejectLimit, opts.RejectWindow, opts.Now)}
	srv := smtp.NewServer(smtp.BackendFunc(func(c *smtp.Conn) (smtp.Session, error) {
		return &replySession{l: l, conn: c, remote: c.Conn().RemoteAddr().String()}, nil
	}))
	srv.Domain = opts.Domain
	srv.MaxMessageBytes = opts.MaxMessageBytes
	srv.MaxRecipients = 10
	srv.ReadTimeout = opts.ReadTimeout
	srv.WriteTimeout = opts.WriteTimeout
	srv.TLSConfig = opts.TLSConfig
	srv.ErrorLog = slogPrinter{log: l.log}
	l.srv = srv
	return l, nil
}

// Serve accepts connections on ln until Close. It returns nil after Close.
func (l *Listener) Serve(ln net.Listener) error {
	l.log.Info("email: reply listener serving", "addr", ln.Addr().String(), "domain", l.o.Domain)
	return l.srv.Serve(newConnLimit(ln, l.o.MaxConnections, l.o.MaxConnectionsPerIP))
}

// ListenAndServe listens on Addr and serves.
func (l *Listener) ListenAndServe() error {
	ln, err := net.Listen("tcp", l.o.Addr)
	if err != nil {
		return fmt.Errorf("email: listen %s: %w", l.o.Addr, err)
	}
	return l.Serve(ln)
}

// Close stops listening and closes open connections.
func (l *Listener) Close() error {
	if err := l.srv.Close(); err != nil && !errors.Is(err, smtp.ErrServerClosed) {
		return fmt.Errorf("email: close listener: %w", err)
	}
	return nil
}

// slogPrinter adapts go-smtp's error log to slog.
type slogPrinter struct{ log *slog.Logger }

func (p slogPrinter) Printf(format string, v ...any) {
	p.log.Warn("email: smtp server", "msg", fmt.Sprintf(format, v...))
}
func (p slogPrinter) Println(v ...any) { p.log.Warn("email: smtp server", "msg", fmt.Sprint(v...)) }

// replySession is one SMTP transaction on the listener.
type replySession struct {
	l      *Listener
	conn   *smtp.Conn
	remote string
	from   string
	tag    string
	rcpts  int
}

// tagOf returns the tag of a recipient address and whether the address is
// one this listener serves: <anything>+<tag>@Domain or <ReplyLocal>@Domain.
// The tag may be empty or invalid; Data then falls back to In-Reply-To.
func (s *replySession) tagOf(rcpt string) (string, bool) {
	at := strings.LastIndexByte(rcpt, '@')
	if at < 0 || !strings.EqualFold(rcpt[at+1:], s.l.o.Domain) {
		return "", false
	}
	local, tag, ok := strings.Cut(rcpt[:at], "+")
	if !ok && s.l.o.ReplyLocal != "" && strings.EqualFold(local, s.l.o.ReplyLocal) {
		return "", true
	}
	return tag, ok
}

func (s *replySession) Mail(from string, _ *smtp.MailOptions) error {
	if _, ok := s.conn.TLSConnectionState(); s.l.o.RequireTLS && !ok {
		s.l.o.Metrics.reject(RejectTLSRequired)
		return &smtp.SMTPError{Code: 530, EnhancedCode: smtp.EnhancedCode{5, 7, 0}, Message: "Must issue a STARTTLS command first"}
	}
	s.from = from
	return nil
}

// rateLimited refuses a sender that collected too many rejections.
func (s *replySession) rateLimited(from string) error {
	s.l.o.Metrics.reject(RejectRateLimited)
	s.l.log.Info("email: sender refused, too many rejected replies", "from", notifiers.MaskAddress(from), "remote", s.remote)
	return &smtp.SMTPError{Code: 450, EnhancedCode: smtp.EnhancedCode{4, 7, 1}, Message: "Too many rejected replies, try later"}
}

// drop counts a rejected reply and strikes its senders.
func (s *replySession) drop(log *slog.Logger, reason, headerFrom string) {
	s.l.o.Metrics.reject(reason)
	s.l.limit.strike(s.from, headerFrom)
	log.Info("email: reply dropped", "reason", reason)
}

func (s *replySession) Rcpt(to string, _ *smtp.RcptOptions) error {
	tag, ok := s.tagOf(to)
	if !ok {
		s.l.log.Info("email: reply rejected, unknown recipient", "rcpt", notifiers.MaskAddress(to), "remote", s.remote)
		return &smtp.SMTPError{Code: 550, EnhancedCode: smtp.EnhancedCode{5, 1, 1}, Message: "No such recipient"}
	}
	if s.tag == "" || !ValidTag(s.tag) {
		s.tag = tag
	}
	s.rcpts++
	return nil
}

func (s *replySession) Data(r io.Reader) error {
	raw, err := io.ReadAll(r)
	if err != nil {
		return err // too large or connection lost; go-smtp answers
	}
	log := s.l.log.With("remote", s.remote, "envelope_from", notifiers.MaskAddress(s.from))
	p, err := s.l.parser.parse(raw)
	if err != nil {
		s.l.o.Metrics.reject(RejectUnparsable)
		log.Warn("email: reply dropped, cannot parse", "err", err)
		return nil
	}
	log = log.With("from", notifiers.MaskAddress(p.from), "message_id", p.messageID)
	if s.from == "" || p.auto {
		s.l.o.Metrics.reject(RejectAutomatic)
		log.Info("email: automatic message dropped (bounce, auto-reply or list)")
		return nil
	}
	from := cmp.Or(p.from, s.from)
	verdict, auth := authCheck(p.authResults, s.l.o.AuthServID, domainPart(from))
	log = log.With("auth", verdict)
	// An authenticated sender is never limited: forgeries in its name
	// must not lock the person out.
	if verdict != AuthPass && s.l.limit.limited(s.from, from) {
		return s.rateLimited(from)
	}
	tag := s.replyTag(p)
	switch {
	case tag == "":
		s.drop(log, RejectNoTag, from)
		return nil
	case verdict == AuthFail || s.l.o.RequireAuthPass && verdict != AuthPass:
		s.drop(log, RejectAuthFailed, from)
		return nil
	}
	return s.deliver(log, EmailReply{Tag: tag, From: from, Subject: p.subject, FirstLine: p.firstLine, MessageID: messageID(p, raw), Auth: auth})
}

// messageID is the reply's Message-ID or, without one, a hash of the
// message, so that replaying it byte for byte is still recognised.
func messageID(p parsedReply, raw []byte) string {
	if p.messageID != "" {
		return p.messageID
	}
	sum := sha256.Sum256(raw)
	return "<sha256-" + hex.EncodeToString(sum[:16]) + "@kaskade.invalid>"
}

// replyTag is the recipient's tag, or the one in In-Reply-To/References.
func (s *replySession) replyTag(p parsedReply) string {
	if ValidTag(s.tag) {
		return s.tag
	}
	for _, id := range p.references {
		if t := tagFromMessageID(id, s.l.o.MessageIDDomain); t != "" {
			return t
		}
	}
	return ""
}

// deliver hands a reply to the sink and maps its answer to SMTP.
func (s *replySession) deliver(log *slog.Logger, reply EmailReply) error {
	ctx, cancel := context.WithTimeout(context.Background(), s.l.o.SinkTimeout)
	defer cancel()
	err := s.l.o.Sink.EmailReply(ctx, reply)
	var rej Rejection
	switch {
	case errors.As(err, &rej):
		s.drop(log, rejectReason(rej), reply.From)
		return nil
	case errors.Is(err, ErrTryLater):
		log.Warn("email: reply deferred, sink unavailable", "tag", reply.Tag, "err", err)
		return &smtp.SMTPError{Code: 451, EnhancedCode: smtp.EnhancedCode{4, 3, 0}, Message: "Try again later"}
	case err != nil:
		log.Info("email: reply dropped by sink", "tag", reply.Tag, "err", err)
		return nil
	}
	log.Info("email: reply received", "tag", reply.Tag)
	return nil
}

func (s *replySession) Reset() {
	s.from, s.tag, s.rcpts = "", "", 0
}

func (s *replySession) Logout() error { return nil }

// rejectReason bounds the metric label to the known reasons.
func rejectReason(r Rejection) string {
	switch reason := r.RejectReason(); reason {
	case RejectUnknownTag, RejectMismatch:
		return reason
	}
	return RejectUnknownTag
}
