package httpapi

import (
	"hash/maphash"
	"sync"
)

// incidentLocks are mutexes by incident id, striped so that memory stays
// fixed: two incidents may share a stripe, which only serialises them.
type incidentLocks struct {
	seed    maphash.Seed
	once    sync.Once
	stripes [64]sync.Mutex
}

// of returns the mutex of incident id.
func (l *incidentLocks) of(id string) *sync.Mutex {
	l.once.Do(func() { l.seed = maphash.MakeSeed() })
	return &l.stripes[maphash.String(l.seed, id)%uint64(len(l.stripes))]
}
