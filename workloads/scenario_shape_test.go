package workloads

import (
	"math"
	"testing"

	"alloclab/allocator"
)

// The shape tests below check what each scenario generates against what
// its parameters say, each with its tolerance: sample means and
// proportions within 4 standard errors (plus a stated slack where the
// generator's mechanics bias them), exact counts where the scenario is
// exact.

func proportionTol(p float64, n int) float64 { return 4 * math.Sqrt(p*(1-p)/float64(n)) }

// TestScenarioPeakDropSizes: peak-drop's sizes are lognormal:6,1's: mean
// e^6.5 within 4 standard errors + 0.5 (rounding).
func TestScenarioPeakDropSizes(t *testing.T) {
	text := genText(t, "peak-drop", 3, "peak=20000")
	var xs []uint64
	replayCheck(t, text, func(op Op, _ map[uint64]Op) {
		if op.Kind == Alloc {
			xs = append(xs, op.Size)
		}
	})
	mu, sigma := 6.0, 1.0
	checkMean(t, xs, math.Exp(mu+sigma*sigma/2), math.Sqrt((math.Exp(sigma*sigma)-1)*math.Exp(2*mu+sigma*sigma)), 0.5)
}

// TestScenarioBinaryTrafficShape: sizes follow pareto:65,1.2,max=1M (CDF
// within 4 standard errors at 5 points); lifetimes, in steps, of blocks
// allocated in the first half follow bimodal:0.95,100,20000 (P(L ≤ k)
// within 4 standard errors + 0.02: a due free may wait behind another, and
// a realloc step delays it too).
func TestScenarioBinaryTrafficShape(t *testing.T) {
	const ops = 100000
	text := genText(t, "binary-traffic", 5, "ops=100000")
	var sizes []uint64
	born := map[uint64]int{}
	var lifetimes []int
	step := 0
	replayCheck(t, text, func(op Op, _ map[uint64]Op) {
		switch op.Kind {
		case Alloc:
			sizes = append(sizes, op.Size)
			born[op.ID] = step
		case Free:
			if b := born[op.ID]; b < ops/2 {
				lifetimes = append(lifetimes, step-b)
			}
		}
		if op.Kind == Alloc || op.Kind == Free || op.Kind == Realloc {
			step++
		}
	})
	xm, alpha, h := 65.0, 1.2, float64(1<<20)
	l := math.Pow(xm/h, alpha)
	checkCDF(t, sizes, []uint64{65, 100, 1000, 10000, 100000}, func(k uint64) float64 {
		return (1 - math.Pow(xm/(float64(k)+0.5), alpha)) / (1 - l)
	})
	// Every block allocated in the first half and still live is a lifetime > end − birth.
	n := 0
	for _, b := range born {
		if b < ops/2 {
			n++
		}
	}
	for _, k := range []int{50, 100, 300, 2000} {
		c := 0
		for _, x := range lifetimes {
			if x <= k {
				c++
			}
		}
		got := float64(c) / float64(n)
		want := 0.95*(1-math.Exp(-float64(k)/100)) + 0.05*(1-math.Exp(-float64(k)/20000))
		if tol := proportionTol(want, n) + 0.02; math.Abs(got-want) > tol {
			t.Errorf("P(lifetime ≤ %d) = %.4f, want %.4f ± %.4f", k, got, want, tol)
		}
	}
}

// TestScenarioSchedulerShiftShape: scheduler 2's share of the allocations
// in each fifth of the run is the mean of the linear ramp over it, (k+½)/5,
// within 4 standard errors + 0.01.
func TestScenarioSchedulerShiftShape(t *testing.T) {
	text := genText(t, "scheduler-shift", 2, "ops=100000")
	type a struct {
		rec   int
		sched uint32
	}
	var as []a
	rec := 0
	replayCheck(t, text, func(op Op, _ map[uint64]Op) {
		if op.Kind == Alloc {
			as = append(as, a{rec, op.Sched})
		}
		if op.Kind != Time && op.Kind != Directive {
			rec++
		}
	})
	for k := 0; k < 5; k++ {
		n, two := 0, 0
		for _, x := range as {
			if x.rec*5/rec == k {
				n++
				if x.sched == 2 {
					two++
				}
			}
		}
		want := (float64(k) + 0.5) / 5
		got := float64(two) / float64(n)
		if tol := proportionTol(want, n) + 0.01; math.Abs(got-want) > tol {
			t.Errorf("fifth %d: scheduler 2's share %.4f, want %.4f ± %.4f", k, got, want, tol)
		}
	}
}

