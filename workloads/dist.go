package workloads

import (
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"sort"
	"strconv"
	"strings"

	"gonum.org/v1/gonum/stat/distuv"
)

// SizeDist is a distribution of allocation sizes. Sample draws one size in
// bytes, 1 ≤ size < MaxSize, using only r, so the same seeded r gives the same
// sequence. String returns a spec that ParseSizeDist reads back to the same
// distribution.
//
// Distributions are immutable values: one may be shared by goroutines as
// long as each uses its own *rand.Rand.
type SizeDist interface {
	Sample(r *rand.Rand) uint64
	String() string
}

// maxSample is the largest size a SizeDist returns.
const maxSample = MaxSize - 1

// sizeOf rounds a continuous sample to the nearest integer in [1, MaxSize).
func sizeOfFloat(x float64) uint64 {
	switch {
	case !(x >= 1): // also NaN
		return 1
	case x >= maxSample:
		return maxSample
	}
	return uint64(math.Round(x))
}

// MustSize panics if err is not nil and returns d otherwise; for
// distributions built from constants.
func MustSize(d SizeDist, err error) SizeDist {
	if err != nil {
		panic(err)
	}
	return d
}

func checkSizeArg(name string, n uint64) error {
	if n < 1 || n >= MaxSize {
		return fmt.Errorf("%s %d: want 1..%d", name, n, uint64(maxSample))
	}
	return nil
}

func checkFloatArg(name string, x float64) error {
	if math.IsNaN(x) || math.IsInf(x, 0) {
		return fmt.Errorf("%s %v: want a finite number", name, x)
	}
	return nil
}

func fmtDistFloat(x float64) string { return strconv.FormatFloat(x, 'g', -1, 64) }

// ---- fixed

type fixedDist struct{ n uint64 }

// Fixed always returns n bytes.
func Fixed(n uint64) (SizeDist, error) {
	if err := checkSizeArg("fixed: SIZE", n); err != nil {
		return nil, err
	}
	return fixedDist{n}, nil
}

func (d fixedDist) Sample(*rand.Rand) uint64 { return d.n }
func (d fixedDist) String() string           { return "fixed:" + strconv.FormatUint(d.n, 10) }

// ---- uniform

type uniformDist struct{ lo, hi uint64 }

// Uniform returns every size in [lo, hi] (both included) with equal
// probability.
func Uniform(lo, hi uint64) (SizeDist, error) {
	if err := checkSizeArg("uniform: LO", lo); err != nil {
		return nil, err
	}
	if err := checkSizeArg("uniform: HI", hi); err != nil {
		return nil, err
	}
	if lo > hi {
		return nil, fmt.Errorf("uniform: LO %d > HI %d", lo, hi)
	}
	return uniformDist{lo, hi}, nil
}

func (d uniformDist) Sample(r *rand.Rand) uint64 { return d.lo + r.Uint64N(d.hi-d.lo+1) }
func (d uniformDist) String() string {
	return fmt.Sprintf("uniform:%d,%d", d.lo, d.hi)
}

// ---- log-uniform

type logUniformDist struct{ lo, hi uint64 }

// LogUniform returns floor(Y) for Y log-uniform on [lo, hi+1): every size in
// [lo, hi] is possible and each power of two in the range gets the same share,
// P(X ≤ k) = ln((k+1)/lo) / ln((hi+1)/lo).
func LogUniform(lo, hi uint64) (SizeDist, error) {
	if err := checkSizeArg("loguniform: LO", lo); err != nil {
		return nil, err
	}
	if err := checkSizeArg("loguniform: HI", hi); err != nil {
		return nil, err
	}
	if lo > hi {
		return nil, fmt.Errorf("loguniform: LO %d > HI %d", lo, hi)
	}
	return logUniformDist{lo, hi}, nil
}

func (d logUniformDist) Sample(r *rand.Rand) uint64 {
	u := distuv.Uniform{Min: math.Log(float64(d.lo)), Max: math.Log(float64(d.hi) + 1), Src: r}
	x := math.Floor(math.Exp(u.Rand()))
	switch {
	case !(x >= float64(d.lo)):
		return d.lo
	case x >= float64(d.hi):
		return d.hi
	}
	return uint64(x)
}

