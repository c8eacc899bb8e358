package board

import (
	"os"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/kaskade-bcm/kaskade/activation/board/boardtest"
)

// TestScreenshot writes PNG screenshots of the board with a realistic
// exercise (eleven ministries in mixed states) when KASKADE_SCREENSHOT names
// the output file, for docs/board.png:
//
//	KASKADE_E2E=1 KASKADE_SCREENSHOT=$PWD/docs/board.png go test -run TestScreenshot ./activation/board/
//
// Beside it, it writes NAME-detail.png (the drill-down), NAME-en.png (English)
// and NAME-wall.png (wall mode at 3840×2160).
func TestScreenshot(t *testing.T) {
	out := os.Getenv("KASKADE_SCREENSHOT")
	if out == "" {
		t.Skip("set KASKADE_SCREENSHOT=path.png to write a screenshot of the board")
	}
	base := strings.TrimSuffix(out, ".png")
	// 03:31:40 in Berlin, 19 min 40 s into the exercise.
	now := time.Date(2026, 3, 3, 2, 31, 40, 0, time.UTC)
	clock := func() time.Time { return now }
	inc, details := exampleExercise(now)

	shoot := func(t *testing.T, b *boardtest.Browser, path string) {
		t.Helper()
		// Let the bars finish their transition.
		must(t, b.Do(chromedp.Sleep(900*time.Millisecond)))
		png, err := chromedp.Run(b.Ctx, chromedp.CaptureScreenshot())
		must(t, err)
		must(t, os.WriteFile(path, png, 0o644))
		t.Logf("wrote %s (%d bytes)", path, len(png))
	}

	t.Run("board", func(t *testing.T) {
		b := boardtest.StartBrowser(t)
		e := newBrowserEnv(t, clock, inc)
		e.src.details = details
		must(t, b.Login(e.srv.URL, "/", dutyToken))
		mustWait(t, b, "tiles", `document.querySelectorAll('#tiles .tile').length === 11 && window.kaskade.state.conn === 'live'`, 10*time.Second)
		shoot(t, b, out)

		must(t, b.Do(chromedp.Click(chromedp.CSS(`#tiles [data-org="MF"] .tile-btn`))))
		mustWait(t, b, "detail", `document.querySelectorAll('#detail-tree .person').length === 8`, 10*time.Second)
		shoot(t, b, base+"-detail.png")
	})
	t.Run("english", func(t *testing.T) {
		b := boardtest.StartBrowser(t, boardtest.Options{Width: 1366, Height: 768})
		e := newBrowserEnv(t, clock, inc)
		must(t, b.Login(e.srv.URL, "/?lang=en", viewerToken))
		mustWait(t, b, "tiles", `document.querySelectorAll('#tiles .tile').length === 11 && window.kaskade.state.conn === 'live'`, 10*time.Second)
		shoot(t, b, base+"-en.png")
	})
	t.Run("wall", func(t *testing.T) {
		b := boardtest.StartBrowser(t, boardtest.Options{Width: 3840, Height: 2160})
		e := newBrowserEnv(t, clock, inc)
		must(t, b.Login(e.srv.URL, "/?wall=1", viewerToken))
		mustWait(t, b, "tiles", `document.querySelectorAll('#tiles .tile').length === 11 && window.kaskade.state.conn === 'live'`, 10*time.Second)
		shoot(t, b, base+"-wall.png")
	})
}
