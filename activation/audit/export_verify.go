package audit

import (
	"bufio"
	"bytes"
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

// ExportError is the first line of an export that does not hold.
type ExportError struct {
	Line   int    `json:"line"` // 1-based; 0: the file as a whole
	Reason string `json:"reason"`
}

func (e *ExportError) Error() string {
	if e.Line == 0 {
		return "audit: export: " + e.Reason
	}
	return fmt.Sprintf("audit: export line %d: %s", e.Line, e.Reason)
}

// ExportSummary is a verified export.
type ExportSummary struct {
	Incident   string    `json:"incident"`
	ExportedAt time.Time `json:"exported_at"`
	KeyID      string    `json:"key_id"`
	Events     int       `json:"events"`  // the incident's
	Through    uint64    `json:"through"` // the log's last sequence at the export
	Head       string    `json:"head"`    // its hash
	// The checkpoint the export's chain starts after; absent: the log's start.
	FromSeq  uint64 `json:"from_seq,omitempty"`
	FromHead string `json:"from_head,omitempty"`
}

// VerifyExport checks an export against the signer's public key: the
// header, every event's hash and fields, the chain through events and gaps
// (from the header's checkpoint, else from the log's first event, seq 1) up
// to the head, and the signature over all lines before it.
func VerifyExport(r io.Reader, pub ed25519.PublicKey) (ExportSummary, error) {
	if len(pub) != ed25519.PublicKeySize {
		return ExportSummary{}, fmt.Errorf("audit: a public key of %d bytes, want %d", len(pub), ed25519.PublicKeySize)
	}
	ev := exportVerifier{pub: pub, sum: sha256.New(), chain: NewVerifier(Checkpoint{})}
	br := bufio.NewReader(r)
	for {
		line, err := br.ReadBytes('\n')
		if len(line) > 0 {
			ev.n++
			if perr := ev.line(line); perr != nil {
				return ExportSummary{}, perr
			}
			ev.sum.Write(line)
		}
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return ExportSummary{}, fmt.Errorf("audit: read export: %w", err)
		}
	}
	if !ev.signed {
		return ExportSummary{}, &ExportError{Reason: "no signature line at the end: the export is incomplete"}
	}
	return ev.summary, nil
}

type exportVerifier struct {
	pub     ed25519.PublicKey
	sum     hash.Hash
	chain   *Verifier
	hdr     ExportHeader
	n       int // lines read
	events  int
	signed  bool
	summary ExportSummary
}

func (ev *exportVerifier) fail(format string, a ...any) *ExportError {
	return &ExportError{Line: ev.n, Reason: fmt.Sprintf(format, a...)}
}

func (ev *exportVerifier) line(line []byte) *ExportError {
	var probe struct{ Type string }
	if err := json.Unmarshal(line, &probe); err != nil {
		return ev.fail("not JSON: %v", err)
	}
	switch {
	case ev.signed:
		return ev.fail("a line after the signature")
	case ev.n == 1 && probe.Type != LineHeader:
		return ev.fail("not a Kaskade audit export (no header line)")
	case ev.n > 1 && probe.Type == LineHeader:
		return ev.fail("a second header")
	}
	switch probe.Type {
	case LineHeader:
		return ev.header(line)
	case LineEvent:
		return ev.event(line)
	case LineGap:
		return ev.gap(line)
	case LineSignature:
		return ev.signature(line)
	}
	return ev.fail("unknown line type %q", probe.Type)
}

func (ev *exportVerifier) header(line []byte) *ExportError {
	if err := strict(line, &ev.hdr); err != nil {
		return ev.fail("header: %v", err)
	}
	if ev.hdr.Format != ExportFormat || ev.hdr.V != ExportVersion {
		return ev.fail("format %q version %d; this Kaskade reads %s version %d", ev.hdr.Format, ev.hdr.V, ExportFormat, ExportVersion)
	}
	if err := checkCheckpoint(ev.hdr); err != nil {
		return ev.fail("header: %v", err)
	}
	ev.chain = NewVerifier(ev.hdr.Checkpoint())
	return nil
}