func (d logUniformDist) String() string {
	return fmt.Sprintf("loguniform:%d,%d", d.lo, d.hi)
}

// ---- log-normal

type logNormalDist struct{ mu, sigma float64 }

// LogNormal returns exp(N(mu, sigma²)) bytes rounded to the nearest integer
// and kept in [1, MaxSize): mu and sigma are those of the natural log of the
// size (median e^mu bytes).
func LogNormal(mu, sigma float64) (SizeDist, error) {
	if err := checkFloatArg("lognormal: MU", mu); err != nil {
		return nil, err
	}
	if err := checkFloatArg("lognormal: SIGMA", sigma); err != nil {
		return nil, err
	}
	if mu < 0 || mu > math.Log(maxSample) {
		return nil, fmt.Errorf("lognormal: MU %v: want 0..%.4g (ln of the median size)", mu, math.Log(maxSample))
	}
	if sigma < 0 || sigma > 10 {
		return nil, fmt.Errorf("lognormal: SIGMA %v: want 0..10", sigma)
	}
	return logNormalDist{mu, sigma}, nil
}

func (d logNormalDist) Sample(r *rand.Rand) uint64 {
	return sizeOfFloat(distuv.LogNormal{Mu: d.mu, Sigma: d.sigma, Src: r}.Rand())
}

func (d logNormalDist) String() string {
	return "lognormal:" + fmtDistFloat(d.mu) + "," + fmtDistFloat(d.sigma)
}

// ---- Pareto

type paretoDist struct {
	xm    uint64
	alpha float64
	max   uint64 // 0: no cap
}

// Pareto returns a Pareto (type I) size with scale xm and shape alpha,
// rounded to the nearest integer: P(X > x) = (xm/x)^alpha. If max > 0 the
// distribution is truncated to [xm, max] (drawn by inversion, so no mass
// piles up at the cap); otherwise sizes are only kept below MaxSize.
func Pareto(xm uint64, alpha float64, max uint64) (SizeDist, error) {
	if err := checkSizeArg("pareto: XM", xm); err != nil {
		return nil, err
	}
	if err := checkFloatArg("pareto: ALPHA", alpha); err != nil {
		return nil, err
	}
	if !(alpha > 0) || alpha > 100 {
		return nil, fmt.Errorf("pareto: ALPHA %v: want > 0 and ≤ 100", alpha)
	}
	if max != 0 {
		if err := checkSizeArg("pareto: max", max); err != nil {
			return nil, err
		}
		if max < xm {
			return nil, fmt.Errorf("pareto: max %d < XM %d", max, xm)
		}
	}
	return paretoDist{xm, alpha, max}, nil
}

func (d paretoDist) Sample(r *rand.Rand) uint64 {
	if d.max == 0 {
		return sizeOfFloat(distuv.Pareto{Xm: float64(d.xm), Alpha: d.alpha, Src: r}.Rand())
	}
	// Inverse CDF of the truncated distribution:
	// F(x) = (1 − (xm/x)^α) / (1 − (xm/max)^α).
	xm, h := float64(d.xm), float64(d.max)
	l := math.Pow(xm/h, d.alpha)
	u := r.Float64()
	x := xm / math.Pow(1-u*(1-l), 1/d.alpha)
	switch {
	case !(x >= xm):
		return d.xm
	case x >= h:
		return d.max
	}
	return uint64(math.Round(x))
}

func (d paretoDist) String() string {
	s := "pareto:" + strconv.FormatUint(d.xm, 10) + "," + fmtDistFloat(d.alpha)
	if d.max != 0 {
		s += ",max=" + strconv.FormatUint(d.max, 10)
	}
	return s
}

// ---- empirical

// Bucket is one bucket of an empirical distribution: sizes in [Lo, Hi),
// drawn uniformly, with relative weight Weight.
type Bucket struct {
	Lo, Hi uint64
	Weight float64
}

type empiricalDist struct {
	buckets []Bucket
	cum     []float64 // cumulative weights
}

