package allocator

// fix_alloc's per-type free lists (erts-alloc-facts §1.4; erl_alloc_util.c
// fix_cpool_*, fix_nocpool_*, erts_alcu_fix_alloc_shrink).
//
// The runtime calls fix_alloc for 15 fixed-size types only (proc, monitor,
// link, ...), each of one size known at boot. Traces carry no type name, so
// alloclab identifies a type by its size: every distinct SIZE of an
// `a ID fix_alloc SCHED SIZE` record is one type, named size_<SIZE> in
// reports. Each fix_alloc instance keeps, per type, a LIFO list of blocks
// that are still allocated in alloc_util terms (they count as blocks in the
// mbcs/sbcs statistics) but free for the caller:
//
//   - alloc pops the list when it can, else allocates as alloc_util does
//     (an SBC from sbct on, else an MBC block); `calls alloc` counts both;
//   - free pushes the block unless the rules below release it for real;
//   - a shrink, run by the scheduler's aux work on a ~1 s timer, releases
//     the blocks the lists did not need.
//
// Two bookkeepings, chosen as ERTS_ALC_IS_CPOOL_ENABLED chooses them: the
// cpool one when the instance takes part in a carrier pool
// (Instance.Pooled, which also decides the mbcs_pool report), else nocpool:
//
// cpool (instances 1..N by default), fix_cpool_alloc/free/alloc_shrink:
//
//	alloc  pop → used++, min_list = min(min_list, len), then one pending
//	       shrink step (below); else a new block: used++, allocated++.
//	free   used--; push when the block is not foreign, no shrink is pending
//	       (shrink_list == 0) and len < 1000 (ERTS_ALCU_FIX_MAX_LIST_SZ),
//	       scheduling the shrink timer; otherwise release it, allocated--,
//	       then one pending shrink step.
//	step   fix_cpool_check_shrink: when shrink_list > 0, release the list's
//	       top block (shrink_list--, allocated--; min_list follows len), or
//	       clear shrink_list when the list is empty.
//	shrink per type in size order: at a timer tick (LOWER_LIM) shrink_list
//	       = min_list (the smallest length since the previous tick) and
//	       min_list = len; then release up to 30 (ERTS_ALC_FIX_MAX_SHRINK_OPS)
//	       blocks while shrink_list > 0; more work is reported (DEALLOC)
//	       while a list is non-empty with shrink_list > 0. A flush
//	       (flags 0) sets shrink_list = len and releases without limit.
//
// nocpool (instance 0), fix_nocpool_alloc/free/alloc_shrink:
//
//	alloc  used++; pop → when the list is still non-empty and allocated >
//	       limit, one more block is popped and released (allocated--);
//	       else limit = max(limit, used), max_used = max(max_used, used),
//	       allocated++, a new block (both counts undone on failure).
//	free   used--; push when allocated < limit and len < 1000 (scheduling
//	       the timer); else allocated--, and when the list is non-empty and
//	       allocated is still above limit the block is released and the
//	       list's top block released too (allocated--).
//	shrink per type: at a tick (LOWER_LIM) limit = max(max_used, used) and
//	       max_used = used — the limit is the most blocks in use during
//	       the last period; then release up to 30 list blocks while
//	       allocated > limit; more work while limit < allocated. A flush
//	       sets limit = 0 and releases the whole list.
//
// Both: after a shrink round with every list empty the timer is switched off
// (sched_fix_shrink(0)); the next push switches it on again.
//
// Foreign blocks: a block whose carrier is not employed by the freeing
// instance (heap.Carriers[c].Inst != the instance) or sits in the carrier
// pool (its owner frees into it: the runtime's busy pooled carrier,
// busy_pcrr_pp) is never parked: it is released at once. The runtime's
// other case, allctr != fix_allctr, is a carrier employed by an allocator of
// another type (cross-type migration), whose frees alloclab does not route
// to fix_alloc's lists. A block parked on a list whose carrier has since
// been fetched by another instance is released by that employer (see
// fixRelease).
//
// Timing model (alloclab's choice; the runtime's timer is shared by all aux
// work): an instance's timer ticks every 1e9 ns of simulated time (t
// records), counted from its first fix_alloc operation. A tick does
// something only while the shrink is scheduled; it runs one aux-work round
// with LOWER_LIM|DEALLOC and then further rounds (DEALLOC) at the same
// instant until no more work is reported, so the 30-per-round limit only
// spreads the work over rounds, not over ticks. Between ticks, every alloc
// and free of a type with pending shrink work releases one block.
//
// Note on the source: erl_process.c's handle_fix_alloc clears the
// FIX_ALLOC_LOWER_LIM and FIX_ALLOC_DEALLOC bits before it passes the
// remaining aux-work flags to erts_alloc_fix_alloc_shrink, so with no other
// aux work pending the call sees flags 0 — a flush. SetFixFlushOnTick models
// that reading (every tick flushes every list); the default follows
// erts-alloc-facts §1.4 (the LOWER_LIM rules above). The rules were read in
// an erl_alloc_util.c older than OTP 25 (copyright 2002-2018, mbcs_pool with
// foreign_blocks); the fix_* functions there match §1.4 otherwise.

