package engine

import (
	"testing"

	"github.com/kaskade-bcm/kaskade/activation"
)

func TestAssemblerAppliesOnlyCompleteBatches(t *testing.T) {
	ev := func(batch uint64, done bool, kind string) activation.Event {
		return activation.Event{Batch: batch, Done: done, Kind: kind}
	}
	var a assembler
	steps := []struct {
		ev   activation.Event
		seq  uint64
		want int // events released
	}{
		{ev(0, false, "legacy"), 1, 1},
		{ev(2, false, "a"), 2, 0},
		{ev(2, false, "b"), 3, 0},
		{ev(2, true, "c"), 4, 3},
		{ev(5, false, "x"), 5, 0}, // abandoned by a dying writer ...
		{ev(7, true, "y"), 7, 1},  // ... and replaced by the next leader's batch
		{ev(8, false, "z"), 8, 0},
	}
	for i, s := range steps {
		if got := a.add(s.ev, s.seq); len(got) != s.want {
			t.Fatalf("step %d: released %d, want %d", i, len(got), s.want)
		}
	}
	if len(a.seqs) != 1 || a.seqs[0] != 8 {
		t.Fatalf("incomplete tail = %v, want [8]", a.seqs)
	}
	evs := make([]activation.Event, 3)
	markBatch(evs, 10)
	if evs[0].Batch != 10 || evs[2].Batch != 10 || evs[0].Done || !evs[2].Done {
		t.Fatalf("markBatch: %+v", evs)
	}
}
