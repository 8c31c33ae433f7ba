package carriers

// The mem mapper: erl_mmap.c's erts_mmap / erts_munmap / erts_mremap for the
// default mapper (the one mseg_alloc uses), on top of a deterministic model
// of the Linux mmap area. See the design notes at the top of space.go (rules
// M1–M9 and O1–O4).

// ---------------------------------------------------------------------------
// The Linux mmap area (rules O1–O4 in space.go).

// spOS is the process's mmap area [spMmapLow, spMmapBase): a set of gaps
// (unmapped ranges), each keyed by its start, payload its end, augmented with
// its size so that the highest gap of at least n bytes is found in O(log n).
type spOS struct {
	gaps   spTreap // k1 = start, v = end, a = end - start
	mapped uint64  // bytes currently mapped (every user of the model)
}

func (o *spOS) init() {
	o.gaps.aug = true
	o.gaps.Insert(spMmapLow, 0, spMmapBase, spMmapBase-spMmapLow)
	// The executable image and the brk heap (sys.go) are not mmap's.
	lo, hi := uint64(spHeapBase-4<<20), uint64(spHeapBase+spHeapMax)
	o.take(o.gaps.Below(lo+1, 0), lo, hi)
	o.mapped = 0
}

// take removes [a, b) from the gap x that contains it.
func (o *spOS) take(x int32, a, b uint64) {
	nd := o.gaps.Node(x)
	s, e := nd.k1, nd.v
	o.gaps.Delete(s, 0)
	if s < a {
		o.gaps.Insert(s, 0, a, a-s)
	}
	if b < e {
		o.gaps.Insert(b, 0, e, e-b)
	}
	o.mapped += b - a
}

// mmap maps size bytes (a page multiple) top-down: at the top of the highest
// gap that can hold it (rule O1).
func (o *spOS) mmap(size uint64) (uint64, bool) {
	x := o.gaps.LastWithA(size)
	if x == 0 {
		return 0, false
	}
	e := o.gaps.Node(x).v
	o.take(x, e-size, e)
	return e - size, true
}

// mmapHint maps size bytes at hint if that range is unmapped, else like mmap
// (rule O2: a non-MAP_FIXED hint).
func (o *spOS) mmapHint(hint, size uint64) (uint64, bool) {
	if hint >= spMmapLow && hint+size <= spMmapBase && hint+size > hint {
		if x := o.gaps.Below(hint+1, 0); x != 0 && o.gaps.Node(x).v >= hint+size {
			o.take(x, hint, hint+size)
			return hint, true
		}
	}
	return o.mmap(size)
}

// munmap unmaps [addr, addr+size); the gap merges with its neighbours.
func (o *spOS) munmap(addr, size uint64) {
	if size == 0 {
		return
	}
	s, e := addr, addr+size
	if x := o.gaps.Below(s, 0); x != 0 && o.gaps.Node(x).v == s {
		s = o.gaps.Node(x).k1
		o.gaps.Delete(s, 0)
	}
	if x := o.gaps.Find(e, 0); x != 0 {
		ne := o.gaps.Node(x).v
		o.gaps.Delete(e, 0)
		e = ne
	}
	o.gaps.Insert(s, 0, e, e-s)
	o.mapped -= size
}

// mremap resizes the mapping [addr, addr+old) to size bytes with
// MREMAP_MAYMOVE (rule O3): a shrink unmaps the tail; a grow extends in place
// when the range above is unmapped, else maps size bytes elsewhere while the
// old mapping still exists and then unmaps the old one.
func (o *spOS) mremap(addr, old, size uint64) (uint64, bool) {
	switch {
	case size == old:
		return addr, true
	case size < old:
		o.munmap(addr+size, old-size)
		return addr, true
	}
	if x := o.gaps.Find(addr+old, 0); x != 0 && o.gaps.Node(x).v >= addr+size {
		o.take(x, addr+old, addr+size)
		return addr, true
	}
	n, ok := o.mmap(size)
	if !ok {
		return 0, false
	}
	o.munmap(addr, old)
	return n, true
}

// ---------------------------------------------------------------------------
// The super carrier's free-segment maps (rule M1).