// Empirical picks a bucket with probability proportional to its weight and
// then a size uniformly in [Lo, Hi). Buckets need 1 ≤ Lo < Hi ≤ MaxSize and
// finite weights ≥ 0, at least one of them > 0. The slice is copied.
func Empirical(buckets []Bucket) (SizeDist, error) {
	if len(buckets) == 0 {
		return nil, errors.New("empirical: want at least one bucket LO-HI=WEIGHT")
	}
	d := &empiricalDist{buckets: append([]Bucket(nil), buckets...), cum: make([]float64, len(buckets))}
	total := 0.0
	for i, b := range buckets {
		if b.Lo < 1 || b.Hi <= b.Lo || b.Hi > MaxSize {
			return nil, fmt.Errorf("empirical: bucket %d [%d, %d): want 1 ≤ LO < HI ≤ %d", i+1, b.Lo, b.Hi, uint64(MaxSize))
		}
		if math.IsNaN(b.Weight) || math.IsInf(b.Weight, 0) || b.Weight < 0 {
			return nil, fmt.Errorf("empirical: bucket %d weight %v: want a finite number ≥ 0", i+1, b.Weight)
		}
		total += b.Weight
		d.cum[i] = total
	}
	if !(total > 0) || math.IsInf(total, 0) {
		return nil, fmt.Errorf("empirical: total weight %v: want a finite number > 0", total)
	}
	return d, nil
}

// pick returns the index whose cumulative weight interval holds a uniform
// draw; zero-weight entries are never picked.
func distPick(r *rand.Rand, cum []float64) int {
	u := r.Float64() * cum[len(cum)-1]
	i := sort.Search(len(cum), func(i int) bool { return cum[i] > u })
	if i == len(cum) { // rounding at the top: the last entry with weight
		i = len(cum) - 1
		for i > 0 && cum[i-1] == cum[i] {
			i--
		}
	}
	return i
}

func (d *empiricalDist) Sample(r *rand.Rand) uint64 {
	b := d.buckets[distPick(r, d.cum)]
	return b.Lo + r.Uint64N(b.Hi-b.Lo)
}

func (d *empiricalDist) String() string {
	var sb strings.Builder
	sb.WriteString("empirical:")
	for i, b := range d.buckets {
		if i > 0 {
			sb.WriteByte(',')
		}
		if b.Hi == b.Lo+1 {
			fmt.Fprintf(&sb, "%d=%s", b.Lo, fmtDistFloat(b.Weight))
		} else {
			fmt.Fprintf(&sb, "%d-%d=%s", b.Lo, b.Hi, fmtDistFloat(b.Weight))
		}
	}
	return sb.String()
}

// Buckets returns a copy of the buckets of an empirical distribution (nil for
// other distributions).
func Buckets(d SizeDist) []Bucket {
	if e, ok := d.(*empiricalDist); ok {
		return append([]Bucket(nil), e.buckets...)
	}
	return nil
}

// FromInstrumentHistogram turns a histogram of instrument:allocations (slot
// k counts sizes in [(2^k−1)·start, (2^(k+1)−1)·start), the last slot
// everything above its lower bound) into an empirical distribution, uniform
// within each slot. The open-ended last slot is capped as if it were a
// regular one, at (2^n−1)·start − 1 for n slots; FromInstrumentHistogramMax
// takes the cap. Slot 0 starts at 1. Bounds are kept below MaxSize.
//
// instrument counts blocks with their header and tag; subtract what the
// generator's allocator adds if user sizes are wanted.
func FromInstrumentHistogram(start uint64, counts []uint64) (SizeDist, error) {
	if err := checkHistArgs(start, counts); err != nil {
		return nil, err
	}
	n := len(counts)
	max := (uint64(1)<<n-1)*start - 1
	if max > maxSample {
		max = maxSample
	}
	return histDist(start, counts, max)
}

// FromInstrumentHistogramMax is FromInstrumentHistogram with the largest size
// of the last slot given: max ≥ the last slot's lower bound, max < MaxSize.
func FromInstrumentHistogramMax(start uint64, counts []uint64, max uint64) (SizeDist, error) {
	if err := checkHistArgs(start, counts); err != nil {
		return nil, err
	}
	if err := checkSizeArg("hist: max", max); err != nil {
		return nil, err
	}
	return histDist(start, counts, max)
}

func checkHistArgs(start uint64, counts []uint64) error {
	if start < 1 || start > 1<<28 {
		return fmt.Errorf("hist: START %d: want 1..%d (instrument's histogram_start)", start, 1<<28)
	}
	if len(counts) < 1 || len(counts) > 32 {
		return fmt.Errorf("hist: %d slots: want 1..32 (instrument's histogram_width)", len(counts))
	}
	return nil
}

