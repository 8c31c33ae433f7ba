package reports

import (
	"bytes"
	"reflect"
	"slices"
	"testing"

	"alloclab/allocator"
)

// reconNodeBlock is one block the test node holds, with the sizes the
// heap gives it right after the allocation.
type reconNodeBlock struct {
	inst      int    // binary_alloc instance (= scheduler)
	size      uint64 // block size, header included (Block.Size)
	crrSize   uint64 // its carrier's size (for a single-block carrier)
	sbc       bool
	freed     bool
	id        int32
	sched     uint32
	userBytes uint64
}

// reconNode builds `erl +S 2` with default flags (plus flags) and puts a
// known set of binary_alloc blocks in it:
//
//	scheduler 0: one 64-byte block (binary_alloc 0's main carrier)
//	scheduler 1: four 1000-byte blocks, the second freed (main carrier)
//	scheduler 2: three 200000-byte blocks (multiblock carriers), a
//	             600000- and a 700000-byte block (single-block carriers,
//	             sbct 512 KiB), the 700000 one freed — its segment goes to
//	             mseg_alloc 2's cache — then a 650000-byte one, which the
//	             cache serves.
func reconNode(t *testing.T, flags string) (*allocator.System, []reconNodeBlock) {
	t.Helper()
	sys, err := allocator.NewNode(2, flags)
	if err != nil {
		t.Fatal(err)
	}
	h := sys.Heap()
	var blocks []reconNodeBlock
	alloc := func(sched uint32, n uint64) int {
		b, err := sys.Alloc(allocator.Binary, sched, n, uint64(len(blocks)+1))
		if err != nil || b < 0 {
			t.Fatalf("alloc %d on %d: %d, %v", n, sched, b, err)
		}
		c := h.Crr(h.Blk(b).Crr)
		blocks = append(blocks, reconNodeBlock{inst: int(sched), size: h.Blk(b).Size(), crrSize: c.Size,
			sbc: c.SBC, id: b, sched: sched, userBytes: n})
		return len(blocks) - 1
	}
	free := func(i int) {
		if err := sys.Free(blocks[i].id, blocks[i].sched); err != nil {
			t.Fatal(err)
		}
		blocks[i].freed = true
	}
	alloc(0, 64)
	var one []int
	for range 4 {
		one = append(one, alloc(1, 1000))
	}
	free(one[1])
	for range 3 {
		alloc(2, 200_000)
	}
	alloc(2, 600_000)
	free(alloc(2, 700_000))
	alloc(2, 650_000)
	sys.Settle()
	for _, b := range blocks {
		if b.sbc != (b.userBytes >= 512<<10) {
			t.Fatalf("block of %d bytes: sbc %v, want it in a single-block carrier iff >= sbct 512 KiB", b.userBytes, b.sbc)
		}
	}
	return sys, blocks
}

// reconUtil reports whether the instance's type is one of recon's
// UTIL_ALLOCATORS (literal_alloc is not).
func reconUtil(in *allocator.Instance) bool {
	return slices.Contains(UtilAllocators, in.Type.String())
}

func reconInt(t *testing.T, what string, got Num, err error, want uint64) {
	t.Helper()
	if err != nil {
		t.Fatalf("%s: %v", what, err)
	}
	if got.IsFloat() || got.String() != IntNum(want).String() {
		t.Errorf("%s = %v, want %d", what, got, want)
	}
}

func reconFloat(t *testing.T, what string, got Num, err error, want float64) {
	t.Helper()
	if err != nil {
		t.Fatalf("%s: %v", what, err)
	}
	if !got.IsFloat() || got.Float64() != want {
		t.Errorf("%s = %v, want the float %v", what, got, want)
	}
}

