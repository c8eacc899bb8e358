package board

import (
	"sync"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/kaskade-bcm/kaskade/activation"
	"github.com/kaskade-bcm/kaskade/activation/board/boardtest"
)

// changingSource holds proposals the test changes while the page is open.
type changingSource struct {
	*fakeSource
	mu   *sync.Mutex
	list *[]activation.ProposalView
}

func (c changingSource) Proposals() []activation.ProposalView {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]activation.ProposalView(nil), *c.list...)
}

func (c changingSource) set(ps ...activation.ProposalView) {
	c.mu.Lock()
	defer c.mu.Unlock()
	*c.list = ps
}

func openProposal(id, headline string) activation.ProposalView {
	return activation.ProposalView{ID: id, Status: activation.ProposalOpen, Source: "cap", By: "dwd",
		Sent: time.Date(2026, 12, 3, 7, 0, 0, 0, time.UTC), Event: "DAUERREGEN", Headline: headline, Scenario: "hochwasser"}
}

// TestBrowserProposalListFollows: on an open proposals page a new proposal
// appears and a withdrawn one turns closed without a reload; the form a
// duty officer has started keeps what was typed, and the new proposal's
// form works.
func TestBrowserProposalListFollows(t *testing.T) {
	b := boardtest.StartBrowser(t)
	var src changingSource
	e := newBrowserEnvWith(t, time.Now, func(o *Options) {
		src = changingSource{o.Source.(*fakeSource), &sync.Mutex{}, &[]activation.ProposalView{}}
		o.Source = src
	})
	first := openProposal("P-first", "Unwetterwarnung Dauerregen")
	src.set(first)
	must(t, b.Login(e.srv.URL, "/", dutyToken))
	must(t, b.Do(chromedp.Navigate(e.srv.URL+"/proposals")))
	mustWait(t, b, "proposals page", `window.kaskadeProposals !== undefined && document.querySelector('form[data-id="P-first"]') !== null`, 10*time.Second)
	must(t, b.Do(chromedp.Evaluate[chromedp.Void](`window.__noReload = true`)))
	must(t, b.Do(chromedp.SendKeys(chromedp.CSS(`form[data-id="P-first"] textarea[name="reason"]`), "Pegel steigen")))

	second := openProposal("P-second", "Hochwasserwarnung Leine")
	src.set(second, first)
	must(t, b.Do(chromedp.Evaluate[chromedp.Void](`window.kaskadeProposals.refresh()`)))
	mustWait(t, b, "the new proposal", `document.querySelector('form[data-id="P-second"]') !== null && document.querySelector('#main h1').textContent.includes('(2)')`, 10*time.Second)
	if v, err := boardtest.Eval[string](b, `document.querySelector('form[data-id="P-first"] textarea[name="reason"]').value`); err != nil || v != "Pegel steigen" {
		t.Fatalf("the started form lost its text: %q %v", v, err)
	}

	first.Status, first.Withdrawal = activation.ProposalWithdrawn, &activation.ProposalWithdrawal{Reason: "Entwarnung des DWD"}
	src.set(second, first)
	must(t, b.Do(chromedp.Evaluate[chromedp.Void](`window.kaskadeProposals.refresh()`)))
	mustWait(t, b, "the withdrawal", `document.querySelector('article.proposal-closed#P-first') !== null && document.querySelector('form[data-id="P-first"]') === null && document.querySelector('#main h1').textContent.includes('(1)') && document.body.innerText.includes('Entwarnung des DWD')`, 10*time.Second)

	// The swapped-in form is bound: without a reason it says so and sends nothing.
	must(t, b.Do(chromedp.Click(chromedp.CSS(`form[data-id="P-second"] button[value="dismiss"]`))))
	mustWait(t, b, "the reason hint", `(() => { const p = document.querySelector('form[data-id="P-second"] .form-error'); return !!p && !p.hidden && p.textContent.includes('Begründung'); })()`, 10*time.Second)
	if ok, err := boardtest.Eval[bool](b, `window.__noReload === true`); err != nil || !ok {
		t.Error("page reloaded")
	}
	if n := len(e.callsTo("/dismiss")); n != 0 {
		t.Errorf("%d dismissals sent without a reason", n)
	}
}