import (
	"fmt"
	"sort"

	"alloclab/carriers"
)

const (
	fixMaxListSize  = 1000 // ERTS_ALCU_FIX_MAX_LIST_SZ
	fixMaxShrinkOps = 30   // ERTS_ALC_FIX_MAX_SHRINK_OPS
	fixTickNanos    = 1_000_000_000
)

// Aux-work flags of a shrink round (ERTS_SSI_AUX_WORK_FIX_ALLOC_*); 0 is a
// flush.
const (
	fixLowerLim uint8 = 1 << iota
	fixDeallocMore
)

// fixType is one type's ErtsAlcFixList_t.
type fixType struct {
	size            uint64
	list            []int32 // parked blocks, top at the end
	allocated, used int64   // blocks obtained from alloc_util / handed out
	// cpool
	minList, shrinkList int
	// nocpool
	limit, maxUsed int64
}

func (t *fixType) pop() int32 {
	b := t.list[len(t.list)-1]
	t.list = t.list[:len(t.list)-1]
	return b
}

// fixLists is an instance's fix_alloc state: its types, ordered by size,
// the shrink timer and the simulated clock.
type fixLists struct {
	types       []*fixType // by size
	bySize      map[uint64]*fixType
	live        map[int32]*fixType // type of each block handed out
	scheduled   bool               // fix_shrink_scheduled: the timer is on
	started     bool               // the first fix_alloc operation happened
	now, next   uint64             // the clock; the next tick
	flushOnTick bool
}

// newFixLists starts an instance's fix lists; which bookkeeping they use is
// decided later, by the node's pool set-up (Instance.Pooled).
func newFixLists(Options) *fixLists {
	return &fixLists{bySize: map[uint64]*fixType{}, live: map[int32]*fixType{}}
}

func (f *fixLists) typeOf(size uint64) *fixType {
	if t := f.bySize[size]; t != nil {
		return t
	}
	t := &fixType{size: size}
	f.bySize[size] = t
	i := sort.Search(len(f.types), func(i int) bool { return f.types[i].size > size })
	f.types = append(f.types, nil)
	copy(f.types[i+1:], f.types[i:])
	f.types[i] = t
	return t
}

// touch starts the instance's tick grid at its first operation.
func (f *fixLists) touch() {
	if !f.started {
		f.started = true
		f.next = f.now + fixTickNanos
	}
}

// fixNewBlock is the normal alloc_util allocation of fix_*_alloc.
func (in *Instance) fixNewBlock(size uint64) int32 {
	if size >= in.Opts.SBCT {
		return in.createCarrier(size, cfSBC)
	}
	return in.mbcAlloc(size)
}

// fixRelease frees block b for real, as dealloc_block does. A parked block
// whose carrier has meanwhile gone to another employer (abandoned and
// fetched) is freed there at once; the runtime sends it through that
// employer's delayed-dealloc queue flagged as a shrink, where the employer
// may park it on its own list.
func (in *Instance) fixRelease(b int32) {
	c := in.heap.Blocks[b].Crr
	if emp := in.heap.Carriers[c].Inst; emp != in.id && in.cp.node != nil {
		in = in.cp.node.insts[emp]
	}
	if in.heap.Carriers[c].SBC {
		in.destroySBC(c)
		return
	}
	in.mbcFree(b)
}

// fixAlloc is fix_cpool_alloc / fix_nocpool_alloc; Instance.Alloc has
// counted the call.
func (in *Instance) fixAlloc(size, tag uint64) int32 {
	f := in.fix
	f.touch()
	t := f.typeOf(size)
	var b int32
	if in.Pooled() {
		b = in.fixCpoolAlloc(t)
	} else {
		b = in.fixNocpoolAlloc(t)
	}
	if b != nilIdx {
		in.heap.Blocks[b].U = tag
		f.live[b] = t
	}
	return b
}

// fixFree is fix_cpool_free / fix_nocpool_free; Instance.Free has counted
// the call.
func (in *Instance) fixFree(b int32) {
	f := in.fix
	f.touch()
	t := f.live[b]
	if t != nil {
		delete(f.live, b)
	} else {
		t = in.fixTypeOfBlock(b)
	}
	if in.Pooled() {
		in.fixCpoolFree(t, b)
	} else {
		in.fixNocpoolFree(t, b)
	}
}

