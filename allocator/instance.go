package allocator

import (
	"alloclab/carriers"
	"alloclab/strategies"
)

// An Instance is one alloc_util allocator instance: erl_alloc_util.c's
// Allctr_t. It owns multiblock carriers (MBCs) that it carves blocks out of
// with its strategy, and single-block carriers (SBCs) for blocks of at least
// sbct user bytes. The paths, with the sections of
// ../shared/docs/erts-alloc-facts.md that describe them:
//
//  1. Alloc (§3.4, §4): a user size ≥ sbct gets an SBC; otherwise the
//     strategy picks a free block of the block size (§4.2), a new MBC is made
//     when none fits (§3.3), and the block is split when the rest is at least
//     a minimum block (§4.4).
//  2. Free (§4.5): an SBC is released; an MBC block merges with free
//     neighbours — previous first, then next — and the result is either
//     linked for reuse or, when it spans a non-main carrier, the carrier is
//     released (§3.5).
//  3. Realloc (§6): in place when it can, else moved; every path of
//     mbc_realloc and of the SBC resize is reproduced, including the order
//     of statistics updates, which decides the "max" values.
//  4. Carriers (§3): sizes from the growth stages, mseg's power-of-two
//     rounding, sys_alloc's ycs multiples, the source choice and fallback.
//
// An Instance is not safe for concurrent use; the simulator is one thread.
type Instance struct {
	Type  Type
	Index int // 0 is the non-scheduler instance, 1..N the schedulers'
	Opts  Options
	Util  UtilOptions
	Stats Stats

	heap  *carriers.Heap
	space *carriers.Space
	mseg  *carriers.Mseg
	strat strategies.Strategy
	env   strategies.Env
	id    int32 // this instance's number in the heap's carriers (Carrier.Inst)

	minBlk uint64 // minimum block size of the strategy
	mbcHdr uint64 // offset of the first block in an MBC
	tag    uint64 // allocation tag bytes per block (8 with atags)

	fix *fixLists  // fix_alloc's per-type free lists (fix.go), else nil
	cp  cpoolState // the carrier pool (pool.go)

	main             int32 // main carrier, or Nil
	mbcHead, mbcTail int32 // MBC list in creation order
	sbcHead, sbcTail int32 // SBC list in creation order
}

// Geometry shared by every instance on 64-bit Linux (erts-alloc-facts §3.1,
// §4.1): 8-byte units, an 8-byte block header, a 32-byte SBC header, a
// minimum MBC of 16 KiB, and 16 KiB "super alignment" of mseg carriers.
const (
	unit       = 8
	blkHdr     = 8
	sbcHdr     = 32
	minMBCSize = 16 << 10
	saUnit     = 16 << 10
	page       = 4096
	// The runtime guards its percentage products against overflow by
	// shifting both sides right by 7 once a difference reaches
	// UINT_MAX/100 (mbc_realloc, do_erts_alcu_realloc).
	overflowGuard = (1<<32 - 1) / 100
)

const nilIdx = carriers.Nil

func ceil(x, u uint64) uint64 { return (x + u - 1) / u * u }

// NewInstance starts an instance on heap and space, taking carriers from
// mseg instance msegIx. With mainCarrier set and mmbcs > 0 it creates the
// main carrier at once, as erts_alcu_start does (§3.2); it reports false
// when the main carrier cannot be had.
func NewInstance(t Type, index int, id int32, opts Options, util UtilOptions,
	heap *carriers.Heap, space *carriers.Space, msegIx int, mainCarrier bool) (*Instance, bool) {
	in := &Instance{
		Type: t, Index: index, Opts: opts, Util: util,
		heap: heap, space: space, mseg: space.Mseg(msegIx), id: id,
		minBlk: opts.AS.MinBlockSize(), mbcHdr: opts.AS.MBCHeaderSize(),
		main: nilIdx, mbcHead: nilIdx, mbcTail: nilIdx, sbcHead: nilIdx, sbcTail: nilIdx,
	}
	if opts.ATags {
		in.tag = 8
	}
	if t == Fix {
		in.fix = newFixLists(opts)
	}
	in.env = strategies.Env{Heap: heap, LastAux: nilIdx, MBSD: max(opts.MBSD, 1), SBCT: opts.SBCT}
	in.strat = strategies.New(opts.AS, &in.env)
	in.cp = cpoolState{busy: nilIdx, dcHead: nilIdx, dcTail: nilIdx}
	if mainCarrier && opts.MMBCS > 0 {
		b := in.createCarrier(opts.MMBCS, cfMBC|cfForceSys|cfForceSize|cfMain)
		if b == nilIdx {
			return in, false
		}
		in.strat.Link(b)
	}
	return in, true
}

