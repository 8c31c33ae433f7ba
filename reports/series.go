package reports

// Time series of a replay, in bounded memory.
//
// A Recorder wraps the target a trace is replayed on (a node or the
// --single test allocator): it passes every operation through, keeps the
// user bytes of every live block (the trace's SIZE, which the allocator's
// statistics do not show: they count blocks with their headers), and
//
//  1. after every a/r/f operation updates the exact extremes the
//     fragmentation metrics need (metrics.go): the footprint F, the
//     requested bytes R, F at the peak of R, R at the peak of F, and the
//     running sum of (F − R)/R;
//  2. every N operations (SeriesOptions.EveryOps) or every T nanoseconds of
//     the trace's clock (SeriesOptions.EveryNanos) takes a Sample: F, the
//     blocks' bytes, R and the ideal footprint, per allocator type and in
//     total, and the cumulative carrier, mseg cache and pool counters.
//
// Bounded memory: at most MaxPoints samples are kept. When the series is
// full, every other sample is dropped (those at odd positions: the first
// sample, at 0, stays) and the interval doubles, so the kept samples stay
// evenly spaced; a run of any length ends with between MaxPoints/2 and
// MaxPoints samples on a regular grid, plus the final state. The result
// depends only on the operations, never on timing.
//
// Quantities (all bytes; README "alloclab compare" defines them):
//
//	footprint  F = Σ carriers_size of every instance: mbcs + sbcs + its
//	               carriers in the carrier pool (recon's "allocated")
//	used       U = Σ blocks_size (headers included) of every type in those
//	               carriers (recon's "used")
//	requested  R = Σ SIZE of the trace's live blocks (what the program asked for)
//	ideal      I = ⌈R / 4096⌉ · 4096: the live user bytes packed with no
//	               header, no alignment and no free space, rounded up to
//	               whole 4 KiB pages once, in total
//
// Mind the difference between U and R: U includes block headers (and
// fix_alloc's parked blocks, and blocks whose delayed free is still
// queued); R is exactly what the trace holds live.

import (
	"fmt"

	"alloclab/allocator"
	"alloclab/carriers"
)

// PageSize is the page the ideal footprint rounds to.
const PageSize = 4096

// DefaultMaxPoints is the default bound on the samples of a series.
const DefaultMaxPoints = 1024

// NumTypeSlots indexes per-type arrays by allocator.Type (0 unused,
// test_alloc last).
const NumTypeSlots = int(allocator.Test) + 1

// Target is what a series samples: allocator.Target (a node or the test
// allocator's single instance).
type Target = allocator.Target

// SeriesOptions says when samples are taken.
type SeriesOptions struct {
	// EveryOps takes a sample after every EveryOps a/r/f operations (the
	// default when both are 0: 1, then doubling as the series fills).
	EveryOps uint64
	// EveryNanos takes a sample whenever the trace's clock ('t' records)
	// reaches the next multiple of EveryNanos; it excludes EveryOps.
	EveryNanos uint64
	// MaxPoints bounds the samples kept (default DefaultMaxPoints, at
	// least 4).
	MaxPoints int
}

// Sample is the state after some operations.
type Sample struct {
	Ops   uint64 // a/r/f operations applied
	Nanos uint64 // the trace's clock
	// Footprint F, Used U, Requested R and Ideal I (see the file comment).
	Footprint, Used, Requested, Ideal uint64
	// Per allocator type (index allocator.Type): carriers size (pooled
	// carriers under their owner's type, as recon counts them) and blocks
	// size (blocks under their own type, wherever they are).
	TypeFootprint, TypeUsed [NumTypeSlots]uint64
	// Cumulative counters: carriers created (mseg_alloc and sys_alloc
	// calls of the instances) and destroyed (mseg_dealloc and sys_free),
	// mseg_alloc calls and cache hits over every mseg instance, and
	// successful fetches from the carrier pools.
	CarriersCreated, CarriersDestroyed uint64
	MsegCalls, MsegHits                uint64
	PoolFetches                        uint64
}

// Usage is U / F (recon's usage), 1 when both are 0.
func (s *Sample) Usage() float64 { return ratio(s.Used, s.Footprint) }

