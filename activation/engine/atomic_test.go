package engine

import (
	"context"
	"encoding/json"
	"errors"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/nats-io/nats.go/jetstream"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/kaskade-bcm/kaskade/activation"
)

// runEngine starts an engine configured by setup (before Run, so the
// engine goroutine sees it without a race) and stops it when t ends.
func runEngine(t *testing.T, js jetstream.JetStream, el Elector, setup func(e *Engine)) *Engine {
	t.Helper()
	e := New(Options{JS: js, Elector: el, SnapshotEvery: -1, Metrics: NewMetrics(prometheus.NewRegistry())})
	if setup != nil {
		setup(e)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		_ = e.Run(ctx)
	}()
	t.Cleanup(func() {
		cancel()
		<-done
	})
	return e
}

// eventually polls cond until it holds or the deadline passes.
func eventually(t *testing.T, within time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(within)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("not within %v: %s", within, what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func leading(e *Engine) func() bool { return func() bool { return e.Ready() && e.Leader() } }

// logEvent is one message of the events stream.
type logEvent struct {
	seq uint64
	ev  activation.Event
	ok  bool // decodable
}

func readLog(t *testing.T, js jetstream.JetStream) []logEvent {
	t.Helper()
	ctx := context.Background()
	stream, err := js.Stream(ctx, Layout{}.EventsStream())
	if err != nil {
		t.Fatal(err)
	}
	info, err := stream.Info(ctx)
	if err != nil {
		t.Fatal(err)
	}
	var out []logEvent
	for seq := info.State.FirstSeq; seq <= info.State.LastSeq && info.State.Msgs > 0; seq++ {
		m, err := stream.GetMsg(ctx, seq)
		if errors.Is(err, jetstream.ErrMsgNotFound) {
			continue
		}
		if err != nil {
			t.Fatal(err)
		}
		le := logEvent{seq: seq}
		le.ok = json.Unmarshal(m.Data, &le.ev) == nil
		out = append(out, le)
	}
	return out
}

// checkDecisions asserts that every decision in the log is contiguous from
// the sequence it names, and returns the batches that are complete and
// those voided by a batch_aborted marker.
func checkDecisions(t *testing.T, log []logEvent) (complete, aborted map[uint64]bool) {
	t.Helper()
	complete, aborted = map[uint64]bool{}, map[uint64]bool{}
	for i, le := range log {
		if !le.ok || le.ev.Batch == 0 {
			if le.ok && le.ev.Kind == activation.KindBatchAborted {
				aborted[le.ev.Aborted] = true
			}
			continue
		}
		// The events of decision B follow each other from sequence B: nothing foreign in between.
		first := le.seq
		for j := i - 1; j >= 0 && log[j].ok && log[j].ev.Batch == le.ev.Batch; j-- {
			first = log[j].seq
		}
		if first != le.ev.Batch {
			t.Fatalf("event %d of decision %d is not contiguous with it (its run starts at %d)", le.seq, le.ev.Batch, first)
		}
		if le.ev.Done {
			complete[le.ev.Batch] = true
		}
	}
	return complete, aborted
}

// replayed returns an engine that has only replayed the log (it neither
// leads nor follows, so it competes with no engine of the test).
func replayed(t *testing.T, js jetstream.JetStream) *Engine {
	t.Helper()
	e := New(Options{JS: js})
	if err := e.catchUp(context.Background()); err != nil {
		t.Fatal(err)
	}
	return e
}

// foreignAppend writes into the log as another writer would.
func foreignAppend(t *testing.T, js jetstream.JetStream) {
	data := `{"v":1,"incident":"K9","kind":"situation_update","at":"2026-01-01T00:00:00Z","update":{"by":"x","text":"y"}}`
	if _, err := js.Publish(context.Background(), Layout{}.EventSubject("K9", activation.KindUpdate), []byte(data)); err != nil {
		t.Error(err)
	}
}

// declareAndWait submits a declaration and waits for its answer as the HTTP API does.
func declareAndWait(t *testing.T, e *Engine, in activation.Input) (uint64, error) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	seq, err := e.Submit(ctx, in, "")
	if err != nil {
		t.Fatal(err)
	}
	return seq, e.WaitInput(ctx, seq)
}

// checkOutcome: the log holds each decision whole or voided, and the
// caller heard success only if the decision of its input is in the log.
func checkOutcome(t *testing.T, js jetstream.JetStream, inputSeq uint64, answer error, wantPartial bool) {
	t.Helper()
	log := readLog(t, js)
	complete, aborted := checkDecisions(t, log)
	decided, partial := false, false
	for _, le := range log {
		if le.ok && le.ev.Input == inputSeq && le.ev.Kind == activation.KindDeclared {
			switch {
			case complete[le.ev.Batch]:
				if decided {
					t.Fatal("the declaration was decided twice")
				}
				decided = true
			case aborted[le.ev.Batch]:
				partial = true
			default:
				t.Fatalf("decision %d is incomplete and not voided", le.ev.Batch)
			}
		}
	}
	if answer == nil && !decided {
		t.Fatal("the caller got success, the log holds no complete decision of its input")
	}
	if partial != wantPartial {
		t.Fatalf("voided prefix of the decision in the log: %v, want %v", partial, wantPartial)
	}
	// A replay applies the decision once, or not at all.
	v, ok := replayed(t, js).Incident("K1")
	if ok != decided {
		t.Fatalf("replay knows K1: %v, log decided it: %v", ok, decided)
	}
	if ok && v.Counts.Requested != 5 {
		t.Fatalf("replayed K1 requested %d notifications, want 5", v.Counts.Requested)
	}
}

func TestForeignAppendNeverInterleavesWithADecision(t *testing.T) {
	for _, tc := range []struct {
		name        string
		batchMax    int
		wantPartial bool // a multi-batch decision may leave a voided prefix
		hook        func(h *persistHooks, fire func())
	}{
		{name: "inside one atomic batch", hook: func(h *persistHooks, fire func()) { h.inBatch = func(int) { fire() } }},
		{name: "between the batches of a decision", batchMax: 2, wantPartial: true,
			hook: func(h *persistHooks, fire func()) { h.afterBatch = fire }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			js := embeddedJS(t)
			var once sync.Once
			e := runEngine(t, js, nil, func(e *Engine) {
				e.batchMax = tc.batchMax
				tc.hook(&e.hooks, func() { once.Do(func() { foreignAppend(t, js) }) })
			})
			eventually(t, 10*time.Second, "engine leads", leading(e))
			seq, answer := declareAndWait(t, e, declareInput("K1", 5))
			checkOutcome(t, js, seq, answer, tc.wantPartial)
		})
	}
}