// Strategy returns the instance's strategy.
func (in *Instance) Strategy() strategies.Strategy { return in.strat }

// Heap returns the heap the instance's carriers live in.
func (in *Instance) Heap() *carriers.Heap { return in.heap }

// MainCarrier returns the main carrier, or carriers.Nil.
func (in *Instance) MainCarrier() int32 { return in.main }

// BlockSize is UMEMSZ2BLKSZ: the block that holds size user bytes, header
// and tag included, at least the strategy's minimum block (§4.2).
func (in *Instance) BlockSize(size uint64) uint64 {
	need := blkHdr + in.tag + size
	if need <= in.minBlk {
		return in.minBlk
	}
	return ceil(need, unit)
}

// EachCarrier calls fn for the instance's carriers in its scan order (the
// order instrument:carriers lists them in): its own carriers in the
// carrier pool, then its employed MBCs and then its SBCs, each in creation
// (or fetch) order.
func (in *Instance) EachCarrier(fn func(c int32)) {
	in.EachPooled(fn)
	for c := in.mbcHead; c != nilIdx; c = in.heap.Carriers[c].ListNext {
		fn(c)
	}
	for c := in.sbcHead; c != nilIdx; c = in.heap.Carriers[c].ListNext {
		fn(c)
	}
}

// Alloc allocates size user bytes and returns the block, or Nil when the
// runtime would return NULL. tag is kept with the block (a trace ID).
func (in *Instance) Alloc(size, tag uint64) int32 {
	in.Stats.Calls.Alloc++
	if in.fix != nil {
		return in.fixAlloc(size, tag)
	}
	var b int32
	if size >= in.Opts.SBCT {
		b = in.createCarrier(size, cfSBC)
	} else {
		b = in.mbcAlloc(size)
	}
	if b != nilIdx {
		in.heap.Blocks[b].U = tag
	}
	return b
}

// Free frees block b.
func (in *Instance) Free(b int32) {
	in.Stats.Calls.Free++
	if in.fix != nil {
		in.fixFree(b)
		return
	}
	if in.heap.Carriers[in.heap.Blocks[b].Crr].SBC {
		in.destroySBC(in.heap.Blocks[b].Crr)
		return
	}
	in.mbcFree(b)
}

// Realloc resizes block b to size user bytes and returns the block now
// holding the data (b itself when resized in place), or Nil when the
// runtime would return NULL (b is then unchanged). do_erts_alcu_realloc,
// §6.1.
func (in *Instance) Realloc(b int32, size uint64) int32 {
	in.Stats.Calls.Realloc++
	h := in.heap
	tag := h.Blocks[b].U
	c := h.Blocks[b].Crr
	sbc := h.Carriers[c].SBC
	var nb int32
	switch {
	case size >= in.Opts.SBCT && sbc:
		nb = in.resizeSBC(b, size)
	case size >= in.Opts.SBCT:
		// MBC block to a new SBC: create, copy, free.
		if nb = in.createCarrier(size, cfSBC); nb != nilIdx {
			in.mbcFree(b)
		}
	case !sbc:
		nb = in.mbcRealloc(b, size)
	default:
		// An SBC shrunk below sbct stays in an SBC when the carrier it
		// would need wastes less than rsbcmt percent (§6.4); the
		// carrier size is computed from the raw user size, without the
		// tag.
		used := sbcHdr + blkHdr + size
		var crr uint64
		if h.Carriers[c].Mseg {
			crr = ceil(used, saUnit)
		} else {
			crr = ceil(used, in.Util.YCS)
		}
		diff, crrv := crr-used, crr
		if diff >= overflowGuard {
			crrv >>= 7
			diff >>= 7
		}
		if crrv == 0 || 100*diff < in.Opts.RSBCMT*crrv {
			nb = in.resizeSBC(b, size)
		} else if nb = in.mbcAlloc(size); nb != nilIdx {
			in.destroySBC(c)
		}
	}
	if nb != nilIdx {
		h.Blocks[nb].U = tag
	}
	return nb
}

