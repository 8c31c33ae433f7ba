package workloads

import (
	"math"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
)

const nSamples = 100_000

func newRand(seed uint64) *rand.Rand { return rand.New(rand.NewPCG(seed, 0x5eed)) }

func drawSizes(d SizeDist, seed uint64) []uint64 {
	r := newRand(seed)
	xs := make([]uint64, nSamples)
	for i := range xs {
		xs[i] = d.Sample(r)
	}
	return xs
}

// checkMean checks the sample mean against mean within 4 standard errors
// (sd the distribution's standard deviation) plus slack (rounding bias).
func checkMean(t *testing.T, xs []uint64, mean, sd, slack float64) {
	t.Helper()
	sum := 0.0
	for _, x := range xs {
		sum += float64(x)
	}
	got := sum / float64(len(xs))
	tol := 4*sd/math.Sqrt(float64(len(xs))) + slack
	if math.Abs(got-mean) > tol {
		t.Errorf("mean %.4f, want %.4f ± %.4f", got, mean, tol)
	}
}

// checkCDF checks the empirical P(X ≤ k) against cdf(k) at each k within 4
// standard errors of a proportion.
func checkCDF(t *testing.T, xs []uint64, ks []uint64, cdf func(k uint64) float64) {
	t.Helper()
	n := float64(len(xs))
	for _, k := range ks {
		c := 0
		for _, x := range xs {
			if x <= k {
				c++
			}
		}
		got, want := float64(c)/n, cdf(k)
		tol := 4*math.Sqrt(want*(1-want)/n) + 1e-9
		if math.Abs(got-want) > tol {
			t.Errorf("P(X ≤ %d) = %.5f, want %.5f ± %.5f", k, got, want, tol)
		}
	}
}

func checkBounds(t *testing.T, xs []uint64, lo, hi uint64) {
	t.Helper()
	for i, x := range xs {
		if x < lo || x > hi {
			t.Fatalf("sample %d = %d, outside [%d, %d]", i, x, lo, hi)
		}
	}
}

func normCDF(z float64) float64 { return 0.5 * math.Erfc(-z/math.Sqrt2) }

func TestSizeDistFixed(t *testing.T) {
	d := MustSize(Fixed(512))
	checkBounds(t, drawSizes(d, 1), 512, 512)
}

func TestSizeDistUniform(t *testing.T) {
	lo, hi := uint64(64), uint64(4096)
	xs := drawSizes(MustSize(Uniform(lo, hi)), 2)
	checkBounds(t, xs, lo, hi)
	n := float64(hi - lo + 1)
	checkMean(t, xs, float64(lo+hi)/2, math.Sqrt((n*n-1)/12), 0)
	checkCDF(t, xs, []uint64{64, 100, 1000, 2080, 4000, 4095}, func(k uint64) float64 {
		return float64(k-lo+1) / n
	})
	// Both ends are reachable.
	xs = drawSizes(MustSize(Uniform(7, 8)), 3)
	seen := map[uint64]bool{}
	for _, x := range xs {
		seen[x] = true
	}
	if !seen[7] || !seen[8] || len(seen) != 2 {
		t.Errorf("uniform:7,8 gave %v", seen)
	}
}

func TestSizeDistLogUniform(t *testing.T) {
	lo, hi := uint64(8), uint64(2<<20)
	xs := drawSizes(MustSize(LogUniform(lo, hi)), 4)
	checkBounds(t, xs, lo, hi)
	span := math.Log(float64(hi+1) / float64(lo))
	checkCDF(t, xs, []uint64{8, 15, 100, 1000, 65535, 1 << 20, hi - 1}, func(k uint64) float64 {
		return math.Log(float64(k+1)/float64(lo)) / span
	})
	// Mean of the continuous Y minus at most 1 for the floor.
	mY := float64(hi+1-lo) / span
	sdY := math.Sqrt(float64((hi+1)*(hi+1)-lo*lo)/(2*span) - mY*mY)
	checkMean(t, xs, mY-0.5, sdY, 0.5)
}

