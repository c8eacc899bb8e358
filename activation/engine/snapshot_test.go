package engine

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/nats-io/nats-server/v2/server"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/kaskade-bcm/kaskade/activation"
	"github.com/kaskade-bcm/kaskade/activation/engine/enginetest"
)

// embeddedJS starts an in-process nats-server with JetStream on disk and
// ensures the layout.
func embeddedJS(t *testing.T) jetstream.JetStream {
	t.Helper()
	_, js := enginetest.JetStream(t)
	if err := (Layout{}).Ensure(context.Background(), js); err != nil {
		t.Fatal(err)
	}
	return js
}

// startEngine runs an engine until the returned stop is called; stop
// returns once Run has (a clean stop, with its final snapshot).
func startEngine(t *testing.T, js jetstream.JetStream, every int) (*Engine, func()) {
	t.Helper()
	return startEngineOpts(t, Options{JS: js, SnapshotEvery: every, SnapshotIdle: 1 << 30})
}

// startEngineOpts runs an engine with opts until the test ends.
func startEngineOpts(t *testing.T, opts Options) (*Engine, func()) {
	t.Helper()
	e := New(opts)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		_ = e.Run(ctx)
	}()
	stop := func() {
		cancel()
		<-done
	}
	t.Cleanup(stop)
	deadline := time.Now().Add(10 * time.Second)
	for !e.Leader() {
		if time.Now().After(deadline) {
			t.Fatal("engine did not start leading")
		}
		time.Sleep(5 * time.Millisecond)
	}
	return e, stop
}

// submit hands the engine an input and returns once its decision is in
// the log: WaitInput returns when the core has applied it, which may be
// before the append (a stop in between voids the decision, and the test's
// expectations with it).
func submit(t *testing.T, e *Engine, in activation.Input) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	seq, err := e.Submit(ctx, in, "")
	if err != nil {
		t.Fatal(err)
	}
	if err := e.WaitInput(ctx, seq); err != nil {
		t.Fatal(err)
	}
	// The input leaves the work queue once its decision is appended.
	input, err := e.opts.JS.Stream(ctx, e.opts.Layout.InputStream())
	if err != nil {
		t.Fatal(err)
	}
	for {
		_, err := input.GetMsg(ctx, seq)
		if errors.Is(err, jetstream.ErrMsgNotFound) {
			return
		}
		if err != nil {
			t.Fatal(err)
		}
		select {
		case <-ctx.Done():
			t.Fatalf("input %d still queued: %v", seq, ctx.Err())
		case <-time.After(5 * time.Millisecond):
		}
	}
}

func declareInput(id string, people int) activation.Input {
	p := activation.Plan{Org: "MI", Name: activation.Names{DE: "Innenministerium"}, Tree: "mi", Target: time.Hour,
		Required: map[string]int{"staff": people}}
	for i := range people {
		p.Nodes = append(p.Nodes, activation.PlanNode{Parent: -1, Function: "staff", People: []string{fmt.Sprintf("p%d", i)},
			Wait: 30 * time.Minute, Steps: []activation.Step{{Channel: "console"}}})
	}
	return activation.Input{Incident: id, Declare: &activation.Declared{ID: id, ReplyCode: id, Scenario: "s", Title: "Test",
		Severity: "major", DeclaredBy: "test"}, Plans: []activation.Plan{p}}
}

func respond(id, person string) activation.Input {
	return activation.Input{Incident: id, Response: &activation.Response{Person: person, Kind: activation.Available, Source: activation.SourceAPI}}
}

func view(t *testing.T, e *Engine, id string) activation.IncidentView {
	t.Helper()
	v, ok := e.Incident(id)
	if !ok {
		t.Fatalf("incident %s unknown", id)
	}
	return v
}

