package workloads

import (
	"fmt"
	"math"
	"sort"

	"alloclab/allocator"
)

// HeapSizes is the runtime's sequence of process heap sizes in words
// (erts_init_gc in erl_gc.c, OTP 25, 64-bit): 12 and 38, then each the sum
// of the two before plus one up to the 23rd (a Fibonacci growth: …, 233,
// 376, 610, 987, …, 514838, 833026), then each 20% more than the one before
// (integer division: 999631, 1199557, …), in a table of 154 entries that
// ends where a size would pass 2^53 bytes (the runtime then also drops the
// size before it, num_heap_sizes = i−1). A GC picks the first size ≥ what
// it needs (erts_next_heap_size).
var HeapSizes = func() []uint64 {
	h := []uint64{12, 38}
	for i := 2; i < 23; i++ {
		h = append(h, h[i-1]+h[i-2]+1)
	}
	const maxWords = (1 << 53) / WordSize
	for i := 23; i < 154; i++ {
		n := h[i-1] + h[i-1]/5
		if n > maxWords {
			h = h[:i-1]
			break
		}
		h = append(h, n)
	}
	return h
}()

// NextHeapSize is erts_next_heap_size(words, 0): the first heap size ≥
// words (the largest if none is).
func NextHeapSize(words uint64) int {
	i := sort.Search(len(HeapSizes), func(i int) bool { return HeapSizes[i] >= words })
	return min(i, len(HeapSizes)-1)
}

// WordSize is the size of an Eterm on the 64-bit runtime alloclab models.
const WordSize = 8

type process struct {
	heap   *genBlock
	idx    int // in HeapSizes
	target int // the size it grows to, in HeapSizes
}

// buildProcessChurn: processes spawn with a heap of min-heap words; a
// garbage collection copies the live data into a new heap — the next size
// in the runtime's sequence while the process grows towards its own
// target, the same size after — allocated before the old heap is freed
// (do_minor/major_collection: ERTS_HEAP_ALLOC of the new heap, then
// ERTS_HEAP_FREE of the old); after each GC the process dies with
// probability 1/gcs, freeing its heap, and a new one is spawned in its
// place.
func buildProcessChurn(v *paramValues, cfg *GenConfig) (func(*Generator) bool, error) {
	nproc := v.int("processes", 1, 1<<24)
	ops := uint64(v.int("ops", 1, math.MaxInt32))
	gcs := v.float("gcs", 1, 1e9)
	minHeap := v.int("min-heap", 1, int(HeapSizes[len(HeapSizes)-1]))
	heapDist := v.size("heap")
	if v.err != nil {
		return nil, nil
	}
	cfg.Types, cfg.TypeWeights = []allocator.Type{allocator.EHeap}, nil
	minIdx := NextHeapSize(uint64(minHeap))
	if HeapSizes[minIdx]*WordSize >= MaxSize {
		return nil, fmt.Errorf("%s: min-heap=%d: too large", v.scenario, minHeap)
	}
	// The largest heap a trace can hold (SIZE < 2^48).
	maxIdx := NextHeapSize(uint64(MaxSize/WordSize)) - 1
	var procs []*process
	return func(g *Generator) bool {
		if g.Records() >= ops {
			return false
		}
		if len(procs) < nproc {
			// Spawn.
			t := max(NextHeapSize(heapDist.Sample(g.r)), minIdx)
			p := &process{idx: minIdx, target: min(t, maxIdx)}
			p.heap = g.allocBlock(allocator.EHeap, g.PickSched(nil), HeapSizes[p.idx]*WordSize, NeverFreed)
			procs = append(procs, p)
			return g.Records() < ops
		}
		// A GC of a random process: a new heap, then the old one freed.
		k := g.r.IntN(len(procs))
		p := procs[k]
		if p.idx < p.target {
			p.idx++
		}
		old := p.heap
		p.heap = g.allocBlock(allocator.EHeap, old.sched, HeapSizes[p.idx]*WordSize, NeverFreed)
		g.free(old)
		if g.r.Float64() < 1/gcs {
			// It exits: its heap is freed; another is spawned next.
			g.free(p.heap)
			procs[k] = procs[len(procs)-1]
			procs = procs[:len(procs)-1]
		}
		return g.Records() < ops
	}, nil
}
