package audit

import (
	"bufio"
	"crypto/ed25519"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"hash"
	"io"
	"time"
)

// An export is JSON lines for auditors (docs/PRIVACY.md, "Signed export"):
// a header, the chain from the log's first event (or from a checkpoint
// after an investigated break) to its head at the export, with one
// incident's events whole and the runs of other events between them as
// gaps (their ends' hashes only), and a signature line.

// ExportFormat names the format in the header.
const ExportFormat = "kaskade-audit-export"

// ExportVersion is the format version.
const ExportVersion = 1

// Line types.
const (
	LineHeader    = "header"
	LineEvent     = "event"
	LineGap       = "gap"
	LineSignature = "signature"
)

// ExportHeader is the first line.
type ExportHeader struct {
	Type       string    `json:"type"` // "header"
	Format     string    `json:"format"`
	V          int       `json:"v"`
	Incident   string    `json:"incident"`
	Stream     string    `json:"stream"`
	Through    uint64    `json:"through"` // the log's last sequence when the export began
	ExportedAt time.Time `json:"exported_at"`
	KeyID      string    `json:"key_id"`
	// A checkpoint after an investigated break: the chain in the export
	// starts after stored event FromSeq, whose hash is FromHead. Absent
	// (0, ""): it starts at the log's first event, as in every older export.
	FromSeq  uint64 `json:"from_seq,omitempty"`
	FromHead string `json:"from_head,omitempty"`
}

// Checkpoint is where the export's chain starts (the zero Checkpoint: the log's start).
func (h ExportHeader) Checkpoint() Checkpoint { return Checkpoint{Seq: h.FromSeq, Head: h.FromHead} }

// ExportEvent is one event of the incident: Event holds the stored bytes,
// whose SHA-256 is Hash; Seq, At, Kind and Prev repeat fields of them.
type ExportEvent struct {
	Type  string    `json:"type"` // "event"
	Seq   uint64    `json:"seq"`
	At    time.Time `json:"at"`
	Kind  string    `json:"kind"`
	Prev  string    `json:"prev"`
	Hash  string    `json:"hash"`
	Event string    `json:"event"`
}

// ExportGap stands for the stored events From to To of other incidents:
// Prev is the first one's prev ("" before the chain), Hash the last one's hash.
type ExportGap struct {
	Type string `json:"type"` // "gap"
	From uint64 `json:"from"`
	To   uint64 `json:"to"`
	Prev string `json:"prev"`
	Hash string `json:"hash"`
}

// ExportSignature is the last line: Sig is the Ed25519 signature of
// SignedMessage(SHA256), SHA256 the hex digest of every byte before this line.
type ExportSignature struct {
	Type   string `json:"type"` // "signature"
	Alg    string `json:"alg"`  // "Ed25519"
	KeyID  string `json:"key_id"`
	Lines  int    `json:"lines"`  // lines before this one
	Events int    `json:"events"` // the incident's events
	Head   string `json:"head"`   // hash of the log's event at Through
	SHA256 string `json:"sha256"`
	Sig    string `json:"sig"` // base64
}

// SignedMessage is what the signature covers.
func SignedMessage(sha256Hex string) []byte {
	return []byte(fmt.Sprintf("%s/%d sha256:%s", ExportFormat, ExportVersion, sha256Hex))
}

// KeyID names a public key: the first 16 hex digits of its SHA-256.
func KeyID(pub ed25519.PublicKey) string {
	sum := sha256.Sum256(pub)
	return hex.EncodeToString(sum[:8])
}

// ErrNoEvents means the log holds no event of the incident.
var ErrNoEvents = errors.New("audit: no events of this incident in the log")

// Exporter writes an export while the whole log passes through Add in
// sequence order; it verifies the chain on the way and refuses a broken one.
type Exporter struct {
	w      *bufio.Writer
	sum    hash.Hash
	key    ed25519.PrivateKey
	hdr    ExportHeader
	v      *Verifier
	gap    *ExportGap
	early  []uint64 // the incident's events at or before the checkpoint
	looked int      // messages at or before the checkpoint
	// anchored: the checkpoint's own event was checked (Verifier.Anchor).
	anchored bool
	lines    int
	events   int
	err      error
}

