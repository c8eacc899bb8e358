package engine

import (
	"bytes"
	"encoding/json"
	"fmt"
	"sync"
	"testing"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/kaskade-bcm/kaskade/activation/engine/enginetest"
)

// Loads are single-flight: callers that come while one reads wait for it
// and find the cache loaded, and a load that a forget overtook installs
// nothing (the next use reads again).
func TestKeysLoadSingleFlight(t *testing.T) {
	js := embeddedJS(t)
	ctx := t.Context()
	writer, reader := newKeyring(Layout{}, js), newKeyring(Layout{}, js)
	pending := makeNewKeys()
	ref, err := writer.personRef("p1", pending)
	if err != nil {
		t.Fatal(err)
	}
	if err := writer.create(ctx, pending); err != nil {
		t.Fatal(err)
	}

	var wg sync.WaitGroup
	for range 8 {
		wg.Go(func() {
			if err := reader.ensureLoaded(ctx); err != nil {
				t.Error(err)
			}
		})
	}
	wg.Wait()
	if n := reader.reads.Load(); n != 1 {
		t.Errorf("8 concurrent ensureLoaded read the bucket %d times, want 1", n)
	}
	if got := reader.ref("p1"); got != ref {
		t.Fatalf("ref %q, want %q", got, ref)
	}

	reader.forget()
	reader.afterRead = reader.forget // a forget while the load reads
	if err := reader.ensureLoaded(ctx); err != nil {
		t.Fatal(err)
	}
	if reader.isLoaded() || reader.ref("p1") != "" {
		t.Error("a load overtaken by a forget installed its keys")
	}
	reader.afterRead = nil
	if err := reader.ensureLoaded(ctx); err != nil {
		t.Fatal(err)
	}
	if !reader.isLoaded() || reader.ref("p1") != ref {
		t.Error("the next use did not load the keys")
	}
}

// A bucket with one message per key is read unfiltered, one that keeps a
// history per key (made elsewhere) by the last message per key: both give
// each key's last value and leave deleted keys out.
func TestKeysLoadReadsLastValues(t *testing.T) {
	for _, history := range []int64{1, 5} {
		t.Run(fmt.Sprintf("history %d", history), func(t *testing.T) {
			_, js := enginetest.JetStream(t)
			ctx := t.Context()
			l := Layout{}
			subj := "$KV." + l.KeysBucket() + "."
			if _, err := js.CreateStream(ctx, jetstream.StreamConfig{Name: "KV_" + l.KeysBucket(), Subjects: []string{subj + ">"},
				MaxMsgsPerSubject: history, AllowRollup: true}); err != nil {
				t.Fatal(err)
			}
			rec := func(person string, b byte) []byte {
				data, err := json.Marshal(keyRecord{Person: person, Key: bytes.Repeat([]byte{b}, 32)})
				if err != nil {
					t.Fatal(err)
				}
				return data
			}
			for _, m := range []*nats.Msg{
				{Subject: subj + "p.aa", Data: rec("alice", 1)},
				{Subject: subj + "p.aa", Data: rec("alice", 2)},
				{Subject: subj + "p.bb", Data: rec("bob", 3)},
				{Subject: subj + "p.bb", Header: nats.Header{kvOperation: []string{"DEL"}}},
				{Subject: subj + "i.K1", Data: rec("", 4)},
			} {
				if _, err := js.PublishMsg(ctx, m); err != nil {
					t.Fatal(err)
				}
			}
			k := newKeyring(l, js)
			if err := k.load(ctx); err != nil {
				t.Fatal(err)
			}
			if got := k.ref("alice"); got != "aa" {
				t.Errorf("alice's ref %q, want aa", got)
			}
			if got := k.ref("bob"); got != "" {
				t.Errorf("deleted bob's ref %q, want none", got)
			}
			k.mu.RLock()
			defer k.mu.RUnlock()
			if got, _ := k.keys.get("p.aa"); len(got) != 32 || got[0] != 2 {
				t.Errorf("p.aa = %v, want the last value", got)
			}
			if got, _ := k.keys.get("i.K1"); len(got) != 32 || got[0] != 4 {
				t.Errorf("i.K1 = %v", got)
			}
			if _, ok := k.keys.get("p.bb"); ok {
				t.Error("deleted key p.bb cached")
			}
		})
	}
}

// A start reads the keys beside the snapshot; once Settled they are
// loaded, and the engine leads.
func TestSettledAfterKeysLoaded(t *testing.T) {
	js := embeddedJS(t)
	e, _ := startEngine(t, js, 0)
	waitFor(t, "settled", e.Settled)
	if !e.Ready() || !e.keys.isLoaded() {
		t.Errorf("settled with ready %v, keys loaded %v", e.Ready(), e.keys.isLoaded())
	}
	waitFor(t, "leading", e.Leader)
}