// TestScenarioETSChurnDefaults: the default is the classic demonstration,
// 1 M objects of 512 B in ets_alloc, half deleted and re-inserted twice.
func TestScenarioETSChurnDefaults(t *testing.T) {
	sc, _ := LookupScenario("ets-churn")
	want := map[string]string{"objects": "1000000", "size": "fixed:512", "types": "ets_alloc=1", "delete": "0.5", "rounds": "2"}
	for _, p := range sc.Params {
		if w, ok := want[p.Name]; ok && p.Default != w {
			t.Errorf("ets-churn %s default %q, want %q", p.Name, p.Default, w)
		}
	}
}

func TestHeapSizes(t *testing.T) {
	want := []uint64{12, 38, 51, 90, 142, 233, 376, 610, 987, 1598, 2586, 4185, 6772, 10958, 17731,
		28690, 46422, 75113, 121536, 196650, 318187, 514838, 833026, 999631, 1199557}
	for i, w := range want {
		if HeapSizes[i] != w {
			t.Fatalf("HeapSizes[%d] = %d, want %d", i, HeapSizes[i], w)
		}
	}
	for i := 24; i < len(HeapSizes); i++ {
		if HeapSizes[i] != HeapSizes[i-1]+HeapSizes[i-1]/5 {
			t.Fatalf("HeapSizes[%d] = %d: not 20%% over %d", i, HeapSizes[i], HeapSizes[i-1])
		}
	}
	if last := HeapSizes[len(HeapSizes)-1]; last*WordSize > 1<<53 || len(HeapSizes) > 154 {
		t.Fatalf("%d sizes, last %d words", len(HeapSizes), last)
	}
	for _, c := range []struct {
		words uint64
		idx   int
	}{{0, 0}, {12, 0}, {13, 1}, {233, 5}, {234, 6}, {833026, 22}, {833027, 23}} {
		if got := NextHeapSize(c.words); got != c.idx {
			t.Errorf("NextHeapSize(%d) = %d, want %d", c.words, got, c.idx)
		}
	}
}

// TestScenarioProcessChurnShape: every heap is a size of the sequence in
// 8-byte words; processes spawn with 233 words; a GC allocates the new
// heap (the same size or the next one) and then frees the old one of the
// same process; the number of processes stays at 'processes'; and the
// number of GCs in a process's life is geometric with mean gcs (within 4
// standard errors).
func TestScenarioProcessChurnShape(t *testing.T) {
	const gcs = 8.0
	text := genText(t, "process-churn", 6, "ops=100000", "processes=200", "gcs=8", "cross-free=0")
	valid := map[uint64]int{}
	for i, w := range HeapSizes {
		valid[w*WordSize] = i
	}
	gcsOf := map[uint64]int{} // GCs so far, by the ID of the process's current heap
	var lives []float64
	replayCheck(t, text, func(op Op, _ map[uint64]Op) {
		if op.Kind == Alloc {
			if op.Type != allocator.EHeap {
				t.Fatalf("line %d: type %v", op.Line, op.Type)
			}
			if _, ok := valid[op.Size]; !ok {
				t.Fatalf("line %d: size %d is not a heap size", op.Line, op.Size)
			}
		}
	})
	// Pair each GC's alloc with the free after it.
	rd := replayOps(t, text)
	sizes := map[uint64]uint64{}
	for i := 0; i < len(rd); i++ {
		op := rd[i]
		switch op.Kind {
		case Alloc:
			sizes[op.ID] = op.Size
			if i+1 < len(rd) && rd[i+1].Kind == Free && rd[i+1].ID != op.ID {
				// A GC: alloc new, free old.
				oldID := rd[i+1].ID
				o, n := valid[sizes[oldID]], valid[op.Size]
				if n != o && n != o+1 {
					t.Fatalf("GC from heap size #%d to #%d", o, n)
				}
				gcsOf[op.ID] = gcsOf[oldID] + 1
				delete(gcsOf, oldID)
				i++
				// An exit right after the GC frees the new heap.
				if i+1 < len(rd) && rd[i+1].Kind == Free && rd[i+1].ID == op.ID {
					lives = append(lives, float64(gcsOf[op.ID]))
					delete(gcsOf, op.ID)
					i++
				}
				continue
			}
			if op.Size != 233*WordSize {
				t.Fatalf("spawn with %d bytes, want %d", op.Size, 233*WordSize)
			}
			gcsOf[op.ID] = 0
		}
	}
	if len(gcsOf) < 199 || len(gcsOf) > 200 {
		t.Fatalf("%d processes at the end, want 200", len(gcsOf))
	}
	sum := 0.0
	for _, x := range lives {
		sum += x
	}
	mean := sum / float64(len(lives))
	// Processes that die young are over-represented among the finished
	// ones only at the start; over 100k records the bias is well below
	// the tolerance.
	tol := 4 * math.Sqrt(gcs*gcs-gcs) / math.Sqrt(float64(len(lives)))
	if math.Abs(mean-gcs) > tol {
		t.Fatalf("mean GCs per process %.3f over %d processes, want %g ± %.3f", mean, len(lives), gcs, tol)
	}
}

