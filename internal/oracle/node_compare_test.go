package oracle

import (
	"slices"
	"strings"
	"testing"
)

// cloneNode copies a report through its text.
func cloneNode(t *testing.T, r *NodeReport) *NodeReport {
	t.Helper()
	c, err := ParseNodeReport([]byte(r.Format()))
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func setStat(t *testing.T, r *NodeReport, key string, vals ...int64) {
	t.Helper()
	for i := range r.Stats {
		if r.Stats[i].NodeStatKey.String() == key {
			r.Stats[i].Values = vals
			return
		}
	}
	t.Fatalf("no stat %s", key)
}

func dropStat(t *testing.T, r *NodeReport, key string) {
	t.Helper()
	n := len(r.Stats)
	r.Stats = slices.DeleteFunc(r.Stats, func(s NodeStat) bool { return s.NodeStatKey.String() == key })
	if len(r.Stats) != n-1 {
		t.Fatalf("no stat %s", key)
	}
}

func TestCompareNodeSelf(t *testing.T) {
	r := readNode(t, "route.delta")
	c := CompareNode(r, cloneNode(t, r), CompareOpts{})
	if !c.OK() || c.Counts[Agree] != len(r.Stats)+len(r.Checks) || len(c.Differences()) != 0 {
		t.Errorf("self comparison: %s", c)
	}
	// with every tag, including M, O, C0 and C lines
	all := CompareOpts{Tags: []string{"M", "O", "I", "D", "X", "C0", "C"}}
	if c := CompareNode(r, cloneNode(t, r), all); !c.OK() || len(c.Keys) != len(r.Lines()) {
		t.Errorf("self comparison, all tags: %d keys of %d: %s", len(c.Keys), len(r.Lines()), c)
	}
}

func TestCompareNodeDifferences(t *testing.T) {
	o := readNode(t, "pool_roundtrip.pooled.delta")
	s := cloneNode(t, o)
	setStat(t, s, "binary_alloc 1 mbcs carriers", 0, 4)
	dropStat(t, s, "binary_alloc 1 mbcs_pool skip_race")
	s.Stats = append(s.Stats, NodeStat{Tag: "D", NodeStatKey: NodeStatKey{"binary_alloc", 1, "mbcs_pool", "made_up"}, Values: []int64{1}})
	s.Checks[0].Allocator, s.Checks[0].OK = 4, false
	c := CompareNode(o, s, CompareOpts{})
	if c.OK() {
		t.Fatal("differences not found")
	}
	got := map[string]Verdict{}
	for _, d := range c.Differences() {
		got[d.Key] = d.Verdict
	}
	want := map[string]Verdict{
		"D binary_alloc 1 mbcs carriers":       Differ,
		"D binary_alloc 1 mbcs_pool skip_race": OnlyOracle,
		"D binary_alloc 1 mbcs_pool made_up":   OnlySim,
		"X binary_alloc live_blocks":           Differ,
	}
	if len(got) != len(want) {
		t.Errorf("differences %v, want %v", got, want)
	}
	for k, v := range want {
		if got[k] != v {
			t.Errorf("%s: %q, want %q", k, got[k], v)
		}
	}
	text := c.String()
	for _, w := range []string{"2 differ, 1 only in the oracle, 1 only in the simulator", "oracle 0 5", "sim 0 4", "sim (absent)", "only-sim"} {
		if !strings.Contains(text, w) {
			t.Errorf("comparison text lacks %q:\n%s", w, text)
		}
	}
	if n := len(c.Agreements()); n != c.Counts[Agree] || n == 0 {
		t.Errorf("%d agreements", n)
	}
	// Skip leaves keys out
	c = CompareNode(o, s, CompareOpts{Skip: func(k string) bool { return strings.Contains(k, "mbcs_pool") || k[0] == 'X' }})
	if len(c.Differences()) != 1 {
		t.Errorf("with Skip: %s", c)
	}
}

// Noise over synthetic runs: one key varies, one start state differs; a
// simulated value inside the range is within noise, outside it differs,
// and stable keys must agree exactly.
func TestNoiseOfAndCompare(t *testing.T) {
	base := readNode(t, "route.delta")
	const vary = "binary_alloc 1 calls mseg_alloc"
	var runs []*NodeReport
	for i, v := range []int64{2, 0, 4, 2} {
		r := cloneNode(t, base)
		setStat(t, r, vary, v)
		if i == 3 {
			r.Meta.StartCarriers = "00000001"
			dropStat(t, r, "driver_alloc 2 calls sys_free")
		}
		runs = append(runs, r)
	}
	nr := NoiseOf(runs)
	k, ok := nr.Key("D " + vary)
	if !ok || k.Stable || k.Variants != 3 || k.Top != 2 || k.Fields[0].String() != "0..4" || !k.Fields[0].Numeric {
		t.Errorf("varying key %+v", k)
	}
	if !nr.Stable("D binary_alloc 1 calls alloc") || nr.Stable("M start_carriers") || nr.Stable("D driver_alloc 2 calls sys_free") {
		t.Error("stability wrong")
	}
	if v := nr.Varying(); len(v) != 3 {
		t.Errorf("varying %+v", v)
	}
	sc, _ := nr.Key("M start_carriers")
	if sc.Fields[0].Numeric || !slices.Equal(sc.Fields[0].Strings, []string{"00000001", "811adcd4"}) {
		t.Errorf("start_carriers range %+v", sc.Fields[0])
	}
	g := nr.StartGroups()
	if len(g) != 2 || !slices.Equal(g[0].Runs, []int{0, 1, 2}) || g[0].Distinct != 3 || g[1].Distinct != 1 {
		t.Errorf("start groups %+v", g)
	}
	text := nr.String()
	if !strings.Contains(text, "runs 4, keys ") || !strings.Contains(text, "0..4") || !strings.Contains(text, "absent in 1 runs") {
		t.Errorf("noise text:\n%s", text)
	}
	if dx := NoiseOf(runs, "D", "X"); len(dx.Varying()) != 2 || len(dx.Keys) != len(base.Stats)+len(base.Checks) {
		t.Errorf("D,X noise: %d keys, varying %+v", len(dx.Keys), dx.Varying())
	}

	sim := cloneNode(t, base)
	setStat(t, sim, vary, 3)
	c := CompareNode(runs[0], sim, CompareOpts{Noise: nr})
	if !c.OK() || c.Counts[WithinNoise] != 1 {
		t.Errorf("within noise: %s", c)
	}
	if !strings.Contains(c.String(), "oracle runs: 0..4, 3 variants in 4 runs") {
		t.Errorf("text:\n%s", c)
	}
	setStat(t, sim, vary, 5)
	if c := CompareNode(runs[0], sim, CompareOpts{Noise: nr}); c.OK() || c.Counts[Differ] != 1 {
		t.Errorf("outside noise: %s", c)
	}
	setStat(t, sim, vary, 2)
	setStat(t, sim, "binary_alloc 1 calls alloc", 21)
	if c := CompareNode(runs[0], sim, CompareOpts{Noise: nr}); c.Counts[Differ] != 1 || c.Differences()[0].Key != "D binary_alloc 1 calls alloc" {
		t.Errorf("stable key: %s", c)
	}
	// a key absent in some oracle runs may be absent in the simulation
	setStat(t, sim, "binary_alloc 1 calls alloc", 20)
	dropStat(t, sim, "driver_alloc 2 calls sys_free")
	if c := CompareNode(runs[0], sim, CompareOpts{Noise: nr}); !c.OK() || c.Counts[WithinNoise] != 1 {
		t.Errorf("absent key: %s", c)
	}
	// ... and present in the simulation when the oracle's report lacks it
	// (the base has mseg_alloc 0, run 4 has 2: inside 0..4 too)
	if c := CompareNode(runs[3], cloneNode(t, base), CompareOpts{Noise: nr}); !c.OK() || c.Counts[WithinNoise] != 2 || c.Counts[Agree] != len(c.Keys)-2 {
		t.Errorf("sim-only key: %s", c)
	}
}
