// The segment layer: where carriers get their addresses.
//
// This file, mmap.go, mseg.go, sys.go and space_tree.go model the layers of
// erts_alloc below alloc_util (erts-alloc-facts §1.1), for Erlang/OTP 25.2.3
// on 64-bit Linux:
//
//	alloc_util carrier  ──mseg──▶  Mseg (mseg_alloc instance, segment cache)
//	                                  │
//	                                  ▼
//	                    Space: the default mem mapper (erts_mmap)
//	                      ├─ super carrier (+MMscs > 0): SA ↑ … ↓ SUA
//	                      └─ Linux mmap model (no super carrier, or +MMsco false)
//	alloc_util carrier  ──sys───▶  Space.SysAlloc (glibc malloc model)
//	                                  ├─ brk heap       (< 128 KiB)
//	                                  └─ Linux mmap model (≥ 128 KiB)
//
// A Space is the simulated address space of one node. Addresses are plain
// uint64s; nothing is ever really mapped. alloc_util's address-ordered
// strategies (aoff*, the carrier order in layouts) depend on where carriers
// are, so the placement rules below are reproduced exactly where the runtime
// is deterministic (the super carrier, mseg's cache) and by a documented,
// deterministic model where it is not (the kernel's mmap, glibc).
//
// # Sources
//
// The authoritative statement is ../shared/oracle/README.md, sections
// "Address model the simulator must reproduce" and its "mseg cache"
// paragraph (cited [AM] below), with check_addr_model.py as its executable
// form, validated there against 253 235 carrier events of the real runtime.
// erts-alloc-facts §1.1 (layers), §2.5 (+MM flags), §3.1 (constants), §3.6
// (mseg and its cache) and §3.7 (super carrier) give the background; where
// they are silent (descriptor exhaustion, a segment in the wrong area,
// statistics), the code follows erl_mmap.c and erl_mseg.c of OTP 25.
//
// # Structures
//
// Space holds one spOS (the Linux mmap area), at most one spSuper (the super
// carrier), the Mseg instances and one spSys (malloc). Every set of free
// ranges is an spTreap: a treap over an index-linked node arena (int32
// links, free-list reuse), so that after warm-up no operation allocates.
//
//   - spSuper keeps, per area, an spFreeMap: the free segments indexed twice,
//     by (usable size, address) for best fit and by start address for the
//     neighbour lookups (the segment ending at x is the predecessor of x) —
//     the two red-black trees of ErtsFreeSegMap. All O(log n).
//   - spOS keeps the gaps of [spMmapLow, spMmapBase) by start address,
//     augmented with the largest gap in each subtree, so "the highest gap of
//     at least n bytes" is one O(log n) descent.
//   - Mseg keeps its cache as erl_mseg.c does: up to 30 slots linked into
//     circular lists (one per power of two from 16 KiB to 2 GiB, one
//     "unpowered" list, one list of free slots), newest at the head.
//   - spSys keeps the heap's free chunks like spOS's gaps (augmented, for
//     first fit) and a map from user address to chunk.
//
// # Mem mapper: the super carrier (+MMscs > 0)
//
// M1. Layout [facts §3.7, erl_mmap.c erts_mmap_init]. The super carrier is
// one mapping of ceil4K(scs) bytes made when the Space is created (rule O1).
// Its bottom max(scrfsd, 100)·64 bytes are the free-segment descriptor area;
// the aligned area SA starts at the first 16 KiB boundary above it (saBot)
// and grows upward (saTop, initially saBot); the unaligned area SUA ends at
// the mapping's end (suaTop) and grows downward (suaBot, initially suaTop).
// Each area keeps a set of free segments [start, end), always coalesced:
// no two touch, and none touches saTop/suaBot [AM "Two areas"]. A segment
// belongs to SA iff saBot ≤ addr < saTop, else to SUA — so an SBC that had
// to be placed in SA is freed into SA's set.
//
// M2. SA allocate(S), S = ceil16K (MBCs: a power of two) [AM "SA
// allocate"]: (1) the free SA segment with the smallest usable size ≥ S —
// usable = the 16 KiB-aligned part — lowest address on equal size; the
// carrier goes at its first aligned address, [start+S, end) stays free;
// (2) else at saTop if saTop+S ≤ suaBot (saTop += S); (3) else a free SUA
// segment of at least S+16 KiB (best fit, highest address on ties), the
// carrier at its first aligned address, the pieces before and after stay
// free in SUA; (4) else fail.
//
// M3. Sizes [AM "Sizes mseg asks for"]: mseg rounds an MBC request to
// pow2(ceil16K(want)) and an SBC request to ceil4K(want) before the mapper
// sees it (rule C1).
//
// M4. SUA allocate(S), S = ceil4K [AM "SUA allocate"]: (1) the free SUA
// segment with the smallest size ≥ S, highest address on equal size; the
// carrier goes at its *low* end, [start+S, end) stays free; (2) else, if
// S ≤ suaBot − saTop, suaBot −= S and the carrier is at suaBot; (3) else a
// free SA segment as in M2(1) with S rounded up to 16 KiB, which is then
// the carrier's size (saTop is not raised for SBCs); (4) else fail.
//
// M5. Fail [facts §3.7]: with +MMsco true (the default) the request fails
// (ok=false; alloc_util then tries sys_alloc unless +Musac false); with
// +MMsco false it goes to the OS (rule O4).
//
// M6. Free(start, S) [AM "SA free", "SUA free"]: in SA, a segment ending at
// saTop lowers saTop to its start, or to the start of a free segment ending
// there (which is removed); in SUA, a segment starting at suaBot raises
// suaBot to its end, or to the end of a free segment starting there.
// Otherwise the segment joins the free set, merged with a free segment
// ending at start and/or one starting at start+S.
//
// M7. Resize (mremap) of a segment p of size O to N [AM "SBC resize"; facts
// §6.2]: (1) N < O: in place; the tail [p+N, p+O) becomes free, merged with
// a free segment starting at p+O (in SA a segment ending at saTop just lowers
// saTop). (2) N > O: in place if a free segment starts exactly at p+O and
// reaches p+N (it shrinks to [p+N, end) or disappears; in SA a segment
// ending at saTop grows saTop up to suaBot). (3) Otherwise move: allocate N
// (M2/M4, or the OS) while the old segment is still held, then free the old
// one. (4) A segment lying in the wrong area (an SBC in SA) whose own area
// now has a fit moves there first. Resizes never touch mseg's cache.
//
// M8. Descriptors [erl_mmap.c alloc_desc_insert_free_seg]: every free
// segment needs a 64-byte descriptor; the descriptor area gives
// (saBot − start)/64 of them, carved a page (64) at a time. The README
// notes exhaustion cannot happen with realistic traces; it is modelled
// anyway, because +MMscrfsd can be as low as 100: when a new free segment
// finds no descriptor, a page is mmapped at the hint after the super
// carrier (only with +MMsco false), else the first page of the best-fit free
// SUA segment (then SA segment) becomes descriptors, else the first page of
// the new free segment itself. Such pages stay used for good.
//
// M9. Statistics [erl_mmap.c]: used/used_sa/used_sua as erts_mmap_info
// reports them, including the runtime's quirk that shrinking the segment at
// saTop does not decrease used_sa.
//
// # Mem mapper: the Linux mmap model (no super carrier, or +MMsco false)
//
// Linux chooses mmap addresses itself (ASLR); the model is deterministic and
// keeps only the property that matters to address-ordered strategies, the
// top-down order of a fresh process.
//
// O1. mmap(n) puts the mapping at the top of the highest gap of at least n
// bytes in [spMmapLow, spMmapBase) = [0x10000000000, 0x7f0000000000)
// (Linux's top-down vm_unmapped_area; mmap_base is a fixed 0x7f0000000000
// instead of a random one below the stack), minus the executable image and
// brk heap range (rule S2). The super carrier, made first, is therefore the
// topmost mapping.
//
// O2. A hint (only used for descriptor pages, M8) is honoured when the range
// is unmapped, else O1.
//
// O3. munmap frees the range (gaps coalesce). mremap with MREMAP_MAYMOVE:
// a shrink unmaps the tail; a grow extends in place when the range above is
// unmapped, else maps the new size elsewhere (O1) while the old mapping
// still exists, then unmaps the old one. Nothing above spMmapBase is ever
// used, so a mapping touching it always moves to grow.
//
// O4. erts_mmap outside a super carrier: an unaligned request is mmap(ceil4K).
// A superaligned one (MBC) is mmap(ceil16K(n)); if that lands unaligned it
// is unmapped, mmap(n+16 KiB) is made and trimmed to the first aligned n
// bytes — i.e. at the top of the highest gap, aligned down. mremap of a
// segment outside a super carrier first tries to move it into the super
// carrier, if there is one.
//
// # mseg_alloc [AM "mseg cache"; facts §3.6; erl_mseg.c]
//
// C1. AllocMBC(want): S = pow2(ceil16K(want)). AllocSBC(want): S =
// ceil4K(want). The cache is consulted only when it holds a segment, then
// the mapper (mseg_create).
//
// C2. MBC from the cache: the newest segment of the first non-empty power
// class ≥ S is reused at its address; if it is larger, its tail beyond S is
// unmapped at once (an mseg_destroy). Segments ≥ 4 GiB bypass the cache
// (the runtime's class index is undefined there).
//
// C3. SBC from the cache: walk the unpowered list newest → oldest; the first
// segment C ≥ S with 100·(C−S) < rmcbf·S and C−S < amcbf is reused whole —
// the carrier gets size C. If none qualifies, the one with the smallest
// C−S (the first found on ties) is split: the carrier gets its first S
// bytes, the rest stays cached in the same list position (with rmcbf or
// amcbf 0 an exact fit leaves an empty cached segment, as in the runtime).
// Both count as cache hits.
//
// C4. Free with a free slot: the segment goes to the head of its power class
// (MBC) or of the unpowered list (SBC).
//
// C5. Free of an SBC with no free slot: the oldest unpowered segment is
// unmapped and this one takes its slot at the head of the unpowered list;
// if there is none, the oldest segment of the smallest non-empty power
// class is unmapped instead.
//
// C6. Free of an MBC with no free slot: the segment is unmapped (MBCs never
// evict).
//
// C7. ReallocSBC(p, O, want): R = ceil4K(want); R == O: nothing; R < O and
// O−R < asbcst and 100·(O−R) < rsbcst·O: keep O (erts-alloc-facts §3.6,
// §6.2: shrink only if ≥ asbcst or ≥ rsbcst %); else mremap (M7 / O3). If
// the mremap cannot grow the segment, ok is false and alloc_util makes a new
// carrier itself (resize_carrier; measured with the oracle, see ReallocSBC).
//
// C8. Ageing (Tick) runs on the simulated clock (Space.Advance, fed by the
// trace's t records): while a cache holds segments a 1 s timer destroys
// one per firing — the oldest of the smallest non-empty power class, else
// the oldest unpowered one. As in erl_process.c the timer is one for all
// instances: caching a segment while the instance's check is unscheduled
// schedules it and, if the timer is idle, arms it for ceilMs(now) + 1 s;
// each firing at F ticks every scheduled instance (an instance whose cache
// becomes empty unschedules itself) and re-arms for F + 1 s — relative to
// the firing, not to when a segment was cached — unless no instance was
// scheduled, when it stops. So after a cache empties one idle firing
// follows, and a segment cached before it is first checked then. Details
// and sources in mseg.go ("ageing"); facts §3.6. The oracle never runs it
// during a replay.
//
// Statistics follow erl_mseg.c exactly: segments/segments_size count
// segments handed out (cached ones excluded); max is updated on allocation
// only (a growing mseg_realloc does not raise it) and folded into max_ever
// when Info is called; segments_watermark rises with the current count on
// allocation and falls only when ageing or ClearCache destroy a cached
// segment (so it is exact, not approximate). mseg_create counts every call
// of the mapper (also failed ones), mseg_destroy every unmap (tails of
// reused segments and evictions included), mseg_recreate every mremap.
//
// # sys_alloc: the glibc malloc model
//
// glibc is deterministic for one process but depends on everything else the
// process mallocs; the model keeps the shape — small chunks low in a brk
// heap, large ones mmapped high, address order within each — and is
// otherwise simplified. Only the relative order of addresses is meaningful
// to users of this model (address-ordered strategies); do not compare its
// absolute addresses with a real process.
//
// S1. A request of n bytes has chunk size max(32, ceil16(n+8)) (glibc's
// request2size); the pointer returned is chunk+16.
//
// S2. n < 128 KiB (glibc's default M_MMAP_THRESHOLD; the dynamic threshold
// is ignored): the brk heap, starting at spHeapBase and growing upward (at
// most spHeapMax; that range is not part of the mmap area).
// First fit in address order over the free chunks, else at the top; a
// remainder under 32 bytes stays with the chunk. Free chunks coalesce, and
// a free chunk that reaches the top lowers it (the top "shrinks on free";
// glibc's trim threshold is ignored).
//
// S3. n ≥ 128 KiB: an mmapped chunk of ceil4K(chunk+8) bytes from the Linux
// mmap model (O1) — for page multiples that is n rounded up plus one page
// for the chunk header — and the pointer is mapping+16. With alignment
// (posix_memalign, 16 KiB for sys_alloc MBCs) the mapping is
// ceil4K(request2size(chunk+align+32)+8) and the pointer the first aligned
// address above mapping+16; in the heap, the first chunk position whose
// pointer is aligned and whose leading remainder is 0 or ≥ 32 bytes.
// (Real glibc decides heap vs. mmap only when the top chunk cannot serve a
// request, and for memalign on the padded size; both are ignored.)
//
// S4. SysRealloc of a heap chunk: shrink in place (a remainder ≥ 32 bytes
// is freed); grow in place at the top or into a free chunk right after it;
// else malloc (S2/S3) + free.
//
// S5. SysRealloc of an mmapped chunk: mremap of the mapping (O3), in place
// or moved; it stays mmapped whatever the new size.
//
// S6. sys_alloc and mseg share the Linux mmap model (one process), so a
// sys_alloc SBC and an mseg segment outside a super carrier interleave as
// their creation order dictates.

