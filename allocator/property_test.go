package allocator_test

import (
	"fmt"
	"slices"
	"sort"
	"testing"

	"pgregory.net/rapid"

	"alloclab/allocator"
	"alloclab/carriers"
	"alloclab/strategies"
)

// Property tests of one alloc_util instance (the --single system), for every
// strategy and a range of option sets: random sequences of alloc, free and
// realloc, checked after every operation against a model that only knows
// which blocks the caller holds (id -> block index, requested size, tag):
//
//   - Instance.Check passes (tiling, coalescing, strategy structure,
//     carrier lists, statistics) and the segment layer's CheckInvariants;
//   - every live block is allocated, carries its tag (Block.U), lies in a
//     live carrier of the instance, and has the size the rules give:
//     SBC: exactly BlockSize(requested); MBC: at least BlockSize(requested)
//     and less than BlockSize(requested)+minimum block (split rule §4.4);
//   - live blocks and carriers do not overlap, and the carriers hold exactly
//     the model's live blocks (no leak, no block handed out twice);
//   - the statistics' current block counts (MBC + SBC) equal the model's;
//   - an operation that fails (Nil: only possible when the segment sources
//     fail, e.g. a tiny super carrier with +Musac false) changes nothing the
//     caller can see: same blocks, same addresses and sizes, same carriers,
//     same carrier and block statistics;
//   - nothing panics;
//   - the outcomes that follow from a block's neighbours alone (§6.1, §6.3):
//     realloc to the same block size or a shrink within rmbcmt stays in
//     place, a grow a free next block can take happens in place (absorbing
//     a rest below the minimum block), a size >= sbct ends in an SBC, and
//     with plentiful sources a size < sbct is allocated in an MBC.
//
// TestPropertyFreeAll also frees everything at the end: only the main carrier
// (if any) remains, as one free block spanning it; with mcs 0 the mem mapper
// (MmapInfo, FreeSegments) is back to its start state.
//
// Each strategy is a subtest; each check draws an option set from
// propConfigs. The default of 100 checks keeps a run at a few seconds; hunt
// for bugs with more, e.g.
//
//	go test ./allocator -run 'TestProperty' -rapid.checks=2000
//	go test ./allocator -run 'TestPropertyOps/aoffcbf' -rapid.checks=5000 -rapid.seed=42
//
// and replay a failure with -rapid.failfile (rapid prints the command; it
// writes the file under testdata/rapid/ — add -rapid.nofailfile to keep the
// tree clean and replay with -rapid.seed instead).

const (
	kib = uint64(1) << 10
	mib = uint64(1) << 20
	gib = uint64(1) << 30
)

// propConfig is one option set.
type propConfig struct {
	name  string
	opts  func(o *allocator.Options)
	util  func(u *allocator.UtilOptions)
	space func(c *carriers.SpaceConfig)
	// mayFail: carrier sources can run dry, so operations may return Nil.
	mayFail bool
	// draw, if set, draws the whole option set (the "random" config).
	draw func(t *rapid.T, o *allocator.Options, u *allocator.UtilOptions, c *carriers.SpaceConfig) (mayFail bool)
}

