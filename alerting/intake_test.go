package alerting

import (
	"testing"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/kaskade-bcm/kaskade/activation"
	"github.com/kaskade-bcm/kaskade/activation/engine"
	"github.com/kaskade-bcm/kaskade/activation/engine/enginetest"
)

// intakeOnNATS returns an intake on an in-process nats-server with the
// layout ensured (no engine: the tests write the log themselves).
func intakeOnNATS(t *testing.T) (*Intake, jetstream.JetStream, engine.Layout) {
	t.Helper()
	_, js := enginetest.JetStream(t)
	layout := engine.Layout{}
	if err := layout.Ensure(t.Context(), js); err != nil {
		t.Fatal(err)
	}
	in, err := New(t.Context(), Options{Config: example(t), JS: js, Layout: layout})
	if err != nil {
		t.Fatal(err)
	}
	return in, js, layout
}

func TestIncidentIDsNeverRepeatWhatTheLogDeclared(t *testing.T) {
	for _, tc := range []struct {
		name     string
		declared []string // incidents already in the log
		counter  string   // the counter's value; "" for a lost counter
		want     []string
	}{
		{name: "fresh", want: []string{"K1", "K2", "K3"}},
		{name: "counter lost, log kept", declared: []string{"K1", "K2", "K3"}, want: []string{"K4", "K5"}},
		{name: "counter from an older backup", declared: []string{"K1", "K2", "K3", "K5"}, counter: "1", want: []string{"K4", "K6"}},
		{name: "counter in step", declared: []string{"K1", "K2"}, counter: "2", want: []string{"K3"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			in, js, layout := intakeOnNATS(t)
			for _, id := range tc.declared {
				if _, err := js.Publish(t.Context(), layout.EventSubject(id, activation.KindDeclared), []byte(`{"v":1}`)); err != nil {
					t.Fatal(err)
				}
			}
			if tc.counter != "" {
				if _, err := in.state.Put(t.Context(), "incident-counter", []byte(tc.counter)); err != nil {
					t.Fatal(err)
				}
			}
			for _, want := range tc.want {
				got, err := in.nextID(t.Context())
				if err != nil || got != want {
					t.Fatalf("next id = %q, %v; want %s", got, err, want)
				}
			}
		})
	}
}