// mbcAlloc is mbc_alloc: a block from the strategy or from a new carrier.
func (in *Instance) mbcAlloc(size uint64) int32 {
	want := in.BlockSize(size)
	b := in.strat.Get(want, nilIdx, 0)
	if b == nilIdx {
		// create_carrier converts the block size as if it were a user
		// size: the carrier is sized for a block 8 (+8) bytes larger
		// than the one it will hold (§3.3 step 2, measured).
		b = in.createCarrier(want, cfMBC)
		if b == nilIdx {
			// Emergency: an exact-size sys_alloc SBC (§3.3 step 7).
			return in.createCarrier(size, cfSBC|cfForceSize|cfForceSys)
		}
		if in.heap.Carriers[in.heap.Blocks[b].Crr].SBC {
			return b
		}
	}
	in.finalize(b, want)
	return b
}

// finalize is mbc_alloc_finalize: allocate want bytes at the start of the
// unlinked free block b, splitting off the rest as a new free block when it
// is at least a minimum block (§4.4); otherwise the whole block is taken.
func (in *Instance) finalize(b int32, want uint64) {
	h := in.heap
	if org := h.Blocks[b].Size(); org >= want+in.minBlk {
		r := h.NewBlock() // may move h.Blocks: no pointers held across
		bs := h.Blocks
		bb, rb := &bs[b], &bs[r]
		rb.Addr, rb.Hdr, rb.Crr = bb.Addr+want, (org-want)|carriers.BlkFree, bb.Crr
		rb.Prev, rb.Next = b, bb.Next
		if bb.Next != nilIdx {
			bs[bb.Next].Prev = r
		}
		bb.Next = r
		bb.SetSize(want)
		in.strat.Link(r)
	}
	bb := &h.Blocks[b]
	bb.SetAllocated()
	bb.SetType(int(in.Type))
	in.allocOp()
	in.blockAdded(bb.Crr, bb.Size())
}

// blockAdded counts a new block of the instance's own type in MBC c.
func (in *Instance) blockAdded(c int32, size uint64) {
	in.Stats.MBCs.blockAdded(size)
	cr := &in.heap.Carriers[c]
	cr.Blocks++
	cr.BlocksSize += size
	t := &cr.ByType[in.Type]
	t.N++
	t.Size += size
}

// blockRemoved uncounts a block of the instance's own type in MBC c.
func (in *Instance) blockRemoved(c int32, size uint64) { in.blockRemovedType(c, size, int(in.Type)) }

// blockRemovedType uncounts a block of type t (another type's, in a
// carrier fetched from a shared pool) in MBC c.
func (in *Instance) blockRemovedType(c int32, size uint64, t int) {
	n, sz := in.Stats.MBCs.typed(in.Type, t)
	n.sub(1)
	sz.sub(size)
	cr := &in.heap.Carriers[c]
	cr.Blocks--
	cr.BlocksSize -= size
	bt := &cr.ByType[t]
	bt.N--
	bt.Size -= size
}

// unchain removes block b from its carrier's chain and frees its slot.
func (in *Instance) unchain(b int32) {
	bs := in.heap.Blocks
	p, n := bs[b].Prev, bs[b].Next
	if p != nilIdx {
		bs[p].Next = n
	} else {
		in.heap.Carriers[bs[b].Crr].First = n
	}
	if n != nilIdx {
		bs[n].Prev = p
	}
	in.heap.FreeBlock(b)
}

func (in *Instance) isFree(b int32) bool {
	return b != nilIdx && in.heap.Blocks[b].Free()
}