func (ev *exportVerifier) event(line []byte) *ExportError {
	var e ExportEvent
	if err := strict(line, &e); err != nil {
		return ev.fail("event: %v", err)
	}
	raw := []byte(e.Event)
	if h := Hash(raw); h != e.Hash {
		return ev.fail("event %d was changed: its bytes hash to %.12s…, the line says %.12s…", e.Seq, h, e.Hash)
	}
	var stored struct {
		Incident, Kind, Prev string
		At                   time.Time
	}
	if err := json.Unmarshal(raw, &stored); err != nil {
		return ev.fail("event %d is not an event: %v", e.Seq, err)
	}
	if stored.Incident != ev.hdr.Incident || stored.Kind != e.Kind || stored.Prev != e.Prev || !stored.At.Equal(e.At) {
		return ev.fail("event %d: incident, kind, prev or time differ from the event itself", e.Seq)
	}
	if xe := ev.start(e.Seq); xe != nil {
		return xe
	}
	if b := ev.chain.Add(e.Seq, raw); b != nil {
		return ev.fail("chain broken at event %d: %s", b.Seq, b.Reason)
	}
	ev.events++
	return nil
}

func (ev *exportVerifier) gap(line []byte) *ExportError {
	var g ExportGap
	if err := strict(line, &g); err != nil {
		return ev.fail("gap: %v", err)
	}
	if xe := ev.start(g.From); xe != nil {
		return xe
	}
	if b := ev.chain.Bridge(g.From, g.To, g.Prev, g.Hash); b != nil {
		return ev.fail("chain broken at event %d: %s", b.Seq, b.Reason)
	}
	return nil
}

// start checks the first event or gap of an export without a checkpoint:
// its chain starts at the log's first event, so leading lines cut off (and
// the export re-signed) do not verify. From a checkpoint the chain checks it.
func (ev *exportVerifier) start(seq uint64) *ExportError {
	if ev.hdr.FromSeq != 0 || ev.chain.Result().Last != 0 || seq == 1 {
		return nil
	}
	missing := ""
	if seq > 1 {
		missing = fmt.Sprintf("; events 1 to %d are missing", seq-1)
	}
	return ev.fail("the chain starts at event %d, not at the log's first event 1: an export without a checkpoint "+
		"(from_seq, from_head) holds the log from its start%s", seq, missing)
}

func (ev *exportVerifier) signature(line []byte) *ExportError {
	var s ExportSignature
	if err := strict(line, &s); err != nil {
		return ev.fail("signature: %v", err)
	}
	digest := hex.EncodeToString(ev.sum.Sum(nil))
	res := ev.chain.Result()
	switch {
	case s.Alg != "Ed25519":
		return ev.fail("signature algorithm %q, want Ed25519", s.Alg)
	case s.Lines != ev.n-1 || s.SHA256 != digest:
		return ev.fail("the signed lines were changed, removed or added (%d lines, digest %.12s…; signed: %d lines, %.12s…)", ev.n-1, digest, s.Lines, s.SHA256)
	case s.Events != ev.events:
		return ev.fail("%d events, signed: %d", ev.events, s.Events)
	case res.Last != ev.hdr.Through || res.Head != s.Head:
		return ev.fail("the chain ends at %d (%.12s…), the export says %d (%.12s…)", res.Last, res.Head, ev.hdr.Through, s.Head)
	case s.KeyID != ev.hdr.KeyID:
		// The signature line itself is not signed: its key id must be the header's.
		return ev.fail("the signature line names key %s, the signed header key %s", s.KeyID, ev.hdr.KeyID)
	}
	sig, err := base64.StdEncoding.DecodeString(s.Sig)
	if err != nil || !ed25519.Verify(ev.pub, SignedMessage(digest), sig) {
		return ev.fail("the signature does not verify with the given public key (%s); the export names key %s", KeyID(ev.pub), s.KeyID)
	}
	ev.signed = true
	ev.summary = ExportSummary{Incident: ev.hdr.Incident, ExportedAt: ev.hdr.ExportedAt, KeyID: ev.hdr.KeyID,
		Events: ev.events, Through: ev.hdr.Through, Head: s.Head, FromSeq: ev.hdr.FromSeq, FromHead: ev.hdr.FromHead}
	return nil
}

// strict decodes one line, refusing unknown fields.
func strict(line []byte, v any) error {
	d := json.NewDecoder(bytes.NewReader(line))
	d.DisallowUnknownFields()
	return d.Decode(v)
}
