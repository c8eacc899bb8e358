package opsmetrics_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
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
var pending = []string{}

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
	if err != nil && os.Getenv("CI") != "" {
		t.Fatal("promtool not found, but CI must check the rules with it (.ci/run installs Debian's prometheus)")
	}
	if err != nil {
		t.Skip("promtool not installed (Debian: apt-get install prometheus)")
	}
	exprs := filepath.Join(t.TempDir(), "dashboard-rules.yaml")
	if err := os.WriteFile(exprs, dashboardAsRules(t), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, args := range [][]string{{"check", "rules", rulesFile}, {"test", "rules", rulesTestFile}, {"check", "rules", exprs}} {
		out, err := exec.Command(promtool, args...).CombinedOutput()
		if err != nil {
			t.Errorf("promtool %s: %v\n%s", strings.Join(args, " "), err, out)
		}
	}
}

// dashboardAsRules turns the dashboard's queries into recording rules, so
// that promtool parses them (Grafana's range variables become 5m).
func dashboardAsRules(t *testing.T) []byte {
	t.Helper()
	data, err := os.ReadFile(dashboardFile)
	if err != nil {
		t.Fatal(err)
	}
	var dash struct{ Panels []dashPanel }
	if err := json.Unmarshal(data, &dash); err != nil {
		t.Fatal(err)
	}
	type rule struct {
		Record string `yaml:"record"`
		Expr   string `yaml:"expr"`
	}
	var rules []rule
	vars := strings.NewReplacer("$__rate_interval", "5m", "$__range", "5m", "$__interval", "1m")
	for _, p := range dash.Panels {
		for _, q := range p.Targets {
			rules = append(rules, rule{Record: fmt.Sprintf("dashboard:panel%d_%s", p.ID, q.RefID), Expr: vars.Replace(q.Expr)})
		}
	}
	out, err := yaml.Marshal(map[string]any{"groups": []any{map[string]any{"name": "dashboard", "rules": rules}}})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

type dashPanel struct {
	ID          int         `json:"id"`
	Type        string      `json:"type"`
	Title       string      `json:"title"`
	Description string      `json:"description"`
	Panels      []dashPanel `json:"panels"`
	Datasource  *struct {
		UID string `json:"uid"`
	} `json:"datasource"`
	Targets []struct {
		Expr  string `json:"expr"`
		RefID string `json:"refId"`
	} `json:"targets"`
	GridPos struct{ H, W, X, Y int } `json:"gridPos"`
}

func TestDashboardNamesRegisteredMetrics(t *testing.T) {
	data, err := os.ReadFile(dashboardFile)
	if err != nil {
		t.Fatal(err)
	}
	var dash struct {
		UID    string      `json:"uid"`
		Title  string      `json:"title"`
		Panels []dashPanel `json:"panels"`
	}
	if err := json.Unmarshal(data, &dash); err != nil {
		t.Fatal(err)
	}
	if dash.UID == "" || dash.Title == "" {
		t.Fatal("the dashboard needs a uid and a title")
	}
	names := registered(t)
	ids := map[int]bool{}
	used := map[string]bool{}
	var walk func([]dashPanel)
	walk = func(ps []dashPanel) {
		for _, p := range ps {
			if ids[p.ID] {
				t.Errorf("panel id %d twice", p.ID)
			}
			ids[p.ID] = true
			walk(p.Panels)
			if p.Type == "row" {
				continue
			}
			if p.Title == "" || p.Description == "" || len(p.Targets) == 0 {
				t.Errorf("panel %d %q: needs a title, a description and a query", p.ID, p.Title)
			}
			if p.GridPos.W <= 0 || p.GridPos.H <= 0 || p.GridPos.X+p.GridPos.W > 24 {
				t.Errorf("panel %q: grid position %+v", p.Title, p.GridPos)
			}
			if p.Datasource == nil || p.Datasource.UID != "${datasource}" {
				t.Errorf("panel %q: use the datasource variable", p.Title)
			}
			for _, q := range p.Targets {
				if unknown := unknownMetrics(q.Expr, names); len(unknown) > 0 {
					t.Errorf("panel %q: names metrics Kaskade does not register: %v", p.Title, unknown)
				}
				if strings.Count(q.Expr, "(") != strings.Count(q.Expr, ")") || strings.Count(q.Expr, "{") != strings.Count(q.Expr, "}") {
					t.Errorf("panel %q: unbalanced expression %s", p.Title, q.Expr)
				}
				for _, n := range metricName.FindAllString(q.Expr, -1) {
					used[n] = true
				}
			}
		}
	}
	walk(dash.Panels)
	// What issue 20 asks the dashboard to show.
	for _, m := range []string{opsmetrics.IncidentsOpen, opsmetrics.OrgReadiness, "kaskade_notifications_total",
		opsmetrics.InputOldest, opsmetrics.DispatchBacklog, "kaskade_declarations_total"} {
		if !used[m] {
			t.Errorf("no panel shows %s", m)
		}
	}
}