func TestSizeDistLogNormal(t *testing.T) {
	mu, sigma := 5.0, 1.0
	xs := drawSizes(MustSize(LogNormal(mu, sigma)), 5)
	checkBounds(t, xs, 1, maxSample)
	mean := math.Exp(mu + sigma*sigma/2)
	sd := math.Sqrt((math.Exp(sigma*sigma) - 1) * math.Exp(2*mu+sigma*sigma))
	checkMean(t, xs, mean, sd, 0.5)
	checkCDF(t, xs, []uint64{20, 60, 148, 400, 1000}, func(k uint64) float64 {
		return normCDF((math.Log(float64(k)+0.5) - mu) / sigma)
	})
}

func TestSizeDistPareto(t *testing.T) {
	xm, alpha := 65.0, 1.2
	xs := drawSizes(MustSize(Pareto(65, alpha, 0)), 6)
	checkBounds(t, xs, 65, maxSample)
	// Infinite variance: check the CDF, not the mean.
	checkCDF(t, xs, []uint64{65, 66, 100, 1000, 10000, 1 << 20}, func(k uint64) float64 {
		return 1 - math.Pow(xm/(float64(k)+0.5), alpha)
	})
}

func TestSizeDistParetoCapped(t *testing.T) {
	xm, alpha, h := 65.0, 1.2, float64(1<<20)
	xs := drawSizes(MustSize(Pareto(65, alpha, 1<<20)), 7)
	checkBounds(t, xs, 65, 1<<20)
	l := math.Pow(xm/h, alpha)
	c := alpha * math.Pow(xm, alpha) / (1 - l)
	mean := c * (math.Pow(h, 1-alpha) - math.Pow(xm, 1-alpha)) / (1 - alpha)
	m2 := c * (math.Pow(h, 2-alpha) - math.Pow(xm, 2-alpha)) / (2 - alpha)
	checkMean(t, xs, mean, math.Sqrt(m2-mean*mean), 0.5)
	checkCDF(t, xs, []uint64{65, 100, 1000, 100000, 1<<20 - 1}, func(k uint64) float64 {
		return (1 - math.Pow(xm/(float64(k)+0.5), alpha)) / (1 - l)
	})
}

func TestSizeDistEmpirical(t *testing.T) {
	d := MustSize(Empirical([]Bucket{{1, 64, 3}, {64, 1024, 1}, {5000, 5001, 0}, {4096, 4097, 0.5}}))
	xs := drawSizes(d, 8)
	checkBounds(t, xs, 1, 4096)
	for _, x := range xs {
		if x >= 1024 && x != 4096 {
			t.Fatalf("sample %d outside every weighted bucket", x)
		}
	}
	checkCDF(t, xs, []uint64{0, 31, 63, 543, 1023, 4095, 4096}, func(k uint64) float64 {
		switch {
		case k < 1:
			return 0
		case k < 64:
			return 3 / 4.5 * float64(k) / 63
		case k < 1024:
			return (3 + float64(k-63)/960) / 4.5
		case k < 4096:
			return 4 / 4.5
		}
		return 1
	})
	mean := (3*32 + 1*543.5 + 0.5*4096) / 4.5
	checkMean(t, xs, mean, 1500, 0)
}

