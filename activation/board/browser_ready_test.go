package board

import (
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/kaskade-bcm/kaskade/activation"
	"github.com/kaskade-bcm/kaskade/activation/board/boardtest"
)

// TestBrowserTileThatLostReadiness: a staff that was ready and lost it
// (degraded, then at_risk after its target) kept its first ready_at, and its
// tile went on saying "arbeitsfähig nach 10:00" with a green time bar and no
// countdown. It counts against its target again; a ready one still stops.
func TestBrowserTileThatLostReadiness(t *testing.T) {
	b := boardtest.StartBrowser(t)
	now := time.Now()
	declared := now.Add(-35 * time.Minute)
	inc := simpleIncident("K7", declared, "MI", "MF", "StK")
	readyAt := declared.Add(10 * time.Minute)
	for i := range inc.Organisations {
		o := &inc.Organisations[i]
		o.ReadyAt = &readyAt
		o.State = map[string]activation.ReadinessState{"MI": activation.AtRisk, "MF": activation.Degraded, "StK": activation.Ready}[o.Org]
	}
	inc.Organisations[1].Deadline = now.Add(5 * time.Minute) // MF: 5 minutes left
	e := newBrowserEnv(t, time.Now, inc)
	must(t, b.Login(e.srv.URL, "/", dutyToken))
	mustWait(t, b, "tiles", tileState("StK")+` === 'ready'`, 10*time.Second)
	text := func(org string) string {
		s, err := boardtest.Eval[string](b, `document.querySelector('[data-org="`+org+`"] .countdown').textContent`)
		must(t, err)
		return s
	}
	if got := text("MI"); !strings.HasPrefix(got, "Ziel überschritten +") {
		t.Errorf("MI (at_risk, was ready) countdown %q, want the target exceeded", got)
	}
	if got := text("MF"); !strings.HasPrefix(got, "noch ") {
		t.Errorf("MF (degraded, was ready) countdown %q, want the time left", got)
	}
	if got := text("StK"); !strings.HasPrefix(got, "arbeitsfähig nach 10:00") {
		t.Errorf("StK (ready) countdown %q, want ready after 10:00", got)
	}
}

// TestBrowserExhaustedNodeByNoes: a node exhausted because its primary and
// deputy both said no read "keine Rückmeldung (erschöpft)" in the call tree,
// next to their two answers.
func TestBrowserExhaustedNodeByNoes(t *testing.T) {
	b := boardtest.StartBrowser(t)
	now := time.Now()
	inc := simpleIncident("K7", now.Add(-5*time.Minute), "MI")
	e := newBrowserEnv(t, time.Now, inc)
	at := now.Add(-2 * time.Minute)
	e.src.details = map[[2]string]activation.OrgDetail{{"K7", "MI"}: {Readiness: inc.Organisations[0], Nodes: []activation.NodeView{
		{Index: 0, Parent: -1, Function: "lead", State: "exhausted", Tiers: []activation.PersonView{
			{Person: "lead1", Name: "Anna", Alerted: true, AlertedAt: &at, Answer: activation.Unavailable, AnsweredAt: &at},
			{Person: "lead2", Name: "Bernd", Deputy: true, Alerted: true, AlertedAt: &at, Answer: activation.Unavailable, AnsweredAt: &at},
		}}}}}
	must(t, b.Login(e.srv.URL, "/", dutyToken))
	mustWait(t, b, "tile", tileState("MI")+` === 'alerting'`, 10*time.Second)
	must(t, b.Do(chromedp.Click(chromedp.CSS(`#tiles [data-org="MI"] .tile-btn`))))
	mustWait(t, b, "call tree", `document.querySelector('#detail-tree .node-state') !== null`, 10*time.Second)
	got, err := boardtest.Eval[string](b, `document.querySelector('#detail-tree .node-state').textContent`)
	must(t, err)
	if got != "niemand kommt (erschöpft)" {
		t.Errorf("exhausted node reads %q, want niemand kommt (erschöpft)", got)
	}
}

// TestBrowserLongOrgIDKeepsState: a long organisation id (a county's
// agency) pushed the state badge out of its tile, which cut off the state
// in words; the id is now shortened with an ellipsis.
func TestBrowserLongOrgIDKeepsState(t *testing.T) {
	b := boardtest.StartBrowser(t)
	long := "Landkreis-Hildesheim-Gesundheitsamt-Krisenstab"
	inc := simpleIncident("K7", time.Now().Add(-5*time.Minute), long, "MI")
	e := newBrowserEnv(t, time.Now, inc)
	must(t, b.Login(e.srv.URL, "/", dutyToken))
	mustWait(t, b, "tile", tileState(long)+` === 'alerting'`, 10*time.Second)
	inside, err := boardtest.Eval[bool](b, `(() => { const t = document.querySelector('[data-org="`+long+`"]');
		const r = t.getBoundingClientRect(), bd = t.querySelector('.badge').getBoundingClientRect();
		return bd.left >= r.left && bd.right <= r.right; })()`)
	must(t, err)
	if !inside {
		t.Error("the state badge of a tile with a long id sticks out of the tile")
	}
}

// TestBrowserNoRequiredFunctionsTile: a staff whose rule names no function
// said "Alle Funktionen besetzt" beside "Alarmierung läuft".
func TestBrowserNoRequiredFunctionsTile(t *testing.T) {
	b := boardtest.StartBrowser(t)
	inc := simpleIncident("K7", time.Now().Add(-5*time.Minute), "MI", "MF")
	inc.Organisations[1].Required, inc.Organisations[1].Missing = map[string]int{}, nil
	e := newBrowserEnv(t, time.Now, inc)
	must(t, b.Login(e.srv.URL, "/", dutyToken))
	mustWait(t, b, "tile", tileState("MF")+` === 'alerting'`, 10*time.Second)
	got, err := boardtest.Eval[string](b, `document.querySelector('[data-org="MF"] .missing').textContent`)
	must(t, err)
	if strings.Contains(got, "besetzt") || !strings.Contains(got, "Keine Pflichtfunktionen") {
		t.Errorf("alerting tile without required functions says %q", got)
	}
}