// fixTypeOfBlock guesses the type of a block another instance handed out
// (possible once carriers migrate): the largest type of the block's kind
// (MBC or SBC) that fits in it — a block may be larger than its type's
// block size when the rest of the free block it came from was too small to
// split off — else a new type of the block's user size.
func (in *Instance) fixTypeOfBlock(b int32) *fixType {
	bsz := in.heap.Blocks[b].Size()
	sbc := in.heap.Carriers[in.heap.Blocks[b].Crr].SBC
	var fit *fixType
	for _, t := range in.fix.types {
		if (t.size >= in.Opts.SBCT) == sbc && in.BlockSize(t.size) <= bsz {
			fit = t
		}
	}
	if fit != nil {
		return fit
	}
	return in.fix.typeOf(bsz - blkHdr - in.tag)
}

func (in *Instance) fixCpoolAlloc(t *fixType) int32 {
	if len(t.list) > 0 {
		b := t.pop()
		t.minList = min(t.minList, len(t.list))
		t.used++
		in.fixCheckShrink(t)
		return b
	}
	b := in.fixNewBlock(t.size)
	if b != nilIdx {
		t.used++
		t.allocated++
	}
	return b
}

func (in *Instance) fixCpoolFree(t *fixType, b int32) {
	t.used--
	cr := &in.heap.Carriers[in.heap.Blocks[b].Crr]
	foreign := cr.Inst != in.id || cr.PoolFlags&carriers.InPool != 0
	if !foreign && t.shrinkList == 0 && len(t.list) < fixMaxListSize {
		t.list = append(t.list, b)
		in.fix.scheduled = true
		return
	}
	in.fixRelease(b)
	t.allocated--
	in.fixCheckShrink(t)
}

// fixCheckShrink is fix_cpool_check_shrink: one pending shrink step.
func (in *Instance) fixCheckShrink(t *fixType) {
	if t.shrinkList <= 0 {
		return
	}
	if len(t.list) == 0 {
		t.shrinkList = 0
		return
	}
	t.shrinkList--
	p := t.pop()
	t.minList = min(t.minList, len(t.list))
	in.fixRelease(p)
	t.allocated--
}

func (in *Instance) fixNocpoolAlloc(t *fixType) int32 {
	t.used++
	if len(t.list) > 0 {
		b := t.pop()
		if len(t.list) > 0 && t.allocated > t.limit {
			in.fixRelease(t.pop())
			t.allocated--
		}
		return b
	}
	t.limit = max(t.limit, t.used)
	t.maxUsed = max(t.maxUsed, t.used)
	t.allocated++
	b := in.fixNewBlock(t.size)
	if b == nilIdx {
		t.allocated--
		t.used--
	}
	return b
}

func (in *Instance) fixNocpoolFree(t *fixType, b int32) {
	t.used--
	if t.allocated < t.limit && len(t.list) < fixMaxListSize {
		t.list = append(t.list, b)
		in.fix.scheduled = true
		return
	}
	t.allocated--
	if len(t.list) > 0 && t.allocated > t.limit {
		in.fixRelease(b)
		b = t.pop()
		t.allocated--
	}
	in.fixRelease(b)
}

// fixShrink is one aux-work round of erts_alcu_fix_alloc_shrink with flags
// (fixLowerLim, fixDeallocMore, or 0 for a flush). It reports
// fixDeallocMore when a further round has work to do.
func (in *Instance) fixShrink(flags uint8) uint8 {
	f := in.fix
	flush := flags == 0
	var res uint8
	allEmpty := true
	for _, t := range f.types {
		if in.Pooled() {
			if flush {
				t.shrinkList = len(t.list)
			} else if flags&fixLowerLim != 0 {
				t.shrinkList = t.minList
				t.minList = len(t.list)
			}
			for o := 0; o < fixMaxShrinkOps || flush; o++ {
				if t.shrinkList == 0 {
					break
				}
				if len(t.list) == 0 {
					t.shrinkList = 0
					break
				}
				p := t.pop()
				t.shrinkList--
				in.fixRelease(p)
				t.allocated--
			}
			t.minList = min(t.minList, len(t.list))
			if len(t.list) != 0 {
				if t.shrinkList > 0 {
					res |= fixDeallocMore
				}
				allEmpty = false
			}
			continue
		}
		if flags&fixLowerLim != 0 {
			t.limit = max(t.maxUsed, t.used)
			t.maxUsed = t.used
		}
		if flush {
			t.limit = 0
			t.maxUsed = t.used
		}
		for o := 0; o < fixMaxShrinkOps || flush; o++ {
			if !flush && t.limit >= t.allocated {
				break
			}
			if len(t.list) == 0 {
				break
			}
			in.fixRelease(t.pop())
			t.allocated--
		}
		if len(t.list) != 0 {
			if t.limit < t.allocated {
				res |= fixDeallocMore
			}
			allEmpty = false
		}
	}
	if allEmpty {
		f.scheduled = false
	}
	return res
}

