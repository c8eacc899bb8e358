package engine

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/kaskade-bcm/kaskade/activation"
	"github.com/kaskade-bcm/kaskade/activation/audit"
	"github.com/kaskade-bcm/kaskade/notifiers"
)

// ErrFenced means another writer appended to the event log: this engine's
// state is stale and it must rebuild before deciding anything again.
var ErrFenced = errors.New("engine: event log moved under us (another engine is writing)")

// ErrUnavailable wraps failures to reach NATS; HTTP callers answer 503 so
// that senders (Twilio, browsers) retry instead of losing the input.
// It is notifiers.ErrUnavailable, so channel webhooks recognise it.
var ErrUnavailable = notifiers.ErrUnavailable

// Options configure an Engine.
type Options struct {
	Layout    Layout
	JS        jetstream.JetStream
	Logger    *slog.Logger
	Now       func() time.Time
	Directory activation.Directory
	Metrics   *Metrics
	// Elector decides whether this instance may write; nil means always
	// (a single instance on embedded NATS).
	Elector Elector
	// InputBatch bounds how many inputs are decided per log append (default 512).
	InputBatch int
	// SnapshotEvery is how many appended events make the leader take a
	// snapshot of the core (default 50,000; negative: never, and none is
	// restored). SnapshotIdle is how many suffice when it is idle (default 10,000).
	SnapshotEvery int
	SnapshotIdle  int
	// SnapshotBytes of appended events make the leader take a snapshot
	// before SnapshotEvery events (default 32 MiB): a fan-out's packs are
	// few events but many bytes to replay.
	SnapshotBytes int
	// Seal stores personal fields of events encrypted with per-person and
	// per-incident keys (seal.go), so that erasure and retention can shred
	// them. Sealed events are opened on read whether or not it is set.
	Seal bool
	// Retention removes personal data after its time (retention.go; needs Seal).
	Retention Retention
	// People lists the configured person ids: with Seal the leader creates
	// their keys ahead of their first alert (prepkeys.go).
	People func() []string
}

// Elector grants leadership: Lead blocks until this instance leads, and
// returns a context that ends when leadership is lost.
type Elector interface {
	Lead(ctx context.Context) (context.Context, error)
}

// Engine owns the core: it replays the log, decides as the single writer and
// serves consistent reads of the projection.
type Engine struct {
	opts Options
	log  *slog.Logger

	mu      sync.RWMutex
	core    *activation.Core
	lastSeq uint64 // last event stream sequence applied
	// keysFrom is the events stream's last sequence before the keys were
	// read: a shredding event after it may have shredded keys they hold.
	keysFrom uint64
	chain    audit.Chain // the writer's head of the log's hash chain (chain.go)
	// progress is closed and replaced whenever inputs were applied.
	progress chan struct{}

	asm    assembler // releases only complete decisions from the log
	hub    hub
	viewMu sync.Mutex
	views  map[string]*viewThrottle // incident → when its view was last published
	ready  atomic.Bool
	leader atomic.Bool
	// settled: ready and the sealing keys read (see Settled).
	settled atomic.Bool
	// restarts counts rebuilds after fencing or errors (for tests and metrics).
	restarts atomic.Int64
	snap     snapshotter
	// running is Run's context: when it has ended the process is stopping
	// (not merely this instance's leadership).
	running context.Context
	// unpersisted is set while the core holds decided events that are not
	// yet in the log (engine goroutine only): no snapshot then.
	unpersisted bool
	// deciding holds the inputs the core has decided whose events are not
	// yet in the log (under mu): no caller hears of them before.
	deciding map[uint64]struct{}
	// batchMax overrides atomicBatchMax and packMax packMaxEvents (tests;
	// 1 stores every event alone); hooks act mid-decision (tests).
	batchMax, packMax int
	hooks             persistHooks
	quar              quarantine
	keys              *keyring // keys of sealed fields (keys.go)
	// retainedAt is when the retention last looked (engine goroutine);
	// retainedUpTo the clock time up to which nothing is left to retain.
	retainedAt   time.Time
	retainedUpTo atomic.Int64
	// prepWanted asks for missing person keys; prepQueue holds the people
	// still without one (engine goroutine), prepLeft their count.
	prepWanted atomic.Bool
	prepQueue  []string
	prepLeft   atomic.Int64
}