// TestReconSnapshotOfNode checks recon's answers about a simulated node
// against sums over the node's heap — the blocks and carriers themselves,
// not the statistics the snapshot is made of.
func TestReconSnapshotOfNode(t *testing.T) {
	sys, blocks := reconNode(t, "")
	h := sys.Heap()
	snap := SnapshotOf(sys.AllInstances(), sys.Space())

	// Shape: sys_alloc 0, mseg_alloc 0..2, then every instance in the
	// runtime's order (literal_alloc included: recon skips it itself).
	var got []string
	for _, in := range snap.Instances {
		got = append(got, in.Allocator+"/"+string(rune('0'+in.Instance)))
	}
	want := []string{"sys_alloc/0", "mseg_alloc/0", "mseg_alloc/1", "mseg_alloc/2"}
	for _, in := range sys.AllInstances() {
		want = append(want, in.Type.String()+"/"+string(rune('0'+in.Index)))
	}
	if !slices.Equal(got, want) {
		t.Fatalf("snapshot instances\n%v\nwant\n%v", got, want)
	}
	if !slices.Contains(got, "literal_alloc/0") {
		t.Errorf("no literal_alloc in the snapshot: the test no longer checks that recon leaves it out")
	}
	if !reflect.DeepEqual(snap.Memory, NodeMemory(sys.AllInstances())) {
		t.Errorf("erlang:memory() = %v, want NodeMemory's", snap.Memory)
	}
	if o := snap.Instances[0].Options; WriteTerm(propsTerm(o)) != "[{e,true},{m,libc},{tt,131072},{tp,0}]" {
		t.Errorf("sys_alloc options %s", WriteTerm(propsTerm(o)))
	}

	// Expected sums, from the heap.
	var used, usedBin [3]uint64 // per binary instance: live blocks' sizes; usedBin: mbcs only
	var sbcUsed, sbcCrr [3]uint64
	for _, b := range blocks {
		if b.freed {
			continue
		}
		used[b.inst] += b.size
		if b.sbc {
			sbcUsed[b.inst] += b.size
			sbcCrr[b.inst] += b.crrSize
		} else {
			usedBin[b.inst] += b.size
		}
	}
	var allocated, literal uint64
	types := map[string]uint64{}
	perIndex := map[int]uint64{}
	var binMBC [3]uint64 // binary instances' multiblock carrier bytes
	units := 0
	for _, in := range sys.AllInstances() {
		var sum uint64
		in.EachCarrier(func(c int32) {
			sum += h.Crr(c).Size
			if in.Type == allocator.Binary && !h.Crr(c).SBC {
				binMBC[in.Index] += h.Crr(c).Size
			}
		})
		if !reconUtil(in) {
			literal += sum
			continue
		}
		units++
		allocated += sum
		types[in.Type.String()] += sum
		perIndex[in.Index] += sum
	}
	if literal == 0 {
		t.Errorf("literal_alloc holds no carrier: the exclusion is not tested")
	}
	totalUsed := used[0] + used[1] + used[2]
	if i := slices.IndexFunc(snap.Memory, func(m MemoryValue) bool { return m.Key == "binary" }); i < 0 || snap.Memory[i].Bytes != totalUsed {
		t.Errorf("erlang:memory() = %v, want binary %d", snap.Memory, totalUsed)
	}

	r := &Recon{Snapshot: snap}
	u, err := r.MemoryUsed(Current)
	reconInt(t, "memory(used, current)", u, err, totalUsed)
	a, err := r.MemoryAllocated(Current)
	reconInt(t, "memory(allocated, current)", a, err, allocated)
	un, err := r.MemoryUnused(Current)
	reconInt(t, "memory(unused, current)", un, err, allocated-totalUsed)
	us, err := r.MemoryUsage(Current)
	reconFloat(t, "memory(usage, current)", us, err, float64(totalUsed)/float64(allocated))

	// max: every instance's all-time peak. Binary 1 peaked with all four
	// blocks, binary 2's single-block carriers with the 600000 and 700000
	// blocks; nothing else ever shrank.
	byte1000 := blocks[1].size
	var b600, b700, b650 reconNodeBlock
	for _, b := range blocks {
		switch b.userBytes {
		case 600_000:
			b600 = b
		case 700_000:
			b700 = b
		case 650_000:
			b650 = b
		}
	}
	usedMax := totalUsed + byte1000 - b650.size + b700.size
	allocMax := allocated - b650.crrSize + b700.crrSize
	u, err = r.MemoryUsed(Max)
	reconInt(t, "memory(used, max)", u, err, usedMax)
	a, err = r.MemoryAllocated(Max)
	reconInt(t, "memory(allocated, max)", a, err, allocMax)
	us, err = r.MemoryUsage(Max)
	reconFloat(t, "memory(usage, max)", us, err, float64(usedMax)/float64(allocMax))

	at, err := r.MemoryAllocatedTypes(Current)
	if err != nil {
		t.Fatal(err)
	}
	if len(at) != len(types) {
		t.Errorf("allocated_types has %d entries, want %d", len(at), len(types))
	}
	for i, e := range at {
		if i > 0 && at[i-1].Allocator >= e.Allocator {
			t.Errorf("allocated_types not sorted by name: %s before %s", at[i-1].Allocator, e.Allocator)
		}
		reconInt(t, "allocated_types "+e.Allocator, e.Bytes, nil, types[e.Allocator])
	}
	ai, err := r.MemoryAllocatedInstances(Current)
	if err != nil {
		t.Fatal(err)
	}
	if len(ai) != 3 {
		t.Errorf("allocated_instances = %s, want instances 0, 1, 2", WriteTerm(ai.Term()))
	}
	for _, e := range ai {
		reconInt(t, "allocated_instances "+string(rune('0'+e.Instance)), e.Bytes, nil, perIndex[e.Instance])
	}

	// fragmentation: one entry per util instance, sorted by unused bytes,
	// binary_alloc's with the usage of their blocks over their carriers.
	for _, kw := range []Keyword{Current, Max} {
		fr, err := r.Fragmentation(kw)
		if err != nil {
			t.Fatal(err)
		}
		if len(fr) != units {
			t.Errorf("fragmentation(%v) has %d entries, want %d", kw, len(fr), units)
		}
		for i, e := range fr {
			if i > 0 && fr[i-1].Weight < e.Weight {
				t.Errorf("fragmentation(%v) not sorted by unused bytes: %v before %v", kw, fr[i-1].Weight, e.Weight)
			}
			unused := e.SbcsCarriersSize.Sub(e.SbcsBlockSize).Add(e.MbcsCarriersSize.Sub(e.MbcsBlockSize))
			if e.Weight != unused.Float64() {
				t.Errorf("fragmentation(%v) {%s,%d}: weight %v, unused bytes %v", kw, e.Allocator, e.Instance, e.Weight, unused)
			}
		}
		if kw != Current {
			continue
		}
		for i := range 3 {
			j := slices.IndexFunc(fr, func(e FragmentationEntry) bool { return e.Allocator == "binary_alloc" && e.Instance == i })
			if j < 0 {
				t.Fatalf("no {binary_alloc,%d} in fragmentation", i)
			}
			e := fr[j]
			what := "fragmentation {binary_alloc," + string(rune('0'+i)) + "} "
			reconInt(t, what+"mbcs_block_size", e.MbcsBlockSize, nil, usedBin[i])
			reconInt(t, what+"mbcs_carriers_size", e.MbcsCarriersSize, nil, binMBC[i])
			reconFloat(t, what+"mbcs_usage", e.MbcsUsage, nil, float64(usedBin[i])/float64(binMBC[i]))
			reconInt(t, what+"sbcs_block_size", e.SbcsBlockSize, nil, sbcUsed[i])
			reconInt(t, what+"sbcs_carriers_size", e.SbcsCarriersSize, nil, sbcCrr[i])
			if i < 2 {
				reconFloat(t, what+"sbcs_usage (0/0)", e.SbcsUsage, nil, 1.0)
			} else {
				reconFloat(t, what+"sbcs_usage", e.SbcsUsage, nil, float64(b600.size+b650.size)/float64(b600.crrSize+b650.crrSize))
			}
		}
	}

	// average_block_sizes: binary_alloc over its three instances.
	ab, err := r.AverageBlockSizes(Current)
	if err != nil {
		t.Fatal(err)
	}
	j := slices.IndexFunc(ab, func(e AverageBlockSize) bool { return e.Allocator == "binary_alloc" })
	var mbcN uint64
	for _, b := range blocks {
		if !b.freed && !b.sbc {
			mbcN++
		}
	}
	reconFloat(t, "average_block_sizes binary_alloc mbcs", ab[j].MBCS, nil,
		float64(usedBin[0]+usedBin[1]+usedBin[2])/float64(mbcN))
	reconFloat(t, "average_block_sizes binary_alloc sbcs", ab[j].SBCS, nil, float64(b600.size+b650.size)/2)
	for _, e := range ab {
		if e.Allocator != "binary_alloc" && (!e.MBCS.IsZero() || e.MBCS.IsFloat()) {
			t.Errorf("average_block_sizes %s mbcs = %v, want the integer 0 (no blocks)", e.Allocator, e.MBCS)
		}
	}

	// sbcs_to_mbcs: binary_alloc 2 has 2 sbc blocks over 3 mbc blocks.
	sm, err := r.SbcsToMbcs(Current)
	if err != nil {
		t.Fatal(err)
	}
	if e := sm[0]; e.Allocator != "binary_alloc" || e.Instance != 2 || e.Infinity {
		t.Errorf("sbcs_to_mbcs starts with %s", WriteTerm(sm.Term()))
	} else {
		reconFloat(t, "sbcs_to_mbcs {binary_alloc,2}", e.Ratio, nil, 2.0/3.0)
	}

	// cache_hit_rates: mseg_alloc 2 served binary_alloc 2's carriers —
	// two multiblock carriers and three single-block ones, the last from
	// the cache — and no other instance used mseg (main carriers come
	// from sys_alloc).
	var bin2 *allocator.Instance
	for _, in := range sys.Instances(allocator.Binary) {
		if in.Index == 2 {
			bin2 = in
		}
	}
	ch, err := r.CacheHitRates()
	if err != nil {
		t.Fatal(err)
	}
	if len(ch) != 3 || ch[0].Instance != 2 {
		t.Fatalf("cache_hit_rates = %s, want instance 2 first of 3", WriteTerm(ch.Term()))
	}
	reconInt(t, "cache_hit_rates {instance,2} calls", ch[0].Calls, nil, bin2.Stats.Calls.MsegAlloc)
	reconInt(t, "cache_hit_rates {instance,2} hits", ch[0].Hits, nil, 1)
	reconFloat(t, "cache_hit_rates {instance,2} hit_rate", ch[0].HitRate, nil, 1.0/float64(bin2.Stats.Calls.MsegAlloc))
	if bin2.Stats.Calls.MsegAlloc != 5 {
		t.Errorf("binary_alloc 2 made %d mseg_alloc calls, want 5 (2 mbcs, 3 sbcs)", bin2.Stats.Calls.MsegAlloc)
	}
	for _, e := range ch[1:] {
		reconFloat(t, "cache_hit_rates unused instance", e.HitRate, nil, 1.0)
	}
}

