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
	tie   uint64 // orders equal deaths: the ID, or its reverse (lifo), or random
	idx   int    // in Generator.live
	hidx  int    // in Generator.heap, -1 when not there
}

type genHeap []*genBlock

func (h genHeap) Len() int { return len(h) }
func (h genHeap) Less(i, j int) bool {
	if h[i].death != h[j].death {
		return h[i].death < h[j].death
	}
	return h[i].tie < h[j].tie
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
	steps   uint64 // records and idle steps (Idle) so far: the ops clock
	now     uint64 // simulated nanoseconds
	maxLive int

	// lifetime policies (lifetime.go)
	policy      lifetimePolicy
	cohort      []*genBlock // the members of the cohort being allocated
	cohortDeath uint64      // its death, drawn by its first member
	order       []*genBlock // blocks with a death in allocation order (lifo, fifo)
	orderHead   int         // fifo: order[:orderHead] are gone
}

// NewGenerator returns a generator of cfg whose ops come from step: each
// call emits zero or more ops through the generator's methods and returns
// false when the workload is over. directives are written first.
func NewGenerator(cfg GenConfig, directives []Op, step func(g *Generator) bool) *Generator {
	g := &Generator{cfg: cfg, r: rand.New(rand.NewPCG(cfg.Seed, cfg.Seed^0x9e3779b97f4a7c15)), step: step, nextID: 1}
	if p, ok := cfg.Lifetime.(lifetimePolicy); ok {
		g.policy = p
	}
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
	g.tick()
}

// tick counts a step and writes a t record after every TickEvery steps.
func (g *Generator) tick() {
	g.steps++
	if g.cfg.TickEvery > 0 && g.steps%uint64(g.cfg.TickEvery) == 0 {
		g.now += g.cfg.TickNanos
		g.pending = append(g.pending, Op{Kind: Time, Nanos: g.now})
	}
}

// Idle is a step in which nothing is allocated or freed: simulated time
// passes (it counts towards the next t record) and so does the ops clock
// of lifetimes, but no a/r/f record is written.
func (g *Generator) Idle() { g.tick() }

// Steps is the number of a/r/f records and idle steps so far: the clock
// lifetimes in operations count on.
func (g *Generator) Steps() uint64 { return g.steps }

func (g *Generator) clock() uint64 {
	if g.cfg.Lifetime != nil && g.cfg.Lifetime.Unit() == Nanos {
		return g.now
	}
	return g.steps
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
	g.allocBlock(typ, sched, g.cfg.Size.Sample(g.r), g.deathOf(lifetime))
}

// deathOf is the death of a block of the given lifetime allocated now.
func (g *Generator) deathOf(lifetime uint64) uint64 {
	if lifetime == NeverFreed {
		return NeverFreed
	}
	c := g.clock()
	if lifetime > math.MaxUint64-1-c {
		lifetime = math.MaxUint64 - 1 - c
	}
	return c + lifetime
}

// allocBlock allocates a block of size bytes that dies at death (on the
// lifetime clock; NeverFreed: never by itself) and returns it.
func (g *Generator) allocBlock(typ allocator.Type, sched uint32, size, death uint64) *genBlock {
	b := &genBlock{id: g.nextID, typ: typ, sched: sched, size: size, death: death, tie: g.nextID, hidx: -1}
	g.nextID++
	if death != NeverFreed {
		heap.Push(&g.heap, b)
	}
	b.idx = len(g.live)
	g.live = append(g.live, b)
	g.maxLive = max(g.maxLive, len(g.live))
	g.emit(Op{Kind: Alloc, ID: b.id, Type: typ, Sched: sched, Size: b.size})
	return b
}

// AllocDrawn allocates with a drawn type, scheduler (weights w, see
// PickSched) and lifetime; a lifetime policy (cohort, lifo, fifo) then
// adjusts the death (lifetime.go).
func (g *Generator) AllocDrawn(w []float64) {
	lt := uint64(NeverFreed)
	if g.cfg.Lifetime != nil {
		lt = g.cfg.Lifetime.Sample(g.r)
	}
	typ := g.PickType()
	sched := g.PickSched(w)
	size := g.cfg.Size.Sample(g.r)
	death := g.deathOf(lt)
	if g.policy == nil {
		g.allocBlock(typ, sched, size, death)
		return
	}
	g.policy.allocated(g, g.allocBlock(typ, sched, size, NeverFreed), death)
}

// schedule gives b, which has no death yet, its death.
func (g *Generator) schedule(b *genBlock, death uint64) {
	b.death = death
	heap.Push(&g.heap, b)
}

// heapFix restores the heap order after b's tie changed.
func heapFix(g *Generator, b *genBlock) {
	if b.hidx >= 0 {
		heap.Fix(&g.heap, b.hidx)
	}
}

func (g *Generator) free(b *genBlock) {
	last := g.live[len(g.live)-1]
	g.live[b.idx] = last
	last.idx = b.idx
	g.live = g.live[:len(g.live)-1]
	if b.hidx >= 0 {
		heap.Remove(&g.heap, b.hidx)
	}
	b.idx = -1
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
//
// With a lifo or fifo lifetime the block freed is the youngest or oldest
// block with a death, which takes the due death; the block whose death it
// was takes the victim's.
func (g *Generator) FreeDue() bool {
	if len(g.heap) == 0 || g.heap[0].death > g.clock() {
		return false
	}
	due := g.heap[0]
	if g.policy != nil {
		if x := g.policy.victim(g); x != nil && x != due {
			due.death, x.death = x.death, due.death
			heap.Fix(&g.heap, due.hidx)
			heap.Fix(&g.heap, x.hidx)
			due = x
		}
	}
	g.free(due)
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
