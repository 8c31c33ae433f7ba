package allocator

import (
	"alloclab/carriers"
	"alloclab/strategies"
)

// The carrier pool (erl_alloc_util.c cpool_*, abandon_carrier, cpool_fetch,
// handle_delayed_dealloc's homecoming; erts-alloc-facts §7).
//
// An instance with the pool enabled (instances 1..N of an aoff-family
// allocator with acul > 0) gives up a carrier whose use has dropped below
// acul percent while the instance as a whole is below acul too: the carrier
// leaves the instance's statistics and carrier tree and is inserted into the
// pool of the instance's cp. When an instance of that pool needs a new
// carrier it first tries to fetch one: its own abandoned carriers (its
// pooled tree), then the shared pool list, then its own empty carriers
// waiting to be released. A carrier remembers its owner (the instance that
// created it) and its employer (Carrier.Inst); while pooled, the owner is
// its employer, so frees of its blocks go to the owner. A carrier emptied
// or abandoned by a foreign employer is sent home through the owner's
// delayed-dealloc queue; the owner releases its memory (so segments always
// return to the owner's mseg instance).
//
// The runtime's concurrency reduces to this in a single-threaded model:
// nothing is ever BUSY for another instance (only the owner's own realloc
// in a pooled carrier, ERTS_CRR_ALCTR_FLG_BUSY), no compare-and-swap is
// lost, and thread progress passes at the end of every run of operations
// (System.Settle), which is also when delayed deallocations are applied —
// the oracle's node mode with --settle.

// Counter limits of the pool (ERTS_ALC_CPOOL_*, §7.2, §7.4).
const (
	maxDisableAbandon = 1000 // ERTS_ALC_CPOOL_MAX_DISABLE_ABANDON
	allocOpInc        = 8    // ERTS_ALC_CPOOL_ALLOC_OP_INC
	freeOpDec         = 10   // ERTS_ALC_CPOOL_FREE_OP_DEC
	maxFetchInspect   = 100  // ERTS_ALC_CPOOL_MAX_FETCH_INSPECT
	maxDeallocCarrier = 10   // ERTS_ALC_MAX_DEALLOC_CARRIER
)

const sentinel = carriers.PoolSentinel

// carrierPool is one pool: a circular doubly linked list through
// Carrier.PoolPrev/PoolNext with a sentinel; head and tail are the
// sentinel's next and prev (the sentinel itself when the pool is empty).
type carrierPool struct{ head, tail int32 }

func newCarrierPool() *carrierPool { return &carrierPool{head: sentinel, tail: sentinel} }

// insert is cpool_insert's list part: the new carrier goes after the first
// one ("passing one element before trying to insert"), or right after the
// sentinel when the pool is empty.
func (p *carrierPool) insert(cs []carriers.Carrier, c int32) {
	a := p.head
	if a == sentinel {
		cs[c].PoolPrev, cs[c].PoolNext = sentinel, sentinel
		p.head, p.tail = c, c
		return
	}
	n := cs[a].PoolNext
	cs[c].PoolPrev, cs[c].PoolNext = a, n
	cs[a].PoolNext = c
	if n == sentinel {
		p.tail = c
	} else {
		cs[n].PoolPrev = c
	}
}

func (p *carrierPool) remove(cs []carriers.Carrier, c int32) {
	pr, nx := cs[c].PoolPrev, cs[c].PoolNext
	if pr == sentinel {
		p.head = nx
	} else {
		cs[pr].PoolNext = nx
	}
	if nx == sentinel {
		p.tail = pr
	} else {
		cs[nx].PoolPrev = pr
	}
	cs[c].PoolPrev, cs[c].PoolNext = carriers.Nil, carriers.Nil
}

// prev steps backwards around the circle (the sentinel's prev is the tail).
func (p *carrierPool) prev(cs []carriers.Carrier, x int32) int32 {
	if x == sentinel {
		return p.tail
	}
	return cs[x].PoolPrev
}