var propConfigs = []propConfig{
	{name: "defaults"},
	{name: "atags", opts: func(o *allocator.Options) { o.ATags = true }},
	{name: "sbct16k", opts: func(o *allocator.Options) { o.SBCT = 16 * kib }},
	{name: "growth", opts: func(o *allocator.Options) { o.SMBCS, o.LMBCS, o.MBCGS = 16*kib, 64*kib, 2 }},
	{name: "growth-sbct32k", opts: func(o *allocator.Options) {
		o.SMBCS, o.LMBCS, o.MBCGS, o.SBCT = 16*kib, 64*kib, 2, 32*kib
	}},
	{name: "rmbcmt0", opts: func(o *allocator.Options) { o.RMBCMT = 0 }},
	{name: "rmbcmt100", opts: func(o *allocator.Options) { o.RMBCMT = 100 }},
	{name: "mbsd1", opts: func(o *allocator.Options) { o.MBSD = 1 }},
	{name: "mmbcs16k", opts: func(o *allocator.Options) { o.MMBCS = 16 * kib }},
	{name: "mmbcs0", opts: func(o *allocator.Options) { o.MMBCS = 0 }},
	{name: "mcs0", space: func(c *carriers.SpaceConfig) { c.MCS = 0 }},
	{name: "mcs0-small", opts: func(o *allocator.Options) {
		o.SMBCS, o.LMBCS, o.MBCGS, o.MMBCS, o.SBCT = 16*kib, 128*kib, 3, 16*kib, 24*kib
	}, space: func(c *carriers.SpaceConfig) { c.MCS = 0 }},
	{name: "sources", opts: func(o *allocator.Options) {
		// Few mseg carriers allowed: sys_alloc MBCs and SBCs too.
		o.MMSBC, o.MMMBC = 1, 2
		o.SMBCS, o.LMBCS, o.MBCGS = 64*kib, 256*kib, 4
	}, util: func(u *allocator.UtilOptions) { u.MMC = 3 }},
	{name: "sc-nosac", util: func(u *allocator.UtilOptions) { u.SAC = false },
		space: func(c *carriers.SpaceConfig) { c.SCS, c.SCO = 16*gib, true }},
	{name: "sc-nosac-mcs0", util: func(u *allocator.UtilOptions) { u.SAC = false },
		space: func(c *carriers.SpaceConfig) { c.SCS, c.SCO, c.MCS = 16*gib, true, 0 }},
	{name: "sc-sac-mcs0", opts: func(o *allocator.Options) {
		o.SMBCS, o.LMBCS, o.MBCGS, o.SBCT = 16*kib, 64*kib, 2, 32*kib
	}, space: func(c *carriers.SpaceConfig) { c.SCS, c.SCO, c.MCS = 16*gib, true, 0 }},
	{name: "nosc-nosac", util: func(u *allocator.UtilOptions) { u.SAC = false }},
	{name: "tinysc", mayFail: true, util: func(u *allocator.UtilOptions) { u.SAC = false },
		space: func(c *carriers.SpaceConfig) { c.SCS, c.SCO = 8*mib, true }},
	{name: "tinysc-mcs0", mayFail: true, util: func(u *allocator.UtilOptions) { u.SAC = false },
		opts: func(o *allocator.Options) {
			o.SMBCS, o.LMBCS, o.MBCGS = 64*kib, 512*kib, 3
		},
		space: func(c *carriers.SpaceConfig) { c.SCS, c.SCO, c.MCS, c.SCRFSD = 6*mib, true, 0, 100 }},
	{name: "tinysc-sco-false", util: func(u *allocator.UtilOptions) { u.SAC = false },
		space: func(c *carriers.SpaceConfig) { c.SCS, c.SCO, c.MCS, c.SCRFSD = 5*mib, false, 0, 100 }},
	{name: "random", draw: drawOptions},
}

