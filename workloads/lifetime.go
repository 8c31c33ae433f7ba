package workloads

import (
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"strconv"
	"strings"

	"gonum.org/v1/gonum/stat/distuv"
)

// LifetimeUnit says what a lifetime counts.
type LifetimeUnit uint8

const (
	Ops   LifetimeUnit = iota // operations of the generated stream
	Nanos                     // nanoseconds of simulated time (t records)
)

func (u LifetimeUnit) String() string {
	if u == Nanos {
		return "ns"
	}
	return "ops"
}

// NeverFreed is what a LifetimeDist returns for a block that is never freed.
const NeverFreed = math.MaxUint64

// MaxLifetime is the largest finite lifetime a LifetimeDist returns.
const MaxLifetime = 1 << 62

// LifetimeDist is a distribution of block lifetimes, in Unit() (operations or
// nanoseconds). Sample draws one lifetime ≥ 0 (≤ MaxLifetime, or NeverFreed)
// using only r. String returns a spec that ParseLifetime reads back.
type LifetimeDist interface {
	Sample(r *rand.Rand) uint64
	Unit() LifetimeUnit
	String() string
}

func lifetimeOf(x float64) uint64 {
	switch {
	case !(x >= 0):
		return 0
	case x >= MaxLifetime:
		return MaxLifetime
	}
	return uint64(math.Round(x))
}

func fmtLifetime(x float64, u LifetimeUnit) string {
	s := strconv.FormatFloat(x, 'g', -1, 64)
	if u == Nanos {
		s += "ns"
	}
	return s
}

const maxMeanLifetime = 1e18

func checkLifetimeMean(kind, name string, m float64) error {
	if math.IsNaN(m) || !(m > 0) || m > maxMeanLifetime {
		return fmt.Errorf("%s: %s %v: want > 0 and ≤ 1e18", kind, name, m)
	}
	return nil
}

// ---- fixed

type fixedLifetime struct {
	n    uint64
	unit LifetimeUnit
}

// FixedLifetime always returns n (≤ MaxLifetime).
func FixedLifetime(n uint64, unit LifetimeUnit) (LifetimeDist, error) {
	if n > MaxLifetime {
		return nil, fmt.Errorf("fixed: %d: want 0..%d", n, uint64(MaxLifetime))
	}
	return fixedLifetime{n, unit}, nil
}

func (d fixedLifetime) Sample(*rand.Rand) uint64 { return d.n }
func (d fixedLifetime) Unit() LifetimeUnit       { return d.unit }
func (d fixedLifetime) String() string {
	s := "fixed:" + strconv.FormatUint(d.n, 10)
	if d.unit == Nanos {
		s += "ns"
	}
	return s
}

// ---- forever

type foreverLifetime struct{}

// Forever is the lifetime of blocks that are never freed (leaks, or the live
// set of a long-running node): Sample returns NeverFreed.
func Forever() LifetimeDist { return foreverLifetime{} }

func (foreverLifetime) Sample(*rand.Rand) uint64 { return NeverFreed }
func (foreverLifetime) Unit() LifetimeUnit       { return Ops }
func (foreverLifetime) String() string           { return "forever" }

// ---- exponential

type expLifetime struct {
	mean float64
	unit LifetimeUnit
}

// Exponential returns an exponential lifetime with the given mean, rounded
// to the nearest integer (so 0 is possible: freed by the next operation or
// within the same nanosecond).
func Exponential(mean float64, unit LifetimeUnit) (LifetimeDist, error) {
	if err := checkLifetimeMean("exp", "MEAN", mean); err != nil {
		return nil, err
	}
	return expLifetime{mean, unit}, nil
}

func (d expLifetime) Sample(r *rand.Rand) uint64 {
	return lifetimeOf(distuv.Exponential{Rate: 1 / d.mean, Src: r}.Rand())
}
func (d expLifetime) Unit() LifetimeUnit { return d.unit }
func (d expLifetime) String() string     { return "exp:" + fmtLifetime(d.mean, d.unit) }

// ---- bimodal

