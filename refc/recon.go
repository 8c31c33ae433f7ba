package refc

import (
	"cmp"
	"fmt"
	"slices"
	"strings"
)

// recon's process diagnostics over the model (facts §2).

// ProcStat is one element of recon's answers: {Pid, Value, Info}.
type ProcStat struct {
	Pid   int
	Value int64
	Name  string // registered name, "" for none
	Cur   MFA    // current_function
	Init  MFA    // initial_call
}

func stat(p *Process, v int64) ProcStat {
	return ProcStat{Pid: p.Pid, Value: v, Name: p.Name, Cur: p.Func, Init: p.Init}
}

// top sorts by {Value, Pid} descending — recon's pairing heap pops the
// largest tuple first — and keeps n.
func top(ss []ProcStat, n int) []ProcStat {
	slices.SortFunc(ss, func(a, b ProcStat) int {
		if c := cmp.Compare(b.Value, a.Value); c != 0 {
			return c
		}
		return cmp.Compare(b.Pid, a.Pid)
	})
	if n >= 0 && len(ss) > n {
		ss = ss[:n]
	}
	return ss
}

// BinLeak is recon:bin_leak(N) (facts §2.1): for every live process, in
// pid order, the length of process_info(P, binary), a fullsweep
// (erlang:garbage_collect(P)), the length again; the top n by
// Pre − Post, reported negated (most negative first). It collects every
// process — it is also the cure.
func (n *Node) BinLeak(top_ int) ([]ProcStat, error) {
	var ss []ProcStat
	for _, p := range n.procs {
		if p.dead {
			continue
		}
		pre := len(p.BinaryList())
		if err := p.gc(true, 0); err != nil {
			return nil, err
		}
		post := len(p.BinaryList())
		ss = append(ss, stat(p, int64(pre-post)))
	}
	ss = top(ss, top_)
	for i := range ss {
		ss[i].Value = -ss[i].Value
	}
	return ss, nil
}

// ProcCount is recon:proc_count(binary_memory, N): each process's
// binary_memory — the full size of every binary it lists, once per
// listing, no de-duplication (facts §2.2, §2.3) — top n.
func (n *Node) ProcCount(topN int) []ProcStat {
	return top(n.sample(), topN)
}

func (n *Node) sample() []ProcStat {
	var ss []ProcStat
	for _, p := range n.procs {
		if !p.dead {
			ss = append(ss, stat(p, int64(p.BinaryMemory())))
		}
	}
	return ss
}

// Sample is one proc_window sample: binary_memory of every live process.
type Sample struct {
	at    uint64
	stats []ProcStat
}

// SampleProcs takes proc_window's first (or second) sample.
func (n *Node) SampleProcs() Sample { return Sample{n.now, n.sample()} }

// ProcWindow is recon:proc_window(binary_memory, N, Ms) between two
// samples (facts §2.3): Last − First per pid; a pid only in the second
// sample keeps its absolute value, one only in the first keeps its first
// value; top n. Ms is the samples' distance in milliseconds.
func ProcWindow(first, last Sample, topN int) (ss []ProcStat, ms uint64) {
	firstBy := map[int]ProcStat{}
	for _, s := range first.stats {
		firstBy[s.Pid] = s
	}
	seen := map[int]bool{}
	for _, s := range last.stats {
		seen[s.Pid] = true
		if f, ok := firstBy[s.Pid]; ok {
			s.Value -= f.Value
		}
		ss = append(ss, s)
	}
	for _, s := range first.stats {
		if !seen[s.Pid] {
			ss = append(ss, s)
		}
	}
	return top(ss, topN), (last.at - first.at) / 1e6
}

// StatsTerm writes recon's [{Pid, Value, Info}] in Erlang syntax, one
// element per line as the shell prints a long list: Info is [Name] when
// registered, then current_function and initial_call.
func StatsTerm(ss []ProcStat) string {
	if len(ss) == 0 {
		return "[]"
	}
	var b strings.Builder
	for i, s := range ss {
		if i == 0 {
			b.WriteString("[")
		} else {
			b.WriteString(",\n ")
		}
		fmt.Fprintf(&b, "{<0.%d.0>,%d,\n  [", s.Pid, s.Value)
		if s.Name != "" {
			b.WriteString(s.Name + ",\n   ")
		}
		fmt.Fprintf(&b, "{current_function,%v},\n   {initial_call,%v}]}", s.Cur, s.Init)
	}
	b.WriteString("]")
	return b.String()
}
