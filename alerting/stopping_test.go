package alerting

import (
	"context"
	"testing"
	"time"
)

// TestAStopNeverDropsADeclaration: a plain publish that the intake is
// still working on when Kaskade stops (here: waiting for a claim left
// pending by an instance that died) is handed back to the stream, not
// acknowledged as if it had been refused: after the restart it is declared.
func TestAStopNeverDropsADeclaration(t *testing.T) {
	in, js, layout := intakeOnNATS(t)
	raw := []byte(`{"scenario":"cyberangriff","organisations":["MI"],"exercise":true,"declared_by":"SIEM","reason":"Ransomware"}`)
	bucket, key := in.dedupKey(Declaration{}, raw, "siem\x00")
	if _, err := bucket.Create(t.Context(), key, []byte(pending)); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(t.Context())
	done := make(chan struct{})
	go func() { _ = in.ServeNATS(ctx); close(done) }()
	if err := js.Conn().Publish(layout.DeclarerSubject("siem"), raw); err != nil {
		t.Fatal(err)
	}
	cons, err := js.Consumer(t.Context(), layout.DeclareStream(), "intake")
	for deadline := time.Now().Add(10 * time.Second); err != nil || cons.CachedInfo().NumAckPending == 0; {
		if time.Now().After(deadline) {
			t.Fatalf("the declaration never reached the intake: %v", err)
		}
		time.Sleep(5 * time.Millisecond)
		if cons, err = js.Consumer(t.Context(), layout.DeclareStream(), "intake"); err == nil {
			_, err = cons.Info(t.Context())
		}
	}
	cancel() // the stop, while the intake waits for the claim
	<-done
	info, err := cons.Info(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	if info.AckFloor.Stream != 0 {
		t.Fatalf("the declaration was acknowledged at the stop: ack floor %d", info.AckFloor.Stream)
	}
}
