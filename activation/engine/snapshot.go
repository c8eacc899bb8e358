package engine

import (
	"context"
	"errors"
	"fmt"
	"net"
	"sync"
	"sync/atomic"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/kaskade-bcm/kaskade/activation"
)

// Snapshots are a cache of the log, never the record: a start restores the newest
// that matches the log and replays the rest (else the whole log). The leader writes
// one every SnapshotEvery events (or SnapshotBytes of them), after SnapshotIdle ones
// when idle, and at a clean stop.

// snapshotter decides when the leader takes a snapshot. The engine
// goroutine owns every field but the atomics, which uploads update.
type snapshotter struct {
	taken     uint64        // log position of the newest snapshot encoded (or restored)
	stored    atomic.Uint64 // log position of the newest snapshot known to be stored
	restored  uint64        // log position of the snapshot this run started from (0: none)
	uploading atomic.Bool   // one upload at a time; a slow one is skipped, not queued
	uploads   sync.WaitGroup
	lastWrite time.Time // when a decision last appended events
	sizeHint  int       // size of the last snapshot's first part: the next buffer starts there
	force     bool      // take one at the next chance (after shredding dropped them all)
	bytes     uint64    // appended to the log since the newest snapshot was encoded
}

// snapshotUploadTimeout bounds one upload; a stop waits for at most two
// (one in flight and the final one), within Kubernetes' 45 s grace period.
const snapshotUploadTimeout = 15 * time.Second

func (e *Engine) snapshotStore(ctx context.Context) (jetstream.ObjectStore, error) {
	name := e.opts.Layout.SnapshotBucket()
	store, err := e.opts.JS.ObjectStore(ctx, name)
	if errors.Is(err, jetstream.ErrBucketNotFound) {
		store, err = e.opts.JS.CreateOrUpdateObjectStore(ctx, jetstream.ObjectStoreConfig{
			Bucket: name, Storage: jetstream.FileStorage, Replicas: max(e.opts.Layout.Replicas, 1),
			Description: "Kaskade engine snapshots (a cache of the event log)",
		})
	}
	if err != nil {
		return nil, fmt.Errorf("engine: snapshot bucket: %w", err)
	}
	return store, nil
}

// errSnapshotUnfit means a snapshot does not belong to the log as it is.
var errSnapshotUnfit = errors.New("engine: snapshot does not fit the event log")

// restoreSnapshot loads the newest snapshot if it fits the events stream and
// reports whether it did; failures only cost a full replay. A misfit is
// deleted, so it cannot fit by accident once the log has grown past it.
func (e *Engine) restoreSnapshot(ctx context.Context) bool {
	if e.opts.SnapshotEvery < 0 {
		return false
	}
	e.snap.uploads.Wait() // an upload of the previous run must not race the restore
	start := time.Now()
	store, err := e.snapshotStore(ctx)
	if err != nil {
		e.log.Warn("no snapshot; replaying the whole log", "err", err)
		return false
	}
	data, err := readSnapshot(ctx, store)
	if errors.Is(err, jetstream.ErrObjectNotFound) {
		return false
	}
	var h snapshotHeader
	var core *activation.Core
	if err == nil {
		h, core, err = decodeSnapshot(data)
	}
	if err == nil {
		err = e.checkSnapshot(ctx, h)
	}
	if err != nil {
		e.log.Warn("snapshot not used; replaying the whole log", "err", err)
		if errors.Is(err, activation.ErrSnapshot) || errors.Is(err, errSnapshotUnfit) {
			if derr := store.Delete(ctx, snapshotObject); derr != nil && !errors.Is(derr, jetstream.ErrObjectNotFound) {
				e.log.Warn("unfit snapshot not deleted", "err", derr)
			}
		}
		return false
	}
	e.mu.Lock()
	e.core, e.lastSeq = core, h.lastSeq
	e.mu.Unlock()
	e.asm.restoreAborted(h.aborted)
	e.snap.taken, e.snap.restored = h.lastSeq, h.lastSeq
	e.snap.stored.Store(h.lastSeq)
	e.log.Info("snapshot restored", "events", h.lastSeq, "bytes", len(data), "took", time.Since(start).Round(time.Millisecond))
	return true
}

// checkSnapshot tells whether the log still holds the history the snapshot
// was taken from: the same stream, the event at its position unchanged,
// and every event after it.
func (e *Engine) checkSnapshot(ctx context.Context, h snapshotHeader) error {
	stream, info, err := e.eventsStream(ctx)
	if err != nil {
		return err
	}
	st := info.State
	switch {
	case info.Created.UnixNano() != h.created:
		return fmt.Errorf("%w: it belongs to another event stream", errSnapshotUnfit)
	case h.lastSeq > st.LastSeq:
		return fmt.Errorf("%w: it is ahead of the log (%d > %d; restored from an older backup?)", errSnapshotUnfit, h.lastSeq, st.LastSeq)
	case st.FirstSeq > h.lastSeq:
		return fmt.Errorf("%w: the log no longer holds event %d", errSnapshotUnfit, h.lastSeq)
	}
	m, err := stream.GetMsg(ctx, h.lastSeq)
	if errors.Is(err, jetstream.ErrMsgNotFound) {
		return fmt.Errorf("%w: event %d is gone", errSnapshotUnfit, h.lastSeq)
	}
	if err != nil {
		return fmt.Errorf("engine: event %d: %w", h.lastSeq, err)
	}
	if at, sum := eventFingerprint(m); at != h.lastTime || sum != h.lastSum {
		return fmt.Errorf("%w: event %d is not the one it was taken after (an older log restored?)", errSnapshotUnfit, h.lastSeq)
	}
	return nil
}

