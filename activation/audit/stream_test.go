package audit_test

import (
	"encoding/json"
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

// TestVerifyStreamChecksTheCheckpointsEvent: a verification from a
// recorded head (seq, hash) first checks that the stored event at seq
// still has that hash: the next event's prev still names the original,
// so a changed checkpoint event (or a changed last event, checked against
// the head recorded for it) is found only there.
func TestVerifyStreamChecksTheCheckpointsEvent(t *testing.T) {
	event := func(i int, text string) activation.Event {
		return activation.Event{V: 1, Incident: "K1", Kind: activation.KindUpdate, At: time.Unix(int64(i), 0).UTC(),
			Update: &activation.SituationUpdate{Text: text, By: "Lagedienst"}}
	}
	for _, tc := range []struct {
		name    string
		changed int    // the stored event (1-based) replaced by a changed one; 0: none
		deleted uint64 // a stored event deleted; 0: none
		cp      func(heads []string) audit.Checkpoint
		at      uint64 // the break expected; 0: intact
	}{
		{"intact", 0, 0, func(h []string) audit.Checkpoint { return audit.Checkpoint{Seq: 3, Head: h[3]} }, 0},
		{"intact, a snapshot's 32-digit head", 0, 0, func(h []string) audit.Checkpoint { return audit.Checkpoint{Seq: 3, Head: h[3][:32]} }, 0},
		{"the checkpoint's event changed", 3, 0, func(h []string) audit.Checkpoint { return audit.Checkpoint{Seq: 3, Head: h[3]} }, 3},
		{"the last event changed, checked against its head", 5, 0, func(h []string) audit.Checkpoint { return audit.Checkpoint{Seq: 5, Head: h[5]} }, 5},
		{"the checkpoint's event deleted", 0, 3, func(h []string) audit.Checkpoint { return audit.Checkpoint{Seq: 3, Head: h[3]} }, 3},
		{"the log ends before the checkpoint", 0, 0, func(h []string) audit.Checkpoint { return audit.Checkpoint{Seq: 7, Head: h[3]} }, 7},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, js := enginetest.JetStream(t)
			s, err := js.CreateStream(t.Context(), jetstream.StreamConfig{Name: "EV", Subjects: []string{"ev.>"}})
			if err != nil {
				t.Fatal(err)
			}
			c := audit.NewChain("")
			heads := []string{audit.Genesis}
			for i := 1; i <= 5; i++ {
				ev := event(i, "Lage")
				data, err := c.Link(&ev)
				if err != nil {
					t.Fatal(err)
				}
				heads = append(heads, c.Head())
				if i == tc.changed { // as if its bytes were altered in the store afterwards
					forged := event(i, "Lage geändert")
					forged.Prev = ev.Prev
					if data, err = json.Marshal(forged); err != nil {
						t.Fatal(err)
					}
				}
				if _, err := js.Publish(t.Context(), "ev.K1", data); err != nil {
					t.Fatal(err)
				}
			}
			if tc.deleted != 0 {
				if err := s.DeleteMsg(t.Context(), tc.deleted); err != nil {
					t.Fatal(err)
				}
			}
			res, err := audit.VerifyStream(t.Context(), js, "EV", tc.cp(heads))
			switch {
			case err != nil:
				t.Fatal(err)
			case tc.at == 0 && (res.Break != nil || res.Head != heads[5]):
				t.Fatalf("intact: %+v", res)
			case tc.at != 0 && (res.Break == nil || res.Break.Seq != tc.at):
				t.Fatalf("result %+v, want a break at seq %d", res, tc.at)
			}
		})
	}
}
