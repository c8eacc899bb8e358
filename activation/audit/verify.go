package audit

import (
	"cmp"
	"encoding/json"
	"fmt"
	"strings"
)

// Checkpoint is where a verification starts: after the stored event Seq
// whose hash is Head (or its first 32 or more hex digits, as an engine
// snapshot records it). The zero Checkpoint is the start.
type Checkpoint struct {
	Seq  uint64 `json:"seq"`
	Head string `json:"head"`
}

// Break is the first place the chain does not hold.
type Break struct {
	Seq    uint64 `json:"seq"` // the event that does not follow its predecessor
	Reason string `json:"reason"`
	// Hash of the stored message at Seq ("" when unknown): the engine
	// chains its next event to it, so Resume can go on after the break.
	Hash string `json:"hash,omitempty"`
}

// Resume is the checkpoint after the break's stored message, from which a
// verification or an export may continue once the break is investigated;
// false when the message's hash is unknown.
func (b *Break) Resume() (Checkpoint, bool) {
	return Checkpoint{Seq: b.Seq, Head: b.Hash}, b.Hash != ""
}

func (b *Break) Error() string {
	return fmt.Sprintf("audit: chain broken at seq %d: %s", b.Seq, b.Reason)
}

// Result sums up a verification.
type Result struct {
	From      uint64 `json:"from"`      // first sequence checked
	Last      uint64 `json:"last"`      // last sequence checked
	Events    int    `json:"events"`    // events checked
	Unchained int    `json:"unchained"` // leading events written before the chain was on
	Head      string `json:"head"`      // hash of the last event
	Break     *Break `json:"break,omitempty"`
}

// Verifier checks stored events in sequence order; Add returns the first
// break and every later call returns it again.
type Verifier struct {
	res     Result
	chained bool
	cp      Checkpoint
}

// NewVerifier starts after the checkpoint.
func NewVerifier(cp Checkpoint) *Verifier {
	return &Verifier{res: Result{From: cp.Seq + 1, Last: cp.Seq, Head: cp.Head}, chained: cp.Head != "", cp: cp}
}

// Anchor checks the first stored message at or after the checkpoint's
// sequence (seq 0: none): it must be the checkpoint's event and still hash
// to its head. The next event's prev names the head as recorded, so a
// change of the checkpoint's event shows only here.
func (v *Verifier) Anchor(seq uint64, raw []byte) *Break {
	if v.res.Break != nil || v.cp.Seq == 0 {
		return v.res.Break
	}
	switch h := Hash(raw); {
	case seq != v.cp.Seq:
		v.res.Break = &Break{Seq: v.cp.Seq, Reason: fmt.Sprintf("the checkpoint's event %d is not in the log: it was removed", v.cp.Seq)}
	case len(v.cp.Head) < 32 || !strings.HasPrefix(h, v.cp.Head):
		v.res.Break = &Break{Seq: seq, Reason: fmt.Sprintf("it hashes to %.12s…, not to the checkpoint's head %.12s…: it was changed after the head was recorded",
			h, v.cp.Head), Hash: h}
	}
	return v.res.Break
}

// Add checks the stored message seq with data raw.
func (v *Verifier) Add(seq uint64, raw []byte) *Break {
	if v.res.Break != nil {
		return v.res.Break
	}
	if b := v.check(seq, raw); b != nil {
		b.Hash = Hash(raw)
		v.res.Break = b
		return b
	}
	v.res.Last, v.res.Head = seq, Hash(raw)
	v.res.Events++
	return nil
}

// Missing records a break when the log's last sequence is beyond the last
// event checked: the events after it were deleted (no later event links
// over the gap, so only the stream's sequence shows it).
func (v *Verifier) Missing(last uint64) *Break {
	if v.res.Break != nil || last <= v.res.Last {
		return v.res.Break
	}
	v.res.Break = &Break{Seq: v.res.Last + 1, Reason: fmt.Sprintf("events %d to %d are missing: the log's last sequence is %d", v.res.Last+1, last, last)}
	return v.res.Break
}

// Bridge accepts the stored events from to last, of which only the first's
// prev and the last's hash head are known (an export leaves out other
// incidents' events): the chain must run on through them.
func (v *Verifier) Bridge(from, last uint64, prev, head string) *Break {
	if v.res.Break != nil {
		return v.res.Break
	}
	if last < from {
		v.res.Break = &Break{Seq: from, Reason: fmt.Sprintf("a range of events ending at %d before it begins", last)}
		return v.res.Break
	}
	if b := v.checkLink(from, prev); b != nil {
		v.res.Break = b
		return b
	}
	v.res.Last, v.res.Head = last, head
	v.res.Events += int(last - from + 1)
	return nil
}

func (v *Verifier) check(seq uint64, raw []byte) *Break {
	var link struct {
		Prev string `json:"prev"`
	}
	if err := json.Unmarshal(raw, &link); err != nil {
		return &Break{Seq: seq, Reason: "not an event: " + err.Error()}
	}
	return v.checkLink(seq, link.Prev)
}

// checkLink checks that the event seq with the given prev follows the last one.
func (v *Verifier) checkLink(seq uint64, prev string) *Break {
	if v.res.Last != 0 && seq != v.res.Last+1 {
		return &Break{Seq: seq, Reason: fmt.Sprintf("follows seq %d: events %d to %d are missing", v.res.Last, v.res.Last+1, seq-1)}
	}
	switch {
	case prev == "" && !v.chained:
		v.res.Unchained++
		return nil
	case prev == "":
		return &Break{Seq: seq, Reason: "carries no hash of its predecessor, though the chain had begun"}
	case !v.follows(prev):
		return &Break{Seq: seq, Reason: fmt.Sprintf("its prev %.12s… is not the hash %.12s… of seq %d: an event was changed, removed or reordered",
			prev, cmp.Or(v.res.Head, Genesis), v.res.Last)}
	}
	v.chained = true
	return nil
}

// follows reports whether prev is the hash of the event before. A
// checkpoint's head may be a prefix of at least 32 hex digits: an engine
// snapshot records the first 128 bits of the hash of its last event.
func (v *Verifier) follows(prev string) bool {
	want := cmp.Or(v.res.Head, Genesis)
	if v.res.Events == 0 && v.res.Unchained == 0 && len(want) >= 32 && len(want) < len(prev) {
		return strings.HasPrefix(prev, want)
	}
	return prev == want
}

// Result is the outcome so far.
func (v *Verifier) Result() Result { return v.res }
