package carriers

// mseg_alloc (erl_mseg.c): the segment allocator between alloc_util and the
// mem mapper, with its per-instance segment cache. See the design notes at
// the top of space.go (rules C1–C8) and erts-alloc-facts §3.6.

const (
	// spCacheAreas is CACHE_AREAS = 32 - MSEG_ALIGN_BITS: one cache list per
	// power of two from 16 KiB (2^14) to 2 GiB (2^31).
	spCacheAreas = 32 - 14
	// spMaxCacheSize is MAX_CACHE_SIZE, the upper limit of +MMmcs.
	spMaxCacheSize = 30

	// Node indexes of the cache's circular lists (erts_circleq): the slots,
	// then the list heads.
	spCqUnpowered = spMaxCacheSize
	spCqPowered   = spMaxCacheSize + 1
	spCqFree      = spCqPowered + spCacheAreas
	spCqNodes     = spCqFree + 1
)

// spCacheNode is a cache_t: a slot (seg, size) or a list head, linked into a
// circular doubly linked list.
type spCacheNode struct {
	seg, size  uint64
	next, prev int8
}

// MsegCalls are the call counters of an mseg_alloc instance
// (erlang:system_info({allocator, mseg_alloc}), {calls, [...]}).
type MsegCalls struct {
	Alloc, Dealloc, Realloc uint64
	Create, CreateResize    uint64 // CreateResize is never incremented (unused in erl_mseg.c)
	Destroy, Recreate       uint64
	ClearCache, CheckCache  uint64
}

// MsegTriple is a {Name, Current, Max, MaxEver} value of mseg_alloc's status.
type MsegTriple struct{ Cur, Max, MaxEver uint64 }

// MsegInfo is one mseg_alloc instance as erlang:system_info({allocator,
// mseg_alloc}) shows it (erts-alloc-facts §3.6, §8.1).
type MsegInfo struct {
	Instance            int
	AMCBF, RMCBF, MCS   uint64 // options
	CachedSegments      uint64
	CacheHits           uint64
	Segments            MsegTriple // segments handed out (cached ones excluded)
	SegmentsSize        MsegTriple
	SegmentsWatermark   uint64
	Calls               MsegCalls
	CacheCheckScheduled bool // the 1 s ageing timer is armed (not shown by the runtime)
}

// Mseg is one mseg_alloc instance (ErtsMsegAllctr_t). Instance 0 is the
// global one; 1..N belong to the schedulers. All instances of a Space share
// its mem mapper.
type Mseg struct {
	s  *Space
	ix int

	mcs          int
	rmcbf, amcbf uint64

	cq        [spCqNodes]spCacheNode
	cacheSize int
	cacheHits uint64

	segNo, segSz       uint64 // segments.current
	maxNo, maxSz       uint64 // segments.max (since the last info call that reset it)
	maxEverNo, maxEvSz uint64 // segments.max_ever (folded in at info time)
	watermark          uint64

	calls          MsegCalls
	checkScheduled bool
}

func (m *Mseg) init(s *Space, ix int) {
	m.s, m.ix = s, ix
	cfg := s.cfg
	m.mcs = min(max(cfg.MCS, 0), spMaxCacheSize)
	m.rmcbf, m.amcbf = cfg.RMCBF, cfg.AMCBF
	for i := range m.cq {
		m.cq[i] = spCacheNode{next: int8(i), prev: int8(i)}
	}
	for i := 0; i < m.mcs; i++ {
		m.cqPushHead(spCqFree, i)
	}
}

// --- circular lists -------------------------------------------------------

func (m *Mseg) cqEmpty(h int) bool { return int(m.cq[h].next) == h }

func (m *Mseg) cqRemove(c int) {
	n, p := m.cq[c].next, m.cq[c].prev
	m.cq[p].next = n
	m.cq[n].prev = p
	m.cq[c].next, m.cq[c].prev = int8(c), int8(c)
}

func (m *Mseg) cqPushHead(h, c int) {
	n := m.cq[h].next
	m.cq[c].next, m.cq[c].prev = n, int8(h)
	m.cq[n].prev = int8(c)
	m.cq[h].next = int8(c)
}

// clear is mseg_cache_clear_node followed by linking the slot to the free list.
func (m *Mseg) cqRelease(c int) {
	m.cqRemove(c)
	m.cq[c].seg, m.cq[c].size = 0, 0
	m.cqPushHead(spCqFree, c)
}

