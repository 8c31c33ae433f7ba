package refc

import (
	"fmt"
	"maps"
	"math/rand/v2"
	"slices"
	"strconv"
	"strings"
)

// Scenarios: the facts' §5 leaks as programs on a Node, with their fixes
// as switches. A run is: the scenario's traffic (sampling the memory
// timeline), 1.5 s idle, proc_count / proc_window / the diagnosis,
// bin_leak(N), 1 s, and the memory again — the facts' measuring recipe
// (Appendix C).

// Param is a scenario parameter: --set Name=Value.
type Param struct {
	Name, Default, Doc string
}

// FixDoc is a fix: --fix Name.
type FixDoc struct {
	Name, Doc string
}

// Scenario is a named leak.
type Scenario struct {
	Name   string
	Facts  string // the facts section it reproduces
	Doc    string
	Params []Param
	Fixes  []FixDoc
	run    func(r *Run) error
}

// commonParams apply to every scenario: the node.
var commonParams = []Param{
	{"schedulers", "2", "+S: normal schedulers"},
	{"flags", "", "+M allocator flags in erl syntax, e.g. \"+MBas aobf +MBacul 0\""},
	{"hmbs", "0", "+hmbs: system min_bin_vheap_size in words (0: the default 46422; rounded up to a heap size)"},
}

// hmbsFix is the +hmbs fix every scenario with processes offers.
var hmbsFix = FixDoc{"hmbs", "start the node with +hmbs 2500 (min_bin_vheap_size 2586 words ≈ 20 KB): every process collects after a few binaries (CPU on all processes)"}

// Scenarios lists the scenarios in the facts' order.
func Scenarios() []*Scenario {
	return []*Scenario{sessionsScenario(), routerScenario(), slicesScenario(), logfileScenario(), backlogScenario(), notReturnedScenario()}
}

// Lookup finds a scenario by name.
func Lookup(name string) (*Scenario, bool) {
	for _, s := range Scenarios() {
		if s.Name == name {
			return s, true
		}
	}
	return nil, false
}

// Options select a run.
type Options struct {
	Set   map[string]string
	Fixes []string
	Seed  uint64
	Top   int // N of bin_leak, proc_count, proc_window (default 3)
}

// Point is one timeline sample.
type Point struct {
	Ms    uint64
	Label string
	Mem   Memory
}

// Run is a scenario running: its node, parameters and timeline.
type Run struct {
	Node     *Node
	sc       *Scenario
	vals     map[string]string
	fix      map[string]bool
	rng      *rand.Rand
	timeline []Point
	window   *Sample
	extra    []Value
	// keep, keepEvery: the notreturned scenario's long-lived copies.
	keep      uint64
	keepEvery int64
}

// Value is a named scenario-specific measurement (a holder's vheap, an
// ETS table's memory...).
type Value struct {
	Name  string
	Value uint64
}

// Result is what a run measured.
type Result struct {
	Scenario string
	Facts    string
	Params   []Param // with the values used
	Fixes    []string
	Seed     uint64
	Timeline []Point
	// Before is the memory after the traffic and 1.5 s idle.
	Before     Memory
	ProcCount  []ProcStat
	ProcWindow []ProcStat
	WindowMs   uint64
	Diagnosis  Diagnosis
	BinLeak    []ProcStat
	// After is the memory 1 s after bin_leak.
	After Memory
	Extra []Value
}

// Value returns the scenario-specific measurement name (0 if absent).
func (r *Result) Value(name string) uint64 {
	for _, v := range r.Extra {
		if v.Name == name {
			return v.Value
		}
	}
	return 0
}

