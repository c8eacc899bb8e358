package email

import (
	"crypto/tls"
	"errors"
	"fmt"
	"log/slog"
	"net/mail"
	"strings"
	"time"
)

// TLS policies for Options.TLS.
const (
	TLSMandatory     = "mandatory"     // STARTTLS required (default)
	TLSOpportunistic = "opportunistic" // STARTTLS when offered
	TLSNone          = "none"          // plain text; only for a trusted local relay
	TLSImplicit      = "implicit"      // TLS from the first byte (port 465)
)

// Options configure a Sender.
type Options struct {
	Host string
	// Port defaults to 465 for implicit TLS, else 587.
	Port int
	// TLS is mandatory (default), opportunistic, none or implicit.
	TLS      string
	Username string
	Password string
	// From is the sender, "Kaskade <kaskade@lage.example.de>" or a bare address.
	From string
	// ReplyTo is a bare address such as "kaskade@lage.example.de"; a message's
	// ReplyTag is added as plus-address kaskade+<tag>@lage.example.de.
	ReplyTo string
	// Timeout bounds dialling and each SMTP command (default 30s).
	Timeout  time.Duration
	HeloName string
	// TLSConfig overrides the TLS settings (e.g. a private CA); ServerName
	// defaults to Host.
	TLSConfig *tls.Config
	Logger    *slog.Logger
	// Now stamps the Date header (default time.Now).
	Now func() time.Time
}

// validated is Options after defaults and checks.
type validated struct {
	Options
	from     *mail.Address
	domain   string // Message-ID host, from From
	replyTo  *mail.Address
	tlsConf  *tls.Config
	implicit bool
}

func (o Options) validate() (validated, error) {
	v := validated{Options: o}
	if o.Host == "" {
		return v, errors.New("email: host is required")
	}
	switch o.TLS {
	case "":
		v.TLS = TLSMandatory
	case TLSMandatory, TLSOpportunistic, TLSNone, TLSImplicit:
	default:
		return v, fmt.Errorf("email: tls %q: want mandatory, opportunistic, none or implicit", o.TLS)
	}
	v.implicit = v.TLS == TLSImplicit
	if v.Port == 0 {
		v.Port = 587
		if v.implicit {
			v.Port = 465
		}
	}
	if v.Port < 1 || v.Port > 65535 {
		return v, fmt.Errorf("email: port %d out of range", v.Port)
	}
	from, err := mail.ParseAddress(o.From)
	if err != nil {
		return v, fmt.Errorf("email: from %q: %w", o.From, err)
	}
	v.from = from
	v.domain = from.Address[strings.LastIndexByte(from.Address, '@')+1:]
	if o.ReplyTo != "" {
		rt, err := mail.ParseAddress(o.ReplyTo)
		if err != nil {
			return v, fmt.Errorf("email: reply_to %q: %w", o.ReplyTo, err)
		}
		if strings.Contains(localPart(rt.Address), "+") {
			return v, fmt.Errorf("email: reply_to %q must not contain '+'", o.ReplyTo)
		}
		v.replyTo = rt
	}
	if (o.Username == "") != (o.Password == "") {
		return v, errors.New("email: username and password must be set together")
	}
	if v.Timeout <= 0 {
		v.Timeout = 30 * time.Second
	}
	if v.Logger == nil {
		v.Logger = slog.New(slog.DiscardHandler)
	}
	if v.Now == nil {
		v.Now = time.Now
	}
	if o.TLSConfig != nil {
		v.tlsConf = o.TLSConfig.Clone()
	} else {
		v.tlsConf = &tls.Config{}
	}
	if v.tlsConf.ServerName == "" {
		v.tlsConf.ServerName = o.Host
	}
	if v.tlsConf.MinVersion == 0 {
		v.tlsConf.MinVersion = tls.VersionTLS12
	}
	return v, nil
}

func localPart(addr string) string {
	if i := strings.LastIndexByte(addr, '@'); i >= 0 {
		return addr[:i]
	}
	return addr
}

func domainPart(addr string) string {
	if i := strings.LastIndexByte(addr, '@'); i >= 0 {
		return addr[i+1:]
	}
	return ""
}