package carriers

import "fmt"

const (
	// spPage is the page size (facts §3.1).
	spPage = 4096
	// spSAUnit is ERTS_SUPERALIGNED_SIZE = MSEG_ALIGNED_SIZE, 16 KiB on
	// 64-bit since OTP 24 (facts §3.1): MBC segments are aligned to it and
	// sized in multiples of it.
	spSAUnit = 16384
	// spDescSize is sizeof(ErtsFreeSegDesc): two red-black tree nodes
	// (3 words each) plus start and end.
	spDescSize = 64
	// spMmapBase is the simulated mmap_base: the top of the area top-down
	// mmap allocates from (rule O1). A real process has a random one below
	// the stack; any fixed value gives the same order.
	spMmapBase = 0x7f0000000000
	// spMmapLow is the lowest address the simulated mmap uses (rule O1),
	// far above the brk heap (spHeapBase).
	spMmapLow = 0x10000000000
)

// spCeil rounds x up to a multiple of u (a power of two).
func spCeil(x, u uint64) uint64 { return (x + u - 1) &^ (u - 1) }

// SpaceConfig: the +MM flags and +Musac relevant to placement.
type SpaceConfig struct {
	SCS    uint64 // super carrier size in bytes (+MMscs is MiB; the caller converts); 0 = no super carrier
	SCO    bool   // +MMsco, default true: super carrier only (no OS mmap fallback)
	SCRPM  bool   // +MMscrpm: no effect on placement (kept for reporting)
	SCRFSD uint64 // +MMscrfsd, default 65536 (min 100): descriptor area = max(scrfsd,100)*64 bytes at the bottom
	MCS    int    // +MMmcs segment cache slots per mseg instance, 0..30, default 10
	RMCBF  uint64 // +MMrmcbf percent, default 20
	AMCBF  uint64 // +MMamcbf bytes, default 4 MiB
	// MsegInstances is the number of mseg instances (1 for a single
	// allocator; N+1 for a node: instance 0 plus one per normal scheduler).
	MsegInstances int
}

