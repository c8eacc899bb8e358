package audit

import (
	"bytes"
	"crypto/ed25519"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/kaskade-bcm/kaskade/activation"
)

// mixedLog is a chained log of two incidents, K1 and K2, interleaved, after
// two events written before the chain: K1 has events at seq 3, 4, 7, 8 and 11.
func mixedLog(t *testing.T) []stored {
	t.Helper()
	var log []stored
	c := NewChain("")
	for i := range 12 {
		inc := "K2"
		if i == 2 || i == 3 || i == 6 || i == 7 || i == 10 {
			inc = "K1"
		}
		ev := activation.Event{V: 1, Incident: inc, Kind: activation.KindResponse, At: time.Unix(int64(i), 0).UTC(),
			Response: &activation.Response{Person: fmt.Sprintf("mi-p%d", i), Kind: activation.Available, Source: "sms"}}
		data, err := c.Link(&ev)
		if i < 2 { // legacy: no prev
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

func testKey(t *testing.T, seed byte) ed25519.PrivateKey {
	t.Helper()
	return ed25519.NewKeyFromSeed(bytes.Repeat([]byte{seed}, ed25519.SeedSize))
}

func export(t *testing.T, log []stored, incident string, key ed25519.PrivateKey) ([]byte, error) {
	t.Helper()
	return exportFrom(t, log, incident, key, Checkpoint{})
}

// exportFrom exports with the chain starting after the checkpoint cp.
func exportFrom(t *testing.T, log []stored, incident string, key ed25519.PrivateKey, cp Checkpoint) ([]byte, error) {
	t.Helper()
	var buf bytes.Buffer
	x, err := NewExporter(&buf, ExportHeader{Incident: incident, Stream: "EV", Through: log[len(log)-1].seq,
		ExportedAt: time.Date(2026, 12, 3, 10, 0, 0, 0, time.UTC), FromSeq: cp.Seq, FromHead: cp.Head}, key)
	if err != nil {
		return nil, err
	}
	for _, m := range log {
		if err := x.Add(m.seq, m.raw); err != nil {
			return nil, err
		}
	}
	_, err = x.Close()
	return buf.Bytes(), err
}

func encodeSig(b []byte) string { return base64.StdEncoding.EncodeToString(b) }

// lines splits an export into its lines, each with its newline.
func lines(b []byte) [][]byte {
	ls := bytes.SplitAfter(b, []byte("\n"))
	return ls[:len(ls)-1]
}

func TestAnExportVerifies(t *testing.T) {
	key := testKey(t, 1)
	log := mixedLog(t)
	out, err := export(t, log, "K1", key)
	if err != nil {
		t.Fatal(err)
	}
	// header, gap 1–2, 3, 4, gap 5–6, 7, 8, gap 9–10, 11, gap 12, signature
	var types []string
	for _, l := range lines(out) {
		var p struct{ Type string }
		if err := json.Unmarshal(l, &p); err != nil {
			t.Fatal(err)
		}
		types = append(types, p.Type)
	}
	if got := strings.Join(types, ","); got != "header,gap,event,event,gap,event,event,gap,event,gap,signature" {
		t.Fatalf("lines %s", got)
	}
	sum, err := VerifyExport(bytes.NewReader(out), key.Public().(ed25519.PublicKey))
	if err != nil {
		t.Fatal(err)
	}
	if sum.Incident != "K1" || sum.Events != 5 || sum.Through != 12 || sum.Head != Hash(log[11].raw) {
		t.Fatalf("summary %+v", sum)
	}
	if bytes.Contains(out, []byte(`mi-p4\"`)) || bytes.Contains(out, []byte(`mi-p9\"`)) || !bytes.Contains(out, []byte(`mi-p10\"`)) {
		t.Fatal("the export holds another incident's event")
	}
}

// resign replaces the signature line by a valid one over the other lines
// with key: an attacker holding a key of their own.
func resign(t *testing.T, ls [][]byte, key ed25519.PrivateKey) [][]byte {
	t.Helper()
	body := bytes.Join(ls[:len(ls)-1], nil)
	var s ExportSignature
	if err := json.Unmarshal(ls[len(ls)-1], &s); err != nil {
		t.Fatal(err)
	}
	sum := sha256.Sum256(body)
	s.SHA256 = fmt.Sprintf("%x", sum)
	s.Lines = len(ls) - 1
	s.Sig = encodeSig(ed25519.Sign(key, SignedMessage(s.SHA256)))
	b, _ := json.Marshal(s)
	return append(ls[:len(ls)-1:len(ls)-1], append(b, '\n'))
}

func TestATamperedExportIsDetected(t *testing.T) {
	key := testKey(t, 1)
	for _, tc := range []struct {
		name   string
		tamper func(ls [][]byte) [][]byte
		pub    ed25519.PublicKey
		line   int // the line named, 0: the whole file
		reason string
	}{
		{"changed event", func(ls [][]byte) [][]byte {
			ls[3] = bytes.Replace(ls[3], []byte(`available`), []byte(`unavailable`), 1)
			return ls
		}, nil, 4, "was changed"},
		{"changed event with its hash fixed", func(ls [][]byte) [][]byte {
			var e ExportEvent
			_ = json.Unmarshal(ls[3], &e)
			e.Event = strings.Replace(e.Event, `available`, `unavailable`, 1)
			e.Hash = Hash([]byte(e.Event))
			ls[3], _ = json.Marshal(e)
			ls[3] = append(ls[3], '\n')
			return ls
		}, nil, 5, "chain broken at event 5"},
		{"changed header", func(ls [][]byte) [][]byte {
			ls[0] = bytes.Replace(ls[0], []byte(`2026-12-03`), []byte(`2026-12-04`), 1)
			return ls
		}, nil, 11, "signed lines were changed"},
		{"removed event", func(ls [][]byte) [][]byte { return append(ls[:5:5], ls[6:]...) }, nil, 6, "missing"},
		{"removed gap", func(ls [][]byte) [][]byte { return append(ls[:4:4], ls[5:]...) }, nil, 5, "missing"},
		{"removed event, re-signed", func(ls [][]byte) [][]byte {
			return resign(t, append(ls[:5:5], ls[6:]...), key)
		}, nil, 6, "missing"},
		{"reordered events", func(ls [][]byte) [][]byte {
			ls[5], ls[6] = ls[6], ls[5]
			return ls
		}, nil, 6, "missing"},
		{"removed signature", func(ls [][]byte) [][]byte { return ls[:len(ls)-1] }, nil, 0, "no signature"},
		{"line after the signature", func(ls [][]byte) [][]byte { return append(ls, ls[2]) }, nil, 12, "after the signature"},
		{"wrong key", func(ls [][]byte) [][]byte { return ls }, testKey(t, 2).Public().(ed25519.PublicKey), 11, "does not verify with the given public key"},
		{"re-signed with another key", func(ls [][]byte) [][]byte { return resign(t, ls, testKey(t, 2)) }, nil, 11, "does not verify"},
		{"key id of the signature line changed", func(ls [][]byte) [][]byte {
			var sig ExportSignature
			_ = json.Unmarshal(ls[len(ls)-1], &sig)
			sig.KeyID = KeyID(testKey(t, 2).Public().(ed25519.PublicKey))
			ls[len(ls)-1], _ = json.Marshal(sig)
			ls[len(ls)-1] = append(ls[len(ls)-1], '\n')
			return ls
		}, nil, 11, "key"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			out, err := export(t, mixedLog(t), "K1", key)
			if err != nil {
				t.Fatal(err)
			}
			pub := tc.pub
			if pub == nil {
				pub = key.Public().(ed25519.PublicKey)
			}
			_, err = VerifyExport(bytes.NewReader(bytes.Join(tc.tamper(lines(out)), nil)), pub)
			var xe *ExportError
			if !errors.As(err, &xe) || xe.Line != tc.line || !strings.Contains(xe.Reason, tc.reason) {
				t.Fatalf("got %v, want line %d: %q", err, tc.line, tc.reason)
			}
		})
	}
}

// TestAnExportWithoutACheckpointStartsAtTheLogsStart: without a checkpoint
// the chain in an export starts at seq 1, so an export whose first lines
// were cut off (and re-signed with the right key) does not verify, even
// where the chain alone would hold (before it began, or from Genesis).
func TestAnExportWithoutACheckpointStartsAtTheLogsStart(t *testing.T) {
	key := testKey(t, 1)
	// moveGap starts the first line, a gap, at seq from.
	moveGap := func(from uint64) func([][]byte) [][]byte {
		return func(ls [][]byte) [][]byte {
			var g ExportGap
			_ = json.Unmarshal(ls[1], &g)
			g.From = from
			ls[1], _ = json.Marshal(g)
			ls[1] = append(ls[1], '\n')
			return resign(t, ls, key)
		}
	}
	for _, tc := range []struct {
		name     string
		log      []stored
		incident string
		tamper   func([][]byte) [][]byte
		reason   string
	}{
		{"gap before the chain shortened", mixedLog(t), "K1", moveGap(2), "starts at event 2, not at the log's first event 1"},
		{"gap from Genesis shortened", foreignLog(t, "K9")[:4], "K2", moveGap(3), "events 1 to 2 are missing"},
		{"first event before the chain cut off", mixedLog(t), "K2", func(ls [][]byte) [][]byte {
			ls = append(ls[:1:1], ls[2:]...)
			var sig ExportSignature
			_ = json.Unmarshal(ls[len(ls)-1], &sig)
			sig.Events--
			ls[len(ls)-1], _ = json.Marshal(sig)
			return resign(t, ls, key)
		}, "starts at event 2"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			out, err := export(t, tc.log, tc.incident, key)
			if err != nil {
				t.Fatal(err)
			}
			pub := key.Public().(ed25519.PublicKey)
			if _, err := VerifyExport(bytes.NewReader(out), pub); err != nil {
				t.Fatalf("untampered: %v", err)
			}
			_, err = VerifyExport(bytes.NewReader(bytes.Join(tc.tamper(lines(out)), nil)), pub)
			var xe *ExportError
			if !errors.As(err, &xe) || xe.Line != 2 || !strings.Contains(xe.Reason, tc.reason) {
				t.Fatalf("got %v, want line 2: %q", err, tc.reason)
			}
		})
	}
	// The exporter refuses what the verifier would: a log whose first events were deleted.
	if _, err := export(t, mixedLog(t)[1:], "K1", key); err == nil || !strings.Contains(err.Error(), "starts at event 2, not 1") {
		t.Fatalf("a log starting at seq 2: %v", err)
	}
}

func TestABrokenLogIsNotExported(t *testing.T) {
	log := mixedLog(t)
	log[4].raw = bytes.Replace(log[4].raw, []byte(`"available"`), []byte(`"unavailable"`), 1)
	var b *Break
	if _, err := export(t, log, "K1", testKey(t, 1)); !errors.As(err, &b) || b.Seq != 6 {
		t.Fatalf("got %v, want the break at 6", err)
	}
	if _, err := export(t, mixedLog(t), "K9", testKey(t, 1)); !errors.Is(err, ErrNoEvents) {
		t.Fatalf("unknown incident: %v", err)
	}
}

func TestKeysReadBack(t *testing.T) {
	key := testKey(t, 3)
	priv, err := MarshalPrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	pub, _ := MarshalPublicKey(key.Public().(ed25519.PublicKey))
	for _, tc := range []struct {
		name      string
		priv, pub []byte
	}{
		{"pem", priv, pub},
		{"base64", []byte(encodeSig(key.Seed()) + "\n"), []byte(encodeSig(key.Public().(ed25519.PublicKey)))},
	} {
		t.Run(tc.name, func(t *testing.T) {
			k, err := ParsePrivateKey(tc.priv)
			if err != nil || !k.Equal(key) {
				t.Fatalf("private: %v", err)
			}
			p, err := ParsePublicKey(tc.pub)
			if err != nil || !p.Equal(key.Public()) {
				t.Fatalf("public: %v", err)
			}
		})
	}
	if _, err := ParsePrivateKey([]byte("geheim")); err == nil || strings.Contains(err.Error(), "geheim") {
		t.Fatalf("a bad key: %v", err)
	}
}
