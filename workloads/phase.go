package workloads

import (
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"
)

// PhaseKind is the shape of one phase of a phased workload.
type PhaseKind uint8

const (
	PhaseRamp     PhaseKind = iota // the level moves linearly to a new one
	PhasePlateau                   // the level holds and nothing happens: only time passes
	PhaseChurn                     // the level holds with turnover: random frees, each replaced
	PhasePeak                      // a burst of extra blocks, then their drop
	PhaseSawtooth                  // teeth: extra blocks climb to the top, then all die at once
)

var phaseNames = [...]string{"ramp", "plateau", "churn", "peak", "sawtooth"}

func (k PhaseKind) String() string { return phaseNames[k] }

// Phase is one phase: its kind, its length in generator steps (a step
// writes one a/r/f record or, idle, none) and its arguments: ramp's target
// level, peak's and sawtooth's height (Arg), sawtooth's number of teeth
// (Teeth).
type Phase struct {
	Kind  PhaseKind
	Steps uint64
	Arg   float64
	Teeth uint64
	spec  string // as written
}

// Phases is a phase list, run one after the other.
type Phases []Phase

func (p Phases) String() string {
	s := make([]string, len(p))
	for i, ph := range p {
		s[i] = ph.spec
	}
	return strings.Join(s, ",")
}

// Steps is the total length of the phases in steps.
func (p Phases) Steps() uint64 {
	var n uint64
	for _, ph := range p {
		n += ph.Steps
	}
	return n
}

const phaseKinds = "ramp, plateau, churn, peak, sawtooth"

// maxPhaseSteps bounds a phase's length (2^40 steps).
const maxPhaseSteps = 1 << 40

// ParsePhases reads a phase list, PHASE,PHASE,... with PHASE one of
//
//	ramp:D[:TO]        the level goes linearly from where it is to TO (0..1, default 1)
//	plateau:D          the level holds; nothing is allocated or freed, time passes
//	churn:D            the level holds; live blocks are freed at random and replaced
//	peak:D[:H]         H (0..1, default 0.5) of level 1 in extra blocks, allocated
//	                   over the first quarter of D and freed at random times
//	                   over the rest: a burst, then the drop
//	sawtooth:D[:N[:H]] N teeth (default 4) of H (default 0.25) of level 1 in
//	                   extra blocks, climbing linearly over each tooth, all
//	                   freed (in random order) at its end
//
// D is a number of steps (a plain number, or with the suffix ops), or a
// simulated time (ns, us, µs, ms, s) converted to steps at stepNanos
// nanoseconds per step (0: time units are refused). The level starts at 0;
// level 1 is the scenario's "live" blocks. Each step writes at most one
// a/r/f record (a step is the time of one operation), so a shape needs
// at least as many steps as it has blocks to allocate and free; due frees
// come first, and a shape that does not fit is flattened.
func ParsePhases(s string, stepNanos float64) (Phases, error) {
	if strings.TrimSpace(s) == "" {
		return nil, fmt.Errorf("phases %q: empty: want KIND:DURATION[:ARG],... with KIND one of %s", s, phaseKinds)
	}
	var ps Phases
	for i, part := range strings.Split(s, ",") {
		p, err := parsePhase(strings.TrimSpace(part), stepNanos)
		if err != nil {
			return nil, fmt.Errorf("phases %q: phase %d %q: %w", s, i+1, part, err)
		}
		ps = append(ps, p)
	}
	return ps, nil
}

func parsePhase(s string, stepNanos float64) (Phase, error) {
	f := strings.Split(s, ":")
	k := -1
	for i, n := range phaseNames {
		if f[0] == n {
			k = i
		}
	}
	if k < 0 {
		return Phase{}, fmt.Errorf("unknown kind %q: want one of %s", f[0], phaseKinds)
	}
	p := Phase{Kind: PhaseKind(k), spec: s}
	want := map[PhaseKind]string{PhaseRamp: "[:TO]", PhasePeak: "[:H]", PhaseSawtooth: "[:N[:H]]"}[p.Kind]
	maxArgs := 2 + strings.Count(want, ":")
	if len(f) < 2 || len(f) > maxArgs {
		return Phase{}, fmt.Errorf("want %s:DURATION%s", f[0], want)
	}
	x, unit, err := durationArg(f[0], "DURATION", f[1])
	if err != nil {
		return Phase{}, err
	}
	if unit == Nanos {
		if !(stepNanos > 0) {
			return Phase{}, errors.New("a duration in time units needs ticks (tick-every and tick-ns > 0): give a number of steps instead")
		}
		x = math.Ceil(x / stepNanos)
	}
	if x != math.Trunc(x) || x < 1 || x > maxPhaseSteps {
		return Phase{}, fmt.Errorf("DURATION %q: want a whole number of steps from 1 to 2^40 (or a time that is)", f[1])
	}
	p.Steps = uint64(x)
	switch p.Kind {
	case PhaseRamp:
		p.Arg = 1
	case PhasePeak:
		p.Arg = 0.5
	case PhaseSawtooth:
		p.Arg, p.Teeth = 0.25, 4
	}
	level := func(name, a string) (float64, error) {
		x, err := strconv.ParseFloat(a, 64)
		if err != nil || !(x >= 0 && x <= 1) {
			return 0, fmt.Errorf("%s %q: want a level from 0 to 1", name, a)
		}
		return x, nil
	}
	var err2 error
	switch {
	case len(f) < 3:
	case p.Kind == PhaseSawtooth:
		n, err := strconv.ParseUint(f[2], 10, 64)
		if err != nil || n < 1 || n > p.Steps {
			return Phase{}, fmt.Errorf("N %q: want a whole number of teeth from 1 to the steps of the phase (%d)", f[2], p.Steps)
		}
		p.Teeth = n
		if len(f) == 4 {
			p.Arg, err2 = level("H", f[3])
		}
	case p.Kind == PhaseRamp:
		p.Arg, err2 = level("TO", f[2])
	default:
		p.Arg, err2 = level("H", f[2])
	}
	return p, err2
}

