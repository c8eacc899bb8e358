package board

import (
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/kaskade-bcm/kaskade/activation"
	"github.com/kaskade-bcm/kaskade/activation/board/boardtest"
)

const jsNoSideScroll = `document.documentElement.scrollWidth <= window.innerWidth`

// TestBrowserPhoneNoSideScroll (issue 16.16): on a 390-pixel phone neither
// the board nor the drill-down scrolls sideways.
func TestBrowserPhoneNoSideScroll(t *testing.T) {
	b := boardtest.StartBrowser(t, boardtest.Options{Width: 390, Height: 844})
	inc, details := exampleExercise(time.Now())
	e := newBrowserEnv(t, time.Now, inc)
	e.src.details = details
	must(t, b.Login(e.srv.URL, "/", dutyToken))
	mustWait(t, b, "tile MF shown", `document.querySelector('#tiles [data-org="MF"]') !== null`, 10*time.Second)
	width, err := boardtest.Eval[int](b, `document.documentElement.scrollWidth`)
	must(t, err)
	if width > 390 {
		t.Errorf("board is %d px wide on a 390 px phone", width)
	}
	must(t, b.Do(chromedp.Click(chromedp.CSS(`#tiles [data-org="MF"] .tile-btn`))))
	mustWait(t, b, "call tree", `document.querySelector('#detail-tree [data-person="mf-comm-d"]') !== null`, 10*time.Second)
	ok, err := boardtest.Eval[bool](b, jsNoSideScroll)
	must(t, err)
	if !ok {
		w, _ := boardtest.Eval[int](b, `document.documentElement.scrollWidth`)
		t.Errorf("drill-down is %d px wide on a 390 px phone", w)
	}
}

// TestBrowserResyncAfterRebuild (issue 16.16): when the engine rebuilt its
// state, a resync change makes an open board reload it, without a page
// reload, so stale readiness does not stay on screen as current.
func TestBrowserResyncAfterRebuild(t *testing.T) {
	b := boardtest.StartBrowser(t)
	e := newBrowserEnv(t, time.Now, simpleIncident("K1", time.Now().Add(-3*time.Minute), "MI", "MF"))
	must(t, b.Login(e.srv.URL, "/", viewerToken))
	mustWait(t, b, "tile MI shown", tileState("MI")+` === 'alerting'`, 10*time.Second)
	mustWait(t, b, "live", `document.getElementById('conn-status').dataset.conn === 'live'`, 10*time.Second)
	must(t, b.Do(chromedp.Evaluate[chromedp.Void](`window.__noReload = true`)))

	// The rebuilt state differs and no change says so; only the resync does.
	e.src.mu.Lock()
	for i := range e.src.incidents[0].Organisations {
		if o := &e.src.incidents[0].Organisations[i]; o.Org == "MI" {
			o.State = activation.AtRisk
		}
	}
	e.src.publishLocked(activation.Change{Kind: activation.ChangeResync})
	e.src.mu.Unlock()
	mustWait(t, b, "MI at risk after resync", tileState("MI")+` === 'at_risk'`, 10*time.Second)
	mustWait(t, b, "live again", `document.getElementById('conn-status').dataset.conn === 'live'`, 10*time.Second)
	ok, err := boardtest.Eval[bool](b, `window.__noReload === true`)
	must(t, err)
	if !ok {
		t.Error("page reloaded")
	}
}

// TestBrowserPersonRowRemark (issues 16.1, 16.7, 16.10, 18.8): the person
// row shows the remark, an unknown ETA, a STOP, a person bound elsewhere, an
// answering machine and the call that reached them.
func TestBrowserPersonRowRemark(t *testing.T) {
	b := boardtest.StartBrowser(t)
	inc, details := exampleExercise(time.Now())
	for k, d := range details {
		for i := range d.Nodes {
			for j := range d.Nodes[i].Tiers {
				if p := &d.Nodes[i].Tiers[j]; p.Person == "mf-comm-d" {
					p.Answer, p.ETA, p.ETAUnknown, p.Remark, p.SMSStopped, p.BoundTo = activation.Delayed, nil, true, "Stau auf der A7", true, "MI"
					p.Machine, p.Alerted, p.Notification, p.Channel = true, true, "delivered", "voice"
				}
			}
		}
		details[k] = d
	}
	e := newBrowserEnv(t, time.Now, inc)
	e.src.details = details
	must(t, b.Login(e.srv.URL, "/", dutyToken))
	mustWait(t, b, "tile MF shown", `document.querySelector('#tiles [data-org="MF"]') !== null`, 10*time.Second)
	must(t, b.Do(chromedp.Click(chromedp.CSS(`#tiles [data-org="MF"] .tile-btn`))))
	mustWait(t, b, "call tree", `document.querySelector('#detail-tree [data-person="mf-comm-d"]') !== null`, 10*time.Second)
	row, err := boardtest.Eval[string](b, `document.querySelector('#detail-tree [data-person="mf-comm-d"]').textContent`)
	must(t, err)
	for _, want := range []string{"„Stau auf der A7“", "Eintreffzeit unbekannt", "SMS abbestellt (STOP)", "kommt zum Stab MI", "Anrufbeantworter", "zugestellt · Anruf"} {
		if !strings.Contains(row, want) {
			t.Errorf("person row %q lacks %q", row, want)
		}
	}
}