// spCacheIdx is SIZE_TO_CACHE_AREA_IDX for a power-of-two size, or -1 when
// the size is outside the 18 classes (the runtime indexes out of its array
// for segments of 4 GiB and more; the simulator bypasses the cache instead).
func spCacheIdx(size uint64) int {
	if size < spSAUnit || size >= 1<<32 {
		return -1
	}
	ix := 0
	for s := size >> 14; s > 1; s >>= 1 {
		ix++
	}
	return ix
}

// --- statistics -----------------------------------------------------------

func (m *Mseg) allocStat(size uint64) {
	m.segNo++
	m.maxNo = max(m.maxNo, m.segNo)
	m.watermark = max(m.watermark, m.segNo)
	m.segSz += size
	m.maxSz = max(m.maxSz, m.segSz)
}

func (m *Mseg) deallocStat(size uint64) {
	m.segNo--
	m.segSz -= size
}

// Segments is the number of segments the instance has handed out and not
// got back (erts_mseg_no), which alloc_util compares with +Mummc.
func (m *Mseg) Segments() uint64 { return m.segNo }

// CachedSegments is the number of segments in the cache.
func (m *Mseg) CachedSegments() int { return m.cacheSize }

// Info returns the instance's statistics. Like the runtime's info call it
// folds the "max since last call" values into max_ever, and with
// beginNewMaxPeriod it then resets them to the current values.
func (m *Mseg) Info(beginNewMaxPeriod bool) MsegInfo {
	m.maxEverNo = max(m.maxEverNo, m.maxNo)
	m.maxEvSz = max(m.maxEvSz, m.maxSz)
	in := MsegInfo{
		Instance:            m.ix,
		AMCBF:               m.amcbf,
		RMCBF:               m.rmcbf,
		MCS:                 uint64(m.mcs),
		CachedSegments:      uint64(m.cacheSize),
		CacheHits:           m.cacheHits,
		Segments:            MsegTriple{m.segNo, m.maxNo, m.maxEverNo},
		SegmentsSize:        MsegTriple{m.segSz, m.maxSz, m.maxEvSz},
		SegmentsWatermark:   m.watermark,
		Calls:               m.calls,
		CacheCheckScheduled: m.checkScheduled,
	}
	if beginNewMaxPeriod {
		m.maxNo, m.maxSz = m.segNo, m.segSz
	}
	return in
}

// MsegCacheEntry is one cached segment.
type MsegCacheEntry struct {
	Addr, Size uint64
	Powered    bool // an MBC (power-of-two) segment
}

// Cache lists the cached segments: the power-of-two classes from the
// smallest up, then the unpowered list, each list newest first.
func (m *Mseg) Cache() []MsegCacheEntry {
	var out []MsegCacheEntry
	for i := 0; i < spCacheAreas; i++ {
		h := spCqPowered + i
		for c := int(m.cq[h].next); c != h; c = int(m.cq[c].next) {
			out = append(out, MsegCacheEntry{m.cq[c].seg, m.cq[c].size, true})
		}
	}
	h := spCqUnpowered
	for c := int(m.cq[h].next); c != h; c = int(m.cq[c].next) {
		out = append(out, MsegCacheEntry{m.cq[c].seg, m.cq[c].size, false})
	}
	return out
}

// --- segment creation and destruction --------------------------------------

func (m *Mseg) create(size uint64, pow2 bool) (uint64, uint64, bool) {
	m.calls.Create++
	return m.s.ertsMmap(size, pow2, false)
}

func (m *Mseg) destroy(seg, size uint64) {
	m.calls.Destroy++
	m.s.ertsMunmap(seg, size)
}

// --- the cache ------------------------------------------------------------

// cacheGet is cache_get_segment (rules C2, C3).
func (m *Mseg) cacheGet(size uint64, pow2 bool) (uint64, uint64, bool) {
	if pow2 {
		ix := spCacheIdx(size)
		if ix < 0 {
			return 0, 0, false
		}
		for i := ix; i < spCacheAreas; i++ {
			h := spCqPowered + i
			if m.cqEmpty(h) {
				continue
			}
			c := int(m.cq[h].next)
			seg, csize := m.cq[c].seg, m.cq[c].size
			m.cacheSize--
			m.cacheHits++
			m.cqRelease(c)
			if csize != size {
				m.destroy(seg+size, csize-size)
			}
			return seg, size, true
		}
		return 0, 0, false
	}
	h := spCqUnpowered
	best, bdiff := -1, uint64(0)
	for c := int(m.cq[h].next); c != h; c = int(m.cq[c].next) {
		csize := m.cq[c].size
		if csize < size {
			continue
		}
		if (csize-size)*100 < m.rmcbf*size && csize-size < m.amcbf {
			seg := m.cq[c].seg
			m.cacheSize--
			m.cacheHits++
			m.cqRelease(c)
			return seg, csize, true
		}
		if best < 0 || csize-size < bdiff {
			best, bdiff = c, csize-size
		}
	}
	if best < 0 {
		return 0, 0, false
	}
	seg := m.cq[best].seg
	m.cacheHits++
	m.cq[best].seg += size
	m.cq[best].size -= size
	return seg, size, true
}

