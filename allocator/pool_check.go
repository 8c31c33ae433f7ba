package allocator

import (
	"fmt"

	"alloclab/carriers"
)

// checkPools verifies the carrier pool's bookkeeping across the node:
//
//   - every live MBC is in exactly one place: an instance's carrier list
//     (employed, never flagged in the pool), a pool list (flagged in the
//     pool, employed by its owner), an owner's list of empty carriers
//     waiting for thread progress, or a queued homecoming message;
//   - a pooled carrier's blocks tile it and match its counters;
//   - an owner's pooled tree holds exactly its carriers in the WasPooled
//     state, each under its own node;
//   - each owner's mbcs_pool statistics are the sums over its own pooled
//     carriers.
func (s *System) checkPools() error {
	h := s.heap
	where := map[int32]string{}
	place := func(c int32, w string) error {
		if prev, ok := where[c]; ok {
			return fmt.Errorf("carrier %d is both %s and %s", c, prev, w)
		}
		where[c] = w
		return nil
	}
	for _, in := range s.insts {
		for c := in.mbcHead; c != carriers.Nil; c = h.Carriers[c].ListNext {
			cr := &h.Carriers[c]
			if cr.PoolFlags&carriers.InPool != 0 {
				return fmt.Errorf("%v instance %d employs carrier %d, which is in the pool", in.Type, in.Index, c)
			}
			if cr.Owner != in.id && (cr.Owner < 0 || int(cr.Owner) >= len(s.insts) || !in.cp.on || s.insts[cr.Owner].cp.pool != in.cp.pool) {
				return fmt.Errorf("carrier %d employed by %v %d: owner %d is not of its pool", c, in.Type, in.Index, cr.Owner)
			}
			if err := place(c, fmt.Sprintf("employed by %v %d", in.Type, in.Index)); err != nil {
				return err
			}
		}
		for c := in.cp.dcHead; c != carriers.Nil; c = h.Carriers[c].ListNext {
			cr := &h.Carriers[c]
			if cr.Owner != in.id || cr.Blocks != 0 || cr.PoolFlags != 0 {
				return fmt.Errorf("carrier %d waiting for release by %v %d: owner %d, %d blocks, flags %d", c, in.Type, in.Index, cr.Owner, cr.Blocks, cr.PoolFlags)
			}
			if err := place(c, "waiting for release"); err != nil {
				return err
			}
		}
	}
	for id, q := range s.dd {
		for _, e := range q {
			if e >= 0 {
				continue
			}
			c := ^e
			cr := &h.Carriers[c]
			if cr.Owner != int32(id) || cr.PoolFlags&carriers.Homecoming == 0 {
				return fmt.Errorf("carrier %d queued home to %d: owner %d, flags %d", c, id, cr.Owner, cr.PoolFlags)
			}
			if cr.PoolFlags&carriers.InPool == 0 {
				if err := place(c, "on its way home"); err != nil {
					return err
				}
			}
		}
	}
	type sums struct {
		carriers, size uint64
		byType         [carriers.MaxTypes]carriers.TypeCount
	}
	own := make([]sums, len(s.insts))
	pooledNodes := make([]int, len(s.insts))
	pools := map[*carrierPool]bool{}
	for _, in := range s.insts {
		if !in.cp.on || pools[in.cp.pool] {
			continue
		}
		p := in.cp.pool
		pools[p] = true
		prev := sentinel
		for c := p.head; c != sentinel; prev, c = c, h.Carriers[c].PoolNext {
			cr := &h.Carriers[c]
			if cr.PoolPrev != prev {
				return fmt.Errorf("pool of %v: carrier %d has prev %d, want %d", in.Type, c, cr.PoolPrev, prev)
			}
			if cr.PoolFlags&carriers.InPool == 0 || cr.Inst != cr.Owner || cr.SBC {
				return fmt.Errorf("pool of %v: carrier %d flags %d, employer %d, owner %d", in.Type, c, cr.PoolFlags, cr.Inst, cr.Owner)
			}
			if err := place(c, "in the pool"); err != nil {
				return err
			}
			if err := s.insts[cr.Owner].checkCarrierBlocks(c); err != nil {
				return fmt.Errorf("pooled %w", err)
			}
			o := &own[cr.Owner]
			o.carriers++
			o.size += cr.Size
			for t, k := range cr.ByType {
				o.byType[t].N += k.N
				o.byType[t].Size += k.Size
			}
		}
		if p.tail != prev {
			return fmt.Errorf("pool of %v: tail %d, want %d", in.Type, p.tail, prev)
		}
	}
	for i := range h.Carriers {
		c := int32(i)
		cr := &h.Carriers[c]
		if cr.Inst == -2 || cr.SBC {
			continue // a free slot, or an SBC (never pooled)
		}
		if _, ok := where[c]; !ok {
			return fmt.Errorf("carrier %d (owner %d, employer %d, flags %d) is nowhere", c, cr.Owner, cr.Inst, cr.PoolFlags)
		}
		if (cr.PoolFlags&carriers.InPool != 0) != (where[c] == "in the pool") {
			return fmt.Errorf("carrier %d: in-pool flag %d but %s", c, cr.PoolFlags, where[c])
		}
		if cr.PoolState == carriers.WasPooled {
			if cr.PoolNode == carriers.Nil || h.Blocks[cr.PoolNode].Crr != c {
				return fmt.Errorf("carrier %d: pooled-tree node %d does not name it", c, cr.PoolNode)
			}
			pooledNodes[cr.Owner]++
		} else if cr.PoolNode != carriers.Nil {
			return fmt.Errorf("carrier %d in state %d has a pooled-tree node", c, cr.PoolState)
		}
	}
	for id, in := range s.insts {
		ps := &in.Stats.Pool
		o := own[id]
		if ps.Carriers != o.carriers || ps.CarriersSize != o.size {
			return fmt.Errorf("%v instance %d: pool statistics %d carriers (%d bytes); the pool holds %d (%d)",
				in.Type, in.Index, ps.Carriers, ps.CarriersSize, o.carriers, o.size)
		}
		for t, k := range o.byType {
			got := ps.Other[t]
			if t == int(in.Type) {
				got = carriers.TypeCount{N: ps.Blocks, Size: ps.BlocksSize}
			}
			if got != k {
				return fmt.Errorf("%v instance %d: pool statistics of type %d: %d blocks (%d bytes); the pool holds %d (%d)",
					in.Type, in.Index, t, got.N, got.Size, k.N, k.Size)
			}
		}
		if in.cp.pooled != nil {
			if n := countTree(h, in.cp.pooled.Root, carriers.Nil); n != pooledNodes[id] {
				return fmt.Errorf("%v instance %d: pooled tree holds %d nodes, %d carriers are in it", in.Type, in.Index, n, pooledNodes[id])
			}
		}
	}
	return nil
}

// countTree counts the nodes of a tree threaded through Block.L/R/P,
// checking the parent links.
func countTree(h *carriers.Heap, n, parent int32) int {
	if n == carriers.Nil {
		return 0
	}
	b := &h.Blocks[n]
	if b.P != parent {
		return -1 << 30
	}
	return 1 + countTree(h, b.L, n) + countTree(h, b.R, n)
}
