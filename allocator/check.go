package allocator

import (
	"fmt"

	"alloclab/carriers"
)

// Check verifies every invariant of the instance and returns the first
// violation: blocks tile each carrier from its header to its end with no
// gaps or overlaps, no two free blocks are adjacent, every block is at least
// a minimum block and a multiple of the unit, every free block is indexed by
// the strategy exactly once and nothing else is, the strategy's structure is
// sound, the carrier lists and counters match, and the statistics equal the
// sums recomputed from the carriers. It is for tests and --check; it walks
// everything, so it is slow.
func (in *Instance) Check() error {
	h := in.heap
	var mbc, sbc CarrierStats
	free := 0
	sawMain := false
	for c, prev := in.mbcHead, nilIdx; c != nilIdx; prev, c = c, h.Carriers[c].ListNext {
		cr := &h.Carriers[c]
		if cr.ListPrev != prev || cr.Inst != in.id || cr.SBC {
			return fmt.Errorf("MBC %d: bad list links, owner or kind", c)
		}
		if c == in.main {
			sawMain = true
			if !cr.Main {
				return fmt.Errorf("main carrier %d not marked main", c)
			}
		} else if cr.Main {
			return fmt.Errorf("carrier %d marked main", c)
		}
		mbc.carrierAdded(cr.Size, cr.Mseg)
		nf, n, _, err := in.walkMBC(c)
		if err != nil {
			return err
		}
		free += nf
		for t, k := range cr.ByType {
			cnt, sz := mbc.typed(in.Type, t)
			cnt.add(k.N)
			sz.add(k.Size)
		}
		if n == 0 && !cr.Main {
			return fmt.Errorf("MBC %d: empty non-main carrier not released", c)
		}
		if h.Carriers[c].ListNext == nilIdx && c != in.mbcTail {
			return fmt.Errorf("MBC list tail %d, want %d", in.mbcTail, c)
		}
	}
	if in.main != nilIdx && !sawMain {
		return fmt.Errorf("main carrier %d not in the MBC list", in.main)
	}
	for c, prev := in.sbcHead, nilIdx; c != nilIdx; prev, c = c, h.Carriers[c].ListNext {
		cr := &h.Carriers[c]
		if cr.ListPrev != prev || cr.Inst != in.id || !cr.SBC {
			return fmt.Errorf("SBC %d: bad list links, owner or kind", c)
		}
		b := cr.First
		blk := &h.Blocks[b]
		if blk.Next != nilIdx || blk.Prev != nilIdx || blk.Crr != c || blk.Free() ||
			blk.Addr != cr.Addr+sbcHdr || blk.Addr+blk.Size() > cr.Addr+cr.Size {
			return fmt.Errorf("SBC %d: bad block %d", c, b)
		}
		sbc.carrierAdded(cr.Size, cr.Mseg)
		sbc.blockAdded(blk.Size())
	}
	n, err := in.strat.Check()
	if err != nil {
		return fmt.Errorf("%v: %v", in.strat.Kind(), err)
	}
	if n != free {
		return fmt.Errorf("%v indexes %d free blocks, the carriers hold %d", in.strat.Kind(), n, free)
	}
	lastAux := nilIdx
	if in.mbcTail != nilIdx && in.mbcTail != in.main {
		lastAux = in.mbcTail
	}
	if in.env.LastAux != lastAux {
		return fmt.Errorf("last aux MBC %d, want %d", in.env.LastAux, lastAux)
	}
	if err := sameStats("mbcs", &in.Stats.MBCs, &mbc); err != nil {
		return err
	}
	if err := sameStats("sbcs", &in.Stats.SBCs, &sbc); err != nil {
		return err
	}
	for t := range mbc.Other {
		g, w := &in.Stats.MBCs.Other[t], &mbc.Other[t]
		if g.Blocks.Cur != w.Blocks.Cur || g.BlocksSize.Cur != w.BlocksSize.Cur {
			return fmt.Errorf("mbcs blocks of type %d: statistics say %d (%d bytes), carriers hold %d (%d)",
				t, g.Blocks.Cur, g.BlocksSize.Cur, w.Blocks.Cur, w.BlocksSize.Cur)
		}
	}
	return in.fixCheck()
}