// fixTickRun is what one timer tick does: a LOWER_LIM round (a flush with
// SetFixFlushOnTick), then DEALLOC rounds at once until no work is left.
func (in *Instance) fixTickRun() {
	flags := fixLowerLim | fixDeallocMore
	if in.fix.flushOnTick {
		flags = 0
	}
	for res := in.fixShrink(flags); res != 0; res = in.fixShrink(res) {
	}
}

// fixAdvance moves the instance's clock to now, running the ticks due.
func (in *Instance) fixAdvance(now uint64) {
	f := in.fix
	if now < f.now {
		return
	}
	f.now = now
	if !f.started {
		return
	}
	for f.next <= now {
		if !f.scheduled {
			// Idle ticks do nothing: jump to the first tick after now.
			f.next += ((now-f.next)/fixTickNanos + 1) * fixTickNanos
			break
		}
		in.fixTickRun()
		f.next += fixTickNanos
	}
}

// fixTick forwards the simulated clock to every fix_alloc instance
// (System.Advance).
func (s *System) fixTick(nanos uint64) {
	for _, in := range s.types[Fix] {
		if in.fix != nil {
			in.fixAdvance(nanos)
		}
	}
}

// SetFixFlushOnTick switches every fix_alloc instance of the node between
// the documented shrink (off, the default: each tick releases the blocks
// the lists did not need since the previous one) and the reading of the
// source in which each tick flushes every list (see the package notes in
// fix.go).
func (s *System) SetFixFlushOnTick(on bool) {
	for _, in := range s.types[Fix] {
		if in.fix != nil {
			in.fix.flushOnTick = on
		}
	}
}

// refuseFixRealloc refuses a realloc of a fix_alloc block: fix_alloc
// serves fixed-size types only and the runtime aborts on a realloc of one.
func (s *System) refuseFixRealloc(b int32) error {
	if s.blockType(b) != Fix {
		return nil
	}
	return &RouteError{fmt.Sprintf("realloc of a fix_alloc block (%d-byte block): fix_alloc serves fixed-size types, which cannot be reallocated (the runtime aborts)",
		s.heap.Blocks[b].Size())}
}

// FixType is one fix_alloc type of an instance: what erts_alcu_info's
// fix_types reports ({Type, type_size × allocated, type_size × used}) and
// the list behind it.
type FixType struct {
	Size      uint64 // the type size in user bytes: the type's identity
	Allocated int64  // blocks obtained from alloc_util, parked ones included
	Used      int64  // blocks handed out to callers
	Parked    int    // blocks on the free list
}

// Name is the type's name in reports: size_<Size>.
func (t FixType) Name() string { return fmt.Sprintf("size_%d", t.Size) }

// FixTypes returns the fix_alloc types the instance has seen, by size, and
// whether it uses the carrier-pool bookkeeping (the runtime reports
// fix_types only for instances without it). Nil for other allocators.
func (in *Instance) FixTypes() (types []FixType, cpool bool) {
	if in.fix == nil {
		return nil, false
	}
	types = []FixType{}
	for _, t := range in.fix.types {
		types = append(types, FixType{Size: t.size, Allocated: t.allocated, Used: t.used, Parked: len(t.list)})
	}
	return types, in.Pooled()
}

// fixCheck verifies the fix lists: every parked block is allocated, large
// enough for its type, parked once, and every type keeps allocated = used +
// parked.
func (in *Instance) fixCheck() error {
	if in.fix == nil {
		return nil
	}
	seen := map[int32]bool{}
	for _, t := range in.fix.types {
		if t.allocated != t.used+int64(len(t.list)) {
			return fmt.Errorf("fix type size_%d: allocated %d, used %d, parked %d", t.size, t.allocated, t.used, len(t.list))
		}
		if len(t.list) > fixMaxListSize {
			return fmt.Errorf("fix type size_%d: %d parked blocks", t.size, len(t.list))
		}
		for _, b := range t.list {
			blk := &in.heap.Blocks[b]
			if seen[b] || blk.Free() || blk.Size() < in.BlockSize(t.size) {
				return fmt.Errorf("fix type size_%d: bad parked block %d", t.size, b)
			}
			seen[b] = true
		}
	}
	return nil
}
