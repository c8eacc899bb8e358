package audit

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/kaskade-bcm/kaskade/activation"
)

type stored struct {
	seq uint64
	raw []byte
}

// chained writes n events through a Chain after the given legacy events.
func chained(t *testing.T, legacy, n int) []stored {
	t.Helper()
	var log []stored
	c := NewChain("")
	for i := range legacy + n {
		ev := activation.Event{V: 1, Incident: "K1", Kind: activation.KindResponse, At: time.Unix(int64(i), 0).UTC(),
			Response: &activation.Response{Person: fmt.Sprintf("mi-p%d", i), Kind: activation.Available, Source: "sms"}}
		data, err := c.Link(&ev)
		if i < legacy { // written before the chain: no prev
			ev.Prev = ""
			data, err = json.Marshal(ev)
			c.Reset(Hash(data))
		}
		if err != nil {
			t.Fatal(err)
		}
		log = append(log, stored{uint64(i + 1), data})
	}
	return log
}

// mustStrip removes a "prev" member from an event's JSON.
func mustStrip(t *testing.T, data []byte) []byte {
	t.Helper()
	i := bytes.Index(data, []byte(`,"prev":"`))
	if i < 0 {
		return data
	}
	j := bytes.IndexByte(data[i+9:], '"')
	return append(append([]byte{}, data[:i]...), data[i+9+j+1:]...)
}

func verify(log []stored, cp Checkpoint) Result {
	v := NewVerifier(cp)
	for _, m := range log {
		if m.seq <= cp.Seq {
			continue
		}
		if v.Add(m.seq, m.raw) != nil {
			break
		}
	}
	return v.Result()
}

func TestTheChainNamesTheFirstBreak(t *testing.T) {
	for _, tc := range []struct {
		name   string
		legacy int
		tamper func(log []stored) []stored
		at     uint64 // 0: intact
		reason string
	}{
		{"intact", 0, func(l []stored) []stored { return l }, 0, ""},
		{"intact after legacy events", 3, func(l []stored) []stored { return l }, 0, ""},
		{"changed", 0, func(l []stored) []stored {
			l[4].raw = bytes.Replace(l[4].raw, []byte(`"available"`), []byte(`"unavailable"`), 1)
			return l
		}, 6, "changed, removed or reordered"},
		{"changed legacy event", 3, func(l []stored) []stored {
			l[2].raw = bytes.Replace(l[2].raw, []byte(`"available"`), []byte(`"unavailable"`), 1)
			return l
		}, 4, "changed, removed or reordered"},
		{"removed, sequence gap", 0, func(l []stored) []stored { return append(l[:4:4], l[5:]...) }, 6, "missing"},
		{"removed, renumbered", 0, func(l []stored) []stored {
			l = append(l[:4:4], l[5:]...)
			for i := range l {
				l[i].seq = uint64(i + 1)
			}
			return l
		}, 5, "changed, removed or reordered"},
		{"reordered", 0, func(l []stored) []stored {
			l[3].raw, l[4].raw = l[4].raw, l[3].raw
			return l
		}, 4, "changed, removed or reordered"},
		{"prev stripped after the start", 0, func(l []stored) []stored {
			l[7].raw = mustStrip(t, l[7].raw)
			return l
		}, 8, "no hash"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			res := verify(tc.tamper(chained(t, tc.legacy, 10-tc.legacy)), Checkpoint{})
			switch {
			case tc.at == 0 && res.Break != nil:
				t.Fatalf("intact log broken: %v", res.Break)
			case tc.at == 0 && (res.Events != 10 || res.Unchained != tc.legacy):
				t.Fatalf("checked %d events, %d unchained; want 10 and %d", res.Events, res.Unchained, tc.legacy)
			case tc.at != 0 && (res.Break == nil || res.Break.Seq != tc.at || !strings.Contains(res.Break.Reason, tc.reason)):
				t.Fatalf("break %v, want at seq %d: %q", res.Break, tc.at, tc.reason)
			}
		})
	}
}

func TestVerificationStartsAtACheckpoint(t *testing.T) {
	log := chained(t, 0, 10)
	cp := Checkpoint{Seq: 6, Head: Hash(log[5].raw)}
	if res := verify(log, cp); res.Break != nil || res.Events != 4 || res.From != 7 || res.Head != Hash(log[9].raw) {
		t.Fatalf("from the checkpoint: %+v", res)
	}
	if res := verify(log, Checkpoint{Seq: 6, Head: Hash(log[5].raw)[:32]}); res.Break != nil || res.Events != 4 {
		t.Fatalf("from a snapshot's 128-bit head: %+v", res)
	}
	if res := verify(log, Checkpoint{Seq: 6, Head: Hash(log[4].raw)}); res.Break == nil || res.Break.Seq != 7 {
		t.Fatalf("a wrong checkpoint head: %+v, want a break at 7", res)
	}
}
