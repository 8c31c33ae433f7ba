package oracle

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
)

// NoiseResult says, like ../shared/oracle/node_noise.py, which lines of
// several reports of the same replay are identical in every run and how the
// others vary. Lines are matched by NodeLine.Key; "#" lines are ignored.
type NoiseResult struct {
	Runs []*NodeReport
	Keys []NoiseKey // every key of the selected tags, in order of first appearance
	idx  map[string]int
	tags []string
}

// NoiseKey is one key across the runs.
type NoiseKey struct {
	Key      string
	Stable   bool         // present in every run with identical fields
	Values   [][]string   // the fields per run, nil where the key is absent
	Fields   []FieldRange // per field position, over the runs that have it
	Variants int          // distinct field lists
	Top      int          // runs with the most common variant
	Absent   int          // runs without the key
}

// FieldRange is what one field position took over the runs: Min..Max when
// every value was an integer, else the distinct strings.
type FieldRange struct {
	Numeric  bool
	Min, Max int64
	Strings  []string // sorted, distinct (non-numeric fields)
}

func (f FieldRange) String() string {
	if f.Numeric {
		if f.Min == f.Max {
			return strconv.FormatInt(f.Min, 10)
		}
		return fmt.Sprintf("%d..%d", f.Min, f.Max)
	}
	if len(f.Strings) == 1 {
		return f.Strings[0]
	}
	return "{" + strings.Join(f.Strings, "|") + "}"
}

// Contains reports whether v lies in the range (numeric) or is one of the
// strings seen.
func (f FieldRange) Contains(v string) bool {
	if f.Numeric {
		x, err := strconv.ParseInt(v, 10, 64)
		return err == nil && f.Min <= x && x <= f.Max
	}
	_, found := slices.BinarySearch(f.Strings, v)
	return found
}

// Noise runs the oracle n times with the same trace and options, one after
// the other, and reports which lines are identical in every run (NoiseOf
// over all tags). Use n ≥ 2; differential tests compare stable keys exactly
// and the others against the ranges seen (CompareNode with
// CompareOpts.Noise).
func Noise(trace string, n int, opts NodeOpts) (*NoiseResult, error) {
	if n < 1 {
		return nil, fmt.Errorf("oracle noise: %d runs", n)
	}
	runs := make([]*NodeReport, 0, n)
	for i := 0; i < n; i++ {
		r, err := RunNode(trace, opts)
		if err != nil {
			return nil, fmt.Errorf("oracle noise: run %d of %d: %w", i+1, n, err)
		}
		runs = append(runs, r)
	}
	return NoiseOf(runs), nil
}

// NoiseOf analyses stored reports. With tags (e.g. "D", "X") only lines with
// those tags are considered; by default all (M, O, I, D, X, C0, C).
func NoiseOf(runs []*NodeReport, tags ...string) *NoiseResult {
	nr := &NoiseResult{Runs: runs, idx: map[string]int{}, tags: tags}
	per := make([]map[string][]string, len(runs))
	for i, r := range runs {
		per[i] = map[string][]string{}
		for _, l := range r.Lines() {
			if len(tags) > 0 && !slices.Contains(tags, l.Tag()) {
				continue
			}
			per[i][l.Key] = l.Fields
			if _, ok := nr.idx[l.Key]; !ok {
				nr.idx[l.Key] = len(nr.Keys)
				nr.Keys = append(nr.Keys, NoiseKey{Key: l.Key})
			}
		}
	}
	for ki := range nr.Keys {
		k := &nr.Keys[ki]
		variants := map[string]int{}
		for i := range runs {
			v, ok := per[i][k.Key]
			if !ok {
				k.Values = append(k.Values, nil)
				k.Absent++
				continue
			}
			k.Values = append(k.Values, v)
			variants[strings.Join(v, " ")]++
		}
		k.Variants = len(variants)
		for _, c := range variants {
			k.Top = max(k.Top, c)
		}
		k.Stable = k.Absent == 0 && k.Variants == 1
		k.Fields = fieldRanges(k.Values)
	}
	return nr
}