type bimodalLifetime struct {
	pShort, short, long float64
	unit                LifetimeUnit
}

// Bimodal is a mixture of two exponential lifetimes: with probability pShort
// one of mean shortMean, otherwise one of mean longMean — most blocks die
// young, a few live long (the generational hypothesis).
func Bimodal(pShort, shortMean, longMean float64, unit LifetimeUnit) (LifetimeDist, error) {
	if math.IsNaN(pShort) || pShort < 0 || pShort > 1 {
		return nil, fmt.Errorf("bimodal: PSHORT %v: want 0..1", pShort)
	}
	if err := checkLifetimeMean("bimodal", "SHORT", shortMean); err != nil {
		return nil, err
	}
	if err := checkLifetimeMean("bimodal", "LONG", longMean); err != nil {
		return nil, err
	}
	return bimodalLifetime{pShort, shortMean, longMean, unit}, nil
}

func (d bimodalLifetime) Sample(r *rand.Rand) uint64 {
	m := d.long
	if r.Float64() < d.pShort {
		m = d.short
	}
	return lifetimeOf(distuv.Exponential{Rate: 1 / m, Src: r}.Rand())
}
func (d bimodalLifetime) Unit() LifetimeUnit { return d.unit }
func (d bimodalLifetime) String() string {
	return "bimodal:" + strconv.FormatFloat(d.pShort, 'g', -1, 64) + "," +
		fmtLifetime(d.short, d.unit) + "," + fmtLifetime(d.long, d.unit)
}

// ---- policies: cohort, lifo, fifo

// A lifetimePolicy is a LifetimeDist whose blocks do not die
// independently. The generator draws a lifetime from it as from any other
// (Sample: its inner distribution's), allocates the block without a death,
// and hands it to allocated, which schedules its death (or not yet, or
// never). When a death falls due, victim chooses which block dies (nil:
// the one whose death it is).
type lifetimePolicy interface {
	LifetimeDist
	allocated(g *Generator, b *genBlock, death uint64)
	victim(g *Generator) *genBlock
}

type cohortLifetime struct {
	n     int
	inner LifetimeDist
}

// Cohort makes blocks die in cohorts: n consecutive allocations form a
// cohort, the first one draws the cohort's lifetime from inner, and all
// members die together (freed one after the other in allocation order) at
// that lifetime after the first allocation, or when the cohort is
// complete if it takes longer to fill. inner may not be a policy itself.
func Cohort(n int, inner LifetimeDist) (LifetimeDist, error) {
	if n < 1 || n > 1<<30 {
		return nil, fmt.Errorf("cohort: N %d: want 1..%d", n, 1<<30)
	}
	if err := checkInner("cohort", inner); err != nil {
		return nil, err
	}
	return cohortLifetime{n, inner}, nil
}

func (d cohortLifetime) Sample(r *rand.Rand) uint64 { return d.inner.Sample(r) }
func (d cohortLifetime) Unit() LifetimeUnit         { return d.inner.Unit() }
func (d cohortLifetime) String() string {
	return "cohort:" + strconv.Itoa(d.n) + "," + d.inner.String()
}

func (d cohortLifetime) allocated(g *Generator, b *genBlock, death uint64) {
	if len(g.cohort) == 0 {
		g.cohortDeath = death
	}
	g.cohort = append(g.cohort, b)
	if len(g.cohort) < d.n {
		return
	}
	if g.cohortDeath != NeverFreed {
		at := max(g.cohortDeath, g.clock())
		for _, m := range g.cohort {
			if m.idx >= 0 {
				g.schedule(m, at)
			}
		}
	}
	clear(g.cohort)
	g.cohort = g.cohort[:0]
}

func (cohortLifetime) victim(*Generator) *genBlock { return nil }

type orderLifetime struct {
	lifo  bool
	inner LifetimeDist
}

