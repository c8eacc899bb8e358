package engine

import (
	"sync"
	"testing"
	"time"

	"github.com/kaskade-bcm/kaskade/activation"
)

// TestHubResync (issue 16.16): a rebuild tells every live reader to
// resync with a change of its own kind.
func TestHubResync(t *testing.T) {
	var h hub
	a, stopA := h.subscribe()
	defer stopA()
	b, stopB := h.subscribe()
	defer stopB()
	h.resync()
	for _, ch := range []<-chan activation.Change{a, b} {
		select {
		case c := <-ch:
			if c.Kind != activation.ChangeResync || c.Seq == 0 {
				t.Fatalf("change %+v, want a numbered resync", c)
			}
		default:
			t.Fatal("reader not told to resync")
		}
	}
}

// TestRebuildTellsReadersToResync (issue 16.16): when the engine rebuilds
// its state from the log (here after its append was fenced by another
// writer), a live reader gets a resync change after the rebuild.
func TestRebuildTellsReadersToResync(t *testing.T) {
	js := embeddedJS(t)
	var once sync.Once
	e := runEngine(t, js, nil, func(e *Engine) {
		e.hooks.inBatch = func(int) { once.Do(func() { foreignAppend(t, js) }) }
	})
	eventually(t, 10*time.Second, "engine leads", leading(e))
	ch, stop := e.Subscribe()
	defer stop()
	got := make(chan bool, 1)
	go func() {
		for c := range ch {
			if c.Kind == activation.ChangeResync {
				got <- true
				return
			}
		}
		got <- false // dropped without a resync
	}()
	_, _ = declareAndWait(t, e, declareInput("K1", 2))
	select {
	case ok := <-got:
		if !ok {
			t.Fatal("reader dropped without a resync")
		}
	case <-time.After(10 * time.Second):
		t.Fatalf("no resync after the rebuild (restarts %d)", e.restarts.Load())
	}
	if e.restarts.Load() == 0 {
		t.Fatal("the fenced engine did not rebuild")
	}
}
