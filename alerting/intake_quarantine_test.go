package alerting

import (
	"context"
	"os"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/kaskade-bcm/kaskade/activation/engine"
	"github.com/kaskade-bcm/kaskade/activation/engine/enginetest"
)

// TestGarbageIsQuarantined: an undecodable message in the declare or the
// warnings stream is counted once, terminated, and the next message of that
// stream is processed (it reaches the engine's input).
func TestGarbageIsQuarantined(t *testing.T) {
	capWarning, err := os.ReadFile("proposal/testdata/dwd-unwetter.xml")
	if err != nil {
		t.Fatal(err)
	}
	layout := engine.Layout{}
	for _, tc := range []struct {
		name, stream, subject string
		serve                 func(*Intake, context.Context) error
		poison, next          []byte
	}{
		{"declaration", engine.QuarantineDeclare, layout.DeclareSubject(), (*Intake).ServeNATS, []byte("\x00not json"),
			[]byte(`{"id":"after-poison","scenario":"cyberangriff","exercise":true,"declared_by":"a","reason":"b"}`)},
		{"CAP warning", engine.QuarantineWarnings, layout.CAPSubject(), (*Intake).ServeWarnings, []byte("\x00not XML"), capWarning},
		{"CAP warning that is no CAP", engine.QuarantineWarnings, layout.CAPSubject(), (*Intake).ServeWarnings, []byte("<alert/>"), capWarning},
	} {
		t.Run(tc.name, func(t *testing.T) {
			nc, js := enginetest.JetStream(t)
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
			go func() { done <- tc.serve(in, ctx) }()
			t.Cleanup(func() {
				cancel()
				<-done
			})
			for _, data := range [][]byte{tc.poison, tc.next} {
				if err := nc.Publish(tc.subject, data); err != nil {
					t.Fatal(err)
				}
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
				if quarantinedOn(t, reg, tc.stream) == 1 && info.State.Msgs >= 1 {
					break // quarantined, and the message after the poison reached the engine's input
				}
				if time.Now().After(deadline) {
					t.Fatalf("quarantined %v, inputs %d; want 1 and the message after the poison", quarantinedOn(t, reg, tc.stream), info.State.Msgs)
				}
				time.Sleep(10 * time.Millisecond)
			}
			select {
			case err := <-done:
				t.Fatalf("intake stopped: %v", err)
			default:
			}
		})
	}
}

// quarantinedOn reads kaskade_quarantined_messages_total{stream} (-1: absent).
func quarantinedOn(t *testing.T, reg *prometheus.Registry, stream string) float64 {
	t.Helper()
	mfs, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, mf := range mfs {
		for _, m := range mf.GetMetric() {
			if mf.GetName() == "kaskade_quarantined_messages_total" && m.GetLabel()[0].GetValue() == stream {
				return m.GetCounter().GetValue()
			}
		}
	}
	return -1
}