// spFreeMap is an ErtsFreeSegMap: free segments of one area, indexed by
// (usable size, address) for best fit and by address for the neighbour
// lookups. In the aligned area the size key is the *usable* size, the
// 16 KiB-aligned part of the segment (usable_size() with SA_SZ_ADDR_ORDER),
// and equal sizes are ordered by ascending address; in the unaligned area it
// is the plain size, equal sizes by descending address
// (SZ_REVERSE_ADDR_ORDER).
type spFreeMap struct {
	bySize spTreap // k1 = usable size, k2 = start (SA) or ^start (SUA); v = start
	byAddr spTreap // k1 = start; v = end
	sa     bool
}

func (m *spFreeMap) sizeKey(s, e uint64) (uint64, uint64) {
	if m.sa {
		lo, hi := spCeil(s, spSAUnit), e&^(spSAUnit-1)
		if hi <= lo {
			return 0, s
		}
		return hi - lo, s
	}
	return e - s, ^s
}

func (m *spFreeMap) insert(s, e uint64) {
	k1, k2 := m.sizeKey(s, e)
	m.bySize.Insert(k1, k2, s, 0)
	m.byAddr.Insert(s, 0, e, 0)
}

func (m *spFreeMap) remove(s uint64) {
	x := m.byAddr.Find(s, 0)
	e := m.byAddr.Node(x).v
	k1, k2 := m.sizeKey(s, e)
	m.bySize.Delete(k1, k2)
	m.byAddr.Delete(s, 0)
}

// resize turns the segment starting at old into [s, e) (resize_free_seg).
func (m *spFreeMap) resize(old, s, e uint64) {
	x := m.byAddr.Find(old, 0)
	oe := m.byAddr.Node(x).v
	k1, k2 := m.sizeKey(old, oe)
	m.bySize.Delete(k1, k2)
	k1, k2 = m.sizeKey(s, e)
	m.bySize.Insert(k1, k2, s, 0)
	if s == old {
		m.byAddr.SetV(x, e)
		return
	}
	m.byAddr.Delete(old, 0)
	m.byAddr.Insert(s, 0, e, 0)
}

// lookup is lookup_free_seg: the best fit of at least need usable bytes.
func (m *spFreeMap) lookup(need uint64) (s, e uint64, ok bool) {
	x := m.bySize.Ceil(need, 0)
	if x == 0 {
		return 0, 0, false
	}
	s = m.bySize.Node(x).v
	return s, m.byAddr.Node(m.byAddr.Find(s, 0)).v, true
}

// adjacent is adjacent_free_seg: the free segment ending at start (prev) and
// the one starting at end (next), if any.
func (m *spFreeMap) adjacent(start, end uint64) (prevS uint64, prev bool, nextS, nextE uint64, next bool) {
	if x := m.byAddr.Below(start, 0); x != 0 && m.byAddr.Node(x).v == start {
		prevS, prev = m.byAddr.Node(x).k1, true
	}
	if x := m.byAddr.Find(end, 0); x != 0 {
		nextS, nextE, next = end, m.byAddr.Node(x).v, true
	}
	return
}

func (m *spFreeMap) len() int { return m.byAddr.Len() }

// ---------------------------------------------------------------------------
// The super carrier (rules M1–M9).

type spSuper struct {
	start, end     uint64 // the mapping
	saBot, saTop   uint64 // aligned area [saBot, saTop)
	suaBot, suaTop uint64 // unaligned area [suaBot, suaTop)
	sa, sua        spFreeMap
	noOSMmap       bool // +MMsco

	usedTotal, usedSA, usedSUA uint64 // size.supercarrier.used

	// Free-segment descriptors (rule M8).
	descFree               uint64 // descriptors on the free list
	descTotal              uint64 // no.free_seg_descs
	segsCurr, segsMax      uint64 // no.free_segs
	reserved               uint64 // desc.reserved
	unusedStart, unusedEnd uint64 // not yet carved part of the descriptor area
	hasUnused              bool
	newAreaHint            uint64
	// descPages counts the pages inside the areas turned into descriptors
	// (rule M8); they are neither free nor any segment's for good.
	descPages uint64
}

func (sc *spSuper) inSC(p uint64) bool { return p-sc.saBot < sc.suaTop-sc.saBot }
func (sc *spSuper) inSA(p uint64) bool { return p-sc.saBot < sc.saTop-sc.saBot }

func (sc *spSuper) addFreeDescArea(start, end uint64) {
	if end-start >= spDescSize {
		n := (end - start) / spDescSize
		sc.descFree += n
		sc.descTotal += n
	}
}

