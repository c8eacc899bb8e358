package config

import (
	"hash/maphash"
	"strings"
	"time"
)

// index answers the lookups by id, mobile, email and token hash. Where ids
// repeat (an error anyway) the first entry wins.
type index struct {
	functions table[Function]
	orgs      table[Organisation]
	people    table[Person]
	byMobile  table[Person]
	byEmail   table[Person] // lower-case address
	policies  table[EscalationPolicy]
	trees     table[CallTree]
	treeFor   map[string]*CallTree // organisation id → tree
	scenarios table[Scenario]
	tokens    table[APIToken] // lower-case sha256 hex → token
}

// table finds the entries of a slice by a string key. It is a hash table
// of positions with open addressing and no keys of its own (they are read
// from the entries): 6 bytes an entry where a map[string]*Person takes
// about 34, and a loaded configuration keeps three of them for its people.
type table[T any] struct {
	items []T // the slice the table was built on; its entries are not moved after load
	key   func(*T) string
	seed  maphash.Seed
	slots []int32 // 1 + position of an entry, 0 for a free slot; at most two thirds full
}

func newTable[T any](seed maphash.Seed, items []T, key func(*T) string) table[T] {
	n := 0
	for i := range items {
		if key(&items[i]) != "" {
			n++
		}
	}
	// Two thirds full keeps probe sequences short; one slot stays free, so
	// a search for a missing key ends.
	t := table[T]{items: items, key: key, seed: seed, slots: make([]int32, n+n/2+1)}
	for i := range items {
		if k := key(&items[i]); k != "" {
			if s, found := t.slot(k); !found {
				t.slots[s] = int32(i + 1)
			}
		}
	}
	return t
}

// slot returns the slot that holds k, or the free slot where k belongs.
func (t *table[T]) slot(k string) (int, bool) {
	// The hash scaled to the table's length (which need not be a power of
	// two), then the following slots in turn.
	s := int(uint64(uint32(maphash.String(t.seed, k))) * uint64(len(t.slots)) >> 32)
	for {
		p := t.slots[s]
		if p == 0 {
			return s, false
		}
		if t.key(&t.items[p-1]) == k {
			return s, true
		}
		if s++; s == len(t.slots) {
			s = 0
		}
	}
}

// index returns the position of the first entry whose key is k, -1 if
// there is none.
func (t *table[T]) index(k string) int {
	if k == "" {
		return -1
	}
	s, ok := t.slot(k)
	if !ok {
		return -1
	}
	return int(t.slots[s] - 1)
}

// get returns the first entry whose key is k; the empty key is never found.
func (t *table[T]) get(k string) (*T, bool) {
	if k == "" {
		return nil, false
	}
	s, ok := t.slot(k)
	if !ok {
		return nil, false
	}
	return &t.items[t.slots[s]-1], true
}

func buildIndex(c *Config) *index {
	seed := maphash.MakeSeed()
	x := &index{
		functions: newTable(seed, c.Functions, func(f *Function) string { return f.ID }),
		orgs:      newTable(seed, c.Organisations, func(o *Organisation) string { return o.ID }),
		people:    newTable(seed, c.People, func(p *Person) string { return p.ID }),
		byMobile:  newTable(seed, c.People, func(p *Person) string { return p.Mobile }),
		byEmail:   newTable(seed, c.People, func(p *Person) string { return strings.ToLower(p.Email) }),
		policies:  newTable(seed, c.Policies, func(p *EscalationPolicy) string { return p.ID }),
		trees:     newTable(seed, c.CallTrees, func(t *CallTree) string { return t.ID }),
		treeFor:   make(map[string]*CallTree, len(c.Organisations)),
		scenarios: newTable(seed, c.Scenarios, func(s *Scenario) string { return s.ID }),
		tokens:    newTable(seed, c.Tokens, func(t *APIToken) string { return strings.ToLower(t.SHA256) }),
	}
	putFirst := func(org string, t *CallTree) {
		if _, ok := x.treeFor[org]; !ok && org != "" {
			x.treeFor[org] = t
		}
	}
	for _, o := range c.Organisations {
		if t, ok := x.trees.get(o.CallTree); ok {
			putFirst(o.ID, t)
		}
	}
	for i := range c.CallTrees {
		putFirst(c.CallTrees[i].Organisation, &c.CallTrees[i])
	}
	return x
}

// ix returns the lookup tables. A Config that was neither loaded nor
// validated gets a fresh index per call: correct, just slower, and free of
// lazy-initialisation races.
func (c *Config) ix() *index {
	if c.idx != nil {
		return c.idx
	}
	return buildIndex(c)
}

// Person returns the person with the given id.
func (c *Config) Person(id string) (*Person, bool) { return c.ix().people.get(id) }

// Organisation returns the organisation with the given id.
func (c *Config) Organisation(id string) (*Organisation, bool) { return c.ix().orgs.get(id) }

// Scenario returns the scenario with the given id.
func (c *Config) Scenario(id string) (*Scenario, bool) { return c.ix().scenarios.get(id) }

// Policy returns the escalation policy with the given id.
func (c *Config) Policy(id string) (*EscalationPolicy, bool) { return c.ix().policies.get(id) }

// CallTree returns the call tree with the given id.
func (c *Config) CallTree(id string) (*CallTree, bool) { return c.ix().trees.get(id) }

// Function returns the staff function with the given id.
func (c *Config) Function(id string) (*Function, bool) { return c.ix().functions.get(id) }

// PersonByMobile returns the person with the given E.164 mobile number
// (inbound SMS replies). Mobiles are unique after validation.
func (c *Config) PersonByMobile(e164 string) (*Person, bool) {
	return c.ix().byMobile.get(e164)
}

// PersonByEmail returns the first person with the given address, compared
// case-insensitively.
func (c *Config) PersonByEmail(addr string) (*Person, bool) {
	return c.ix().byEmail.get(strings.ToLower(strings.TrimSpace(addr)))
}

// TokenBySHA256 returns the API token whose hash is the given hex string.
func (c *Config) TokenBySHA256(hex string) (*APIToken, bool) {
	return c.ix().tokens.get(strings.ToLower(hex))
}

// TreeFor returns the call tree activated for an organisation: the one its
// call_tree names, else the first tree whose organisation it is.
func (c *Config) TreeFor(orgID string) (*CallTree, bool) {
	t, ok := c.ix().treeFor[orgID]
	return t, ok
}

// PolicyFor returns the escalation policy in force for a node of a tree:
// the node's, else the tree's, else defaults.policy, else DefaultPolicy.
// node may be nil.
func (c *Config) PolicyFor(tree *CallTree, node *Node) *EscalationPolicy {
	// Validation asks this for every node, so no list of candidates is built.
	if node != nil {
		if p, ok := c.Policy(node.Policy); ok {
			return p
		}
	}
	if tree != nil {
		if p, ok := c.Policy(tree.Policy); ok {
			return p
		}
	}
	if p, ok := c.Policy(c.Defaults.Policy); ok {
		return p
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
