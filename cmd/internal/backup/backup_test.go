package backup_test

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/kaskade-bcm/kaskade/activation"
	"github.com/kaskade-bcm/kaskade/activation/engine"
	"github.com/kaskade-bcm/kaskade/alerting"
	"github.com/kaskade-bcm/kaskade/cmd/internal/backup"
	"github.com/kaskade-bcm/kaskade/cmd/internal/natsd"
	"github.com/kaskade-bcm/kaskade/config"
	"github.com/kaskade-bcm/kaskade/notifiers"
)

// startNATS starts the embedded server on a data directory, as serve does
// (without a listener), and connects as Kaskade's own identity.
func startNATS(t *testing.T, dataDir string) jetstream.JetStream {
	t.Helper()
	e, err := natsd.Start(natsd.Options{DataDir: dataDir, Listen: "off"})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(e.Shutdown)
	nc, err := e.Connect()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(nc.Close)
	js, err := jetstream.New(nc)
	if err != nil {
		t.Fatal(err)
	}
	return js
}

// runEngine runs an engine (and, with dispatch, a dispatcher whose
// channel accepts everything) until the returned stop.
func runEngine(t *testing.T, ctx context.Context, js jetstream.JetStream, dispatch bool) (*engine.Engine, func()) {
	t.Helper()
	eng := engine.New(engine.Options{JS: js, SnapshotEvery: 5, SnapshotIdle: 1})
	ctx, cancel := context.WithCancel(ctx)
	done := make(chan struct{}, 2)
	n := 1
	go func() { _ = eng.Run(ctx); done <- struct{}{} }()
	if dispatch {
		n++
		go func() {
			_ = eng.Dispatch(ctx, engine.DispatchOptions{Composer: composer{}, Instance: "test",
				Notifiers: map[string]notifiers.Notifier{"sms": delivered, "email": delivered, "console": delivered}})
			done <- struct{}{}
		}()
	}
	stopped := false
	stop := func() {
		if !stopped {
			stopped = true
			cancel()
			for range n {
				<-done
			}
		}
	}
	t.Cleanup(stop)
	waitFor(t, ctx, eng.Leader)
	return eng, stop
}

// delivered is a channel that accepts everything.
var delivered = notifiers.NotifierFunc(func(_ context.Context, m notifiers.Message) (notifiers.Receipt, error) {
	return notifiers.Receipt{State: notifiers.StateDelivered, ProviderID: "fake-" + m.ID}, nil
})

type composer struct{}

func (composer) Compose(n activation.Notification, inc activation.Declared) (notifiers.Message, error) {
	// An address, or the dispatcher fails the step at once (no_address).
	return notifiers.Message{ID: n.ID, Incident: inc.ID, Person: n.Person, Channel: n.Channel, Purpose: n.Purpose, To: n.Person + "@example.de", Text: "Test"}, nil
}

