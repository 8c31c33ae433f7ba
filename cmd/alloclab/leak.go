package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"alloclab/refc"
	"alloclab/reports"
)

// alloclab leak: the binary-leak lab (package refc).

type leakOpts struct {
	fixes  []string
	set    []string
	seed   uint64
	format string
	top    int
	list   bool
	plot   string
}

func newLeakCmd() *cobra.Command {
	var o leakOpts
	cmd := &cobra.Command{
		Use:   "leak SCENARIO [--fix F]... [--set KEY=VALUE]... [--seed N] [--format text|erlang|json] [--plot DIR]",
		Short: "Reproduce, diagnose and fix a refc-binary leak (recon's bin_leak, proc_count, proc_window)",
		Long: `Run one of the binary-leak lab's scenarios — the measured leaks of
../shared/docs/recon-refc-facts.md §5 — on a simulated OTP 25 node: refc
binaries in binary_alloc, processes with their heaps in eheap_alloc and their
garbage collections, ETS tables in ets_alloc. It prints:

  - erlang:memory(binary), binary_alloc's carriers, processes and ets over
    time (a compact table);
  - after the traffic and 1.5 s idle: recon:proc_count(binary_memory, N),
    recon:proc_window(binary_memory, N, Ms) over the last part of the
    traffic, and a diagnosis in plain words (who retains what, what a GC
    would free, what ETS and mailboxes pin, slices pinning whole binaries);
  - recon:bin_leak(N) (which collects every process) and the memory 1 s
    later.

With --fix, the same run without the fixes comes first for comparison.
--plot DIR charts erlang:memory(binary) (solid) and binary_alloc's carriers
(dashed) over time, one colour per run.

Scenarios: sessions, router, slices, logfile, backlog, notreturned; --list
shows their parameters and fixes.

Errors (exit status 2): an unknown scenario, parameter or fix, a malformed
--set, a parameter out of range, flags the allocators reject.`,
		Args: func(cmd *cobra.Command, args []string) error {
			if o.list {
				return nil
			}
			return exactArgs(1)(cmd, args)
		},
		RunE: func(cmd *cobra.Command, args []string) error {
			if o.list {
				return listLeakScenarios(cmd.OutOrStdout())
			}
			return runLeak(cmd.OutOrStdout(), args[0], o)
		},
	}
	f := cmd.Flags()
	f.StringArrayVar(&o.fixes, "fix", nil, "apply a fix (repeatable; see --list)")
	f.StringArrayVar(&o.set, "set", nil, "override a scenario parameter, KEY=VALUE (repeatable; see --list)")
	f.Uint64Var(&o.seed, "seed", 1, "seed of the scenario's random choices (processing order, kept lines)")
	f.StringVar(&o.format, "format", "text", "output format: text, erlang or json")
	f.IntVar(&o.top, "top", 3, "N of bin_leak, proc_count and proc_window")
	f.BoolVar(&o.list, "list", false, "list the scenarios with their parameters and fixes")
	f.StringVar(&o.plot, "plot", "", "write leak-memory.png and .svg into DIR: erlang:memory(binary) and binary_alloc's carriers over time, with and without the fixes")
	return cmd
}

func listLeakScenarios(out io.Writer) error {
	for i, sc := range refc.Scenarios() {
		if i > 0 {
			fmt.Fprintln(out)
		}
		fmt.Fprintf(out, "%s (facts %s)\n", sc.Name, sc.Facts)
		for _, l := range strings.Split(sc.Doc, "\n") {
			fmt.Fprintf(out, "  %s\n", l)
		}
		tw := tabwriter.NewWriter(out, 0, 8, 2, ' ', 0)
		for _, p := range sc.Params {
			fmt.Fprintf(tw, "    --set %s=%s\t%s\n", p.Name, p.Default, p.Doc)
		}
		for _, f := range sc.Fixes {
			fmt.Fprintf(tw, "    --fix %s\t%s\n", f.Name, f.Doc)
		}
		if err := tw.Flush(); err != nil {
			return err
		}
	}
	fmt.Fprintln(out, "\nEvery scenario also takes --set schedulers=N, flags=\"+M...\" and hmbs=WORDS.")
	return nil
}

