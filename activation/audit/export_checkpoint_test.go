package audit

import (
	"bytes"
	"crypto/ed25519"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/kaskade-bcm/kaskade/activation"
)

// foreignLog is a chained log with a message not written by the engine at
// seq 5, to which the engine chained its next event (as loadHead does):
// K1 at 1–3, K2 at 4, 6 and 8, K3 at 7 and 9. The foreign message names
// the incident foreignFor.
func foreignLog(t *testing.T, foreignFor string) []stored {
	t.Helper()
	var log []stored
	c := NewChain("")
	incidents := []string{"K1", "K1", "K1", "K2", "", "K2", "K3", "K2", "K3"}
	for i, inc := range incidents {
		if inc == "" {
			raw := []byte(`{"v":1,"incident":"` + foreignFor + `","kind":"stood_down"}`)
			log = append(log, stored{uint64(i + 1), raw})
			c.Reset(Hash(raw))
			continue
		}
		ev := activation.Event{V: 1, Incident: inc, Kind: activation.KindResponse, At: time.Unix(int64(i), 0).UTC(),
			Response: &activation.Response{Person: fmt.Sprintf("mi-p%d", i), Kind: activation.Available, Source: "sms"}}
		data, err := c.Link(&ev)
		if err != nil {
			t.Fatal(err)
		}
		log = append(log, stored{uint64(i + 1), data})
	}
	return log
}

// TestVerifyNamesTheCheckpointAfterAForeignMessage: the verifier names
// the foreign message as the break, with its hash, and a verification
// from that checkpoint finds the rest of the chain intact.
func TestVerifyNamesTheCheckpointAfterAForeignMessage(t *testing.T) {
	log := foreignLog(t, "K9")
	res := verify(log, Checkpoint{})
	if res.Break == nil || res.Break.Seq != 5 || res.Break.Hash != Hash(log[4].raw) {
		t.Fatalf("break %+v, want seq 5 with the foreign message's hash", res.Break)
	}
	cp, ok := res.Break.Resume()
	if !ok || cp != (Checkpoint{Seq: 5, Head: Hash(log[4].raw)}) {
		t.Fatalf("resume %+v %v", cp, ok)
	}
	if rest := verify(log, cp); rest.Break != nil || rest.From != 6 || rest.Last != 9 || rest.Events != 4 {
		t.Fatalf("from the checkpoint: %+v", rest)
	}
	if b := (&Break{Seq: 3}); func() bool { _, ok := b.Resume(); return ok }() {
		t.Fatal("a break without a hash offers a checkpoint")
	}
}

func TestAnExportFromACheckpoint(t *testing.T) {
	key := testKey(t, 1)
	log := foreignLog(t, "K9")
	cp := Checkpoint{Seq: 5, Head: Hash(log[4].raw)}
	var b *Break
	if _, err := export(t, log, "K3", key); !errors.As(err, &b) || b.Seq != 5 {
		t.Fatalf("without a checkpoint: %v, want the break at 5", err)
	}
	out, err := exportFrom(t, log, "K3", key, cp)
	if err != nil {
		t.Fatal(err)
	}
	var types []string
	for _, l := range lines(out) {
		var p struct{ Type string }
		if err := json.Unmarshal(l, &p); err != nil {
			t.Fatal(err)
		}
		types = append(types, p.Type)
	}
	if got := strings.Join(types, ","); got != "header,gap,event,gap,event,signature" {
		t.Fatalf("lines %s", got)
	}
	var hdr ExportHeader
	if err := json.Unmarshal(lines(out)[0], &hdr); err != nil || hdr.Checkpoint() != cp {
		t.Fatalf("header %+v: %v", hdr, err)
	}
	sum, err := VerifyExport(bytes.NewReader(out), key.Public().(ed25519.PublicKey))
	if err != nil {
		t.Fatal(err)
	}
	if sum.FromSeq != 5 || sum.FromHead != cp.Head || sum.Events != 2 || sum.Through != 9 || sum.Head != Hash(log[8].raw) {
		t.Fatalf("summary %+v", sum)
	}
	// An export from the log's start names no checkpoint: older exports read the same.
	if plain, err := export(t, mixedLog(t), "K1", key); err != nil || bytes.Contains(plain, []byte(`"from_`)) {
		t.Fatalf("an export without a checkpoint: %v\n%s", err, plain)
	}
}

