package twilio

import (
	"strings"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/kaskade-bcm/kaskade/notifiers"
)

// Call results, the values of the result label: how a placed call ended.
const (
	ResultAnswered = "answered" // a person took the call
	ResultMachine  = "machine"  // an answering machine or fax took it
	ResultBusy     = "busy"
	ResultNoAnswer = "no-answer"
	ResultFailed   = "failed"
	ResultCanceled = "canceled"
)

// VoiceMetrics are the Prometheus collectors of calls; share one between
// the Voice notifier (calls placed) and the voice webhooks (results,
// keypad answers). A nil *VoiceMetrics records nothing.
type VoiceMetrics struct {
	calls    *prometheus.CounterVec
	duration *prometheus.HistogramVec
	results  *prometheus.CounterVec
	keys     *prometheus.CounterVec
}

// NewVoiceMetrics creates the collectors and registers them with reg (if
// not nil); registering twice reuses the collectors already there.
//
//	kaskade_voice_calls_total{outcome}            Create Call requests (sent = placed)
//	kaskade_voice_request_duration_seconds{outcome}
//	kaskade_voice_call_results_total{result}      answered, machine, busy, no-answer, failed, canceled
//	kaskade_voice_keypad_answers_total{answer}    available, delayed, unavailable
func NewVoiceMetrics(reg prometheus.Registerer) *VoiceMetrics {
	m := &VoiceMetrics{
		calls: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "kaskade_voice_calls_total",
			Help: "Twilio Create Call requests by outcome (sent: the call was placed)."}, []string{"outcome"}),
		duration: prometheus.NewHistogramVec(prometheus.HistogramOpts{Name: "kaskade_voice_request_duration_seconds",
			Help:    "Duration of Twilio Create Call requests, rate-limit wait excluded.",
			Buckets: []float64{.005, .01, .025, .05, .1, .2, .35, .5, 1, 2.5, 5, 10}}, []string{"outcome"}),
		results: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "kaskade_voice_call_results_total",
			Help: "How placed calls ended, from Twilio's signed status callbacks."}, []string{"result"}),
		keys: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "kaskade_voice_keypad_answers_total",
			Help: "Answers recorded by keypad in calls (out and in), by kind."}, []string{"answer"}),
	}
	if reg != nil {
		m.calls = register(reg, m.calls)
		m.duration = register(reg, m.duration)
		m.results = register(reg, m.results)
		m.keys = register(reg, m.keys)
	}
	// Present at 0, so that a rule sees the first increase.
	for _, o := range []string{OutcomeSent, OutcomeFailed, OutcomeTemporary, OutcomeUnknown} {
		m.calls.WithLabelValues(o)
	}
	for _, r := range []string{ResultAnswered, ResultMachine, ResultBusy, ResultNoAnswer, ResultFailed, ResultCanceled} {
		m.results.WithLabelValues(r)
	}
	for _, a := range []string{"available", "delayed", "unavailable"} {
		m.keys.WithLabelValues(a)
	}
	return m
}

func (m *VoiceMetrics) placed(outcome string, d time.Duration) {
	if m == nil {
		return
	}
	m.calls.WithLabelValues(outcome).Inc()
	if outcome != OutcomeCanceled {
		m.duration.WithLabelValues(outcome).Observe(d.Seconds())
	}
}

// ended counts a call's final status callback (completed, busy, …).
func (m *VoiceMetrics) ended(status string, state notifiers.State, code string) {
	if m == nil {
		return
	}
	switch {
	case status == "completed" && code == notifiers.CodeMachine:
		m.results.WithLabelValues(ResultMachine).Inc()
	case status == "completed" && state == notifiers.StateDelivered:
		m.results.WithLabelValues(ResultAnswered).Inc()
	case status == ResultBusy || status == ResultNoAnswer || status == ResultFailed || status == ResultCanceled:
		m.results.WithLabelValues(status).Inc()
	}
}

// keypad counts an answer recorded by keypad ("1", "2 20", "3").
func (m *VoiceMetrics) keypad(answer string) {
	if m == nil {
		return
	}
	switch {
	case answer == "1":
		m.keys.WithLabelValues("available").Inc()
	case answer == "3":
		m.keys.WithLabelValues("unavailable").Inc()
	case strings.HasPrefix(answer, "2"):
		m.keys.WithLabelValues("delayed").Inc()
	}
}