// mbcFree is mbc_free (§4.5): merge with a free previous block, then with a
// free next block; release a non-main carrier that became empty, else link
// the merged block and see whether the carrier should go to the pool
// (§7.2). A block in one of the instance's own pooled carriers (the
// runtime's busy pooled carrier) is accounted in the pool instead.
func (in *Instance) mbcFree(b int32) {
	h := in.heap
	c := h.Blocks[b].Crr
	busy := h.Carriers[c].PoolFlags&carriers.InPool != 0
	in.freeOp()
	if busy {
		in.pooledBlockRemoved(c, h.Blocks[b].Size(), h.Blocks[b].Type())
	} else {
		in.blockRemovedType(c, h.Blocks[b].Size(), h.Blocks[b].Type())
	}
	h.Blocks[b].SetFreeOnly()
	if p := h.Blocks[b].Prev; in.isFree(p) {
		in.strat.Unlink(p)
		h.Blocks[p].Hdr += h.Blocks[b].Size()
		in.unchain(b)
		b = p
	}
	if n := h.Blocks[b].Next; in.isFree(n) {
		in.strat.Unlink(n)
		h.Blocks[b].Hdr += h.Blocks[n].Size()
		in.unchain(n)
	}
	if h.Blocks[b].Prev == nilIdx && h.Blocks[b].Next == nilIdx && c != in.main {
		in.destroyMBC(c, busy)
		return
	}
	in.strat.Link(b)
	if busy {
		in.pooledFree(c, h.Blocks[b].Size())
	} else {
		in.checkAbandon(c)
	}
}

// mbcRealloc is mbc_realloc (§6.3) for a block in an MBC and a new size
// below sbct.
func (in *Instance) mbcRealloc(b int32, size uint64) int32 {
	h := in.heap
	if c := h.Blocks[b].Crr; h.Carriers[c].PoolFlags&carriers.InPool != 0 {
		// A block in an own pooled carrier moves out: the pooled carrier
		// is not allocated from (and is skipped if a fetch sees it).
		in.cp.busy = c
		nb := in.mbcAlloc(size)
		in.cp.busy = nilIdx
		if nb != nilIdx {
			in.mbcFree(b)
		}
		return nb
	}
	want := in.BlockSize(size)
	old := h.Blocks[b].Size()
	if want == old {
		return b
	}
	c := h.Blocks[b].Crr
	prev, next := h.Blocks[b].Prev, h.Blocks[b].Next
	prevFree, nextFree := in.isFree(prev), in.isFree(next)
	var nb, cand int32
	var candSz uint64
	if want < old {
		// Shrink. Try to move when it would give back more than rmbcmt
		// percent of the block: the candidate is the block merged with
		// its free neighbours; with a free previous block it always
		// moves (into a better block, or slides back).
		diff, oldv := old-want, old
		if diff >= overflowGuard {
			diff >>= 7
			oldv >>= 7
		}
		if 100*diff > in.Opts.RMBCMT*oldv {
			cand, candSz = b, old
			if prevFree {
				cand = prev
				candSz += h.Blocks[prev].Size()
			}
			if nextFree {
				candSz += h.Blocks[next].Size()
			}
			nb = in.strat.Get(want, cand, candSz)
			if nb != nilIdx || cand != b {
				return in.moveTo(b, nb, want, prevFree, nextFree)
			}
		}
		// Shrink in place; a tail below the minimum block stays unless
		// a free next block takes it.
		tail := old - want
		if !nextFree && tail < in.minBlk {
			return b
		}
		in.reallocOp()
		in.blockRemoved(c, old)
		h.Blocks[b].SetSize(want)
		in.blockAdded(c, want)
		var t int32
		if nextFree {
			in.strat.Unlink(next)
			t = next
		} else {
			t = h.NewBlock()
			bs := h.Blocks
			bs[t].Crr, bs[t].Hdr = c, carriers.BlkFree
			bs[t].Prev, bs[t].Next = b, next
			if next != nilIdx {
				bs[next].Prev = t
			}
			bs[b].Next = t
		}
		bs := h.Blocks
		bs[t].Addr = bs[b].Addr + want
		bs[t].Hdr += tail
		in.strat.Link(t)
		in.checkAbandon(c)
		return b
	}
	// Grow into a free next block if it reaches; a rest below the
	// minimum block is absorbed.
	if nextFree && want <= old+h.Blocks[next].Size() {
		in.strat.Unlink(next)
		bs := h.Blocks
		rest := bs[next].Size() - (want - old)
		in.reallocOp()
		in.blockRemoved(c, old)
		if rest < in.minBlk {
			bs[b].SetSize(old + bs[next].Size())
			in.unchain(next)
		} else {
			bs[b].SetSize(want)
			bs[next].Addr = bs[b].Addr + want
			bs[next].SetSize(rest)
			in.strat.Link(next)
		}
		in.blockAdded(c, h.Blocks[b].Size())
		return b
	}
	// Grow elsewhere: with a free previous block, the candidate is the
	// merge of it, the block and a free next block.
	cand = nilIdx
	if prevFree {
		cand = prev
		candSz = old + h.Blocks[prev].Size()
		if nextFree {
			candSz += h.Blocks[next].Size()
		}
	}
	if candSz < want {
		nb = in.mbcAlloc(size)
		if nb == nilIdx {
			return nilIdx
		}
		in.mbcFree(b)
		return nb
	}
	nb = in.strat.Get(want, cand, candSz)
	return in.moveTo(b, nb, want, prevFree, nextFree)
}

