package config

import (
	"cmp"
	"fmt"
	"maps"
	"slices"
	"sort"
	"strconv"
	"strings"
)

func (v *validator) callTrees() {
	s := v.newIDs("call tree")
	staffs := map[string][2]string{} // person → organisation and path of the first tree naming them
	for i := range v.c.CallTrees {
		t := &v.c.CallTrees[i]
		p := fmt.Sprintf("call_trees[%d]", i)
		v.checkID(s, p+".id", t.ID)
		if t.Organisation == "" {
			v.errorf(p+".organisation", "organisation is required")
		} else if _, ok := v.c.Organisation(t.Organisation); !ok {
			v.errorf(p+".organisation", "unknown organisation %q", t.Organisation)
		}
		if t.Policy != "" {
			if _, ok := v.c.Policy(t.Policy); !ok {
				v.errorf(p+".policy", "unknown policy %q", t.Policy)
			}
		}
		if len(t.Nodes) == 0 {
			v.errorf(p+".nodes", "call tree has no nodes")
		}
		seen := map[string]string{} // person → path, a person may appear once per tree
		v.nodes(t, p+".nodes", t.Nodes, seen, "")
		v.inTwoStaffs(staffs, t, seen)
	}
}

// inTwoStaffs warns about people in the call trees of two organisations:
// in an incident that alerts both, one answer covers one staff only.
func (v *validator) inTwoStaffs(staffs map[string][2]string, t *CallTree, seen map[string]string) {
	for _, person := range slices.Sorted(maps.Keys(seen)) {
		first, ok := staffs[person]
		if !ok {
			staffs[person] = [2]string{t.Organisation, seen[person]}
			continue
		}
		if first[0] != t.Organisation {
			v.warnf(seen[person], "%s is also in the staff of %s (%s): when both are alerted, a yes covers the staff whose alert came first "+
				"and the other moves to the next deputy; a reply may name the staff (1 %s)", person, first[0], first[1], t.Organisation)
		}
	}
}

// nodes checks nodes and their children; inherited is the policy their
// parent runs under when it or an ancestor names one.
func (v *validator) nodes(t *CallTree, path string, nodes []Node, seen map[string]string, inherited string) {
	for i := range nodes {
		n := &nodes[i]
		if pol := cmp.Or(n.Policy, inherited); pol != "" {
			if v.nodePolicy == nil {
				v.nodePolicy = map[*Node]string{}
			}
			v.nodePolicy[n] = pol
		}
		p := fmt.Sprintf("%s[%d]", path, i)
		// person checks the person id at *id and points it at the
		// person's own id: the same text, kept once rather than twice (the
		// call trees of a large file name every one of its people).
		person := func(path string, id *string) {
			if first, dup := seen[*id]; dup {
				v.errorf(path, "person %q appears twice in call tree %q (also at %s, line %d)", *id, t.ID, first, v.line(first))
				return
			}
			seen[*id] = path
			if pe, ok := v.c.Person(*id); !ok {
				v.errorf(path, "unknown person %q", *id)
			} else {
				*id = pe.ID
			}
		}
		if n.Person == "" {
			v.errorf(p+".person", "node needs a person")
		} else {
			person(p+".person", &n.Person)
		}
		for j := range n.Deputies {
			person(fmt.Sprintf("%s.deputies[%d]", p, j), &n.Deputies[j])
		}
		if n.Function == "" {
			// A node without a function covers the person's first one.
			if pe, ok := v.c.Person(n.Person); ok && len(pe.Functions) > 0 {
				n.Function = pe.Functions[0]
			}
		} else if _, ok := v.c.Function(n.Function); !ok {
			v.errorf(p+".function", "unknown function %q", n.Function)
		}
		if n.Policy != "" {
			if _, ok := v.c.Policy(n.Policy); !ok {
				v.errorf(p+".policy", "unknown policy %q", n.Policy)
			}
		}
		v.wait(p+".wait", n.Wait)
		v.reachable(t, n, p)
		v.nodes(t, p+".children", n.Children, seen, v.nodePolicy[n])
	}
}

// channelsOf returns which channels a policy uses.
func channelsOf(pol *EscalationPolicy) (sms, email, console bool) {
	for _, st := range pol.Steps {
		switch st.Channel {
		case ChannelSMS:
			sms = true
		case ChannelEmail:
			email = true
		case ChannelConsole:
			console = true
		}
	}
	return
}