// TestAnExportFromACheckpointOmitsNoEventOfTheIncident: an incident with
// events at or before the checkpoint is refused, naming them.
func TestAnExportFromACheckpointOmitsNoEventOfTheIncident(t *testing.T) {
	for _, tc := range []struct {
		name, incident, foreignFor string
		want                       []uint64
	}{
		{"before the break", "K1", "K9", []uint64{1, 2, 3}},
		{"on both sides", "K2", "K9", []uint64{4}},
		{"the foreign message names it", "K3", "K3", []uint64{5}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			log := foreignLog(t, tc.foreignFor)
			_, err := exportFrom(t, log, tc.incident, testKey(t, 1), Checkpoint{Seq: 5, Head: Hash(log[4].raw)})
			var ee *EarlyEventsError
			if !errors.As(err, &ee) || !slices.Equal(ee.Seqs, tc.want) || ee.From != 5 {
				t.Fatalf("got %v, want the events %v named", err, tc.want)
			}
		})
	}
}

func TestAnExportFromABadCheckpointIsRefused(t *testing.T) {
	log := foreignLog(t, "K9")
	h := Hash(log[4].raw)
	// The checkpoint's message altered in the store after its head was
	// recorded (the next event's prev still names the original), or removed.
	changed := slices.Clone(log)
	changed[4] = stored{5, []byte(`{"v":1,"incident":"K9","kind":"stood_down","x":1}`)}
	removed := slices.Delete(slices.Clone(log), 4, 5)
	for _, tc := range []struct {
		name string
		log  []stored
		cp   Checkpoint
		want string
	}{
		{"a wrong head", log, Checkpoint{Seq: 5, Head: Hash(log[3].raw)}, "chain broken at seq 5"},
		{"the wrong sequence", log, Checkpoint{Seq: 4, Head: h}, "chain broken at seq 4"},
		{"no head", log, Checkpoint{Seq: 5}, "checkpoint seq 5"},
		{"an upper-case head", log, Checkpoint{Seq: 5, Head: strings.ToUpper(h)}, "checkpoint seq 5"},
		{"at the last event", log, Checkpoint{Seq: 9, Head: Hash(log[8].raw)}, "not before the log's last event"},
		{"the checkpoint's event changed since", changed, Checkpoint{Seq: 5, Head: h}, "changed after the head was recorded"},
		{"the checkpoint's event removed", removed, Checkpoint{Seq: 5, Head: h}, "checkpoint's event 5 is not in the log"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if _, err := exportFrom(t, tc.log, "K3", testKey(t, 1), tc.cp); err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("got %v, want %q", err, tc.want)
			}
		})
	}
	var buf bytes.Buffer
	x, err := NewExporter(&buf, ExportHeader{Incident: "K3", Through: 9, FromSeq: 5, FromHead: h}, testKey(t, 1))
	if err != nil {
		t.Fatal(err)
	}
	for _, m := range log[5:] { // not from the log's start
		if err := x.Add(m.seq, m.raw); err == nil || !strings.Contains(err.Error(), "from its start") {
			t.Fatalf("skipping the events before the checkpoint: %v", err)
		}
	}
}

// TestATamperedExportCheckpointIsDetected: the checkpoint is signed with the
// header, and the chain in the export must start at it.
func TestATamperedExportCheckpointIsDetected(t *testing.T) {
	key := testKey(t, 1)
	log := foreignLog(t, "K9")
	out, err := exportFrom(t, log, "K3", key, Checkpoint{Seq: 5, Head: Hash(log[4].raw)})
	if err != nil {
		t.Fatal(err)
	}
	header := func(f func(h *ExportHeader)) func([][]byte) [][]byte {
		return func(ls [][]byte) [][]byte {
			var h ExportHeader
			_ = json.Unmarshal(ls[0], &h)
			f(&h)
			ls[0], _ = json.Marshal(h)
			ls[0] = append(ls[0], '\n')
			return ls
		}
	}
	for _, tc := range []struct {
		name   string
		tamper func([][]byte) [][]byte
		line   int
		reason string
	}{
		{"checkpoint removed", header(func(h *ExportHeader) { h.FromSeq, h.FromHead = 0, "" }), 2, "starts at event 6"},
		{"head removed", header(func(h *ExportHeader) { h.FromHead = "" }), 1, "checkpoint"},
		{"checkpoint removed, re-signed", func(ls [][]byte) [][]byte {
			return resign(t, header(func(h *ExportHeader) { h.FromSeq, h.FromHead = 0, "" })(ls), key)
		}, 2, "starts at event 6"},
		{"other head, re-signed", func(ls [][]byte) [][]byte {
			return resign(t, header(func(h *ExportHeader) { h.FromHead = Hash(nil) })(ls), key)
		}, 2, "chain broken at event 6"},
		{"checkpoint moved", header(func(h *ExportHeader) { h.FromSeq = 4 }), 2, "missing"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := VerifyExport(bytes.NewReader(bytes.Join(tc.tamper(lines(out)), nil)), key.Public().(ed25519.PublicKey))
			var xe *ExportError
			if !errors.As(err, &xe) || xe.Line != tc.line || !strings.Contains(xe.Reason, tc.reason) {
				t.Fatalf("got %v, want line %d: %q", err, tc.line, tc.reason)
			}
		})
	}
}
