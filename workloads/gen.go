package workloads

import (
	"container/heap"
	"math"
	"math/rand/v2"

	"alloclab/allocator"
)

// GenConfig is what every generated workload shares: where allocations go,
// what they look like and how time advances. Scenarios (scenario.go) fill
// it from their parameters.
type GenConfig struct {
	Seed       uint64
	Schedulers int              // allocations go to schedulers 1..Schedulers
	Types      []allocator.Type // allocator types, drawn with TypeWeights
	// TypeWeights are the relative weights of Types (nil: equal).
	TypeWeights []float64
	// SchedWeights are the relative weights of schedulers 1..Schedulers
	// (nil: equal).
	SchedWeights []float64
	Size         SizeDist
	Lifetime     LifetimeDist // nil: never freed (unless the scenario frees)
	// CrossFree is the probability that a free is done by another
	// scheduler than the allocating one (a delayed deallocation).
	CrossFree float64
	// Realloc is the probability that a step reallocates a random live
	// block instead of allocating, its size multiplied by Growth (an
	// append-style buffer growing).
	Realloc float64
	Growth  float64
	// ReallocMax caps the size a realloc grows a block to (0: 16 MiB).
	ReallocMax uint64
	// A t record is written after every TickEvery a/r/f records (0:
	// never), advancing simulated time by TickNanos.
	TickEvery int
	TickNanos uint64
}

type genBlock struct {
	id    uint64
	typ   allocator.Type
	sched uint32
	size  uint64
	death uint64 // in the lifetime's unit; NeverFreed: not in the heap
	idx   int    // in Generator.live
	hidx  int    // in Generator.heap, -1 when not there
}

type genHeap []*genBlock

func (h genHeap) Len() int { return len(h) }
func (h genHeap) Less(i, j int) bool {
	if h[i].death != h[j].death {
		return h[i].death < h[j].death
	}
	return h[i].id < h[j].id
}
func (h genHeap) Swap(i, j int) {
	h[i], h[j] = h[j], h[i]
	h[i].hidx = i
	h[j].hidx = j
}
func (h *genHeap) Push(x any) {
	b := x.(*genBlock)
	b.hidx = len(*h)
	*h = append(*h, b)
}
func (h *genHeap) Pop() any {
	old := *h
	b := old[len(old)-1]
	old[len(old)-1] = nil
	*h = old[:len(old)-1]
	b.hidx = -1
	return b
}

// Generator produces a workload one op at a time, in memory bounded by the
// live set: it is an OpReader (Scan, Op, Err) over generated ops. The same
// GenConfig (Seed included) and step function give the same ops.
type Generator struct {
	cfg     GenConfig
	r       *rand.Rand
	step    func(g *Generator) bool
	pending []Op
	head    int
	cur     Op
	done    bool
	nextID  uint64
	live    []*genBlock
	heap    genHeap
	records uint64 // a/r/f records so far
	now     uint64 // simulated nanoseconds
	maxLive int
}

// NewGenerator returns a generator of cfg whose ops come from step: each
// call emits zero or more ops through the generator's methods and returns
// false when the workload is over. directives are written first.
func NewGenerator(cfg GenConfig, directives []Op, step func(g *Generator) bool) *Generator {
	g := &Generator{cfg: cfg, r: rand.New(rand.NewPCG(cfg.Seed, cfg.Seed^0x9e3779b97f4a7c15)), step: step, nextID: 1}
	g.pending = append(g.pending, directives...)
	return g
}

// Scan advances to the next op; false at the end.
func (g *Generator) Scan() bool {
	for g.head >= len(g.pending) {
		g.pending, g.head = g.pending[:0], 0
		if g.done {
			return false
		}
		if !g.step(g) {
			g.done = true
		}
	}
	g.cur = g.pending[g.head]
	g.head++
	return true
}

// Op returns the current op.
func (g *Generator) Op() Op { return g.cur }

// Err is always nil: generation cannot fail once configured.
func (g *Generator) Err() error { return nil }

// SetLiveSet is a no-op: the generator keeps its own live set.
func (g *Generator) SetLiveSet(LiveSet) {}

var _ OpReader = (*Generator)(nil)

// Rand is the generator's random source, for scenario steps.
func (g *Generator) Rand() *rand.Rand { return g.r }

// Records is the number of a/r/f records emitted so far.
func (g *Generator) Records() uint64 { return g.records }

// Live is the number of live blocks; MaxLive the most there were.
func (g *Generator) Live() int    { return len(g.live) }
func (g *Generator) MaxLive() int { return g.maxLive }

func (g *Generator) emit(op Op) {
	g.pending = append(g.pending, op)
	g.records++
	if g.cfg.TickEvery > 0 && g.records%uint64(g.cfg.TickEvery) == 0 {
		g.now += g.cfg.TickNanos
		g.pending = append(g.pending, Op{Kind: Time, Nanos: g.now})
	}
}