// cpoolState is an instance's part in the pool (Allctr_t.cpool).
type cpoolState struct {
	on      bool         // ERTS_ALC_IS_CPOOL_ENABLED
	pool    *carrierPool // the pool of the instance's cp
	node    *System      // homecoming messages, thread progress
	pooled  *strategies.PooledTree
	disable int   // disable_abandon
	busy    int32 // the own pooled carrier of the realloc in progress, or Nil
	// Empty carriers waiting for thread progress before their release
	// (dc_list), oldest first, linked through ListPrev/ListNext.
	dcHead, dcTail int32
}

// poolPct is the runtime's percentage of a size with its overflow guard
// (cpool_init_carrier_data, set_new_allctr_abandon_limit).
func poolPct(size, pct uint64) uint64 {
	if l := size * pct; l > size {
		return l / 100
	}
	return size / 100 * pct
}

func (in *Instance) allocOp() {
	if in.cp.disable < maxDisableAbandon {
		in.cp.disable = min(in.cp.disable+allocOpInc, maxDisableAbandon)
	}
}

func (in *Instance) freeOp() { in.cp.disable = max(in.cp.disable-freeOpDec, 0) }

func (in *Instance) reallocOp() { in.cp.disable = max(in.cp.disable-(freeOpDec-allocOpInc), 0) }

// checkAbandon is check_abandon_carrier (§7.2) for carrier c after a free
// or an in-place shrink left a free block in it.
func (in *Instance) checkAbandon(c int32) {
	if !in.cp.on || in.cp.disable != 0 {
		return
	}
	st := &in.Stats.MBCs
	if st.BlocksSize.Cur > poolPct(st.MsegSize+st.SysSize, in.Opts.ACUL) {
		return
	}
	if in.Stats.Pool.Carriers >= in.Opts.ACNL {
		return
	}
	if c == in.main {
		return
	}
	cr := &in.heap.Carriers[c]
	if cr.BlocksSize > poolPct(cr.Size, in.Opts.ACUL) {
		return
	}
	if cr.Mark != 0 && !in.cp.node.reached(cr.Mark) {
		return
	}
	if cr.MaxFree < in.Opts.ACFML {
		return
	}
	cr.MaxSize = cr.MaxFree
	in.abandon(c)
}

// abandon is abandon_carrier: c leaves this employer for the pool.
func (in *Instance) abandon(c int32) {
	cs := in.heap.Carriers
	cr := &cs[c]
	st := &in.Stats.MBCs
	st.carrierRemoved(cr.Size, cr.Mseg)
	owner := in.cp.node.insts[cr.Owner]
	ps := &owner.Stats.Pool
	for t, n := range cr.ByType {
		if n.N != 0 || n.Size != 0 {
			cnt, size := st.typed(in.Type, t)
			cnt.sub(n.N)
			size.sub(n.Size)
			ps.addBlocks(owner.Type, t, n, +1)
		}
	}
	in.unlinkCarrier(&in.mbcHead, &in.mbcTail, c)
	in.strat.RemoveCarrier(c)
	in.updateLastAux()

	ps.Carriers++
	ps.CarriersSize += cr.Size
	in.cp.pool.insert(cs, c)

	if owner == in {
		cr.PoolFlags |= carriers.InPool
		in.poolify(c)
		return
	}
	was := cr.PoolFlags&carriers.Homecoming != 0
	cr.Inst = owner.id
	cr.PoolFlags |= carriers.Homecoming | carriers.InPool
	if !was {
		in.cp.node.queueEntry(owner.id, ^c)
	}
}

// poolify is poolify_my_carrier: an own carrier in the pool enters the
// pooled tree with its search size.
func (in *Instance) poolify(c int32) {
	cr := &in.heap.Carriers[c]
	cr.PoolNode = in.cp.pooled.Add(c, cr.MaxSize)
	cr.PoolState = carriers.WasPooled
}

