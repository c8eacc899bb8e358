package engine

import (
	"bytes"
	"context"
	"io/fs"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/kaskade-bcm/kaskade/activation"
	"github.com/kaskade-bcm/kaskade/activation/audit"
	"github.com/kaskade-bcm/kaskade/activation/engine/enginetest"
)

// plainJS starts a nats-server without a store cipher, so that a byte
// search of its directory finds whatever is stored in clear.
func plainJS(t *testing.T) (jetstream.JetStream, string) {
	t.Helper()
	dir := t.TempDir()
	_, js := enginetest.JetStreamIn(t, dir)
	if err := (Layout{}).Ensure(context.Background(), js); err != nil {
		t.Fatal(err)
	}
	return js, dir
}

// filesHolding lists the files under dir that contain secret.
func filesHolding(t *testing.T, dir, secret string) []string {
	t.Helper()
	var out []string
	err := filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			if os.IsNotExist(err) {
				return nil // removed while walking (a purge)
			}
			return err
		}
		if d.IsDir() {
			return nil
		}
		data, err := os.ReadFile(path)
		if os.IsNotExist(err) {
			return nil
		}
		if err != nil {
			return err
		}
		if bytes.Contains(data, []byte(secret)) {
			out = append(out, path)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// fakeClock is an injected clock.
type fakeClock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *fakeClock) Add(d time.Duration) {
	c.mu.Lock()
	c.now = c.now.Add(d)
	c.mu.Unlock()
}

func runSealed(t *testing.T, opts Options) *Engine {
	t.Helper()
	e := New(opts)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		_ = e.Run(ctx)
	}()
	t.Cleanup(func() { cancel(); <-done })
	waitLeading(t, e)
	return e
}