// moveTo finishes a realloc that moves block b (of the runtime's
// MOVE_INTO_NEW_BLK): into the free block nb found by the strategy, or, when
// the strategy preferred the candidate, back into the free previous block
// merged with b and a free next block.
func (in *Instance) moveTo(b, nb int32, want uint64, prevFree, nextFree bool) int32 {
	h := in.heap
	if nb != nilIdx {
		in.finalize(nb, want)
		in.mbcFree(b)
		return nb
	}
	// Slide back: unlink prev, then next; the merged area is finalized
	// (statistics: the new block is added before the old one is removed).
	c := h.Blocks[b].Crr
	old := h.Blocks[b].Size()
	p := h.Blocks[b].Prev
	in.strat.Unlink(p)
	h.Blocks[p].Hdr += old
	if n := h.Blocks[b].Next; nextFree {
		in.strat.Unlink(n)
		h.Blocks[p].Hdr += h.Blocks[n].Size()
		in.unchain(n)
	}
	in.unchain(b)
	in.finalize(p, want)
	in.freeOp()
	in.blockRemoved(c, old)
	return p
}

// resizeSBC is resize_carrier for an SBC (§6.2).
func (in *Instance) resizeSBC(b int32, size uint64) int32 {
	h := in.heap
	c := h.Blocks[b].Crr
	cr := h.Carriers[c]
	oldBlk := h.Blocks[b].Size()
	want := in.BlockSize(size)
	st := &in.Stats.SBCs
	st.carrierRemoved(cr.Size, cr.Mseg)
	st.blockRemoved(oldBlk)
	var addr, csz uint64
	ok := false
	if cr.Mseg {
		in.Stats.Calls.MsegRealloc++
		addr, csz, ok = in.mseg.ReallocSBC(cr.Addr, cr.Size, ceil(want+sbcHdr, saUnit),
			in.Opts.ASBCST, in.Opts.RSBCST)
	} else {
		in.Stats.Calls.SysRealloc++
		bcrr := want + sbcHdr
		csz = ceil(bcrr, in.Util.YCS)
		if addr, ok = in.space.SysRealloc(cr.Addr, cr.Size, csz); !ok && csz > ceil(bcrr, unit) {
			csz = ceil(bcrr, unit)
			addr, ok = in.space.SysRealloc(cr.Addr, cr.Size, csz)
		}
	}
	if !ok {
		// Put the statistics back and make a new carrier from the other
		// source; copy; release the old one.
		st.carrierAdded(cr.Size, cr.Mseg)
		st.blockAdded(oldBlk)
		fl := cfSBC | cfForceSys
		if !cr.Mseg {
			fl = cfSBC | cfForceMseg
		}
		nb := in.createCarrier(size, fl)
		if nb != nilIdx {
			in.destroySBC(c)
		}
		return nb
	}
	ncr := &h.Carriers[c]
	ncr.Addr, ncr.Size = addr, csz
	h.Blocks[b].Addr = addr + sbcHdr
	h.Blocks[b].SetSize(want)
	st.carrierAdded(csz, cr.Mseg)
	st.blockAdded(want)
	ncr.Blocks, ncr.BlocksSize = 1, want
	return b
}

