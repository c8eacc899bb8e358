package board

import (
	"encoding/json"
	"net/http"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/kaskade-bcm/kaskade/activation/board/boardtest"
	"github.com/kaskade-bcm/kaskade/activation/web"
)

// The declaration form shows live how many SMS parts the alert takes, from
// the API's POST /api/v1/texts/sms (faked here: one part per 100 title
// characters, budget 3), and says so when it is too long.
func TestBrowserDeclareFormCountsSMSParts(t *testing.T) {
	b := boardtest.StartBrowser(t)
	brd := New(Options{Source: newFakeSource(), Auth: newFakeAuth(), Now: time.Now})
	mux := http.NewServeMux()
	brd.Register(mux)
	mux.HandleFunc("POST /api/v1/texts/sms", func(w http.ResponseWriter, r *http.Request) {
		var req struct {
			Title string `json:"title"`
		}
		if err := json.NewDecoder(r.Body).Decode(&req); err != nil {
			web.WriteError(w, http.StatusBadRequest, "bad_json", err.Error())
			return
		}
		n := len([]rune(req.Title))/100 + 1
		web.WriteJSON(w, http.StatusOK, map[string]any{"segments": n, "chars": len([]rune(req.Title)), "budget": 3, "max_chars": 1600, "fits": n <= 3})
	})
	srv := newStreamServer(mux)
	t.Cleanup(func() { brd.Close(); srv.Close() })
	must(t, b.Login(srv.URL, "/", dutyToken))
	mustWait(t, b, "board live", `!!window.kaskade && window.kaskade.state.conn === 'live'`, 10*time.Second)
	must(t, b.Do(chromedp.Click(chromedp.CSS(`#btn-declare`)), chromedp.WaitVisible(chromedp.CSS(`#declare-scenario`))))
	mustWait(t, b, "counter shown", `document.getElementById('declare-sms').textContent.includes('von höchstens 3')`, 5*time.Second)
	must(t, b.Do(chromedp.Evaluate[chromedp.Void](`(() => { const el = document.getElementById('declare-title-input');
		el.value = '`+repeat("x", 350)+`'; el.dispatchEvent(new Event('input')); })()`)))
	mustWait(t, b, "too long shown", `(() => { const el = document.getElementById('declare-sms');
		return el.textContent.includes('Zu lang: 4 SMS-Teile') && el.classList.contains('sms-over'); })()`, 5*time.Second)
}

func repeat(s string, n int) string {
	out := make([]byte, 0, len(s)*n)
	for range n {
		out = append(out, s...)
	}
	return string(out)
}