// TestBrowserStoodDownTile (issue 16.11): after the stand-down a tile shows
// the final state and the readiness reached, not "Stab bildet sich".
func TestBrowserStoodDownTile(t *testing.T) {
	b := boardtest.StartBrowser(t)
	inc := simpleIncident("K1", time.Now().Add(-time.Hour), "MI")
	at := time.Now()
	inc.Status, inc.StoodDownAt = "stood_down", &at
	inc.Organisations[0].State, inc.Organisations[0].Reached = activation.StoodDown, activation.Forming
	e := newBrowserEnv(t, time.Now, inc)
	must(t, b.Login(e.srv.URL, "/", viewerToken))
	mustWait(t, b, "tile MI stood down", tileState("MI")+` === 'stood_down'`, 10*time.Second)
	badge, err := boardtest.Eval[string](b, `document.querySelector('[data-org="MI"] .badge').textContent`)
	must(t, err)
	if !strings.Contains(badge, "Beendet") || !strings.Contains(badge, "Erreicht: Stab bildet sich") {
		t.Errorf("badge %q, want Beendet with the readiness reached", badge)
	}
}

// TestBrowserConferenceShown (issue 18.6): the tile counts who is in the
// staff conference line; the drill-down lists them with the time they
// joined, in German and English.
func TestBrowserConferenceShown(t *testing.T) {
	b := boardtest.StartBrowser(t)
	inc, details := exampleExercise(time.Now())
	since := time.Now().Add(-5 * time.Minute)
	for i := range inc.Organisations {
		if inc.Organisations[i].Org == "MF" {
			inc.Organisations[i].InConference = 2
		}
	}
	for k, d := range details {
		if k[1] == "MF" {
			d.Readiness.InConference = 2
			d.Conference = []activation.ConferenceMember{{Person: "mf-lead", Name: "Frieda Feld", Since: since}, {Person: "mf-it", Since: since}}
			details[k] = d
		}
	}
	e := newBrowserEnv(t, time.Now, inc)
	e.src.details = details
	must(t, b.Login(e.srv.URL, "/", viewerToken))
	mustWait(t, b, "tile MF counts the staff call", `(document.querySelector('#tiles [data-org="MF"] .conference') || {}).textContent === '2 in der Stabskonferenz'`, 10*time.Second)
	if txt, err := boardtest.Eval[string](b, `document.querySelector('#tiles [data-org="MI"] .conference').textContent`); err != nil || txt != "" {
		t.Errorf("tile MI without a staff call shows %q (%v)", txt, err)
	}
	must(t, b.Do(chromedp.Click(chromedp.CSS(`#tiles [data-org="MF"] .tile-btn`))))
	mustWait(t, b, "conference list", `document.querySelectorAll('#detail-conference li').length === 2`, 10*time.Second)
	list, err := boardtest.Eval[string](b, `document.querySelector('.detail-conference').textContent`)
	must(t, err)
	for _, want := range []string{"Stabskonferenz", "Frieda Feld", "mf-it", "seit "} {
		if !strings.Contains(list, want) {
			t.Errorf("conference list %q lacks %q", list, want)
		}
	}
	must(t, b.Do(chromedp.Click(chromedp.CSS(`#detail-dialog [data-close]`))))
	must(t, b.Do(chromedp.Click(chromedp.CSS(`#lang-toggle`))))
	mustWait(t, b, "English tile", `document.querySelector('#tiles [data-org="MF"] .conference').textContent === '2 in the staff call'`, 10*time.Second)
	must(t, b.Do(chromedp.Click(chromedp.CSS(`#tiles [data-org="MF"] .tile-btn`))))
	mustWait(t, b, "English list", `document.querySelector('.detail-conference').textContent.includes('Staff call') && document.querySelector('.detail-conference').textContent.includes('since ')`, 10*time.Second)
}
