package engine

import (
	"context"
	"errors"
	"testing"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/kaskade-bcm/kaskade/activation"
)

// TestCatchingUpPastAnErasureRebuilds: an instance that followed the log
// (its projection holds a person's answers in clear, opened with the keys
// it had) and catches up before it leads must rebuild when it meets an
// erasure it had not read, as following does — else it leads, shows and
// snapshots the erased person's data.
func TestCatchingUpPastAnErasureRebuilds(t *testing.T) {
	js, leader := leaderWithRemark(t)
	ctx := context.Background()
	standby := New(Options{JS: js, Seal: true, SnapshotEvery: -1})
	if err := standby.catchUp(ctx); err != nil {
		t.Fatal(err)
	}
	standby.ready.Store(true) // as after its first replay, while following
	if !holdsRemark(standby, "Antwort von mi-uwe-boehm") {
		t.Fatal("the standby does not hold the answer before the erasure: the test cannot fail")
	}
	if _, err := leader.ErasePerson(ctx, "mi-uwe-boehm", "admin", "Antrag 17/2026"); err != nil {
		t.Fatal(err)
	}
	err := standby.catchUp(ctx)
	if !errors.Is(err, errRebuild) {
		t.Errorf("catching up past the erasure: %v, want a rebuild", err)
	}
	if err == nil && holdsRemark(standby, "Antwort von mi-uwe-boehm") {
		t.Error("the standby still holds the erased person's answer in clear")
	}
}

func holdsRemark(e *Engine, remark string) bool {
	found := false
	e.View(func(c *activation.Core) {
		d, _ := c.Detail("K1", "MI", nil)
		for _, n := range d.Nodes {
			for _, p := range n.Tiers {
				found = found || p.Remark == remark
			}
		}
	})
	return found
}

// TestAReplayPastAnErasureAfterItsKeysRebuilds: a first replay whose keys
// were read before another leader's erasure rebuilds when it reaches the
// erasure; one whose keys were read after it does not (no endless rebuild).
func TestAReplayPastAnErasureAfterItsKeysRebuilds(t *testing.T) {
	js, leader := leaderWithRemark(t)
	ctx := context.Background()
	lastSeq := func() uint64 {
		_, info, err := leader.eventsStream(ctx)
		if err != nil {
			t.Fatal(err)
		}
		return info.State.LastSeq
	}

	early := New(Options{JS: js, Seal: true, SnapshotEvery: -1})
	early.keysFrom = lastSeq()
	if err := early.keys.ensureLoaded(ctx); err != nil { // the keys as runOnce reads them, before the erasure
		t.Fatal(err)
	}
	if _, err := leader.ErasePerson(ctx, "mi-uwe-boehm", "admin", "Antrag 17/2026"); err != nil {
		t.Fatal(err)
	}
	if err := early.catchUp(ctx); !errors.Is(err, errRebuild) {
		t.Errorf("a replay with keys from before the erasure: %v, want a rebuild", err)
	}

	late := New(Options{JS: js, Seal: true, SnapshotEvery: -1})
	late.keysFrom = lastSeq()
	if err := late.catchUp(ctx); err != nil {
		t.Errorf("a replay with keys from after the erasure: %v", err)
	}
	if holdsRemark(late, "Antwort von mi-uwe-boehm") {
		t.Error("the erased answer is in clear after the replay")
	}
}

// leaderWithRemark runs a sealing leader without snapshots that holds one
// incident in which mi-uwe-boehm answered with a remark naming him.
func leaderWithRemark(t *testing.T) (jetstream.JetStream, *Engine) {
	t.Helper()
	js, _ := plainJS(t)
	leader := runSealed(t, Options{JS: js, Seal: true, SnapshotEvery: -1})
	submit(t, leader, erasureIncident("K1"))
	r := respond("K1", "mi-uwe-boehm")
	r.Response.Remark = "Antwort von mi-uwe-boehm"
	submit(t, leader, r)
	return js, leader
}
