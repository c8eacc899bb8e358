package config

import (
	"strings"
	"time"
)

// index holds the lookup maps. Pointers point into the Config's slices,
// which are not resized after load. Where ids repeat (an error anyway) the
// first entry wins.
type index struct {
	functions map[string]*Function
	orgs      map[string]*Organisation
	people    map[string]*Person
	byMobile  map[string]*Person
	byEmail   map[string]*Person // lower-case address
	policies  map[string]*EscalationPolicy
	trees     map[string]*CallTree
	treeFor   map[string]*CallTree // organisation id → tree
	scenarios map[string]*Scenario
	tokens    map[string]*APIToken // lower-case sha256 hex → token
}

func putFirst[T any](m map[string]*T, k string, v *T) {
	if _, ok := m[k]; !ok && k != "" {
		m[k] = v
	}
}

func buildIndex(c *Config) *index {
	x := &index{
		functions: map[string]*Function{},
		orgs:      map[string]*Organisation{},
		people:    map[string]*Person{},
		byMobile:  map[string]*Person{},
		byEmail:   map[string]*Person{},
		policies:  map[string]*EscalationPolicy{},
		trees:     map[string]*CallTree{},
		treeFor:   map[string]*CallTree{},
		scenarios: map[string]*Scenario{},
		tokens:    map[string]*APIToken{},
	}
	for i := range c.Functions {
		putFirst(x.functions, c.Functions[i].ID, &c.Functions[i])
	}
	for i := range c.Organisations {
		putFirst(x.orgs, c.Organisations[i].ID, &c.Organisations[i])
	}
	for i := range c.People {
		p := &c.People[i]
		putFirst(x.people, p.ID, p)
		putFirst(x.byMobile, p.Mobile, p)
		putFirst(x.byEmail, strings.ToLower(p.Email), p)
	}
	for i := range c.Policies {
		putFirst(x.policies, c.Policies[i].ID, &c.Policies[i])
	}
	for i := range c.CallTrees {
		putFirst(x.trees, c.CallTrees[i].ID, &c.CallTrees[i])
	}
	for _, o := range c.Organisations {
		if t, ok := x.trees[o.CallTree]; ok {
			putFirst(x.treeFor, o.ID, t)
		}
	}
	for i := range c.CallTrees {
		putFirst(x.treeFor, c.CallTrees[i].Organisation, &c.CallTrees[i])
	}
	for i := range c.Scenarios {
		putFirst(x.scenarios, c.Scenarios[i].ID, &c.Scenarios[i])
	}
	for i := range c.Tokens {
		putFirst(x.tokens, strings.ToLower(c.Tokens[i].SHA256), &c.Tokens[i])
	}
	return x
}

// ix returns the lookup maps. A Config that was neither loaded nor
// validated gets a fresh index per call: correct, just slower, and free of
// lazy-initialisation races.
func (c *Config) ix() *index {
	if c.idx != nil {
		return c.idx
	}
	return buildIndex(c)
}

func lookup[T any](m map[string]*T, k string) (*T, bool) {
	v, ok := m[k]
	return v, ok
}

// Person returns the person with the given id.
func (c *Config) Person(id string) (*Person, bool) { return lookup(c.ix().people, id) }

// Organisation returns the organisation with the given id.
func (c *Config) Organisation(id string) (*Organisation, bool) { return lookup(c.ix().orgs, id) }

// Scenario returns the scenario with the given id.
func (c *Config) Scenario(id string) (*Scenario, bool) { return lookup(c.ix().scenarios, id) }

// Policy returns the escalation policy with the given id.
func (c *Config) Policy(id string) (*EscalationPolicy, bool) { return lookup(c.ix().policies, id) }

// CallTree returns the call tree with the given id.
func (c *Config) CallTree(id string) (*CallTree, bool) { return lookup(c.ix().trees, id) }

// Function returns the staff function with the given id.
func (c *Config) Function(id string) (*Function, bool) { return lookup(c.ix().functions, id) }

// PersonByMobile returns the person with the given E.164 mobile number
// (inbound SMS replies). Mobiles are unique after validation.
func (c *Config) PersonByMobile(e164 string) (*Person, bool) {
	return lookup(c.ix().byMobile, e164)
}

// PersonByEmail returns the first person with the given address, compared
// case-insensitively.
func (c *Config) PersonByEmail(addr string) (*Person, bool) {
	return lookup(c.ix().byEmail, strings.ToLower(strings.TrimSpace(addr)))
}

// TokenBySHA256 returns the API token whose hash is the given hex string.
func (c *Config) TokenBySHA256(hex string) (*APIToken, bool) {
	return lookup(c.ix().tokens, strings.ToLower(hex))
}

// TreeFor returns the call tree activated for an organisation: the one its
// call_tree names, else the first tree whose organisation it is.
func (c *Config) TreeFor(orgID string) (*CallTree, bool) { return lookup(c.ix().treeFor, orgID) }

// PolicyFor returns the escalation policy in force for a node of a tree:
// the node's, else the tree's, else defaults.policy, else DefaultPolicy.
// node may be nil.
func (c *Config) PolicyFor(tree *CallTree, node *Node) *EscalationPolicy {
	ids := []string{c.Defaults.Policy}
	if tree != nil {
		ids = append([]string{tree.Policy}, ids...)
	}
	if node != nil {
		ids = append([]string{node.Policy}, ids...)
	}
	for _, id := range ids {
		if p, ok := c.Policy(id); ok {
			return p
		}
	}
	p := DefaultPolicy(c.Defaults.Wait)
	if p.Wait == 0 {
		p.Wait = Duration(defaultWait)
	}
	return &p
}

// NodeWait is how long a node's tier may stay silent before its next deputy
// is alerted: the node's wait, else its policy's.
func (c *Config) NodeWait(tree *CallTree, node *Node) time.Duration {
	if node != nil && node.Wait > 0 {
		return node.Wait.D()
	}
	return c.PolicyFor(tree, node).Wait.D()
}

// ScenarioOrganisations returns the organisation ids a scenario activates;
// an empty list in the file means all organisations, in file order.
func (c *Config) ScenarioOrganisations(s *Scenario) []string {
	if s != nil && len(s.Organisations) > 0 {
		return append([]string(nil), s.Organisations...)
	}
	ids := make([]string, len(c.Organisations))
	for i, o := range c.Organisations {
		ids[i] = o.ID
	}
	return ids
}

// ReadinessTarget is the time within which an organisation should be ready
// in a scenario: the scenario's target, else the organisation's, else
// defaults.target. s may be nil.
func (c *Config) ReadinessTarget(s *Scenario, orgID string) time.Duration {
	if s != nil && s.Target > 0 {
		return s.Target.D()
	}
	if o, ok := c.Organisation(orgID); ok && o.Readiness.Target > 0 {
		return o.Readiness.Target.D()
	}
	if c.Defaults.Target > 0 {
		return c.Defaults.Target.D()
	}
	return defaultTarget
}

// Walk calls fn for every node of the tree, depth first in file order,
// with the node's parent (nil for roots).
func (t *CallTree) Walk(fn func(node, parent *Node)) {
	var walk func(nodes []Node, parent *Node)
	walk = func(nodes []Node, parent *Node) {
		for i := range nodes {
			fn(&nodes[i], parent)
			walk(nodes[i].Children, &nodes[i])
		}
	}
	walk(t.Nodes, nil)
}
