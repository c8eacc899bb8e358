// Package boardtest starts a headless Chromium for browser tests of the board,
// here and in end-to-end tests elsewhere. Tests skip (never pass silently)
// without one: set KASKADE_CHROMIUM to its binary, or install Debian's chromium.
package boardtest

import (
	"context"
	"os"
	"os/exec"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/kaskade-bcm/kaskade/internal/e2e"
)

// FindChromium returns the browser binary: $KASKADE_CHROMIUM, or chromium,
// chromium-browser, google-chrome or google-chrome-stable on PATH.
func FindChromium() (string, bool) {
	if p := os.Getenv("KASKADE_CHROMIUM"); p != "" {
		if _, err := os.Stat(p); err == nil {
			return p, true
		}
		return "", false
	}
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome", "google-chrome-stable"} {
		if p, err := exec.LookPath(name); err == nil {
			return p, true
		}
	}
	return "", false
}

// Browser is a started headless browser tab.
type Browser struct {
	// Ctx is the chromedp context of the tab; run actions with it.
	Ctx context.Context

	mu       sync.Mutex
	problems []string
}

// Options change the browser window.
type Options struct {
	Width, Height int // default 1920×1080
	// AllowConsoleErrors keeps JavaScript exceptions and console errors from
	// failing the test.
	AllowConsoleErrors bool
}

// StartBrowser starts a headless Chromium with a fresh profile and returns its
// tab, or skips the test without one. At cleanup it fails the test on a page
// exception or console error (e.g. CSP), unless AllowConsoleErrors is set.
func StartBrowser(t testing.TB, opts ...Options) *Browser {
	t.Helper()
	e2e.Long(t)
	var o Options
	if len(opts) > 0 {
		o = opts[0]
	}
	if o.Width == 0 {
		o.Width, o.Height = 1920, 1080
	}
	path, ok := FindChromium()
	if !ok && os.Getenv("CI") != "" {
		t.Fatal("browser test: no chromium found, but CI must run the browser tests (.ci/run installs Debian's chromium)")
	}
	if !ok {
		t.Skip("browser test skipped: no chromium found (install chromium, or set KASKADE_CHROMIUM to a Chrome/Chromium binary)")
	}
	alloc := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(path),
		chromedp.Headless,
		chromedp.NoSandbox,
		chromedp.DisableGPU,
		chromedp.NoFirstRun,
		chromedp.Flag("disable-quic", true),
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.Flag("lang", "de-DE"),
		chromedp.UserDataDir(t.TempDir()),
		chromedp.WindowSize(o.Width, o.Height),
	)
	actx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), alloc...)
	ctx, cancelCtx := chromedp.NewContext(actx, chromedp.WithLogf(func(string, ...any) {}))
	b := &Browser{Ctx: ctx}
	messages := chromedp.Console(ctx)
	if err := chromedp.Do(ctx, chromedp.EmulateViewport(int64(o.Width), int64(o.Height))); err != nil {
		cancelCtx()
		cancelAlloc()
		t.Fatalf("start browser %s: %v", path, err)
	}
	done := make(chan struct{})
	go func() {
		defer close(done)
		for m, err := range messages {
			if err != nil {
				return
			}
			if m.Type == chromedp.ConsoleException || m.Type == chromedp.ConsoleError {
				// The board's own reconnect probes produce network errors by design.
				if strings.Contains(m.Text, "Failed to load resource") || strings.Contains(m.Text, "EventSource") || strings.Contains(m.Text, "net::ERR_") {
					continue
				}
				b.mu.Lock()
				b.problems = append(b.problems, string(m.Type)+": "+m.Text+" ("+m.URL+")")
				b.mu.Unlock()
			}
		}
	}()
	t.Cleanup(func() {
		cancelCtx()
		cancelAlloc()
		select {
		case <-done:
		case <-time.After(5 * time.Second):
		}
		if !o.AllowConsoleErrors {
			for _, p := range b.Problems() {
				t.Errorf("browser console: %s", p)
			}
		}
	})
	return b
}

// Problems returns the exceptions and console errors seen so far.
func (b *Browser) Problems() []string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return append([]string(nil), b.problems...)
}

// ActionTimeout bounds Do, Login and Eval, so a wrong selector fails the
// test instead of hanging it.
const ActionTimeout = 30 * time.Second

// Do runs actions in the tab with ActionTimeout.
func (b *Browser) Do(actions ...chromedp.Action[chromedp.Void]) error {
	ctx, cancel := context.WithTimeout(b.Ctx, ActionTimeout)
	defer cancel()
	return chromedp.Do(ctx, actions...)
}

// Login opens baseURL+path, which must show the login page (directly or by
// redirect), and signs in with token. It waits until the board page has loaded.
func (b *Browser) Login(baseURL, path, token string) error {
	return b.Do(
		chromedp.Navigate(baseURL+path),
		chromedp.WaitVisible(chromedp.CSS("#login-token")),
		chromedp.SendKeys(chromedp.CSS("#login-token"), token),
		chromedp.Click(chromedp.CSS("#login-submit")),
		chromedp.WaitReady(chromedp.CSS("#tiles")),
	)
}

// WaitTrue polls a JavaScript expression in the page until it is true or the
// timeout passes.
func (b *Browser) WaitTrue(expr string, timeout time.Duration) error {
	_, err := chromedp.Run(b.Ctx, chromedp.Poll[bool](expr, chromedp.WithPollingTimeout(timeout), chromedp.WithPollingInterval(50*time.Millisecond)))
	return err
}

// Eval evaluates a JavaScript expression and returns its value.
func Eval[T any](b *Browser, expr string) (T, error) {
	ctx, cancel := context.WithTimeout(b.Ctx, ActionTimeout)
	defer cancel()
	return chromedp.Run(ctx, chromedp.Evaluate[T](expr))
}