// DefaultSpaceConfig is the OTP 25 default (erts-alloc-facts §2.5): no super
// carrier, sco true, scrpm true, scrfsd 65536, mcs 10, rmcbf 20, amcbf
// 4 MiB, one mseg instance.
func DefaultSpaceConfig() SpaceConfig {
	return SpaceConfig{
		SCO:           true,
		SCRPM:         true,
		SCRFSD:        65536,
		MCS:           10,
		RMCBF:         20,
		AMCBF:         4 << 20,
		MsegInstances: 1,
	}
}

// Space is the simulated address space of one node: the default mem mapper
// (with its super carrier, if any), the mseg_alloc instances on top of it,
// and the malloc model behind sys_alloc.
type Space struct {
	cfg    SpaceConfig
	os     spOS
	sc     *spSuper
	osUsed uint64 // size.os.used: bytes the mem mapper mapped outside a super carrier
	msegs  []Mseg
	tmo    spAuxTimer // the simulated clock and the mseg ageing timer (rule C8)
	sys    spSys
}

// CheckConfig reports why a node with cfg could not start, or nil: like
// the runtime ("erts_mmap: No space for segments in super carrier"), it
// refuses a super carrier too small for its descriptor area and one that
// does not fit the simulated address space.
func CheckConfig(cfg SpaceConfig) error {
	if cfg.SCS == 0 {
		return nil
	}
	sz := spCeil(cfg.SCS, spPage)
	if max(cfg.SCRFSD, 100)*spDescSize+spSAUnit+spPage > sz {
		return fmt.Errorf("+MMscs %d: no space for segments in a super carrier of %d bytes (its descriptor area takes +MMscrfsd x 64 = %d bytes)",
			cfg.SCS>>20, sz, max(cfg.SCRFSD, 100)*spDescSize)
	}
	var os spOS
	os.init()
	if _, ok := os.mmap(sz); !ok {
		return fmt.Errorf("+MMscs %d: failed to create a super carrier of %d bytes", cfg.SCS>>20, sz)
	}
	return nil
}

