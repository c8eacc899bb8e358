package activation

// personTable finds a person's index by id: an open-addressing table of
// indexes, far smaller than a map at 100,000 people. Its layout depends only on
// the ids in index order, so a restored core's table is the replayed one's.
type personTable struct {
	slots []int32 // index+1 of the person whose id hashes there; 0 is free
	n     int
}

// hashID is 32-bit FNV-1a. Person ids come from the configuration, not
// from callers who could choose colliding ones.
func hashID(id string) uint32 {
	h := uint32(2166136261)
	for i := 0; i < len(id); i++ {
		h ^= uint32(id[i])
		h *= 16777619
	}
	return h
}

// find returns the index of the person with that id.
func (t *personTable) find(people []personState, id string) (int32, bool) {
	if len(t.slots) == 0 {
		return 0, false
	}
	mask := uint32(len(t.slots) - 1)
	for s := hashID(id) & mask; ; s = (s + 1) & mask {
		v := t.slots[s]
		if v == 0 {
			return 0, false
		}
		if people[v-1].id == id {
			return v - 1, true
		}
	}
}

// add enters person i, whose id is not in the table yet.
func (t *personTable) add(people []personState, i int32) {
	if 4*(t.n+1) > 3*len(t.slots) {
		size := max(2*len(t.slots), 16)
		t.slots, t.n = make([]int32, size), 0
		for j := range i {
			t.put(people, j)
		}
	}
	t.put(people, i)
}

func (t *personTable) put(people []personState, i int32) {
	mask := uint32(len(t.slots) - 1)
	s := hashID(people[i].id) & mask
	for t.slots[s] != 0 {
		s = (s + 1) & mask
	}
	t.slots[s] = i + 1
	t.n++
}
