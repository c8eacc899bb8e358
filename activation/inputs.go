package activation

// inputSet records which input sequences the state reflects. Redelivered
// inputs may be older than ones already decided (after a crash), so it keeps
// every sequence above its contiguous low-water mark, not a highest-seen mark.
type inputSet struct {
	low   uint64              // every sequence ≤ low is applied
	above map[uint64]struct{} // applied sequences > low
}

func (s *inputSet) add(seq uint64) {
	if seq <= s.low {
		return
	}
	if seq != s.low+1 {
		if s.above == nil {
			s.above = map[uint64]struct{}{}
		}
		s.above[seq] = struct{}{}
		return
	}
	s.low = seq
	for {
		if _, ok := s.above[s.low+1]; !ok {
			return
		}
		delete(s.above, s.low+1)
		s.low++
	}
}

func (s *inputSet) has(seq uint64) bool {
	if seq <= s.low {
		return true
	}
	_, ok := s.above[seq]
	return ok
}

// InputApplied reports whether the input with stream sequence seq is
// reflected in the state (a restarted engine skips it; a waiting caller
// may answer).
func (c *Core) InputApplied(seq uint64) bool { return c.inputs.has(seq) }

// InputsSettledBelow records that every input below seq was decided and
// acknowledged (the input stream holds none of them any more), which keeps
// the set small when sequences were never seen by this core.
func (c *Core) InputsSettledBelow(seq uint64) {
	if seq == 0 {
		return
	}
	for s := c.inputs.low + 1; s < seq; s++ {
		delete(c.inputs.above, s)
	}
	if seq-1 > c.inputs.low {
		c.inputs.low = seq - 1
	}
	for {
		if _, ok := c.inputs.above[c.inputs.low+1]; !ok {
			return
		}
		delete(c.inputs.above, c.inputs.low+1)
		c.inputs.low++
	}
}
