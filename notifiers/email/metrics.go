package email

import (
	"errors"

	"github.com/prometheus/client_golang/prometheus"
)

// Reasons a reply is rejected, the label of kaskade_email_replies_rejected_total.
const (
	RejectNoTag       = "no_tag"
	RejectUnknownTag  = "unknown_tag"
	RejectMismatch    = "sender_mismatch"
	RejectAuthFailed  = "auth_failed"
	RejectRateLimited = "rate_limited"
	RejectTLSRequired = "tls_required"
	RejectAutomatic   = "automatic"
	RejectUnparsable  = "unparsable"
)

// ListenerMetrics counts what the reply listener refuses.
type ListenerMetrics struct{ rejected *prometheus.CounterVec }

// NewListenerMetrics registers the listener's metrics with reg (nil: not registered).
func NewListenerMetrics(reg prometheus.Registerer) *ListenerMetrics {
	m := &ListenerMetrics{rejected: prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "kaskade_email_replies_rejected_total",
		Help: "Email replies the listener refused or dropped, by reason.",
	}, []string{"reason"})}
	if reg != nil {
		if err := reg.Register(m.rejected); err != nil {
			var are prometheus.AlreadyRegisteredError
			if errors.As(err, &are) {
				if existing, ok := are.ExistingCollector.(*prometheus.CounterVec); ok {
					m.rejected = existing
				}
			}
		}
	}
	for _, r := range []string{RejectNoTag, RejectUnknownTag, RejectMismatch, RejectAuthFailed, RejectRateLimited,
		RejectTLSRequired, RejectAutomatic, RejectUnparsable} {
		m.rejected.WithLabelValues(r)
	}
	return m
}

func (m *ListenerMetrics) reject(reason string) {
	if m != nil {
		m.rejected.WithLabelValues(reason).Inc()
	}
}
