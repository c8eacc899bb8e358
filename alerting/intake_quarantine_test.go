package alerting

import (
	"context"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/kaskade-bcm/kaskade/activation/engine"
	"github.com/kaskade-bcm/kaskade/activation/engine/enginetest"
)

// TestGarbageDeclarationIsQuarantined: an undecodable message in the
// declare stream is counted once, terminated, and the next declaration is
// processed.
func TestGarbageDeclarationIsQuarantined(t *testing.T) {
	nc, js := enginetest.JetStream(t)
	layout := engine.Layout{}
	if err := layout.Ensure(t.Context(), js); err != nil {
		t.Fatal(err)
	}
	reg := prometheus.NewRegistry()
	in, err := New(t.Context(), Options{Config: example(t), JS: js, Layout: layout, Metrics: engine.NewMetrics(reg)})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- in.ServeNATS(ctx) }()
	t.Cleanup(func() {
		cancel()
		<-done
	})
	for _, data := range []string{"\x00not json", `{"id":"after-poison","scenario":"cyberangriff","exercise":true,"declared_by":"a","reason":"b"}`} {
		if err := nc.Publish(layout.DeclareSubject(), []byte(data)); err != nil {
			t.Fatal(err)
		}
	}
	count := func() float64 {
		mfs, err := reg.Gather()
		if err != nil {
			t.Fatal(err)
		}
		for _, mf := range mfs {
			for _, m := range mf.GetMetric() {
				if mf.GetName() == "kaskade_quarantined_messages_total" && m.GetLabel()[0].GetValue() == engine.QuarantineDeclare {
					return m.GetCounter().GetValue()
				}
			}
		}
		return -1
	}
	input, err := js.Stream(t.Context(), layout.InputStream())
	if err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(10 * time.Second)
	for {
		info, err := input.Info(t.Context())
		if err != nil {
			t.Fatal(err)
		}
		if count() == 1 && info.State.Msgs == 1 {
			break // quarantined, and the next declaration reached the engine's input
		}
		if time.Now().After(deadline) {
			t.Fatalf("quarantined %v, inputs %d; want 1 and the declaration after the poison", count(), info.State.Msgs)
		}
		time.Sleep(10 * time.Millisecond)
	}
	select {
	case err := <-done:
		t.Fatalf("intake stopped: %v", err)
	default:
	}
}