func TestSizeDistFromInstrumentHistogram(t *testing.T) {
	// start 512: slots [1,512) [512,1536) [1536,3584) [3584,…)
	d, err := FromInstrumentHistogram(512, []uint64{10, 0, 5, 5})
	if err != nil {
		t.Fatal(err)
	}
	want := []Bucket{{1, 512, 10}, {1536, 3584, 5}, {3584, 7680, 5}}
	if got := Buckets(d); !slices.Equal(got, want) {
		t.Errorf("buckets %v, want %v", got, want)
	}
	d, err = FromInstrumentHistogramMax(512, []uint64{10, 0, 5, 5}, 1<<20)
	if err != nil {
		t.Fatal(err)
	}
	want[2].Hi = 1<<20 + 1
	if got := Buckets(d); !slices.Equal(got, want) {
		t.Errorf("buckets %v, want %v", got, want)
	}
	xs := drawSizes(d, 9)
	checkBounds(t, xs, 1, 1<<20)
	checkCDF(t, xs, []uint64{511, 1535, 3583}, func(k uint64) float64 {
		return map[uint64]float64{511: 0.5, 1535: 0.5, 3583: 0.75}[k]
	})
	// The widest histogram with the largest start stays below MaxSize.
	counts := make([]uint64, 32)
	counts[20] = 1
	counts[0] = 1
	d, err = FromInstrumentHistogram(1<<28, counts)
	if err != nil {
		t.Fatal(err)
	}
	checkBounds(t, drawSizes(d, 10), 1, maxSample)
	counts[31] = 1
	if _, err := FromInstrumentHistogram(1<<28, counts); err == nil {
		t.Error("a count above MaxSize accepted")
	}
}

func TestSizeDistMixture(t *testing.T) {
	d := MustSize(ParseSizeDist("mix:0.9*lognormal:5,1+0.1*fixed:1M"))
	xs := drawSizes(d, 11)
	checkBounds(t, xs, 1, 1<<20)
	big := 0
	for _, x := range xs {
		if x == 1<<20 {
			big++
		}
	}
	p := float64(big) / nSamples
	if tol := 4 * math.Sqrt(0.1*0.9/nSamples); math.Abs(p-0.1) > tol {
		t.Errorf("share of fixed:1M %.4f, want 0.1 ± %.4f", p, tol)
	}
	mLN := math.Exp(5.5)
	mean := 0.9*mLN + 0.1*(1<<20)
	m2 := 0.9*math.Exp(2*5+2) + 0.1*float64(1<<40)
	checkMean(t, xs, mean, math.Sqrt(m2-mean*mean), 0.5)
}

func TestSizeDistDeterminism(t *testing.T) {
	for _, spec := range []string{
		"fixed:512", "uniform:64,4096", "loguniform:8,2M", "lognormal:5,1",
		"pareto:65,1.2", "pareto:65,1.2,max=1M", "empirical:1-64=3,64-1K=1",
		"hist:512,10,4,0,1", "mix:0.9*lognormal:5,1+0.1*fixed:1M",
	} {
		d := MustSize(ParseSizeDist(spec))
		a, b := newRand(42), newRand(42)
		c := newRand(43)
		differs := false
		for i := 0; i < 1000; i++ {
			x, y, z := d.Sample(a), d.Sample(b), d.Sample(c)
			if x != y {
				t.Fatalf("%s: sample %d: %d vs %d with the same seed", spec, i, x, y)
			}
			differs = differs || x != z
		}
		if !differs && spec != "fixed:512" {
			t.Errorf("%s: seeds 42 and 43 gave the same 1000 samples", spec)
		}
	}
}