// policyOf is the policy node n of t runs under: its own, else the nearest
// ancestor's, else the tree's (or the default).
func (v *validator) policyOf(t *CallTree, n *Node) *EscalationPolicy {
	if p, ok := v.c.Policy(v.nodePolicy[n]); ok {
		return p
	}
	return v.c.PolicyFor(t, nil)
}

// reachable warns about people of a node that the node's policy cannot
// reach: a mobile-only person under an email-only policy, and so on.
func (v *validator) reachable(t *CallTree, n *Node, path string) {
	pol := v.policyOf(t, n)
	sms, email, console := channelsOf(pol)
	if console {
		return
	}
	check := func(id string) {
		if pe, ok := v.c.Person(id); ok && !(sms && pe.Mobile != "") && !(email && pe.Email != "") && !voiceReaches(pol, pe) {
			v.warnf(path, "person %q cannot be reached by policy %q (sms needs a mobile, voice a phone or mobile, email an address)", id, pol.ID)
		}
	}
	check(n.Person)
	for _, id := range n.Deputies {
		check(id)
	}
}

// readiness checks every organisation's required functions against its
// call tree: an uncovered function makes readiness unreachable (error);
// a function without deputy or without SMS is fragile (warning).
func (v *validator) readiness() {
	for i, o := range v.c.Organisations {
		p := fmt.Sprintf("organisations[%d]", i)
		tree, hasTree := v.c.TreeFor(o.ID)
		if !hasTree {
			if len(o.Readiness.Required) > 0 {
				v.errorf(p, "organisation %q has no call tree; readiness could never be reached", o.ID)
			} else if o.ID != "" {
				v.warnf(p, "organisation %q has no call tree and cannot be activated", o.ID)
			}
		}
		if o.Readiness.Target <= 0 {
			v.errorf(p+".readiness.target", "target must be positive")
		}
		funcs := make([]string, 0, len(o.Readiness.Required))
		for f := range o.Readiness.Required {
			funcs = append(funcs, f)
		}
		sort.Strings(funcs)
		for _, f := range funcs {
			need := o.Readiness.Required[f]
			fp := p + ".readiness.required." + f
			if _, ok := v.c.Function(f); !ok {
				v.errorf(fp, "unknown function %q", f)
				continue
			}
			if need < 1 {
				v.errorf(fp, "required count must be at least 1, got %d", need)
			}
			if hasTree {
				v.coverage(tree, f, need, fp)
			}
		}
	}
}

// nodePath returns the YAML path of a node of a tree.
func (v *validator) nodePath(tree *CallTree, target *Node) string {
	prefix := "call_trees[?]"
	for i := range v.c.CallTrees {
		if &v.c.CallTrees[i] == tree {
			prefix = fmt.Sprintf("call_trees[%d]", i)
		}
	}
	var walk func(path string, nodes []Node) string
	walk = func(path string, nodes []Node) string {
		for i := range nodes {
			p := fmt.Sprintf("%s[%d]", path, i)
			if &nodes[i] == target {
				return p
			}
			if found := walk(p+".children", nodes[i].Children); found != "" {
				return found
			}
		}
		return ""
	}
	return walk(prefix+".nodes", tree.Nodes)
}

// maxDeputyWarnings is how many nodes of one call tree and function get a
// "no deputy" warning each; beyond that they are folded into one warning,
// so a generated 100,000-person file does not print 100,000 of them.
const maxDeputyWarnings = 3

