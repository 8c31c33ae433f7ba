package carriers

// sys_alloc: a deterministic, simplified model of glibc malloc, for the
// carriers alloc_util gets from sys_alloc (the main carriers, and MBCs/SBCs
// when mseg is not used). See rules S1–S6 in the design notes at the top of
// space.go.

const (
	// spHeapBase is where the simulated brk heap starts: the PIE load
	// address of a 64-bit Linux executable (0x555555554000) plus 4 MiB for
	// beam.smp's image. Only the order of addresses matters (S6).
	spHeapBase = 0x555555554000 + 4<<20
	// spHeapMax is how far the brk heap may grow: the range [spHeapBase −
	// 4 MiB, spHeapBase + spHeapMax) (executable image and heap) is taken out
	// of the mmap area when the Space is created, so heap and mappings never
	// meet.
	spHeapMax = 1 << 40
	// spMmapThreshold is glibc's default M_MMAP_THRESHOLD (128 KiB); the
	// dynamic threshold (raised to the size of a freed mmapped chunk, up to
	// 32 MiB) is not modelled.
	spMmapThreshold = 128 << 10
	// spMinChunk is glibc's MINSIZE on 64-bit: the smallest chunk, and the
	// smallest remainder a split leaves as a separate free chunk.
	spMinChunk = 32
	// spChunkHdr is the distance from a chunk to the pointer malloc returns
	// (prev_size and size fields).
	spChunkHdr = 16
)

// spSysChunk is one chunk the model handed out, by user address.
type spSysChunk struct {
	start  uint64 // chunk start (heap) or mapping start (mmapped)
	size   uint64 // chunk size (heap) or mapping length (mmapped)
	mmaped bool
}

// spSys is the malloc model: a brk heap with an address-ordered free list,
// and mmapped chunks in the shared mmap area.
type spSys struct {
	heapTop uint64
	free    spTreap // free heap chunks: k1 = start, v = end, a = size
	chunks  map[uint64]spSysChunk
}

// spChunkSize is request2size: the chunk size for n user bytes.
func spChunkSize(n uint64) uint64 { return max(spMinChunk, spCeil(n+8, 16)) }

// heapFree returns [c, c+size) to the heap: coalesced with free neighbours;
// a free range that reaches the top lowers the top (S2).
func (y *spSys) heapFree(c, size uint64) {
	s, e := c, c+size
	if x := y.free.Below(s, 0); x != 0 && y.free.Node(x).v == s {
		s = y.free.Node(x).k1
		y.free.Delete(s, 0)
	}
	if e == y.heapTop {
		y.heapTop = s
		return
	}
	if x := y.free.Find(e, 0); x != 0 {
		ne := y.free.Node(x).v
		y.free.Delete(e, 0)
		e = ne
	}
	y.free.Insert(s, 0, e, e-s)
}

// alignedPlace is where a chunk whose user address must be align-aligned
// goes in a free range starting at s: the first chunk start c >= s with
// c+16 aligned whose leading remainder is 0 or at least MINSIZE.
func spAlignedPlace(s, align uint64) uint64 {
	c := spCeil(s+spChunkHdr, align) - spChunkHdr
	if c != s && c-s < spMinChunk {
		c += align
	}
	return c
}

// heapAlloc places a chunk of csz bytes (S2): first fit in address order
// over the free chunks, else at the top. It returns the chunk's start and
// size (a remainder too small to be a chunk stays with it); ok is false when
// the heap would outgrow spHeapMax.
func (y *spSys) heapAlloc(csz, align uint64) (uint64, uint64, bool) {
	var c, s, e uint64
	found := false
	if align <= 16 {
		if x := y.free.FirstWithA(csz); x != 0 {
			s, e = y.free.Node(x).k1, y.free.Node(x).v
			c, found = s, true
		}
	} else {
		for x := y.free.FirstWithA(csz); x != 0; x = y.free.CeilWithA(y.free.Node(x).k1+1, 0, csz) {
			s, e = y.free.Node(x).k1, y.free.Node(x).v
			if c = spAlignedPlace(s, align); c+csz <= e {
				found = true
				break
			}
		}
	}
	if !found {
		c = y.heapTop
		if align > 16 {
			c = spAlignedPlace(y.heapTop, align)
		}
		if c+csz > spHeapBase+spHeapMax {
			return 0, 0, false
		}
		if c > y.heapTop {
			y.free.Insert(y.heapTop, 0, c, c-y.heapTop)
		}
		y.heapTop = c + csz
		return c, csz, true
	}
	y.free.Delete(s, 0)
	if s < c {
		y.free.Insert(s, 0, c, c-s)
	}
	if rest := e - (c + csz); rest >= spMinChunk {
		y.free.Insert(c+csz, 0, e, rest)
	} else {
		csz = e - c
	}
	return c, csz, true
}