func runLeak(out io.Writer, name string, o leakOpts) error {
	sc, ok := refc.Lookup(name)
	if !ok {
		var names []string
		for _, s := range refc.Scenarios() {
			names = append(names, s.Name)
		}
		return userErrorf("leak: unknown scenario %q (scenarios: %s)", name, strings.Join(names, ", "))
	}
	switch o.format {
	case "text", "erlang", "json":
	default:
		return userErrorf("leak: --format %q: must be text, erlang or json", o.format)
	}
	if o.top < 1 || o.top > 1000 {
		return userErrorf("leak: --top %d: must be 1..1000", o.top)
	}
	set := map[string]string{}
	for _, kv := range o.set {
		k, v, ok := strings.Cut(kv, "=")
		if !ok || k == "" {
			return userErrorf("leak: --set %q: want KEY=VALUE", kv)
		}
		set[k] = v
	}
	exec := func(fixes []string) (*refc.Result, error) {
		res, err := sc.Execute(refc.Options{Set: set, Fixes: fixes, Seed: o.seed, Top: o.top})
		var re *refc.Error
		if errors.As(err, &re) {
			return nil, userErrorf("leak: %v", err)
		}
		return res, err
	}
	var runs []*refc.Result
	if len(o.fixes) > 0 {
		base, err := exec(nil)
		if err != nil {
			return err
		}
		runs = append(runs, base)
	}
	res, err := exec(o.fixes)
	if err != nil {
		return err
	}
	runs = append(runs, res)
	if o.plot != "" {
		if err := writeLeakChart(o.plot, runs); err != nil {
			return err
		}
	}
	var b strings.Builder
	switch o.format {
	case "text":
		for i, r := range runs {
			if i > 0 {
				b.WriteString("\n")
			}
			writeLeakText(&b, r, o.top)
		}
		if len(runs) == 2 {
			writeLeakComparison(&b, runs[0], runs[1])
		}
	case "erlang":
		var ts []string
		for _, r := range runs {
			ts = append(ts, leakTerm(r))
		}
		if len(ts) == 1 {
			b.WriteString(ts[0] + ".\n")
		} else {
			b.WriteString("[" + strings.Join(ts, ",\n ") + "].\n")
		}
	case "json":
		var v any = leakJSON(runs[0])
		if len(runs) == 2 {
			v = []any{leakJSON(runs[0]), leakJSON(runs[1])}
		}
		js, err := json.MarshalIndent(v, "", "  ")
		if err != nil {
			return err
		}
		b.Write(js)
		b.WriteString("\n")
	}
	_, err = io.WriteString(out, b.String())
	return err
}

func fixesText(r *refc.Result) string {
	if len(r.Fixes) == 0 {
		return "none"
	}
	return strings.Join(r.Fixes, ", ")
}

func paramsText(r *refc.Result) string {
	var ps []string
	for _, p := range r.Params {
		if p.Default == "" {
			continue
		}
		ps = append(ps, p.Name+"="+p.Default)
	}
	return strings.Join(ps, " ")
}

// timelineRows picks at most max rows of the timeline: the first, evenly
// spaced ones, and the last three (idle and after bin_leak).
func timelineRows(tl []refc.Point, max int) []refc.Point {
	if len(tl) <= max {
		return tl
	}
	tail := tl[len(tl)-3:]
	body := tl[:len(tl)-3]
	n := max - 3
	var out []refc.Point
	for i := range n {
		out = append(out, body[i*(len(body)-1)/(n-1)])
	}
	return append(out, tail...)
}