// drawOptions draws every knob that changes placement or carrier handling.
func drawOptions(t *rapid.T, o *allocator.Options, u *allocator.UtilOptions, c *carriers.SpaceConfig) bool {
	o.ATags = rapid.Bool().Draw(t, "atags")
	o.SBCT = rapid.SampledFrom([]uint64{4 * kib, 16 * kib, 100000, 512 * kib, 2 * mib}).Draw(t, "sbct")
	o.RMBCMT = rapid.Uint64Range(0, 100).Draw(t, "rmbcmt")
	o.RSBCMT = rapid.Uint64Range(0, 100).Draw(t, "rsbcmt")
	o.RSBCST = rapid.Uint64Range(0, 100).Draw(t, "rsbcst")
	o.ASBCST = rapid.SampledFrom([]uint64{0, 4096, 64 * kib, 4145152}).Draw(t, "asbcst")
	o.MBSD = rapid.Uint64Range(0, 5).Draw(t, "mbsd")
	o.MMBCS = rapid.SampledFrom([]uint64{0, 5 * kib, 16 * kib, 43690, 200 * kib, mib}).Draw(t, "mmbcs")
	o.SMBCS = rapid.SampledFrom([]uint64{16 * kib, 64 * kib, 100000, mib}).Draw(t, "smbcs")
	o.LMBCS = o.SMBCS * rapid.Uint64Range(1, 10).Draw(t, "lmbcs-factor")
	o.MBCGS = rapid.Uint64Range(0, 10).Draw(t, "mbcgs")
	o.MMSBC = rapid.SampledFrom([]uint64{0, 1, 3, 256}).Draw(t, "mmsbc")
	o.MMMBC = rapid.SampledFrom([]uint64{0, 1, 3, allocator.Infinite}).Draw(t, "mmmbc")
	u.YCS = rapid.SampledFrom([]uint64{16 * kib, 64 * kib, mib}).Draw(t, "ycs")
	u.MMC = rapid.SampledFrom([]uint64{0, 2, allocator.Infinite}).Draw(t, "mmc")
	u.SAC = rapid.Bool().Draw(t, "sac")
	c.MCS = rapid.IntRange(0, 30).Draw(t, "mcs")
	c.SCS = rapid.SampledFrom([]uint64{0, 0, 6 * mib, 8 * mib, 64 * mib, 16 * gib}).Draw(t, "scs")
	c.SCO = rapid.Bool().Draw(t, "sco")
	c.SCRFSD = rapid.SampledFrom([]uint64{100, 1024, 65536}).Draw(t, "scrfsd")
	return c.SCS > 0 && c.SCS < 16*gib && c.SCO && !u.SAC
}

// propSystem is one test allocator under test plus the model.
type propSystem struct {
	cfg   propConfig
	kind  strategies.Kind
	s     *allocator.Single
	in    *allocator.Instance
	h     *carriers.Heap
	sbct  uint64
	minBk uint64
	hdr   uint64

	live    map[int]*propBlock
	ids     []int // live ids in creation order (deterministic choice)
	nextID  int
	fails   int
	startMI carriers.MmapInfo
	startSA []carriers.SegRange
	startSU []carriers.SegRange
	log     []string // operations so far, for failure messages
}

type propBlock struct {
	blk  int32
	req  uint64
	tag  uint64
	addr uint64 // last known placement, for the "failed op changes nothing" check
	size uint64
}

func newPropSystem(t *rapid.T, k strategies.Kind, cfg propConfig) *propSystem {
	o := allocator.GenericDefaults()
	o.AS = k
	u := allocator.DefaultUtilOptions()
	sc := carriers.DefaultSpaceConfig()
	if cfg.opts != nil {
		cfg.opts(&o)
	}
	if cfg.util != nil {
		cfg.util(&u)
	}
	if cfg.space != nil {
		cfg.space(&sc)
	}
	if cfg.draw != nil {
		cfg.mayFail = cfg.draw(t, &o, &u, &sc)
	}
	s, err := allocator.NewSingle(o, u, sc)
	if err != nil {
		t.Fatalf("%s/%v: NewSingle: %v", cfg.name, k, err)
	}
	p := &propSystem{cfg: cfg, kind: k, s: s, in: s.Instance(), h: s.Heap(),
		sbct: o.SBCT, minBk: k.MinBlockSize(), hdr: k.MBCHeaderSize(),
		live: map[int]*propBlock{}, nextID: 1}
	p.startMI = s.Space().MmapInfo()
	p.startSA, p.startSU = s.Space().FreeSegments()
	p.verify(t, "start")
	return p
}

// drawSize draws a user size from a mixture around the instance's sbct.
func (p *propSystem) drawSize(t *rapid.T, label string, cur uint64) uint64 {
	sbct := p.sbct
	cats := []string{"tiny", "tiny", "small", "small", "small", "medium", "medium", "sbct", "large"}
	if cur > 0 {
		cats = append(cats, "near", "near", "same")
	}
	switch rapid.SampledFrom(cats).Draw(t, label+"-kind") {
	case "tiny":
		return rapid.Uint64Range(1, 64).Draw(t, label)
	case "small":
		return rapid.Uint64Range(65, min(2048, sbct-1)).Draw(t, label)
	case "medium":
		return rapid.Uint64Range(min(2049, sbct-1), sbct-1).Draw(t, label)
	case "sbct":
		return uint64(int64(sbct) + int64(rapid.IntRange(-128, 128).Draw(t, label)))
	case "large":
		return rapid.Uint64Range(sbct+1, 3*sbct).Draw(t, label)
	case "near":
		d := rapid.Uint64Range(0, 400).Draw(t, label)
		if cur > d+1 && rapid.Bool().Draw(t, label+"-shrink") {
			return cur - d
		}
		return cur + d
	default: // "same"
		return cur
	}
}