func TestBackupOfARunningActivationRestoresTheSameViews(t *testing.T) {
	ctx, cancel := context.WithTimeout(t.Context(), 2*time.Minute)
	defer cancel()
	layout := engine.Layout{}
	srcData := t.TempDir()
	src := startNATS(t, srcData)
	if err := layout.Ensure(ctx, src); err != nil {
		t.Fatal(err)
	}
	if _, err := natsd.AddUser(srcData, "lagezentrum", "observer", filepath.Join(t.TempDir(), "lz.nk"), time.Now()); err != nil {
		t.Fatal(err)
	}
	eng, stop := runEngine(t, ctx, src, true)
	activate(t, ctx, src, layout, eng)
	// Running but settled: every requested message has its receipt, so the
	// views taken after the backup are the views of what it holds.
	waitFor(t, ctx, func() bool {
		for _, v := range eng.Incidents() {
			if c := v.Counts; c.Requested != c.Sent+c.Delivered+c.Failed+c.Unknown {
				return false
			}
		}
		return true
	})

	dir := filepath.Join(t.TempDir(), "backup")
	m, err := backup.Backup(ctx, backup.Options{JS: src, Layout: layout, Dir: dir, DataDir: srcData})
	if err != nil {
		t.Fatal(err)
	}
	want := views(t, eng)
	before, _ := eng.Incident("K1")
	wantDelivered := before.Counts.Delivered
	stop()
	for _, s := range m.Streams {
		t.Logf("%-28s %4d messages, seq %d..%d, %d keys, %d objects, %d consumers", s.Name, s.Messages, s.FirstSeq, s.LastSeq, s.Keys, s.Objects, len(s.Consumers))
	}
	events := find(t, m, layout.EventsStream())
	if events.Messages < 20 || len(events.Consumers) == 0 {
		t.Fatalf("events stream backed up with %d messages and %d consumers", events.Messages, len(events.Consumers))
	}
	for _, name := range []string{"KV_" + layout.ClaimsBucket(), "KV_" + layout.IntakeBucket(), "OBJ_" + layout.SnapshotBucket()} {
		if s := find(t, m, name); s.Keys+s.Objects == 0 {
			t.Errorf("%s backed up empty", name)
		}
	}
	if err := backup.VerifyFiles(dir, m); err != nil {
		t.Fatal(err)
	}

	// Restore into a fresh data directory and replay.
	dstData := t.TempDir()
	dst := startNATS(t, dstData)
	if _, err := backup.Restore(ctx, backup.Options{JS: dst, Layout: layout, Dir: dir, DataDir: dstData}); err != nil {
		t.Fatal(err)
	}
	// Every durable consumer is back where it had acknowledged (the intake's
	// would otherwise declare the published declaration again).
	floors := 0
	for _, s := range m.Streams {
		for _, c := range s.Consumers {
			cons, err := dst.Consumer(ctx, s.Name, c.Config.Durable)
			if err != nil {
				t.Fatal(err)
			}
			ci, err := cons.Info(ctx)
			if err != nil || ci.AckFloor.Stream != c.AckFloor && s.Config.Retention != jetstream.WorkQueuePolicy {
				t.Errorf("restored consumer %s of %s acknowledged up to %d (%v), backed up at %d", c.Config.Durable, s.Name, ci.AckFloor.Stream, err, c.AckFloor)
			}
			if c.AckFloor > 0 && s.Config.Retention != jetstream.WorkQueuePolicy {
				floors++
			}
		}
	}
	if floors < 2 {
		t.Errorf("only %d consumers with an ack floor backed up (dispatch and intake expected)", floors)
	}
	restored, _ := runEngine(t, ctx, dst, false)
	waitFor(t, ctx, restored.Ready)
	if got := views(t, restored); got != want {
		t.Errorf("restored views differ:\n got %s\nwant %s", got, want)
	}
	// The engine takes over the restored consumers: its dispatcher sends the
	// update's messages below.
	go func() {
		err := restored.Dispatch(ctx, engine.DispatchOptions{Composer: composer{}, Instance: "restored",
			Notifiers: map[string]notifiers.Notifier{"sms": delivered, "email": delivered, "console": delivered}})
		if err != nil && ctx.Err() == nil {
			t.Errorf("dispatch on the restored JetStream: %v", err)
		}
	}()
	info := streamInfo(t, ctx, dst, layout.EventsStream())
	if info.State.Msgs != events.Messages || info.State.LastSeq != events.LastSeq || !info.Config.DenyDelete {
		t.Errorf("restored events: %d messages up to %d (deny delete %v); backed up %d up to %d",
			info.State.Msgs, info.State.LastSeq, info.Config.DenyDelete, events.Messages, events.LastSeq)
	}
	if declare := streamInfo(t, ctx, dst, layout.DeclareStream()); !declare.Config.NoAck || !declare.Config.DenyPurge {
		t.Errorf("restored declare stream: no-ack %v, deny purge %v", declare.Config.NoAck, declare.Config.DenyPurge)
	}
	users, err := natsd.ListUsers(dstData)
	if err != nil || len(users) != 1 || users[0].Name != "lagezentrum" {
		t.Errorf("identities after restore: %v, %v", users, err)
	}
	// An engine that appends goes on at the sequence after the backup's.
	if _, err := restored.Submit(ctx, activation.Input{Incident: "K1", Update: &activation.SituationUpdate{Text: "nach der Wiederherstellung", By: "test"}}, ""); err != nil {
		t.Fatal(err)
	}
	waitFor(t, ctx, func() bool {
		v, ok := restored.Incident("K1")
		return ok && v.Counts.Delivered > wantDelivered
	})

	// A second restore into the same JetStream is refused.
	if _, err := backup.Restore(ctx, backup.Options{JS: dst, Layout: layout, Dir: dir}); err == nil {
		t.Error("restore into a JetStream that has the streams went through")
	}
}

