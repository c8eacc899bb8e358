package engine

import (
	"context"
	"encoding/hex"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/kaskade-bcm/kaskade/activation"
	"github.com/kaskade-bcm/kaskade/activation/audit"
)

func verifyChain(t *testing.T, js jetstream.JetStream) audit.Result {
	t.Helper()
	res, err := audit.VerifyStream(context.Background(), js, Layout{}.EventsStream(), audit.Checkpoint{})
	if err != nil {
		t.Fatal(err)
	}
	return res
}

// Restarts (one from a snapshot) continue the chain; a foreign event breaks it.
func TestTheLogIsAHashChain(t *testing.T) {
	js := embeddedJS(t)
	for _, id := range []string{"K1", "K2", "K3"} {
		e, stop := startEngine(t, js, 3)
		if _, err := declareAndWait(t, e, declareInput(id, 4)); err != nil {
			t.Fatal(err)
		}
		if _, err := declareAndWait(t, e, respond(id, "p1")); err != nil {
			t.Fatal(err)
		}
		stop()
	}
	res := verifyChain(t, js)
	if res.Break != nil || res.Unchained != 0 || res.Events != len(readLog(t, js)) || res.Events < 3*3 {
		t.Fatalf("chain after restarts: %+v", res)
	}
	foreignAppend(t, js)
	if broken := verifyChain(t, js); broken.Break == nil || broken.Break.Seq != res.Last+1 {
		t.Fatalf("a foreign event: %+v, want a break at %d", broken, res.Last+1)
	}
}

// A deposed leader's fenced append and the successor's abort marker leave
// the chain intact.
func TestTheChainHoldsAcrossATakeOver(t *testing.T) {
	js := embeddedJS(t)
	grantB := make(chan struct{})
	var leads atomic.Int32
	stale := electorFunc(func(ctx context.Context) (context.Context, error) {
		if leads.Add(1) == 1 {
			return ctx, nil
		}
		<-ctx.Done()
		return nil, ctx.Err()
	})
	successor := electorFunc(func(ctx context.Context) (context.Context, error) {
		select {
		case <-grantB:
			return ctx, nil
		case <-ctx.Done():
			return nil, ctx.Err()
		}
	})
	b := runEngine(t, js, successor, nil)
	var once sync.Once
	a := runEngine(t, js, stale, func(a *Engine) {
		a.batchMax = 2
		a.hooks.afterBatch = func() {
			once.Do(func() {
				close(grantB)
				eventually(t, 10*time.Second, "B leads", b.Leader)
			})
		}
	})
	eventually(t, 10*time.Second, "A leads", leading(a))
	_, _ = declareAndWait(t, a, declareInput("K1", 5))
	if _, err := declareAndWait(t, b, declareInput("K2", 2)); err != nil {
		t.Fatal(err)
	}
	res := verifyChain(t, js)
	aborted := false
	for _, le := range readLog(t, js) {
		aborted = aborted || le.ev.Kind == activation.KindBatchAborted
	}
	if res.Break != nil || res.Unchained != 0 || !aborted {
		t.Fatalf("chain after a take-over: %+v (abort marker in the log: %v)", res, aborted)
	}
}

// TestASnapshotRecordsTheChainHead: a snapshot's header holds the first 128
// bits of the chain's head at its position, and `audit verify` may start
// there: later events verify from it, a wrong head does not.
func TestASnapshotRecordsTheChainHead(t *testing.T) {
	js := embeddedJS(t)
	e, stop := startEngine(t, js, 3)
	for _, in := range []activation.Input{declareInput("K1", 4), respond("K1", "p1")} {
		if _, err := declareAndWait(t, e, in); err != nil {
			t.Fatal(err)
		}
	}
	stop() // a clean stop stores a snapshot at the log's end
	ctx := context.Background()
	store, err := js.ObjectStore(ctx, Layout{}.SnapshotBucket())
	if err != nil {
		t.Fatal(err)
	}
	data, err := store.GetBytes(ctx, snapshotObject)
	if err != nil {
		t.Fatal(err)
	}
	h, _, err := decodeSnapshot(data)
	if err != nil {
		t.Fatal(err)
	}
	at := verifyChain(t, js)
	head := hex.EncodeToString(h.lastSum[:])
	if h.lastSeq != at.Last || !strings.HasPrefix(at.Head, head) {
		t.Fatalf("snapshot at %d with head %s; the chain's head at %d is %s", h.lastSeq, head, at.Last, at.Head)
	}
	e2, stop2 := startEngine(t, js, 1<<30)
	if _, err := declareAndWait(t, e2, declareInput("K2", 2)); err != nil {
		t.Fatal(err)
	}
	stop2()
	cp := audit.Checkpoint{Seq: h.lastSeq, Head: head}
	res, err := audit.VerifyStream(ctx, js, Layout{}.EventsStream(), cp)
	if err != nil || res.Break != nil || res.From != h.lastSeq+1 || res.Events == 0 || res.Head != verifyChain(t, js).Head {
		t.Fatalf("from the snapshot's head: %+v %v", res, err)
	}
	// A wrong head: the checkpoint's own event does not hash to it.
	cp.Head = strings.Repeat("0", len(head))
	if res, err := audit.VerifyStream(ctx, js, Layout{}.EventsStream(), cp); err != nil || res.Break == nil || res.Break.Seq != h.lastSeq {
		t.Fatalf("from a wrong head: %+v %v, want a break at %d", res, err, h.lastSeq)
	}
}
