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
	abort := activation.Event{Kind: activation.KindBatchAborted, Aborted: 5}
	steps := []struct {
		ev   activation.Event
		want int // events released
	}{
		{ev(0, false, "legacy"), 1},
		{ev(2, false, "a"), 0},
		{ev(2, false, "b"), 0},
		{ev(2, true, "c"), 3},
		{ev(5, false, "x"), 0}, // interrupted by a crash ...
		{abort, 0},             // ... voided by the next leader ...
		{ev(9, true, "y"), 1},  // ... whose own batches apply normally
		{ev(10, false, "z"), 0},
		{ev(11, true, "w"), 1}, // batch 10 was abandoned too
	}
	for i, s := range steps {
		if got := a.add(s.ev); len(got) != s.want {
			t.Fatalf("step %d: released %d, want %d", i, len(got), s.want)
		}
	}
	if !a.abortedSet[5] || a.abortedSet[9] {
		t.Fatalf("aborted %v", a.abortedSet)
	}
	evs := make([]activation.Event, 3)
	markBatch(evs, 10)
	if evs[0].Batch != 10 || evs[2].Batch != 10 || evs[0].Done || !evs[2].Done {
		t.Fatalf("markBatch: %+v", evs)
	}
}
