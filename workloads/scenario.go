package workloads

import (
	"fmt"
	"math"
	"sort"
	"strconv"
	"strings"

	"alloclab/allocator"
)

// ScenarioParam is one parameter of a named scenario.
type ScenarioParam struct {
	Name    string
	Default string
	Doc     string
}

// Scenario is a named, parameterised workload generator.
type Scenario struct {
	Name   string
	Doc    string
	Params []ScenarioParam
	build  func(v *paramValues, cfg *GenConfig) (func(g *Generator) bool, error)
}

// commonParams are the parameters every scenario has, with its defaults.
func commonParams(scheds, types, cross, realloc, growth, tickEvery string) []ScenarioParam {
	return []ScenarioParam{
		{"schedulers", scheds, "schedulers of the node (written as '@ schedulers N'); allocations go to 1..N"},
		{"types", types, "allocator types with relative weights, TYPE=W,... (e.g. binary_alloc=3,eheap_alloc=1)"},
		{"cross-free", cross, "probability that a block is freed by another scheduler than the allocating one"},
		{"realloc", realloc, "probability that a step grows a random live block instead of allocating"},
		{"growth", growth, "factor a realloc multiplies the block's size by (append-style buffers)"},
		{"tick-every", tickEvery, "write a 't' record after every N a/r/f records (0: none)"},
		{"tick-ns", "1000", "nanoseconds of simulated time each 't' record advances"},
	}
}

var scenarios = []Scenario{
	{
		Name: "peak-drop",
		Doc: "ramp up to a peak of live blocks, then free all but a fraction at random: " +
			"the survivors stay scattered over the carriers and pin them",
		Params: append([]ScenarioParam{
			{"peak", "20000", "live blocks at the peak"},
			{"survive", "0.05", "fraction of the peak left live after the drop"},
			{"size", "lognormal:6,1", "size distribution (see ParseSizeDist)"},
		}, commonParams("2", "eheap_alloc=1,binary_alloc=1", "0.1", "0", "2", "100")...),
		build: buildPeakDrop,
	},
	{
		Name: "binary-traffic",
		Doc: "binary_alloc traffic: heavy-tailed (pareto) sizes from 65 B to 1 MB, mostly " +
			"short-lived with a long-lived fraction, some appended to (realloc)",
		Params: append([]ScenarioParam{
			{"ops", "200000", "a/r/f records to generate"},
			{"size", "pareto:65,1.2,max=1M", "size distribution (see ParseSizeDist)"},
			{"lifetime", "bimodal:0.95,100,20000", "lifetime distribution (see ParseLifetime)"},
		}, commonParams("2", "binary_alloc=1", "0.2", "0.05", "2", "100")...),
		build: buildSteady(false),
	},
	{
		Name: "scheduler-shift",
		Doc: "load moving from one scheduler to another: the share of allocations made by " +
			"'to' grows linearly from 0 to 1 over the run",
		Params: append([]ScenarioParam{
			{"ops", "200000", "a/r/f records to generate"},
			{"from", "1", "scheduler the load starts on"},
			{"to", "2", "scheduler the load ends on"},
			{"size", "lognormal:5,1", "size distribution (see ParseSizeDist)"},
			{"lifetime", "exp:2000", "lifetime distribution (see ParseLifetime)"},
		}, commonParams("2", "eheap_alloc=2,binary_alloc=1", "0.05", "0", "2", "100")...),
		build: buildSteady(true),
	},
	{
		Name: "ets-churn",
		Doc: "an ETS table of fixed-size objects (1 M of 512 B by default): insert 'objects', then " +
			"'rounds' times delete a fraction at random and re-insert as many",
		Params: append([]ScenarioParam{
			{"objects", "1000000", "objects inserted first"},
			{"delete", "0.5", "fraction of the objects deleted (at random) each round"},
			{"rounds", "2", "delete/re-insert rounds"},
			{"size", "fixed:512", "object size distribution (see ParseSizeDist)"},
		}, commonParams("2", "ets_alloc=1", "0.1", "0", "2", "100")...),
		build: buildETSChurn,
	},
	{
		Name: "process-churn",
		Doc: "eheap_alloc process heaps: processes spawn with min-heap words, each GC allocates " +
			"a new heap (the next size of the runtime's heap-size sequence while the process " +
			"grows, the same size after) and frees the old one, and processes exit and are " +
			"replaced; heap sizes are words of 8 bytes",
		Params: []ScenarioParam{
			{"ops", "200000", "a/r/f records to generate"},
			{"processes", "1000", "processes alive at a time"},
			{"heap", "lognormal:7,1.5", "distribution of the heap size, in words, each process grows to (rounded up to the sequence; see ParseSizeDist)"},
			{"gcs", "20", "mean number of GCs in a process's life (it exits after a GC with probability 1/gcs)"},
			{"min-heap", "233", "min_heap_size in words (+hms), rounded up to the sequence"},
			{"schedulers", "2", "schedulers of the node; each process stays on the one it was spawned on"},
			{"cross-free", "0", "probability that a heap is freed by another scheduler (the process migrated)"},
			{"tick-every", "100", "write a 't' record after every N a/r/f records (0: none)"},
			{"tick-ns", "1000", "nanoseconds of simulated time each 't' record advances"},
		},
		build: buildProcessChurn,
	},
	{
		Name: "phases",
		Doc: "a phase list over simulated time: ramps, plateaus, churn, peaks and sawtooths of " +
			"live blocks (Wilson et al.'s program shapes); level 1 is 'live' blocks",
		Params: append([]ScenarioParam{
			{"phases", "ramp:200ms:0.5,plateau:2s,peak:200ms:0.5,churn:200ms,sawtooth:400ms:4:0.25,ramp:100ms:0.1",
				"phase list KIND:DURATION[:ARG],... (ramp:D[:TO], plateau:D, churn:D, peak:D[:H], sawtooth:D[:N[:H]]; D in steps, or ns/us/ms/s at tick-ns/tick-every per step)"},
			{"live", "10000", "live blocks at level 1"},
			{"size", "lognormal:6,1", "size distribution (see ParseSizeDist)"},
		}, phaseCommonParams()...),
		build: buildPhases,
	},
}

