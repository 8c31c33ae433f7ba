package reports

import (
	"testing"

	"alloclab/allocator"
	"alloclab/workloads"
)

// A long run keeps between MaxPoints/2 and MaxPoints samples on a regular
// grid from 0, whatever its length, and ends with the final state.
func TestSeriesDownsampling(t *testing.T) {
	for _, n := range []int{5, 16, 17, 100, 1000} {
		s := newSingle(t, "")
		rec, err := NewRecorder(s, s.Instances(), s.Space(), SeriesOptions{MaxPoints: 8})
		if err != nil {
			t.Fatal(err)
		}
		for i := range n {
			b, err := rec.Alloc(allocator.Test, 0, 100, uint64(i+1))
			if err != nil || b < 0 {
				t.Fatal(b, err)
			}
		}
		rec.Finish()
		ser := rec.Series()
		grid := ser.Samples
		if last := grid[len(grid)-1]; last.Ops != uint64(n) || last.Requested != uint64(100*n) {
			t.Fatalf("n=%d: last sample %+v", n, last)
		}
		if grid[len(grid)-2].Ops != uint64(n) {
			grid = grid[:len(grid)-1] // the final state, off the grid
		}
		if len(grid) > 8 || (n >= 8 && len(grid) < 4) {
			t.Errorf("n=%d: %d grid samples", n, len(grid))
		}
		for i, smp := range grid {
			if smp.Ops != uint64(i)*ser.Interval {
				t.Errorf("n=%d: sample %d at %d ops, interval %d", n, i, smp.Ops, ser.Interval)
			}
			if smp.Requested != 100*smp.Ops || smp.Ideal != IdealFootprint(100*smp.Ops) {
				t.Errorf("n=%d: sample %d: %+v", n, i, smp)
			}
		}
	}
}

// Samples every 1000 ns of the trace's clock.
func TestSeriesByTime(t *testing.T) {
	s := newSingle(t, "")
	rec, err := NewRecorder(s, s.Instances(), s.Space(), SeriesOptions{EveryNanos: 1000})
	if err != nil {
		t.Fatal(err)
	}
	for i := range 10 {
		if _, err := rec.Alloc(allocator.Test, 0, 1000, uint64(i+1)); err != nil {
			t.Fatal(err)
		}
		rec.Advance(uint64(i+1) * 500)
	}
	rec.Finish()
	ser := rec.Series()
	var ns []uint64
	for i := range ser.Samples {
		ns = append(ns, ser.X(i))
	}
	// 0, then 1000, 2000, ... 5000 (the clock reaches 5000 at the end;
	// the final state equals the 5000 sample).
	want := []uint64{0, 1000, 2000, 3000, 4000, 5000}
	if len(ns) != len(want) {
		t.Fatalf("samples at %v, want %v", ns, want)
	}
	for i := range want {
		if ns[i] != want[i] {
			t.Fatalf("samples at %v, want %v", ns, want)
		}
	}
	if got := ser.Samples[2].Requested; got != 4000 { // 4 blocks at t = 2000
		t.Errorf("requested at 2000 ns: %d", got)
	}
}

func TestSeriesOptionsErrors(t *testing.T) {
	s := newSingle(t, "")
	for _, o := range []SeriesOptions{{EveryOps: 1, EveryNanos: 1}, {MaxPoints: 3}} {
		if _, err := NewRecorder(s, s.Instances(), s.Space(), o); err == nil {
			t.Errorf("%+v: no error", o)
		}
	}
}