func (g *Generator) clock() uint64 {
	if g.cfg.Lifetime != nil && g.cfg.Lifetime.Unit() == Nanos {
		return g.now
	}
	return g.records
}

func pickWeighted(r *rand.Rand, w []float64, n int) int {
	if len(w) == 0 {
		return r.IntN(n)
	}
	total := 0.0
	for _, x := range w {
		total += x
	}
	u := r.Float64() * total
	for i, x := range w {
		if u < x {
			return i
		}
		u -= x
	}
	return len(w) - 1
}

// PickType draws an allocator type.
func (g *Generator) PickType() allocator.Type {
	return g.cfg.Types[pickWeighted(g.r, g.cfg.TypeWeights, len(g.cfg.Types))]
}

// PickSched draws a scheduler (1-based) with weights w (nil: the
// configured SchedWeights).
func (g *Generator) PickSched(w []float64) uint32 {
	if w == nil {
		w = g.cfg.SchedWeights
	}
	return uint32(pickWeighted(g.r, w, g.cfg.Schedulers)) + 1
}

// Alloc allocates a block of a drawn size on sched; it lives for lifetime
// (in the lifetime distribution's unit; NeverFreed: until freed by the
// scenario, or to the end).
func (g *Generator) Alloc(typ allocator.Type, sched uint32, lifetime uint64) {
	b := &genBlock{id: g.nextID, typ: typ, sched: sched, size: g.cfg.Size.Sample(g.r), death: NeverFreed, hidx: -1}
	g.nextID++
	if lifetime != NeverFreed {
		c := g.clock()
		if lifetime > math.MaxUint64-1-c {
			lifetime = math.MaxUint64 - 1 - c
		}
		b.death = c + lifetime
		heap.Push(&g.heap, b)
	}
	b.idx = len(g.live)
	g.live = append(g.live, b)
	g.maxLive = max(g.maxLive, len(g.live))
	g.emit(Op{Kind: Alloc, ID: b.id, Type: typ, Sched: sched, Size: b.size})
}

// AllocDrawn allocates with a drawn type, scheduler (weights w, see
// PickSched) and lifetime.
func (g *Generator) AllocDrawn(w []float64) {
	lt := uint64(NeverFreed)
	if g.cfg.Lifetime != nil {
		lt = g.cfg.Lifetime.Sample(g.r)
	}
	typ := g.PickType()
	g.Alloc(typ, g.PickSched(w), lt)
}

func (g *Generator) free(b *genBlock) {
	last := g.live[len(g.live)-1]
	g.live[b.idx] = last
	last.idx = b.idx
	g.live = g.live[:len(g.live)-1]
	if b.hidx >= 0 {
		heap.Remove(&g.heap, b.hidx)
	}
	op := Op{Kind: Free, ID: b.id}
	// temp_alloc blocks may not be freed by another scheduler.
	if g.cfg.Schedulers > 1 && b.typ != allocator.Temp && g.cfg.CrossFree > 0 && g.r.Float64() < g.cfg.CrossFree {
		s := uint32(g.r.IntN(g.cfg.Schedulers-1)) + 1
		if s >= b.sched {
			s++
		}
		op.Sched, op.HasSched = s, true
	}
	g.emit(op)
}

// FreeRandom frees a live block chosen at random; false if none is live.
func (g *Generator) FreeRandom() bool {
	if len(g.live) == 0 {
		return false
	}
	g.free(g.live[g.r.IntN(len(g.live))])
	return true
}

// FreeDue frees the block whose death comes first if it is due; false if
// none is.
func (g *Generator) FreeDue() bool {
	if len(g.heap) == 0 || g.heap[0].death > g.clock() {
		return false
	}
	g.free(g.heap[0])
	return true
}

// ReallocRandom grows a random live block by the growth factor (at least
// one byte); false if none is live.
func (g *Generator) ReallocRandom() bool {
	if len(g.live) == 0 {
		return false
	}
	b := g.live[g.r.IntN(len(g.live))]
	grow := g.cfg.Growth
	if !(grow > 0) {
		grow = 2
	}
	limit := g.cfg.ReallocMax
	if limit == 0 {
		limit = 16 << 20
	}
	ns := float64(b.size) * grow
	switch {
	case b.size >= limit:
		// stays as it is
	case ns >= float64(limit):
		b.size = limit
	case ns < 1:
		b.size = 1
	default:
		b.size = uint64(ns)
	}
	g.emit(Op{Kind: Realloc, ID: b.id, Size: b.size})
	return true
}

// SteadyStep is one step of a steady-state workload: a due free, else a
// realloc with probability Realloc, else an allocation (scheduler weights
// w, nil: the configured ones).
func (g *Generator) SteadyStep(w []float64) {
	if g.FreeDue() {
		return
	}
	if g.cfg.Realloc > 0 && g.r.Float64() < g.cfg.Realloc && g.ReallocRandom() {
		return
	}
	g.AllocDrawn(w)
}