func (sc *spSuper) allocDesc() bool {
	if sc.descFree == 0 {
		if !sc.hasUnused {
			return false
		}
		ptr := sc.unusedStart + spPage
		sc.addFreeDescArea(sc.unusedStart, ptr)
		if sc.unusedEnd-ptr >= spPage {
			sc.unusedStart = ptr
		} else {
			sc.hasUnused = false
		}
	}
	sc.descFree--
	sc.segsCurr++
	sc.segsMax = max(sc.segsMax, sc.segsCurr)
	return true
}

func (sc *spSuper) freeDesc() {
	sc.descFree++
	sc.segsCurr--
}

// drop deletes the free segment starting at s and frees its descriptor.
func (sc *spSuper) drop(m *spFreeMap, s uint64) {
	m.remove(s)
	sc.freeDesc()
}

// insertFreeSeg is alloc_desc_insert_free_seg (rule M8): it inserts [start,
// end) into m, finding a descriptor for it. It returns how many bytes at
// start were used for descriptors instead (0 or one page).
func (s *Space) insertFreeSeg(m *spFreeMap, start, end uint64) uint64 {
	sc := s.sc
	if sc.allocDesc() {
		m.insert(start, end)
		return 0
	}
	// Out of descriptors. First try to map a new page ...
	if !sc.noOSMmap {
		if ptr, ok := s.os.mmapHint(sc.newAreaHint, spPage); ok {
			sc.newAreaHint = ptr + spPage
			s.osUsed += spPage
			sc.addFreeDescArea(ptr, ptr+spPage)
			sc.allocDesc()
			m.insert(start, end)
			return 0
		}
	}
	// ... then take the first page of a free segment, unaligned area first ...
	da := &sc.sua
	ds, de, ok := sc.sua.lookup(spPage)
	if ok {
		sc.usedSUA += spPage
		sc.usedTotal += spPage
	} else if ds, de, ok = sc.sa.lookup(spPage); ok {
		da = &sc.sa
		sc.usedSA += spPage
		sc.usedTotal += spPage
	}
	if ok {
		daEnd := ds + spPage
		sc.descPages++
		sc.addFreeDescArea(ds, daEnd)
		if daEnd != de {
			da.resize(ds, daEnd, de)
		} else {
			sc.drop(da, ds)
		}
		sc.allocDesc()
		m.insert(start, end)
		return 0
	}
	// ... and as a last resort the first page of the segment itself.
	sc.descPages++
	ptr := start + spPage
	sc.addFreeDescArea(start, ptr)
	if ptr < end {
		sc.allocDesc()
		m.insert(ptr, end)
	}
	return spPage
}

// scMmap is the super-carrier part of erts_mmap (rules M2–M5); asize is
// already page aligned.
func (s *Space) scMmap(asize uint64, superaligned bool) (uint64, uint64, bool) {
	sc := s.sc
	if !superaligned {
		// M4.1: best fit among the unaligned area's free segments, at its low end.
		if fs, fe, ok := sc.sua.lookup(asize); ok {
			end := fs + asize
			if fe == end {
				sc.drop(&sc.sua, fs)
			} else {
				sc.sua.resize(fs, end, fe)
			}
			sc.usedSUA += asize
			sc.usedTotal += asize
			return fs, asize, true
		}
		// M4.2: lower sua_bot if the areas do not cross.
		if asize <= sc.suaBot-sc.saTop {
			sc.suaBot -= asize
			sc.usedSUA += asize
			sc.usedTotal += asize
			return sc.suaBot, asize, true
		}
	}
	asize = spCeil(asize, spSAUnit)
	// M2.1 / M4.3: best fit among the aligned area's free segments.
	if fs, fe, ok := sc.sa.lookup(asize); ok {
		seg := spCeil(fs, spSAUnit)
		end := seg + asize
		sc.usedSA += asize
		sc.usedTotal += asize
		if fe == end {
			if fs != seg {
				sc.sa.resize(fs, fs, seg)
			} else {
				sc.drop(&sc.sa, fs)
			}
		} else {
			sc.sa.resize(fs, end, fe)
			if fs != seg {
				s.insertFreeSeg(&sc.sua, fs, seg)
			}
		}
		return seg, asize, true
	}
	if !superaligned {
		return 0, 0, false
	}
	// M2.2: raise sa_top if the areas do not cross.
	start := sc.saTop
	seg := spCeil(start, spSAUnit)
	if asize+(seg-start) <= sc.suaBot-start {
		sc.saTop = seg + asize
		sc.usedSA += asize
		sc.usedTotal += asize
		if start != seg {
			s.insertFreeSeg(&sc.sua, start, seg)
		}
		return seg, asize, true
	}
	// M2.3: an unaligned free segment with room for an aligned carrier.
	if fs, fe, ok := sc.sua.lookup(asize + spSAUnit); ok {
		seg := spCeil(fs, spSAUnit)
		end := seg + asize
		sc.usedSUA += asize
		sc.usedTotal += asize
		kept := true
		if fs != seg {
			sc.sua.resize(fs, fs, seg)
			kept = false
		}
		if end != fe {
			if kept {
				sc.sua.resize(fs, end, fe)
			} else {
				s.insertFreeSeg(&sc.sua, end, fe)
			}
		}
		return seg, asize, true
	}
	return 0, 0, false
}