// NewSpace creates the address space. It panics if the super carrier does
// not fit (the runtime refuses to start); CheckConfig tells beforehand.
func NewSpace(cfg SpaceConfig) *Space {
	cfg.MCS = min(max(cfg.MCS, 0), spMaxCacheSize)
	cfg.SCRFSD = max(cfg.SCRFSD, 100)
	cfg.MsegInstances = max(cfg.MsegInstances, 1)
	s := &Space{cfg: cfg}
	s.os.init()
	s.sys.heapTop = spHeapBase
	s.sys.free.aug = true
	s.sys.chunks = make(map[uint64]spSysChunk)
	if cfg.SCS > 0 {
		sz := spCeil(cfg.SCS, spPage)
		desc := cfg.SCRFSD * spDescSize
		if desc+spSAUnit+spPage > sz {
			panic(fmt.Sprintf("carriers: no space for segments in a super carrier of %d bytes", sz))
		}
		start, ok := s.os.mmap(sz)
		if !ok {
			panic(fmt.Sprintf("carriers: failed to create a super carrier of %d bytes", sz))
		}
		sc := &spSuper{start: start, end: start + sz, noOSMmap: cfg.SCO}
		sc.saBot = spCeil(start+desc, spSAUnit)
		sc.saTop = sc.saBot
		sc.suaTop, sc.suaBot = sc.end, sc.end
		sc.sa.sa = true
		sc.usedTotal = sc.saBot - start
		sc.unusedStart, sc.unusedEnd, sc.hasUnused = start, sc.saBot, true
		sc.reserved = (sc.saBot - start) / spDescSize
		sc.newAreaHint = sc.end
		s.sc = sc
	}
	s.msegs = make([]Mseg, cfg.MsegInstances)
	for i := range s.msegs {
		s.msegs[i].init(s, i)
	}
	return s
}

