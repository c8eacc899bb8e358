package twilio

import (
	"errors"
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// Outcomes, the values of the outcome label.
const (
	OutcomeSent      = "sent"      // accepted by Twilio
	OutcomeFailed    = "failed"    // permanently rejected
	OutcomeTemporary = "temporary" // retryable: 429, 5xx, connection refused
	OutcomeUnknown   = "unknown"   // sent, but no answer
	OutcomeCanceled  = "canceled"  // the caller gave up before sending
)

// Metrics are the Sender's Prometheus collectors.
type Metrics struct {
	requests *prometheus.CounterVec
	duration *prometheus.HistogramVec
}

// NewMetrics creates the collectors and registers them with reg (if not
// nil). Registering twice with the same registry reuses the collectors
// already there, so several Senders may share one registry.
//
//	kaskade_twilio_requests_total{outcome,code}
//	kaskade_twilio_request_duration_seconds{outcome}
func NewMetrics(reg prometheus.Registerer) *Metrics {
	m := &Metrics{
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "kaskade_twilio_requests_total",
			Help: "Twilio Create Message requests by outcome and Twilio error code (known codes only; others are \"other\").",
		}, []string{"outcome", "code"}),
		duration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "kaskade_twilio_request_duration_seconds",
			Help:    "Duration of Twilio Create Message requests, rate-limit wait excluded.",
			Buckets: []float64{.005, .01, .025, .05, .1, .2, .35, .5, 1, 2.5, 5, 10},
		}, []string{"outcome"}),
	}
	if reg != nil {
		m.requests = register(reg, m.requests)
		m.duration = register(reg, m.duration)
	}
	return m
}

func register[C prometheus.Collector](reg prometheus.Registerer, c C) C {
	if err := reg.Register(c); err != nil {
		var are prometheus.AlreadyRegisteredError
		if errors.As(err, &are) {
			if existing, ok := are.ExistingCollector.(C); ok {
				return existing
			}
		}
		panic(err) // a conflicting definition is a programming error
	}
	return c
}

func (m *Metrics) observe(outcome, code string, d time.Duration) {
	if m == nil {
		return
	}
	m.requests.WithLabelValues(outcome, metricCode(code)).Inc()
	if outcome != OutcomeCanceled {
		m.duration.WithLabelValues(outcome).Observe(d.Seconds())
	}
}

// metricCode keeps the code label bounded: codes Kaskade reacts to pass,
// anything else is "other".
func metricCode(code string) string {
	switch code {
	case "", "connect",
		"20003", "20404", "20429",
		"21211", "21408", "21602", "21603", "21604", "21606", "21610", "21612", "21614", "21617",
		"30001", "30003", "30004", "30005", "30006", "30007", "30008",
		"http_400", "http_401", "http_403", "http_404", "http_429",
		"http_500", "http_502", "http_503", "http_504":
		return code
	}
	return "other"
}