// New returns an engine; call Run to start it.
func New(opts Options) *Engine {
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.InputBatch <= 0 {
		opts.InputBatch = 512
	}
	if opts.SnapshotEvery == 0 {
		// Encoding is cheap (docs/BENCHMARKS.md, Restart), so a snapshot every
		// 50,000 events bounds a crash restart's replay at little cost.
		opts.SnapshotEvery = 50_000
	}
	if opts.SnapshotIdle <= 0 {
		opts.SnapshotIdle = 10_000
	}
	if opts.SnapshotBytes <= 0 {
		opts.SnapshotBytes = 32 << 20
	}
	e := &Engine{opts: opts, log: opts.Logger, core: activation.NewCore(), progress: make(chan struct{}),
		keys: newKeyring(opts.Layout, opts.JS)}
	e.prepWanted.Store(true)
	e.prepLeft.Store(-1)
	return e
}

// Ready reports whether the log has been replayed and reads are current.
func (e *Engine) Ready() bool { return e.ready.Load() }

// Settled reports whether the start's reading is done: the log replayed
// and the sealing keys read. A start with no events after its snapshot is
// Ready before its keys are read (they are read meanwhile, and leading
// waits for them).
func (e *Engine) Settled() bool { return e.settled.Load() }

// Leader reports whether this instance currently decides.
func (e *Engine) Leader() bool { return e.leader.Load() }

// Run replays the log, then follows or leads until ctx ends. After fencing
// or a broken connection it rebuilds from the log.
func (e *Engine) Run(ctx context.Context) error {
	e.running = ctx
	for {
		err := e.runOnce(ctx)
		// The core may hold a decision the log refused: no reads from it until rebuilt.
		e.ready.Store(false)
		e.settled.Store(false)
		e.leader.Store(false)
		if ctx.Err() != nil {
			return nil
		}
		if errors.Is(err, errRebuild) {
			e.log.Info("rebuilding the projection: personal data was shredded")
			continue
		}
		e.restarts.Add(1)
		e.log.Error("engine restarting from the event log", "err", err)
		select {
		case <-ctx.Done():
			return nil
		case <-time.After(250 * time.Millisecond):
		}
	}
}

func (e *Engine) runOnce(ctx context.Context) error {
	// Until the log is replayed again, the state is not current: webhooks
	// and the API answer 503 instead of acting on an empty projection.
	e.ready.Store(false)
	e.mu.Lock()
	e.core, e.lastSeq, e.deciding = activation.NewCore(), 0, nil
	e.mu.Unlock()
	e.asm.reset()
	e.asm.forgetAborted()
	e.snap.taken, e.snap.restored, e.snap.bytes, e.unpersisted = 0, 0, 0, false
	e.snap.stored.Store(0)
	start := time.Now()
	// The keys are read while the snapshot is restored: only the events
	// after it (opened with them) and leading (sealing) need them.
	_, info, err := e.eventsStream(ctx)
	if err != nil {
		return err
	}
	e.keysFrom = info.State.LastSeq
	e.keys.forget()
	keysRead := make(chan error, 1)
	go func() { keysRead <- e.keys.ensureLoaded(ctx) }()
	keysLoaded := sync.OnceValue(func() error { return <-keysRead })
	e.restoreSnapshot(ctx)
	if err := e.catchUpAfter(ctx, keysLoaded); err != nil {
		return err
	}
	e.ready.Store(true)
	e.hub.resync() // open boards reload: what they showed may be stale
	e.log.Info("event log replayed", "events", e.lastSeq, "took", time.Since(start).Round(time.Millisecond))
	e.signalProgress(nil)
	if err := keysLoaded(); err != nil {
		return err
	}
	e.settled.Store(true)
	leadCtx := ctx
	if e.opts.Elector != nil {
		electCtx, stopElect := context.WithCancel(ctx)
		defer stopElect() // releases the lease when leading ends
		var err error
		if leadCtx, err = e.follow(electCtx); err != nil {
			return err
		}
		// Anything the previous leader wrote before it died.
		if err := e.catchUp(leadCtx); err != nil {
			return err
		}
		// Its keys too: a cache from before following would make a second
		// key for each person it prepared or alerted (read again unless the
		// bucket took no message since this instance read it).
		if err := e.keys.reload(leadCtx); err != nil {
			return err
		}
	}
	if err := e.loadHead(leadCtx); err != nil {
		return err
	}
	if err := e.abortIncomplete(leadCtx); err != nil {
		return err
	}
	e.leader.Store(true)
	e.log.Info("engine leading")
	return e.lead(leadCtx)
}

// eventsStream returns the log's stream with fresh information about it.
func (e *Engine) eventsStream(ctx context.Context) (jetstream.Stream, *jetstream.StreamInfo, error) {
	stream, err := e.opts.JS.Stream(ctx, e.opts.Layout.EventsStream())
	if err != nil {
		return nil, nil, fmt.Errorf("engine: events stream: %w", err)
	}
	info, err := stream.Info(ctx)
	if err != nil {
		return nil, nil, fmt.Errorf("engine: events stream info: %w", err)
	}
	return stream, info, nil
}