// Execute runs scenario sc with options o.
func (sc *Scenario) Execute(o Options) (*Result, error) {
	r := &Run{sc: sc, vals: map[string]string{}, fix: map[string]bool{}}
	for _, p := range append(slices.Clone(commonParams), sc.Params...) {
		r.vals[p.Name] = p.Default
	}
	for _, k := range sortedKeys(o.Set) {
		if _, ok := r.vals[k]; !ok {
			return nil, errorf("%s: unknown parameter %q (parameters: %s)", sc.Name, k, strings.Join(sc.paramNames(), ", "))
		}
		r.vals[k] = o.Set[k]
	}
	for _, f := range o.Fixes {
		if !slices.ContainsFunc(sc.Fixes, func(d FixDoc) bool { return d.Name == f }) {
			return nil, errorf("%s: unknown fix %q (fixes: %s)", sc.Name, f, strings.Join(sc.fixNames(), ", "))
		}
		r.fix[f] = true
	}
	top := o.Top
	if top == 0 {
		top = 3
	}
	if top < 0 || top > 1000 {
		return nil, errorf("top %d: must be 1..1000", top)
	}
	r.rng = rand.New(rand.NewPCG(o.Seed, 0x5eed))
	scheds, err := r.Int("schedulers", 1, 64)
	if err != nil {
		return nil, err
	}
	hmbs, err := r.Int("hmbs", 0, 1<<30)
	if err != nil {
		return nil, err
	}
	if r.fix["hmbs"] && o.Set["hmbs"] == "" {
		hmbs = 2500
		r.vals["hmbs"] = "2500"
	}
	node, err := NewNode(Config{Schedulers: int(scheds), Flags: r.vals["flags"], HMBS: uint64(hmbs)})
	if err != nil {
		return nil, err
	}
	r.Node = node
	r.Sample("start")
	if err := sc.run(r); err != nil {
		return nil, err
	}
	res := &Result{Scenario: sc.Name, Facts: sc.Facts, Fixes: slices.Sorted(maps.Keys(r.fix)), Seed: o.Seed}
	for _, p := range append(slices.Clone(commonParams), sc.Params...) {
		p.Default = r.vals[p.Name]
		res.Params = append(res.Params, p)
	}
	node.Sleep(1500)
	r.Sample("idle 1.5 s")
	res.Before = node.Memory()
	res.ProcCount = node.ProcCount(top)
	if r.window != nil {
		res.ProcWindow, res.WindowMs = ProcWindow(*r.window, node.SampleProcs(), top)
	}
	res.Diagnosis = node.Diagnose()
	if res.BinLeak, err = node.BinLeak(top); err != nil {
		return nil, err
	}
	node.Sleep(1000)
	r.Sample("bin_leak + 1 s")
	res.After = node.Memory()
	res.Timeline, res.Extra = r.timeline, r.extra
	return res, nil
}

func (sc *Scenario) paramNames() []string {
	var ns []string
	for _, p := range append(slices.Clone(commonParams), sc.Params...) {
		ns = append(ns, p.Name)
	}
	return ns
}

func (sc *Scenario) fixNames() []string {
	var ns []string
	for _, f := range sc.Fixes {
		ns = append(ns, f.Name)
	}
	if len(ns) == 0 {
		return []string{"(none)"}
	}
	return ns
}

func sortedKeys(m map[string]string) []string { return slices.Sorted(maps.Keys(m)) }

// Int reads integer parameter name, which must lie in [lo, hi].
func (r *Run) Int(name string, lo, hi int64) (int64, error) {
	s := r.vals[name]
	v, err := strconv.ParseInt(strings.ReplaceAll(s, "_", ""), 10, 64)
	if err != nil {
		return 0, errorf("%s: parameter %s=%q is not an integer", r.sc.Name, name, s)
	}
	if v < lo || v > hi {
		return 0, errorf("%s: parameter %s=%d out of range %d..%d", r.sc.Name, name, v, lo, hi)
	}
	return v, nil
}

// ints reads several integer parameters at once.
func (r *Run) ints(specs ...intSpec) (map[string]int64, error) {
	out := map[string]int64{}
	for _, s := range specs {
		v, err := r.Int(s.name, s.lo, s.hi)
		if err != nil {
			return nil, err
		}
		out[s.name] = v
	}
	return out, nil
}

type intSpec struct {
	name   string
	lo, hi int64
}

// Choice reads a parameter that must be one of choices.
func (r *Run) Choice(name string, choices ...string) (string, error) {
	v := r.vals[name]
	if !slices.Contains(choices, v) {
		return "", errorf("%s: parameter %s=%q: must be one of %s", r.sc.Name, name, v, strings.Join(choices, ", "))
	}
	return v, nil
}

// Fix reports whether fix name is on.
func (r *Run) Fix(name string) bool { return r.fix[name] }

// Sample records the memory now on the timeline.
func (r *Run) Sample(label string) {
	r.Node.Sys.Settle()
	r.timeline = append(r.timeline, Point{r.Node.now / 1e6, label, r.Node.Memory()})
}

// StartWindow takes proc_window's first sample.
func (r *Run) StartWindow() {
	s := r.Node.SampleProcs()
	r.window = &s
}

// Record keeps a scenario-specific measurement.
func (r *Run) Record(name string, v uint64) { r.extra = append(r.extra, Value{name, v}) }

// Advance moves the clock by ms milliseconds without settling.
func (r *Run) Advance(ms uint64) {
	r.Node.now += ms * 1e6
	r.Node.Sys.Advance(r.Node.now)
}

// String describes the run's parameters.
func (res *Result) String() string {
	var ps []string
	for _, p := range res.Params {
		ps = append(ps, fmt.Sprintf("%s=%s", p.Name, p.Default))
	}
	return fmt.Sprintf("%s %s fixes=%v seed=%d", res.Scenario, strings.Join(ps, " "), res.Fixes, res.Seed)
}