// Overhead is F / R − 1 (Bohra & Gabber's fragmentation), NaN when R = 0.
func (s *Sample) Overhead() float64 {
	if s.Requested == 0 {
		return nan()
	}
	return float64(s.Footprint)/float64(s.Requested) - 1
}

// MsegHitRate is hits / mseg_alloc calls, 1 when there was no call
// (recon's cache_hit_rates convention).
func (s *Sample) MsegHitRate() float64 { return ratio(s.MsegHits, s.MsegCalls) }

func ratio(a, b uint64) float64 {
	if b == 0 {
		return 1
	}
	return float64(a) / float64(b)
}

// Extremes are the exact per-operation extremes of a run (not sampled).
type Extremes struct {
	Ops uint64 // a/r/f operations
	// MaxFootprint and the largest requested bytes at a moment the
	// footprint was MaxFootprint (so that a run that never leaves its
	// main carriers is measured at its peak, not at the empty start).
	MaxFootprint, RequestedAtMaxFootprint uint64
	// MaxRequested and the footprint at its first occurrence.
	MaxRequested, FootprintAtMaxRequested uint64
	// OverheadSum is Σ (F − R)/R over the operations after which R > 0,
	// OverheadOps their number.
	OverheadSum float64
	OverheadOps uint64
}

// Recorder is a Target that records a Series of the target it wraps.
type Recorder struct {
	Target
	insts []*allocator.Instance
	space *carriers.Space
	opts  SeriesOptions
	// The footprint is read after every operation, so only the counters
	// that can move are summed: fp points at the carriers-size counters
	// (three per instance) of the active instances, fpBase holds the
	// constant sum of the others. An instance is active from the first
	// operation of its type on: before that it never allocated, so it has
	// created, fetched, abandoned and destroyed no carrier — its main
	// carrier is all it has (erts-alloc-facts §7: a fetch, an abandon and
	// a homecoming only move a carrier between the instances that
	// allocated in it, and leave the total alone).
	fp      []*uint64
	fpBase  uint64
	active  [NumTypeSlots]bool
	byType  [NumTypeSlots][]*allocator.Instance
	routing bool

	user      []uint64 // user bytes of the live block in each heap slot
	requested uint64
	ops       uint64
	nanos     uint64

	interval uint64 // current sampling interval (ops or nanos)
	next     uint64 // next sampling point
	samples  []Sample
	final    Sample
	finished bool
	ext      Extremes
}

// NewRecorder wraps t, whose instances are insts and segment layer space
// (nil: no mseg statistics). It takes the first sample at once. Like
// recon, it leaves literal_alloc out (it holds code, not the trace's
// blocks).
func NewRecorder(t Target, insts []*allocator.Instance, space *carriers.Space, opts SeriesOptions) (*Recorder, error) {
	if opts.EveryOps > 0 && opts.EveryNanos > 0 {
		return nil, fmt.Errorf("series: sample every %d operations or every %d ns, not both", opts.EveryOps, opts.EveryNanos)
	}
	if opts.MaxPoints == 0 {
		opts.MaxPoints = DefaultMaxPoints
	}
	if opts.MaxPoints < 4 {
		return nil, fmt.Errorf("series: at most %d points: need at least 4", opts.MaxPoints)
	}
	r := &Recorder{Target: t, insts: reconInstances(insts), space: space, opts: opts}
	r.routing = t.Routes()
	for _, in := range r.insts {
		st := &in.Stats
		if !r.routing || int(in.Type) >= NumTypeSlots {
			// One instance takes every type (--single): always active.
			r.fp = append(r.fp, &st.MBCs.CarriersSize.Cur, &st.SBCs.CarriersSize.Cur, &st.Pool.CarriersSize)
			continue
		}
		r.fpBase += st.MBCs.CarriersSize.Cur + st.SBCs.CarriersSize.Cur + st.Pool.CarriersSize
		r.byType[in.Type] = append(r.byType[in.Type], in)
	}
	r.interval = opts.EveryNanos
	if r.interval == 0 {
		r.interval = max(opts.EveryOps, 1)
	}
	r.next = r.interval
	r.samples = make([]Sample, 0, opts.MaxPoints)
	r.observe()
	r.samples = append(r.samples, r.sample())
	return r, nil
}

