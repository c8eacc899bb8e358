// Package card builds and renders an organisation's emergency card
// (Notfallkarte): a one-page printable HTML card for wallets and staff rooms
// that says whom Kaskade alerts in which order (the call tree with deputies
// and functions), how to answer, and whom to call when no alert arrives.
// It reads only the configuration; contact data of staff is never printed.
package card

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/kaskade-bcm/kaskade/activation"
	"github.com/kaskade-bcm/kaskade/config"
)

// Card is what one organisation's card shows, in one language.
type Card struct {
	Lang    string
	Org     string
	OrgName string
	Entries []Entry // the call tree, depth first in alerting order
	// Email says alerts also come by email (answer by its link or a reply).
	Email          bool
	FallbackPhones []Phone
	Notes          string
}

// Entry is one node of the call tree.
type Entry struct {
	Step     string // "1", "1.2", "1.2.1": the position in the cascade
	Depth    int
	Function string
	Person   string
	Deputies []string
	// Wait is how long the primary has before the deputies are alerted.
	Wait time.Duration
}

// Phone is a fallback number, labelled.
type Phone struct{ Label, Number string }

// Build collects the card of org from cfg in lang (de unless "en").
func Build(cfg *config.Config, org, lang string) (Card, error) {
	if lang != config.LangEN {
		lang = config.LangDE
	}
	o, ok := cfg.Organisation(org)
	if !ok {
		return Card{}, fmt.Errorf("card: no organisation %q", org)
	}
	c := Card{Lang: lang, Org: o.ID, OrgName: o.Name.In(lang), Notes: strings.TrimSpace(o.Card.Notes.In(lang)),
		Email: cfg.Channels.Email != nil}
	for _, p := range o.Card.FallbackPhones {
		c.FallbackPhones = append(c.FallbackPhones, Phone{Label: p.Label.In(lang), Number: p.Number})
	}
	if tree, ok := cfg.TreeFor(o.ID); ok {
		c.Entries = entries(cfg, tree, lang)
		// The waits the engine uses: a node without a policy of its own
		// inherits its parent's, which config.NodeWait does not follow.
		if plan, err := activation.BuildPlan(cfg, o.ID, 0); err == nil && len(plan.Nodes) == len(c.Entries) {
			for i := range c.Entries {
				c.Entries[i].Wait = plan.Nodes[i].Wait
			}
		}
	}
	return c, nil
}

// entries numbers the nodes by their place in the cascade: children are
// alerted once their parent has answered.
func entries(cfg *config.Config, tree *config.CallTree, lang string) []Entry {
	var out []Entry
	children := map[int]int{} // parent position → children numbered so far
	steps := map[int]string{}
	depth := map[int]int{-1: -1}
	tree.WalkIndex(func(i, parent int, n *config.Node) {
		children[parent]++
		step := strconv.Itoa(children[parent])
		if parent >= 0 {
			step = steps[parent] + "." + step
		}
		steps[i], depth[i] = step, depth[parent]+1
		e := Entry{Step: step, Depth: depth[i], Function: functionName(cfg, n.Function, lang),
			Person: personName(cfg, n.Person), Wait: cfg.NodeWait(tree, n)}
		for _, d := range n.Deputies {
			e.Deputies = append(e.Deputies, personName(cfg, d))
		}
		out = append(out, e)
	})
	return out
}

func functionName(cfg *config.Config, id, lang string) string {
	if f, ok := cfg.Function(id); ok {
		if name := f.Name.In(lang); name != "" {
			return name
		}
	}
	return id
}

func personName(cfg *config.Config, id string) string {
	if p, ok := cfg.Person(id); ok && p.Name != "" {
		return p.Name
	}
	return id
}