// scMunmap is the super-carrier part of erts_munmap (rule M6).
func (s *Space) scMunmap(ptr, size uint64) {
	sc := s.sc
	start, end := ptr, ptr+size
	var m *spFreeMap
	if sc.inSA(ptr) {
		m = &sc.sa
		sc.usedSA -= size
		sc.usedTotal -= size
		if end == sc.saTop {
			if ps, ok := sc.sa.prevOf(start); ok {
				sc.drop(m, ps)
				start = ps
			}
			sc.saTop = start
			return
		}
	} else {
		m = &sc.sua
		sc.usedSUA -= size
		sc.usedTotal -= size
		if start == sc.suaBot {
			if x := m.byAddr.Find(end, 0); x != 0 {
				ne := m.byAddr.Node(x).v
				sc.drop(m, end)
				end = ne
			}
			sc.suaBot = end
			return
		}
	}
	ps, prev, ns, ne, next := m.adjacent(start, end)
	switch {
	case next && prev:
		sc.drop(m, ns)
		m.resize(ps, ps, ne)
	case next:
		m.resize(ns, start, ne)
	case prev:
		m.resize(ps, ps, end)
	default:
		s.insertFreeSeg(m, start, end)
	}
}

func (m *spFreeMap) prevOf(start uint64) (uint64, bool) {
	if x := m.byAddr.Below(start, 0); x != 0 && m.byAddr.Node(x).v == start {
		return m.byAddr.Node(x).k1, true
	}
	return 0, false
}

// ---------------------------------------------------------------------------
// erts_mmap / erts_munmap / erts_mremap (rules M2–M7, O4).

// ertsMmap maps a segment of at least size bytes; superaligned for MBCs.
// scOnly is ERTS_MMAPFLG_SUPERCARRIER_ONLY.
func (s *Space) ertsMmap(size uint64, superaligned, scOnly bool) (uint64, uint64, bool) {
	asize := spCeil(size, spPage)
	if s.sc != nil {
		if a, sz, ok := s.scMmap(asize, superaligned); ok {
			return a, sz, true
		}
		if s.sc.noOSMmap {
			return 0, 0, false
		}
	}
	if scOnly {
		return 0, 0, false
	}
	// O4: plain mmap; an aligned request that did not land aligned is
	// retried 16 KiB larger and trimmed.
	if !superaligned {
		a, ok := s.os.mmap(asize)
		if !ok {
			return 0, 0, false
		}
		s.osUsed += asize
		return a, asize, true
	}
	asize = spCeil(size, spSAUnit)
	seg, ok := s.os.mmap(asize)
	if !ok {
		return 0, 0, false
	}
	if seg&(spSAUnit-1) != 0 {
		s.os.munmap(seg, asize)
		ptr, ok := s.os.mmap(asize + spSAUnit)
		if !ok {
			return 0, 0, false
		}
		seg = spCeil(ptr, spSAUnit)
		sz := seg - ptr
		if sz != 0 {
			s.os.munmap(ptr, sz)
		}
		if sz = spSAUnit - sz; sz != 0 {
			s.os.munmap(seg+asize, sz)
		}
	}
	s.osUsed += asize
	return seg, asize, true
}

// ertsMunmap unmaps a segment made by ertsMmap / ertsMremap.
func (s *Space) ertsMunmap(ptr, size uint64) {
	if s.sc != nil && s.sc.inSC(ptr) {
		s.scMunmap(ptr, size)
		return
	}
	s.os.munmap(ptr, size)
	s.osUsed -= size
}