func TestVerifyFindsDamage(t *testing.T) {
	ctx, cancel := context.WithTimeout(t.Context(), time.Minute)
	defer cancel()
	layout := engine.Layout{}
	js := startNATS(t, t.TempDir())
	if err := layout.Ensure(ctx, js); err != nil {
		t.Fatal(err)
	}
	eng, stop := runEngine(t, ctx, js, false)
	activate(t, ctx, js, layout, eng)
	stop()
	dir := filepath.Join(t.TempDir(), "backup")
	m, err := backup.Backup(ctx, backup.Options{JS: js, Layout: layout, Dir: dir})
	if err != nil {
		t.Fatal(err)
	}
	if err := backup.VerifyJetStream(ctx, backup.Options{JS: js, Layout: layout}, m); err != nil {
		t.Fatalf("the source itself differs: %v", err)
	}
	events := filepath.Join(dir, find(t, m, layout.EventsStream()).File)
	data, err := os.ReadFile(events)
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name   string
		damage func() error
	}{
		{"a flipped byte", func() error {
			d := append([]byte(nil), data...)
			d[len(d)/2] ^= 1
			return os.WriteFile(events, d, 0o600)
		}},
		{"a lost message", func() error {
			i := 0
			for i < len(data) && data[i] != '\n' {
				i++
			}
			return os.WriteFile(events, data[i+1:], 0o600)
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if err := tc.damage(); err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { _ = os.WriteFile(events, data, 0o600) })
			err := backup.VerifyFiles(dir, m)
			if !backup.IsMismatch(err) {
				t.Fatalf("verify: %v", err)
			}
			if _, err := backup.Restore(ctx, backup.Options{JS: startNATS(t, t.TempDir()), Layout: layout, Dir: dir}); err == nil {
				t.Fatal("a damaged backup was restored")
			}
		})
	}
	// The live check sees a JetStream that moved on.
	if _, err := js.Publish(ctx, layout.EventSubject("K1", "garbage"), []byte("{}")); err != nil {
		t.Fatal(err)
	}
	if err := backup.VerifyJetStream(ctx, backup.Options{JS: js, Layout: layout}, m); !backup.IsMismatch(err) {
		t.Fatalf("verify against a changed JetStream: %v", err)
	}
}

