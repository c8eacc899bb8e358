package engine

import (
	"context"
	"fmt"
	"sync"
	"testing"
)

// TestPersonKeysAreCreatedAheadOfTheFirstAlert: the leader creates a key
// for every configured person (more than one chunk), an alert then seals
// with that key (no second key for the person), a person added later gets
// one after PrepareKeys, and an erased person's fields stay unreadable:
// their key is not created again by the preparation.
func TestPersonKeysAreCreatedAheadOfTheFirstAlert(t *testing.T) {
	js := embeddedJS(t)
	var mu sync.Mutex
	people := []string{"mi-uwe-boehm", "mi-eva-kranz"}
	for i := range prepChunk + 500 {
		people = append(people, fmt.Sprintf("p%05d", i))
	}
	e := runSealed(t, Options{JS: js, Seal: true, People: func() []string {
		mu.Lock()
		defer mu.Unlock()
		return append([]string(nil), people...)
	}})
	eventuallyFor(t, "person keys not created", func() bool { return e.KeysPending() == 0 })
	for _, p := range []string{"mi-uwe-boehm", "p00000", fmt.Sprintf("p%05d", prepChunk+499)} {
		if e.keys.ref(p) == "" {
			t.Fatalf("%s has no key", p)
		}
	}
	before := e.keys.ref("mi-uwe-boehm")
	submit(t, e, erasureIncident("K1"))
	if got := e.keys.ref("mi-uwe-boehm"); got != before {
		t.Fatalf("the alert made a new key: ref %s, prepared %s", got, before)
	}

	mu.Lock()
	people = append(people, "neu-nach-reload")
	mu.Unlock()
	e.PrepareKeys()
	eventuallyFor(t, "no key for the added person", func() bool { return e.keys.ref("neu-nach-reload") != "" })

	if _, err := e.ErasePerson(context.Background(), "mi-uwe-boehm", "admin", "Antrag 17/2026"); err != nil {
		t.Fatal(err)
	}
	waitLeading(t, e)
	if ref := e.keys.ref("mi-uwe-boehm"); ref != "" {
		t.Fatalf("the erased person got a key again: %s", ref)
	}
	erased := false
	for _, ev := range openLog(t, e) {
		if ev.Tier != nil && IsErased(ev.Tier.Person) {
			erased = true
		}
		if ev.Tier != nil && ev.Tier.Person == "mi-uwe-boehm" {
			t.Fatal("the erased person's alert still reads in clear")
		}
	}
	if !erased {
		t.Fatal("no erased stand-in in the log: the check cannot fail")
	}
}
