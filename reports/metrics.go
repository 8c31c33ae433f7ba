package reports

// Metrics of one replay: how much memory the allocators held for what the
// program asked, in the measures operators and the literature use. The
// README's "alloclab compare" section defines each with its formula; in
// short, with F the footprint (carriers size), R the requested bytes (user
// bytes of live blocks) and U the used bytes (blocks size, headers
// included) — series.go defines them exactly:
//
//	recon view    used U, allocated F, unused F − U, usage U/F at the end
//	              (recon_alloc:memory(_, current)) and their all-time maxima
//	              (memory(_, max)); per instance mbcs_usage and sbcs_usage
//	              (recon_alloc:fragmentation(current))
//	J&W #1        mean over operations of (F − R)/R          (R > 0)
//	J&W #2        (F − R)/R at the first moment R is maximal
//	J&W #3        (max F − R)/R, R the largest requested at a moment F is maximal
//	J&W #4        (max F − max R)/max R                      the headline
//	overhead      F/R − 1 at the end (Bohra & Gabber; charted over time)
//	over ideal    max F / ⌈max R / 4 KiB⌉·4 KiB − 1
//
// Johnstone & Wilson, "The memory fragmentation problem: solved?" (ISMM
// 1998), §4.1 define #1–#4 over the memory the allocator obtained and the
// memory the program requested; "live" there is R, not U. Extremes are
// exact: tracked after every a/r/f operation (Recorder.observe), not read
// off the sampled series.

import (
	"math"
	"slices"
	"strconv"

	"alloclab/allocator"
)

func nan() float64 { return math.NaN() }

// Ratio is a metric's value: JSON writes it exactly (shortest
// round-tripping form) and writes null for NaN and infinities, which
// JSON cannot express.
type Ratio float64

// MarshalJSON writes f, or null when it is not finite.
func (f Ratio) MarshalJSON() ([]byte, error) {
	v := float64(f)
	if math.IsNaN(v) || math.IsInf(v, 0) {
		return []byte("null"), nil
	}
	return strconv.AppendFloat(nil, v, 'g', -1, 64), nil
}

// Metrics are the results of one configuration.
type Metrics struct {
	Ops   uint64 `json:"ops"`
	Nanos uint64 `json:"nanos"`

	MaxFootprint            uint64 `json:"max_footprint"`
	RequestedAtMaxFootprint uint64 `json:"requested_at_max_footprint"`
	MaxRequested            uint64 `json:"max_requested"`
	FootprintAtMaxRequested uint64 `json:"footprint_at_max_requested"`
	MaxIdeal                uint64 `json:"max_ideal"`

	JW1        Ratio  `json:"jw1"`
	JW2        Ratio  `json:"jw2"`
	JW3        Ratio  `json:"jw3"`
	JW4        Ratio  `json:"jw4"`
	Overhead   Ratio  `json:"overhead_end"`
	OverIdeal  Ratio  `json:"over_ideal"`
	EndFP      uint64 `json:"end_footprint"`
	EndUsed    uint64 `json:"end_used"`
	EndRequest uint64 `json:"end_requested"`

	Recon ReconView `json:"recon"`

	CarriersCreated   uint64 `json:"carriers_created"`
	CarriersDestroyed uint64 `json:"carriers_destroyed"`
	MsegCalls         uint64 `json:"mseg_calls"`
	MsegHits          uint64 `json:"mseg_hits"`
	MsegHitRate       Ratio  `json:"mseg_hit_rate"`
	PoolFetches       uint64 `json:"pool_fetches"`
}

// ReconView is recon_alloc's memory/2 and fragmentation/1 over the
// instances: the current values (pooled carriers and blocks included, as
// recon adds mbcs_pool for current) and the all-time maxima.
type ReconView struct {
	Used         uint64          `json:"used"`
	Allocated    uint64          `json:"allocated"`
	Unused       uint64          `json:"unused"`
	Usage        Ratio           `json:"usage"`
	MaxUsed      uint64          `json:"max_used"`
	MaxAllocated uint64          `json:"max_allocated"`
	MaxUsage     Ratio           `json:"max_usage"`
	Instances    []InstanceUsage `json:"instances"`
}

