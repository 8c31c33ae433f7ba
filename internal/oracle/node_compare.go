package oracle

import (
	"fmt"
	"slices"
	"strings"
)

// Verdict is the outcome of comparing one key of two node reports.
type Verdict string

const (
	Agree       Verdict = "agree"        // identical fields
	WithinNoise Verdict = "within-noise" // different, but the key varied across the oracle's runs and the simulator's fields lie within what they showed
	Differ      Verdict = "differ"       // different (a stable key, or outside the noise)
	OnlyOracle  Verdict = "only-oracle"  // the simulated report lacks the key
	OnlySim     Verdict = "only-sim"     // the oracle's report lacks the key
)

// CompareOpts selects what CompareNode compares.
type CompareOpts struct {
	// Tags are the line tags compared; nil means D, I and X (the replay's
	// effect and the live-block accounting). Add "O" to compare options,
	// "C"/"C0" for carrier lists, "M" for the M lines (which include the
	// flags and start fingerprints).
	Tags []string
	// Noise, when set, holds oracle runs of the same trace and options
	// (Noise or NoiseOf): a key that varied across them counts as
	// WithinNoise when the simulator's fields lie within the values seen
	// (integers: min..max; other fields: one of the strings seen), and a
	// key absent in some runs may be absent in the simulated report.
	Noise *NoiseResult
	// Skip, when set, leaves out the keys it returns true for (e.g. what
	// the simulator does not model, such as "calls mseg_alloc").
	Skip func(key string) bool
}

// KeyDiff is one compared key.
type KeyDiff struct {
	Key     string
	Verdict Verdict
	Oracle  []string  // the oracle's fields, nil when absent
	Sim     []string  // the simulator's fields, nil when absent
	Noise   *NoiseKey // the key across the oracle's runs, when it varied there
	Line    int       // line in the oracle's report (0: absent or an M line)
}

// NodeComparison is the result of CompareNode.
type NodeComparison struct {
	Keys   []KeyDiff // the oracle's keys in report order, then keys only the simulated report has
	Counts map[Verdict]int
}

// CompareNode compares an oracle report with a simulated one in the same
// structure, key by key (NodeLine keys, so the tags must match: D lines with
// D lines).
func CompareNode(oracle, sim *NodeReport, opts CompareOpts) *NodeComparison {
	tags := opts.Tags
	if tags == nil {
		tags = []string{"D", "I", "X"}
	}
	sel := func(l NodeLine) bool {
		return slices.Contains(tags, l.Tag()) && (opts.Skip == nil || !opts.Skip(l.Key))
	}
	simLines := map[string][]string{}
	var simOrder []string
	for _, l := range sim.Lines() {
		if sel(l) {
			simLines[l.Key] = l.Fields
			simOrder = append(simOrder, l.Key)
		}
	}
	c := &NodeComparison{Counts: map[Verdict]int{}}
	seen := map[string]bool{}
	noiseOf := func(key string) *NoiseKey {
		if opts.Noise == nil {
			return nil
		}
		if k, ok := opts.Noise.Key(key); ok && !k.Stable {
			return &k
		}
		return nil
	}
	add := func(d KeyDiff) {
		c.Keys = append(c.Keys, d)
		c.Counts[d.Verdict]++
	}
	for _, l := range oracle.Lines() {
		if !sel(l) {
			continue
		}
		seen[l.Key] = true
		d := KeyDiff{Key: l.Key, Oracle: l.Fields, Line: l.Line, Noise: noiseOf(l.Key)}
		s, ok := simLines[l.Key]
		switch {
		case !ok:
			d.Verdict = OnlyOracle
			if d.Noise != nil && d.Noise.Absent > 0 {
				d.Verdict = WithinNoise
			}
		case slices.Equal(s, l.Fields):
			d.Sim, d.Verdict = s, Agree
		default:
			d.Sim, d.Verdict = s, Differ
			if d.Noise != nil && withinNoise(s, d.Noise, l.Fields) {
				d.Verdict = WithinNoise
			}
		}
		add(d)
	}
	for _, key := range simOrder {
		if seen[key] {
			continue
		}
		d := KeyDiff{Key: key, Sim: simLines[key], Verdict: OnlySim, Noise: noiseOf(key)}
		if d.Noise != nil && d.Noise.Absent < len(d.Noise.Values) && withinNoise(d.Sim, d.Noise, nil) {
			d.Verdict = WithinNoise
		}
		add(d)
	}
	return c
}

// withinNoise: sim has as many fields as some run (or the oracle's report)
// and each field lies within what the runs and the oracle's report showed.
func withinNoise(sim []string, k *NoiseKey, oracle []string) bool {
	vals := append([][]string{}, k.Values...)
	if oracle != nil {
		vals = append(vals, oracle)
	}
	arity := false
	for _, v := range vals {
		if v != nil && len(v) == len(sim) {
			arity = true
		}
	}
	if !arity {
		return false
	}
	ranges := fieldRanges(vals)
	for j, f := range sim {
		if !ranges[j].Contains(f) {
			return false
		}
	}
	return true
}

// OK reports whether every compared key agreed, exactly or within noise.
func (c *NodeComparison) OK() bool {
	return c.Counts[Differ]+c.Counts[OnlyOracle]+c.Counts[OnlySim] == 0
}

// Agreements returns the keys that agreed, exactly or within noise.
func (c *NodeComparison) Agreements() []KeyDiff {
	return c.filter(func(v Verdict) bool { return v == Agree || v == WithinNoise })
}

// Differences returns the keys that differ or that one side lacks.
func (c *NodeComparison) Differences() []KeyDiff {
	return c.filter(func(v Verdict) bool { return v != Agree && v != WithinNoise })
}

func (c *NodeComparison) filter(keep func(Verdict) bool) []KeyDiff {
	var out []KeyDiff
	for _, d := range c.Keys {
		if keep(d.Verdict) {
			out = append(out, d)
		}
	}
	return out
}

// String prints a summary line, then every key that did not agree exactly,
// oracle and simulator side by side (with the range over the oracle's runs
// for keys that varied there).
func (c *NodeComparison) String() string {
	var b strings.Builder
	fmt.Fprintf(&b, "compared %d keys: %d agree, %d within noise, %d differ, %d only in the oracle, %d only in the simulator\n",
		len(c.Keys), c.Counts[Agree], c.Counts[WithinNoise], c.Counts[Differ], c.Counts[OnlyOracle], c.Counts[OnlySim])
	show := func(f []string) string {
		if f == nil {
			return "(absent)"
		}
		return strings.Join(f, " ")
	}
	w := 0
	for _, d := range c.Keys {
		if d.Verdict != Agree {
			w = max(w, len(d.Key))
		}
	}
	for _, d := range c.Keys {
		if d.Verdict == Agree {
			continue
		}
		fmt.Fprintf(&b, "%-12s %-*s  oracle %-24s  sim %s", d.Verdict, w, d.Key, show(d.Oracle), show(d.Sim))
		if d.Noise != nil {
			fs := make([]string, len(d.Noise.Fields))
			for i, f := range d.Noise.Fields {
				fs[i] = f.String()
			}
			fmt.Fprintf(&b, "  (oracle runs: %s, %d variants in %d runs", strings.Join(fs, " "), d.Noise.Variants, len(d.Noise.Values))
			if d.Noise.Absent > 0 {
				fmt.Fprintf(&b, ", absent in %d", d.Noise.Absent)
			}
			b.WriteString(")")
		}
		b.WriteByte('\n')
	}
	return b.String()
}