// SysAlloc is malloc(size) (align 0) or posix_memalign(align, size) (align
// 16384 for sys_alloc MBCs; any power of two is accepted). See rules S1–S3.
func (s *Space) SysAlloc(size, align uint64) (addr uint64, ok bool) {
	y := &s.sys
	if align < 16 {
		align = 16
	}
	csz := spChunkSize(size)
	if size >= spMmapThreshold {
		mlen := spCeil(csz+8, spPage)
		if align > 16 {
			mlen = spCeil(spChunkSize(csz+align+spMinChunk)+8, spPage)
		}
		m, ok := s.os.mmap(mlen)
		if !ok {
			return 0, false
		}
		addr = spCeil(m+spChunkHdr, align)
		y.chunks[addr] = spSysChunk{start: m, size: mlen, mmaped: true}
		return addr, true
	}
	c, csz, ok := y.heapAlloc(csz, align)
	if !ok {
		return 0, false
	}
	addr = c + spChunkHdr
	y.chunks[addr] = spSysChunk{start: c, size: csz}
	return addr, true
}

// SysFree is free(addr). size is the size the caller allocated; the model
// knows the chunk's real extent from addr.
func (s *Space) SysFree(addr, size uint64) {
	y := &s.sys
	ch, ok := y.chunks[addr]
	if !ok {
		panic("carriers: SysFree of an address sys_alloc did not return")
	}
	delete(y.chunks, addr)
	if ch.mmaped {
		s.os.munmap(ch.start, ch.size)
		return
	}
	y.heapFree(ch.start, ch.size)
}

// SysRealloc is realloc(addr, size) of a chunk of old user bytes (S4, S5).
func (s *Space) SysRealloc(addr, old, size uint64) (newAddr uint64, ok bool) {
	y := &s.sys
	ch, found := y.chunks[addr]
	if !found {
		panic("carriers: SysRealloc of an address sys_alloc did not return")
	}
	nb := spChunkSize(size)
	if ch.mmaped {
		// mremap_chunk: the mapping is resized (and may move), it stays an
		// mmapped chunk whatever the new size.
		off := addr - ch.start
		mlen := spCeil(off+nb+8-spChunkHdr, spPage)
		if mlen == ch.size {
			return addr, true
		}
		if m, ok := s.os.mremap(ch.start, ch.size, mlen); ok {
			delete(y.chunks, addr)
			newAddr = m + off
			y.chunks[newAddr] = spSysChunk{start: m, size: mlen, mmaped: true}
			return newAddr, true
		}
		if ch.size-off+spChunkHdr-8 >= nb {
			return addr, true
		}
		return s.sysMove(addr, old, size)
	}
	c, csz := ch.start, ch.size
	if nb <= csz {
		if rest := csz - nb; rest >= spMinChunk {
			y.chunks[addr] = spSysChunk{start: c, size: nb}
			y.heapFree(c+nb, rest)
		}
		return addr, true
	}
	if c+csz == y.heapTop && c+nb <= spHeapBase+spHeapMax {
		y.heapTop = c + nb
		y.chunks[addr] = spSysChunk{start: c, size: nb}
		return addr, true
	}
	if x := y.free.Find(c+csz, 0); x != 0 {
		ne := y.free.Node(x).v
		if ne-c >= nb {
			y.free.Delete(c+csz, 0)
			if rest := ne - (c + nb); rest >= spMinChunk {
				y.free.Insert(c+nb, 0, ne, rest)
			} else {
				nb = ne - c
			}
			y.chunks[addr] = spSysChunk{start: c, size: nb}
			return addr, true
		}
	}
	return s.sysMove(addr, old, size)
}

// sysMove is malloc + copy + free.
func (s *Space) sysMove(addr, old, size uint64) (uint64, bool) {
	n, ok := s.SysAlloc(size, 0)
	if !ok {
		return 0, false
	}
	s.SysFree(addr, old)
	return n, true
}

// SysChunks is the number of chunks sys_alloc has handed out and not got
// back.
func (s *Space) SysChunks() int { return len(s.sys.chunks) }
