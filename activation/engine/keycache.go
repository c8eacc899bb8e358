package engine

import (
	"encoding/hex"
	"strings"
)

// keyCache holds cached keys by bucket name. A person key "p.<ref>" whose
// ref is 16 lower-case hex digits (as personRef makes them) is kept by the
// ref's 8 bytes with its key in a slab, and the person's ref as those 8
// bytes: about 85 bytes a person where string-keyed maps took about 150.
type keyCache struct {
	person   map[uint64]*[32]byte
	other    map[string][]byte // every other name; a nil key: shredded (or never existed)
	byPerson map[string]uint64 // person id → ref
	// byPersonText holds refs of another form (none that Kaskade makes).
	byPersonText map[string]string
	slab         [][32]byte // room for further person keys
}

func newKeyCache(people int) *keyCache {
	return &keyCache{person: make(map[uint64]*[32]byte, people), other: map[string][]byte{},
		byPerson: make(map[string]uint64, people), byPersonText: map[string]string{}}
}

// refBits returns the 8 bytes of a ref of 16 lower-case hex digits.
func refBits(ref string) (uint64, bool) {
	if len(ref) != 16 {
		return 0, false
	}
	var b uint64
	for i := 0; i < 16; i++ {
		c := ref[i]
		switch {
		case c >= '0' && c <= '9':
			b = b<<4 | uint64(c-'0')
		case c >= 'a' && c <= 'f':
			b = b<<4 | uint64(c-'a'+10)
		default:
			return 0, false
		}
	}
	return b, true
}

// refText is the inverse of refBits.
func refText(b uint64) string {
	var raw [8]byte
	for i := 7; i >= 0; i-- {
		raw[i] = byte(b)
		b >>= 8
	}
	return hex.EncodeToString(raw[:])
}

// personName returns the ref bits of a person key's name.
func personName(name string) (uint64, bool) {
	ref, ok := strings.CutPrefix(name, "p.")
	if !ok {
		return 0, false
	}
	return refBits(ref)
}

// get returns the key cached under name; ok false if none is.
func (c *keyCache) get(name string) (key []byte, ok bool) {
	if r, isPerson := personName(name); isPerson {
		if k, found := c.person[r]; found {
			return k[:], true
		}
	}
	key, ok = c.other[name]
	return key, ok
}

// put caches key (nil: known not to exist) under name.
func (c *keyCache) put(name string, key []byte) {
	if r, isPerson := personName(name); isPerson {
		if old, ok := c.person[r]; ok {
			switch {
			case len(key) == 32 && [32]byte(key) == *old:
				return // the same key again: readers may hold the slab's copy
			case len(key) != 32:
				*old = [32]byte{} // shredded: the key does not linger in the slab
			}
		}
		if len(key) == 32 {
			if len(c.slab) == 0 {
				c.slab = make([][32]byte, 1024)
			}
			k := &c.slab[0]
			c.slab = c.slab[1:]
			copy(k[:], key)
			c.person[r] = k
			delete(c.other, name)
			return
		}
		delete(c.person, r)
	}
	c.other[name] = key
}

// setRef records a person's ref.
func (c *keyCache) setRef(person, ref string) {
	if r, ok := refBits(ref); ok {
		c.byPerson[person] = r
		delete(c.byPersonText, person)
		return
	}
	delete(c.byPerson, person)
	c.byPersonText[person] = ref
}

// ref returns a person's ref ("" if none is cached).
func (c *keyCache) ref(person string) string {
	if r, ok := c.byPerson[person]; ok {
		return refText(r)
	}
	return c.byPersonText[person]
}

// dropRef forgets every person whose ref is ref.
func (c *keyCache) dropRef(ref string) {
	r, isBits := refBits(ref)
	for p, pr := range c.byPerson {
		if isBits && pr == r {
			delete(c.byPerson, p)
		}
	}
	for p, pr := range c.byPersonText {
		if pr == ref {
			delete(c.byPersonText, p)
		}
	}
}

// names lists the names with a prefix whose keys exist.
func (c *keyCache) names(prefix string) []string {
	var out []string
	if strings.HasPrefix("p.", prefix) || strings.HasPrefix(prefix, "p.") {
		for r := range c.person {
			if name := "p." + refText(r); strings.HasPrefix(name, prefix) {
				out = append(out, name)
			}
		}
	}
	for name, key := range c.other {
		if key != nil && strings.HasPrefix(name, prefix) {
			out = append(out, name)
		}
	}
	return out
}