// InstanceUsage is one entry of recon_alloc:fragmentation(current).
type InstanceUsage struct {
	Allocator        string `json:"allocator"`
	Instance         int    `json:"instance"`
	SbcsUsage        Ratio  `json:"sbcs_usage"`
	MbcsUsage        Ratio  `json:"mbcs_usage"`
	SbcsBlockSize    uint64 `json:"sbcs_block_size"`
	SbcsCarriersSize uint64 `json:"sbcs_carriers_size"`
	MbcsBlockSize    uint64 `json:"mbcs_block_size"`
	MbcsCarriersSize uint64 `json:"mbcs_carriers_size"`
}

// relOver is (a − b)/b, NaN when b = 0.
func relOver(a, b uint64) Ratio {
	if b == 0 {
		return Ratio(nan())
	}
	return Ratio((float64(a) - float64(b)) / float64(b))
}

// ComputeMetrics derives the metrics from a run's exact extremes, its
// final sample and its instances (for the recon view).
func ComputeMetrics(e Extremes, last *Sample, insts []*allocator.Instance) Metrics {
	m := Metrics{
		Ops: e.Ops, Nanos: last.Nanos,
		MaxFootprint: e.MaxFootprint, RequestedAtMaxFootprint: e.RequestedAtMaxFootprint,
		MaxRequested: e.MaxRequested, FootprintAtMaxRequested: e.FootprintAtMaxRequested,
		MaxIdeal: IdealFootprint(e.MaxRequested),
		JW1:      Ratio(nan()),
		JW2:      relOver(e.FootprintAtMaxRequested, e.MaxRequested),
		JW3:      relOver(e.MaxFootprint, e.RequestedAtMaxFootprint),
		JW4:      relOver(e.MaxFootprint, e.MaxRequested),
		Overhead: relOver(last.Footprint, last.Requested),
		EndFP:    last.Footprint, EndUsed: last.Used, EndRequest: last.Requested,
		CarriersCreated: last.CarriersCreated, CarriersDestroyed: last.CarriersDestroyed,
		MsegCalls: last.MsegCalls, MsegHits: last.MsegHits, MsegHitRate: Ratio(last.MsegHitRate()),
		PoolFetches: last.PoolFetches,
	}
	if e.OverheadOps > 0 {
		m.JW1 = Ratio(e.OverheadSum / float64(e.OverheadOps))
	}
	m.OverIdeal = relOver(e.MaxFootprint, m.MaxIdeal)
	m.Recon = ComputeReconView(insts)
	return m
}

// reconInstances are the instances recon_alloc reads: its UTIL_ALLOCATORS
// (not literal_alloc), and test_alloc, the only instance of a --single
// replay.
func reconInstances(insts []*allocator.Instance) []*allocator.Instance {
	var out []*allocator.Instance
	for _, in := range insts {
		if in.Type != allocator.Literal {
			out = append(out, in)
		}
	}
	return out
}

// blocksSize is Σ blocks_size of every type in cs: (current, max ever).
func blocksSize(cs *allocator.CarrierStats) (cur, maxEver uint64) {
	cur, maxEver = cs.BlocksSize.Cur, cs.BlocksSize.MaxEver
	for _, o := range cs.Other {
		cur += o.BlocksSize.Cur
		maxEver += o.BlocksSize.MaxEver
	}
	return cur, maxEver
}

