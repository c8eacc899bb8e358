package engine

import (
	"context"
	"encoding/json"
	"sync"
	"testing"

	"github.com/nats-io/nats.go/jetstream"
)

// startSealedElected runs a sealing engine elected by lease as instance
// name; stop ends it (releasing the lease).
func startSealedElected(t *testing.T, js jetstream.JetStream, name string, people func() []string) (*Engine, func()) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	lease, err := NewLease(ctx, js, Layout{}, name, nil)
	if err != nil {
		t.Fatal(err)
	}
	e := New(Options{JS: js, Seal: true, People: people, Elector: lease, SnapshotEvery: -1})
	done := make(chan struct{})
	go func() {
		defer close(done)
		_ = e.Run(ctx)
	}()
	stop := func() { cancel(); <-done }
	t.Cleanup(stop)
	return e, stop
}

// personKeyRecords counts the p.* records in the bucket naming person.
func personKeyRecords(t *testing.T, e *Engine, person string) int {
	t.Helper()
	refs, err := e.keys.personRefs(context.Background(), person)
	if err != nil {
		t.Fatal(err)
	}
	return len(refs)
}

// assertErased fails if any event of the log, read by a fresh instance,
// still names person in clear (and if none names an erased stand-in).
func assertErased(t *testing.T, js jetstream.JetStream, person string) {
	t.Helper()
	erased := false
	for _, ev := range openLog(t, New(Options{JS: js})) {
		if ev.Tier == nil {
			continue
		}
		if ev.Tier.Person == person {
			t.Fatalf("%s's alert in incident %s still reads in clear", person, ev.Incident)
		}
		erased = erased || IsErased(ev.Tier.Person)
	}
	if !erased {
		t.Fatal("no erased stand-in in the log: the check cannot fail")
	}
}

// TestTakeOverKeepsOnePersonKeyAndErasureShredsIt: B follows from before
// A prepares a person's key and alerts them; after A stops and B leads
// (preparing keys on take-over) the person still has exactly one key, and
// B's erasure leaves none of their alerts readable.
func TestTakeOverKeepsOnePersonKeyAndErasureShredsIt(t *testing.T) {
	js := embeddedJS(t)
	var mu sync.Mutex
	people := []string{"mi-eva-kranz"}
	list := func() []string {
		mu.Lock()
		defer mu.Unlock()
		return append([]string(nil), people...)
	}
	a, stopA := startSealedElected(t, js, "a", list)
	waitLeading(t, a)
	b, _ := startSealedElected(t, js, "b", list)
	eventuallyFor(t, "b did not replay", b.Ready)

	mu.Lock()
	people = append(people, "mi-uwe-boehm")
	mu.Unlock()
	a.PrepareKeys()
	eventuallyFor(t, "a did not prepare the added person's key", func() bool { return a.keys.ref("mi-uwe-boehm") != "" })
	submit(t, a, erasureIncident("K1"))

	stopA()
	waitLeading(t, b)
	eventuallyFor(t, "b did not finish preparing keys", func() bool { return b.KeysPending() == 0 })
	for _, p := range []string{"mi-uwe-boehm", "mi-eva-kranz"} {
		if n := personKeyRecords(t, b, p); n != 1 {
			t.Fatalf("%s has %d key records after the take-over, want 1", p, n)
		}
	}

	if _, err := b.ErasePerson(context.Background(), "mi-uwe-boehm", "admin", "Antrag 18/2026"); err != nil {
		t.Fatal(err)
	}
	waitLeading(t, b)
	if n := personKeyRecords(t, b, "mi-uwe-boehm"); n != 0 {
		t.Fatalf("%d key records of the erased person left", n)
	}
	assertErased(t, js, "mi-uwe-boehm")
}

// TestErasureShredsEveryKeyOfThePerson: a bucket written by a version that
// made a second key on take-over holds two keys for a person, each sealing
// an alert; the erasure shreds both.
func TestErasureShredsEveryKeyOfThePerson(t *testing.T) {
	js := embeddedJS(t)
	e := runSealed(t, Options{JS: js, Seal: true})
	submit(t, e, erasureIncident("K1"))
	first := e.keys.ref("mi-uwe-boehm")
	if first == "" {
		t.Fatal("the alert made no key")
	}
	// The duplicate, as the buggy take-over stored it; the newer wins on load.
	dup, err := randomKey("mi-uwe-boehm")
	if err != nil {
		t.Fatal(err)
	}
	data, err := json.Marshal(dup)
	if err != nil {
		t.Fatal(err)
	}
	kv, err := e.keys.bucket(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if _, err := kv.Create(context.Background(), "p.00dup00dup00dup0", data); err != nil {
		t.Fatal(err)
	}
	e.keys.forget()
	if err := e.keys.load(context.Background()); err != nil {
		t.Fatal(err)
	}
	if got := e.keys.ref("mi-uwe-boehm"); got != "00dup00dup00dup0" {
		t.Fatalf("the duplicate is not the person's current key: %q", got)
	}
	submit(t, e, erasureIncident("K2")) // sealed with the duplicate

	if _, err := e.ErasePerson(context.Background(), "mi-uwe-boehm", "admin", "Antrag 19/2026"); err != nil {
		t.Fatal(err)
	}
	waitLeading(t, e)
	if n := personKeyRecords(t, e, "mi-uwe-boehm"); n != 0 {
		t.Fatalf("%d key records of the erased person left", n)
	}
	if n := personKeyRecords(t, e, "mi-eva-kranz"); n != 1 {
		t.Fatalf("the other person has %d key records, want 1", n)
	}
	assertErased(t, js, "mi-uwe-boehm")
}

// TestAKeyStoredMeanwhileIsReadNotReplaced: the incident's key was stored
// (by another leader) after this instance looked it up and found none; the
// decision seals with the stored key, without a restart, and reads back.
func TestAKeyStoredMeanwhileIsReadNotReplaced(t *testing.T) {
	js := embeddedJS(t)
	e := runSealed(t, Options{JS: js, Seal: true})
	ctx := context.Background()
	if key, err := e.keys.lookup(ctx, "i.K1"); err != nil || key != nil {
		t.Fatalf("i.K1 before the incident: %v %v", key, err)
	}
	stored, err := randomKey("")
	if err != nil {
		t.Fatal(err)
	}
	data, err := json.Marshal(stored)
	if err != nil {
		t.Fatal(err)
	}
	kv, err := e.keys.bucket(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := kv.Create(ctx, "i.K1", data); err != nil {
		t.Fatal(err)
	}
	submit(t, e, erasureIncident("K1"))
	if n := e.restarts.Load(); n != 0 {
		t.Fatalf("the engine restarted %d times over the existing key", n)
	}
	entry, err := kv.Get(ctx, "i.K1")
	if err != nil {
		t.Fatal(err)
	}
	if string(entry.Value()) != string(data) {
		t.Fatal("the stored key was replaced")
	}
	people := 0
	for _, ev := range openLog(t, New(Options{JS: js})) {
		if ev.Tier != nil && (ev.Tier.Person == "mi-uwe-boehm" || ev.Tier.Person == "mi-eva-kranz") {
			people++
		}
	}
	if people == 0 {
		t.Fatal("the incident's alerts do not open with the stored key")
	}
}