func (r *Recorder) byTime() bool { return r.opts.EveryNanos > 0 }

// activate makes the instances of type t active, before an operation
// of that type: their counters still hold what fpBase counted.
func (r *Recorder) activate(t int) {
	if !r.routing || t <= 0 || t >= NumTypeSlots || r.active[t] {
		return
	}
	r.active[t] = true
	for _, in := range r.byType[t] {
		st := &in.Stats
		r.fpBase -= st.MBCs.CarriersSize.Cur + st.SBCs.CarriersSize.Cur + st.Pool.CarriersSize
		r.fp = append(r.fp, &st.MBCs.CarriersSize.Cur, &st.SBCs.CarriersSize.Cur, &st.Pool.CarriersSize)
	}
}

// Alloc passes through and records the block's user bytes.
func (r *Recorder) Alloc(t allocator.Type, sched uint32, size, tag uint64) (int32, error) {
	r.activate(int(t))
	b, err := r.Target.Alloc(t, sched, size, tag)
	if err == nil && b >= 0 {
		r.setUser(b, size)
		r.requested += size
		r.op()
	}
	return b, err
}

// Realloc passes through; the data now in the returned block has size
// user bytes.
func (r *Recorder) Realloc(b int32, size uint64, sched uint32) (int32, error) {
	if h := r.Heap(); b >= 0 && int(b) < len(h.Blocks) {
		r.activate(h.Blocks[b].Type())
	}
	nb, err := r.Target.Realloc(b, size, sched)
	if err == nil && nb >= 0 {
		old := r.userOf(b)
		r.setUser(b, 0)
		r.setUser(nb, size)
		r.requested = r.requested - old + size
		r.op()
	}
	return nb, err
}

// Free passes through; the block's user bytes are no longer requested
// (even when its free is delayed: the program has let it go).
func (r *Recorder) Free(b int32, sched uint32) error {
	if h := r.Heap(); b >= 0 && int(b) < len(h.Blocks) {
		r.activate(h.Blocks[b].Type())
	}
	old := r.userOf(b)
	if err := r.Target.Free(b, sched); err != nil {
		return err
	}
	r.setUser(b, 0)
	r.requested -= old
	r.op()
	return nil
}

// Advance passes through and samples when the clock crosses a sampling
// point (with EveryNanos).
func (r *Recorder) Advance(nanos uint64) {
	r.Target.Advance(nanos)
	r.nanos = max(r.nanos, nanos)
	if r.byTime() && r.nanos >= r.next {
		r.take()
		r.next = (r.nanos/r.interval + 1) * r.interval
	}
}

func (r *Recorder) userOf(b int32) uint64 {
	if int(b) < len(r.user) {
		return r.user[b]
	}
	return 0
}

func (r *Recorder) setUser(b int32, size uint64) {
	if int(b) >= len(r.user) {
		if size == 0 {
			return
		}
		n := max(int(b)+1, 2*len(r.user), 64)
		r.user = append(r.user, make([]uint64, n-len(r.user))...)
	}
	r.user[b] = size
}

// op follows every a/r/f operation.
func (r *Recorder) op() {
	r.ops++
	r.observe()
	if !r.byTime() && r.ops >= r.next {
		r.take()
		r.next = (r.ops/r.interval + 1) * r.interval
	}
}

// footprint is Σ carriers_size of every instance (pooled carriers
// included, under their owner).
func (r *Recorder) footprint() uint64 {
	f := r.fpBase
	for _, p := range r.fp {
		f += *p
	}
	return f
}

// observe updates the exact extremes after an operation.
func (r *Recorder) observe() {
	f, q := r.footprint(), r.requested
	e := &r.ext
	e.Ops = r.ops
	if f > e.MaxFootprint || f == e.MaxFootprint && q > e.RequestedAtMaxFootprint {
		e.MaxFootprint, e.RequestedAtMaxFootprint = f, q
	}
	if q > e.MaxRequested {
		e.MaxRequested, e.FootprintAtMaxRequested = q, f
	}
	if q > 0 && r.ops > 0 {
		e.OverheadSum += (float64(f) - float64(q)) / float64(q)
		e.OverheadOps++
	}
}