// activate declares a real incident and an exercise through the intake and
// answers for everyone alerted, so that the log, the inputs, the intake
// buckets, the claims and the snapshots all hold something.
func activate(t *testing.T, ctx context.Context, js jetstream.JetStream, l engine.Layout, eng *engine.Engine) {
	t.Helper()
	cfg, probs, err := config.LoadExample()
	if err != nil || probs.Err() != nil {
		t.Fatalf("example: %v %v", err, probs)
	}
	intake, err := alerting.New(ctx, alerting.Options{Config: cfg, JS: js, Layout: l})
	if err != nil {
		t.Fatal(err)
	}
	// A plain publish on the declare subject: the intake's consumer declares it.
	serveCtx, stopServing := context.WithCancel(ctx)
	served := make(chan struct{})
	go func() { _ = intake.ServeNATS(serveCtx); close(served) }()
	defer func() { stopServing(); <-served }()
	// The declare stream does not acknowledge (requests are answered by the intake).
	if err := js.Conn().Publish(l.DeclareSubject(), []byte(`{"scenario":"cyberangriff","organisations":["MW"],"exercise":true,"declared_by":"SIEM","reason":"Veröffentlicht"}`)); err != nil {
		t.Fatal(err)
	}
	waitFor(t, ctx, func() bool { return len(eng.Incidents()) == 1 })
	for _, d := range []alerting.Declaration{
		{ID: "backup-test-real", Scenario: "cyberangriff", Organisations: []string{"MI", "MF"}, DeclaredBy: "Lagedienst", Reason: "Test"},
		{Scenario: "cyberangriff", Organisations: []string{"MK"}, Exercise: true, DeclaredBy: "Lagedienst", Reason: "Übung"},
	} {
		res, err := intake.Declare(ctx, d, "cli", nil)
		if err != nil {
			t.Fatal(err)
		}
		if err := eng.WaitInput(ctx, res.InputSeq); err != nil {
			t.Fatal(err)
		}
	}
	var inputs []activation.Input
	for _, inc := range eng.Incidents() {
		evs, err := eng.Events(ctx, inc.ID)
		if err != nil {
			t.Fatal(err)
		}
		for _, ev := range evs {
			if ev.Tier != nil {
				inputs = append(inputs, activation.Input{Incident: inc.ID,
					Response: &activation.Response{Person: ev.Tier.Person, Kind: activation.Available, Source: activation.SourceSMS}})
			}
		}
	}
	for _, in := range inputs {
		seq, err := eng.Submit(ctx, in, "")
		if err != nil {
			t.Fatal(err)
		}
		if err := eng.WaitInput(ctx, seq); err != nil {
			t.Fatal(err)
		}
	}
}

func views(t *testing.T, eng *engine.Engine) string {
	t.Helper()
	data, err := json.Marshal(eng.Incidents())
	if err != nil {
		t.Fatal(err)
	}
	return string(data)
}

func find(t *testing.T, m backup.Manifest, name string) backup.Stream {
	t.Helper()
	for _, s := range m.Streams {
		if s.Name == name {
			return s
		}
	}
	t.Fatalf("%s not in the backup", name)
	return backup.Stream{}
}

func streamInfo(t *testing.T, ctx context.Context, js jetstream.JetStream, name string) *jetstream.StreamInfo {
	t.Helper()
	s, err := js.Stream(ctx, name)
	if err != nil {
		t.Fatal(err)
	}
	info, err := s.Info(ctx)
	if err != nil {
		t.Fatal(err)
	}
	return info
}

func waitFor(t *testing.T, ctx context.Context, cond func() bool) {
	t.Helper()
	for !cond() {
		select {
		case <-ctx.Done():
			t.Fatal("condition not reached")
		case <-time.After(5 * time.Millisecond):
		}
	}
}