// Config is the configuration the Space runs with (after clamping).
func (s *Space) Config() SpaceConfig { return s.cfg }

// Mseg is mseg_alloc instance i (0 = the global instance).
func (s *Space) Mseg(i int) *Mseg { return &s.msegs[i] }

// MsegInstances is the number of mseg instances.
func (s *Space) MsegInstances() int { return len(s.msegs) }

// MmapInfo is the default mem mapper as erlang:system_info({allocator,
// erts_mmap}) shows it, plus the super carrier's geometry.
type MmapInfo struct {
	SuperCarrier   bool
	Start, End     uint64 // the super carrier mapping
	SABot, SATop   uint64 // aligned area [SABot, SATop)
	SUABot, SUATop uint64 // unaligned area [SUABot, SUATop)

	// {sizes, [...]} of the super carrier.
	Total, TotalSA, TotalSUA uint64
	Used, UsedSA, UsedSUA    uint64

	// {free_segs, [...]}: descriptors in use, their maximum, descriptors
	// created, descriptors reserved, free segments in SA and in SUA.
	FreeSegsUsed, FreeSegsMax, FreeSegsAllocated, FreeSegsReserved uint64
	FreeSegsSA, FreeSegsSUA                                        uint64

	// {os, [{sizes, [{used, B}]}]}: bytes mapped outside the super carrier.
	OSUsed uint64
}

