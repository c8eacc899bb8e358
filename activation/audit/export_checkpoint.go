package audit

import (
	"encoding/json"
	"fmt"
	"regexp"
	"strings"
)

// An export may start at a checkpoint after a break that was investigated
// (kaskade audit verify names it and its checkpoint). The header records
// the checkpoint, and an incident with events up to it is refused whole.

// checkpointHead is a checkpoint's head: a hash or a prefix of at least 128 bits.
var checkpointHead = regexp.MustCompile(`^[0-9a-f]{32,64}$`)

// checkCheckpoint checks a header's checkpoint: none, or a sequence before
// Through with a head.
func checkCheckpoint(h ExportHeader) error {
	switch {
	case h.FromSeq == 0 && h.FromHead == "":
		return nil
	case h.FromSeq == 0 || !checkpointHead.MatchString(h.FromHead):
		return fmt.Errorf("audit: checkpoint seq %d head %q: want a sequence with the lower-case hex hash (32 to 64 digits) of its stored event", h.FromSeq, h.FromHead)
	case h.FromSeq >= h.Through:
		return fmt.Errorf("audit: checkpoint %d is not before the log's last event %d", h.FromSeq, h.Through)
	}
	return nil
}

// EarlyEventsError refuses an export from a checkpoint that would leave
// out events of the incident: Seqs are those at or before the checkpoint.
type EarlyEventsError struct {
	Incident string
	From     uint64 // the checkpoint's sequence
	Seqs     []uint64
}

func (e *EarlyEventsError) Error() string {
	return fmt.Sprintf("audit: incident %q has %d event(s) at or before the checkpoint %d (seq %s): an export from there would leave them out",
		e.Incident, len(e.Seqs), e.From, SeqList(e.Seqs))
}

// SeqList names up to ten sequences, then how many more.
func SeqList(seqs []uint64) string {
	var b strings.Builder
	for i, s := range seqs {
		if i == 10 {
			fmt.Fprintf(&b, " … (+%d)", len(seqs)-i)
			break
		}
		if i > 0 {
			b.WriteString(", ")
		}
		fmt.Fprint(&b, s)
	}
	return b.String()
}

// beforeCheckpoint notes the stored message seq if it is the incident's.
// It is outside the verified chain and may be no event at all (a foreign
// message), which names no incident.
func (x *Exporter) beforeCheckpoint(seq uint64, raw []byte) {
	x.looked++
	var ev struct{ Incident string }
	if json.Unmarshal(raw, &ev) == nil && ev.Incident == x.hdr.Incident {
		x.early = append(x.early, seq)
	}
}

// earlyEvents refuses the export once the incident had events up to the
// checkpoint, or when none of those were looked at (read from the start).
func (x *Exporter) earlyEvents() error {
	switch {
	case x.hdr.FromSeq > 0 && x.looked == 0:
		return fmt.Errorf("audit: an export from checkpoint %d must read the log from its start, to find the incident's events before it", x.hdr.FromSeq)
	case len(x.early) > 0:
		return &EarlyEventsError{Incident: x.hdr.Incident, From: x.hdr.FromSeq, Seqs: x.early}
	}
	return nil
}
