package deploy_test

import (
	"errors"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"go.yaml.in/yaml/v3"
)

// object is the part of a Kubernetes object (or any YAML document) the
// tests look at.
type object struct {
	file string
	Kind string `yaml:"kind"`
	Meta struct {
		Name string `yaml:"name"`
	} `yaml:"metadata"`
	Data map[string]string `yaml:"data"`
	raw  map[string]any
}

// documents parses every YAML document of every *.yaml and *.yml file under
// deploy/; a file that does not parse fails the test.
func documents(t *testing.T) []object {
	t.Helper()
	var out []object
	err := filepath.WalkDir(".", func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || !(strings.HasSuffix(path, ".yaml") || strings.HasSuffix(path, ".yml")) {
			return err
		}
		f, err := os.Open(path)
		if err != nil {
			return err
		}
		defer f.Close()
		dec := yaml.NewDecoder(f)
		for {
			var n yaml.Node
			if err := dec.Decode(&n); errors.Is(err, io.EOF) {
				break
			} else if err != nil {
				t.Errorf("%s: %v", path, err)
				break
			}
			o := object{file: path}
			if err := n.Decode(&o); err != nil {
				t.Errorf("%s: %v", path, err)
			}
			if err := n.Decode(&o.raw); err != nil {
				t.Errorf("%s: %v", path, err)
			}
			out = append(out, o)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func find(t *testing.T, docs []object, kind, name string) object {
	t.Helper()
	for _, o := range docs {
		if o.Kind == kind && o.Meta.Name == name {
			return o
		}
	}
	t.Fatalf("no %s %s under deploy/", kind, name)
	return object{}
}

// natsConfigMap returns the files of the NATS ConfigMap in Kubernetes.
func natsConfigMap(t *testing.T) map[string]string {
	t.Helper()
	return find(t, documents(t), "ConfigMap", "nats-config").Data
}

// networkPolicy is the part of a NetworkPolicy the test checks.
type networkPolicy struct {
	Spec struct {
		PodSelector selector `yaml:"podSelector"`
		PolicyTypes []string `yaml:"policyTypes"`
		Ingress     []struct {
			Ports []struct {
				Port int `yaml:"port"`
			} `yaml:"ports"`
			From []struct {
				PodSelector       *selector `yaml:"podSelector"`
				NamespaceSelector *selector `yaml:"namespaceSelector"`
				IPBlock           any       `yaml:"ipBlock"`
			} `yaml:"from"`
		} `yaml:"ingress"`
	} `yaml:"spec"`
}

type selector struct {
	MatchLabels      map[string]string `yaml:"matchLabels"`
	MatchExpressions []struct {
		Key      string   `yaml:"key"`
		Operator string   `yaml:"operator"`
		Values   []string `yaml:"values"`
	} `yaml:"matchExpressions"`
}

func (s *selector) empty() bool {
	return s == nil || len(s.MatchLabels) == 0 && len(s.MatchExpressions) == 0
}

// admits reports whether the selector names pods by one of the labels.
func (s *selector) admits(key, value string) bool {
	if s == nil {
		return false
	}
	if s.MatchLabels[key] == value {
		return true
	}
	for _, e := range s.MatchExpressions {
		if e.Key == key && e.Operator == "In" && slices.Contains(e.Values, value) {
			return true
		}
	}
	return false
}

func TestNATSNetworkPolicy(t *testing.T) {
	docs := documents(t)
	o := find(t, docs, "NetworkPolicy", "nats")
	var np networkPolicy
	remarshal(t, o.raw, &np)
	if np.Spec.PodSelector.MatchLabels["app.kubernetes.io/name"] != "nats" || !slices.Contains(np.Spec.PolicyTypes, "Ingress") {
		t.Fatalf("NetworkPolicy nats does not select the NATS pods for ingress: %+v", np.Spec.PodSelector)
	}
	// port → the labels one of its peers must select by.
	allowed := map[int][]string{
		4222: {"app.kubernetes.io/name=kaskade", "kaskade.io/nats-client=declarer", "kaskade.io/nats-client=observer", "kaskade.io/nats-client=intake"},
		6222: {"app.kubernetes.io/name=nats"},
		8222: {"app.kubernetes.io/name=prometheus"},
	}
	seen := map[int]bool{}
	for i, rule := range np.Spec.Ingress {
		if len(rule.Ports) == 0 || len(rule.From) == 0 {
			t.Errorf("ingress[%d] admits every port or every source", i)
		}
		for _, p := range rule.Ports {
			labels, ok := allowed[p.Port]
			if !ok {
				t.Errorf("ingress[%d]: port %d is not one NATS should expose", i, p.Port)
			}
			seen[p.Port] = true
			for j, peer := range rule.From {
				if peer.IPBlock != nil || peer.PodSelector.empty() {
					t.Errorf("ingress[%d].from[%d] to port %d admits any pod or address", i, j, p.Port)
					continue
				}
				if !slices.ContainsFunc(labels, func(l string) bool {
					k, v, _ := strings.Cut(l, "=")
					return peer.PodSelector.admits(k, v)
				}) {
					t.Errorf("ingress[%d].from[%d] to port %d selects pods outside %v", i, j, p.Port, labels)
				}
			}
		}
	}
	for port := range allowed {
		if !seen[port] {
			t.Errorf("no ingress rule for port %d", port)
		}
	}
	kust := find(t, docs, "Kustomization", "")
	if !slices.Contains(anyStrings(kust.raw["resources"]), "networkpolicy.yaml") {
		t.Error("kustomization.yaml does not apply networkpolicy.yaml")
	}
}

// TestKaskadeConnectsWithCredentials: both deployments give Kaskade TLS and
// its nkey for the cluster, never credentials in the URL.
func TestKaskadeConnectsWithCredentials(t *testing.T) {
	docs := documents(t)
	var dep struct {
		Spec struct {
			Template struct {
				Spec struct {
					Containers []struct {
						Args []string `yaml:"args"`
					} `yaml:"containers"`
				} `yaml:"spec"`
			} `yaml:"template"`
		} `yaml:"spec"`
	}
	remarshal(t, find(t, docs, "Deployment", "kaskade").raw, &dep)
	commands := map[string][]string{"kubernetes Deployment kaskade": dep.Spec.Template.Spec.Containers[0].Args}

	var compose struct {
		Services map[string]struct {
			Command []string `yaml:"command"`
			Ports   []string `yaml:"ports"`
		} `yaml:"services"`
	}
	for _, o := range docs {
		if strings.HasSuffix(o.file, "docker-compose.yml") {
			remarshal(t, o.raw, &compose)
		}
	}
	if len(compose.Services) == 0 {
		t.Fatal("no services in compose/docker-compose.yml")
	}
	for name, svc := range compose.Services {
		for _, p := range svc.Ports {
			if !strings.HasPrefix(p, "127.0.0.1:") {
				t.Errorf("compose %s publishes %s beyond loopback", name, p)
			}
		}
		if strings.HasPrefix(name, "kaskade") {
			commands["compose "+name] = svc.Command
		}
	}
	for where, args := range commands {
		line := strings.Join(args, " ")
		for _, want := range []string{"--nats-url", "--nats-nkey", "--nats-ca"} {
			if !strings.Contains(line, want) {
				t.Errorf("%s: no %s in %q", where, want, line)
			}
		}
		if strings.Contains(line, "nats://") || strings.Contains(line, "@") {
			t.Errorf("%s: plain nats:// or user information in the URL: %q", where, line)
		}
	}
}

func TestPrometheusRules(t *testing.T) {
	var rules struct {
		Groups []struct {
			Rules []struct {
				Alert string `yaml:"alert"`
				Expr  string `yaml:"expr"`
			} `yaml:"rules"`
		} `yaml:"groups"`
	}
	b, err := os.ReadFile("prometheus/kaskade-rules.yaml")
	if err != nil {
		t.Fatal(err)
	}
	if err := yaml.Unmarshal(b, &rules); err != nil {
		t.Fatal(err)
	}
	exprs := map[string]string{}
	for _, g := range rules.Groups {
		for _, r := range g.Rules {
			exprs[r.Alert] = r.Expr
		}
	}
	for alert, metric := range map[string]string{
		"KaskadeQuarantinedMessage": "kaskade_quarantined_messages_total",
		"KaskadeEngineNotLeading":   "kaskade_engine_leader",
	} {
		if !strings.Contains(exprs[alert], metric) {
			t.Errorf("alert %s: expression %q does not use %s", alert, exprs[alert], metric)
		}
	}
}

func remarshal(t *testing.T, in any, out any) {
	t.Helper()
	b, err := yaml.Marshal(in)
	if err != nil {
		t.Fatal(err)
	}
	if err := yaml.Unmarshal(b, out); err != nil {
		t.Fatal(err)
	}
}

func anyStrings(v any) []string {
	var out []string
	if l, ok := v.([]any); ok {
		for _, x := range l {
			if s, ok := x.(string); ok {
				out = append(out, s)
			}
		}
	}
	return out
}