func TestRestartRestoresSnapshotAndReplaysTheTail(t *testing.T) {
	js := embeddedJS(t)
	// First engine: a snapshot after the declaration, one more on its clean stop.
	e1, stop1 := startEngine(t, js, 5)
	submit(t, e1, declareInput("K1", 20))
	submit(t, e1, respond("K1", "p0"))
	stop1()
	snapSeq := e1.lastSeq
	if stored := e1.snap.stored.Load(); stored != snapSeq {
		t.Fatalf("clean stop left the snapshot at %d, log at %d", stored, snapSeq)
	}
	// Second engine without snapshots decides more: the log runs ahead of the snapshot.
	e2, stop2 := startEngine(t, js, -1)
	if e2.snap.restored != 0 {
		t.Fatal("an engine with snapshots off restored one")
	}
	submit(t, e2, respond("K1", "p1"))
	submit(t, e2, declareInput("K2", 3))
	stop2()
	want := []activation.IncidentView{view(t, e2, "K1"), view(t, e2, "K2")}
	if e2.lastSeq <= snapSeq {
		t.Fatal("nothing was appended after the snapshot")
	}
	// Third engine: restores the snapshot and replays only the tail, to the same state.
	e3, _ := startEngine(t, js, 5)
	if e3.snap.restored != snapSeq {
		t.Fatalf("restored snapshot at %d, want %d", e3.snap.restored, snapSeq)
	}
	if e3.lastSeq != e2.lastSeq {
		t.Fatalf("log position %d after the restore and replay, want %d", e3.lastSeq, e2.lastSeq)
	}
	got := []activation.IncidentView{view(t, e3, "K1"), view(t, e3, "K2")}
	// Compared as the API shows them (the deciding engine's times carry monotonic readings).
	if wantJSON, gotJSON := mustJSON(t, want), mustJSON(t, got); wantJSON != gotJSON {
		t.Fatalf("state after snapshot + tail differs from the full replay:\nwant %+v\ngot  %+v", want, got)
	}
	// And it keeps deciding from there.
	submit(t, e3, respond("K1", "p2"))
	if v := view(t, e3, "K1"); v.Counts.Responses != 3 {
		t.Fatalf("responses %d after the restore, want 3", v.Counts.Responses)
	}
}

func mustJSON(t *testing.T, v any) string {
	t.Helper()
	data, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return string(data)
}

func TestUnfitSnapshotsAreIgnored(t *testing.T) {
	cases := map[string]func(t *testing.T, js jetstream.JetStream){
		"corrupt": func(t *testing.T, js jetstream.JetStream) {
			store, err := js.ObjectStore(context.Background(), Layout{}.SnapshotBucket())
			if err != nil {
				t.Fatal(err)
			}
			if _, err := store.PutBytes(context.Background(), snapshotObject, []byte("KENG1garbage")); err != nil {
				t.Fatal(err)
			}
		},
		"another stream": func(t *testing.T, js jetstream.JetStream) {
			// The events stream is recreated (restored from a backup, say): the
			// old snapshot must not be laid over it.
			if err := js.DeleteStream(context.Background(), Layout{}.EventsStream()); err != nil {
				t.Fatal(err)
			}
			if err := (Layout{}).Ensure(context.Background(), js); err != nil {
				t.Fatal(err)
			}
		},
	}
	for name, spoil := range cases {
		t.Run(name, func(t *testing.T) {
			js := embeddedJS(t)
			e1, stop1 := startEngine(t, js, 5)
			submit(t, e1, declareInput("K1", 10))
			stop1()
			if e1.snap.stored.Load() == 0 {
				t.Fatal("no snapshot was taken")
			}
			spoil(t, js)
			e2, _ := startEngine(t, js, 5)
			if e2.snap.restored != 0 {
				t.Fatalf("restored an unfit snapshot at %d", e2.snap.restored)
			}
			store, err := js.ObjectStore(context.Background(), Layout{}.SnapshotBucket())
			if err != nil {
				t.Fatal(err)
			}
			if _, err := store.GetInfo(context.Background(), snapshotObject); !errors.Is(err, jetstream.ErrObjectNotFound) {
				t.Fatalf("the unfit snapshot was kept (%v)", err)
			}
			_, known := e2.Incident("K1")
			if name == "corrupt" && !known {
				t.Fatal("the full replay after a corrupt snapshot lost K1")
			}
			if name == "another stream" && known {
				t.Fatal("K1 came back from a snapshot of a deleted stream")
			}
		})
	}
}

