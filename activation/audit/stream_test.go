package audit_test

import (
	"testing"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/kaskade-bcm/kaskade/activation"
	"github.com/kaskade-bcm/kaskade/activation/audit"
	"github.com/kaskade-bcm/kaskade/activation/engine/enginetest"
)

func TestVerifyStream(t *testing.T) {
	for _, tc := range []struct {
		name   string
		tamper func(t *testing.T, s jetstream.Stream, js jetstream.JetStream)
		at     uint64 // 0: intact
	}{
		{"intact", func(*testing.T, jetstream.Stream, jetstream.JetStream) {}, 0},
		{"an event deleted", func(t *testing.T, s jetstream.Stream, _ jetstream.JetStream) {
			if err := s.DeleteMsg(t.Context(), 3); err != nil {
				t.Fatal(err)
			}
		}, 4},
		{"the last event deleted", func(t *testing.T, s jetstream.Stream, _ jetstream.JetStream) {
			if err := s.DeleteMsg(t.Context(), 5); err != nil {
				t.Fatal(err)
			}
		}, 5},
		{"the last two events deleted", func(t *testing.T, s jetstream.Stream, _ jetstream.JetStream) {
			for _, seq := range []uint64{4, 5} {
				if err := s.DeleteMsg(t.Context(), seq); err != nil {
					t.Fatal(err)
				}
			}
		}, 4},
		{"every event purged", func(t *testing.T, s jetstream.Stream, _ jetstream.JetStream) {
			if err := s.Purge(t.Context()); err != nil {
				t.Fatal(err)
			}
		}, 1},
		{"an event appended by someone else", func(t *testing.T, _ jetstream.Stream, js jetstream.JetStream) {
			if _, err := js.Publish(t.Context(), "ev.K1", []byte(`{"v":1,"incident":"K1","kind":"stood_down"}`)); err != nil {
				t.Fatal(err)
			}
		}, 6},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, js := enginetest.JetStream(t)
			s, err := js.CreateStream(t.Context(), jetstream.StreamConfig{Name: "EV", Subjects: []string{"ev.>"}})
			if err != nil {
				t.Fatal(err)
			}
			c := audit.NewChain("")
			for i := range 5 {
				ev := activation.Event{V: 1, Incident: "K1", Kind: activation.KindUpdate, At: time.Unix(int64(i), 0).UTC(),
					Update: &activation.SituationUpdate{Text: "Lage", By: "Lagedienst"}}
				data, err := c.Link(&ev)
				if err != nil {
					t.Fatal(err)
				}
				if _, err := js.Publish(t.Context(), "ev.K1", data); err != nil {
					t.Fatal(err)
				}
			}
			tc.tamper(t, s, js)
			res, err := audit.VerifyStream(t.Context(), js, "EV", audit.Checkpoint{})
			switch {
			case err != nil:
				t.Fatal(err)
			case tc.at == 0 && (res.Break != nil || res.Events != 5 || res.Head != c.Head()):
				t.Fatalf("intact: %+v, want 5 events up to the writer's head", res)
			case tc.at != 0 && (res.Break == nil || res.Break.Seq != tc.at):
				t.Fatalf("result %+v, want a break at seq %d", res, tc.at)
			}
		})
	}
}