func (p *propSystem) pick(t *rapid.T, label string) int {
	return p.ids[rapid.IntRange(0, len(p.ids)-1).Draw(t, label)]
}

// snapshot is what the caller can see of the instance.
type propSnap struct {
	blocks    map[int][2]uint64
	crrs      [][3]uint64
	mbc, sbc  allocator.CarrierStats
	nLiveCrrs int
}

func (p *propSystem) snap() propSnap {
	sn := propSnap{blocks: map[int][2]uint64{}, mbc: p.in.Stats.MBCs, sbc: p.in.Stats.SBCs,
		nLiveCrrs: p.h.LiveCarriers()}
	for id, b := range p.live {
		bb := p.h.Blk(b.blk)
		sn.blocks[id] = [2]uint64{bb.Addr, bb.Size()}
	}
	p.in.EachCarrier(func(c int32) {
		cr := p.h.Crr(c)
		sb := uint64(0)
		if cr.SBC {
			sb = 1
		}
		sn.crrs = append(sn.crrs, [3]uint64{cr.Addr, cr.Size, sb})
	})
	return sn
}

func (p *propSystem) sameSnap(t *rapid.T, what string, a, b propSnap) {
	if len(a.blocks) != len(b.blocks) {
		p.fatalf(t, "%s failed but the live block count changed %d -> %d", what, len(a.blocks), len(b.blocks))
	}
	for id, v := range a.blocks {
		if b.blocks[id] != v {
			p.fatalf(t, "%s failed but block #%d moved or resized: %v -> %v", what, id, v, b.blocks[id])
		}
	}
	if !slices.Equal(a.crrs, b.crrs) || a.nLiveCrrs != b.nLiveCrrs {
		p.fatalf(t, "%s failed but the carriers changed:\n  before %x\n  after  %x", what, a.crrs, b.crrs)
	}
	if a.mbc != b.mbc || a.sbc != b.sbc {
		p.fatalf(t, "%s failed but the statistics changed:\n  mbcs %+v -> %+v\n  sbcs %+v -> %+v", what, a.mbc, b.mbc, a.sbc, b.sbc)
	}
}

func (p *propSystem) fatalf(t *rapid.T, format string, args ...any) {
	t.Helper()
	tail := p.log
	if len(tail) > 40 {
		tail = tail[len(tail)-40:]
	}
	t.Fatalf("%s/%v: %s\nlast operations:\n  %s", p.cfg.name, p.kind, fmt.Sprintf(format, args...),
		joinLines(tail))
}

func joinLines(s []string) string {
	out := ""
	for i, l := range s {
		if i > 0 {
			out += "\n  "
		}
		out += l
	}
	return out
}

func (p *propSystem) alloc(t *rapid.T) {
	size := p.drawSize(t, "alloc-size", 0)
	id := p.nextID
	p.nextID++
	tag := uint64(0xA110C000000) + uint64(id)
	before := p.snap()
	b := p.in.Alloc(size, tag)
	if b == carriers.Nil {
		p.log = append(p.log, fmt.Sprintf("#%d = alloc(%d) -> FAIL", id, size))
		p.fails++
		if !p.cfg.mayFail {
			p.fatalf(t, "alloc(%d) failed with plentiful sources", size)
		}
		p.verify(t, "failed alloc")
		p.sameSnap(t, "alloc", before, p.snap())
		return
	}
	bb := p.h.Blk(b)
	p.log = append(p.log, fmt.Sprintf("#%d = alloc(%d) -> blk %d @%#x size %d", id, size, b, bb.Addr, bb.Size()))
	if sbc := p.h.Crr(bb.Crr).SBC; sbc != (size >= p.sbct) && !(sbc && p.cfg.mayFail) {
		p.fatalf(t, "alloc(%d) with sbct %d: block in an SBC: %v", size, p.sbct, sbc)
	}
	p.live[id] = &propBlock{blk: b, req: size, tag: tag}
	p.ids = append(p.ids, id)
	p.verify(t, fmt.Sprintf("alloc(%d)", size))
}