// MmapInfo returns the mem mapper's state.
func (s *Space) MmapInfo() MmapInfo {
	in := MmapInfo{OSUsed: s.osUsed}
	if sc := s.sc; sc != nil {
		in.SuperCarrier = true
		in.Start, in.End = sc.start, sc.end
		in.SABot, in.SATop, in.SUABot, in.SUATop = sc.saBot, sc.saTop, sc.suaBot, sc.suaTop
		in.Total = sc.suaTop - sc.start
		in.TotalSA = sc.saTop - sc.saBot
		in.TotalSUA = sc.suaTop - sc.suaBot
		in.Used, in.UsedSA, in.UsedSUA = sc.usedTotal, sc.usedSA, sc.usedSUA
		in.FreeSegsUsed, in.FreeSegsMax = sc.segsCurr, sc.segsMax
		in.FreeSegsAllocated, in.FreeSegsReserved = sc.descTotal, sc.reserved
		in.FreeSegsSA, in.FreeSegsSUA = uint64(sc.sa.len()), uint64(sc.sua.len())
	}
	return in
}

// SegRange is an address range [Start, End).
type SegRange struct{ Start, End uint64 }

// FreeSegments lists the super carrier's free segments of each area in
// address order (nil, nil without a super carrier). For tests and reports.
func (s *Space) FreeSegments() (sa, sua []SegRange) {
	if s.sc == nil {
		return nil, nil
	}
	get := func(m *spFreeMap) []SegRange {
		out := make([]SegRange, 0, m.len())
		m.byAddr.each(func(nd *spTreapNode) bool {
			out = append(out, SegRange{nd.k1, nd.v})
			return true
		})
		return out
	}
	return get(&s.sc.sa), get(&s.sc.sua)
}

