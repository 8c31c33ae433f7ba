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

// ---- parser

// ParseLifetime reads a lifetime spec:
//
//	fixed:N                      fixed:100, fixed:5ms
//	exp:MEAN                     exp:1000, exp:2.5us
//	bimodal:PSHORT,SHORT,LONG    bimodal:0.9,10,10000, bimodal:0.95,1us,1s
//	forever                      never freed
//
// A plain number (or one with the suffix "ops") counts operations; one with
// ns, us, µs, ms or s counts nanoseconds. All durations of a spec share one
// unit.
func ParseLifetime(s string) (LifetimeDist, error) {
	d, err := parseLifetime(strings.TrimSpace(s))
	if err != nil {
		return nil, fmt.Errorf("lifetime %q: %w", s, err)
	}
	return d, nil
}

const lifetimeKinds = "fixed, exp, bimodal, forever"

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
		case "fixed", "exp", "bimodal":
			return nil, fmt.Errorf("%s: missing ':' and arguments", kind)
		}
		return nil, fmt.Errorf("want KIND:ARGS or forever, with KIND one of %s", lifetimeKinds)
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
