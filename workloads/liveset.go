package workloads

// idSet is the set of live block IDs a Reader keeps when it has no
// LiveSet. Traces usually number their blocks densely from 0 or 1, so IDs
// below a bound that grows with them are kept in a bitmap (at most 8 MiB);
// the others in a hash set. Neither allocates once grown to the largest ID
// or the peak live count.
type idSet struct {
	bits []uint64 // the dense part: ID i is bit i%64 of bits[i/64]
	hash idHash   // IDs >= 64*len(bits)
}

// maxDenseWords bounds the bitmap: 2^26 IDs in 8 MiB.
const maxDenseWords = 1 << 20

func (s *idSet) has(id uint64) bool {
	if w := id >> 6; w < uint64(len(s.bits)) {
		return s.bits[w]&(1<<(id&63)) != 0
	}
	return s.hash.has(id)
}

// add adds id and reports whether it was not in the set already.
func (s *idSet) add(id uint64) bool {
	w := id >> 6
	if w >= uint64(len(s.bits)) && !s.growDense(w) {
		return s.hash.add(id)
	}
	m := uint64(1) << (id & 63)
	old := s.bits[w]
	s.bits[w] = old | m
	return old&m == 0
}

// remove removes id and reports whether it was in the set.
func (s *idSet) remove(id uint64) bool {
	if w := id >> 6; w < uint64(len(s.bits)) {
		m := uint64(1) << (id & 63)
		old := s.bits[w]
		s.bits[w] = old &^ m
		return old&m != 0
	}
	return s.hash.remove(id)
}

// growDense grows the bitmap to hold word w if the IDs look dense (w is
// not far beyond the bitmap) and the bound allows, moving the IDs of the
// hash set that it now covers. It reports whether it did.
func (s *idSet) growDense(w uint64) bool {
	if w >= maxDenseWords || w > 2*uint64(len(s.bits))+1024 {
		return false
	}
	size := max(2*len(s.bits), int(w)+1, 1024)
	size = min(size, maxDenseWords)
	bits := make([]uint64, size)
	copy(bits, s.bits)
	s.bits = bits
	if s.hash.n > 0 {
		var move []uint64
		for _, k := range s.hash.slots {
			if k != 0 && (k-1)>>6 < uint64(size) {
				move = append(move, k-1)
			}
		}
		for _, id := range move {
			s.hash.remove(id)
			s.bits[id>>6] |= 1 << (id & 63)
		}
	}
	return true
}

// idHash is a set of uint64 IDs: open addressing with linear probing and
// backward-shift deletion (no tombstones), so that a long replay of allocs
// and frees stays fast and does not allocate once the table has grown to
// the peak live count. It is several times faster than a Go map for this
// insert/delete-heavy use.
type idHash struct {
	slots  []uint64 // id+1; 0 is an empty slot
	n      int      // entries in slots
	shift  uint8    // 64 - log2(len(slots))
	hasMax bool     // id math.MaxUint64 (which id+1 cannot hold)
}

const idHashMinSize = 1024

func (s *idHash) index(k uint64) uint64 {
	return (k * 0x9E3779B97F4A7C15) >> s.shift
}

func (s *idHash) has(id uint64) bool {
	k := id + 1
	if k == 0 {
		return s.hasMax
	}
	if s.slots == nil {
		return false
	}
	mask := uint64(len(s.slots) - 1)
	for i := s.index(k); ; i = (i + 1) & mask {
		switch s.slots[i] {
		case k:
			return true
		case 0:
			return false
		}
	}
}

// add adds id and reports whether it was not in the set already.
func (s *idHash) add(id uint64) bool {
	k := id + 1
	if k == 0 {
		was := s.hasMax
		s.hasMax = true
		return !was
	}
	if 2*(s.n+1) > len(s.slots) {
		s.grow()
	}
	mask := uint64(len(s.slots) - 1)
	for i := s.index(k); ; i = (i + 1) & mask {
		switch s.slots[i] {
		case k:
			return false
		case 0:
			s.slots[i] = k
			s.n++
			return true
		}
	}
}

// remove removes id and reports whether it was in the set.
func (s *idHash) remove(id uint64) bool {
	k := id + 1
	if k == 0 {
		was := s.hasMax
		s.hasMax = false
		return was
	}
	if s.slots == nil {
		return false
	}
	mask := uint64(len(s.slots) - 1)
	i := s.index(k)
	for s.slots[i] != k {
		if s.slots[i] == 0 {
			return false
		}
		i = (i + 1) & mask
	}
	// Backward-shift: move later entries of the probe run into the hole
	// when their home slot is not after it (cyclically).
	for j := (i + 1) & mask; s.slots[j] != 0; j = (j + 1) & mask {
		h := s.index(s.slots[j])
		if (j-h)&mask >= (j-i)&mask {
			s.slots[i] = s.slots[j]
			i = j
		}
	}
	s.slots[i] = 0
	s.n--
	return true
}

func (s *idHash) grow() {
	old := s.slots
	size := 2 * len(old)
	if size < idHashMinSize {
		size = idHashMinSize
	}
	s.slots = make([]uint64, size)
	s.shift = uint8(64 - log2(size))
	s.n = 0
	mask := uint64(size - 1)
	for _, k := range old {
		if k == 0 {
			continue
		}
		i := s.index(k)
		for s.slots[i] != 0 {
			i = (i + 1) & mask
		}
		s.slots[i] = k
		s.n++
	}
}

func log2(n int) int {
	l := 0
	for n > 1 {
		n >>= 1
		l++
	}
	return l
}
