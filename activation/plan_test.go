package activation

import (
	"reflect"
	"testing"
	"time"

	"go.yaml.in/yaml/v3"

	"github.com/kaskade-bcm/kaskade/config"
)

const planYAML = `version: 1
functions:
  - {id: lead, name: {de: Leitung}}
  - {id: it, name: {de: IT}}
policies:
  - {id: std, wait: 10m, steps: [{channel: sms}]}
  - {id: fast, wait: 2m, steps: [{channel: sms}, {channel: email, after: 1m}]}
organisations:
  - {id: MI, name: {de: Innen, en: Interior}, call_tree: t, readiness: {required: {lead: 1, it: 1}, target: 45m}}
people:
  - {id: a, name: A, organisation: MI, mobile: "+4915100003001", functions: [lead]}
  - {id: b, name: B, organisation: MI, mobile: "+4915100003002", functions: [lead]}
  - {id: c, name: C, organisation: MI, mobile: "+4915100003003", functions: [it]}
  - {id: d, name: D, organisation: MI, mobile: "+4915100003004", functions: [it]}
  - {id: e, name: E, organisation: MI, mobile: "+4915100003005", functions: [it]}
  - {id: f, name: F, organisation: MI, mobile: "+4915100003006", functions: [it]}
  - {id: g, name: G, organisation: MI, mobile: "+4915100003007", functions: [lead]}
  - {id: h, name: H, organisation: MI, mobile: "+4915100003008", functions: [it]}
call_trees:
  - id: t
    organisation: MI
    policy: std
    nodes:
      - function: lead
        person: a
        deputies: [b]
        wait: 5m
        children:
          - function: it
            person: c
            policy: fast
            deputies: [d, e]
            children:
              - {function: it, person: f}
              - {function: it, person: h, wait: 30s}
          - {function: lead, person: g}
`

// oldPlanNodes is how BuildPlan walked the nested nodes before call trees
// were kept in a compact form: the reference its output must match.
func oldPlanNodes(t *testing.T, cfg *config.Config, nodes []config.Node, policyID string) []PlanNode {
	var out []PlanNode
	var add func(nodes []config.Node, parent int, inherited string)
	add = func(nodes []config.Node, parent int, inherited string) {
		for _, n := range nodes {
			pol := inherited
			if n.Policy != "" {
				pol = n.Policy
			}
			steps, wait, err := policySteps(cfg, pol)
			if err != nil {
				t.Fatal(err)
			}
			if n.Wait > 0 {
				wait = n.Wait.D()
			}
			if wait <= 0 {
				wait = cfg.Defaults.Wait.D()
			}
			if wait <= 0 {
				wait = 10 * time.Minute
			}
			out = append(out, PlanNode{Parent: parent, Function: n.Function, People: append([]string{n.Person}, n.Deputies...), Wait: wait, Steps: steps})
			add(n.Children, len(out)-1, pol)
		}
	}
	add(nodes, -1, policyID)
	return out
}

func TestBuildPlanFromCompactTree(t *testing.T) {
	cfg, probs, err := config.LoadBytes("plan.yaml", []byte(planYAML), nil)
	if err != nil || probs.Err() != nil {
		t.Fatalf("%v %s", err, probs)
	}
	p, err := BuildPlan(cfg, "MI", 0)
	if err != nil {
		t.Fatal(err)
	}
	std := []Step{{Channel: "sms", If: config.IfNoAnswer}}
	fast := []Step{{Channel: "sms", If: config.IfNoAnswer}, {Channel: "email", After: time.Minute, If: config.IfNoAnswer}}
	want := []PlanNode{
		{Parent: -1, Function: "lead", People: []string{"a", "b"}, Wait: 5 * time.Minute, Steps: std},
		{Parent: 0, Function: "it", People: []string{"c", "d", "e"}, Wait: 2 * time.Minute, Steps: fast},
		{Parent: 1, Function: "it", People: []string{"f"}, Wait: 2 * time.Minute, Steps: fast}, // inherits fast from its parent
		{Parent: 1, Function: "it", People: []string{"h"}, Wait: 30 * time.Second, Steps: fast},
		{Parent: 0, Function: "lead", People: []string{"g"}, Wait: 10 * time.Minute, Steps: std},
	}
	if !reflect.DeepEqual(p.Nodes, want) {
		t.Errorf("plan nodes\n got %+v\nwant %+v", p.Nodes, want)
	}
	if p.Tree != "t" || p.Target != 45*time.Minute || !reflect.DeepEqual(p.Required, map[string]int{"lead": 1, "it": 1}) {
		t.Errorf("plan %+v", p)
	}

	// The same file decoded as written (nested nodes), walked the old way.
	var raw config.Config
	if err := yaml.Unmarshal([]byte(planYAML), &raw); err != nil {
		t.Fatal(err)
	}
	for i := range cfg.Policies {
		raw.Policies[i].Steps = cfg.Policies[i].Steps // with the defaults applied at load
	}
	if old := oldPlanNodes(t, &raw, raw.CallTrees[0].Nodes, "std"); !reflect.DeepEqual(p.Nodes, old) {
		t.Errorf("plan nodes differ from the nested walk\n got %+v\nold %+v", p.Nodes, old)
	}
}
