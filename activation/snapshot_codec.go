package activation

import (
	"encoding/binary"
	"errors"
	"fmt"
	"math"
	"time"
)

// ErrSnapshot means a snapshot could not be decoded; the caller replays the
// whole log instead.
var ErrSnapshot = errors.New("activation: snapshot unreadable")

// snapWriter appends the snapshot's primitive values. Strings are written
// as they are: the core holds each repeated one once already (see symtab).
type snapWriter struct {
	buf []byte
}

func (w *snapWriter) uint(v uint64) { w.buf = binary.AppendUvarint(w.buf, v) }
func (w *snapWriter) int(v int)     { w.buf = binary.AppendVarint(w.buf, int64(v)) }
func (w *snapWriter) int64(v int64) { w.buf = binary.AppendVarint(w.buf, v) }

func (w *snapWriter) bool(v bool) {
	if v {
		w.buf = append(w.buf, 1)
	} else {
		w.buf = append(w.buf, 0)
	}
}

func (w *snapWriter) str(s string) {
	w.uint(uint64(len(s)))
	w.buf = append(w.buf, s...)
}

// Times are written with their zone the way the log's JSON carries it, so a
// restored core shows the same "…Z" or "…+01:00" in the API as a replayed one.
const (
	timeZero  = 0
	timeUTC   = 1
	timeOther = 2 // followed by the offset in seconds
)

func (w *snapWriter) time(t time.Time) {
	switch {
	case t.IsZero():
		w.buf = append(w.buf, timeZero)
		return
	case t.Location() == time.UTC:
		w.buf = append(w.buf, timeUTC)
	default:
		_, offset := t.Zone()
		w.buf = append(w.buf, timeOther)
		w.int(offset)
	}
	w.int64(t.Unix())
	w.uint(uint64(t.Nanosecond()))
}

// length writes n+1, or 0 for a nil slice or map: views and JSON tell
// null from [] apart, so a restored core must too.
func (w *snapWriter) length(n int, isNil bool) {
	if isNil {
		w.uint(0)
		return
	}
	w.uint(uint64(n) + 1)
}

func (w *snapWriter) strList(ss []string) {
	w.length(len(ss), ss == nil)
	for _, s := range ss {
		w.str(s)
	}
}

func (w *snapWriter) intMap(m map[string]int) {
	w.length(len(m), m == nil)
	for k, v := range m {
		w.str(k)
		w.int(v)
	}
}

// VarintReader reads the varints of a snapshot, the core's and the
// engine's header alike. The first failure sticks: later reads return zero
// values, so decoders check Err once at the end.
type VarintReader struct {
	data []byte
	pos  int
	err  error
}

// NewVarintReader reads data from its start.
func NewVarintReader(data []byte) *VarintReader { return &VarintReader{data: data} }

// Err is the first failure, matching ErrSnapshot, or nil.
func (r *VarintReader) Err() error { return r.err }

// Rest returns the bytes not read yet.
func (r *VarintReader) Rest() []byte { return r.data[r.pos:] }

func (r *VarintReader) fail(format string, args ...any) {
	if r.err == nil {
		r.err = fmt.Errorf("%w: %s at byte %d", ErrSnapshot, fmt.Sprintf(format, args...), r.pos)
	}
}

// Uvarint reads an unsigned varint.
func (r *VarintReader) Uvarint() uint64 {
	if r.err != nil {
		return 0
	}
	v, n := binary.Uvarint(r.data[r.pos:])
	if n <= 0 {
		r.fail("bad unsigned number")
		return 0
	}
	r.pos += n
	return v
}

// Varint reads a signed varint.
func (r *VarintReader) Varint() int64 {
	if r.err != nil {
		return 0
	}
	v, n := binary.Varint(r.data[r.pos:])
	if n <= 0 {
		r.fail("bad number")
		return 0
	}
	r.pos += n
	return v
}

// Bytes reads the next n bytes as they are (no copy).
func (r *VarintReader) Bytes(n int) []byte {
	if r.err != nil || n < 0 || n > len(r.data)-r.pos {
		r.fail("%d bytes missing", n)
		return nil
	}
	r.pos += n
	return r.data[r.pos-n : r.pos]
}

// snapReader reads what snapWriter wrote.
type snapReader struct {
	VarintReader
}

func (r *snapReader) int() int {
	v := r.Varint()
	if v > math.MaxInt32 || v < math.MinInt32 {
		r.fail("number out of range")
		return 0
	}
	return int(v)
}

func (r *snapReader) bool() bool {
	if r.err != nil {
		return false
	}
	if r.pos >= len(r.data) || r.data[r.pos] > 1 {
		r.fail("bad flag")
		return false
	}
	r.pos++
	return r.data[r.pos-1] == 1
}

func (r *snapReader) str() string {
	n := r.Uvarint()
	if r.err != nil || n > uint64(len(r.data)-r.pos) {
		r.fail("string too long")
		return ""
	}
	// A copy: a string sharing data would keep the whole snapshot alive.
	s := string(r.data[r.pos : r.pos+int(n)])
	r.pos += int(n)
	return s
}

// time restores what decoding the log's JSON gives: UTC for "Z", the local
// zone where the offset is the local one at that instant, else a fixed zone.
func (r *snapReader) time() time.Time {
	if r.err != nil || r.pos >= len(r.data) {
		r.fail("time missing")
		return time.Time{}
	}
	kind := r.data[r.pos]
	r.pos++
	offset := 0
	switch kind {
	case timeZero:
		return time.Time{}
	case timeUTC:
	case timeOther:
		offset = r.int()
	default:
		r.fail("bad time kind %d", kind)
		return time.Time{}
	}
	sec, nsec := r.Varint(), r.Uvarint()
	if nsec >= 1e9 {
		r.fail("bad time")
		return time.Time{}
	}
	t := time.Unix(sec, int64(nsec))
	if kind == timeUTC {
		return t.UTC()
	}
	if _, local := t.Zone(); local != offset {
		t = t.In(time.FixedZone("", offset))
	}
	return t
}

// length returns the element count and whether the value was nil. The
// count is bounded by the bytes left, so a corrupt length cannot make a
// decoder allocate gigabytes.
func (r *snapReader) length() (int, bool) {
	v := r.Uvarint()
	if r.err != nil || v == 0 {
		return 0, true
	}
	n := v - 1
	if n > uint64(len(r.data)-r.pos) {
		r.fail("length %d exceeds the data", n)
		return 0, true
	}
	return int(n), false
}

func (r *snapReader) strList() []string {
	n, isNil := r.length()
	if isNil {
		return nil
	}
	out := make([]string, n)
	for i := range out {
		out[i] = r.str()
	}
	return out
}

func (r *snapReader) intMap() map[string]int {
	n, isNil := r.length()
	if isNil {
		return nil
	}
	m := make(map[string]int, n)
	for range n {
		k := r.str()
		m[k] = r.int()
	}
	return m
}