func (p *propSystem) free(t *rapid.T, id int) {
	pb := p.live[id]
	p.log = append(p.log, fmt.Sprintf("free(#%d) blk %d", id, pb.blk))
	p.in.Free(pb.blk)
	delete(p.live, id)
	p.ids = slices.DeleteFunc(p.ids, func(x int) bool { return x == id })
	p.verify(t, fmt.Sprintf("free(#%d)", id))
}

func (p *propSystem) realloc(t *rapid.T) {
	id := p.pick(t, "realloc-id")
	pb := p.live[id]
	size := p.drawSize(t, "realloc-size", pb.req)
	before := p.snap()
	old := *p.h.Blk(pb.blk)
	pre := p.reallocState(pb.blk)
	nb := p.in.Realloc(pb.blk, size)
	if nb == carriers.Nil {
		p.log = append(p.log, fmt.Sprintf("realloc(#%d blk %d size %d, %d) -> FAIL", id, pb.blk, old.Size(), size))
		p.fails++
		if !p.cfg.mayFail {
			p.fatalf(t, "realloc(#%d, %d) failed with plentiful sources", id, size)
		}
		p.verify(t, "failed realloc")
		p.sameSnap(t, "realloc", before, p.snap())
		return
	}
	bb := p.h.Blk(nb)
	p.log = append(p.log, fmt.Sprintf("realloc(#%d blk %d @%#x size %d req %d, %d) -> blk %d @%#x size %d",
		id, pb.blk, old.Addr, old.Size(), pb.req, size, nb, bb.Addr, bb.Size()))
	pb.blk, pb.req = nb, size
	p.verify(t, fmt.Sprintf("realloc(#%d, %d)", id, size))
	p.checkReallocRule(t, pre, nb, size)
}

// reallocPre is what decides an MBC realloc's path (§6.3).
type reallocPre struct {
	blk                int32
	addr, size         uint64
	sbc                bool
	prevFree, nextFree bool
	prevAddr, prevSize uint64
	nextSize           uint64
}

func (p *propSystem) reallocState(b int32) reallocPre {
	bb := p.h.Blk(b)
	r := reallocPre{blk: b, addr: bb.Addr, size: bb.Size(), sbc: p.h.Crr(bb.Crr).SBC}
	if x := bb.Prev; x != carriers.Nil && p.h.Blk(x).Free() {
		r.prevFree, r.prevAddr, r.prevSize = true, p.h.Blk(x).Addr, p.h.Blk(x).Size()
	}
	if x := bb.Next; x != carriers.Nil && p.h.Blk(x).Free() {
		r.nextFree, r.nextSize = true, p.h.Blk(x).Size()
	}
	return r
}