// catchUp applies every event up to the stream's current last sequence.
func (e *Engine) catchUp(ctx context.Context) error {
	return e.catchUpAfter(ctx, func() error { return nil })
}

// catchUpAfter is catchUp that, if there is anything to apply, first
// waits for before.
func (e *Engine) catchUpAfter(ctx context.Context, before func() error) error {
	stream, info, err := e.eventsStream(ctx)
	if err != nil {
		return err
	}
	target := info.State.LastSeq
	if target <= e.lastSeq {
		return nil
	}
	if err := before(); err != nil {
		return err
	}
	cons, err := stream.OrderedConsumer(ctx, jetstream.OrderedConsumerConfig{
		DeliverPolicy: jetstream.DeliverByStartSequencePolicy, OptStartSeq: e.lastSeq + 1,
	})
	if err != nil {
		return fmt.Errorf("engine: replay consumer: %w", err)
	}
	// Two chunks buffered by the client: a fan-out's packs are large, and
	// 4,096 of them held ~25 MB more at a crash restart's peak.
	it, err := cons.Messages(jetstream.PullMaxMessages(2 * replayChunk))
	if err != nil {
		return fmt.Errorf("engine: replay: %w", err)
	}
	defer it.Stop()
	batch := make([]activation.Event, 0, 1024)
	live := e.ready.Load()
	flush := func() {
		e.mu.Lock()
		for _, ev := range batch {
			e.core.Apply(ev)
		}
		e.mu.Unlock()
		if live {
			e.signalProgress(batch)
		}
		batch = batch[:0]
	}
	// Decoding is most of a replay's work: it runs on replayDecoders
	// goroutines, chunk by chunk, while this one applies the chunks in order.
	quit := make(chan struct{})
	defer close(quit)
	ordered := readChunks(ctx, it, cons, e.lastSeq, target, quit, e.decodeEvents)
	for c := range ordered {
		<-c.done
		if c.err != nil {
			return c.err
		}
		for i, evs := range c.evs {
			e.lastSeq = c.seqs[i]
			if c.errs[i] != nil {
				e.quarantine(QuarantineEvents, c.seqs[i], c.errs[i])
			}
			for _, ev := range evs {
				if shreddingEvent(ev) && (live || c.seqs[i] > e.keysFrom) {
					// The projection holds what was opened with the shredded
					// keys: a follower catching up before it leads, or a
					// replay whose keys were read before the shredding.
					flush()
					return errRebuild
				}
				batch = append(batch, e.asm.add(ev)...)
			}
			if len(batch) >= 1024 {
				flush()
			}
		}
		if c.last {
			flush()
		}
	}
	flush()
	e.lastSeq = max(e.lastSeq, target)
	return nil
}

// follow keeps the projection current from the log until this instance is
// elected; it returns the leadership context. Cancelling ctx gives up the
// candidacy and, once elected, the lease.
func (e *Engine) follow(ctx context.Context) (context.Context, error) {
	type result struct {
		ctx context.Context
		err error
	}
	done := make(chan result, 1)
	go func() {
		c, err := e.opts.Elector.Lead(ctx)
		done <- result{c, err}
	}()
	stream, err := e.opts.JS.Stream(ctx, e.opts.Layout.EventsStream())
	if err != nil {
		return nil, fmt.Errorf("engine: events stream: %w", err)
	}
	cons, err := stream.OrderedConsumer(ctx, jetstream.OrderedConsumerConfig{
		DeliverPolicy: jetstream.DeliverByStartSequencePolicy, OptStartSeq: e.lastSeq + 1,
	})
	if err != nil {
		return nil, fmt.Errorf("engine: follow consumer: %w", err)
	}
	it, err := cons.Messages(jetstream.PullMaxMessages(4096))
	if err != nil {
		return nil, fmt.Errorf("engine: follow: %w", err)
	}
	defer it.Stop()
	var batch []activation.Event
	flush := func() {
		if len(batch) == 0 {
			return
		}
		e.mu.Lock()
		for _, ev := range batch {
			e.core.Apply(ev)
		}
		e.mu.Unlock()
		e.signalProgress(batch)
		batch = nil
	}
	for {
		select {
		case r := <-done:
			flush()
			return r.ctx, r.err
		default:
		}
		m, err := it.Next(jetstream.NextMaxWait(50 * time.Millisecond))
		switch {
		case errors.Is(err, nats.ErrTimeout) || errors.Is(err, context.DeadlineExceeded):
			flush()
			continue
		case err != nil:
			flush()
			if ctx.Err() != nil {
				return nil, ctx.Err()
			}
			return nil, fmt.Errorf("engine: follow: %w", err)
		}
		meta, err := m.Metadata()
		if err != nil {
			return nil, fmt.Errorf("engine: follow metadata: %w", err)
		}
		e.lastSeq = meta.Sequence.Stream
		evs, err := e.decodeEvents(m.Data())
		if err != nil {
			e.quarantine(QuarantineEvents, meta.Sequence.Stream, err)
		}
		for _, ev := range evs {
			if shreddingEvent(ev) {
				flush()
				return nil, errRebuild
			}
			batch = append(batch, e.asm.add(ev)...)
		}
		// Apply as soon as the log has nothing more: waiting for 50 ms of
		// quiet left a follower's dispatcher seconds behind during a
		// fan-out (real requests unknown to it, stand-downs unseen).
		if len(batch) >= 256 || meta.NumPending == 0 {
			flush()
		}
	}
}

