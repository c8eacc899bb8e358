package opsmetrics_test

import (
	"bytes"
	"os"
	"os/exec"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"go.yaml.in/yaml/v3"

	"github.com/kaskade-bcm/kaskade/activation/engine"
	"github.com/kaskade-bcm/kaskade/cmd/internal/opsmetrics"
	"github.com/kaskade-bcm/kaskade/notifiers/twilio"
)

// The operation files these tests check, from this package's directory.
const (
	rulesFile      = "../../../deploy/prometheus/kaskade-rules.yaml"
	rulesTestFile  = "../../../deploy/prometheus/kaskade-rules.test.yaml"
	dashboardFile  = "../../../deploy/grafana/kaskade.json"
	histogramParts = "_bucket|_sum|_count"
)

// pending are metrics the rules use that another branch registers
// (kaskade_quarantined_messages_total: the engine's quarantine). Drop an
// entry once its branch is merged.
var pending = []string{"kaskade_quarantined_messages_total"}

// recorder is a Registerer that keeps the names of what registers.
type recorder struct{ names map[string]bool }

var fqName = regexp.MustCompile(`fqName: "([^"]+)"`)

func (r recorder) Register(c prometheus.Collector) error {
	ch := make(chan *prometheus.Desc, 64)
	go func() { c.Describe(ch); close(ch) }()
	for d := range ch {
		if m := fqName.FindStringSubmatch(d.String()); m != nil {
			r.names[m[1]] = true
		}
	}
	return nil
}

func (r recorder) MustRegister(cs ...prometheus.Collector) {
	for _, c := range cs {
		_ = r.Register(c)
	}
}

func (r recorder) Unregister(prometheus.Collector) bool { return false }

// registered returns the names Kaskade registers on its /metrics registry
// (as serve does: engine, Twilio, these gauges, Go and process collectors).
func registered(t *testing.T) map[string]bool {
	t.Helper()
	r := recorder{names: map[string]bool{}}
	engine.NewMetrics(r)
	twilio.NewMetrics(r)
	if err := opsmetrics.Register(r, opsmetrics.Options{}); err != nil {
		t.Fatal(err)
	}
	r.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	for _, p := range pending {
		r.names[p] = true
	}
	if len(r.names) < 20 {
		t.Fatalf("only %d metrics recorded: %v", len(r.names), r.names)
	}
	return r.names
}

var metricName = regexp.MustCompile(`\b(kaskade|go|process)_[a-z0-9_]+\b`)

// unknownMetrics returns the metric names in expr that are not registered.
func unknownMetrics(expr string, names map[string]bool) []string {
	var out []string
	for _, n := range metricName.FindAllString(expr, -1) {
		base := regexp.MustCompile(`(`+histogramParts+`)$`).ReplaceAllString(n, "")
		if !names[n] && !names[base] {
			out = append(out, n)
		}
	}
	return out
}

type ruleFile struct {
	Groups []struct {
		Name  string `yaml:"name"`
		Rules []struct {
			Alert       string            `yaml:"alert"`
			Record      string            `yaml:"record"`
			Expr        string            `yaml:"expr"`
			For         string            `yaml:"for"`
			Labels      map[string]string `yaml:"labels"`
			Annotations map[string]string `yaml:"annotations"`
		} `yaml:"rules"`
	} `yaml:"groups"`
}

var promDuration = regexp.MustCompile(`^([0-9]+(ms|s|m|h|d|w|y))+$`)

func TestAlertRulesNameRegisteredMetrics(t *testing.T) {
	data, err := os.ReadFile(rulesFile)
	if err != nil {
		t.Fatal(err)
	}
	var rf ruleFile
	dec := yaml.NewDecoder(bytes.NewReader(data))
	dec.KnownFields(true)
	if err := dec.Decode(&rf); err != nil {
		t.Fatal(err)
	}
	names := registered(t)
	alerts := map[string]bool{}
	for _, g := range rf.Groups {
		for _, r := range g.Rules {
			where := g.Name + "/" + r.Alert + r.Record
			if alerts[r.Alert] && r.Alert != "" {
				t.Errorf("%s: alert named twice", where)
			}
			alerts[r.Alert] = true
			if strings.TrimSpace(r.Expr) == "" || (r.Alert == "") == (r.Record == "") {
				t.Errorf("%s: needs an expr and exactly one of alert and record", where)
			}
			if r.For != "" && !promDuration.MatchString(r.For) {
				t.Errorf("%s: for %q is not a duration", where, r.For)
			}
			if unknown := unknownMetrics(r.Expr, names); len(unknown) > 0 {
				t.Errorf("%s: names metrics Kaskade does not register: %v", where, unknown)
			}
			if r.Alert == "" {
				continue
			}
			if !slices.Contains([]string{"info", "warning", "critical"}, r.Labels["severity"]) {
				t.Errorf("%s: severity %q", where, r.Labels["severity"])
			}
			if r.Annotations["summary"] == "" || r.Annotations["description"] == "" {
				t.Errorf("%s: needs a summary and a description", where)
			}
		}
	}
	// The rules issue 20 asks for.
	for _, a := range []string{"KaskadeEngineNotLeading", "KaskadeUndecodableEvents", "KaskadeSendFailures",
		"KaskadeOrganisationAtRisk", "KaskadeNATSUnreachable", "KaskadeCertificateExpiring", "KaskadeCredentialsExpiring"} {
		if !alerts[a] {
			t.Errorf("no alert %s", a)
		}
	}
}

func TestUnknownMetricsAreFound(t *testing.T) {
	names := map[string]bool{"kaskade_time_to_ready_seconds": true, "kaskade_engine_leader": true}
	for expr, want := range map[string][]string{
		`histogram_quantile(0.9, sum by (le) (rate(kaskade_time_to_ready_seconds_bucket[5m])))`: nil,
		`sum(kaskade_engine_leader{job="kaskade"}) < 1`:                                         nil,
		`kaskade_engine_leaders == 0 or kaskade_nats_up`:                                        {"kaskade_engine_leaders", "kaskade_nats_up"},
	} {
		if got := unknownMetrics(expr, names); !slices.Equal(got, want) {
			t.Errorf("%s: unknown %v, want %v", expr, got, want)
		}
	}
}

// TestPromtool runs promtool's syntax check and the rules' unit tests
// where promtool is installed (Debian: apt-get install prometheus).
func TestPromtool(t *testing.T) {
	promtool, err := exec.LookPath("promtool")
	if err != nil {
		t.Skip("promtool not installed")
	}
	for _, args := range [][]string{{"check", "rules", rulesFile}, {"test", "rules", rulesTestFile}} {
		out, err := exec.Command(promtool, args...).CombinedOutput()
		if err != nil {
			t.Errorf("promtool %s: %v\n%s", strings.Join(args, " "), err, out)
		}
	}
}