func histDist(start uint64, counts []uint64, max uint64) (SizeDist, error) {
	var bs []Bucket
	n := len(counts)
	for k, c := range counts {
		lo := (uint64(1)<<k - 1) * start
		hi := (uint64(1)<<(k+1) - 1) * start
		if c == 0 {
			continue
		}
		if k == n-1 {
			if max < lo {
				return nil, fmt.Errorf("hist: max %d < %d, the lower bound of the last slot", max, lo)
			}
			hi = max + 1
		}
		if lo < 1 {
			lo = 1
		}
		if hi > MaxSize {
			hi = MaxSize
		}
		if hi <= lo {
			return nil, fmt.Errorf("hist: slot %d holds %d sizes but no size in 1..%d", k, c, uint64(maxSample))
		}
		bs = append(bs, Bucket{Lo: lo, Hi: hi, Weight: float64(c)})
	}
	if len(bs) == 0 {
		return nil, errors.New("hist: all counts are 0: want at least one allocation")
	}
	return Empirical(bs)
}

// ---- mixture

// Weighted is one component of a mixture.
type Weighted struct {
	Weight float64
	Dist   SizeDist
}

type mixtureDist struct {
	parts []Weighted
	cum   []float64
}

// Mixture picks a component with probability proportional to its weight
// (finite, > 0) and samples it. Mixtures do not nest.
func Mixture(parts []Weighted) (SizeDist, error) {
	if len(parts) == 0 {
		return nil, errors.New("mix: want at least one component WEIGHT*SPEC")
	}
	d := &mixtureDist{parts: append([]Weighted(nil), parts...), cum: make([]float64, len(parts))}
	total := 0.0
	for i, p := range parts {
		if math.IsNaN(p.Weight) || math.IsInf(p.Weight, 0) || !(p.Weight > 0) {
			return nil, fmt.Errorf("mix: component %d weight %v: want a finite number > 0", i+1, p.Weight)
		}
		if p.Dist == nil {
			return nil, fmt.Errorf("mix: component %d: no distribution", i+1)
		}
		if _, ok := p.Dist.(*mixtureDist); ok {
			return nil, fmt.Errorf("mix: component %d: mixtures do not nest", i+1)
		}
		total += p.Weight
		d.cum[i] = total
	}
	if math.IsInf(total, 0) {
		return nil, errors.New("mix: total weight overflows")
	}
	return d, nil
}

func (d *mixtureDist) Sample(r *rand.Rand) uint64 {
	return d.parts[distPick(r, d.cum)].Dist.Sample(r)
}

func (d *mixtureDist) String() string {
	var sb strings.Builder
	sb.WriteString("mix:")
	for i, p := range d.parts {
		if i > 0 {
			sb.WriteByte('+')
		}
		sb.WriteString(fmtDistFloat(p.Weight))
		sb.WriteByte('*')
		sb.WriteString(p.Dist.String())
	}
	return sb.String()
}

// ---- parser

const sizeKinds = "fixed, uniform, loguniform, lognormal, pareto, empirical, hist, mix"

// ParseSizeDist reads a size distribution spec, KIND:ARGS:
//
//	fixed:SIZE                      fixed:512
//	uniform:LO,HI                   uniform:64,4096      (both included)
//	loguniform:LO,HI                loguniform:8,2M      (both included)
//	lognormal:MU,SIGMA              lognormal:5,1        (of ln bytes)
//	pareto:XM,ALPHA[,max=MAX]       pareto:65,1.2,max=1M
//	empirical:LO-HI=W,...           empirical:1-64=3,64-1K=1,4096=0.5 ([LO, HI); N=W is size N)
//	hist:START,C0,C1,...[,max=MAX]  hist:512,10,4,0,1    (instrument:allocations slots)
//	mix:W*SPEC+W*SPEC...            mix:0.9*lognormal:5,1+0.1*fixed:1M
//
// SIZE, LO, HI, XM, MAX and START are integers with an optional K, M or G
// suffix (powers of 1024). Errors say what was expected.
func ParseSizeDist(s string) (SizeDist, error) {
	d, err := parseSizeDist(strings.TrimSpace(s), true)
	if err != nil {
		return nil, fmt.Errorf("size distribution %q: %w", s, err)
	}
	return d, nil
}

