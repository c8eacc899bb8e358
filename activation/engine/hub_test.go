package engine

import (
	"testing"

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