// unlinkAbandoned is unlink_abandoned_carrier, on the owner.
func (in *Instance) unlinkAbandoned(c int32) {
	cr := &in.heap.Carriers[c]
	if cr.PoolState == carriers.WasPooled {
		in.cp.pooled.Remove(cr.PoolNode)
		cr.PoolNode = carriers.Nil
	}
}

// poolDelete is cpool_delete: c leaves the pool for fetcher; its owner's
// pool statistics drop it, and it may not be abandoned again (or released)
// before thread progress has passed.
func (in *Instance) poolDelete(c int32) {
	cs := in.heap.Carriers
	cr := &cs[c]
	owner := in.cp.node.insts[cr.Owner]
	ps := &owner.Stats.Pool
	for t, n := range cr.ByType {
		if n.N != 0 || n.Size != 0 {
			ps.addBlocks(owner.Type, t, n, -1)
		}
	}
	ps.Carriers--
	ps.CarriersSize -= cr.Size
	in.cp.pool.remove(cs, c)
	cr.Mark = in.cp.node.later()
}

// fetch is cpool_fetch (§7.4): a carrier with a free block of at least size
// bytes from the pool, or Nil. The carrier is claimed (employer: in) but
// not yet linked into the instance.
func (in *Instance) fetch(size uint64) int32 {
	cs := in.heap.Carriers
	ps := &in.Stats.Pool
	pt := in.cp.pooled
	i := maxFetchInspect
	reinsert, reinsertKey := carriers.Nil, uint64(0)
	// 1. The own pooled tree.
	for {
		n := pt.FirstFit(size)
		if n == carriers.Nil {
			break
		}
		c := pt.Carrier(n)
		cr := &cs[c]
		key := pt.Remove(n)
		cr.PoolNode = carriers.Nil
		if cr.PoolFlags&carriers.InPool != 0 {
			switch {
			case cr.MaxSize < size:
				// Stale search size (the carrier went round a foreign
				// instance): back in with its real one.
				cr.PoolNode = pt.Add(c, cr.MaxSize)
				ps.SkipSize++
			case c == in.cp.busy:
				// Our own realloc's carrier: put back (with its key)
				// once the search is over.
				reinsert, reinsertKey = c, key
				ps.SkipBusy++
			default:
				cr.PoolFlags &^= carriers.InPool
				in.poolDelete(c)
				cr.PoolState = carriers.IsHome
				if reinsert != carriers.Nil {
					cs[reinsert].PoolNode = pt.Add(reinsert, reinsertKey)
				}
				return c
			}
		} else {
			ps.SkipNotPooled++
			cr.PoolState = carriers.WasTraitor
		}
		if i--; i <= 0 {
			break
		}
	}
	if reinsert != carriers.Nil {
		cs[reinsert].PoolNode = pt.Add(reinsert, reinsertKey)
	}
	// 2. An entrance into the shared list: the pooled tree's root, if
	// still in the pool.
	entrance := sentinel
	for pt.Root != carriers.Nil {
		c := pt.Carrier(pt.Root)
		if cs[c].PoolFlags&carriers.InPool != 0 {
			entrance = c
			break
		}
		pt.Remove(pt.Root)
		cs[c].PoolNode = carriers.Nil
		cs[c].PoolState = carriers.WasTraitor
		if i--; i <= 0 {
			ps.FailPooled++
			return carriers.Nil
		}
	}
	// 3. The shared list, backwards from the entrance (or from the tail),
	// around past the sentinel, ending with the entrance itself.
	p := in.cp.pool
	if entrance == sentinel {
		entrance = p.tail
	}
	if entrance != sentinel {
		seen := false
		for x := entrance; ; {
			x = p.prev(cs, x)
			if x == sentinel {
				if seen {
					ps.EntranceRemoved++
					break
				}
				seen = true
				continue
			}
			cr := &cs[x]
			busy := x == in.cp.busy
			if cr.MaxSize < size {
				ps.SkipSize++
			} else if cr.PoolFlags&carriers.InPool != 0 && !busy {
				cr.Inst = in.id
				cr.PoolFlags &^= carriers.InPool
				in.poolDelete(x)
				if cr.Owner == in.id {
					in.unlinkAbandoned(x)
					cr.PoolState = carriers.IsHome
				}
				return x
			}
			if busy {
				ps.SkipBusy++
			} else {
				ps.SkipRace++
			}
			if i--; i <= 0 {
				ps.FailShared++
				return carriers.Nil
			}
			if x == entrance {
				break
			}
		}
	}
	// 4. The own carriers waiting to be released, newest first.
	for c := in.cp.dcTail; c != carriers.Nil; c = cs[c].ListPrev {
		if cs[c].MaxSize >= size {
			in.dcUnlink(c)
			in.strat.Link(cs[c].First)
			return c
		}
		if i--; i <= 0 {
			ps.FailPendDealloc++
			return carriers.Nil
		}
	}
	if i != maxFetchInspect {
		ps.Fail++
	}
	return carriers.Nil
}

