package engine

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/binary"
	"fmt"
	"io"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/kaskade-bcm/kaskade/activation"
)

// snapshotObject is the object's name in the bucket.
const snapshotObject = "core"

// SnapshotBucket holds the engine's snapshots.
func (l Layout) SnapshotBucket() string { return l.name("SNAPSHOTS") }

var engineSnapshotMagic = []byte("KENG2")

// snapshotHeader precedes the core's snapshot: log position, aborted batches
// and how to recognise the log. `nats stream restore` keeps a stream's creation
// time, so the last event's timestamp and digest are compared as well.
type snapshotHeader struct {
	lastSeq  uint64
	created  int64    // the events stream's creation time, UnixNano
	lastTime int64    // stream timestamp of the event at lastSeq, UnixNano
	lastSum  [16]byte // SHA-256 (truncated) of that event's data
	aborted  []uint64
}

func eventFingerprint(m *jetstream.RawStreamMsg) (int64, [16]byte) {
	sum := sha256.Sum256(m.Data)
	return m.Time.UnixNano(), [16]byte(sum[:16])
}

// appendHeader writes h to dst; the core's snapshot follows it.
func appendHeader(dst []byte, h snapshotHeader) []byte {
	dst = append(dst, engineSnapshotMagic...)
	dst = binary.AppendUvarint(dst, h.lastSeq)
	dst = binary.AppendVarint(dst, h.created)
	dst = binary.AppendVarint(dst, h.lastTime)
	dst = append(dst, h.lastSum[:]...)
	dst = binary.AppendUvarint(dst, uint64(len(h.aborted)))
	for _, b := range h.aborted {
		dst = binary.AppendUvarint(dst, b)
	}
	return dst
}

func decodeSnapshot(data []byte) (snapshotHeader, *activation.Core, error) {
	var h snapshotHeader
	bad := fmt.Errorf("%w: engine header", activation.ErrSnapshot)
	p, ok := bytes.CutPrefix(data, engineSnapshotMagic)
	if !ok {
		return h, nil, bad
	}
	r := activation.NewVarintReader(p)
	h.lastSeq, h.created, h.lastTime = r.Uvarint(), r.Varint(), r.Varint()
	copy(h.lastSum[:], r.Bytes(len(h.lastSum)))
	count := r.Uvarint()
	if r.Err() != nil || count > uint64(len(r.Rest())) {
		return h, nil, bad
	}
	for range count {
		h.aborted = append(h.aborted, r.Uvarint())
	}
	if r.Err() != nil {
		return h, nil, bad
	}
	core, err := activation.RestoreSnapshot(r.Rest())
	if err != nil {
		return h, nil, err
	}
	return h, core, nil
}

// maxSnapshotBytes refuses absurd objects before allocating for them.
const maxSnapshotBytes = 4 << 30

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
	if info.Size > maxSnapshotBytes {
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