// phaseCommonParams: the common parameters without realloc and growth,
// and with ticks of 1 ms every 100 steps (10 µs a step).
func phaseCommonParams() []ScenarioParam {
	var ps []ScenarioParam
	for _, p := range commonParams("2", "eheap_alloc=1,binary_alloc=1", "0.1", "", "", "100") {
		switch p.Name {
		case "realloc", "growth":
			continue
		case "tick-ns":
			p.Default = "1000000"
		}
		ps = append(ps, p)
	}
	return ps
}

// Scenarios returns the named scenarios, sorted by name.
func Scenarios() []Scenario {
	s := append([]Scenario(nil), scenarios...)
	sort.Slice(s, func(i, j int) bool { return s[i].Name < s[j].Name })
	return s
}

// LookupScenario returns the scenario called name.
func LookupScenario(name string) (Scenario, bool) {
	for _, s := range scenarios {
		if s.Name == name {
			return s, true
		}
	}
	return Scenario{}, false
}

// ParamNames lists the scenario's parameter names.
func (s Scenario) ParamNames() []string {
	n := make([]string, len(s.Params))
	for i, p := range s.Params {
		n[i] = p.Name
	}
	return n
}

// ParseSet splits a "key=value" override.
func ParseSet(kv string) (key, value string, err error) {
	k, v, ok := strings.Cut(kv, "=")
	k = strings.TrimSpace(k)
	if !ok || k == "" {
		return "", "", fmt.Errorf("--set %q: expected KEY=VALUE", kv)
	}
	return k, strings.TrimSpace(v), nil
}

type paramValues struct {
	scenario string
	m        map[string]string
	err      error
}

