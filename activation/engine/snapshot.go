package engine

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"sync"
	"sync/atomic"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/kaskade-bcm/kaskade/activation"
)

// Snapshots bound the work of a restart. The leader stores the core's state
// in an object store now and then; a starting engine restores the newest
// one and replays only the events after it. A snapshot is a cache of the
// log, never the record: one that is missing, unreadable or does not match
// the stream is ignored and the whole log replayed.
//
// The leader writes one when it has appended SnapshotEvery events since the
// last, or SnapshotIdle events and has been idle for a second, and when it
// stops leading cleanly. Encoding stops decisions for about 150 ms at
// 100,000 people, which is why it waits for a quiet moment when it can.

// snapshotObject is the object's name in the bucket.
const snapshotObject = "core"

// SnapshotBucket holds the engine's snapshots.
func (l Layout) SnapshotBucket() string { return l.name("SNAPSHOTS") }

var engineSnapshotMagic = []byte("KENG1")

// snapshotState is what the engine adds to the core's snapshot: where in
// the log it stands, which stream it belongs to and the aborted batches.
type snapshotState struct {
	lastSeq uint64
	created int64 // the events stream's creation time, UnixNano
	aborted []uint64
}

func encodeSnapshot(s snapshotState, core []byte) []byte {
	buf := make([]byte, 0, len(core)+64+8*len(s.aborted))
	buf = append(buf, engineSnapshotMagic...)
	buf = binary.AppendUvarint(buf, s.lastSeq)
	buf = binary.AppendVarint(buf, s.created)
	buf = binary.AppendUvarint(buf, uint64(len(s.aborted)))
	for _, b := range s.aborted {
		buf = binary.AppendUvarint(buf, b)
	}
	return append(buf, core...)
}

func decodeSnapshot(data []byte) (snapshotState, *activation.Core, error) {
	var s snapshotState
	bad := fmt.Errorf("%w: engine header", activation.ErrSnapshot)
	if len(data) < len(engineSnapshotMagic) || string(data[:len(engineSnapshotMagic)]) != string(engineSnapshotMagic) {
		return s, nil, bad
	}
	p := data[len(engineSnapshotMagic):]
	next := func() uint64 {
		v, n := binary.Uvarint(p)
		if n <= 0 {
			p = nil
			return 0
		}
		p = p[n:]
		return v
	}
	s.lastSeq = next()
	created, n := binary.Varint(p)
	if n <= 0 {
		return s, nil, bad
	}
	p = p[n:]
	s.created = created
	count := next()
	if count > uint64(len(p)) {
		return s, nil, bad
	}
	for range count {
		s.aborted = append(s.aborted, next())
	}
	if p == nil {
		return s, nil, bad
	}
	core, err := activation.RestoreSnapshot(p)
	if err != nil {
		return s, nil, err
	}
	return s, core, nil
}

// snapshotter decides when the leader takes a snapshot.
type snapshotter struct {
	seq       uint64      // log position of the newest snapshot written or restored
	restored  uint64      // log position of the snapshot this run started from (0: none)
	uploading atomic.Bool // one upload at a time; a slow one is skipped, not queued
	uploads   sync.WaitGroup
	lastWrite time.Time // when a decision last appended events
}

// snapshotUploadTimeout bounds one upload; a stop waits for it.
const snapshotUploadTimeout = 30 * time.Second

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

// restoreSnapshot loads the newest snapshot into the engine if it fits the
// events stream; it reports whether it did. Failures only cost a full replay.
func (e *Engine) restoreSnapshot(ctx context.Context) bool {
	if e.opts.SnapshotEvery < 0 {
		return false
	}
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
	if err != nil {
		e.log.Warn("snapshot unreadable; replaying the whole log", "err", err)
		return false
	}
	s, core, err := decodeSnapshot(data)
	if err != nil {
		e.log.Warn("snapshot unreadable; replaying the whole log", "err", err)
		return false
	}
	stream, err := e.opts.JS.Stream(ctx, e.opts.Layout.EventsStream())
	if err != nil {
		return false
	}
	info, err := stream.Info(ctx)
	if err != nil {
		return false
	}
	st := info.State
	switch {
	case info.Created.UnixNano() != s.created:
		e.log.Warn("snapshot belongs to another event stream; replaying the whole log")
		return false
	case s.lastSeq > st.LastSeq:
		e.log.Warn("snapshot is ahead of the event log (restored from an older backup?); replaying the whole log",
			"snapshot", s.lastSeq, "log", st.LastSeq)
		return false
	case st.Msgs > 0 && st.FirstSeq > s.lastSeq+1:
		e.log.Warn("events after the snapshot are gone; replaying the whole log", "snapshot", s.lastSeq, "first", st.FirstSeq)
		return false
	}
	e.mu.Lock()
	e.core, e.lastSeq = core, s.lastSeq
	e.mu.Unlock()
	e.asm.restoreAborted(s.aborted)
	e.snap.seq, e.snap.restored = s.lastSeq, s.lastSeq
	e.log.Info("snapshot restored", "events", s.lastSeq, "bytes", len(data), "took", time.Since(start).Round(time.Millisecond))
	return true
}