// remapMove is remap_move: map a new segment while the old one still
// exists, then unmap the old one.
func (s *Space) remapMove(ptr, old, size uint64, superaligned, scOnly bool) (uint64, uint64, bool) {
	n, nsz, ok := s.ertsMmap(size, superaligned, scOnly)
	if !ok {
		return 0, 0, false
	}
	s.ertsMunmap(ptr, old)
	return n, nsz, true
}

// ertsMremap resizes a segment (rule M7 in the super carrier, O3 outside).
func (s *Space) ertsMremap(ptr, old, size uint64, superaligned bool) (uint64, uint64, bool) {
	sc := s.sc
	if sc == nil || !sc.inSC(ptr) {
		if sc != nil {
			// A segment outside the super carrier moves into it if it can.
			if n, nsz, ok := s.remapMove(ptr, old, size, superaligned, true); ok {
				return n, nsz, true
			}
		}
		var asize uint64
		if superaligned {
			asize = spCeil(size, spSAUnit)
			if asize == old && ptr&(spSAUnit-1) == 0 {
				return ptr, asize, true
			}
		} else {
			asize = spCeil(size, spPage)
			if asize == old {
				return ptr, asize, true
			}
		}
		if asize < old && (!superaligned || ptr&(spSAUnit-1) == 0) {
			s.os.munmap(ptr+asize, old-asize)
			s.osUsed -= old - asize
			return ptr, asize, true
		}
		if superaligned {
			return s.remapMove(ptr, old, size, superaligned, false)
		}
		n, ok := s.os.mremap(ptr, old, asize)
		if !ok {
			return 0, 0, false
		}
		s.osUsed += asize
		s.osUsed -= old
		return n, asize, true
	}

	var asize uint64
	if superaligned {
		asize = spCeil(size, spSAUnit)
	} else {
		asize = spCeil(size, spPage)
	}
	inSA := sc.inSA(ptr)
	wrongArea := false
	if inSA {
		if !superaligned {
			_, _, wrongArea = sc.sua.lookup(asize)
		}
	} else if superaligned {
		_, _, wrongArea = sc.sa.lookup(asize)
	}
	if wrongArea {
		// M7.4: a segment in the wrong area (after a shortage) moves back.
		return s.remapMove(ptr, old, size, superaligned, true)
	}
	if asize == old {
		return ptr, asize, true
	}
	end, newEnd := ptr+old, ptr+asize
	if asize < old {
		// M7.1: shrink in place.
		m := &sc.sua
		if inSA {
			if end == sc.saTop {
				// (erl_mmap.c does not decrease used_sa here.)
				sc.saTop = newEnd
				return ptr, asize, true
			}
			m = &sc.sa
			sc.usedSA -= old - asize
		} else {
			sc.usedSUA -= old - asize
		}
		sc.usedTotal -= old - asize
		if x := m.byAddr.Find(end, 0); x != 0 {
			m.resize(end, newEnd, m.byAddr.Node(x).v)
		} else {
			s.insertFreeSeg(m, newEnd, end)
		}
		return ptr, asize, true
	}
	// M7.2: grow in place into the free segment right above.
	if !inSA {
		if x := sc.sua.byAddr.Find(end, 0); x != 0 {
			if ne := sc.sua.byAddr.Node(x).v; newEnd <= ne {
				if newEnd < ne {
					sc.sua.resize(end, newEnd, ne)
				} else {
					sc.drop(&sc.sua, end)
				}
				sc.usedSUA += asize - old
				sc.usedTotal += asize - old
				return ptr, asize, true
			}
		}
	} else if end == sc.saTop {
		if newEnd <= sc.suaBot {
			sc.saTop = newEnd
			sc.usedSA += asize - old
			sc.usedTotal += asize - old
			return ptr, asize, true
		}
	} else if x := sc.sa.byAddr.Find(end, 0); x != 0 {
		if ne := sc.sa.byAddr.Node(x).v; newEnd <= ne {
			if newEnd < ne {
				sc.sa.resize(end, newEnd, ne)
			} else {
				sc.drop(&sc.sa, end)
			}
			sc.usedSA += asize - old
			sc.usedTotal += asize - old
			return ptr, asize, true
		}
	}
	// M7.3: move.
	return s.remapMove(ptr, old, size, superaligned, false)
}