// replayDecoders decode events in parallel during a replay.
const (
	replayDecoders = 2
	replayChunk    = 256
	replayAhead    = 4 // chunks decoded ahead of the one applied (decoded events are several times their bytes)
)

// decodeChunk is a run of consecutive events of the log.
type decodeChunk struct {
	data [][]byte
	seqs []uint64
	evs  [][]activation.Event // per message: its events (a pack's several)
	errs []error              // per message: why it is quarantined (nil: applicable)
	last bool                 // nothing was pending after the chunk's last event
	err  error                // a read or decode error; the replay stops at this chunk
	done chan struct{}
}

// readChunks reads the log from after `from` up to target (or until nothing
// is pending) and returns its chunks in order; each chunk's done is closed
// once it is decoded. The channel is closed after the last chunk.
func readChunks(ctx context.Context, it jetstream.MessagesContext, cons jetstream.Consumer, from, target uint64, quit <-chan struct{}, decode func([]byte) ([]activation.Event, error)) <-chan *decodeChunk {
	ordered := make(chan *decodeChunk, replayAhead)
	jobs := make(chan *decodeChunk, replayAhead)
	for range replayDecoders {
		go func() {
			for c := range jobs {
				c.evs, c.errs = make([][]activation.Event, len(c.data)), make([]error, len(c.data))
				for i, data := range c.data {
					// A broken event is quarantined by the applier, never a reason to stop.
					c.evs[i], c.errs[i] = decode(data)
				}
				c.data = nil
				close(c.done)
			}
		}()
	}
	newChunk := func() *decodeChunk {
		return &decodeChunk{data: make([][]byte, 0, replayChunk), seqs: make([]uint64, 0, replayChunk), done: make(chan struct{})}
	}
	// send hands a chunk to the decoders and, in order, to the applier.
	send := func(c *decodeChunk, decode bool) bool {
		select {
		case ordered <- c:
		case <-quit:
			return false
		}
		if !decode {
			close(c.done)
			return true
		}
		select {
		case jobs <- c:
			return true
		case <-quit:
			return false
		}
	}
	go func() {
		defer close(ordered)
		defer close(jobs)
		c, last := newChunk(), from
		for last < target {
			m, err := it.Next(jetstream.NextMaxWait(2 * time.Second))
			if err != nil {
				// Deleted messages at the end of the log (an interrupted
				// decision) leave the stream's last sequence above the last
				// message: caught up when nothing is pending.
				if info, ierr := cons.Info(ctx); ierr == nil && info.NumPending == 0 {
					break
				}
				if len(c.data) > 0 && !send(c, true) {
					return
				}
				send(&decodeChunk{err: fmt.Errorf("engine: replay at %d of %d: %w", last, target, err), done: make(chan struct{})}, false)
				return
			}
			meta, err := m.Metadata()
			if err != nil {
				if len(c.data) > 0 && !send(c, true) {
					return
				}
				send(&decodeChunk{err: fmt.Errorf("engine: replay metadata: %w", err), done: make(chan struct{})}, false)
				return
			}
			last = meta.Sequence.Stream
			c.data = append(c.data, m.Data())
			c.seqs = append(c.seqs, last)
			if meta.NumPending == 0 {
				c.last = true
				break
			}
			if len(c.data) == replayChunk {
				if !send(c, true) {
					return
				}
				c = newChunk()
			}
		}
		if len(c.data) > 0 {
			c.last = true
			send(c, true)
		}
	}()
	return ordered
}