// NewExporter writes the header; hdr's Type, Format, V and KeyID are set
// here. With a checkpoint (FromSeq, FromHead) the chain starts after it.
func NewExporter(w io.Writer, hdr ExportHeader, key ed25519.PrivateKey) (*Exporter, error) {
	hdr.Type, hdr.Format, hdr.V = LineHeader, ExportFormat, ExportVersion
	hdr.KeyID = KeyID(key.Public().(ed25519.PublicKey))
	if err := checkCheckpoint(hdr); err != nil {
		return nil, err
	}
	x := &Exporter{sum: sha256.New(), key: key, hdr: hdr, v: NewVerifier(hdr.Checkpoint())}
	x.w = bufio.NewWriter(io.MultiWriter(w, x.sum))
	return x, x.line(hdr)
}

// Add takes the stored event seq; a chain break, an event of the incident
// before the checkpoint or a failed write is returned, and Add must not be
// called again. Events up to the checkpoint are only looked at for the incident.
func (x *Exporter) Add(seq uint64, raw []byte) error {
	if x.err != nil {
		return x.err
	}
	if seq <= x.hdr.FromSeq {
		x.beforeCheckpoint(seq, raw)
		if seq < x.hdr.FromSeq {
			return nil
		}
	}
	if x.hdr.FromSeq > 0 && !x.anchored {
		// The checkpoint's event must be there and still hash to its head.
		x.anchored = true
		if x.err = x.earlyEvents(); x.err != nil {
			return x.err
		}
		if b := x.v.Anchor(seq, raw); b != nil {
			x.err = b
			return b
		}
	}
	if seq == x.hdr.FromSeq {
		return nil
	}
	if x.err = x.earlyEvents(); x.err != nil {
		return x.err
	}
	if x.hdr.FromSeq == 0 && x.v.Result().Last == 0 && seq != 1 {
		// VerifyExport would refuse it: without a checkpoint the chain starts at seq 1.
		x.err = fmt.Errorf("audit: the log starts at event %d, not 1 (events before it were deleted): "+
			"an export from the log's start cannot show its chain from the first event", seq)
		return x.err
	}
	if b := x.v.Add(seq, raw); b != nil {
		x.err = b
		return b
	}
	var ev struct {
		Incident, Kind, Prev string
		At                   time.Time
	}
	if err := json.Unmarshal(raw, &ev); err != nil { // the verifier read it already
		x.err = fmt.Errorf("audit: event %d: %w", seq, err)
		return x.err
	}
	if ev.Incident != x.hdr.Incident {
		if x.gap == nil {
			x.gap = &ExportGap{Type: LineGap, From: seq, Prev: ev.Prev}
		}
		x.gap.To, x.gap.Hash = seq, Hash(raw)
		return nil
	}
	if err := x.flushGap(); err != nil {
		return err
	}
	x.events++
	return x.line(ExportEvent{Type: LineEvent, Seq: seq, At: ev.At, Kind: ev.Kind, Prev: ev.Prev, Hash: Hash(raw), Event: string(raw)})
}

// Close ends the export with the signature line. The events up to
// Through must all have passed Add.
func (x *Exporter) Close() (ExportSignature, error) {
	if x.err == nil {
		x.err = x.earlyEvents()
	}
	if x.err != nil {
		return ExportSignature{}, x.err
	}
	if x.events == 0 {
		return ExportSignature{}, ErrNoEvents
	}
	if err := x.flushGap(); err != nil {
		return ExportSignature{}, err
	}
	res := x.v.Result()
	if res.Last != x.hdr.Through {
		return ExportSignature{}, fmt.Errorf("audit: export read the log up to %d, not to %d", res.Last, x.hdr.Through)
	}
	if err := x.w.Flush(); err != nil {
		return ExportSignature{}, fmt.Errorf("audit: write export: %w", err)
	}
	digest := hex.EncodeToString(x.sum.Sum(nil))
	sig := ExportSignature{Type: LineSignature, Alg: "Ed25519", KeyID: x.hdr.KeyID, Lines: x.lines, Events: x.events,
		Head: res.Head, SHA256: digest, Sig: base64.StdEncoding.EncodeToString(ed25519.Sign(x.key, SignedMessage(digest)))}
	if err := x.line(sig); err != nil {
		return ExportSignature{}, err
	}
	if err := x.w.Flush(); err != nil {
		return ExportSignature{}, fmt.Errorf("audit: write export: %w", err)
	}
	return sig, nil
}

func (x *Exporter) flushGap() error {
	if x.gap == nil {
		return nil
	}
	g := *x.gap
	x.gap = nil
	return x.line(g)
}

func (x *Exporter) line(v any) error {
	b, err := json.Marshal(v)
	if err == nil {
		_, err = x.w.Write(append(b, '\n'))
	}
	if err != nil {
		x.err = fmt.Errorf("audit: write export: %w", err)
		return x.err
	}
	x.lines++
	return nil
}