// LIFO frees blocks in the reverse order of their allocation, as on a
// stack: deaths fall due when inner's lifetimes say (so the live set grows
// and shrinks exactly as with inner alone), but the block that dies is the
// youngest live one.
func LIFO(inner LifetimeDist) (LifetimeDist, error) {
	if err := checkInner("lifo", inner); err != nil {
		return nil, err
	}
	return orderLifetime{true, inner}, nil
}

// FIFO frees blocks in the order of their allocation, as in a queue:
// deaths fall due when inner's lifetimes say, but the block that dies is
// the oldest live one.
func FIFO(inner LifetimeDist) (LifetimeDist, error) {
	if err := checkInner("fifo", inner); err != nil {
		return nil, err
	}
	return orderLifetime{false, inner}, nil
}

func (d orderLifetime) Sample(r *rand.Rand) uint64 { return d.inner.Sample(r) }
func (d orderLifetime) Unit() LifetimeUnit         { return d.inner.Unit() }
func (d orderLifetime) String() string {
	if d.lifo {
		return "lifo:" + d.inner.String()
	}
	return "fifo:" + d.inner.String()
}

func (d orderLifetime) allocated(g *Generator, b *genBlock, death uint64) {
	if death == NeverFreed {
		return
	}
	g.schedule(b, death)
	g.order = append(g.order, b)
}

// victim is the youngest (lifo) or oldest (fifo) block with a death; the
// order list drops blocks already freed as it goes.
func (d orderLifetime) victim(g *Generator) *genBlock {
	if d.lifo {
		for len(g.order) > 0 {
			b := g.order[len(g.order)-1]
			if b.hidx >= 0 {
				return b
			}
			g.order[len(g.order)-1] = nil
			g.order = g.order[:len(g.order)-1]
		}
		return nil
	}
	// Keep the queue in memory bounded by the live set: drop the
	// gone prefix once it is half of it.
	if g.orderHead > 1024 && g.orderHead > len(g.order)/2 {
		n := copy(g.order, g.order[g.orderHead:])
		clear(g.order[n:])
		g.order, g.orderHead = g.order[:n], 0
	}
	for g.orderHead < len(g.order) {
		b := g.order[g.orderHead]
		if b.hidx >= 0 {
			return b
		}
		g.order[g.orderHead] = nil
		g.orderHead++
	}
	return nil
}

func checkInner(kind string, inner LifetimeDist) error {
	if inner == nil {
		return fmt.Errorf("%s: no inner lifetime distribution", kind)
	}
	if _, ok := inner.(lifetimePolicy); ok {
		return fmt.Errorf("%s: inner lifetime %q is itself a policy: want fixed, exp, bimodal or forever", kind, inner)
	}
	return nil
}

// ---- parser

// ParseLifetime reads a lifetime spec:
//
//	fixed:N                      fixed:100, fixed:5ms
//	exp:MEAN                     exp:1000, exp:2.5us
//	bimodal:PSHORT,SHORT,LONG    bimodal:0.9,10,10000, bimodal:0.95,1us,1s
//	forever                      never freed
//	cohort:N,SPEC                cohort:100,exp:5000 (N consecutive blocks die together)
//	lifo:SPEC                    lifo:exp:1000 (SPEC's deaths; the youngest block dies)
//	fifo:SPEC                    fifo:exp:1000 (SPEC's deaths; the oldest block dies)
//
// A plain number (or one with the suffix "ops") counts operations; one with
// ns, us, µs, ms or s counts nanoseconds. All durations of a spec share one
// unit. SPEC, the lifetime a policy (cohort, lifo, fifo) starts from, is
// one of the four distributions above.
func ParseLifetime(s string) (LifetimeDist, error) {
	d, err := parseLifetime(strings.TrimSpace(s))
	if err != nil {
		return nil, fmt.Errorf("lifetime %q: %w", s, err)
	}
	return d, nil
}

const lifetimeKinds = "fixed, exp, bimodal, forever, cohort, lifo, fifo"