// employFetched is create_carrier's success path after a fetch: the
// carrier and its blocks of the instance's type join its statistics, its
// carrier list and its carrier tree.
func (in *Instance) employFetched(c int32) {
	cr := &in.heap.Carriers[c]
	st := &in.Stats.MBCs
	st.carrierAdded(cr.Size, cr.Mseg)
	for t, n := range cr.ByType {
		if n.N != 0 || n.Size != 0 {
			cnt, size := st.typed(in.Type, t)
			cnt.add(n.N)
			size.add(n.Size)
		}
	}
	in.Stats.Pool.Fetch++
	in.linkCarrier(&in.mbcHead, &in.mbcTail, c)
	in.strat.AddCarrier(c)
	in.updateLastAux()
}

// pooledBlockRemoved is a free in an own pooled carrier (the owner is its
// employer and marks it busy): the carrier and the owner's pool statistics
// lose the block, the instance's mbcs do not (stat_cpool_mbc_blk_free).
func (in *Instance) pooledBlockRemoved(c int32, size uint64, t int) {
	cr := &in.heap.Carriers[c]
	cr.Blocks--
	cr.BlocksSize -= size
	cr.ByType[t].N--
	cr.ByType[t].Size -= size
	owner := in.cp.node.insts[cr.Owner]
	owner.Stats.Pool.addBlocks(owner.Type, t, carriers.TypeCount{N: 1, Size: size}, -1)
}

// pooledFree finishes a free in an own pooled carrier that did not empty
// it: the pooled tree learns a larger search key (update_pooled_tree), and
// the carrier's search size becomes its largest free block
// (clear_busy_pool_carrier).
func (in *Instance) pooledFree(c int32, freed uint64) {
	cr := &in.heap.Carriers[c]
	if cr.Owner == in.id && cr.PoolState == carriers.WasPooled {
		in.cp.pooled.Raise(cr.PoolNode, freed)
	}
	cr.MaxSize = cr.MaxFree
}

// scheduleDealloc is schedule_dealloc_carrier for MBC c, empty and out of
// the instance (its only block free and unlinked).
func (in *Instance) scheduleDealloc(c int32) {
	if !in.cp.on {
		in.deallocMBC(c)
		return
	}
	cr := &in.heap.Carriers[c]
	if cr.Owner == in.id {
		if cr.PoolFlags&carriers.Homecoming == 0 {
			in.deallocMine(c)
		}
		// Else it was abandoned by another instance earlier and its
		// homecoming message is still queued: dealt with then.
		return
	}
	was := cr.PoolFlags&carriers.Homecoming != 0
	cr.Inst = cr.Owner
	cr.PoolFlags = carriers.Homecoming
	if !was {
		in.cp.node.queueEntry(cr.Owner, ^c)
	}
}