// take appends a sample, halving the resolution when the series is full.
func (r *Recorder) take() {
	if len(r.samples) == r.opts.MaxPoints {
		k := 0
		for i := 0; i < len(r.samples); i += 2 {
			r.samples[k] = r.samples[i]
			k++
		}
		r.samples = r.samples[:k]
		r.interval *= 2
		if !r.byTime() && r.ops%r.interval != 0 {
			return // this operation is off the new grid
		}
	}
	r.samples = append(r.samples, r.sample())
}

// sample reads the current state.
func (r *Recorder) sample() Sample {
	s := Sample{Ops: r.ops, Nanos: r.nanos, Requested: r.requested, Ideal: IdealFootprint(r.requested)}
	for _, in := range r.insts {
		st := &in.Stats
		t := int(in.Type)
		fp := st.MBCs.CarriersSize.Cur + st.SBCs.CarriersSize.Cur + st.Pool.CarriersSize
		s.TypeFootprint[t] += fp
		s.Footprint += fp
		for _, cs := range [2]*allocator.CarrierStats{&st.MBCs, &st.SBCs} {
			s.TypeUsed[t] += cs.BlocksSize.Cur
			s.Used += cs.BlocksSize.Cur
			for ot := range cs.Other {
				if ot != t && ot < NumTypeSlots {
					s.TypeUsed[ot] += cs.Other[ot].BlocksSize.Cur
					s.Used += cs.Other[ot].BlocksSize.Cur
				}
			}
		}
		s.TypeUsed[t] += st.Pool.BlocksSize
		s.Used += st.Pool.BlocksSize
		for ot := range st.Pool.Other {
			if ot != t && ot < NumTypeSlots {
				s.TypeUsed[ot] += st.Pool.Other[ot].Size
				s.Used += st.Pool.Other[ot].Size
			}
		}
		s.CarriersCreated += st.Calls.MsegAlloc + st.Calls.SysAlloc
		s.CarriersDestroyed += st.Calls.MsegDealloc + st.Calls.SysFree
		s.PoolFetches += st.Pool.Fetch
	}
	if r.space != nil {
		for i := range r.space.MsegInstances() {
			info := r.space.Mseg(i).Info(false)
			s.MsegCalls += info.Calls.Alloc
			s.MsegHits += info.CacheHits
		}
	}
	return s
}

// Finish records the final state; call it after the target settled (its
// queued frees applied). Later operations are not recorded.
func (r *Recorder) Finish() {
	if r.finished {
		return
	}
	r.observe()
	r.final = r.sample()
	r.finished = true
}

// Series returns the samples: the regular grid, then the final state when
// Finish was called and it is not the grid's last point.
func (r *Recorder) Series() *Series {
	s := &Series{ByTime: r.byTime(), Interval: r.interval, Samples: append([]Sample(nil), r.samples...)}
	if r.finished {
		last := s.Samples[len(s.Samples)-1]
		if last != r.final {
			s.Samples = append(s.Samples, r.final)
		}
	}
	return s
}

// Extremes returns the exact extremes so far.
func (r *Recorder) Extremes() Extremes { return r.ext }

// Requested is the live user bytes now.
func (r *Recorder) Requested() uint64 { return r.requested }

// Series is a recorded time series.
type Series struct {
	// ByTime: samples are spaced in nanoseconds of the trace's clock,
	// else in operations.
	ByTime bool
	// Interval between grid samples at the end of the run.
	Interval uint64
	Samples  []Sample
}

// X is a sample's position: nanoseconds or operations.
func (s *Series) X(i int) uint64 {
	if s.ByTime {
		return s.Samples[i].Nanos
	}
	return s.Samples[i].Ops
}

// Last returns the final sample.
func (s *Series) Last() *Sample { return &s.Samples[len(s.Samples)-1] }

// IdealFootprint is ⌈requested / PageSize⌉ · PageSize.
func IdealFootprint(requested uint64) uint64 {
	return (requested + PageSize - 1) / PageSize * PageSize
}