func writeLeakText(b *strings.Builder, r *refc.Result, top int) {
	fmt.Fprintf(b, "scenario %s (facts %s), fixes: %s, seed %d\n  %s\n\n", r.Scenario, r.Facts, fixesText(r), r.Seed, paramsText(r))
	tw := tabwriter.NewWriter(b, 0, 8, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintf(tw, "ms\tevent\tbinary\tbinary_alloc carriers\tprocesses\tets\t\n")
	for _, p := range timelineRows(r.Timeline, 14) {
		fmt.Fprintf(tw, "%d\t%s\t%s\t%s\t%s\t%s\t\n", p.Ms, p.Label, refc.Bytes(p.Mem.Binary), refc.Bytes(p.Mem.BinaryCarriers), refc.Bytes(p.Mem.Processes), refc.Bytes(p.Mem.ETS))
	}
	tw.Flush()
	fmt.Fprintf(b, "\nafter the traffic and 1.5 s idle: erlang:memory(binary) = %s bytes (%s)\n", refc.Bytes(r.Before.Binary), refc.MiB(r.Before.Binary))
	for _, v := range r.Extra {
		fmt.Fprintf(b, "  %s = %s\n", v.Name, refc.Bytes(v.Value))
	}
	fmt.Fprintf(b, "\nrecon:proc_count(binary_memory, %d).\n%s\n", top, refc.StatsTerm(r.ProcCount))
	if r.ProcWindow != nil {
		fmt.Fprintf(b, "\nrecon:proc_window(binary_memory, %d, %d).\n%s\n", top, r.WindowMs, refc.StatsTerm(r.ProcWindow))
	}
	fmt.Fprintf(b, "\ndiagnosis:\n%s", r.Diagnosis.Text(top))
	fmt.Fprintf(b, "\nrecon:bin_leak(%d).\n%s\n", top, refc.StatsTerm(r.BinLeak))
	fmt.Fprintf(b, "\n1 s after bin_leak: erlang:memory(binary) = %s bytes (%s), binary_alloc carriers %s bytes\n",
		refc.Bytes(r.After.Binary), refc.MiB(r.After.Binary), refc.Bytes(r.After.BinaryCarriers))
}

func writeLeakComparison(b *strings.Builder, base, fixed *refc.Result) {
	fmt.Fprintf(b, "\n--fix %s: erlang:memory(binary) after the traffic %s → %s bytes (%s → %s); peak binary_alloc carriers %s → %s bytes\n",
		fixesText(fixed), refc.Bytes(base.Before.Binary), refc.Bytes(fixed.Before.Binary), refc.MiB(base.Before.Binary), refc.MiB(fixed.Before.Binary),
		refc.Bytes(peakCarriers(base)), refc.Bytes(peakCarriers(fixed)))
}

func peakCarriers(r *refc.Result) uint64 {
	var m uint64
	for _, p := range r.Timeline {
		m = max(m, p.Mem.BinaryCarriers)
	}
	return m
}

// leakTerm is the run as an Erlang term: a proplist whose recon parts
// have recon's shapes.
func leakTerm(r *refc.Result) string {
	var ps []string
	for _, p := range r.Params {
		v := p.Default
		if !isDigits(v) && !isAtom(v) {
			v = fmt.Sprintf("%q", v)
		}
		ps = append(ps, fmt.Sprintf("{%s,%s}", p.Name, v))
	}
	mem := func(m refc.Memory) string {
		return fmt.Sprintf("[{binary,%d},{binary_alloc_carriers,%d},{processes,%d},{ets,%d}]", m.Binary, m.BinaryCarriers, m.Processes, m.ETS)
	}
	var tl []string
	for _, p := range r.Timeline {
		tl = append(tl, fmt.Sprintf("{%d,%q,%s}", p.Ms, p.Label, mem(p.Mem)))
	}
	var ex []string
	for _, v := range r.Extra {
		ex = append(ex, fmt.Sprintf("{'%s',%d}", v.Name, v.Value))
	}
	fixes := strings.Join(r.Fixes, ",")
	indent := func(s string) string { return strings.ReplaceAll(s, "\n", "\n   ") }
	return fmt.Sprintf("[{scenario,%s},\n {params,[%s]},\n {fixes,[%s]},\n {seed,%d},\n {timeline,[%s]},\n {memory_before,%s},\n {proc_count,%s},\n {proc_window,{%d,%s}},\n {bin_leak,%s},\n {memory_after,%s},\n {measured,[%s]}]",
		r.Scenario, strings.Join(ps, ","), fixes, r.Seed, strings.Join(tl, ",\n   "), mem(r.Before),
		indent(refc.StatsTerm(r.ProcCount)), r.WindowMs, indent(refc.StatsTerm(r.ProcWindow)), indent(refc.StatsTerm(r.BinLeak)), mem(r.After), strings.Join(ex, ","))
}

// isAtom reports whether s is an atom that needs no quotes.
func isAtom(s string) bool {
	for i, c := range s {
		if !(c >= 'a' && c <= 'z' || i > 0 && (c >= '0' && c <= '9' || c == '_' || c >= 'A' && c <= 'Z')) {
			return false
		}
	}
	return s != ""
}

func isDigits(s string) bool {
	for _, c := range s {
		if c < '0' || c > '9' {
			return false
		}
	}
	return s != ""
}

type leakStatJSON struct {
	Pid         string `json:"pid"`
	Value       int64  `json:"value"`
	Name        string `json:"registered_name,omitempty"`
	CurrentFunc string `json:"current_function"`
	InitialCall string `json:"initial_call"`
}

type leakRunJSON struct {
	Scenario   string            `json:"scenario"`
	Facts      string            `json:"facts"`
	Params     map[string]string `json:"params"`
	Fixes      []string          `json:"fixes"`
	Seed       uint64            `json:"seed"`
	Timeline   []leakPointJSON   `json:"timeline"`
	Before     refc.Memory       `json:"memory_before"`
	ProcCount  []leakStatJSON    `json:"proc_count"`
	ProcWindow []leakStatJSON    `json:"proc_window"`
	WindowMs   uint64            `json:"proc_window_ms"`
	BinLeak    []leakStatJSON    `json:"bin_leak"`
	After      refc.Memory       `json:"memory_after"`
	Measured   map[string]uint64 `json:"measured"`
	Diagnosis  string            `json:"diagnosis"`
}

type leakPointJSON struct {
	Ms    uint64      `json:"ms"`
	Label string      `json:"event"`
	Mem   refc.Memory `json:"memory"`
}

func leakStats(ss []refc.ProcStat) []leakStatJSON {
	out := []leakStatJSON{}
	for _, s := range ss {
		out = append(out, leakStatJSON{fmt.Sprintf("<0.%d.0>", s.Pid), s.Value, s.Name, s.Cur.String(), s.Init.String()})
	}
	return out
}

func leakJSON(r *refc.Result) leakRunJSON {
	j := leakRunJSON{Scenario: r.Scenario, Facts: r.Facts, Params: map[string]string{}, Fixes: r.Fixes, Seed: r.Seed,
		Before: r.Before, ProcCount: leakStats(r.ProcCount), ProcWindow: leakStats(r.ProcWindow), WindowMs: r.WindowMs,
		BinLeak: leakStats(r.BinLeak), After: r.After, Measured: map[string]uint64{}, Diagnosis: r.Diagnosis.Text(len(r.BinLeak))}
	if j.Fixes == nil {
		j.Fixes = []string{}
	}
	for _, p := range r.Params {
		j.Params[p.Name] = p.Default
	}
	for _, p := range r.Timeline {
		j.Timeline = append(j.Timeline, leakPointJSON{p.Ms, p.Label, p.Mem})
	}
	for _, v := range r.Extra {
		j.Measured[v.Name] = v.Value
	}
	return j
}

// writeLeakChart draws erlang:memory(binary) and binary_alloc's carriers
// over the runs' timelines (the run without the fixes first) into
// DIR/leak-memory.png and .svg.
func writeLeakChart(dir string, runs []*refc.Result) error {
	var lines []reports.TimeLine
	for i, r := range runs {
		name := "no fix"
		if len(r.Fixes) > 0 {
			name = "--fix " + strings.Join(r.Fixes, ",")
		}
		bin := reports.TimeLine{Name: "binary, " + name, Color: i}
		crr := reports.TimeLine{Name: "binary_alloc carriers, " + name, Color: i, Dashed: true}
		for _, p := range r.Timeline {
			bin.Ms = append(bin.Ms, float64(p.Ms))
			bin.Bytes = append(bin.Bytes, float64(p.Mem.Binary))
			crr.Ms = append(crr.Ms, float64(p.Ms))
			crr.Bytes = append(crr.Bytes, float64(p.Mem.BinaryCarriers))
		}
		lines = append(lines, bin, crr)
	}
	ch, err := reports.MemoryChart("leak-memory", "leak "+runs[0].Scenario+": erlang:memory(binary) and binary_alloc carriers", lines)
	if err != nil {
		return err
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return userErrorf("leak: --plot %s: %v", dir, err)
	}
	for _, f := range []string{"png", "svg"} {
		b, err := ch.Render(f)
		if err != nil {
			return err
		}
		if err := os.WriteFile(filepath.Join(dir, ch.Name+"."+f), b, 0o644); err != nil {
			return userErrorf("leak: --plot: %v", err)
		}
	}
	return nil
}
