package workloads

import (
	"math"
	"slices"
	"strings"
	"testing"

	"alloclab/allocator"
)

// policyRun generates n steady steps (SteadyStep) with lifetime spec and
// returns, per block ID, its allocation and free step (free -1: live at
// the end) and the IDs in the order they were freed.
func policyRun(t *testing.T, spec string, n int, seed uint64) (alloc, free map[uint64]int64, order []uint64) {
	t.Helper()
	lt, err := ParseLifetime(spec)
	if err != nil {
		t.Fatal(err)
	}
	cfg := GenConfig{Seed: seed, Schedulers: 1, Types: []allocator.Type{allocator.STD}, Size: MustSize(Fixed(64)), Lifetime: lt}
	g := NewGenerator(cfg, nil, func(g *Generator) bool {
		g.SteadyStep(nil)
		return g.Records() < uint64(n)
	})
	alloc, free = map[uint64]int64{}, map[uint64]int64{}
	step := int64(0)
	for g.Scan() {
		op := g.Op()
		switch op.Kind {
		case Alloc:
			alloc[op.ID] = step
			free[op.ID] = -1
			step++
		case Free:
			free[op.ID] = step
			order = append(order, op.ID)
			step++
		}
	}
	return alloc, free, order
}

// TestLifetimeFIFO: blocks die in allocation order; deaths fall due as
// with exp:1000 alone, so the live set is the same and (Little's law) so is
// the mean lifetime: 1000 steps within 5%.
func TestLifetimeFIFO(t *testing.T) {
	alloc, free, order := policyRun(t, "fifo:exp:1000", 60000, 3)
	for i := 1; i < len(order); i++ {
		if order[i] <= order[i-1] {
			t.Fatalf("free %d: ID %d after %d: not in allocation order", i, order[i], order[i-1])
		}
	}
	var sum float64
	n := 0
	for id, f := range free {
		if f >= 0 && alloc[id] > 10000 && alloc[id] < 40000 {
			sum += float64(f - alloc[id])
			n++
		}
	}
	// Lifetimes count steps (allocs and frees), about 2 per allocation.
	mean := sum / float64(n)
	t.Logf("mean fifo lifetime %.1f steps over %d blocks", mean, n)
	if math.Abs(mean-1000) > 50 {
		t.Fatalf("mean fifo lifetime %.1f steps, want 1000 ± 50", mean)
	}
}

// TestLifetimeLIFO: every free is of the youngest live block (a stack),
// and lifetimes are shorter than exp's on average.
func TestLifetimeLIFO(t *testing.T) {
	alloc, free, _ := policyRun(t, "lifo:exp:1000", 40000, 4)
	type ev struct {
		step int64
		id   uint64
		free bool
	}
	evs := make([]ev, 0, 2*len(alloc))
	for id, a := range alloc {
		evs = append(evs, ev{a, id, false})
		if f := free[id]; f >= 0 {
			evs = append(evs, ev{f, id, true})
		}
	}
	byStep := make([]ev, 0, len(evs))
	byStep = append(byStep, make([]ev, len(evs))...)
	for _, e := range evs {
		byStep[e.step] = e
	}
	var stack []uint64
	var sum float64
	nf := 0
	for _, e := range byStep {
		if !e.free {
			stack = append(stack, e.id)
			continue
		}
		if len(stack) == 0 || stack[len(stack)-1] != e.id {
			t.Fatalf("step %d: frees %d, not the youngest live block", e.step, e.id)
		}
		stack = stack[:len(stack)-1]
		sum += float64(e.step - alloc[e.id])
		nf++
	}
	if nf < 15000 {
		t.Fatalf("only %d frees", nf)
	}
	if mean := sum / float64(nf); mean >= 1000 {
		t.Fatalf("mean lifo lifetime %.1f, want < 1000", mean)
	}
}

// TestLifetimeCohort: blocks die in whole cohorts of N consecutive IDs,
// one cohort after the other; the lifetime of a cohort (from its first
// allocation to its first free) is exp:3000's within 4 standard errors
// plus the N steps a cohort takes to fill at most.
func TestLifetimeCohort(t *testing.T) {
	const n = 50
	alloc, free, order := policyRun(t, "cohort:50,exp:3000", 200000, 5)
	for i := 0; i < len(order); i += n {
		c := (order[i] - 1) / n
		for j := i; j < min(i+n, len(order)); j++ {
			if (order[j]-1)/n != c {
				t.Fatalf("free %d: ID %d of cohort %d among cohort %d's", j, order[j], (order[j]-1)/n, c)
			}
		}
	}
	var xs []float64
	for c := uint64(0); ; c++ {
		first := c*n + 1
		a, ok := alloc[first]
		if !ok {
			break
		}
		f := free[first]
		if f < 0 || a > 100000 {
			break
		}
		xs = append(xs, float64(f-a))
	}
	sum := 0.0
	for _, x := range xs {
		sum += x
	}
	mean := sum / float64(len(xs))
	tol := 4*3000/math.Sqrt(float64(len(xs))) + n
	if math.Abs(mean-3000) > tol {
		t.Fatalf("cohort lifetime mean %.0f over %d cohorts, want 3000 ± %.0f", mean, len(xs), tol)
	}
}