// Carrier creation flags (CFLG_*).
type cflags uint8

const (
	cfMBC cflags = 1 << iota
	cfSBC
	cfForceSys
	cfForceMseg
	cfForceSize
	cfMain
)

// nextMBCSize is get_next_mbc_size (§3.3): the growth stages from smbcs to
// lmbcs over mbcgs carriers, counting the employed MBCs but the main one.
func (in *Instance) nextMBCSize() uint64 {
	o := &in.Opts
	cs := in.Stats.MBCs.MsegCarriers + in.Stats.MBCs.SysCarriers
	if in.main != nilIdx {
		cs--
	}
	lm := max(o.LMBCS, o.SMBCS)
	var size uint64
	if g := max(o.MBCGS, 1); cs >= g {
		size = lm
	} else {
		size = cs*(lm-o.SMBCS)/g + o.SMBCS
	}
	return max(size, minMBCSize)
}

// createCarrier is create_carrier (§3.3, §3.4): an SBC for umem user bytes,
// or an MBC able to hold a block for umem "user" bytes (the caller passes a
// block size, which is converted again), or the main carrier. It returns
// the carrier's block — allocated for an SBC, free and unlinked for an MBC —
// or Nil when no source could provide the memory.
func (in *Instance) createCarrier(umem uint64, fl cflags) int32 {
	if !in.Util.SAC {
		fl = fl&^cfForceSys | cfForceMseg
	}
	sbc := fl&cfSBC != 0
	var blk, crrSz uint64
	if fl&cfMain != 0 {
		crrSz = max(umem, minMBCSize)
	} else {
		blk = in.BlockSize(umem)
	}
	// Every carrier creation holds off abandoning for a while (§7.2), and
	// an MBC is first looked for in the carrier pool (§7.4): with the
	// size converted once more, as blk was.
	in.cp.disable = maxDisableAbandon
	if fl&(cfMBC|cfMain) == cfMBC && in.cp.on {
		if c := in.fetch(blk); c != nilIdx {
			in.employFetched(c)
			return in.strat.Get(blk, nilIdx, 0)
		}
	}
	triedMseg, triedSys := false, false
	useMseg := false
	switch {
	case fl&cfForceSys != 0:
	case fl&cfForceMseg != 0:
		useMseg = true
	case in.mseg.Segments() >= in.Util.MMC:
	case sbc && in.Stats.SBCs.MsegCarriers >= in.Opts.MMSBC:
	case !sbc && in.Stats.MBCs.MsegCarriers >= in.Opts.MMMBC:
	default:
		useMseg = true
	}
	var addr, size uint64
	ok := false
	for !ok {
		if useMseg {
			triedMseg = true
			in.Stats.Calls.MsegAlloc++
			if sbc {
				addr, size, ok = in.mseg.AllocSBC(blk + sbcHdr)
			} else {
				want := crrSz
				if fl&cfMain == 0 {
					want = max(in.nextMBCSize(), in.mbcHdr+blk)
				}
				addr, size, ok = in.mseg.AllocMBC(want)
			}
			if !ok {
				if triedSys || fl&cfForceMseg != 0 {
					return nilIdx
				}
				useMseg = false
			}
			continue
		}
		triedSys = true
		var bcrr uint64
		switch {
		case sbc:
			bcrr = blk + sbcHdr
		case fl&cfMain != 0:
			bcrr = crrSz
		default:
			bcrr = max(in.mbcHdr+blk, in.Opts.SMBCS)
		}
		size = ceil(bcrr, unit)
		if fl&cfForceSize == 0 {
			size = ceil(bcrr, in.Util.YCS)
		}
		var align uint64
		if !sbc {
			align = saUnit
		}
		in.Stats.Calls.SysAlloc++
		addr, ok = in.space.SysAlloc(size, align)
		if !ok && size > ceil(bcrr, unit) {
			size = ceil(bcrr, unit)
			in.Stats.Calls.SysAlloc++
			addr, ok = in.space.SysAlloc(size, align)
		}
		if !ok {
			if triedMseg || fl&cfForceSys != 0 {
				return nilIdx
			}
			useMseg = true
		}
	}
	h := in.heap
	c := h.NewCarrier(addr, size, sbc, useMseg)
	b := h.NewBlock()
	cr, bb := &h.Carriers[c], &h.Blocks[b]
	cr.Inst, cr.Owner, cr.First = in.id, in.id, b
	bb.Crr = c
	if sbc {
		bb.Addr, bb.Hdr = addr+sbcHdr, blk
		bb.SetType(int(in.Type))
		cr.Blocks, cr.BlocksSize = 1, blk
		in.Stats.SBCs.carrierAdded(size, useMseg)
		in.Stats.SBCs.blockAdded(blk)
		in.linkCarrier(&in.sbcHead, &in.sbcTail, c)
		return b
	}
	bb.Addr, bb.Hdr = addr+in.mbcHdr, (size-in.mbcHdr)&^(unit-1)|carriers.BlkFree
	cr.Main = fl&cfMain != 0
	if cr.Main {
		in.main = c
	}
	in.Stats.MBCs.carrierAdded(size, useMseg)
	in.linkCarrier(&in.mbcHead, &in.mbcTail, c)
	in.strat.AddCarrier(c)
	in.updateLastAux()
	return b
}

