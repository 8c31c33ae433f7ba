package workloads

import (
	"math"
	"math/rand/v2"
	"runtime"
	"testing"

	"alloclab/allocator"
	"alloclab/carriers"
	"alloclab/strategies"
)

// perfOps is ../shared/oracle/perf_trace.py's workload: small lognormal
// sizes (exp(N(5,1)) + 8 bytes) through binary_alloc, 55 % allocations while
// fewer than live blocks are live, frees of a random live block otherwise.
//
// The ops are kept pointer-free (an Op holds strings), so that the garbage
// collector does not scan a million of them while the benchmark runs.
func perfOps(n, live int, seed uint64) []perfOp {
	r := rand.New(rand.NewPCG(seed, 0))
	ops := make([]perfOp, 0, n)
	var ids []uint64
	next := uint64(1)
	for range n {
		if len(ids) < live && (r.Float64() < 0.55 || len(ids) == 0) {
			size := uint64(math.Exp(5+r.NormFloat64())) + 8
			ops = append(ops, perfOp{Alloc, next, size})
			ids = append(ids, next)
			next++
			continue
		}
		j := r.IntN(len(ids))
		ids[j], ids[len(ids)-1] = ids[len(ids)-1], ids[j]
		ops = append(ops, perfOp{Free, ids[len(ids)-1], 0})
		ids = ids[:len(ids)-1]
	}
	return ops
}

type perfOp struct {
	kind     Kind
	id, size uint64
}

func (p perfOp) op() Op {
	return Op{Kind: p.kind, ID: p.id, Type: allocator.Binary, Sched: 1, Size: p.size}
}

// oracleSetup is the configuration the oracle runs the test allocator with.
func oracleSetup(as strategies.Kind) (*allocator.Single, error) {
	opts := allocator.GenericDefaults()
	opts.AS = as
	util := allocator.DefaultUtilOptions()
	util.SAC = false
	sc := carriers.DefaultSpaceConfig()
	sc.SCS, sc.SCO, sc.MCS = 16384<<20, true, 0
	return allocator.NewSingle(opts, util, sc)
}

// BenchmarkReplay replays 1 M operations of small blocks with about 50 000
// live (perf_trace.py 1000000 50000) per strategy, ops already parsed. The
// runtime's own allocator replays the same kind of trace at about 115 (gf)
// to 210 (aoffcbf) ns/op on this machine (../shared/oracle/run --time).
// Reported: ns per trace operation, and bytes of simulator heap per live
// block at the end.
func BenchmarkReplay(b *testing.B) {
	ops := perfOps(1_000_000, 50_000, 5)
	for _, k := range strategies.All {
		b.Run(k.String(), func(b *testing.B) {
			var perBlock float64
			for b.Loop() {
				runtime.GC()
				var m0, m1 runtime.MemStats
				runtime.ReadMemStats(&m0)
				sys, err := oracleSetup(k)
				if err != nil {
					b.Fatal(err)
				}
				rp := NewReplayer(sys, "perf")
				for _, op := range ops {
					if err := rp.Apply(op.op()); err != nil {
						b.Fatal(err)
					}
				}
				b.StopTimer()
				runtime.GC()
				runtime.ReadMemStats(&m1)
				perBlock = float64(m1.HeapAlloc-m0.HeapAlloc) / float64(rp.LiveBlocks())
				runtime.KeepAlive(rp)
				b.StartTimer()
			}
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/float64(len(ops)), "ns/trace-op")
			b.ReportMetric(perBlock, "B/live-block")
		})
	}
}

// TestReplaySteadyStateAllocs checks that replaying does not allocate per
// operation once the arenas have grown: after the first 900 000 operations
// of the benchmark workload, the last 100 000 allocate nothing.
func TestReplaySteadyStateAllocs(t *testing.T) {
	if testing.Short() {
		t.Skip("short")
	}
	ops := perfOps(1_000_000, 50_000, 5)
	for _, k := range strategies.All {
		sys, err := oracleSetup(k)
		if err != nil {
			t.Fatal(err)
		}
		rp := NewReplayer(sys, "perf")
		for _, op := range ops[:900_000] {
			if err := rp.Apply(op.op()); err != nil {
				t.Fatal(err)
			}
		}
		var m0, m1 runtime.MemStats
		runtime.ReadMemStats(&m0)
		for _, op := range ops[900_000:] {
			if err := rp.Apply(op.op()); err != nil {
				t.Fatal(err)
			}
		}
		runtime.ReadMemStats(&m1)
		if allocs := m1.Mallocs - m0.Mallocs; allocs > 0 {
			t.Errorf("%v: %v heap allocations in 100 000 steady-state operations, want 0", k, allocs)
		}
	}
}