// TestReconSnapshotDisturbsNothing: taking a snapshot leaves every
// statistic as it was — in particular the "max since last call" values
// a later system_info report shows.
func TestReconSnapshotDisturbsNothing(t *testing.T) {
	// The freed blocks leave period maxima above the current values.
	sys, _ := reconNode(t, "")
	stats := func() []allocator.Stats {
		var out []allocator.Stats
		for _, in := range sys.AllInstances() {
			out = append(out, in.Stats)
		}
		return out
	}
	before := stats()
	mseg := sys.Space().Mseg(2).Info(false)
	s1 := SnapshotOf(sys.AllInstances(), sys.Space())
	s2 := SnapshotOf(sys.AllInstances(), sys.Space())
	if !reflect.DeepEqual(before, stats()) {
		t.Errorf("SnapshotOf changed the instances' statistics")
	}
	if m := sys.Space().Mseg(2).Info(false); !reflect.DeepEqual(m, mseg) {
		t.Errorf("SnapshotOf changed mseg_alloc 2: %+v, was %+v", m, mseg)
	}
	var w1, w2 bytes.Buffer
	if err := WriteSnapshot(&w1, s1); err != nil {
		t.Fatal(err)
	}
	if err := WriteSnapshot(&w2, s2); err != nil {
		t.Fatal(err)
	}
	if w1.String() != w2.String() {
		t.Errorf("two snapshots in a row differ")
	}
	_, size := s1.Instance("binary_alloc", 1).MBCS.BlockTotals()
	if size.Max <= size.Cur {
		t.Errorf("binary_alloc 1 mbcs blocks_size %+v: want the period max (four blocks, one since freed) kept", size)
	}
}