// ComputeReconView applies recon's formulas (recon-refc-facts §1.2, §1.3)
// to the instances' statistics.
func ComputeReconView(insts []*allocator.Instance) ReconView {
	var v ReconView
	type weighted struct {
		u InstanceUsage
		w float64
	}
	var ws []weighted
	for _, in := range reconInstances(insts) {
		st := &in.Stats
		mb, mbMax := blocksSize(&st.MBCs)
		sb, sbMax := blocksSize(&st.SBCs)
		pb := st.Pool.BlocksSize
		for _, o := range st.Pool.Other {
			pb += o.Size
		}
		mb += pb
		mc := st.MBCs.CarriersSize.Cur + st.Pool.CarriersSize
		sc := st.SBCs.CarriersSize.Cur
		v.Used += mb + sb
		v.Allocated += mc + sc
		v.MaxUsed += mbMax + sbMax
		v.MaxAllocated += st.MBCs.CarriersSize.MaxEver + st.SBCs.CarriersSize.MaxEver
		u := InstanceUsage{Allocator: in.Type.String(), Instance: in.Index,
			SbcsUsage: Ratio(ratio(sb, sc)), MbcsUsage: Ratio(ratio(mb, mc)),
			SbcsBlockSize: sb, SbcsCarriersSize: sc, MbcsBlockSize: mb, MbcsCarriersSize: mc}
		w := (1-float64(u.SbcsUsage))*float64(sc) + (1-float64(u.MbcsUsage))*float64(mc)
		ws = append(ws, weighted{u, w})
	}
	v.Unused = v.Allocated - v.Used
	v.Usage = Ratio(ratio(v.Used, v.Allocated))
	v.MaxUsage = Ratio(ratio(v.MaxUsed, v.MaxAllocated))
	// recon sorts by unused bytes, most first; ties keep the instances'
	// order (type, then index).
	slices.SortStableFunc(ws, func(a, b weighted) int {
		switch {
		case a.w > b.w:
			return -1
		case a.w < b.w:
			return 1
		}
		return 0
	})
	for _, x := range ws {
		v.Instances = append(v.Instances, x.u)
	}
	return v
}

// Metric is a measure compare can rank configurations by.
type Metric struct {
	Name string
	Doc  string
	// HigherBetter: rank the largest value first.
	HigherBetter bool
	Value        func(m *Metrics) float64
}

// Metrics compare ranks by, in the order they are listed.
var rankMetrics = []Metric{
	{"jw4", "J&W #4: (max footprint − max requested) / max requested", false, func(m *Metrics) float64 { return float64(m.JW4) }},
	{"jw3", "J&W #3: (max footprint − requested then) / requested then", false, func(m *Metrics) float64 { return float64(m.JW3) }},
	{"jw2", "J&W #2: (footprint − requested) / requested at peak requested", false, func(m *Metrics) float64 { return float64(m.JW2) }},
	{"jw1", "J&W #1: mean over operations of (footprint − requested) / requested", false, func(m *Metrics) float64 { return float64(m.JW1) }},
	{"max-footprint", "maximum footprint (carriers size), bytes", false, func(m *Metrics) float64 { return float64(m.MaxFootprint) }},
	{"end-footprint", "footprint at the end, bytes", false, func(m *Metrics) float64 { return float64(m.EndFP) }},
	{"overhead", "footprint / requested − 1 at the end (Bohra & Gabber)", false, func(m *Metrics) float64 { return float64(m.Overhead) }},
	{"over-ideal", "max footprint / ideal footprint at peak requested − 1", false, func(m *Metrics) float64 { return float64(m.OverIdeal) }},
	{"usage", "recon memory(usage) at the end: used / allocated", true, func(m *Metrics) float64 { return float64(m.Recon.Usage) }},
	{"carriers", "carriers created (mseg_alloc + sys_alloc calls)", false, func(m *Metrics) float64 { return float64(m.CarriersCreated) }},
	{"mseg-hit-rate", "mseg cache hits / mseg_alloc calls", true, func(m *Metrics) float64 { return float64(m.MsegHitRate) }},
}

// RankMetrics lists the metrics compare can rank by.
func RankMetrics() []Metric { return slices.Clone(rankMetrics) }

// LookupMetric finds a rank metric by name.
func LookupMetric(name string) (Metric, bool) {
	for _, m := range rankMetrics {
		if m.Name == name {
			return m, true
		}
	}
	return Metric{}, false
}

// Rank returns the indices of ms ordered best first by metric: NaN last,
// ties (and NaNs) in their original order, so the result is independent of
// how the metrics were computed.
func Rank(ms []Metrics, metric Metric) []int {
	idx := make([]int, len(ms))
	for i := range idx {
		idx[i] = i
	}
	slices.SortStableFunc(idx, func(a, b int) int {
		x, y := metric.Value(&ms[a]), metric.Value(&ms[b])
		xn, yn := math.IsNaN(x), math.IsNaN(y)
		switch {
		case xn && yn:
			return 0
		case xn:
			return 1
		case yn:
			return -1
		}
		if metric.HigherBetter {
			x, y = y, x
		}
		switch {
		case x < y:
			return -1
		case x > y:
			return 1
		}
		return 0
	})
	return idx
}
