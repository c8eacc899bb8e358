// Package opsmetrics owns the operational gauges that Kaskade's alert rules
// and dashboard need beside the engine's counters: leadership, the NATS
// connection, the engine's and the dispatcher's backlogs, open incidents and
// readiness per organisation, and when certificates and NATS credentials
// expire. Every value is read when Prometheus scrapes.
package opsmetrics

import (
	"context"
	"time"

	"github.com/nats-io/nats.go/jetstream"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/kaskade-bcm/kaskade/activation"
	"github.com/kaskade-bcm/kaskade/activation/engine"
)

// Engine is what the gauges read from the engine (*engine.Engine).
type Engine interface {
	Leader() bool
	Ready() bool
	Incidents() []activation.IncidentView
}

// Options say what to observe. Nil fields leave their gauges out.
type Options struct {
	Engine Engine
	// Connected reports whether the NATS connection is up (nats.Conn.IsConnected).
	Connected func() bool
	JS        jetstream.JetStream
	Layout    engine.Layout
	// Certificates are PEM files by name (the flag, e.g. nats-tls-cert);
	// Credentials are NATS credentials files (JWT) by name (nats-creds).
	// Entries with an empty path (a flag not given) are left out.
	Certificates map[string]string
	Credentials  map[string]string
	// Timeout bounds the JetStream queries of one scrape (default 2 s).
	Timeout time.Duration
	Now     func() time.Time
}

// The metric names, for rules and dashboards.
const (
	EngineLeader        = "kaskade_engine_leader"
	EngineReady         = "kaskade_engine_ready"
	NATSConnected       = "kaskade_nats_connected"
	InputBacklog        = "kaskade_engine_input_backlog"
	InputOldest         = "kaskade_engine_input_oldest_seconds"
	DispatchBacklog     = "kaskade_dispatch_backlog"
	IncidentsOpen       = "kaskade_incidents_open"
	OrgReadiness        = "kaskade_organisation_readiness"
	CertificateExpiry   = "kaskade_certificate_expiry_timestamp_seconds"
	CredentialsExpiry   = "kaskade_nats_credentials_expiry_timestamp_seconds"
	dispatchConsumer    = "dispatch"
	defaultQueryTimeout = 2 * time.Second
)

var (
	descLeader    = prometheus.NewDesc(EngineLeader, "1 while this instance leads the engine (decides inputs and fires escalations).", nil, nil)
	descReady     = prometheus.NewDesc(EngineReady, "1 once the event log is replayed and reads are current.", nil, nil)
	descConnected = prometheus.NewDesc(NATSConnected, "1 while the connection to NATS is up.", nil, nil)
	descBacklog   = prometheus.NewDesc(InputBacklog, "Inputs (answers, declarations, receipts) waiting for the engine's decision.", nil, nil)
	descOldest    = prometheus.NewDesc(InputOldest, "Age of the oldest input waiting for a decision (0 when none waits): the engine's lag.", nil, nil)
	descDispatch  = prometheus.NewDesc(DispatchBacklog, "Messages of notification requests (one request, or a pack of several) not yet settled and acknowledged by the dispatcher, by priority class.", []string{"class"}, nil)
	descOpen      = prometheus.NewDesc(IncidentsOpen, "Incidents declared and not stood down.", []string{"exercise"}, nil)
	descReadiness = prometheus.NewDesc(OrgReadiness, "1 for the current readiness state of each organisation of each open incident.",
		[]string{"incident", "org", "state", "exercise"}, nil)
	descCert = prometheus.NewDesc(CertificateExpiry,
		"When the first certificate of the file expires (Unix seconds); 0 when it cannot be read.", []string{"name"}, nil)
	descCreds = prometheus.NewDesc(CredentialsExpiry,
		"When the JWT of the NATS credentials file expires (Unix seconds); 0 when it cannot be read, absent when it never expires.",
		[]string{"name"}, nil)
)