func (in *Instance) linkCarrier(head, tail *int32, c int32) {
	cs := in.heap.Carriers
	cs[c].ListPrev, cs[c].ListNext = *tail, nilIdx
	if *tail != nilIdx {
		cs[*tail].ListNext = c
	} else {
		*head = c
	}
	*tail = c
}

func (in *Instance) unlinkCarrier(head, tail *int32, c int32) {
	cs := in.heap.Carriers
	p, n := cs[c].ListPrev, cs[c].ListNext
	if p != nilIdx {
		cs[p].ListNext = n
	} else {
		*head = n
	}
	if n != nilIdx {
		cs[n].ListPrev = p
	} else {
		*tail = p
	}
}

// updateLastAux is gf's update_last_aux_mbc: the tail of the MBC list
// unless it is the main carrier.
func (in *Instance) updateLastAux() {
	if t := in.mbcTail; t != nilIdx && t != in.main {
		in.env.LastAux = t
	} else {
		in.env.LastAux = nilIdx
	}
}

// destroyMBC is destroy_carrier for MBC c, whose only block is free and
// unlinked: it leaves the instance — or, busy, the pool (§7.2: an own
// pooled carrier emptied by its owner) — and is released
// (scheduleDealloc, pool.go).
func (in *Instance) destroyMBC(c int32, busy bool) {
	h := in.heap
	cr := &h.Carriers[c]
	if busy {
		cr.PoolFlags &^= carriers.InPool
		in.poolDelete(c)
	} else {
		in.unlinkCarrier(&in.mbcHead, &in.mbcTail, c)
		in.Stats.MBCs.carrierRemoved(cr.Size, cr.Mseg)
		in.strat.RemoveCarrier(c)
		in.updateLastAux()
	}
	in.scheduleDealloc(c)
}

// destroySBC releases SBC c and its block.
func (in *Instance) destroySBC(c int32) {
	h := in.heap
	cr := h.Carriers[c]
	in.Stats.SBCs.blockRemoved(h.Blocks[cr.First].Size())
	in.Stats.SBCs.carrierRemoved(cr.Size, cr.Mseg)
	in.unlinkCarrier(&in.sbcHead, &in.sbcTail, c)
	in.release(cr.Addr, cr.Size, cr.Mseg, true)
	h.FreeBlock(cr.First)
	h.FreeCarrier(c)
}

func (in *Instance) release(addr, size uint64, mseg, sbc bool) {
	switch {
	case mseg && sbc:
		in.Stats.Calls.MsegDealloc++
		in.mseg.DeallocSBC(addr, size)
	case mseg:
		in.Stats.Calls.MsegDealloc++
		in.mseg.DeallocMBC(addr, size)
	default:
		in.Stats.Calls.SysFree++
		in.space.SysFree(addr, size)
	}
}