// checkReallocRule checks the paths of §6.1/§6.3 whose outcome follows
// from the block and its neighbours alone (no strategy choice involved):
// equal size and a shrink within rmbcmt stay in place; a grow that a free
// next block can take happens in place, absorbing a rest below the
// minimum block; a move that can slide back either lands in another block
// or at the previous block's address. A new size >= sbct always ends in an
// SBC, and one below sbct in an MBC unless the SBC is kept (§6.4) or the
// sources failed.
func (p *propSystem) checkReallocRule(t *rapid.T, r reallocPre, nb int32, size uint64) {
	t.Helper()
	bb := p.h.Blk(nb)
	sbcNow := p.h.Crr(bb.Crr).SBC
	if size >= p.sbct && !sbcNow {
		p.fatalf(t, "realloc to %d >= sbct %d left the block in an MBC", size, p.sbct)
	}
	if size >= p.sbct || r.sbc {
		return
	}
	want := p.in.BlockSize(size)
	inPlace := func(wantSize uint64, why string) {
		if nb != r.blk || bb.Addr != r.addr || bb.Size() != wantSize {
			p.fatalf(t, "realloc %s (block %d @%#x size %d -> want %d): got block %d @%#x size %d, want in place with size %d",
				why, r.blk, r.addr, r.size, want, nb, bb.Addr, bb.Size(), wantSize)
		}
	}
	switch {
	case want == r.size:
		inPlace(r.size, "to the same block size")
	case want < r.size && 100*(r.size-want) <= p.in.Opts.RMBCMT*r.size:
		if !r.nextFree && r.size-want < p.minBk {
			inPlace(r.size, "shrinking by less than a minimum block")
		} else {
			inPlace(want, "shrinking within rmbcmt")
		}
	case want > r.size && r.nextFree && want <= r.size+r.nextSize:
		if rest := r.size + r.nextSize - want; rest < p.minBk {
			inPlace(r.size+r.nextSize, "growing into the free next block (absorbing)")
		} else {
			inPlace(want, "growing into the free next block")
		}
	case want > r.size && r.prevFree:
		merged := r.prevSize + r.size
		if r.nextFree {
			merged += r.nextSize
		}
		if merged >= want {
			// Moves: into a strategy block, or slides back to prev.
			if nb == r.blk {
				p.fatalf(t, "realloc growing with a free previous block stayed at block %d", nb)
			}
		}
	}
	if sbcNow && !p.cfg.mayFail && size < p.sbct && !r.sbc {
		p.fatalf(t, "realloc of an MBC block to %d < sbct ended in an SBC with plentiful sources", size)
	}
}

// verify checks every invariant listed at the top of the file.
func (p *propSystem) verify(t *rapid.T, after string) {
	t.Helper()
	if err := p.in.Check(); err != nil {
		p.fatalf(t, "after %s: Check: %v", after, err)
	}
	if err := p.s.Space().CheckInvariants(); err != nil {
		p.fatalf(t, "after %s: Space.CheckInvariants: %v", after, err)
	}
	type rng struct {
		lo, hi uint64
		what   string
	}
	var crrs []rng
	employed := map[int32]bool{}
	allocated := map[int32]bool{}
	p.in.EachCarrier(func(c int32) {
		cr := p.h.Crr(c)
		employed[c] = true
		crrs = append(crrs, rng{cr.Addr, cr.Addr + cr.Size, fmt.Sprintf("carrier %d (sbc %v)", c, cr.SBC)})
		for b := cr.First; b != carriers.Nil; b = p.h.Blk(b).Next {
			if !p.h.Blk(b).Free() {
				allocated[b] = true
			}
		}
	})
	if err := noOverlap(crrs, func(r rng) (uint64, uint64, string) { return r.lo, r.hi, r.what }); err != nil {
		p.fatalf(t, "after %s: carriers overlap: %v", after, err)
	}
	var blks []rng
	seen := map[int32]int{}
	for id, pb := range p.live {
		if o, dup := seen[pb.blk]; dup {
			p.fatalf(t, "after %s: blocks #%d and #%d are the same block %d", after, o, id, pb.blk)
		}
		seen[pb.blk] = id
		if pb.blk < 0 || int(pb.blk) >= len(p.h.Blocks) {
			p.fatalf(t, "after %s: block #%d index %d out of range", after, id, pb.blk)
		}
		bb := p.h.Blk(pb.blk)
		if bb.Free() || !allocated[pb.blk] {
			p.fatalf(t, "after %s: live block #%d (blk %d) is free or not in a carrier of the instance", after, id, pb.blk)
		}
		if bb.U != pb.tag {
			p.fatalf(t, "after %s: block #%d tag %#x, want %#x", after, id, bb.U, pb.tag)
		}
		if !employed[bb.Crr] {
			p.fatalf(t, "after %s: block #%d in carrier %d the instance does not employ", after, id, bb.Crr)
		}
		want := p.in.BlockSize(pb.req)
		if p.h.Crr(bb.Crr).SBC {
			if bb.Size() != want {
				p.fatalf(t, "after %s: SBC block #%d (req %d) has size %d, want %d", after, id, pb.req, bb.Size(), want)
			}
		} else if bb.Size() < want || bb.Size() >= want+p.minBk {
			p.fatalf(t, "after %s: MBC block #%d (req %d) has size %d, want [%d, %d)", after, id, pb.req, bb.Size(), want, want+p.minBk)
		}
		blks = append(blks, rng{bb.Addr, bb.Addr + bb.Size(), fmt.Sprintf("block #%d", id)})
	}
	if len(allocated) != len(p.live) {
		p.fatalf(t, "after %s: the carriers hold %d allocated blocks, the caller %d", after, len(allocated), len(p.live))
	}
	if err := noOverlap(blks, func(r rng) (uint64, uint64, string) { return r.lo, r.hi, r.what }); err != nil {
		p.fatalf(t, "after %s: blocks overlap: %v", after, err)
	}
	if n := p.in.Stats.MBCs.Blocks.Cur + p.in.Stats.SBCs.Blocks.Cur; n != uint64(len(p.live)) {
		p.fatalf(t, "after %s: statistics count %d blocks (mbcs %d + sbcs %d), the caller holds %d",
			after, n, p.in.Stats.MBCs.Blocks.Cur, p.in.Stats.SBCs.Blocks.Cur, len(p.live))
	}
	if p.h.LiveCarriers() != len(crrs) {
		p.fatalf(t, "after %s: heap has %d live carriers, the instance employs %d", after, p.h.LiveCarriers(), len(crrs))
	}
}

