package alerting

import (
	"context"
	"fmt"
	"testing"
	"time"
)

// TestACrashDelaysAtMostTheDeclarationInWork: the stream consumer fetched
// declarations in batches; those fetched but not yet handled when Kaskade
// was killed waited for the ack timeout after the restart (in a kill -9
// probe with 50 plain publishes, 27 were declared 28 s after the restart).
// The intake now holds one declaration at a time, with a short ack wait.
func TestACrashDelaysAtMostTheDeclarationInWork(t *testing.T) {
	in, js, layout := intakeOnNATS(t)
	first := []byte(`{"scenario":"cyberangriff","organisations":["MI"],"exercise":true,"declared_by":"a","reason":"first"}`)
	bucket, key := in.dedupKey(Declaration{}, first, "siem\x00")
	if _, err := bucket.Create(t.Context(), key, []byte(pending)); err != nil { // the first waits for this claim
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(t.Context())
	done := make(chan struct{})
	go func() { _ = in.ServeNATS(ctx); close(done) }()
	t.Cleanup(func() { cancel(); <-done })
	nc := js.Conn()
	if err := nc.Publish(layout.DeclarerSubject("siem"), first); err != nil {
		t.Fatal(err)
	}
	for n := range 5 {
		body := fmt.Appendf(nil, `{"scenario":"cyberangriff","organisations":["MI"],"exercise":true,"declared_by":"a","reason":"r%d"}`, n)
		if err := nc.Publish(layout.DeclarerSubject("siem"), body); err != nil {
			t.Fatal(err)
		}
	}
	cons, err := js.Consumer(t.Context(), layout.DeclareStream(), "intake")
	for deadline := time.Now().Add(10 * time.Second); err != nil || cons.CachedInfo().NumPending+uint64(cons.CachedInfo().NumAckPending) < 6; {
		if time.Now().After(deadline) {
			t.Fatalf("the declarations never reached the consumer: %v", err)
		}
		time.Sleep(5 * time.Millisecond)
		if cons, err = js.Consumer(t.Context(), layout.DeclareStream(), "intake"); err == nil {
			_, err = cons.Info(t.Context())
		}
	}
	time.Sleep(200 * time.Millisecond) // time for a batch to be fetched, were it fetched
	info, err := cons.Info(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	if info.NumAckPending > 2 { // the one in work, perhaps the next fetched
		t.Errorf("%d declarations held unacknowledged while the first waits: a crash now delays them all", info.NumAckPending)
	}
	if info.Config.AckWait > 10*time.Second {
		t.Errorf("ack wait %v: a crash delays the declaration in work that long", info.Config.AckWait)
	}
}