// maybeSnapshot takes a snapshot if enough has happened since the last one.
// Only the leader calls it, between decisions, when every event it applied
// is in the log.
func (e *Engine) maybeSnapshot(ctx context.Context, idle bool) {
	every := e.opts.SnapshotEvery
	if every < 0 || ctx.Err() != nil || !e.snap.uploading.CompareAndSwap(false, true) {
		return // stopping: the final snapshot takes over
	}
	if stored := e.snap.stored.Load(); stored < e.snap.taken {
		e.snap.taken = stored // the last upload failed: count from the last one stored
	}
	since := e.lastSeq - e.snap.taken
	if e.snap.force && e.lastSeq > 0 {
		since = max(since, uint64(every))
	}
	if since == 0 || since < uint64(every) && !(idle && since >= uint64(e.opts.SnapshotIdle)) && e.snap.bytes < uint64(e.opts.SnapshotBytes) {
		e.snap.uploading.Store(false)
		return
	}
	data, err := e.encodeSnapshotNow(ctx)
	if err != nil {
		e.snap.uploading.Store(false)
		e.log.Warn("snapshot not taken", "err", err)
		return
	}
	seq := e.lastSeq
	e.snap.taken, e.snap.force, e.snap.bytes = seq, false, 0
	e.snap.uploads.Go(func() {
		defer e.snap.uploading.Store(false)
		ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), snapshotUploadTimeout)
		defer cancel()
		e.storeSnapshot(ctx, data, seq)
	})
}

// finalSnapshot stores a snapshot when the process stops cleanly, so the
// next start replays nothing. A leader that merely lost its lease does not:
// the new leader may already have stored a newer one.
func (e *Engine) finalSnapshot(ctx context.Context, stopping bool) {
	e.snap.uploads.Wait() // an upload in flight finishes first (and no goroutine outlives the engine)
	if !stopping || e.opts.SnapshotEvery < 0 || e.lastSeq == e.snap.stored.Load() {
		return
	}
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), snapshotUploadTimeout)
	defer cancel()
	data, err := e.encodeSnapshotNow(ctx)
	if err != nil {
		e.log.Warn("final snapshot not taken", "err", err)
		return
	}
	e.snap.taken = e.lastSeq
	e.storeSnapshot(ctx, data, e.lastSeq)
}

// encodeSnapshotNow encodes the engine's position and the core in parts whose
// concatenation is the snapshot (joining them would copy megabytes). Decisions
// wait meanwhile: the caller is the deciding goroutine.
func (e *Engine) encodeSnapshotNow(ctx context.Context) (net.Buffers, error) {
	stream, err := e.opts.JS.Stream(ctx, e.opts.Layout.EventsStream())
	if err != nil {
		return nil, fmt.Errorf("engine: events stream: %w", err)
	}
	last, err := stream.GetMsg(ctx, e.lastSeq)
	if err != nil {
		return nil, fmt.Errorf("engine: event %d: %w", e.lastSeq, err)
	}
	h := snapshotHeader{lastSeq: e.lastSeq, created: stream.CachedInfo().Created.UnixNano(), aborted: e.asm.abortedList()}
	h.lastTime, h.lastSum = eventFingerprint(last)
	start := time.Now()
	buf := appendHeader(make([]byte, 0, e.snap.sizeHint+e.snap.sizeHint/8), h)
	e.mu.RLock()
	parts := net.Buffers(e.core.SnapshotParts(buf))
	e.mu.RUnlock()
	e.snap.sizeHint = len(parts[0])
	size := 0
	for _, p := range parts {
		size += len(p)
	}
	e.opts.Metrics.snapshotTaken(time.Since(start), size)
	return parts, nil
}

func (e *Engine) storeSnapshot(ctx context.Context, parts net.Buffers, seq uint64) {
	start := time.Now()
	size := 0
	for _, p := range parts {
		size += len(p)
	}
	store, err := e.snapshotStore(ctx)
	if err == nil {
		// net.Buffers reads part after part and drops each once read.
		_, err = store.Put(ctx, jetstream.ObjectMeta{Name: snapshotObject}, &parts)
	}
	if err != nil {
		e.log.Warn("snapshot not stored; the next restart replays more of the log", "events", seq, "err", err)
		return
	}
	e.snap.stored.Store(seq)
	e.log.Info("snapshot stored", "events", seq, "bytes", size, "took", time.Since(start).Round(time.Millisecond))
}