// cacheBless is cache_bless_segment (rules C4–C6): it reports whether the
// segment was cached.
func (m *Mseg) cacheBless(seg, size uint64, pow2 bool) bool {
	if !m.cqEmpty(spCqFree) {
		ix := 0
		if pow2 {
			if ix = spCacheIdx(size); ix < 0 {
				return false
			}
		}
		c := int(m.cq[spCqFree].next)
		m.cqRemove(c)
		m.cq[c].seg, m.cq[c].size = seg, size
		if pow2 {
			m.cqPushHead(spCqPowered+ix, c)
		} else {
			m.cqPushHead(spCqUnpowered, c)
		}
		m.cacheSize++
		return true
	}
	if pow2 {
		return false
	}
	if !m.cqEmpty(spCqUnpowered) {
		c := int(m.cq[spCqUnpowered].prev) // oldest
		m.cqRemove(c)
		m.destroy(m.cq[c].seg, m.cq[c].size)
		m.cq[c].seg, m.cq[c].size = seg, size
		m.cqPushHead(spCqUnpowered, c)
		return true
	}
	for i := 0; i < spCacheAreas; i++ {
		h := spCqPowered + i
		if m.cqEmpty(h) {
			continue
		}
		c := int(m.cq[h].prev) // oldest of the smallest class
		m.cqRemove(c)
		m.destroy(m.cq[c].seg, m.cq[c].size)
		m.cq[c].seg, m.cq[c].size = seg, size
		m.cqPushHead(spCqUnpowered, c)
		return true
	}
	return false
}

// --- the mseg_alloc interface -----------------------------------------------

func (m *Mseg) alloc(size uint64, pow2 bool) (uint64, uint64, bool) {
	m.calls.Alloc++
	if m.cacheSize > 0 {
		if seg, sz, ok := m.cacheGet(size, pow2); ok {
			m.allocStat(sz)
			return seg, sz, true
		}
	}
	seg, sz, ok := m.create(size, pow2)
	if !ok {
		return 0, 0, false
	}
	m.allocStat(sz)
	return seg, sz, true
}

func (m *Mseg) dealloc(seg, size uint64, pow2 bool) {
	m.deallocStat(size)
	if m.cacheBless(seg, size, pow2) {
		m.scheduleCacheCheck()
	} else {
		m.destroy(seg, size)
	}
	m.calls.Dealloc++
}

// spMbcSegSize is the size mseg_alloc makes of an MBC request:
// ALIGNED_CEILING, then the next power of two (rule C1).
func spMbcSegSize(want uint64) uint64 {
	size := spCeil(want, spSAUnit)
	if size == 0 {
		size = spSAUnit
	}
	if size&(size-1) != 0 {
		p := uint64(spSAUnit)
		for p < size {
			p <<= 1
		}
		size = p
	}
	return size
}

// AllocMBC allocates a segment for a multiblock carrier: size =
// pow2(ceil16K(want)), 16 KiB aligned. The cache is tried first (the newest
// segment of the smallest non-empty class that is large enough, its excess
// tail unmapped at once), then the mem mapper. ok is false when neither can
// give one (the super carrier is full and +MMsco true, or the address space
// is exhausted); the caller then falls back to sys_alloc.
func (m *Mseg) AllocMBC(want uint64) (addr, size uint64, ok bool) {
	return m.alloc(spMbcSegSize(want), true)
}

// AllocSBC allocates a segment for a single-block carrier of want bytes,
// rounded up to 4 KiB. A cached segment that is good enough (less than
// rmcbf % and less than amcbf bytes larger) is taken whole, so size may
// exceed the rounded request; otherwise the cached segment with the least
// excess is split (the carrier gets its first size bytes). size is also
// larger when the super carrier has to place the segment in its aligned
// area (rounded up to 16 KiB, rule M4(3)).
func (m *Mseg) AllocSBC(want uint64) (addr, size uint64, ok bool) {
	return m.alloc(spCeil(want, spPage), false)
}