// Per-type sums add up to the totals; carrier map covers every carrier.
func TestSeriesPerTypeAndCarrierMap(t *testing.T) {
	sys, _ := reconNode(t, "")
	rec, err := NewRecorder(sys, sys.AllInstances(), sys.Space(), SeriesOptions{})
	if err != nil {
		t.Fatal(err)
	}
	rec.Finish()
	last := rec.Series().Last()
	var fp, used uint64
	for i := range last.TypeFootprint {
		fp += last.TypeFootprint[i]
		used += last.TypeUsed[i]
	}
	v := ComputeReconView(sys.AllInstances())
	if fp != last.Footprint || used != last.Used || fp != v.Allocated || used != v.Used {
		t.Errorf("per type %d/%d, totals %d/%d, recon %d/%d", fp, used, last.Footprint, last.Used, v.Allocated, v.Used)
	}
	if last.MsegHits != 1 {
		t.Errorf("mseg hits %d, want 1 (the 650000-byte block)", last.MsegHits)
	}
	m := NewCarrierMap(sys.Heap(), sys.AllInstances(), 0)
	var size, u uint64
	for i, c := range m.Carriers {
		size += c.Size
		u += c.Used
		if i > 0 && c.Addr <= m.Carriers[i-1].Addr {
			t.Errorf("carrier %d not in address order", i)
		}
		var covered float64
		for _, b := range c.Buckets {
			if b < 0 || b > 1+1e-9 {
				t.Errorf("carrier %d bucket %v", i, b)
			}
			covered += b
		}
		if !m.Detailed || len(c.Segments) == 0 {
			t.Fatalf("carrier %d: no segments", i)
		}
		var seg uint64
		for _, s := range c.Segments {
			seg += s.Size
		}
		// An SBC's block may end before the carrier (page rounding).
		if hdr := c.Segments[0].Offset; seg+hdr != c.Size && !(c.SBC && seg+hdr < c.Size) {
			t.Errorf("carrier %d: segments %d + header %d != size %d", i, seg, hdr, c.Size)
		}
	}
	if size != v.Allocated || u != v.Used {
		t.Errorf("carrier map: size %d used %d; recon %d %d", size, u, v.Allocated, v.Used)
	}
	small := NewCarrierMap(sys.Heap(), sys.AllInstances(), 3)
	if small.Detailed || small.Carriers[0].Segments != nil {
		t.Errorf("a map over its block limit kept the blocks")
	}
}

// The footprint the recorder keeps after every operation (only the
// active instances summed) equals the full sum over every instance, on
// nodes with carrier pools, a pool shared between types, delayed frees
// and sbcs.
func TestRecorderFootprintExact(t *testing.T) {
	for _, flags := range []string{"", "+MBcp R +MRcp R", "+Muas bf", "+MBsbct 64 +MMmcs 0"} {
		g, _, err := workloads.NewScenarioGenerator("binary-traffic", 5, []string{"ops=6000", "types=binary_alloc=3,driver_alloc=1,eheap_alloc=1", "cross-free=0.3", "size=pareto:200,1.1,max=300K"})
		if err != nil {
			t.Fatal(err)
		}
		sys, err := allocator.NewNode(2, flags)
		if err != nil {
			t.Fatal(err)
		}
		rec, err := NewRecorder(sys, sys.AllInstances(), sys.Space(), SeriesOptions{})
		if err != nil {
			t.Fatal(err)
		}
		rp := workloads.NewReplayer(rec, "gen")
		full := func() uint64 {
			var f uint64
			for _, in := range reconInstances(sys.AllInstances()) {
				f += in.Stats.MBCs.CarriersSize.Cur + in.Stats.SBCs.CarriersSize.Cur + in.Stats.Pool.CarriersSize
			}
			return f
		}
		var maxF uint64
		for n := 0; g.Scan(); n++ {
			op := g.Op()
			if op.Kind == workloads.Directive {
				continue
			}
			if err := rp.Apply(op); err != nil {
				t.Fatal(err)
			}
			if got, want := rec.footprint(), full(); got != want {
				t.Fatalf("%q: op %d: footprint %d, full sum %d", flags, n, got, want)
			}
			maxF = max(maxF, full())
		}
		sys.Settle()
		rec.Finish()
		if e := rec.Extremes(); e.MaxFootprint != maxF {
			t.Errorf("%q: max footprint %d, want %d", flags, e.MaxFootprint, maxF)
		}
		if last := rec.Series().Last(); last.Requested != rec.Requested() || last.Footprint != full() {
			t.Errorf("%q: last sample %+v", flags, last)
		}
	}
}