func replayOps(t *testing.T, text []byte) []Op {
	t.Helper()
	var ops []Op
	replayCheck(t, text, func(op Op, _ map[uint64]Op) {
		if op.Kind != Time && op.Kind != Directive {
			ops = append(ops, op)
		}
	})
	return ops
}

// TestScenarioPhasesShape runs every phase kind with a t record per step
// and checks the live blocks at the phase boundaries exactly, and churn's
// turnover within 5%.
func TestScenarioPhasesShape(t *testing.T) {
	phases := "ramp:3000:0.5,plateau:1000,peak:4000:0.5,churn:2000,sawtooth:4000:2:0.25,ramp:2000:0"
	text := genText(t, "phases", 1, "live=1000", "phases="+phases, "tick-every=1", "tick-ns=1", "cross-free=0")
	liveAt := map[uint64]int{} // live blocks after step N
	ops := map[uint64]int{}    // a/f records in step N
	frees := map[uint64]int{}
	var now uint64
	replayCheck(t, text, func(op Op, live map[uint64]Op) {
		switch op.Kind {
		case Time:
			now = op.Nanos
			liveAt[now] = len(live)
		case Alloc:
			ops[now+1]++
		case Free:
			ops[now+1]++
			frees[now+1]++
		}
	})
	maxIn := func(a, b uint64) int {
		m := 0
		for s := a; s <= b; s++ {
			m = max(m, liveAt[s])
		}
		return m
	}
	if now != 16000 {
		t.Fatalf("%d steps, want 16000", now)
	}
	check := func(what string, got, want int) {
		t.Helper()
		if got != want {
			t.Errorf("%s: %d live blocks, want %d", what, got, want)
		}
	}
	check("end of ramp", liveAt[3000], 500)
	for s := uint64(3001); s <= 4000; s++ {
		if ops[s] != 0 {
			t.Fatalf("plateau: step %d has %d a/f records", s, ops[s])
		}
	}
	check("top of peak", maxIn(4001, 8000), 1000)
	check("top of peak at the end of its first quarter", liveAt[5000], 1000)
	check("end of peak", liveAt[8000], 500)
	for s := uint64(8001); s <= 10000; s++ {
		if l := liveAt[s]; l < 499 || l > 501 {
			t.Fatalf("churn: step %d: %d live", s, l)
		}
	}
	f := 0
	for s := uint64(8001); s <= 10000; s++ {
		f += frees[s]
	}
	if f < 950 || f > 1050 {
		t.Errorf("churn: %d frees in 2000 steps, want 1000 ± 50", f)
	}
	check("first tooth", maxIn(10001, 12000), 750)
	check("second tooth", maxIn(12001, 14000), 750)
	check("after the first tooth's drop", liveAt[12250], 500)
	check("end", liveAt[16000], 0)
}
