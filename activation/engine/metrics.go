package engine

import (
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/kaskade-bcm/kaskade/activation"
)

// Metrics are the engine's Prometheus metrics. A nil *Metrics records nothing.
type Metrics struct {
	declarations  *prometheus.CounterVec
	notifications *prometheus.CounterVec
	outcomes      *prometheus.CounterVec
	responses     *prometheus.CounterVec
	escalations   *prometheus.CounterVec
	transitions   *prometheus.CounterVec
	timeToReady   *prometheus.HistogramVec
	rejected      *prometheus.CounterVec
	snapSeconds   prometheus.Histogram
	snapBytes     prometheus.Gauge
	quarantined   *prometheus.CounterVec
	retries       *prometheus.CounterVec
}

// NewMetrics registers the engine metrics on reg (no global registry).
func NewMetrics(reg prometheus.Registerer) *Metrics {
	m := &Metrics{
		declarations: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "kaskade_declarations_total",
			Help: "Incidents declared."}, []string{"severity", "exercise"}),
		notifications: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "kaskade_notifications_requested_total",
			Help: "Notifications requested by the engine."}, []string{"channel", "purpose", "exercise"}),
		outcomes: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "kaskade_notifications_total",
			Help: "Notification outcomes by channel and delivery state."}, []string{"channel", "state"}),
		responses: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "kaskade_responses_total",
			Help: "Responses recorded by kind and source."}, []string{"kind", "source", "exercise"}),
		escalations: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "kaskade_escalations_total",
			Help: "Deputies alerted and nodes exhausted, by reason."}, []string{"reason"}),
		transitions: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "kaskade_readiness_transitions_total",
			Help: "Readiness transitions by new state."}, []string{"state", "exercise"}),
		timeToReady: prometheus.NewHistogramVec(prometheus.HistogramOpts{Name: "kaskade_time_to_ready_seconds",
			Help:    "Time from declaration to an organisation's first ready state.",
			Buckets: []float64{60, 120, 300, 600, 900, 1200, 1800, 2700, 3600, 7200}}, []string{"exercise"}),
		rejected: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "kaskade_inputs_rejected_total",
			Help: "Inputs the engine refused, by input kind."}, []string{"input"}),
		snapSeconds: prometheus.NewHistogram(prometheus.HistogramOpts{Name: "kaskade_snapshot_encode_seconds",
			Help:    "Time the leader spent encoding a snapshot (decisions wait meanwhile).",
			Buckets: []float64{.001, .005, .02, .05, .1, .2, .5, 1, 2}}),
		snapBytes: prometheus.NewGauge(prometheus.GaugeOpts{Name: "kaskade_snapshot_bytes",
			Help: "Size of the newest snapshot taken."}),
		quarantined: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "kaskade_quarantined_messages_total",
			Help: "Undecodable messages and events of unknown kind skipped, by stream (events, input, declare, warnings)."}, []string{"stream"}),
		retries: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "kaskade_provider_retries_total",
			Help: "Sends the provider did not take, by channel and result: retried later, or given up when the retry budget was spent."},
			[]string{"channel", "result"}),
	}
	reg.MustRegister(m.declarations, m.notifications, m.outcomes, m.responses, m.escalations, m.transitions, m.timeToReady, m.rejected,
		m.snapSeconds, m.snapBytes, m.quarantined, m.retries)
	for _, s := range []string{QuarantineEvents, QuarantineInput, QuarantineDeclare, QuarantineWarnings} {
		m.quarantined.WithLabelValues(s) // present at 0, so an alert rule sees the first increase
	}
	return m
}

// Outcome counts a dispatcher result.
func (m *Metrics) Outcome(channel, state string) {
	if m != nil {
		m.outcomes.WithLabelValues(channel, state).Inc()
	}
}

// ProviderRetry counts a temporary provider failure retried later or given up (RetryRetried, RetryGivenUp).
func (m *Metrics) ProviderRetry(channel, result string) {
	if m != nil {
		m.retries.WithLabelValues(channel, result).Inc()
	}
}

// Quarantined counts a message skipped on stream (events, input, declare, warnings).
func (m *Metrics) Quarantined(stream string) {
	if m != nil {
		m.quarantined.WithLabelValues(stream).Inc()
	}
}

func (m *Metrics) snapshotTaken(took time.Duration, bytes int) {
	if m != nil {
		m.snapSeconds.Observe(took.Seconds())
		m.snapBytes.Set(float64(bytes))
	}
}

func exerciseLabel(b bool) string {
	if b {
		return "true"
	}
	return "false"
}

// incidentInfo tells metrics whether an incident is an exercise and when it was declared.
type incidentInfo func(id string) (exercise bool, declaredAt time.Time)

// events counts persisted events; exercise labels keep drills apart from real alarms.
func (m *Metrics) events(evs []activation.Event, info incidentInfo) {
	if m == nil {
		return
	}
	for _, e := range evs {
		ex, declaredAt := info(e.Incident)
		exercise := exerciseLabel(ex)
		switch e.Kind {
		case activation.KindDeclared:
			m.declarations.WithLabelValues(e.Declared.Severity, exerciseLabel(e.Declared.Exercise)).Inc()
		case activation.KindNotification:
			m.notifications.WithLabelValues(e.Notification.Channel, string(e.Notification.Purpose), exercise).Inc()
		case activation.KindResponse:
			m.responses.WithLabelValues(string(e.Response.Kind), e.Response.Source, exercise).Inc()
		case activation.KindTierAlerted:
			if e.Tier.Reason != "start" && e.Tier.Reason != "cascade" {
				m.escalations.WithLabelValues(e.Tier.Reason).Inc()
			}
		case activation.KindNodeExhausted:
			m.escalations.WithLabelValues("exhausted").Inc()
		case activation.KindReadiness:
			m.transitions.WithLabelValues(string(e.Readiness.State), exercise).Inc()
			if e.Readiness.State == activation.Ready && e.Readiness.Previous != activation.Degraded && !declaredAt.IsZero() {
				m.timeToReady.WithLabelValues(exercise).Observe(e.At.Sub(declaredAt).Seconds())
			}
		case activation.KindRejected:
			m.rejected.WithLabelValues(e.Rejected.Input).Inc()
		}
	}
}