// CheckInvariants verifies the mapper's structures: both indexes of each
// free map agree, free segments lie in their area's bounds, none overlap or
// touch each other (a zero-length segment, possible only with rmcbf or
// amcbf 0, excepted), SA's do not touch saTop nor SUA's suaBot, descriptor
// counts add up, and the OS gap set is coalesced. O(n); for tests.
func (s *Space) CheckInvariants() error {
	if err := s.os.check(); err != nil {
		return err
	}
	sc := s.sc
	if sc == nil {
		return nil
	}
	if sc.saBot > sc.saTop || sc.saTop > sc.suaBot || sc.suaBot > sc.suaTop {
		return fmt.Errorf("areas out of order: saBot %#x saTop %#x suaBot %#x suaTop %#x", sc.saBot, sc.saTop, sc.suaBot, sc.suaTop)
	}
	check := func(name string, m *spFreeMap, lo, hi uint64) error {
		if !m.byAddr.check() || !m.bySize.check() {
			return fmt.Errorf("%s: tree structure broken", name)
		}
		if m.byAddr.Len() != m.bySize.Len() {
			return fmt.Errorf("%s: %d segments by address, %d by size", name, m.byAddr.Len(), m.bySize.Len())
		}
		var err error
		var prevEnd uint64
		first := true
		m.byAddr.each(func(nd *spTreapNode) bool {
			st, en := nd.k1, nd.v
			k1, k2 := m.sizeKey(st, en)
			switch {
			case en < st:
				err = fmt.Errorf("%s: segment [%#x,%#x) reversed", name, st, en)
			case st < lo || en > hi:
				err = fmt.Errorf("%s: segment [%#x,%#x) outside [%#x,%#x)", name, st, en, lo, hi)
			case !first && st <= prevEnd && en > st:
				err = fmt.Errorf("%s: segment [%#x,%#x) touches or overlaps the previous one ending at %#x", name, st, en, prevEnd)
			case m.bySize.Find(k1, k2) == 0 || m.bySize.Node(m.bySize.Find(k1, k2)).v != st:
				err = fmt.Errorf("%s: segment [%#x,%#x) missing from the size index", name, st, en)
			}
			first, prevEnd = false, en
			return err == nil
		})
		return err
	}
	if err := check("SA", &sc.sa, sc.saBot, sc.saTop); err != nil {
		return err
	}
	// Pieces cut off in front of an aligned segment go to SUA's set even
	// when they lie below saTop (erl_mmap.c), so SUA's bound is saBot.
	if err := check("SUA", &sc.sua, sc.saBot, sc.suaTop); err != nil {
		return err
	}
	if x := sc.sa.byAddr.Below(sc.saTop, 0); x != 0 {
		if nd := sc.sa.byAddr.Node(x); nd.v == sc.saTop && nd.v > nd.k1 {
			return fmt.Errorf("SA: free segment [%#x,%#x) touches saTop", nd.k1, nd.v)
		}
	}
	if x := sc.sua.byAddr.Find(sc.suaBot, 0); x != 0 && sc.sua.byAddr.Node(x).v > sc.suaBot {
		return fmt.Errorf("SUA: free segment at suaBot %#x", sc.suaBot)
	}
	if n := uint64(sc.sa.len() + sc.sua.len()); n != sc.segsCurr {
		return fmt.Errorf("descriptors in use %d, free segments %d", sc.segsCurr, n)
	}
	if sc.segsCurr+sc.descFree != sc.descTotal {
		return fmt.Errorf("descriptors: %d used + %d free != %d created", sc.segsCurr, sc.descFree, sc.descTotal)
	}
	return nil
}

// check verifies that the gaps are coalesced and inside the mmap area.
func (o *spOS) check() error {
	if !o.gaps.check() {
		return fmt.Errorf("mmap gaps: tree structure broken")
	}
	var err error
	var prevEnd uint64
	first := true
	o.gaps.each(func(nd *spTreapNode) bool {
		switch {
		case nd.v <= nd.k1 || nd.a != nd.v-nd.k1:
			err = fmt.Errorf("mmap gap [%#x,%#x) malformed", nd.k1, nd.v)
		case nd.k1 < spMmapLow || nd.v > spMmapBase:
			err = fmt.Errorf("mmap gap [%#x,%#x) outside the mmap area", nd.k1, nd.v)
		case !first && nd.k1 <= prevEnd:
			err = fmt.Errorf("mmap gap [%#x,%#x) touches the previous one", nd.k1, nd.v)
		}
		first, prevEnd = false, nd.v
		return err == nil
	})
	return err
}