func TestParseSizeDist(t *testing.T) {
	for _, c := range []struct{ in, str string }{
		{"fixed:512", "fixed:512"},
		{" fixed:1K ", "fixed:1024"},
		{"fixed:2m", "fixed:2097152"},
		{"fixed:1G", "fixed:1073741824"},
		{"fixed:281474976710655", "fixed:281474976710655"},
		{"uniform:64,4096", "uniform:64,4096"},
		{"uniform:7,7", "uniform:7,7"},
		{"loguniform:8,2M", "loguniform:8,2097152"},
		{"lognormal:5,1", "lognormal:5,1"},
		{"lognormal:5.5,0", "lognormal:5.5,0"},
		{"pareto:65,1.2", "pareto:65,1.2"},
		{"pareto:65,1.2,max=1M", "pareto:65,1.2,max=1048576"},
		{"empirical:1-64=3,64-1K=1,4096=0.5", "empirical:1-64=3,64-1024=1,4096=0.5"},
		{"empirical:1-281474976710656=1", "empirical:1-281474976710656=1"},
		{"hist:512,10,0,5,5", "empirical:1-512=10,1536-3584=5,3584-7680=5"},
		{"hist:512,10,max=1K", "empirical:1-1025=10"},
		{"mix:0.9*lognormal:5,1+0.1*fixed:1M", "mix:0.9*lognormal:5,1+0.1*fixed:1048576"},
		{"mix:1e+06*fixed:1+2E+3*uniform:1,2", "mix:1e+06*fixed:1+2000*uniform:1,2"},
	} {
		d, err := ParseSizeDist(c.in)
		if err != nil {
			t.Errorf("%q: %v", c.in, err)
			continue
		}
		if got := d.String(); got != c.str {
			t.Errorf("%q: String() = %q, want %q", c.in, got, c.str)
		}
		if d2, err := ParseSizeDist(d.String()); err != nil || d2.String() != d.String() {
			t.Errorf("%q: round trip of %q: %v, %v", c.in, d.String(), d2, err)
		}
	}
}