func (v *validator) coverage(tree *CallTree, f string, need int, path string) {
	// Validation runs on the nested Nodes (finish compacts the trees only
	// afterwards), so Walk hands out the nodes themselves, which may be
	// kept and found again by nodePath.
	var nodes []*Node
	people := map[string]bool{}
	tree.Walk(func(n, _ *Node) {
		if n.Function == f {
			nodes = append(nodes, n)
			people[n.Person] = true
			for _, id := range n.Deputies {
				people[id] = true
			}
		}
	})
	if len(nodes) == 0 {
		v.errorf(path, "no node in call tree %q covers function %q; readiness could never be reached", tree.ID, f)
		return
	}
	if len(people) < need {
		v.errorf(path, "%d people required but call tree %q names only %d for function %q; readiness could never be reached", need, tree.ID, len(people), f)
	}
	bySMS := false
	var alone []*Node // nodes without deputy
	for _, n := range nodes {
		if len(n.Deputies) == 0 {
			alone = append(alone, n)
		}
		sms, _, console := channelsOf(v.policyOf(tree, n))
		if console {
			bySMS = true // the console stands in for every channel
		}
		if !sms {
			continue
		}
		if pe, ok := v.c.Person(n.Person); ok && pe.Mobile != "" {
			bySMS = true
		}
		for _, id := range n.Deputies {
			if pe, ok := v.c.Person(id); ok && pe.Mobile != "" {
				bySMS = true
			}
		}
	}
	// Reported at the node, where the deputy belongs.
	if len(alone) <= maxDeputyWarnings {
		for _, n := range alone {
			v.warnf(v.nodePath(tree, n)+".deputies", "required function %q has no deputy (person %q); BSI 200-4 asks for at least one deputy per role", f, n.Person)
		}
	} else {
		names := make([]string, maxDeputyWarnings)
		for i, n := range alone[:maxDeputyWarnings] {
			names[i] = strconv.Quote(n.Person)
		}
		v.warnf(v.nodePath(tree, alone[0])+".deputies", "required function %q has no deputy at %d nodes of call tree %q (people %s and %d more); BSI 200-4 asks for at least one deputy per role",
			f, len(alone), tree.ID, strings.Join(names, ", "), len(alone)-maxDeputyWarnings)
	}
	if !bySMS {
		v.warnf(path, "function %q can only be reached by email (no mobile numbers or no SMS steps in call tree %q); email is too slow for a night-time alert", f, tree.ID)
	}
}

func (v *validator) scenarios() {
	s := v.newIDs("scenario")
	for i, sc := range v.c.Scenarios {
		p := fmt.Sprintf("scenarios[%d]", i)
		v.checkID(s, p+".id", sc.ID)
		v.checkNames(p+".name", sc.Name)
		switch sc.Severity {
		case SeverityDisruption, SeverityEmergency, SeverityCrisis:
		default:
			v.errorf(p+".severity", "severity must be disruption, emergency or crisis, got %q", sc.Severity)
		}
		for j, o := range sc.Organisations {
			if _, ok := v.c.Organisation(o); !ok {
				v.errorf(fmt.Sprintf("%s.organisations[%d]", p, j), "unknown organisation %q", o)
			}
		}
		if _, ok := sc.Templates[LangDE]; !ok {
			v.errorf(p+".templates", "German templates (de) are required")
		} else if sc.Templates[LangDE].SMS == "" {
			v.errorf(p+".templates.de.sms", "German SMS template is required")
		}
		for _, lang := range sortedKeys(sc.Templates) {
			v.messageTemplates(p+".templates."+lang, lang, sc.Templates[lang])
		}
	}
}

func (v *validator) systemTemplates() {
	for _, lang := range sortedKeys(v.c.SystemTemplates) {
		st := v.c.SystemTemplates[lang]
		p := "templates." + lang
		v.messageTemplates(p+".update", lang, st.Update)
		v.messageTemplates(p+".stand_down", lang, st.StandDown)
		r := st.Replies
		for _, t := range []struct{ key, src string }{
			{"available", r.Available}, {"delayed", r.Delayed},
			{"unavailable", r.Unavailable}, {"unknown", r.Unknown},
		} {
			v.template(p+".replies."+t.key, lang, t.src, true)
		}
	}
}

// messageTemplates checks one language's templates; lang must be de or en.
func (v *validator) messageTemplates(path, lang string, m MessageTemplates) {
	if lang != LangDE && lang != LangEN {
		v.errorf(path, "language must be de or en, got %q", lang)
		return
	}
	v.template(path+".sms", lang, m.SMS, true)
	v.smsNeverFits(path+".sms", lang, m.SMS)
	v.template(path+".email_subject", lang, m.EmailSubject, false)
	v.template(path+".email_body", lang, m.EmailBody, false)
	if (m.EmailSubject == "") != (m.EmailBody == "") {
		v.warnf(path, "email_subject and email_body should be given together")
	}
}

func (v *validator) template(path, lang, src string, sms bool) {
	if src == "" {
		return
	}
	sample, err := checkTemplate(path, src, lang)
	if err != nil {
		v.errorf(path, "invalid template: %v", err)
		return
	}
	if sms {
		for _, w := range smsWarnings(sample) {
			v.warnf(path, "%s", w)
		}
	}
}

func sortedKeys[T any](m map[string]T) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