func TestParseLifetimePolicies(t *testing.T) {
	for _, c := range []struct{ in, str string }{
		{"cohort:100,exp:5000", "cohort:100,exp:5000"},
		{"cohort:3,bimodal:0.9,10,100", "cohort:3,bimodal:0.9,10,100"},
		{"lifo:exp:1ms", "lifo:exp:1e+06ns"},
		{"fifo:fixed:10", "fifo:fixed:10"},
		{"fifo:forever", "fifo:forever"},
	} {
		d, err := ParseLifetime(c.in)
		if err != nil {
			t.Errorf("%q: %v", c.in, err)
			continue
		}
		if d.String() != c.str {
			t.Errorf("%q: String %q, want %q", c.in, d, c.str)
		}
		if d2, err := ParseLifetime(d.String()); err != nil || d2.String() != d.String() {
			t.Errorf("%q: round trip %v %v", c.in, d2, err)
		}
		if _, ok := d.(lifetimePolicy); !ok {
			t.Errorf("%q: not a policy", c.in)
		}
	}
	for _, c := range []struct{ in, msg string }{
		{"lifo", "lifo: missing ':' and arguments"},
		{"lifo:", "lifo: empty"},
		{"fifo:lifo:exp:1", `fifo: inner lifetime "lifo:exp:1" is itself a policy`},
		{"cohort:5", "cohort: want N,SPEC"},
		{"cohort:0,exp:5", `cohort: N "0": want an integer from 1`},
		{"cohort:x,exp:5", `cohort: N "x"`},
		{"cohort:5,exp:-1", "cohort: exp: MEAN"},
		{"cohort:5,cohort:5,exp:1", "is itself a policy"},
	} {
		_, err := ParseLifetime(c.in)
		if err == nil || !strings.Contains(err.Error(), c.msg) {
			t.Errorf("%q: error %v, want %q", c.in, err, c.msg)
		}
	}
}

// TestLifetimePolicyDeterminism: the same seed gives the same generated
// stream under every policy, and another seed another.
func TestLifetimePolicyDeterminism(t *testing.T) {
	for _, spec := range []string{"cohort:10,exp:500", "lifo:exp:500", "fifo:bimodal:0.9,10,1000"} {
		a1, f1, o1 := policyRun(t, spec, 5000, 9)
		a2, f2, o2 := policyRun(t, spec, 5000, 9)
		_, f3, _ := policyRun(t, spec, 5000, 10)
		if len(a1) != len(a2) || len(f1) != len(f2) || !slices.Equal(o1, o2) {
			t.Fatalf("%s: same seed, different streams", spec)
		}
		for id, s := range f1 {
			if f2[id] != s || a1[id] != a2[id] {
				t.Fatalf("%s: same seed, ID %d differs", spec, id)
			}
		}
		same := len(f1) == len(f3)
		for id, s := range f1 {
			same = same && f3[id] == s
		}
		if same {
			t.Fatalf("%s: seeds 9 and 10 gave the same frees", spec)
		}
	}
}

// TestLifetimeFIFOMemory: the fifo queue stays bounded by the live set
// over a long run.
func TestLifetimeFIFOMemory(t *testing.T) {
	lt, _ := ParseLifetime("fifo:exp:100")
	cfg := GenConfig{Seed: 1, Schedulers: 1, Types: []allocator.Type{allocator.STD}, Size: MustSize(Fixed(64)), Lifetime: lt}
	g := NewGenerator(cfg, nil, func(g *Generator) bool {
		g.SteadyStep(nil)
		return g.Records() < 200000
	})
	peak := 0
	for g.Scan() {
		peak = max(peak, cap(g.order))
	}
	if peak > 4*g.MaxLive()+4096 {
		t.Fatalf("fifo queue grew to %d for at most %d live blocks", peak, g.MaxLive())
	}
}