// natsOnDisk is an embedded server on a directory that outlives it, so a
// test can stop it, change its files and start it again.
type natsOnDisk struct {
	s  *server.Server
	nc *nats.Conn
}

func startNATSOn(t *testing.T, dir string) (*natsOnDisk, jetstream.JetStream) {
	t.Helper()
	s, err := server.NewServer(&server.Options{JetStream: true, StoreDir: dir, DontListen: true, NoSigs: true, NoLog: true})
	if err != nil {
		t.Fatal(err)
	}
	s.Start()
	if !s.ReadyForConnections(10 * time.Second) {
		t.Fatal("nats-server not ready")
	}
	nc, err := nats.Connect("", nats.InProcessServer(s))
	if err != nil {
		t.Fatal(err)
	}
	js, err := jetstream.New(nc)
	if err != nil {
		t.Fatal(err)
	}
	if err := (Layout{}).Ensure(context.Background(), js); err != nil {
		t.Fatal(err)
	}
	return &natsOnDisk{s, nc}, js
}

func (n *natsOnDisk) stop() {
	n.nc.Close()
	n.s.Shutdown()
	n.s.WaitForShutdown()
}

// TestSnapshotOfAnotherHistoryIsNeverRestored: the events stream is
// restored from an older backup (which keeps the stream's creation time)
// while the snapshot bucket keeps a snapshot of the newer history. The
// snapshot must not come back once the restored log has grown past it.
func TestSnapshotOfAnotherHistoryIsNeverRestored(t *testing.T) {
	dir, backup := t.TempDir(), filepath.Join(t.TempDir(), "events")
	streamDir := filepath.Join(dir, "jetstream", "$G", "streams", Layout{}.EventsStream())

	box, js := startNATSOn(t, dir)
	e1, stop1 := startEngine(t, js, -1)
	submit(t, e1, declareInput("K1", 3))
	stop1()
	box.stop()
	if err := os.CopyFS(backup, os.DirFS(streamDir)); err != nil { // the backup holds K1
		t.Fatal(err)
	}

	box, js = startNATSOn(t, dir)
	e2, stop2 := startEngine(t, js, 5)
	submit(t, e2, declareInput("K2", 3))
	stop2() // a final snapshot of K1 and K2
	box.stop()
	if e2.snap.stored.Load() == 0 {
		t.Fatal("no snapshot was stored")
	}

	// The events stream is restored from the backup; the snapshot bucket is kept.
	if err := os.RemoveAll(streamDir); err != nil {
		t.Fatal(err)
	}
	if err := os.CopyFS(streamDir, os.DirFS(backup)); err != nil {
		t.Fatal(err)
	}
	box, js = startNATSOn(t, dir)
	e3, stop3 := startEngine(t, js, 0)
	if e3.snap.restored != 0 {
		t.Fatal("restored a snapshot that is ahead of the log")
	}
	submit(t, e3, declareInput("K3", 20)) // the log grows past the old snapshot's position
	box.stop()                            // NATS first: no final snapshot either
	stop3()

	box, js = startNATSOn(t, dir)
	defer box.stop()
	e4, _ := startEngine(t, js, 0)
	_, hasK2 := e4.Incident("K2")
	_, hasK3 := e4.Incident("K3")
	if hasK2 || !hasK3 {
		t.Fatalf("state is not the log's (snapshot restored at %d): K2, never in this log, present=%v; K3 present=%v",
			e4.snap.restored, hasK2, hasK3)
	}
}