// DeallocMBC gives back an MBC segment (cached if a slot is free, else
// unmapped).
func (m *Mseg) DeallocMBC(addr, size uint64) { m.dealloc(addr, size, true) }

// DeallocSBC gives back an SBC segment (cached if a slot is free, else it
// evicts the oldest unpowered segment, or the oldest of the smallest
// power-of-two class, and takes its slot).
func (m *Mseg) DeallocSBC(addr, size uint64) { m.dealloc(addr, size, false) }

// ReallocSBC is mseg_realloc of an SBC segment [addr, addr+old) to want
// bytes (rule C7). want is rounded up to 4 KiB. A shrink by less than
// asbcst bytes and by less than rsbcst percent of old keeps the old size;
// otherwise the segment is resized through the mem mapper (mremap): a shrink
// happens in place, a grow in place when the free segment right above
// reaches far enough, else the segment moves (newAddr differs; the old
// segment is already released). The cache is never used. ok is false only
// when a grow could not be satisfied; the old segment is then unchanged.
// alloc_util (resize_carrier) then creates a new carrier itself — a
// sys_alloc SBC, or with +Musac false a fresh AllocSBC(ceil4K(block+32)) —
// copies, and DeallocSBCs the old segment; the oracle shows exactly that
// when a super carrier is nearly full (testdata/crossover.trace).
//
// As in the runtime, addr 0 (or old 0) allocates, want 0 deallocates, and
// neither counts as an mseg_realloc call.
func (m *Mseg) ReallocSBC(addr, old, want, asbcst, rsbcst uint64) (newAddr, newSize uint64, ok bool) {
	if addr == 0 || old == 0 {
		newAddr, newSize, ok = m.AllocSBC(want)
		m.calls.Alloc--
		return
	}
	if want == 0 {
		m.DeallocSBC(addr, old)
		m.calls.Dealloc--
		return 0, 0, true
	}
	newAddr, newSize, ok = addr, spCeil(want, spPage), true
	switch {
	case newSize > old:
		m.calls.Recreate++
		if newAddr, newSize, ok = m.s.ertsMremap(addr, old, newSize, false); !ok {
			newAddr, newSize = 0, old
		}
	case newSize < old:
		shrink := old - newSize
		if shrink < asbcst && 100*shrink < rsbcst*old {
			newSize = old
		} else {
			m.calls.Recreate++
			if newAddr, newSize, ok = m.s.ertsMremap(addr, old, newSize, false); !ok {
				newAddr, newSize = 0, old
			}
		}
	}
	m.calls.Realloc++
	m.segSz = m.segSz - old + newSize
	if !ok {
		return 0, old, false
	}
	return newAddr, newSize, true
}

// --- ageing (rule C8; erts-alloc-facts §3.6) --------------------------------
//
// The runtime ages the cache with the aux-work timeout of erl_process.c,
// and that timer is one timer for the whole node, not one per mseg
// instance: erts_set_aux_work_timeout(ix, type, 1) only adds a reference
// (aux_work_tmo->refc) and starts the timer when none is pending;
// start_aux_work_timer sets it to ERTS_MSEC_TO_CLKTCKS(1000) clock ticks
// (1 ms each on Unix) after the current monotonic time rounded up to a
// tick; aux_work_timeout, when it fires, flags the aux work of every
// index that has a timeout type enabled and re-arms the timer from the
// time it fires unless no index has one (refc back to its own reference).
// The flagged aux work of an mseg instance (erts_mseg_cache_check) drops
// one segment and, when the cache is then empty, clears
// is_cache_check_scheduled and withdraws its reference — after the firing
// has already re-armed the timer, so one more firing follows in which
// nothing is flagged and the timer stops.
//
// The simulator models exactly that on the trace's clock (t records):
//
//   - a segment cached while the instance's check is not scheduled
//     schedules it; if the Space's timer is idle it is armed for
//     ceilMs(now) + 1 s (now: the clock of the last Advance);
//   - a firing at F (a time ≤ the clock Advance moves to) runs Tick on
//     every instance whose check is scheduled, in instance order, and
//     re-arms for F + 1 s if there was at least one, else stops;
//   - the instances therefore share the phase of the timer: a segment
//     cached while the timer is pending (another instance ageing, or the
//     one idle firing after a cache emptied) is first checked at that
//     pending firing, not one second after it was cached.
//
// fix_alloc shrinking (sched_fix_shrink in erl_alloc_util.c) holds the
// same timer in the runtime, so while a shrink is scheduled the timer keeps
// running (and keeps its phase) even with every mseg cache empty; the
// simulator times fix_alloc separately (allocator), so here only mseg
// keeps this timer running. A firing never lags (the runtime's does, by
// the scheduler's reaction time, and each re-arm starts from the late
// time).