// deallocMine is dealloc_my_carrier: the owner releases an empty carrier,
// or parks it until thread progress has passed the moment it left the pool.
func (in *Instance) deallocMine(c int32) {
	cs := in.heap.Carriers
	cr := &cs[c]
	if cr.PoolState != carriers.IsHome {
		in.unlinkAbandoned(c)
		cr.PoolState = carriers.IsHome
	}
	if cr.Mark == 0 || in.cp.node.reached(cr.Mark) {
		in.deallocMBC(c)
		return
	}
	cr.MaxSize = in.heap.Blocks[cr.First].Size()
	cr.ListNext, cr.ListPrev = carriers.Nil, in.cp.dcTail
	check := in.cp.dcTail != carriers.Nil
	if check {
		cs[in.cp.dcTail].ListNext = c
	} else {
		in.cp.dcHead = c
	}
	in.cp.dcTail = c
	if check {
		in.checkPendingDealloc()
	}
}

// checkPendingDealloc is check_pending_dealloc_carrier: up to 10 parked
// carriers whose thread progress has been reached are released, oldest
// first. It reports whether it released any.
func (in *Instance) checkPendingDealloc() bool {
	n := 0
	for c := in.cp.dcHead; c != carriers.Nil && n < maxDeallocCarrier; c = in.cp.dcHead {
		if !in.cp.node.reached(in.heap.Carriers[c].Mark) {
			break
		}
		in.dcUnlink(c)
		in.deallocMBC(c)
		n++
	}
	return n > 0
}

func (in *Instance) dcUnlink(c int32) {
	cs := in.heap.Carriers
	p, n := cs[c].ListPrev, cs[c].ListNext
	if p != carriers.Nil {
		cs[p].ListNext = n
	} else {
		in.cp.dcHead = n
	}
	if n != carriers.Nil {
		cs[n].ListPrev = p
	} else {
		in.cp.dcTail = p
	}
	cs[c].ListPrev, cs[c].ListNext = carriers.Nil, carriers.Nil
}

// homecoming is handle_delayed_dealloc's carrier message at the owner: a
// carrier sent back because it became empty at a foreign employer, or
// because a foreign employer abandoned it into the pool.
func (in *Instance) homecoming(c int32) {
	h := in.heap
	cr := &h.Carriers[c]
	if cr.Inst == in.id && cr.PoolFlags&carriers.InPool == 0 {
		// Home: ours and not in the pool.
		cr.PoolFlags = 0
		if f := cr.First; h.Blocks[f].Free() && h.Blocks[f].Next == carriers.Nil {
			in.deallocMine(c)
		}
		return
	}
	cr.PoolFlags &^= carriers.Homecoming
	in.unlinkAbandoned(c)
	if cr.PoolFlags&carriers.InPool != 0 {
		in.poolify(c)
	} else {
		cr.PoolState = carriers.WasTraitor
	}
}

// deallocMBC releases MBC c's memory and its slots.
func (in *Instance) deallocMBC(c int32) {
	h := in.heap
	cr := h.Carriers[c]
	in.release(cr.Addr, cr.Size, cr.Mseg, false)
	h.FreeBlock(cr.First)
	h.FreeCarrier(c)
}

// EachPooled calls fn for the instance's own carriers in the pool, in pool
// order (they are listed first in its instrument:carriers scan).
func (in *Instance) EachPooled(fn func(c int32)) {
	if in.cp.pool == nil {
		return
	}
	cs := in.heap.Carriers
	for c := in.cp.pool.head; c != sentinel; c = cs[c].PoolNext {
		if cs[c].Owner == in.id && cs[c].PoolFlags&carriers.InPool != 0 {
			fn(c)
		}
	}
}

// Pooled reports whether the instance takes part in a carrier pool.
func (in *Instance) Pooled() bool { return in.cp.on }
