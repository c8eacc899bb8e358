package engine_test

import (
	"testing"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/kaskade-bcm/kaskade/activation/engine"
	"github.com/kaskade-bcm/kaskade/activation/engine/enginetest"
)

// The record refuses deletes and purges, also in a data directory made
// before it did (Ensure updates the streams).
func TestTheRecordRefusesDeletesAndPurges(t *testing.T) {
	_, js := enginetest.JetStream(t)
	l := engine.Layout{}
	// As an older Kaskade created them: no denials, declare stream on the bare subject only.
	for _, sc := range []jetstream.StreamConfig{
		{Name: l.EventsStream(), Subjects: []string{l.EventsFilter()}},
		{Name: l.DeclareStream(), Subjects: []string{l.DeclareSubject()}, NoAck: true},
	} {
		if _, err := js.CreateStream(t.Context(), sc); err != nil {
			t.Fatal(err)
		}
	}
	if err := l.Ensure(t.Context(), js); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct{ stream, subject string }{
		{l.EventsStream(), l.EventSubject("K1", "declared")},
		{l.DeclareStream(), l.DeclarerSubject("siem")},
		{l.WarningsStream(), l.CAPSenderSubject("mowas")},
	} {
		t.Run(tc.stream, func(t *testing.T) {
			// A plain publish: the declare and warnings streams do not acknowledge.
			if err := js.Conn().Publish(tc.subject, []byte(`{}`)); err != nil {
				t.Fatal(err)
			}
			s, err := js.Stream(t.Context(), tc.stream)
			if err != nil {
				t.Fatal(err)
			}
			var seq uint64
			for seq == 0 {
				info, err := s.Info(t.Context())
				if err != nil {
					t.Fatal(err)
				}
				seq = info.State.LastSeq
			}
			if err := s.DeleteMsg(t.Context(), seq); err == nil {
				t.Error("deleted a message")
			}
			if err := s.Purge(t.Context()); err == nil {
				t.Error("purged")
			}
		})
	}
}

// The log's and the buckets' duplicate windows are the shortest allowed,
// also for streams an older Kaskade made with 2 minutes (a recovering
// server reads the window again); the inputs keep 2 minutes for their
// message ids.
func TestDuplicateWindows(t *testing.T) {
	_, js := enginetest.JetStream(t)
	ctx := t.Context()
	l := engine.Layout{}
	if _, err := js.CreateStream(ctx, jetstream.StreamConfig{Name: l.EventsStream(), Subjects: []string{l.EventsFilter()},
		Duplicates: 2 * time.Minute}); err != nil {
		t.Fatal(err)
	}
	if _, err := js.CreateStream(ctx, jetstream.StreamConfig{Name: "KV_" + l.KeysBucket(), Subjects: []string{"$KV." + l.KeysBucket() + ".>"},
		MaxMsgsPerSubject: 1}); err != nil {
		t.Fatal(err)
	}
	if _, err := js.CreateObjectStore(ctx, jetstream.ObjectStoreConfig{Bucket: l.SnapshotBucket()}); err != nil {
		t.Fatal(err)
	}
	if err := l.Ensure(ctx, js); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		stream string
		want   time.Duration
	}{
		{l.EventsStream(), 100 * time.Millisecond},
		{"KV_" + l.ClaimsBucket(), 100 * time.Millisecond},
		{"KV_" + l.InboundSeenBucket(), 100 * time.Millisecond},
		{"KV_" + l.KeysBucket(), 100 * time.Millisecond},
		{"OBJ_" + l.SnapshotBucket(), 100 * time.Millisecond},
		{l.InputStream(), 2 * time.Minute},
	} {
		s, err := js.Stream(ctx, tc.stream)
		if err != nil {
			t.Fatal(err)
		}
		if got := s.CachedInfo().Config.Duplicates; got != tc.want {
			t.Errorf("%s: duplicate window %v, want %v", tc.stream, got, tc.want)
		}
	}
	// A second start leaves them so (nats.go sets 2 minutes on every bucket update).
	if err := l.Ensure(ctx, js); err != nil {
		t.Fatal(err)
	}
	if s, err := js.Stream(ctx, "KV_"+l.ClaimsBucket()); err != nil || s.CachedInfo().Config.Duplicates != 100*time.Millisecond {
		t.Errorf("claims after a second Ensure: %v", err)
	}
}

// What other systems publish is kept as received, but bounded per sender:
// a declarer or intake identity flooding its subject (any size the server
// takes, 8 MiB embedded) filled the disk that the event log lives on. A
// message above the stream's size is not stored; beyond KeepPerSender a
// sender's oldest go, and no one else's.
func TestWhatOthersPublishIsBoundedPerSender(t *testing.T) {
	nc, js := enginetest.JetStream(t)
	l := engine.Layout{}
	if err := l.Ensure(t.Context(), js); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		stream, flooder, big, other string
		max                         int
	}{
		{l.DeclareStream(), l.DeclarerSubject("evil"), l.DeclarerSubject("big"), l.DeclarerSubject("siem"), engine.MaxDeclarationBytes},
		{l.WarningsStream(), l.CAPSenderSubject("evil"), l.CAPSenderSubject("big"), l.CAPSenderSubject("mowas"), engine.MaxWarningBytes},
	} {
		t.Run(tc.stream, func(t *testing.T) {
			s, err := js.Stream(t.Context(), tc.stream)
			if err != nil {
				t.Fatal(err)
			}
			if err := nc.Publish(tc.other, []byte("first")); err != nil {
				t.Fatal(err)
			}
			if err := nc.Publish(tc.big, make([]byte, tc.max+1)); err != nil {
				t.Fatal(err)
			}
			for n := 0; n < engine.KeepPerSender+10; n++ {
				if err := nc.Publish(tc.flooder, []byte("x")); err != nil {
					t.Fatal(err)
				}
			}
			if err := nc.Publish(tc.other, []byte("last")); err != nil {
				t.Fatal(err)
			}
			// One connection keeps its order: once "last" is in, so is the flood.
			for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(5 * time.Millisecond) {
				if m, err := s.GetLastMsgForSubject(t.Context(), tc.other); err == nil && string(m.Data) == "last" {
					break
				}
				if time.Now().After(deadline) {
					t.Fatal("the flood never arrived")
				}
			}
			info, err := s.Info(t.Context(), jetstream.WithSubjectFilter(">"))
			if err != nil {
				t.Fatal(err)
			}
			if got := info.State.Subjects[tc.flooder]; got != engine.KeepPerSender {
				t.Errorf("the flooder keeps %d messages, want %d", got, engine.KeepPerSender)
			}
			if got := info.State.Subjects[tc.other]; got != 2 {
				t.Errorf("the other sender keeps %d messages, want 2", got)
			}
			if got := info.State.Subjects[tc.big]; got != 0 {
				t.Errorf("a message above %d bytes was stored", tc.max)
			}
		})
	}
}