func (v *paramValues) fail(key, format string, args ...any) {
	if v.err == nil {
		v.err = fmt.Errorf("%s: %s=%q: %s", v.scenario, key, v.m[key], fmt.Sprintf(format, args...))
	}
}

func (v *paramValues) int(key string, lo, hi int) int {
	n, err := strconv.Atoi(v.m[key])
	if err != nil || n < lo || n > hi {
		v.fail(key, "expected an integer from %d to %d", lo, hi)
		return lo
	}
	return n
}

func (v *paramValues) prob(key string) float64 {
	x, err := strconv.ParseFloat(v.m[key], 64)
	if err != nil || !(x >= 0 && x <= 1) {
		v.fail(key, "expected a probability from 0 to 1")
		return 0
	}
	return x
}

func (v *paramValues) float(key string, lo, hi float64) float64 {
	x, err := strconv.ParseFloat(v.m[key], 64)
	if err != nil || !(x >= lo && x <= hi) {
		v.fail(key, "expected a number from %g to %g", lo, hi)
		return lo
	}
	return x
}

func (v *paramValues) size(key string) SizeDist {
	d, err := ParseSizeDist(v.m[key])
	if err != nil {
		v.fail(key, "%v", err)
		return fixedDist{1}
	}
	return d
}

func (v *paramValues) lifetime(key string) LifetimeDist {
	d, err := ParseLifetime(v.m[key])
	if err != nil {
		v.fail(key, "%v", err)
		return Forever()
	}
	return d
}

func (v *paramValues) types(key string) ([]allocator.Type, []float64) {
	var ts []allocator.Type
	var ws []float64
	for _, part := range strings.Split(v.m[key], ",") {
		name, w, hasW := strings.Cut(strings.TrimSpace(part), "=")
		t, ok := allocator.ParseType(name)
		if !ok || t == allocator.Literal || t == allocator.Test || t == allocator.Fix {
			v.fail(key, "type %q: expected TYPE=WEIGHT,... with TYPE an allocator such as binary_alloc (not literal_alloc, fix_alloc or test_alloc)", name)
			return []allocator.Type{allocator.STD}, nil
		}
		x := 1.0
		if hasW {
			var err error
			x, err = strconv.ParseFloat(w, 64)
			if err != nil || !(x > 0) || math.IsInf(x, 0) {
				v.fail(key, "weight %q of %s: expected a positive number", w, name)
				return []allocator.Type{allocator.STD}, nil
			}
		}
		ts = append(ts, t)
		ws = append(ws, x)
	}
	return ts, ws
}

// NewScenarioGenerator builds the generator of scenario name with seed and
// the overrides in set (KEY=VALUE, later wins); it also returns the
// effective parameter values in parameter order. Unknown scenarios, keys
// and bad values are errors that say what was expected.
func NewScenarioGenerator(name string, seed uint64, set []string) (*Generator, []string, error) {
	sc, ok := LookupScenario(name)
	if !ok {
		names := make([]string, 0, len(scenarios))
		for _, s := range Scenarios() {
			names = append(names, s.Name)
		}
		return nil, nil, fmt.Errorf("unknown scenario %q (known: %s)", name, strings.Join(names, ", "))
	}
	v := &paramValues{scenario: name, m: map[string]string{}}
	for _, p := range sc.Params {
		v.m[p.Name] = p.Default
	}
	for _, kv := range set {
		k, val, err := ParseSet(kv)
		if err != nil {
			return nil, nil, err
		}
		if _, ok := v.m[k]; !ok {
			return nil, nil, fmt.Errorf("%s: unknown parameter %q (known: %s)", name, k, strings.Join(sc.ParamNames(), ", "))
		}
		v.m[k] = val
	}
	cfg := GenConfig{Seed: seed}
	has := func(k string) bool { _, ok := v.m[k]; return ok }
	cfg.Schedulers = v.int("schedulers", 1, allocator.MaxSchedulers)
	if has("types") {
		cfg.Types, cfg.TypeWeights = v.types("types")
	}
	cfg.CrossFree = v.prob("cross-free")
	if has("realloc") {
		cfg.Realloc = v.prob("realloc")
		cfg.Growth = v.float("growth", 1, 1e6)
	}
	cfg.TickEvery = v.int("tick-every", 0, math.MaxInt32)
	cfg.TickNanos = uint64(v.int("tick-ns", 0, math.MaxInt32))
	if has("size") {
		cfg.Size = v.size("size")
	}
	step, err := sc.build(v, &cfg)
	if v.err != nil {
		return nil, nil, v.err
	}
	if err != nil {
		return nil, nil, err
	}
	eff := make([]string, len(sc.Params))
	for i, p := range sc.Params {
		eff[i] = p.Name + "=" + v.m[p.Name]
	}
	dirs := []Op{
		{Kind: Directive, Key: "source", Value: fmt.Sprintf("alloclab gen %s seed=%d %s", name, seed, strings.Join(eff, " "))},
		{Kind: Directive, Key: "schedulers", Value: strconv.Itoa(cfg.Schedulers)},
	}
	return NewGenerator(cfg, dirs, step), eff, nil
}