func parseSizeDist(s string, top bool) (SizeDist, error) {
	if s == "" {
		return nil, errors.New("empty: want KIND:ARGS with KIND one of " + sizeKinds)
	}
	kind, args, ok := strings.Cut(s, ":")
	if !ok {
		if isSizeKind(kind) {
			return nil, fmt.Errorf("%s: missing ':' and arguments", kind)
		}
		return nil, fmt.Errorf("want KIND:ARGS with KIND one of %s", sizeKinds)
	}
	if kind == "mix" {
		if !top {
			return nil, errors.New("mixtures do not nest")
		}
		return parseMix(args)
	}
	if kind == "empirical" {
		return parseEmpirical(args)
	}
	a := strings.Split(args, ",")
	switch kind {
	case "fixed":
		if err := distArity(kind, "SIZE", a, 1, 1); err != nil {
			return nil, err
		}
		n, err := sizeArg(kind, "SIZE", a[0])
		if err != nil {
			return nil, err
		}
		return Fixed(n)
	case "uniform", "loguniform":
		if err := distArity(kind, "LO,HI", a, 2, 2); err != nil {
			return nil, err
		}
		lo, err := sizeArg(kind, "LO", a[0])
		if err != nil {
			return nil, err
		}
		hi, err := sizeArg(kind, "HI", a[1])
		if err != nil {
			return nil, err
		}
		if kind == "uniform" {
			return Uniform(lo, hi)
		}
		return LogUniform(lo, hi)
	case "lognormal":
		if err := distArity(kind, "MU,SIGMA", a, 2, 2); err != nil {
			return nil, err
		}
		mu, err := floatArg(kind, "MU", a[0])
		if err != nil {
			return nil, err
		}
		sigma, err := floatArg(kind, "SIGMA", a[1])
		if err != nil {
			return nil, err
		}
		return LogNormal(mu, sigma)
	case "pareto":
		if err := distArity(kind, "XM,ALPHA[,max=MAX]", a, 2, 3); err != nil {
			return nil, err
		}
		xm, err := sizeArg(kind, "XM", a[0])
		if err != nil {
			return nil, err
		}
		alpha, err := floatArg(kind, "ALPHA", a[1])
		if err != nil {
			return nil, err
		}
		var max uint64
		if len(a) == 3 {
			if max, err = maxArg(kind, a[2]); err != nil {
				return nil, err
			}
		}
		return Pareto(xm, alpha, max)
	case "hist":
		if len(a) < 2 {
			return nil, fmt.Errorf("hist: want START,C0,C1,...[,max=MAX], got %d arguments", len(a))
		}
		start, err := sizeArg(kind, "START", a[0])
		if err != nil {
			return nil, err
		}
		rest := a[1:]
		var max uint64
		hasMax := strings.HasPrefix(rest[len(rest)-1], "max=")
		if hasMax {
			if max, err = maxArg(kind, rest[len(rest)-1]); err != nil {
				return nil, err
			}
			rest = rest[:len(rest)-1]
			if len(rest) == 0 {
				return nil, errors.New("hist: want START,C0,C1,...[,max=MAX], got no counts")
			}
		}
		counts := make([]uint64, len(rest))
		for i, c := range rest {
			if counts[i], err = strconv.ParseUint(c, 10, 64); err != nil {
				return nil, fmt.Errorf("hist: count %d %q: want an integer ≥ 0", i, c)
			}
		}
		if hasMax {
			return FromInstrumentHistogramMax(start, counts, max)
		}
		return FromInstrumentHistogram(start, counts)
	}
	return nil, fmt.Errorf("unknown kind %q: want one of %s", kind, sizeKinds)
}

func isSizeKind(k string) bool {
	switch k {
	case "fixed", "uniform", "loguniform", "lognormal", "pareto", "empirical", "hist", "mix":
		return true
	}
	return false
}

func distArity(kind, want string, a []string, min, max int) error {
	if len(a) < min || len(a) > max {
		return fmt.Errorf("%s: want %s, got %d arguments", kind, want, len(a))
	}
	return nil
}