func TestParseSizeDistErrors(t *testing.T) {
	for _, c := range []struct{ in, msg string }{
		{"", `size distribution "": empty: want KIND:ARGS with KIND one of fixed, uniform, loguniform, lognormal, pareto, empirical, hist, mix`},
		{"fixed", `size distribution "fixed": fixed: missing ':' and arguments`},
		{"512", `size distribution "512": want KIND:ARGS with KIND one of fixed, uniform, loguniform, lognormal, pareto, empirical, hist, mix`},
		{"normal:5,1", `size distribution "normal:5,1": unknown kind "normal": want one of fixed, uniform, loguniform, lognormal, pareto, empirical, hist, mix`},
		{"fixed:", `size distribution "fixed:": fixed: SIZE "": want an integer with an optional K, M or G suffix`},
		{"fixed:1,2", `size distribution "fixed:1,2": fixed: want SIZE, got 2 arguments`},
		{"fixed:0", `size distribution "fixed:0": fixed: SIZE 0: want 1..281474976710655`},
		{"fixed:256T", `size distribution "fixed:256T": fixed: SIZE "256T": want an integer with an optional K, M or G suffix`},
		{"fixed:-1", `size distribution "fixed:-1": fixed: SIZE "-1": want an integer with an optional K, M or G suffix`},
		{"fixed:262144G", `size distribution "fixed:262144G": fixed: SIZE 262144G: want 1..281474976710655`},
		{"fixed:99999999999999999999999", `size distribution "fixed:99999999999999999999999": fixed: SIZE 99999999999999999999999: want 1..281474976710655`},
		{"uniform:64", `size distribution "uniform:64": uniform: want LO,HI, got 1 arguments`},
		{"uniform:9,1", `size distribution "uniform:9,1": uniform: LO 9 > HI 1`},
		{"loguniform:8,x", `size distribution "loguniform:8,x": loguniform: HI "x": want an integer with an optional K, M or G suffix`},
		{"lognormal:5", `size distribution "lognormal:5": lognormal: want MU,SIGMA, got 1 arguments`},
		{"lognormal:5,NaN", `size distribution "lognormal:5,NaN": lognormal: SIGMA "NaN": want a finite decimal number`},
		{"lognormal:0x1p2,1", `size distribution "lognormal:0x1p2,1": lognormal: MU "0x1p2": want a finite decimal number`},
		{"lognormal:5,-1", `size distribution "lognormal:5,-1": lognormal: SIGMA -1: want 0..10`},
		{"lognormal:40,1", `size distribution "lognormal:40,1": lognormal: MU 40: want 0..33.27 (ln of the median size)`},
		{"pareto:65,0", `size distribution "pareto:65,0": pareto: ALPHA 0: want > 0 and ≤ 100`},
		{"pareto:65,1.2,1M", `size distribution "pareto:65,1.2,1M": pareto: "1M": want max=MAX`},
		{"pareto:65,1.2,max=64", `size distribution "pareto:65,1.2,max=64": pareto: max 64 < XM 65`},
		{"pareto:65", `size distribution "pareto:65": pareto: want XM,ALPHA[,max=MAX], got 1 arguments`},
		{"empirical:1-64", `size distribution "empirical:1-64": empirical: bucket 1 "1-64": want LO-HI=WEIGHT or SIZE=WEIGHT`},
		{"empirical:64-1=1", `size distribution "empirical:64-1=1": empirical: bucket 1 [64, 1): want 1 ≤ LO < HI ≤ 281474976710656`},
		{"empirical:1-64=0", `size distribution "empirical:1-64=0": empirical: total weight 0: want a finite number > 0`},
		{"empirical:1-64=-1", `size distribution "empirical:1-64=-1": empirical: bucket 1 weight -1: want a finite number ≥ 0`},
		{"hist:512", `size distribution "hist:512": hist: want START,C0,C1,...[,max=MAX], got 1 arguments`},
		{"hist:512,0,0", `size distribution "hist:512,0,0": hist: all counts are 0: want at least one allocation`},
		{"hist:512,1,x", `size distribution "hist:512,1,x": hist: count 1 "x": want an integer ≥ 0`},
		{"hist:512,1,1,1,max=1K", `size distribution "hist:512,1,1,1,max=1K": hist: max 1024 < 1536, the lower bound of the last slot`},
		{"hist:1G,1", `size distribution "hist:1G,1": hist: START 1073741824: want 1..268435456 (instrument's histogram_start)`},
		{"mix:fixed:1", `size distribution "mix:fixed:1": mix: component 1 "fixed:1": want WEIGHT*SPEC`},
		{"mix:0*fixed:1", `size distribution "mix:0*fixed:1": mix: component 1 weight 0: want a finite number > 0`},
		{"mix:1*fixed:1+1*mix:1*fixed:2", `size distribution "mix:1*fixed:1+1*mix:1*fixed:2": mix: component 2: mixtures do not nest`},
		{"mix:1*fixed:1+1*bogus:3", `size distribution "mix:1*fixed:1+1*bogus:3": mix: component 2: unknown kind "bogus": want one of fixed, uniform, loguniform, lognormal, pareto, empirical, hist, mix`},
	} {
		_, err := ParseSizeDist(c.in)
		if err == nil {
			t.Errorf("%q: accepted", c.in)
		} else if err.Error() != c.msg {
			t.Errorf("%q:\n got  %s\n want %s", c.in, err, c.msg)
		}
	}
}

// FuzzParseSizeDist: the parser must not panic; an accepted spec must give a
// distribution whose String parses back to the same String, and whose
// samples are in [1, MaxSize).
func FuzzParseSizeDist(f *testing.F) {
	for _, s := range []string{"fixed:1", "mix:2*uniform:1,3+1*hist:1,0,1"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		d, err := ParseSizeDist(s)
		if err != nil {
			if !strings.HasPrefix(err.Error(), "size distribution ") {
				t.Fatalf("%q: error without context: %v", s, err)
			}
			return
		}
		str := d.String()
		d2, err := ParseSizeDist(str)
		if err != nil {
			t.Fatalf("%q: String %q does not parse: %v", s, str, err)
		}
		if d2.String() != str {
			t.Fatalf("%q: String %q reparses as %q", s, str, d2.String())
		}
		r1, r2 := newRand(1), newRand(1)
		for i := 0; i < 20; i++ {
			x := d.Sample(r1)
			if x < 1 || x >= MaxSize {
				t.Fatalf("%q: sample %d out of range", s, x)
			}
			if y := d2.Sample(r2); x != y {
				t.Fatalf("%q: reparsed distribution samples %d, original %d", s, y, x)
			}
		}
	})
}