func fieldRanges(vals [][]string) []FieldRange {
	width := 0
	for _, v := range vals {
		width = max(width, len(v))
	}
	out := make([]FieldRange, width)
	for j := range out {
		var col []string
		for _, v := range vals {
			if j < len(v) {
				col = append(col, v[j])
			}
		}
		out[j] = rangeOf(col)
	}
	return out
}

func rangeOf(col []string) FieldRange {
	fr := FieldRange{Numeric: len(col) > 0}
	for i, s := range col {
		x, err := strconv.ParseInt(s, 10, 64)
		if err != nil {
			fr.Numeric = false
			break
		}
		if i == 0 || x < fr.Min {
			fr.Min = x
		}
		if i == 0 || x > fr.Max {
			fr.Max = x
		}
	}
	if !fr.Numeric {
		fr.Min, fr.Max = 0, 0
		for _, s := range col {
			if _, found := slices.BinarySearch(fr.Strings, s); !found {
				fr.Strings = append(fr.Strings, s)
				slices.Sort(fr.Strings)
			}
		}
	}
	return fr
}

// Key returns the record of key.
func (nr *NoiseResult) Key(key string) (NoiseKey, bool) {
	i, ok := nr.idx[key]
	if !ok {
		return NoiseKey{}, false
	}
	return nr.Keys[i], true
}

// Stable reports whether key was present and identical in every run.
func (nr *NoiseResult) Stable(key string) bool {
	k, ok := nr.Key(key)
	return ok && k.Stable
}

// Varying returns the keys that were not identical in every run.
func (nr *NoiseResult) Varying() []NoiseKey {
	var out []NoiseKey
	for _, k := range nr.Keys {
		if !k.Stable {
			out = append(out, k)
		}
	}
	return out
}

// StartGroup is a set of runs that started from the same state ("M
// start_carriers"/"M start_mmap") and how many distinct reports they gave,
// counting the selected non-M lines.
type StartGroup struct {
	Start    string // "start_carriers/start_mmap"
	Runs     []int  // run indices
	Distinct int
}

// StartGroups groups the runs by their start fingerprints, in order of
// first appearance (node_noise.py --by-start).
func (nr *NoiseResult) StartGroups() []StartGroup {
	var groups []StartGroup
	reports := map[string]map[string]bool{}
	for i, r := range nr.Runs {
		sc, sm := r.Meta.StartCarriers, r.Meta.StartMmap
		if sc == "" {
			sc = "?"
		}
		if sm == "" {
			sm = "?"
		}
		start := sc + "/" + sm
		var b strings.Builder
		for _, l := range r.Lines() {
			if l.Tag() == "M" {
				continue
			}
			if _, ok := nr.idx[l.Key]; !ok {
				continue
			}
			b.WriteString(l.Key + " " + strings.Join(l.Fields, " ") + "\n")
		}
		gi := slices.IndexFunc(groups, func(g StartGroup) bool { return g.Start == start })
		if gi < 0 {
			gi = len(groups)
			groups = append(groups, StartGroup{Start: start})
			reports[start] = map[string]bool{}
		}
		groups[gi].Runs = append(groups[gi].Runs, i)
		reports[start][b.String()] = true
		groups[gi].Distinct = len(reports[start])
	}
	return groups
}

// String prints the analysis as node_noise.py does: a summary, the start
// groups, then each varying key with its fields' ranges.
func (nr *NoiseResult) String() string {
	var b strings.Builder
	v := nr.Varying()
	fmt.Fprintf(&b, "runs %d, keys %d, identical in all runs %d, varying %d\n",
		len(nr.Runs), len(nr.Keys), len(nr.Keys)-len(v), len(v))
	for _, g := range nr.StartGroups() {
		fmt.Fprintf(&b, "  start_carriers/start_mmap %s: %d runs, %d distinct reports\n", g.Start, len(g.Runs), g.Distinct)
	}
	for _, k := range v {
		fs := make([]string, len(k.Fields))
		for i, f := range k.Fields {
			fs[i] = f.String()
		}
		extra := ""
		if k.Absent > 0 {
			extra = fmt.Sprintf(" (absent in %d runs)", k.Absent)
		}
		fmt.Fprintf(&b, "  %-60s %s   [%d variants, top %d/%d]%s\n", k.Key, strings.Join(fs, " "), k.Variants, k.Top, len(nr.Runs), extra)
	}
	return b.String()
}