// walkMBC checks that MBC c's blocks tile it from its header to its end,
// with consistent links, sizes and no two adjacent free blocks, and that
// its counters match; it returns the number of free blocks and the count
// and total size of the allocated ones.
func (in *Instance) walkMBC(c int32) (free int, n, size uint64, err error) {
	h := in.heap
	cr := &h.Carriers[c]
	addr := cr.Addr + in.mbcHdr
	wasFree := false
	var byType [carriers.MaxTypes]carriers.TypeCount
	for b, pb := cr.First, nilIdx; b != nilIdx; pb, b = b, h.Blocks[b].Next {
		blk := &h.Blocks[b]
		switch {
		case blk.Prev != pb:
			return 0, 0, 0, fmt.Errorf("MBC %d: block %d has prev %d, want %d", c, b, blk.Prev, pb)
		case blk.Crr != c:
			return 0, 0, 0, fmt.Errorf("MBC %d: block %d names carrier %d", c, b, blk.Crr)
		case blk.Addr != addr:
			return 0, 0, 0, fmt.Errorf("MBC %d: block %d at %#x, want %#x (gap or overlap)", c, b, blk.Addr, addr)
		case blk.Size() < in.minBlk || blk.Size()%unit != 0:
			return 0, 0, 0, fmt.Errorf("MBC %d: block %d has size %d", c, b, blk.Size())
		case blk.Free() && wasFree:
			return 0, 0, 0, fmt.Errorf("MBC %d: free blocks %d and %d are adjacent", c, pb, b)
		}
		wasFree = blk.Free()
		if wasFree {
			free++
		} else {
			n++
			size += blk.Size()
			byType[blk.Type()].N++
			byType[blk.Type()].Size += blk.Size()
		}
		addr += blk.Size()
	}
	if addr != cr.Addr+cr.Size {
		return 0, 0, 0, fmt.Errorf("MBC %d: blocks end at %#x, carrier at %#x", c, addr, cr.Addr+cr.Size)
	}
	if n != cr.Blocks || size != cr.BlocksSize {
		return 0, 0, 0, fmt.Errorf("MBC %d: counts %d blocks of %d bytes, has %d of %d", c, cr.Blocks, cr.BlocksSize, n, size)
	}
	if byType != cr.ByType {
		return 0, 0, 0, fmt.Errorf("MBC %d: counts %v by type, has %v", c, cr.ByType, byType)
	}
	return free, n, size, nil
}

// checkCarrierBlocks checks a carrier outside the instance's lists (in the
// carrier pool): its blocks, and that it is not empty.
func (in *Instance) checkCarrierBlocks(c int32) error {
	_, n, _, err := in.walkMBC(c)
	if err == nil && n == 0 {
		err = fmt.Errorf("MBC %d: empty carrier in the pool", c)
	}
	return err
}

func sameStats(what string, got, want *CarrierStats) error {
	g := [...]uint64{got.Blocks.Cur, got.BlocksSize.Cur, got.Carriers.Cur, got.CarriersSize.Cur,
		got.MsegCarriers, got.MsegSize, got.SysCarriers, got.SysSize}
	w := [...]uint64{want.Blocks.Cur, want.BlocksSize.Cur, want.Carriers.Cur, want.CarriersSize.Cur,
		want.MsegCarriers, want.MsegSize, want.SysCarriers, want.SysSize}
	names := [...]string{"blocks", "blocks size", "carriers", "carriers size",
		"mseg carriers", "mseg carriers size", "sys carriers", "sys carriers size"}
	for i := range g {
		if g[i] != w[i] {
			return fmt.Errorf("%s %s: statistics say %d, carriers hold %d", what, names[i], g[i], w[i])
		}
	}
	for _, t := range []Triple{got.Blocks, got.BlocksSize, got.Carriers, got.CarriersSize} {
		if t.Max < t.Cur || t.MaxEver < t.Max {
			return fmt.Errorf("%s: bad maxima %+v", what, t)
		}
	}
	return nil
}
