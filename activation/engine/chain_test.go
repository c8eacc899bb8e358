package engine

import (
	"context"
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