// TestReconSnapshotSaved: the snapshot written as recon_alloc:
// snapshot_save/1 writes it and read back answers the same.
func TestReconSnapshotSaved(t *testing.T) {
	sys, _ := reconNode(t, "+MYtt 64 +MYtp 8")
	snap := SnapshotOfSystem(sys)
	if o := snap.Instances[0].Options; WriteTerm(propsTerm(o)) != "[{e,true},{m,libc},{tt,65536},{tp,8192}]" {
		t.Errorf("sys_alloc options %s", WriteTerm(propsTerm(o)))
	}
	var w bytes.Buffer
	if err := WriteSnapshot(&w, snap); err != nil {
		t.Fatal(err)
	}
	back, err := ParseSnapshot("saved", w.Bytes())
	if err != nil {
		t.Fatalf("%v\n%s", err, w.String())
	}
	for _, q := range []func(r *Recon) (ReconResult, error){
		func(r *Recon) (ReconResult, error) { return r.Memory("used", Current) },
		func(r *Recon) (ReconResult, error) { return r.Memory("allocated", Max) },
		func(r *Recon) (ReconResult, error) { return r.Fragmentation(Current) },
		func(r *Recon) (ReconResult, error) { return r.CacheHitRates() },
	} {
		a, err1 := q(&Recon{Snapshot: snap})
		b, err2 := q(&Recon{Snapshot: back})
		if err1 != nil || err2 != nil || FormatErlang(a) != FormatErlang(b) {
			t.Errorf("saved and read back: %s (%v)\nwant %s (%v)", FormatErlang(b), err2, FormatErlang(a), err1)
		}
	}
}