// electorFunc adapts a function to Elector.
type electorFunc func(ctx context.Context) (context.Context, error)

func (f electorFunc) Lead(ctx context.Context) (context.Context, error) { return f(ctx) }

// TestStaleLeaderCannotAppendAfterTakeOver: engine A is deposed in the
// middle of a decision without noticing (a pause, a partition); B takes
// over and leads. A's remaining appends must not land.
func TestStaleLeaderCannotAppendAfterTakeOver(t *testing.T) {
	js := embeddedJS(t)
	grantB := make(chan struct{})
	var leads atomic.Int32
	stale := electorFunc(func(ctx context.Context) (context.Context, error) {
		if leads.Add(1) == 1 {
			return ctx, nil // never learns it lost the lease
		}
		<-ctx.Done() // after the fence it stays a follower
		return nil, ctx.Err()
	})
	successor := electorFunc(func(ctx context.Context) (context.Context, error) {
		select {
		case <-grantB:
			return ctx, nil
		case <-ctx.Done():
			return nil, ctx.Err()
		}
	})
	b := runEngine(t, js, successor, nil)
	var once sync.Once
	a := runEngine(t, js, stale, func(a *Engine) {
		a.batchMax = 2
		a.hooks.afterBatch = func() {
			once.Do(func() {
				close(grantB)
				// B catches up, voids A's open decision and leads; then A goes on.
				deadline := time.Now().Add(10 * time.Second)
				for !b.Leader() && time.Now().Before(deadline) {
					time.Sleep(5 * time.Millisecond)
				}
			})
		}
	})
	eventually(t, 10*time.Second, "A leads", leading(a))
	seq, answer := declareAndWait(t, a, declareInput("K1", 5))
	if !b.Leader() {
		t.Fatal("B did not take over")
	}
	if a.Leader() {
		t.Fatal("the deposed engine still leads after its append was fenced")
	}
	checkOutcome(t, js, seq, answer, true)
}

// TestAnInputIsAnsweredOnlyOnceItsDecisionIsInTheLog: while the append is
// held up, the core has decided but a waiting caller hears nothing.
func TestAnInputIsAnsweredOnlyOnceItsDecisionIsInTheLog(t *testing.T) {
	js := embeddedJS(t)
	inBatch, release := make(chan struct{}), make(chan struct{})
	var once sync.Once
	e := runEngine(t, js, nil, func(e *Engine) {
		e.hooks.inBatch = func(int) {
			once.Do(func() {
				close(inBatch)
				<-release
			})
		}
	})
	var released sync.Once
	unblock := func() { released.Do(func() { close(release) }) }
	t.Cleanup(unblock) // before the engine stops, should the test fail early
	eventually(t, 10*time.Second, "engine leads", leading(e))
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	seq, err := e.Submit(ctx, declareInput("K1", 5), "")
	if err != nil {
		t.Fatal(err)
	}
	<-inBatch
	e.View(func(c *activation.Core) {
		if !c.InputApplied(seq) {
			t.Error("the core has not decided the input yet")
		}
	})
	early, cancelEarly := context.WithTimeout(ctx, 50*time.Millisecond)
	defer cancelEarly()
	if err := e.WaitInput(early, seq); err == nil {
		t.Fatal("WaitInput answered while the decision was not in the log")
	}
	unblock()
	if err := e.WaitInput(ctx, seq); err != nil {
		t.Fatal(err)
	}
}