func waitLeading(t *testing.T, e *Engine) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !e.Leader() || !e.Ready() {
		if time.Now().After(deadline) {
			t.Fatal("engine did not start leading")
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// eventually polls cond (a purge removes files in the background).
func eventuallyFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatal(what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func erasureIncident(id string) activation.Input {
	in := declareInput(id, 0)
	in.Plans[0].Required = map[string]int{"staff": 2}
	for _, p := range []string{"mi-uwe-boehm", "mi-eva-kranz"} {
		in.Plans[0].Nodes = append(in.Plans[0].Nodes, activation.PlanNode{Parent: -1, Function: "staff", People: []string{p},
			Wait: 30 * time.Minute, Steps: []activation.Step{{Channel: "console"}}})
	}
	return in
}

// TestErasureLeavesNoPlaintextOfThePersonInTheStore: after an erasure,
// neither the person's id nor their reply text is in any file of the
// store (log, snapshots, keys, inputs), the chain still verifies, the
// erasure is recorded without the person, and the views still render
// with the person as "gelöscht" and the counts unchanged.
func TestErasureLeavesNoPlaintextOfThePersonInTheStore(t *testing.T) {
	js, dir := plainJS(t)
	e := runSealed(t, Options{JS: js, Seal: true, SnapshotEvery: 3, SnapshotIdle: 1 << 30})
	submit(t, e, erasureIncident("K1"))
	for _, p := range []string{"mi-uwe-boehm", "mi-eva-kranz"} {
		r := respond("K1", p)
		r.Response.Remark = "Antwort von " + p
		submit(t, e, r)
	}
	eventuallyFor(t, "no snapshot was stored", func() bool { return e.snap.stored.Load() > 0 })
	if len(filesHolding(t, dir, "mi-uwe-boehm")) == 0 {
		t.Fatal("the person is nowhere in the store before the erasure: the search cannot fail")
	}
	before := view(t, e, "K1")

	ref, err := e.ErasePerson(context.Background(), "mi-uwe-boehm", "admin", "Antrag 17/2026")
	if err != nil || ref == "" {
		t.Fatalf("erase: ref %q, err %v", ref, err)
	}
	waitLeading(t, e)
	eventuallyFor(t, "no snapshot after the erasure", func() bool { return e.snap.stored.Load() > 0 })
	for _, secret := range []string{"mi-uwe-boehm", "Antwort von mi-uwe-boehm"} {
		eventuallyFor(t, "plaintext left in the store", func() bool {
			files := filesHolding(t, dir, secret)
			if len(files) > 0 {
				t.Logf("%q still in %v", secret, files)
			}
			return len(files) == 0
		})
	}
	if bytes.Contains(rawLog(t, js), []byte("mi-eva-kranz")) {
		t.Fatal("another person is in the log in clear")
	}
	after := view(t, e, "K1")
	if after.Counts != before.Counts || after.Organisations[0].Available != 2 {
		t.Fatalf("figures changed: before %+v after %+v", before.Counts, after.Counts)
	}
	var erased, kept bool
	e.View(func(c *activation.Core) {
		d, _ := c.Detail("K1", "MI", nil)
		for _, n := range d.Nodes {
			for _, p := range n.Tiers {
				erased = erased || (IsErased(p.Person) && p.Remark == ErasedText)
				kept = kept || p.Person == "mi-eva-kranz" && p.Remark == "Antwort von mi-eva-kranz"
			}
		}
	})
	if !erased || !kept {
		t.Fatalf("views: erased person shown %v, other person kept %v", erased, kept)
	}
	res, err := audit.VerifyStream(context.Background(), js, Layout{}.EventsStream(), audit.Checkpoint{})
	if err != nil || res.Break != nil {
		t.Fatalf("chain after the erasure: %v %v", err, res.Break)
	}
	evs := openLog(t, e)
	last := evs[len(evs)-1]
	if last.Kind != activation.KindPersonErased || last.Erased.Ref != "" || last.Erased.By != "admin" || last.Erased.Person != "" {
		t.Fatalf("erasure record %+v", last.Erased)
	}
	// The engine keeps deciding; new answers of others are sealed as before.
	submit(t, e, declareInput("K2", 2))
}

// TestRetentionRemovesPersonalDataAfterItsTime: with an injected clock,
// an exercise's people and texts are removed its retention period after
// the stand-down (not before), a real incident's are kept longer, and the
// figures survive.
func TestRetentionRemovesPersonalDataAfterItsTime(t *testing.T) {
	js, dir := plainJS(t)
	clock := &fakeClock{now: time.Date(2026, 12, 1, 9, 0, 0, 0, time.UTC)}
	e := runSealed(t, Options{JS: js, Seal: true, Now: clock.Now, SnapshotEvery: -1,
		Retention: Retention{Real: 365 * 24 * time.Hour, Exercise: 30 * 24 * time.Hour, Unattached: 7 * 24 * time.Hour, Every: time.Minute}})
	exercise, real := erasureIncident("U1"), erasureIncident("R1")
	exercise.Declare.Exercise = true
	for _, in := range []activation.Input{exercise, real} {
		submit(t, e, in)
		r := respond(in.Incident, "mi-uwe-boehm")
		r.Response.Remark = "Antwort in " + in.Incident
		submit(t, e, r)
		submit(t, e, activation.Input{Incident: in.Incident, StandDown: &activation.StandDown{By: "Lagedienst", Reason: "Ende " + in.Incident}})
	}
	submit(t, e, activation.Input{Incident: "_", Inbound: &activation.Inbound{Channel: "sms", From: "+49151*****777",
		Len: 5, Hash: "sha256:unknown-sender-hash", Outcome: "unknown_sender"}})
	counts := view(t, e, "U1").Counts

	for _, tc := range []struct {
		after                   time.Duration
		exercise, real, unknown bool // still readable
	}{
		{after: 6 * 24 * time.Hour, exercise: true, real: true, unknown: true},
		{after: 2 * 24 * time.Hour, exercise: true, real: true, unknown: false},
		{after: 30 * 24 * time.Hour, exercise: false, real: true, unknown: false},
		{after: 330 * 24 * time.Hour, exercise: false, real: false, unknown: false},
	} {
		clock.Add(tc.after)
		waitRetained(t, e, clock.Now())
		for _, c := range []struct {
			secret string
			want   bool
		}{{"Antwort in U1", tc.exercise}, {"Antwort in R1", tc.real}, {"sha256:unknown-sender-hash", tc.unknown}} {
			readable := false
			for _, ev := range openLog(t, e) {
				readable = readable || (ev.Response != nil && ev.Response.Remark == c.secret) || (ev.Inbound != nil && ev.Inbound.Hash == c.secret)
			}
			if readable != c.want {
				t.Errorf("+%v: %q readable %v, want %v", tc.after, c.secret, readable, c.want)
			}
		}
	}
	if got := view(t, e, "U1").Counts; got != counts {
		t.Fatalf("figures of the exercise changed: %+v, was %+v", got, counts)
	}
	if v := view(t, e, "U1"); v.StoodDownBy != ErasedText || v.Organisations[0].Available != 1 {
		t.Fatalf("retained exercise shows %q, %d available", v.StoodDownBy, v.Organisations[0].Available)
	}
	// The person stays configured: their key (and id) stays in the keys
	// bucket; the log's fields of the retained incidents no longer open.
	eventuallyFor(t, "plaintext left in the store", func() bool {
		files := filesHolding(t, dir, "Antwort in")
		if len(files) > 0 {
			t.Log(files)
		}
		return len(files) == 0
	})
}

// waitRetained waits until the leader found nothing left to retain at
// now (after shredding it rebuilds and looks again).
func waitRetained(t *testing.T, e *Engine, now time.Time) {
	t.Helper()
	eventuallyFor(t, "retention did not run", func() bool {
		return e.retainedUpTo.Load() >= now.UnixNano() && e.Leader() && e.Ready()
	})
}
