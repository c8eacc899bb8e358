package activation

import (
	"fmt"
	"time"

	"github.com/kaskade-bcm/kaskade/config"
)

// BuildPlan snapshots an organisation's call tree and readiness rule from the
// configuration. targetOverride (a scenario's target) wins when non-zero.
func BuildPlan(cfg *config.Config, orgID string, targetOverride time.Duration) (Plan, error) {
	var org *config.Organisation
	for i := range cfg.Organisations {
		if cfg.Organisations[i].ID == orgID {
			org = &cfg.Organisations[i]
		}
	}
	if org == nil {
		return Plan{}, fmt.Errorf("activation: unknown organisation %q", orgID)
	}
	var tree *config.CallTree
	for i := range cfg.CallTrees {
		ct := &cfg.CallTrees[i]
		if org.CallTree != "" && ct.ID == org.CallTree || org.CallTree == "" && ct.Organisation == orgID && tree == nil {
			tree = ct
		}
	}
	if tree == nil {
		return Plan{}, fmt.Errorf("activation: organisation %q has no call tree", orgID)
	}
	target := org.Readiness.Target.D()
	if targetOverride > 0 {
		target = targetOverride
	}
	if target <= 0 {
		target = cfg.Defaults.Target.D()
	}
	if target <= 0 {
		target = 30 * time.Minute
	}
	p := Plan{Org: orgID, Name: Names{DE: org.Name.DE, EN: org.Name.EN}, Tree: tree.ID, Required: map[string]int{}, Target: target}
	for f, n := range org.Readiness.Required {
		p.Required[f] = n
	}
	policyID := tree.Policy
	if policyID == "" {
		policyID = cfg.Defaults.Policy
	}
	// The policy in force at each ancestor of the current node, innermost
	// last: a node without a policy of its own inherits its parent's.
	type ancestor struct {
		pos    int
		policy string
	}
	var stack []ancestor
	if n := tree.Len(); n > 0 {
		p.Nodes = make([]PlanNode, 0, n)
	}
	var err error
	tree.WalkIndex(func(i, parent int, n *config.Node) {
		if err != nil {
			return
		}
		for len(stack) > 0 && stack[len(stack)-1].pos != parent {
			stack = stack[:len(stack)-1]
		}
		pol := policyID
		if len(stack) > 0 {
			pol = stack[len(stack)-1].policy
		}
		if n.Policy != "" {
			pol = n.Policy
		}
		stack = append(stack, ancestor{i, pol})
		steps, wait, e := policySteps(cfg, pol)
		if e != nil {
			err = e
			return
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
		p.Nodes = append(p.Nodes, PlanNode{Parent: parent, Function: n.Function, People: append([]string{n.Person}, n.Deputies...), Wait: wait, Steps: steps})
	})
	if err != nil {
		return Plan{}, err
	}
	return p, nil
}

// defaultSteps is used when no policy is configured: one SMS, repeated after 5 minutes.
var defaultSteps = []Step{{Channel: config.ChannelSMS}, {Channel: config.ChannelSMS, After: 5 * time.Minute}}

func policySteps(cfg *config.Config, id string) ([]Step, time.Duration, error) {
	if id == "" {
		return defaultSteps, 0, nil
	}
	for _, pol := range cfg.Policies {
		if pol.ID != id {
			continue
		}
		steps := make([]Step, len(pol.Steps))
		for i, s := range pol.Steps {
			steps[i] = Step{Channel: s.Channel, After: s.After.D(), If: s.If}
		}
		return steps, pol.Wait.D(), nil
	}
	return nil, 0, fmt.Errorf("activation: unknown escalation policy %q", id)
}