const (
	// spClkTck is one clock tick of the timer wheel in nanoseconds
	// (ERTS_CLKTCK_RESOLUTION 1000 per second on Unix).
	spClkTck = 1_000_000
	// spAuxWorkTmo is the aux-work timeout, ERTS_MSEC_TO_CLKTCKS(1000).
	spAuxWorkTmo = 1000 * spClkTck
)

// spAuxTimer is the node's aux-work timeout (ErtsAuxWorkTmo) as far as
// mseg uses it, and the simulated clock.
type spAuxTimer struct {
	now   uint64 // the simulated clock, ns since the start of the trace
	due   uint64 // when the timer fires, if armed
	armed bool
}

// start is start_aux_work_timer at the current clock: the first tick
// boundary at or after now (ERTS_MONOTONIC_TO_CLKTCKS(now-1)+1), plus 1 s.
func (t *spAuxTimer) start() {
	t.due = (t.now+spClkTck-1)/spClkTck*spClkTck + spAuxWorkTmo
	t.armed = true
}

// scheduleCacheCheck is schedule_cache_check: the instance's check is
// enabled, and the node's timer started if it is idle.
func (m *Mseg) scheduleCacheCheck() {
	if m.checkScheduled {
		return
	}
	m.checkScheduled = true
	if t := &m.s.tmo; !t.armed {
		t.start()
	}
}

// Now is the simulated clock: the time of the last Advance (0 before it).
func (s *Space) Now() uint64 { return s.tmo.now }

// Advance moves the simulated clock to now (nanoseconds since the start of
// the trace; a smaller value than the clock leaves it unchanged) and fires
// every due firing of the ageing timer up to and including now, in time
// order (see "ageing" in mseg.go, rule C8). It allocates nothing, and the
// number of firings is bounded by the cached segments plus the instances
// plus one, whatever the gap.
func (s *Space) Advance(now uint64) {
	t := &s.tmo
	for t.armed && t.due <= now {
		f := t.due
		t.now = max(t.now, f)
		flagged := false
		for i := range s.msegs {
			if m := &s.msegs[i]; m.checkScheduled {
				flagged = true
				m.Tick()
			}
		}
		if flagged {
			t.due = f + spAuxWorkTmo
		} else {
			t.armed = false
		}
	}
	t.now = max(t.now, now)
}

// NextCheck reports when the instance's cache is next checked by the
// ageing timer (ok is false when its check is not scheduled).
func (m *Mseg) NextCheck() (at uint64, ok bool) {
	if !m.checkScheduled || !m.s.tmo.armed {
		return 0, false
	}
	return m.s.tmo.due, true
}

// Tick is the aux work one firing of the ageing timer gives the instance
// (mseg_cache_check): if its check is scheduled it destroys one cached
// segment — the oldest of the smallest non-empty power-of-two class, else
// the oldest unpowered one — counts an mseg_check_cache call, and
// unschedules the check when the cache is then empty (rule C8). A Tick
// while the check is not scheduled does nothing. Space.Advance calls it at
// the firing times; calling it directly ignores the clock.
func (m *Mseg) Tick() {
	if !m.checkScheduled {
		return
	}
	if m.checkCache() == 0 {
		m.checkScheduled = false
	}
	m.calls.CheckCache++
}

func (m *Mseg) dropOne(h int) int {
	c := int(m.cq[h].prev)
	seg, size := m.cq[c].seg, m.cq[c].size
	m.cqRelease(c)
	m.destroy(seg, size)
	m.watermark--
	m.cacheSize--
	return m.cacheSize
}

func (m *Mseg) checkCache() int {
	for i := 0; i < spCacheAreas; i++ {
		if h := spCqPowered + i; !m.cqEmpty(h) {
			return m.dropOne(h)
		}
	}
	if !m.cqEmpty(spCqUnpowered) {
		return m.dropOne(spCqUnpowered)
	}
	return 0
}

// ClearCache is mseg_clear_cache: every cached segment is destroyed (power
// classes from the smallest, each oldest first, then the unpowered list).
func (m *Mseg) ClearCache() {
	for i := 0; i < spCacheAreas; i++ {
		for h := spCqPowered + i; !m.cqEmpty(h); {
			m.dropOne(h)
		}
	}
	for !m.cqEmpty(spCqUnpowered) {
		m.dropOne(spCqUnpowered)
	}
	m.calls.ClearCache++
}
