package engine

import (
	"context"
	"testing"
	"time"
)

// TestErasureDropsSnapshotsOfAnEarlierRunWithSnapshotsOff: an engine run
// without snapshots (-1) after one that stored them must still drop them
// at an erasure — they hold the person in clear, and a later run with
// snapshots on would restore them.
func TestErasureDropsSnapshotsOfAnEarlierRunWithSnapshotsOff(t *testing.T) {
	js, dir := plainJS(t)
	first := New(Options{JS: js, Seal: true, SnapshotEvery: 3, SnapshotIdle: 1 << 30})
	ctx, stop := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { defer close(done); _ = first.Run(ctx) }()
	waitLeading(t, first)
	submit(t, first, erasureIncident("K1"))
	r := respond("K1", "mi-uwe-boehm")
	r.Response.Remark = "Antwort von mi-uwe-boehm"
	submit(t, first, r)
	eventuallyFor(t, "no snapshot was stored", func() bool { return first.snap.stored.Load() > 0 })
	stop()
	<-done
	if len(filesHolding(t, dir, "Antwort von mi-uwe-boehm")) == 0 {
		t.Fatal("the remark is nowhere in the store before the erasure: the search cannot fail")
	}

	e := runSealed(t, Options{JS: js, Seal: true, SnapshotEvery: -1})
	if _, err := e.ErasePerson(context.Background(), "mi-uwe-boehm", "admin", "Antrag 17/2026"); err != nil {
		t.Fatal(err)
	}
	waitLeading(t, e)
	stream, err := js.Stream(context.Background(), "OBJ_"+e.opts.Layout.SnapshotBucket())
	if err != nil {
		t.Fatal(err)
	}
	if n := stream.CachedInfo().State.Msgs; n != 0 {
		t.Errorf("%d snapshot messages left after the erasure", n)
	}
	deadline := time.Now().Add(5 * time.Second)
	for files := filesHolding(t, dir, "Antwort von mi-uwe-boehm"); len(files) > 0; files = filesHolding(t, dir, "Antwort von mi-uwe-boehm") {
		if time.Now().After(deadline) {
			t.Fatalf("the remark is still in %v", files)
		}
		time.Sleep(20 * time.Millisecond)
	}
}