// TestRestoreKeepsSequencesAcrossGaps backs up streams whose messages have
// gaps (deleted messages, overwritten keys, a deleted tail) and checks that
// the restore puts every message at its sequence.
func TestRestoreKeepsSequencesAcrossGaps(t *testing.T) {
	ctx, cancel := context.WithTimeout(t.Context(), time.Minute)
	defer cancel()
	layout := engine.Layout{}
	src := startNATS(t, t.TempDir())
	plain, err := src.CreateStream(ctx, jetstream.StreamConfig{Name: "KASKADE_GAPS", Subjects: []string{"kaskade.gaps"}})
	if err != nil {
		t.Fatal(err)
	}
	for i := range 6 {
		if _, err := src.Publish(ctx, "kaskade.gaps", []byte{byte('a' + i)}); err != nil {
			t.Fatal(err)
		}
	}
	for _, seq := range []uint64{2, 3, 6} { // a hole and the tail
		if err := plain.DeleteMsg(ctx, seq); err != nil {
			t.Fatal(err)
		}
	}
	kv, err := src.CreateKeyValue(ctx, jetstream.KeyValueConfig{Bucket: "KASKADE_KEYS"})
	if err != nil {
		t.Fatal(err)
	}
	for _, kvs := range [][2]string{{"a", "1"}, {"b", "1"}, {"a", "2"}, {"c", "1"}, {"a", "3"}} {
		if _, err := kv.PutString(ctx, kvs[0], kvs[1]); err != nil {
			t.Fatal(err)
		}
	}
	if err := kv.Delete(ctx, "c"); err != nil {
		t.Fatal(err)
	}
	dir := filepath.Join(t.TempDir(), "backup")
	m, err := backup.Backup(ctx, backup.Options{JS: src, Layout: layout, Dir: dir})
	if err != nil {
		t.Fatal(err)
	}
	if s := find(t, m, "KV_KASKADE_KEYS"); s.Keys != 2 {
		t.Errorf("live keys %d, want 2 (a, b)", s.Keys)
	}
	dst := startNATS(t, t.TempDir())
	if _, err := backup.Restore(ctx, backup.Options{JS: dst, Layout: layout, Dir: dir}); err != nil {
		t.Fatal(err)
	}
	for seq, want := range map[uint64]string{1: "a", 4: "d", 5: "e"} {
		s, err := dst.Stream(ctx, "KASKADE_GAPS")
		if err != nil {
			t.Fatal(err)
		}
		msg, err := s.GetMsg(ctx, seq)
		if err != nil || string(msg.Data) != want {
			t.Errorf("message %d: %v %v, want %s", seq, msg, err, want)
		}
	}
	if info := streamInfo(t, ctx, dst, "KASKADE_GAPS"); info.State.Msgs != 3 || info.State.LastSeq != 6 {
		t.Errorf("restored KASKADE_GAPS: %d messages up to %d, want 3 up to 6", info.State.Msgs, info.State.LastSeq)
	}
	restoredKV, err := dst.KeyValue(ctx, "KASKADE_KEYS")
	if err != nil {
		t.Fatal(err)
	}
	if e, err := restoredKV.Get(ctx, "a"); err != nil || string(e.Value()) != "3" || e.Revision() != 5 {
		t.Errorf("key a: %v %v, want 3 at revision 5", e, err)
	}
	if _, err := restoredKV.Get(ctx, "c"); err == nil {
		t.Error("deleted key c came back")
	}
	if _, err := restoredKV.Create(ctx, "a", []byte("x")); err == nil {
		t.Error("create-only put over an existing key went through")
	}
}

// TestWaitingInputsAreBackedUp covers a work queue with messages: inputs
// published while no engine runs are backed up and restored.
func TestWaitingInputsAreBackedUp(t *testing.T) {
	ctx, cancel := context.WithTimeout(t.Context(), time.Minute)
	defer cancel()
	layout := engine.Layout{}
	src := startNATS(t, t.TempDir())
	if err := layout.Ensure(ctx, src); err != nil {
		t.Fatal(err)
	}
	for _, p := range []string{"anna", "ben", "clara"} {
		in := activation.Input{Incident: "K1", Response: &activation.Response{Person: p, Kind: activation.Available, Source: activation.SourceSMS}}
		if _, err := engine.SubmitInput(ctx, src, layout, in, "in-"+p); err != nil {
			t.Fatal(err)
		}
	}
	dir := filepath.Join(t.TempDir(), "backup")
	m, err := backup.Backup(ctx, backup.Options{JS: src, Layout: layout, Dir: dir})
	if err != nil {
		t.Fatal(err)
	}
	if s := find(t, m, layout.InputStream()); s.Messages != 3 {
		t.Fatalf("inputs backed up: %d, want 3", s.Messages)
	}
	dst := startNATS(t, t.TempDir())
	if _, err := backup.Restore(ctx, backup.Options{JS: dst, Layout: layout, Dir: dir}); err != nil {
		t.Fatal(err)
	}
	if info := streamInfo(t, ctx, dst, layout.InputStream()); info.State.Msgs != 3 {
		t.Fatalf("inputs restored: %d, want 3", info.State.Msgs)
	}
}
