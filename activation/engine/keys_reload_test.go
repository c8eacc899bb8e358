package engine

import (
	"testing"
)

// reload keeps a cache the bucket has not moved from since it was loaded
// and reads the bucket again after any key was created or shredded, by
// another instance as well.
func TestKeysReloadOnlyWhenTheBucketMoved(t *testing.T) {
	js := embeddedJS(t)
	ctx := t.Context()
	writer, reader := newKeyring(Layout{}, js), newKeyring(Layout{}, js)
	addPerson := func(person string) string {
		t.Helper()
		pending := makeNewKeys()
		ref, err := writer.personRef(person, pending)
		if err != nil {
			t.Fatal(err)
		}
		if err := writer.create(ctx, pending); err != nil {
			t.Fatal(err)
		}
		return ref
	}
	first := addPerson("p1")
	if err := reader.load(ctx); err != nil {
		t.Fatal(err)
	}
	if got := reader.ref("p1"); got != first {
		t.Fatalf("loaded ref %q, want %q", got, first)
	}
	// A marker only the cache holds tells whether it was read again.
	mark := func() {
		reader.mu.Lock()
		reader.keys.put("marker", []byte("cached"))
		reader.mu.Unlock()
	}
	cached := func() bool {
		reader.mu.RLock()
		defer reader.mu.RUnlock()
		_, ok := reader.keys.get("marker")
		return ok
	}
	steps := []struct {
		name     string
		change   func()
		reloaded bool
		person   string
		wantRef  func() string
	}{
		{"unchanged", func() {}, false, "p1", func() string { return first }},
		{"created elsewhere", func() { first = addPerson("p2") }, true, "p2", func() string { return first }},
		{"unchanged again", func() {}, false, "p2", func() string { return first }},
		{"shredded", func() {
			if err := writer.shred(ctx, "p."+first); err != nil {
				t.Fatal(err)
			}
		}, true, "p2", func() string { return "" }},
	}
	for _, st := range steps {
		mark()
		st.change()
		if err := reader.reload(ctx); err != nil {
			t.Fatalf("%s: %v", st.name, err)
		}
		if cached() == st.reloaded {
			t.Errorf("%s: reloaded %v, want %v", st.name, !cached(), st.reloaded)
		}
		if got, want := reader.ref(st.person), st.wantRef(); got != want {
			t.Errorf("%s: ref of %s %q, want %q", st.name, st.person, got, want)
		}
	}
	// A forgotten cache is always read again.
	reader.forget()
	if err := reader.reload(ctx); err != nil {
		t.Fatal(err)
	}
	if reader.ref("p1") == "" {
		t.Error("forgotten cache not loaded")
	}
}