func noOverlap[T any](xs []T, f func(T) (uint64, uint64, string)) error {
	sort.Slice(xs, func(i, j int) bool {
		a, _, _ := f(xs[i])
		b, _, _ := f(xs[j])
		return a < b
	})
	for i := 1; i < len(xs); i++ {
		plo, phi, pw := f(xs[i-1])
		lo, hi, w := f(xs[i])
		if lo < phi {
			return fmt.Errorf("%s [%#x,%#x) and %s [%#x,%#x)", pw, plo, phi, w, lo, hi)
		}
	}
	return nil
}

// run draws and runs a random operation sequence.
func (p *propSystem) run(t *rapid.T, maxOps int) {
	n := rapid.IntRange(1, maxOps).Draw(t, "ops")
	for i := 0; i < n; i++ {
		op := "alloc"
		if len(p.ids) > 0 {
			op = rapid.SampledFrom([]string{"alloc", "alloc", "alloc", "alloc", "free", "free", "free", "realloc", "realloc", "realloc"}).Draw(t, "op")
		}
		switch op {
		case "alloc":
			p.alloc(t)
		case "free":
			p.free(t, p.pick(t, "free-id"))
		case "realloc":
			p.realloc(t)
		}
	}
}

func drawConfig(t *rapid.T) propConfig {
	return propConfigs[rapid.IntRange(0, len(propConfigs)-1).Draw(t, "config")]
}

// TestPropertyOps: random alloc/free/realloc sequences, every invariant
// after every operation.
func TestPropertyOps(t *testing.T) {
	for _, k := range strategies.All {
		t.Run(k.String(), func(t *testing.T) {
			rapid.Check(t, func(t *rapid.T) {
				p := newPropSystem(t, k, drawConfig(t))
				p.run(t, 150)
			})
		})
	}
}

// TestPropertyConfigs: the same property with the option set as the subtest
// and the strategy drawn, so that every option set is covered on every run.
func TestPropertyConfigs(t *testing.T) {
	for _, cfg := range propConfigs {
		t.Run(cfg.name, func(t *testing.T) {
			rapid.Check(t, func(t *rapid.T) {
				k := rapid.SampledFrom(strategies.All).Draw(t, "strategy")
				p := newPropSystem(t, k, cfg)
				p.run(t, 80)
			})
		})
	}
}