func maxArg(kind, a string) (uint64, error) {
	v, ok := strings.CutPrefix(a, "max=")
	if !ok {
		return 0, fmt.Errorf("%s: %q: want max=MAX", kind, a)
	}
	return sizeArg(kind, "max", v)
}

// parseSize reads an integer with an optional K, M or G suffix (×1024^n).
func sizeArg(kind, name, a string) (uint64, error) {
	return sizeArgMax(kind, name, a, maxSample)
}

// parseSizeMax is parseSize with limit as the largest value accepted.
func sizeArgMax(kind, name, a string, limit uint64) (uint64, error) {
	bad := fmt.Errorf("%s: %s %q: want an integer with an optional K, M or G suffix", kind, name, a)
	num, mult := a, uint64(1)
	if n := len(a); n > 0 {
		switch a[n-1] {
		case 'k', 'K':
			num, mult = a[:n-1], 1<<10
		case 'm', 'M':
			num, mult = a[:n-1], 1<<20
		case 'g', 'G':
			num, mult = a[:n-1], 1<<30
		}
	}
	if num == "" || num[0] < '0' || num[0] > '9' {
		return 0, bad
	}
	v, err := strconv.ParseUint(num, 10, 64)
	if err != nil && !errors.Is(err, strconv.ErrRange) {
		return 0, bad
	}
	if err != nil || v == 0 || v > limit/mult {
		return 0, fmt.Errorf("%s: %s %s: want 1..%d", kind, name, a, limit)
	}
	return v * mult, nil
}

func floatArg(kind, name, a string) (float64, error) {
	x, err := strconv.ParseFloat(a, 64)
	if err != nil || math.IsNaN(x) || math.IsInf(x, 0) || strings.ContainsAny(a, "xX_") {
		return 0, fmt.Errorf("%s: %s %q: want a finite decimal number", kind, name, a)
	}
	return x, nil
}

func parseEmpirical(args string) (SizeDist, error) {
	var bs []Bucket
	for i, item := range strings.Split(args, ",") {
		rng, w, ok := strings.Cut(item, "=")
		if !ok {
			return nil, fmt.Errorf("empirical: bucket %d %q: want LO-HI=WEIGHT or SIZE=WEIGHT", i+1, item)
		}
		name := fmt.Sprintf("bucket %d", i+1)
		var b Bucket
		var err error
		if lo, hi, isRange := strings.Cut(rng, "-"); isRange {
			if b.Lo, err = sizeArg("empirical", name+" LO", lo); err != nil {
				return nil, err
			}
			if b.Hi, err = sizeArgMax("empirical", name+" HI", hi, MaxSize); err != nil {
				return nil, err
			}
		} else {
			if b.Lo, err = sizeArg("empirical", name+" SIZE", rng); err != nil {
				return nil, err
			}
			b.Hi = b.Lo + 1
		}
		if b.Weight, err = floatArg("empirical", name+" WEIGHT", w); err != nil {
			return nil, err
		}
		bs = append(bs, b)
	}
	return Empirical(bs)
}

// splitMix splits mixture components at '+' signs that are not the sign of a
// float exponent ("1e+06").
func splitMix(s string) []string {
	var parts []string
	start := 0
	for i := 0; i < len(s); i++ {
		if s[i] != '+' {
			continue
		}
		if i > start && (s[i-1] == 'e' || s[i-1] == 'E') && i+1 < len(s) && s[i+1] >= '0' && s[i+1] <= '9' {
			continue
		}
		parts = append(parts, s[start:i])
		start = i + 1
	}
	return append(parts, s[start:])
}

func parseMix(args string) (SizeDist, error) {
	var parts []Weighted
	for i, c := range splitMix(args) {
		w, spec, ok := strings.Cut(c, "*")
		if !ok {
			return nil, fmt.Errorf("mix: component %d %q: want WEIGHT*SPEC", i+1, c)
		}
		x, err := floatArg("mix", fmt.Sprintf("component %d WEIGHT", i+1), w)
		if err != nil {
			return nil, err
		}
		d, err := parseSizeDist(spec, false)
		if err != nil {
			return nil, fmt.Errorf("mix: component %d: %w", i+1, err)
		}
		parts = append(parts, Weighted{Weight: x, Dist: d})
	}
	return Mixture(parts)
}