func quarantined(e *Engine, stream string) float64 {
	return testutil.ToFloat64(e.opts.Metrics.quarantined.WithLabelValues(stream))
}

func TestPoisonIsQuarantined(t *testing.T) {
	garbage := []byte("\x00not json at all")
	l := Layout{}
	for _, tc := range []struct {
		name    string
		stream  string
		subject string
		data    []byte
		before  bool // in the log before the engine starts
	}{
		{name: "garbage event while leading", stream: QuarantineEvents, subject: l.EventSubject("K2", "x"), data: garbage},
		{name: "garbage event at start", stream: QuarantineEvents, subject: l.EventSubject("K2", "x"), data: garbage, before: true},
		{name: "event of unknown kind", stream: QuarantineEvents, subject: l.EventSubject("K1", "mystery"),
			data: []byte(`{"v":1,"incident":"K1","kind":"mystery","batch":1}`)},
		{name: "known kind without its payload", stream: QuarantineEvents, subject: l.EventSubject("K1", activation.KindResponse),
			data: []byte(`{"v":1,"incident":"K1","kind":"response"}`)},
		{name: "garbage input", stream: QuarantineInput, subject: l.InputSubject("K1", "response"), data: garbage},
	} {
		t.Run(tc.name, func(t *testing.T) {
			js := embeddedJS(t)
			poison := func() {
				if _, err := js.Publish(context.Background(), tc.subject, tc.data); err != nil {
					t.Fatal(err)
				}
			}
			if tc.before {
				// A log that put the engine into a restart loop before.
				e0, stop := startEngine(t, js, -1)
				submit(t, e0, declareInput("K1", 5))
				stop()
				poison()
			}
			e := runEngine(t, js, nil, nil)
			eventually(t, 10*time.Second, "engine leads", leading(e))
			if !tc.before {
				submit(t, e, declareInput("K1", 5))
				poison()
			}
			// It keeps serving: an answer after the poison is decided and seen.
			submit(t, e, respond("K1", "p0"))
			eventually(t, 10*time.Second, "ready again", leading(e))
			if got := quarantined(e, tc.stream); got != 1 {
				t.Fatalf("quarantined on %s: %v, want 1", tc.stream, got)
			}
			if v := view(t, e, "K1"); v.Counts.Responses != 1 {
				t.Fatalf("responses %d after the poison, want 1", v.Counts.Responses)
			}
			// A replay goes past it.
			if v := view(t, replayed(t, js), "K1"); v.Counts.Responses != 1 {
				t.Fatalf("replayed responses %d, want 1", v.Counts.Responses)
			}
		})
	}
}

// TestFollowerQuarantinesPoison: a follower skips a garbage event and
// keeps applying the leader's decisions after it.
func TestFollowerQuarantinesPoison(t *testing.T) {
	js := embeddedJS(t)
	never := electorFunc(func(ctx context.Context) (context.Context, error) {
		<-ctx.Done()
		return nil, ctx.Err()
	})
	follower := runEngine(t, js, never, nil)
	eventually(t, 10*time.Second, "follower ready", follower.Ready)
	leader := runEngine(t, js, nil, nil)
	eventually(t, 10*time.Second, "leader leads", leading(leader))
	submit(t, leader, declareInput("K1", 5))
	if _, err := js.Publish(context.Background(), Layout{}.EventSubject("K2", "x"), []byte("\x00garbage")); err != nil {
		t.Fatal(err)
	}
	submit(t, leader, respond("K1", "p0")) // fenced once by the garbage, then decided
	eventually(t, 10*time.Second, "the follower applies the answer after the garbage", func() bool {
		v, ok := follower.Incident("K1")
		return ok && v.Counts.Responses == 1
	})
	if !follower.Ready() || follower.restarts.Load() != 0 {
		t.Fatalf("follower ready %v, restarts %d", follower.Ready(), follower.restarts.Load())
	}
	if got := quarantined(follower, QuarantineEvents); got != 1 {
		t.Fatalf("follower quarantined %v, want 1", got)
	}
}