// Register adds the gauges to reg.
func Register(reg prometheus.Registerer, opts Options) error {
	if opts.Timeout <= 0 {
		opts.Timeout = defaultQueryTimeout
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	opts.Certificates, opts.Credentials = given(opts.Certificates), given(opts.Credentials)
	return reg.Register(collector{opts})
}

// given drops the names without a file.
func given(files map[string]string) map[string]string {
	out := make(map[string]string, len(files))
	for name, path := range files {
		if path != "" {
			out[name] = path
		}
	}
	return out
}

type collector struct{ opts Options }

func (c collector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{descLeader, descReady, descConnected, descBacklog, descOldest, descDispatch,
		descOpen, descReadiness, descCert, descCreds} {
		ch <- d
	}
}

func (c collector) Collect(ch chan<- prometheus.Metric) {
	o := c.opts
	if o.Engine != nil {
		ch <- gauge(descLeader, boolValue(o.Engine.Leader()))
		ch <- gauge(descReady, boolValue(o.Engine.Ready()))
		c.incidents(ch)
	}
	if o.Connected != nil {
		ch <- gauge(descConnected, boolValue(o.Connected()))
	}
	if o.JS != nil {
		c.backlogs(ch)
	}
	for name, file := range o.Certificates {
		ch <- gauge(descCert, unixOrZero(certificateExpiry(file)), name)
	}
	for name, file := range o.Credentials {
		exp, err := credentialsExpiry(file)
		if err == nil && exp.IsZero() {
			continue // never expires
		}
		ch <- gauge(descCreds, unixOrZero(exp, err), name)
	}
}

// incidents reports open incidents and each organisation's current state.
func (c collector) incidents(ch chan<- prometheus.Metric) {
	open := map[bool]int{false: 0, true: 0}
	for _, inc := range c.opts.Engine.Incidents() {
		if inc.Status == "stood_down" {
			continue
		}
		open[inc.Exercise]++
		ex := exerciseLabel(inc.Exercise)
		for _, org := range inc.Organisations {
			ch <- gauge(descReadiness, 1, inc.ID, org.Org, string(org.State), ex)
		}
	}
	for ex, n := range open {
		ch <- gauge(descOpen, float64(n), exerciseLabel(ex))
	}
}

// backlogs reads the input stream and the dispatcher's consumer; a value
// that cannot be read is left out (NATSConnected tells why).
func (c collector) backlogs(ch chan<- prometheus.Metric) {
	ctx, cancel := context.WithTimeout(context.Background(), c.opts.Timeout)
	defer cancel()
	if s, err := c.opts.JS.Stream(ctx, c.opts.Layout.InputStream()); err == nil {
		if info, err := s.Info(ctx); err == nil {
			ch <- gauge(descBacklog, float64(info.State.Msgs))
			age := 0.0
			if info.State.Msgs > 0 && !info.State.FirstTime.IsZero() {
				age = max(c.opts.Now().Sub(info.State.FirstTime).Seconds(), 0)
			}
			ch <- gauge(descOldest, age)
		}
	}
	// One durable consumer per priority class ("dispatch-<class>"), and
	// "dispatch" for requests written before classes.
	for _, class := range append([]string{"legacy"}, activation.Classes...) {
		name := dispatchConsumer
		if class != "legacy" {
			name += "-" + class
		}
		if cons, err := c.opts.JS.Consumer(ctx, c.opts.Layout.EventsStream(), name); err == nil {
			if info, err := cons.Info(ctx); err == nil {
				ch <- gauge(descDispatch, float64(info.NumPending)+float64(info.NumAckPending), class)
			}
		}
	}
}

func gauge(d *prometheus.Desc, v float64, labels ...string) prometheus.Metric {
	return prometheus.MustNewConstMetric(d, prometheus.GaugeValue, v, labels...)
}

func boolValue(b bool) float64 {
	if b {
		return 1
	}
	return 0
}

func exerciseLabel(b bool) string {
	if b {
		return "true"
	}
	return "false"
}

func unixOrZero(t time.Time, err error) float64 {
	if err != nil || t.IsZero() {
		return 0
	}
	return float64(t.Unix())
}