func buildPeakDrop(v *paramValues, cfg *GenConfig) (func(*Generator) bool, error) {
	peak := v.int("peak", 1, 1<<26)
	survive := v.prob("survive")
	survivors := int(math.Round(float64(peak) * survive))
	ramping := true
	return func(g *Generator) bool {
		if ramping {
			if g.Live() < peak {
				if cfg.Realloc > 0 && g.Rand().Float64() < cfg.Realloc && g.ReallocRandom() {
					return true
				}
				g.Alloc(g.PickType(), g.PickSched(nil), NeverFreed)
				return true
			}
			ramping = false
		}
		if g.Live() > survivors {
			g.FreeRandom()
		}
		return g.Live() > survivors
	}, nil
}

func buildSteady(shift bool) func(v *paramValues, cfg *GenConfig) (func(*Generator) bool, error) {
	return func(v *paramValues, cfg *GenConfig) (func(*Generator) bool, error) {
		ops := uint64(v.int("ops", 1, math.MaxInt32))
		cfg.Lifetime = v.lifetime("lifetime")
		if v.err == nil && cfg.Lifetime.Unit() == Nanos && (cfg.TickEvery == 0 || cfg.TickNanos == 0) {
			return nil, fmt.Errorf("%s: lifetime=%q counts nanoseconds: time only advances with tick-every and tick-ns > 0", v.scenario, v.m["lifetime"])
		}
		var from, to int
		var w []float64
		if shift {
			from = v.int("from", 1, cfg.Schedulers)
			to = v.int("to", 1, cfg.Schedulers)
			w = make([]float64, cfg.Schedulers)
		}
		return func(g *Generator) bool {
			if g.Records() >= ops {
				return false
			}
			if shift {
				p := float64(g.Records()) / float64(ops)
				clear(w)
				w[from-1] += 1 - p
				w[to-1] += p
				g.SteadyStep(w)
			} else {
				g.SteadyStep(nil)
			}
			return g.Records() < ops
		}, nil
	}
}

func buildETSChurn(v *paramValues, cfg *GenConfig) (func(*Generator) bool, error) {
	objects := v.int("objects", 1, 1<<26)
	del := int(math.Round(float64(objects) * v.prob("delete")))
	rounds := v.int("rounds", 0, 1<<20)
	round, deleted, inserted := 0, 0, 0
	filling := true
	return func(g *Generator) bool {
		if filling {
			if g.Live() < objects {
				g.Alloc(g.PickType(), g.PickSched(nil), NeverFreed)
				return true
			}
			filling = false
		}
		if round >= rounds {
			return false
		}
		switch {
		case deleted < del:
			g.FreeRandom()
			deleted++
		case inserted < del:
			g.Alloc(g.PickType(), g.PickSched(nil), NeverFreed)
			inserted++
		}
		if deleted >= del && inserted >= del {
			round++
			deleted, inserted = 0, 0
		}
		return round < rounds
	}, nil
}
