package config

import "fmt"

// maxNeverAlertedWarnings is how many people get a "never alerted" warning
// each; the rest are folded into one, as with missing deputies.
const maxNeverAlertedWarnings = 5

// neverAlerted warns about call trees that no organisation activates and
// people in no activated tree: both load, but nobody is ever alerted
// through them (a person added to people.csv and forgotten in the tree).
func (v *validator) neverAlerted() {
	used := map[*CallTree]bool{}
	for _, o := range v.c.Organisations {
		if t, ok := v.c.TreeFor(o.ID); ok {
			used[t] = true
		}
	}
	alerted := make(map[string]bool, len(v.c.People))
	for i := range v.c.CallTrees {
		t := &v.c.CallTrees[i]
		if !used[t] {
			if t.ID != "" {
				v.warnf(fmt.Sprintf("call_trees[%d]", i), "call tree %q is activated by no organisation (an organisation's call_tree names another): nobody is alerted through it", t.ID)
			}
			continue
		}
		t.Walk(func(n, _ *Node) {
			alerted[n.Person] = true
			for _, d := range n.Deputies {
				alerted[d] = true
			}
		})
	}
	var left []string
	for i, pe := range v.c.People {
		if pe.ID == "" || alerted[pe.ID] {
			continue
		}
		if len(left) < maxNeverAlertedWarnings {
			v.warnf(fmt.Sprintf("people[%d]", i), "person %q is in no call tree that an organisation activates and is never alerted", pe.ID)
		}
		left = append(left, pe.ID)
	}
	if n := len(left) - maxNeverAlertedWarnings; n > 0 {
		v.warnf("people", "%d more people are in no activated call tree and are never alerted (first: %q)", n, left[maxNeverAlertedWarnings])
	}
}