func parseLifetime(s string) (LifetimeDist, error) {
	if s == "" {
		return nil, errors.New("empty: want KIND:ARGS with KIND one of " + lifetimeKinds)
	}
	if s == "forever" {
		return Forever(), nil
	}
	kind, args, ok := strings.Cut(s, ":")
	if !ok {
		switch kind {
		case "fixed", "exp", "bimodal", "cohort", "lifo", "fifo":
			return nil, fmt.Errorf("%s: missing ':' and arguments", kind)
		}
		return nil, fmt.Errorf("want KIND:ARGS or forever, with KIND one of %s", lifetimeKinds)
	}
	switch kind {
	case "lifo", "fifo":
		inner, err := parseLifetime(args)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", kind, err)
		}
		if kind == "lifo" {
			return LIFO(inner)
		}
		return FIFO(inner)
	case "cohort":
		ns, spec, ok := strings.Cut(args, ",")
		if !ok {
			return nil, errors.New("cohort: want N,SPEC (e.g. cohort:100,exp:5000)")
		}
		n, err := strconv.Atoi(ns)
		if err != nil || n < 1 || n > 1<<30 {
			return nil, fmt.Errorf("cohort: N %q: want an integer from 1 to %d", ns, 1<<30)
		}
		inner, err := parseLifetime(spec)
		if err != nil {
			return nil, fmt.Errorf("cohort: %w", err)
		}
		return Cohort(n, inner)
	}
	a := strings.Split(args, ",")
	switch kind {
	case "forever":
		return nil, errors.New("forever: takes no arguments")
	case "fixed":
		if err := distArity(kind, "N", a, 1, 1); err != nil {
			return nil, err
		}
		x, u, err := durationArg(kind, "N", a[0])
		if err != nil {
			return nil, err
		}
		if x != math.Trunc(x) || x > MaxLifetime {
			return nil, fmt.Errorf("fixed: N %q: want a whole number of %s ≤ %d", a[0], u, uint64(MaxLifetime))
		}
		return FixedLifetime(uint64(x), u)
	case "exp":
		if err := distArity(kind, "MEAN", a, 1, 1); err != nil {
			return nil, err
		}
		x, u, err := durationArg(kind, "MEAN", a[0])
		if err != nil {
			return nil, err
		}
		return Exponential(x, u)
	case "bimodal":
		if err := distArity(kind, "PSHORT,SHORT,LONG", a, 3, 3); err != nil {
			return nil, err
		}
		p, err := floatArg(kind, "PSHORT", a[0])
		if err != nil {
			return nil, err
		}
		short, u1, err := durationArg(kind, "SHORT", a[1])
		if err != nil {
			return nil, err
		}
		long, u2, err := durationArg(kind, "LONG", a[2])
		if err != nil {
			return nil, err
		}
		if u1 != u2 {
			return nil, fmt.Errorf("bimodal: SHORT is in %s but LONG in %s: want one unit", u1, u2)
		}
		return Bimodal(p, short, long, u1)
	}
	return nil, fmt.Errorf("unknown kind %q: want one of %s", kind, lifetimeKinds)
}

// durationArg reads a number ≥ 0 with an optional unit suffix.
func durationArg(kind, name, a string) (float64, LifetimeUnit, error) {
	i := len(a)
	for i > 0 && (a[i-1] >= 'a' && a[i-1] <= 'z' || a[i-1] >= 0x80) {
		i--
	}
	num, suf := a[:i], a[i:]
	unit, mult := Nanos, 1.0
	switch suf {
	case "", "ops":
		unit = Ops
	case "ns":
	case "us", "µs":
		mult = 1e3
	case "ms":
		mult = 1e6
	case "s":
		mult = 1e9
	default:
		return 0, 0, fmt.Errorf("%s: %s %q: unknown unit %q: want none or ops (operations), ns, us, µs, ms or s", kind, name, a, suf)
	}
	x, err := strconv.ParseFloat(num, 64)
	if err != nil || math.IsNaN(x) || math.IsInf(x, 0) || x < 0 || strings.ContainsAny(num, "xX_") {
		return 0, 0, fmt.Errorf("%s: %s %q: want a number ≥ 0 with an optional unit (ops, ns, us, ms, s)", kind, name, a)
	}
	return x * mult, unit, nil
}