// phaseRunner runs a phase list on a generator: level 1 is top blocks.
type phaseRunner struct {
	phases Phases
	top    float64
	idx    int     // current phase
	s      uint64  // steps done in it
	start  uint64  // the generator's step count when it began
	level  float64 // base level (0..1) at its start; the current one after
	extra  int     // extra blocks (peak, sawtooth) allocated in it, or in the tooth
	tooth  uint64
}

// step is one step of the phases; false when they are over.
func (pr *phaseRunner) step(g *Generator) bool {
	if pr.idx >= len(pr.phases) {
		return false
	}
	p := pr.phases[pr.idx]
	if pr.s == 0 {
		pr.start, pr.extra, pr.tooth = g.Steps(), 0, 0
	}
	pr.s++
	if !g.FreeDue() {
		pr.act(g, p)
	}
	if pr.s >= p.Steps {
		if p.Kind == PhaseRamp {
			pr.level = p.Arg
		}
		pr.idx++
		pr.s = 0
	}
	return pr.idx < len(pr.phases)
}

// base is the number of live blocks that belong to the level (not to a
// peak or a tooth, which have a scheduled death).
func (pr *phaseRunner) base(g *Generator) int { return g.Live() - len(g.heap) }

func (pr *phaseRunner) act(g *Generator, p Phase) {
	switch p.Kind {
	case PhasePlateau:
		g.Idle()
	case PhaseRamp:
		l := pr.level + (p.Arg-pr.level)*float64(pr.s)/float64(p.Steps)
		target, b := int(math.Round(l*pr.top)), pr.base(g)
		switch {
		case b < target:
			g.Alloc(g.PickType(), g.PickSched(nil), NeverFreed)
		case b > target && pr.freeBase(g):
		default:
			g.Idle()
		}
	case PhaseChurn:
		target, b := int(math.Round(pr.level*pr.top)), pr.base(g)
		if b >= target && b > 0 && pr.freeBase(g) {
			return
		}
		g.Alloc(g.PickType(), g.PickSched(nil), NeverFreed)
	case PhasePeak:
		rise := max(p.Steps/4, 1)
		want := int(math.Round(p.Arg * pr.top * float64(pr.s) / float64(rise)))
		if pr.s > rise || pr.extra >= want {
			g.Idle()
			return
		}
		// Dies at a random step of the drop: after the rise, before
		// the end of the phase.
		death := pr.start + rise + g.r.Uint64N(max(p.Steps-rise, 1))
		pr.allocExtra(g, death, 0)
	case PhaseSawtooth:
		n := p.Teeth
		tl := max(p.Steps/n, 1)
		k := min((pr.s-1)/tl, n-1) // the last tooth takes the remainder
		end := pr.start + (k+1)*tl
		if k == n-1 {
			end = pr.start + p.Steps
		}
		if k != pr.tooth {
			pr.tooth, pr.extra = k, 0
		}
		u := float64(pr.s-k*tl) / float64(end-pr.start-k*tl)
		want := int(math.Round(p.Arg * pr.top * u))
		if pr.extra >= want {
			g.Idle()
			return
		}
		// All die at the tooth's end, in random order.
		pr.allocExtra(g, end, g.r.Uint64()|1)
	}
}

func (pr *phaseRunner) allocExtra(g *Generator, death, tie uint64) {
	typ := g.PickType()
	b := g.allocBlock(typ, g.PickSched(nil), g.cfg.Size.Sample(g.r), death)
	if tie != 0 {
		b.tie = tie
		heapFix(g, b)
	}
	pr.extra++
}

// freeBase frees a random block of the level (one without a scheduled
// death); false if a few draws found none.
func (pr *phaseRunner) freeBase(g *Generator) bool {
	for range 32 {
		if len(g.live) == 0 {
			return false
		}
		b := g.live[g.r.IntN(len(g.live))]
		if b.hidx < 0 {
			g.free(b)
			return true
		}
	}
	return false
}

func buildPhases(v *paramValues, cfg *GenConfig) (func(*Generator) bool, error) {
	top := v.int("live", 1, 1<<26)
	stepNanos := 0.0
	if cfg.TickEvery > 0 && cfg.TickNanos > 0 {
		stepNanos = float64(cfg.TickNanos) / float64(cfg.TickEvery)
	}
	if v.err != nil {
		return nil, nil
	}
	ps, err := ParsePhases(v.m["phases"], stepNanos)
	if err != nil {
		return nil, fmt.Errorf("%s: phases=%q: %w", v.scenario, v.m["phases"], err)
	}
	pr := &phaseRunner{phases: ps, top: float64(top)}
	return pr.step, nil
}