// TestPropertyFreeAll: random operations, then every live block is freed in
// a random order; the instance is back to its main carrier alone, holding
// one free block that spans it, and with mcs 0 (nothing cached) the mem
// mapper is back to its start state.
func TestPropertyFreeAll(t *testing.T) {
	for _, k := range strategies.All {
		t.Run(k.String(), func(t *testing.T) {
			rapid.Check(t, func(t *rapid.T) {
				p := newPropSystem(t, k, drawConfig(t))
				p.run(t, 100)
				order := rapid.Permutation(slices.Clone(p.ids)).Draw(t, "free-order")
				for _, id := range order {
					p.free(t, id)
				}
				p.checkEmpty(t)
			})
		})
	}
}

func (p *propSystem) checkEmpty(t *rapid.T) {
	t.Helper()
	var crrs []int32
	p.in.EachCarrier(func(c int32) { crrs = append(crrs, c) })
	main := p.in.MainCarrier()
	if main == carriers.Nil {
		if len(crrs) != 0 {
			p.fatalf(t, "everything freed, no main carrier, but %d carriers remain", len(crrs))
		}
	} else {
		if len(crrs) != 1 || crrs[0] != main {
			p.fatalf(t, "everything freed, carriers %v remain, want only the main carrier %d", crrs, main)
		}
		cr := p.h.Crr(main)
		b := p.h.Blk(cr.First)
		want := (cr.Size - p.hdr) &^ 7
		if !b.Free() || b.Next != carriers.Nil || b.Prev != carriers.Nil || b.Addr != cr.Addr+p.hdr || b.Size() != want {
			p.fatalf(t, "main carrier [%#x+%d]: first block %+v, want one free block of %d at %#x",
				cr.Addr, cr.Size, *b, want, cr.Addr+p.hdr)
		}
		if n, err := p.in.Strategy().Check(); err != nil || n != 1 {
			p.fatalf(t, "strategy indexes %d blocks (%v), want 1", n, err)
		}
	}
	st := p.in.Stats
	if st.MBCs.Blocks.Cur != 0 || st.MBCs.BlocksSize.Cur != 0 || st.SBCs.Carriers.Cur != 0 || st.SBCs.Blocks.Cur != 0 {
		p.fatalf(t, "statistics not back to empty: mbcs %+v sbcs %+v", st.MBCs, st.SBCs)
	}
	sp := p.s.Space()
	if sp.Config().MCS != 0 {
		return
	}
	mi := sp.MmapInfo()
	start := p.startMI
	// The descriptor watermarks only grow; everything else must be back.
	mi.FreeSegsMax, start.FreeSegsMax = 0, 0
	mi.FreeSegsAllocated, start.FreeSegsAllocated = 0, 0
	if mi != start {
		p.fatalf(t, "mcs 0, everything freed: mem mapper\n  %+v\nwant the start state\n  %+v", mi, start)
	}
	sa, su := sp.FreeSegments()
	if !slices.Equal(sa, p.startSA) || !slices.Equal(su, p.startSU) {
		p.fatalf(t, "mcs 0, everything freed: free segments SA %x SUA %x, at start SA %x SUA %x", sa, su, p.startSA, p.startSU)
	}
	if n := sp.Mseg(0).Segments(); (main == carriers.Nil || !p.h.Crr(main).Mseg) && n != 0 {
		p.fatalf(t, "mcs 0, everything freed: mseg still hands out %d segments", n)
	}
}

// TestPropertyTinySuperCarrierFails makes sure the failing configurations
// really fail sometimes (otherwise the "failed op changes nothing" checks
// would test nothing).
func TestPropertyTinySuperCarrierFails(t *testing.T) {
	fails := 0
	rapid.Check(t, func(t *rapid.T) {
		k := rapid.SampledFrom(strategies.All).Draw(t, "strategy")
		p := newPropSystem(t, k, propConfigs[slices.IndexFunc(propConfigs, func(c propConfig) bool { return c.name == "tinysc" })])
		p.run(t, 100)
		fails += p.fails
	})
	t.Logf("%d operations failed", fails)
	if fails == 0 {
		t.Errorf("no operation failed with a tiny super carrier and +Musac false")
	}
}