// readSnapshot reads the snapshot object into a buffer of its exact size
// (GetBytes grows one by doubling: twice the memory at a restart's peak).
// The object store checks the digest when the reader reaches the end.
func readSnapshot(ctx context.Context, store jetstream.ObjectStore) ([]byte, error) {
	obj, err := store.Get(ctx, snapshotObject)
	if err != nil {
		return nil, err
	}
	defer obj.Close()
	info, err := obj.Info()
	if err != nil {
		return nil, err
	}
	if info.Size > 1<<34 {
		return nil, fmt.Errorf("%w: object of %d bytes", activation.ErrSnapshot, info.Size)
	}
	data := make([]byte, info.Size)
	if _, err := io.ReadFull(obj, data); err != nil {
		return nil, err
	}
	// Reading to the end makes the store verify the digest.
	if n, err := io.Copy(io.Discard, obj); n != 0 || err != nil {
		return nil, fmt.Errorf("%w: %d bytes more than announced, or: %v", activation.ErrSnapshot, n, err)
	}
	return data, nil
}

// maybeSnapshot takes a snapshot if enough has happened since the last one.
// Only the leader calls it, between decisions, when every event it applied
// is in the log.
func (e *Engine) maybeSnapshot(ctx context.Context, idle bool) {
	every := e.opts.SnapshotEvery
	since := e.lastSeq - e.snap.seq
	if every < 0 || since == 0 || since < uint64(every) && !(idle && since >= uint64(e.opts.SnapshotIdle)) {
		return
	}
	if !e.snap.uploading.CompareAndSwap(false, true) {
		return
	}
	data := e.encodeSnapshotNow(ctx)
	if data == nil {
		e.snap.uploading.Store(false)
		return
	}
	seq := e.lastSeq
	e.snap.seq = seq
	e.snap.uploads.Go(func() {
		defer e.snap.uploading.Store(false)
		ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), snapshotUploadTimeout)
		defer cancel()
		e.storeSnapshot(ctx, data, seq)
	})
}

// finalSnapshot stores a snapshot before a clean stop, so the next start
// replays nothing.
func (e *Engine) finalSnapshot(ctx context.Context) {
	e.snap.uploads.Wait() // an upload in flight finishes first (and no goroutine outlives the engine)
	if e.opts.SnapshotEvery < 0 || e.lastSeq == e.snap.seq {
		return
	}
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), snapshotUploadTimeout)
	defer cancel()
	if data := e.encodeSnapshotNow(ctx); data != nil {
		e.snap.seq = e.lastSeq
		e.storeSnapshot(ctx, data, e.lastSeq)
	}
}

func (e *Engine) encodeSnapshotNow(ctx context.Context) []byte {
	stream, err := e.opts.JS.Stream(ctx, e.opts.Layout.EventsStream())
	if err != nil {
		return nil
	}
	created := stream.CachedInfo().Created
	start := time.Now()
	e.mu.RLock()
	core := e.core.Snapshot()
	e.mu.RUnlock()
	data := encodeSnapshot(snapshotState{lastSeq: e.lastSeq, created: created.UnixNano(), aborted: e.asm.abortedList()}, core)
	e.opts.Metrics.snapshotTaken(time.Since(start), len(data))
	return data
}

func (e *Engine) storeSnapshot(ctx context.Context, data []byte, seq uint64) {
	start := time.Now()
	store, err := e.snapshotStore(ctx)
	if err == nil {
		_, err = store.PutBytes(ctx, snapshotObject, data)
	}
	if err != nil {
		e.log.Warn("snapshot not stored; the next restart replays more of the log", "events", seq, "err", err)
		return
	}
	e.log.Info("snapshot stored", "events", seq, "bytes", len(data), "took", time.Since(start).Round(time.Millisecond))
}
