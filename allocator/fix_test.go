package allocator

import (
	"errors"
	"testing"

	"alloclab/carriers"
)

// fixNode starts a 2-scheduler node with the given +M flags; fix_alloc
// instance 0 has no carrier pool, instances 1 and 2 have one.
func fixNode(t *testing.T, flags string) *System {
	t.Helper()
	s, err := NewSystem(mustConfig(t, 2, flags))
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func fixInst(t *testing.T, s *System, i int) *Instance {
	t.Helper()
	in := s.Instances(Fix)[i]
	if in.fix == nil {
		t.Fatalf("fix_alloc instance %d has no fix lists", i)
	}
	return in
}

// fixOK runs every invariant checker of the node.
func fixOK(t *testing.T, s *System) {
	t.Helper()
	if err := s.Check(); err != nil {
		t.Fatal(err)
	}
	for _, in := range s.Instances(Fix) {
		if err := in.fixCheck(); err != nil {
			t.Fatalf("fix_alloc instance %d: %v", in.Index, err)
		}
	}
}

func fixAlloc(t *testing.T, s *System, sched uint32, size uint64, n int) []int32 {
	t.Helper()
	var bs []int32
	for i := 0; i < n; i++ {
		b, err := s.Alloc(Fix, sched, size, uint64(i))
		if err != nil || b == carriers.Nil {
			t.Fatalf("alloc %d: %v %v", i, b, err)
		}
		bs = append(bs, b)
	}
	return bs
}

func fixFree(t *testing.T, s *System, sched uint32, bs ...int32) {
	t.Helper()
	for _, b := range bs {
		if err := s.Free(b, sched); err != nil {
			t.Fatal(err)
		}
	}
}

// state is one type's counters: parked, allocated, used.
type fixState struct {
	parked          int
	allocated, used int64
}

func fixStateOf(t *testing.T, in *Instance, size uint64) fixState {
	t.Helper()
	ft := in.fix.bySize[size]
	if ft == nil {
		return fixState{}
	}
	return fixState{len(ft.list), ft.allocated, ft.used}
}

func TestFixPooledBookkeeping(t *testing.T) {
	s := fixNode(t, "")
	for i, want := range []bool{false, true, true} {
		if _, cpool := fixInst(t, s, i).FixTypes(); cpool != want {
			t.Errorf("instance %d: cpool %v, want %v", i, cpool, want)
		}
	}
	if s := fixNode(t, "+MFacul 0"); fixInst(t, s, 1).Pooled() {
		t.Error("+MFacul 0: instance 1 still uses the cpool bookkeeping")
	}
}

// TestFixListPushPop: the list is LIFO, parked blocks stay allocated blocks,
// every alloc is counted.
func TestFixListPushPop(t *testing.T) {
	s := fixNode(t, "")
	in := fixInst(t, s, 1)
	blocks0 := in.Stats.MBCs.Blocks.Cur
	bs := fixAlloc(t, s, 1, 100, 3)
	fixFree(t, s, 1, bs...)
	fixOK(t, s)
	if got := fixStateOf(t, in, 100); got != (fixState{3, 3, 0}) {
		t.Fatalf("after 3 allocs and frees: %+v", got)
	}
	if in.Stats.MBCs.Blocks.Cur != blocks0+3 {
		t.Errorf("parked blocks: mbcs blocks %d, want %d", in.Stats.MBCs.Blocks.Cur, blocks0+3)
	}
	for _, want := range []int32{bs[2], bs[1], bs[0]} {
		b, _ := s.Alloc(Fix, 1, 100, 77)
		if b != want {
			t.Fatalf("pop gave block %d, want %d (LIFO)", b, want)
		}
		if s.heap.Blocks[b].U != 77 {
			t.Errorf("popped block keeps tag %d", s.heap.Blocks[b].U)
		}
	}
	if in.Stats.Calls.Alloc != 6 || in.Stats.Calls.Free != 3 {
		t.Errorf("calls alloc %d free %d, want 6 and 3", in.Stats.Calls.Alloc, in.Stats.Calls.Free)
	}
	if got := fixStateOf(t, in, 100); got != (fixState{0, 3, 3}) {
		t.Fatalf("after 3 pops: %+v", got)
	}
	// Another size is another type with its own list.
	b := fixAlloc(t, s, 1, 200, 1)
	fixFree(t, s, 1, b...)
	if got := fixStateOf(t, in, 200); got != (fixState{1, 1, 0}) {
		t.Errorf("size 200: %+v", got)
	}
	types, _ := in.FixTypes()
	if len(types) != 2 || types[0].Size != 100 || types[1].Name() != "size_200" || types[1].Parked != 1 {
		t.Errorf("FixTypes: %+v", types)
	}
	fixOK(t, s)
}

// TestFixListCap: at most 1000 parked blocks; the 1001st free is real.
func TestFixListCap(t *testing.T) {
	s := fixNode(t, "")
	in := fixInst(t, s, 1)
	blocks0 := in.Stats.MBCs.Blocks.Cur
	bs := fixAlloc(t, s, 1, 64, 1001)
	fixFree(t, s, 1, bs...)
	fixOK(t, s)
	if got := fixStateOf(t, in, 64); got != (fixState{1000, 1000, 0}) {
		t.Fatalf("after 1001 frees: %+v", got)
	}
	if in.Stats.MBCs.Blocks.Cur != blocks0+1000 {
		t.Errorf("the 1001st block was not freed: mbcs blocks %d", in.Stats.MBCs.Blocks.Cur)
	}
}

// poolFixNode leaves fix_alloc instance 1 with carriers in the pool: 6000
// blocks of 1000 bytes, every 500th from the 1000th on and the first 990
// parked (1000 on the list), the other frees real, so the carriers beyond
// the first hold only their parked blocks and are abandoned. It returns the
// node and the parked blocks in the pooled carriers.
func poolFixNode(t *testing.T) (*System, []int32) {
	t.Helper()
	s := fixNode(t, "")
	bs := fixAlloc(t, s, 1, 1000, 6000)
	var kept []int32
	for i := 1000; i < 6000; i += 500 {
		kept = append(kept, bs[i])
	}
	fixFree(t, s, 1, kept...)
	fixFree(t, s, 1, bs[:990]...)
	for i := 1000; i < 6000; i++ {
		if i%500 != 0 {
			fixFree(t, s, 1, bs[i])
		}
	}
	fixOK(t, s)
	pooled := 0
	for _, b := range kept {
		if s.heap.Carriers[s.heap.Blocks[b].Crr].PoolFlags&carriers.InPool != 0 {
			pooled++
		}
	}
	if pooled == 0 {
		t.Fatal("no parked block in a pooled carrier: the setup no longer abandons carriers")
	}
	return s, kept
}

// TestFixForeignBlock: a block in a pooled carrier (its owner frees into
// it, the runtime's busy pool carrier) is freed for real, not parked.
func TestFixForeignBlock(t *testing.T) {
	s, kept := poolFixNode(t)
	in := fixInst(t, s, 1)
	// Take them all back: the list is then empty.
	fixAlloc(t, s, 1, 1000, 1000)
	var b int32 = carriers.Nil
	for _, k := range kept {
		if s.heap.Carriers[s.heap.Blocks[k].Crr].PoolFlags&carriers.InPool != 0 {
			b = k
		}
	}
	if b == carriers.Nil {
		t.Fatal("no kept block in a pooled carrier")
	}
	before := fixStateOf(t, in, 1000)
	c := s.heap.Blocks[b].Crr
	blocks := s.heap.Carriers[c].Blocks
	fixFree(t, s, 1, b)
	fixOK(t, s)
	if got := fixStateOf(t, in, 1000); got != (fixState{0, before.allocated - 1, before.used - 1}) {
		t.Errorf("free into a pooled carrier: %+v, before %+v", got, before)
	}
	if blocks > 1 && s.heap.Carriers[c].Blocks != blocks-1 {
		t.Errorf("pooled carrier holds %d blocks, want %d", s.heap.Carriers[c].Blocks, blocks-1)
	}
}

// TestFixParkedInFetchedCarrier: a parked block whose carrier another
// instance has fetched from the pool is released by that employer.
func TestFixParkedInFetchedCarrier(t *testing.T) {
	s, _ := poolFixNode(t)
	in, in2 := fixInst(t, s, 1), fixInst(t, s, 2)
	fixAlloc(t, s, 2, 1000, 3000)
	fixOK(t, s)
	moved := 0
	for _, b := range in.fix.bySize[1000].list {
		if s.heap.Carriers[s.heap.Blocks[b].Crr].Inst == in2.id {
			moved++
		}
	}
	if moved == 0 {
		t.Fatal("instance 2 fetched no carrier holding a parked block")
	}
	blocks2 := in2.Stats.MBCs.Blocks.Cur
	in.fixShrink(0)
	fixOK(t, s)
	if got := fixStateOf(t, in, 1000); got != (fixState{0, 10, 10}) {
		t.Errorf("after the flush: %+v", got)
	}
	if got := in2.Stats.MBCs.Blocks.Cur; got != blocks2-uint64(moved) {
		t.Errorf("instance 2 blocks %d, want %d", got, blocks2-uint64(moved))
	}
}

// TestFixCpoolShrinkTicks: each tick releases the smallest list length
// seen since the previous tick.
func TestFixCpoolShrinkTicks(t *testing.T) {
	s := fixNode(t, "")
	in := fixInst(t, s, 1)
	s.Advance(500) // first fix op at 500 ns
	fixFree(t, s, 1, fixAlloc(t, s, 1, 100, 100)...)
	steps := []struct {
		at     uint64
		pop    int // blocks taken and given back after the tick
		parked int // after the tick (and the pops)
	}{
		// The first tick sees min_list 0 (nothing counted yet): keeps all.
		{1e9 + 499, 0, 100},
		{1e9 + 500, 40, 100},
		// Period 2 dipped to 60: 60 released (over rounds of 30).
		{2e9 + 500, 0, 40},
		// Period 3 never dipped below 40: all released, timer off.
		{3e9 + 500, 0, 0},
		{1e15, 0, 0},
	}
	for _, st := range steps {
		s.Advance(st.at)
		if st.pop > 0 {
			fixFree(t, s, 1, fixAlloc(t, s, 1, 100, st.pop)...)
		}
		fixOK(t, s)
		if got := fixStateOf(t, in, 100); got != (fixState{st.parked, int64(st.parked), 0}) {
			t.Fatalf("at %d: %+v, want %d parked", st.at, got, st.parked)
		}
	}
	if in.fix.scheduled {
		t.Error("timer still on with every list empty")
	}
}

// TestFixCpoolShrinkRounds: 30 blocks per aux-work round; meanwhile every
// alloc or free of the type releases one more pending block.
func TestFixCpoolShrinkRounds(t *testing.T) {
	s := fixNode(t, "")
	in := fixInst(t, s, 1)
	fixFree(t, s, 1, fixAlloc(t, s, 1, 100, 100)...)
	in.fixShrink(fixLowerLim) // min_list 0 → nothing; min_list = 100
	if res := in.fixShrink(fixLowerLim | fixDeallocMore); res != fixDeallocMore {
		t.Fatalf("round 1 reports %d, want more work", res)
	}
	ft := in.fix.bySize[100]
	check := func(what string, parked, shrink int) {
		t.Helper()
		fixOK(t, s)
		if len(ft.list) != parked || ft.shrinkList != shrink {
			t.Fatalf("%s: parked %d shrink_list %d, want %d and %d", what, len(ft.list), ft.shrinkList, parked, shrink)
		}
	}
	check("round 1", 70, 70)
	b := fixAlloc(t, s, 1, 100, 1) // pops one, releases one
	check("alloc", 68, 69)
	fixFree(t, s, 1, b...) // shrink pending: freed for real, one more released
	check("free", 67, 68)
	if res := in.fixShrink(fixDeallocMore); res != fixDeallocMore {
		t.Fatalf("round 2 reports %d", res)
	}
	check("round 2", 37, 38)
	in.fixShrink(fixDeallocMore)
	check("round 3", 7, 8)
	// The list runs out before shrink_list does.
	if res := in.fixShrink(fixDeallocMore); res != 0 {
		t.Fatalf("round 4 reports %d", res)
	}
	check("round 4", 0, 0)
	if in.fix.scheduled {
		t.Error("timer still on")
	}
	// A flush empties the lists at once, whatever their length.
	fixFree(t, s, 1, fixAlloc(t, s, 1, 100, 50)...)
	in.fixShrink(0)
	check("flush", 0, 0)
}

// TestFixNocpool: instance 0's limit is the most blocks used in the last
// period.
func TestFixNocpool(t *testing.T) {
	s := fixNode(t, "")
	in := fixInst(t, s, 0)
	ft := func() *fixType { return in.fix.bySize[100] }
	step := func(what string, want fixState, limit int64) {
		t.Helper()
		fixOK(t, s)
		if got := fixStateOf(t, in, 100); got != want || ft().limit != limit {
			t.Fatalf("%s: %+v limit %d, want %+v limit %d", what, got, ft().limit, want, limit)
		}
	}
	bs := fixAlloc(t, s, 0, 100, 5)
	step("5 allocs", fixState{0, 5, 5}, 5)
	// allocated (5) is not below the limit (5): the first free is real,
	// then the list fills.
	fixFree(t, s, 0, bs...)
	step("5 frees", fixState{4, 4, 0}, 5)
	s.Advance(1e9) // limit = max(max_used 5, used 0): nothing to release
	step("tick 1", fixState{4, 4, 0}, 5)
	b := fixAlloc(t, s, 0, 100, 1)
	step("pop", fixState{3, 4, 1}, 5)
	s.Advance(2e9) // limit = used 1: three released
	step("tick 2", fixState{0, 1, 1}, 1)
	fixFree(t, s, 0, b...)
	step("free above limit", fixState{0, 0, 0}, 1)
	if in.fix.scheduled {
		t.Error("timer still on")
	}
	s.Advance(3e9) // the timer is off: the limit stays
	step("tick 3", fixState{0, 0, 0}, 1)

	// Over-limit pops and frees release a second block; a round releases
	// at most 30.
	bs = fixAlloc(t, s, 0, 100, 50)
	fixFree(t, s, 0, bs...)
	step("50 allocs and frees", fixState{49, 49, 0}, 50)
	in.fixShrink(fixLowerLim) // limit 50
	ft().maxUsed = 0
	if res := in.fixShrink(fixLowerLim); res != fixDeallocMore { // limit 0: 30 released
		t.Fatalf("round reports %d", res)
	}
	step("round", fixState{19, 19, 0}, 0)
	b = fixAlloc(t, s, 0, 100, 1)
	step("over-limit pop", fixState{17, 18, 1}, 0)
	fixFree(t, s, 0, b...)
	step("over-limit free", fixState{16, 16, 0}, 0)
	in.fixShrink(0)
	step("flush", fixState{0, 0, 0}, 0)
}

// TestFixFlushOnTick: the source's reading, every tick flushes.
func TestFixFlushOnTick(t *testing.T) {
	s := fixNode(t, "")
	s.SetFixFlushOnTick(true)
	in := fixInst(t, s, 1)
	fixFree(t, s, 1, fixAlloc(t, s, 1, 100, 100)...)
	s.Advance(1e9)
	fixOK(t, s)
	if got := fixStateOf(t, in, 100); got != (fixState{}) {
		t.Fatalf("after one tick: %+v", got)
	}
}

// TestFixSBCType: a type of sbct bytes or more lives in SBCs and is parked
// and released the same way.
func TestFixSBCType(t *testing.T) {
	s := fixNode(t, "+MFsbct 64")
	in := fixInst(t, s, 1)
	bs := fixAlloc(t, s, 1, 100<<10, 3)
	fixFree(t, s, 1, bs...)
	fixOK(t, s)
	if in.Stats.SBCs.Carriers.Cur != 3 {
		t.Fatalf("SBCs %d, want 3 (parked)", in.Stats.SBCs.Carriers.Cur)
	}
	in.fixShrink(0)
	fixOK(t, s)
	if in.Stats.SBCs.Carriers.Cur != 0 {
		t.Fatalf("SBCs %d after a flush", in.Stats.SBCs.Carriers.Cur)
	}
}

// TestFixCrossSchedulerFree: a free by another scheduler is a delayed
// deallocation; the owner parks the block when it applies it.
func TestFixCrossSchedulerFree(t *testing.T) {
	s := fixNode(t, "")
	in := fixInst(t, s, 1)
	bs := fixAlloc(t, s, 1, 100, 1)
	fixFree(t, s, 2, bs...)
	s.Settle()
	fixOK(t, s)
	if got := fixStateOf(t, in, 100); got != (fixState{1, 1, 0}) {
		t.Errorf("%+v", got)
	}
}

func TestFixReallocRefused(t *testing.T) {
	s := fixNode(t, "")
	b := fixAlloc(t, s, 1, 100, 1)[0]
	_, err := s.Realloc(b, 200, 1)
	var re *RouteError
	if !errors.As(err, &re) {
		t.Fatalf("realloc of a fix_alloc block: %v, want a RouteError", err)
	}
	const want = "realloc of a fix_alloc block (112-byte block): fix_alloc serves fixed-size types, which cannot be reallocated (the runtime aborts)"
	if err.Error() != want {
		t.Errorf("error %q\nwant  %q", err, want)
	}
	// Other allocators still realloc.
	o, _ := s.Alloc(Binary, 1, 100, 1)
	if nb, err := s.Realloc(o, 200, 1); err != nil || nb == carriers.Nil {
		t.Errorf("binary_alloc realloc: %v %v", nb, err)
	}
	fixOK(t, s)
}
