package natsd

import (
	"crypto/x509"
	"time"
)

// certWarnAhead is how long before its end a certificate is reported.
const certWarnAhead = 14 * 24 * time.Hour

// certState is what was last reported about the client port's certificate.
type certState int

const (
	certValid certState = iota
	certExpiring
	certInvalid
)

// certDates reads the validity of the client port's certificate (the zero
// times without TLS).
func certDates(e *Embedded) (notBefore, notAfter time.Time) {
	tc := e.base.TLSConfig
	if tc == nil || len(tc.Certificates) == 0 || len(tc.Certificates[0].Certificate) == 0 {
		return time.Time{}, time.Time{}
	}
	leaf, err := x509.ParseCertificate(tc.Certificates[0].Certificate[0])
	if err != nil {
		return time.Time{}, time.Time{}
	}
	return leaf.NotBefore, leaf.NotAfter
}

// checkCert reports the client port's certificate when it is out of date
// or about to be, once per change: nats-server serves it regardless, and
// every other system's handshake fails while Kaskade's own in-process
// connection (and so its health checks) carries on.
func (e *Embedded) checkCert(now time.Time) {
	if e.certNotAfter.IsZero() {
		return
	}
	state := certValid
	switch {
	case now.After(e.certNotAfter) || now.Before(e.certNotBefore):
		state = certInvalid
	case e.certNotAfter.Sub(now) < certWarnAhead:
		state = certExpiring
	}
	if state == e.certState {
		return
	}
	e.certState = state
	file, from, until := e.opts.TLSCert, e.certNotBefore.UTC().Format(time.DateTime), e.certNotAfter.UTC().Format(time.DateTime)
	switch {
	case state == certInvalid && now.After(e.certNotAfter):
		e.log.Error("embedded NATS certificate expired: every TLS client (declarers, observers, intake) is refused; renew --nats-tls-cert",
			"file", file, "not_after", until)
	case state == certInvalid:
		e.log.Error("embedded NATS certificate not yet valid: every TLS client is refused; check --nats-tls-cert and the clock",
			"file", file, "not_before", from)
	case state == certExpiring:
		e.log.Warn("embedded NATS certificate expires soon; renew --nats-tls-cert", "file", file, "not_after", until)
	}
}
