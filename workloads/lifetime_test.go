package workloads

import (
	"math"
	"testing"
)

func drawLifetimes(d LifetimeDist, seed uint64) []uint64 {
	r := newRand(seed)
	xs := make([]uint64, nSamples)
	for i := range xs {
		xs[i] = d.Sample(r)
	}
	return xs
}

func TestLifetimeExponential(t *testing.T) {
	d, err := Exponential(1000, Ops)
	if err != nil {
		t.Fatal(err)
	}
	xs := drawLifetimes(d, 21)
	checkMean(t, xs, 1000, 1000, 0.5)
	checkCDF(t, xs, []uint64{0, 100, 693, 3000}, func(k uint64) float64 {
		return 1 - math.Exp(-(float64(k)+0.5)/1000)
	})
}

func TestLifetimeBimodal(t *testing.T) {
	d, err := Bimodal(0.9, 10, 10000, Nanos)
	if err != nil {
		t.Fatal(err)
	}
	xs := drawLifetimes(d, 22)
	mean := 0.9*10 + 0.1*10000
	m2 := 0.9*2*100 + 0.1*2*1e8
	checkMean(t, xs, mean, math.Sqrt(m2-mean*mean), 0.5)
	checkCDF(t, xs, []uint64{5, 50, 5000}, func(k uint64) float64 {
		x := float64(k) + 0.5
		return 0.9*(1-math.Exp(-x/10)) + 0.1*(1-math.Exp(-x/10000))
	})
}

func TestLifetimeDeterminism(t *testing.T) {
	for _, spec := range []string{"exp:1000", "bimodal:0.9,1us,1ms", "fixed:5", "forever"} {
		d, err := ParseLifetime(spec)
		if err != nil {
			t.Fatal(err)
		}
		a, b := newRand(7), newRand(7)
		for i := 0; i < 1000; i++ {
			if x, y := d.Sample(a), d.Sample(b); x != y {
				t.Fatalf("%s: sample %d: %d vs %d", spec, i, x, y)
			}
		}
	}
}

func TestParseLifetime(t *testing.T) {
	for _, c := range []struct {
		in, str string
		unit    LifetimeUnit
		fixed   uint64
	}{
		{"fixed:100", "fixed:100", Ops, 100},
		{"fixed:100ops", "fixed:100", Ops, 100},
		{"fixed:5ms", "fixed:5000000ns", Nanos, 5000000},
		{"fixed:1.5us", "fixed:1500ns", Nanos, 1500},
		{"forever", "forever", Ops, NeverFreed},
		{"exp:1000", "exp:1000", Ops, 0},
		{"exp:2.5s", "exp:2.5e+09ns", Nanos, 0},
		{"bimodal:0.9,10,10000", "bimodal:0.9,10,10000", Ops, 0},
		{"bimodal:0.95,1µs,1s", "bimodal:0.95,1000ns,1e+09ns", Nanos, 0},
	} {
		d, err := ParseLifetime(c.in)
		if err != nil {
			t.Errorf("%q: %v", c.in, err)
			continue
		}
		if d.String() != c.str || d.Unit() != c.unit {
			t.Errorf("%q: %q %v, want %q %v", c.in, d.String(), d.Unit(), c.str, c.unit)
		}
		if c.fixed != 0 && d.Sample(newRand(1)) != c.fixed {
			t.Errorf("%q: sample %d, want %d", c.in, d.Sample(newRand(1)), c.fixed)
		}
		if d2, err := ParseLifetime(d.String()); err != nil || d2.String() != d.String() {
			t.Errorf("%q: round trip: %v %v", c.in, d2, err)
		}
	}
	for _, c := range []struct{ in, msg string }{
		{"", `lifetime "": empty: want KIND:ARGS with KIND one of fixed, exp, bimodal, forever, cohort, lifo, fifo`},
		{"exp", `lifetime "exp": exp: missing ':' and arguments`},
		{"exp:0", `lifetime "exp:0": exp: MEAN 0: want > 0 and ≤ 1e18`},
		{"exp:5h", `lifetime "exp:5h": exp: MEAN "5h": unknown unit "h": want none or ops (operations), ns, us, µs, ms or s`},
		{"exp:-1", `lifetime "exp:-1": exp: MEAN "-1": want a number ≥ 0 with an optional unit (ops, ns, us, ms, s)`},
		{"fixed:0.5ns", `lifetime "fixed:0.5ns": fixed: N "0.5ns": want a whole number of ns ≤ 4611686018427387904`},
		{"bimodal:0.9,10,1s", `lifetime "bimodal:0.9,10,1s": bimodal: SHORT is in ops but LONG in ns: want one unit`},
		{"bimodal:1.5,10,100", `lifetime "bimodal:1.5,10,100": bimodal: PSHORT 1.5: want 0..1`},
		{"bimodal:0.5,10", `lifetime "bimodal:0.5,10": bimodal: want PSHORT,SHORT,LONG, got 2 arguments`},
		{"weibull:1", `lifetime "weibull:1": unknown kind "weibull": want one of fixed, exp, bimodal, forever, cohort, lifo, fifo`},
		{"forever:1", `lifetime "forever:1": forever: takes no arguments`},
	} {
		_, err := ParseLifetime(c.in)
		if err == nil {
			t.Errorf("%q: accepted", c.in)
		} else if err.Error() != c.msg {
			t.Errorf("%q:\n got  %s\n want %s", c.in, err, c.msg)
		}
	}
}
