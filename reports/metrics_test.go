package reports

import (
	"math"
	"slices"
	"testing"

	"alloclab/allocator"
	"alloclab/carriers"
)

// newSingle is the --single test allocator with flags (+MZ...).
func newSingle(t *testing.T, flags string) *allocator.Single {
	t.Helper()
	fl, err := allocator.ParseFlags(flags)
	if err != nil {
		t.Fatal(err)
	}
	s, err := allocator.NewSingle(fl.ApplyTo(allocator.Test, allocator.GenericDefaults()),
		fl.Util(allocator.DefaultUtilOptions()), carriers.DefaultSpaceConfig())
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func near(a, b float64) bool { return math.Abs(a-b) <= 1e-12*max(1, math.Abs(b)) }

// A 2 MiB main carrier (+MZmmbcs 2048) and sixteen 64 KiB blocks: 1 MiB
// requested at the peak inside 2 MiB of carriers, and no carrier is ever
// created or destroyed (the blocks fit, the main carrier stays).
func TestMetricsOneMiBInTwo(t *testing.T) {
	s := newSingle(t, "+MZmmbcs 2048")
	rec, err := NewRecorder(s, s.Instances(), s.Space(), SeriesOptions{})
	if err != nil {
		t.Fatal(err)
	}
	const blk = 64 << 10
	var ids []int32
	for i := range 16 {
		b, err := rec.Alloc(allocator.Test, 0, blk, uint64(i+1))
		if err != nil || b < 0 {
			t.Fatal(b, err)
		}
		ids = append(ids, b)
	}
	for _, b := range ids {
		if err := rec.Free(b, 0); err != nil {
			t.Fatal(err)
		}
	}
	rec.Finish()
	ser := rec.Series()
	m := ComputeMetrics(rec.Extremes(), ser.Last(), s.Instances())

	const mib = 1 << 20
	if m.MaxFootprint != 2*mib || m.MaxRequested != mib || m.FootprintAtMaxRequested != 2*mib || m.RequestedAtMaxFootprint != mib {
		t.Fatalf("extremes: %+v", rec.Extremes())
	}
	for name, got := range map[string]Ratio{"jw2": m.JW2, "jw3": m.JW3, "jw4": m.JW4} {
		if got != 1.0 {
			t.Errorf("%s = %v, want 1.0", name, got)
		}
	}
	// #1: after allocation k (k = 1..16) R = k·64 KiB, after free j
	// (j = 1..15) R = (16−j)·64 KiB, F = 2 MiB = 32·64 KiB throughout:
	// (F−R)/R = 32/k − 1. The last free leaves R = 0 (not counted).
	var sum float64
	for k := 1; k <= 16; k++ {
		sum += 32/float64(k) - 1
	}
	for k := 15; k >= 1; k-- {
		sum += 32/float64(k) - 1
	}
	if want := sum / 31; !near(float64(m.JW1), want) {
		t.Errorf("jw1 = %v, want %v", m.JW1, want)
	}
	if m.MaxIdeal != mib || m.OverIdeal != 1.0 {
		t.Errorf("ideal %d, over ideal %v; want 1 MiB, 1.0", m.MaxIdeal, m.OverIdeal)
	}
	if !math.IsNaN(float64(m.Overhead)) || m.EndRequest != 0 || m.EndUsed != 0 || m.EndFP != 2*mib {
		t.Errorf("end: overhead %v requested %d used %d footprint %d", m.Overhead, m.EndRequest, m.EndUsed, m.EndFP)
	}
	if m.CarriersCreated != 1 || m.CarriersDestroyed != 0 { // the main carrier only
		t.Errorf("carriers created %d destroyed %d, want 1, 0", m.CarriersCreated, m.CarriersDestroyed)
	}
	if m.Recon.Allocated != 2*mib || m.Recon.Used != 0 || m.Recon.Usage != 0 || m.Recon.MaxAllocated != 2*mib {
		t.Errorf("recon view %+v", m.Recon)
	}
	// Used at the peak: 16 blocks of 64 KiB plus a header each.
	hdr := s.Instance().BlockSize(blk) - blk
	peak := ser.Samples[16]
	if peak.Ops != 16 || peak.Requested != mib || peak.Used != 16*(blk+hdr) || peak.Footprint != 2*mib {
		t.Errorf("sample 16: %+v", peak)
	}
	if m.Recon.MaxUsed != 16*(blk+hdr) {
		t.Errorf("recon max used %d, want %d", m.Recon.MaxUsed, 16*(blk+hdr))
	}
}

// Metrics from hand-made extremes: the arithmetic of each measure.
func TestMetricsArithmetic(t *testing.T) {
	e := Extremes{Ops: 10,
		MaxFootprint: 3000, RequestedAtMaxFootprint: 1000,
		MaxRequested: 2000, FootprintAtMaxRequested: 2500,
		OverheadSum: 4.5, OverheadOps: 9}
	last := &Sample{Footprint: 1500, Requested: 500, Used: 600}
	m := ComputeMetrics(e, last, nil)
	want := map[string]float64{
		"jw1": 0.5, "jw2": 0.25, "jw3": 2, "jw4": 0.5, "overhead": 2,
		"over-ideal": 3000.0/4096 - 1, "max-footprint": 3000, "end-footprint": 1500,
	}
	for name, w := range want {
		mt, ok := LookupMetric(name)
		if !ok {
			t.Fatalf("no metric %s", name)
		}
		if got := mt.Value(&m); !near(got, w) {
			t.Errorf("%s = %v, want %v", name, got, w)
		}
	}
	// Nothing requested: the ratios have no value.
	m = ComputeMetrics(Extremes{MaxFootprint: 100}, &Sample{Footprint: 100}, nil)
	for _, v := range []Ratio{m.JW1, m.JW2, m.JW3, m.JW4, m.Overhead} {
		if !math.IsNaN(float64(v)) {
			t.Errorf("metrics of an empty run: %+v", m)
		}
	}
}

func TestRank(t *testing.T) {
	ms := []Metrics{{JW4: 2}, {JW4: Ratio(math.NaN())}, {JW4: 1}, {JW4: 2}, {JW4: 0.5}}
	jw4, _ := LookupMetric("jw4")
	if got, want := Rank(ms, jw4), []int{4, 2, 0, 3, 1}; !slices.Equal(got, want) {
		t.Errorf("rank jw4 %v, want %v", got, want)
	}
	us := []Metrics{{Recon: ReconView{Usage: 0.5}}, {Recon: ReconView{Usage: 0.9}}, {Recon: ReconView{Usage: 0.5}}}
	usage, _ := LookupMetric("usage")
	if got, want := Rank(us, usage), []int{1, 0, 2}; !slices.Equal(got, want) {
		t.Errorf("rank usage %v, want %v", got, want)
	}
}

// The recon view computed from the statistics equals recon_alloc's own
// answers on the snapshot (reports/recon.go) on a node with pools, sbcs,
// an mseg cache hit and queued frees.
func TestReconViewMatchesRecon(t *testing.T) {
	sys, _ := reconNode(t, "")
	v := ComputeReconView(sys.AllInstances())
	r := &Recon{Snapshot: SnapshotOfSystem(sys)}
	for _, c := range []struct {
		key  string
		kw   Keyword
		want float64
	}{
		{"used", Current, float64(v.Used)}, {"allocated", Current, float64(v.Allocated)},
		{"unused", Current, float64(v.Unused)}, {"usage", Current, float64(v.Usage)},
		{"used", Max, float64(v.MaxUsed)}, {"allocated", Max, float64(v.MaxAllocated)},
		{"usage", Max, float64(v.MaxUsage)},
	} {
		var got Num
		var err error
		switch c.key {
		case "used":
			got, err = r.MemoryUsed(c.kw)
		case "allocated":
			got, err = r.MemoryAllocated(c.kw)
		case "unused":
			got, err = r.MemoryUnused(c.kw)
		case "usage":
			got, err = r.MemoryUsage(c.kw)
		}
		if err != nil {
			t.Fatal(err)
		}
		if !near(got.Float64(), c.want) {
			t.Errorf("memory(%s, %v) = %v, view says %v", c.key, c.kw, got, c.want)
		}
	}
	frag, err := r.Fragmentation(Current)
	if err != nil {
		t.Fatal(err)
	}
	if len(frag) != len(v.Instances) {
		t.Fatalf("fragmentation: %d entries, view %d", len(frag), len(v.Instances))
	}
	// Same entries, same unused-bytes order; ties differ (recon orders
	// them by descending Erlang term, the view keeps the node's order).
	type key struct {
		a string
		n int
	}
	view := map[key]InstanceUsage{}
	for _, u := range v.Instances {
		view[key{u.Allocator, u.Instance}] = u
	}
	for i, f := range frag {
		u, ok := view[key{f.Allocator, f.Instance}]
		if !ok || !near(f.MbcsUsage.Float64(), float64(u.MbcsUsage)) || !near(f.SbcsUsage.Float64(), float64(u.SbcsUsage)) ||
			f.MbcsCarriersSize.Float64() != float64(u.MbcsCarriersSize) || f.MbcsBlockSize.Float64() != float64(u.MbcsBlockSize) {
			t.Errorf("entry %d: recon %+v, view %+v", i, f, u)
		}
		w := (1-float64(v.Instances[i].SbcsUsage))*float64(v.Instances[i].SbcsCarriersSize) + (1-float64(v.Instances[i].MbcsUsage))*float64(v.Instances[i].MbcsCarriersSize)
		if !near(f.Weight, w) {
			t.Errorf("entry %d: recon's weight %v, the view's entry %d weighs %v", i, f.Weight, i, w)
		}
	}
}
