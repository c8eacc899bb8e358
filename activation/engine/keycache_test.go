package engine

import (
	"bytes"
	"slices"
	"testing"
)

// The key cache keeps person keys of Kaskade's refs compactly and every
// other name as it is, with the same answers for both.
func TestKeyCache(t *testing.T) {
	c := newKeyCache(2)
	key := func(b byte) []byte { return bytes.Repeat([]byte{b}, 32) }
	const hexRef, oddRef = "00ff10a0b1c2d3e4", "Zz"
	c.put("p."+hexRef, key(1))
	c.put("p."+oddRef, key(2))
	c.put("i.K1", key(3))
	c.put("p.0000000000000001", nil) // known not to exist
	c.setRef("alice", hexRef)
	c.setRef("bob", oddRef)
	if len(c.person) != 1 || len(c.byPerson) != 1 {
		t.Errorf("compact entries: %d keys, %d refs; want 1 and 1", len(c.person), len(c.byPerson))
	}
	for _, tc := range []struct {
		name  string
		want  []byte
		found bool
	}{
		{"p." + hexRef, key(1), true}, {"p." + oddRef, key(2), true}, {"i.K1", key(3), true},
		{"p.0000000000000001", nil, true}, {"p.0000000000000002", nil, false}, {"p.00FF10A0B1C2D3E4", nil, false},
	} {
		got, found := c.get(tc.name)
		if found != tc.found || !bytes.Equal(got, tc.want) {
			t.Errorf("get(%q) = %v, %v; want %v, %v", tc.name, got, found, tc.want, tc.found)
		}
	}
	if c.ref("alice") != hexRef || c.ref("bob") != oddRef || c.ref("carol") != "" {
		t.Errorf("refs %q %q %q", c.ref("alice"), c.ref("bob"), c.ref("carol"))
	}
	names := c.names("")
	slices.Sort(names)
	if want := []string{"i.K1", "p." + hexRef, "p." + oddRef}; !slices.Equal(names, want) {
		t.Errorf("names %v, want %v", names, want)
	}
	if got := c.names("i."); !slices.Equal(got, []string{"i.K1"}) {
		t.Errorf("names(i.) %v", got)
	}
	// A shred: the key marked missing and wiped from the slab, the
	// person's ref gone.
	held, _ := c.get("p." + hexRef)
	c.put("p."+hexRef, key(1)) // read again (two lookups that both missed)
	if !bytes.Equal(held, key(1)) {
		t.Fatalf("putting the same key again changed the copy a reader holds: %x", held)
	}
	c.put("p."+hexRef, nil)
	if !bytes.Equal(held, make([]byte, 32)) {
		t.Errorf("the shredded key stays in the slab: %x", held)
	}
	c.dropRef(hexRef)
	c.dropRef(oddRef)
	if k, found := c.get("p." + hexRef); !found || k != nil {
		t.Errorf("shredded key: %v, %v", k, found)
	}
	if c.ref("alice") != "" || c.ref("bob") != "" {
		t.Error("refs of shredded keys kept")
	}
	for _, r := range []uint64{0, 1, 0xdeadbeef00c0ffee, ^uint64(0)} {
		if b, ok := refBits(refText(r)); !ok || b != r {
			t.Errorf("ref %x does not round-trip", r)
		}
	}
}
