package main

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"alloclab/allocator"
	"alloclab/carriers"
	"alloclab/reports"
	"alloclab/workloads"
)

type replayOpts struct {
	single     bool
	schedulers int
	flags      []string
	vmArgs     string
	layout     bool
	info       bool
	stats      bool
	recon      bool
	instrument bool
	statsEvery int
	format     string
	check      bool
	lenient    bool
}

func newReplayCmd() *cobra.Command {
	var o replayOpts
	cmd := &cobra.Command{
		Use:   "replay [flags] TRACE",
		Short: "Replay an alloclab-trace 1 file ('-' for standard input)",
		Long: `Replay a trace (alloclab-trace 1, see the README) on the simulated allocators
and report the result.

By default the trace runs on a node: every allocator type with instance 0 and
one instance per scheduler (--schedulers, else the trace's '@ schedulers N',
else 2), configured like 'erl +S N' with the trace's '@ flags', then
--vm-args, then --flags (later wins). TYPE and SCHED route each record; a
free or realloc by another scheduler is a delayed deallocation, applied when
the executing scheduler changes.

With --single every operation goes to one instance of the runtime's test
allocator with the generic alloc_util defaults — the allocator the oracle
drives — configured with +MZ<param> flags, e.g. --flags "+MZas aobf +MZsbct 256".
mseg_alloc (+MM...), alloc_util (+Mu...) and sys_alloc (+MY...) flags apply too.

What is printed (default: a summary table):
  --layout      the final carriers and blocks as alloclab-layout 1, the format
                ../shared/oracle/run prints, so the two can be compared with diff
  --info        each instance's options and statistics in the text of the
                runtime's erts_alcu_info (../shared/oracle/run --info)
  --stats       erlang:system_info({allocator, A}) of every allocator, mseg_alloc
                and erlang:memory() (--format erlang|json|text, --stats-every N)
  --recon       recon_alloc's analyses (--format erlang|json|text)
  --instrument  instrument:carriers() and instrument:allocations()

Errors (exit status 2, nothing on standard output):
  TRACE:LINE: ...   malformed trace: bad first line, unknown record, wrong
                    field count, bad number, unknown type, reuse of a live ID,
                    r/f of an ID that is not live, time going backwards, a
                    scheduler the node does not have, '@ schedulers'/'@ flags'
                    after the first record
  TRACE:LINE: allocation of N bytes failed   the simulated allocator returned NULL
  +M...: ...        unknown or malformed allocator flag, or a configuration
                    the runtime would refuse to start with`,
		Args: exactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return runReplay(cmd, args[0], &o)
		},
	}
	addReplayFlags(cmd.Flags(), &o, "when not given: the trace's '@ schedulers N', else 2")
	f := cmd.Flags()
	f.BoolVar(&o.lenient, "lenient", false, "skip malformed trace lines (counted, first one reported) instead of failing")
	return cmd
}

// addReplayFlags declares the options replay and run share: where the
// trace runs and what is printed. schedDefault says where N comes from.
func addReplayFlags(f *pflag.FlagSet, o *replayOpts, schedDefault string) {
	f.BoolVar(&o.single, "single", false, "replay on one test-allocator instance (+MZ flags), like the oracle")
	f.IntVar(&o.schedulers, "schedulers", 2, "normal schedulers of the node (+S N); "+schedDefault)
	f.StringArrayVar(&o.flags, "flags", nil, `erl +M flags, e.g. "+MZas aobf +MMmcs 0" (repeatable)`)
	f.StringVar(&o.vmArgs, "vm-args", "", "read +M flags from a vm.args file (--flags win)")
	f.BoolVar(&o.layout, "layout", false, "print the final layout (alloclab-layout 1)")
	f.BoolVar(&o.info, "info", false, "print the instance's options and statistics as the runtime's erts_alcu_info does (after the layout)")
	f.BoolVar(&o.stats, "stats", false, "print the allocators' statistics as erlang:system_info({allocator, A}) reports them (see --format)")
	f.BoolVar(&o.recon, "recon", false, "print recon_alloc's analyses of the final state: memory, fragmentation, average_block_sizes, sbcs_to_mbcs, cache_hit_rates (see --format)")
	f.BoolVar(&o.instrument, "instrument", false, "print instrument:carriers() and instrument:allocations() of the final state (Erlang terms)")
	f.IntVar(&o.statsEvery, "stats-every", 0, "with --stats: also report after every N a/r/f records (each report starts a new max period, as an info call does)")
	f.StringVar(&o.format, "format", "text", "--stats/--recon output: text (a table), erlang (terms as system_info and recon return them) or json")
	f.BoolVar(&o.check, "check", false, "check every invariant after every operation (slow)")
}

// loadFlags reads --vm-args then --flags (the command line wins).
func loadFlags(vmArgs string, flags []string) (*allocator.Flags, error) {
	all, err := allocator.ParseFlags("")
	if err != nil {
		return nil, err
	}
	if vmArgs != "" {
		fh, err := os.Open(vmArgs)
		if err != nil {
			return nil, userErr(err)
		}
		defer fh.Close()
		va, err := allocator.ParseVMArgs(fh, vmArgs)
		if err != nil {
			return nil, userErr(err)
		}
		all.Merge(va)
	}
	for _, s := range flags {
		fl, err := allocator.ParseFlags(s)
		if err != nil {
			return nil, userErr(err)
		}
		all.Merge(fl)
	}
	return all, nil
}

// spaceConfig turns the +MM flags into the segment layer's configuration.
func spaceConfig(fl *allocator.Flags) carriers.SpaceConfig {
	m := fl.Mseg()
	sc := carriers.DefaultSpaceConfig()
	sc.SCS, sc.SCO, sc.SCRPM, sc.SCRFSD = m.SCS, m.SCO, m.SCRPM, m.SCRFSD
	sc.MCS, sc.RMCBF, sc.AMCBF = int(m.MCS), m.RMCBF, m.AMCBF
	return sc
}

func runReplay(cmd *cobra.Command, path string, o *replayOpts) (err error) {
	switch o.format {
	case "text", "erlang", "json":
	default:
		return userErrorf("replay: --format %q: expected text, erlang or json", o.format)
	}
	fl, err := loadFlags(o.vmArgs, o.flags)
	if err != nil {
		return err
	}
	var size int64
	if path != "-" {
		if st, err := os.Stat(path); err == nil {
			size = st.Size()
		}
	}
	name := path
	if path == "-" {
		name = "<stdin>"
	}
	prog := newProgress(cmd.ErrOrStderr(), name, size)
	defer func() { prog.done(err == nil) }()
	// Text or binary (ALTR), gzip-compressed or not: by content.
	rd, closer, err := workloads.OpenTraceWith(path, cmd.InOrStdin(), prog.reader)
	if err != nil {
		return userErr(err)
	}
	defer closer.Close()
	lr, _ := rd.(workloads.LenientReader)
	if lr != nil {
		lr.SetLenient(o.lenient)
	}

	// The prelude: directives before the first record describe the node.
	var first []workloads.Op
	var traceFlags []workloads.Op
	traceScheds := 0
	for rd.Scan() {
		op := rd.Op()
		first = append(first, op)
		if op.Kind != workloads.Directive {
			break
		}
		switch op.Key {
		case "schedulers":
			n, err := strconv.Atoi(op.Value)
			if err != nil || n < 1 || n > allocator.MaxSchedulers {
				return userErrorf("%s:%d: @ schedulers %q: expected a number of schedulers from 1 to %d", name, op.Line, op.Value, allocator.MaxSchedulers)
			}
			traceScheds = n
		case "flags":
			traceFlags = append(traceFlags, op)
		}
	}
	if err := rd.Err(); err != nil {
		return userErr(err)
	}

	var t target
	if o.single {
		opts := fl.ApplyTo(allocator.Test, allocator.GenericDefaults())
		single, err := allocator.NewSingle(opts, fl.Util(allocator.DefaultUtilOptions()), spaceConfig(fl))
		if err != nil {
			return userErr(err)
		}
		t = singleTarget{single}
		for _, op := range traceFlags[:min(1, len(traceFlags))] {
			fmt.Fprintf(cmd.ErrOrStderr(), "alloclab: note: %s:%d: '@ %s %s' is ignored with --single (one test-allocator instance; give parameters with --flags +MZ...)\n",
				name, op.Line, op.Key, op.Value)
		}
	} else {
		// Node flags: the trace's @ flags, then --vm-args and --flags,
		// which win parameter by parameter (as the oracle's node mode).
		all, err := allocator.ParseFlags("")
		if err != nil {
			return err
		}
		for _, op := range traceFlags {
			tf, err := allocator.ParseFlags(op.Value)
			if err != nil {
				return userErrorf("%s:%d: @ flags: %v", name, op.Line, err)
			}
			all.Merge(tf)
		}
		all.Merge(fl)
		n := 2 // the oracle's node mode default
		if traceScheds > 0 {
			n = traceScheds
		}
		if cmd.Flags().Changed("schedulers") {
			n = o.schedulers
		}
		if n < 1 || n > allocator.MaxSchedulers {
			return userErrorf("replay: bad amount of schedulers %d (1..%d)", n, allocator.MaxSchedulers)
		}
		cfg, err := allocator.NewNodeConfig(n, all)
		if err != nil {
			return userErr(err)
		}
		sys, err := allocator.NewSystem(cfg)
		if err != nil {
			return userErr(err)
		}
		t = nodeTarget{sys}
	}

	if o.statsEvery < 0 {
		return userErrorf("replay: --stats-every %d: expected a positive number of records", o.statsEvery)
	}
	if o.statsEvery > 0 {
		o.stats = true
	}
	rp := workloads.NewReplayer(t, name)
	rd.SetLiveSet(rp)
	var out bytes.Buffer
	reportsDone := 0
	// statsReport writes one statistics report: after ops records (line
	// line of the trace), or at the end (line 0).
	statsReport := func(line int) {
		insts := reports.SystemInfo(t.AllInstances(), true)
		if reportsDone > 0 && o.format == "json" {
			out.WriteString(",\n")
		}
		if o.statsEvery > 0 {
			when := "end of the trace"
			if line > 0 {
				when = fmt.Sprintf("line %d", line)
			}
			switch o.format {
			case "erlang":
				fmt.Fprintf(&out, "%%%% after %d records (%s)\n", rp.Ops(), when)
			case "json":
				if reportsDone == 0 {
					out.WriteString("[\n")
				}
				fmt.Fprintf(&out, "{\"records\": %d, \"line\": %d, \"allocators\":\n", rp.Ops(), line)
			default:
				fmt.Fprintf(&out, "== after %d records (%s)\n", rp.Ops(), when)
			}
		}
		switch o.format {
		case "erlang":
			out.Write(reports.WriteSystemInfoErlang(insts))
			out.WriteString("%% erlang:system_info({allocator, mseg_alloc})\n")
			out.WriteString(reports.PrettyTerm(reports.MsegTerm(reports.MsegInstances(t.Space(), true)), 1) + ".\n")
			out.WriteString("%% erlang:memory() (the categories allocator blocks determine)\n")
			out.WriteString(reports.PrettyTerm(reports.MemoryTerm(reports.NodeMemory(t.AllInstances())), 1) + ".\n")
		case "json":
			out.Write(reports.WriteSystemInfoJSON(insts))
			if o.statsEvery > 0 {
				out.WriteString("}")
			}
		default:
			t.WriteSummary(&out, rp)
		}
		reportsDone++
	}
	apply := func(op workloads.Op) error {
		if op.Kind == workloads.Directive {
			if !o.single && (op.Key == "schedulers" || op.Key == "flags") && rp.Ops() > 0 {
				return &workloads.SyntaxError{File: name, Line: op.Line, Msg: fmt.Sprintf("'@ %s' must come before the first record: it describes the node", op.Key)}
			}
			return nil
		}
		if err := rp.Apply(op); err != nil {
			return err
		}
		if o.statsEvery > 0 && op.Kind != workloads.Time && rp.Ops()%o.statsEvery == 0 {
			statsReport(op.Line)
		}
		if o.check {
			if err := t.Check(); err != nil {
				return fmt.Errorf("%s:%d: invariant violated: %v", name, op.Line, err)
			}
		}
		return nil
	}
	for _, op := range first {
		if err = apply(op); err != nil {
			break
		}
	}
	for err == nil && rd.Scan() {
		err = apply(rd.Op())
	}
	if err == nil {
		err = rd.Err()
	}
	if err != nil {
		var se *workloads.SyntaxError
		var ae *workloads.AllocError
		if errors.As(err, &se) || errors.As(err, &ae) {
			return userErr(err)
		}
		return err
	}
	t.Settle()
	if lr != nil && lr.Skipped() > 0 {
		fmt.Fprintf(cmd.ErrOrStderr(), "alloclab: warning: skipped %d malformed lines (first: %v)\n", lr.Skipped(), lr.FirstSkipped())
	}
	if o.layout {
		l := reports.NewLayout(t.Heap(), t.EachCarrier)
		if _, err := l.WriteTo(&out); err != nil {
			return err
		}
	}
	if o.info {
		if err := t.WriteInfo(&out); err != nil {
			return err
		}
	}
	if o.stats {
		statsReport(0)
		if o.statsEvery > 0 && o.format == "json" {
			out.WriteString("\n]\n")
		}
	}
	if o.recon {
		if err := writeRecon(&out, t.Snapshot(), o.format); err != nil {
			return err
		}
	}
	if o.instrument {
		insts := t.AllInstances()
		out.WriteString("%% instrument:carriers()\n")
		out.WriteString(reports.PrettyTerm(reports.InstrumentCarriers(t.Heap(), insts, reports.CarriersHistStart, reports.CarriersHistWidth), 1) + ".\n")
		// instrument:allocations() returns maps: printed as ~w does.
		out.WriteString("%% instrument:allocations()\n")
		a, err := reports.AllocationHistograms(t.Heap(), insts, reports.AllocationsHistStart, reports.AllocationsHistWidth)
		if err != nil {
			out.WriteString("{error,not_enabled}.\n")
		} else {
			out.WriteString(a.String() + ".\n")
		}
	}
	if !o.layout && !o.info && !o.stats && !o.recon && !o.instrument {
		t.WriteSummary(&out, rp)
	}
	_, err = io.Copy(cmd.OutOrStdout(), &out)
	return err
}

// target is what replay runs on: the test allocator (--single) or a node.
type target interface {
	workloads.Target
	AllInstances() []*allocator.Instance
	Space() *carriers.Space
	// Snapshot is what recon_alloc:snapshot() would take.
	Snapshot() *reports.Snapshot
	EachCarrier(fn func(c int32))
	Check() error
	Settle()
	WriteInfo(w io.Writer) error
	WriteSummary(w io.Writer, rp *workloads.Replayer)
}

type singleTarget struct{ *allocator.Single }

func (s singleTarget) Snapshot() *reports.Snapshot {
	return reports.SnapshotOf(s.Instances(), s.Space())
}

func (s singleTarget) EachCarrier(fn func(c int32))        { s.Instance().EachCarrier(fn) }
func (s singleTarget) AllInstances() []*allocator.Instance { return s.Instances() }
func (s singleTarget) Check() error                        { return s.Instance().Check() }
func (s singleTarget) Settle()                             {}

// WriteInfo: the runtime's test allocator calls its functions test_alloc,
// test_free, test_realloc.
func (s singleTarget) WriteInfo(w io.Writer) error { return s.Instance().WriteInfo(w, "test_", true) }

func (s singleTarget) WriteSummary(w io.Writer, rp *workloads.Replayer) {
	in := s.Instance()
	fmt.Fprintf(w, "ops %d, live blocks %d, strategy %v\n", rp.Ops(), rp.LiveBlocks(), in.Opts.AS)
	writeStatsTable(w, []statsRow{carrierRow("mbcs", &in.Stats.MBCs), carrierRow("sbcs", &in.Stats.SBCs)})
}

type nodeTarget struct{ *allocator.System }

func (n nodeTarget) Snapshot() *reports.Snapshot { return reports.SnapshotOfSystem(n.System) }

// WriteInfo prints every instance's report, headed by "ALLOCATOR INSTANCE".
func (n nodeTarget) WriteInfo(w io.Writer) error {
	for _, in := range n.AllInstances() {
		fmt.Fprintf(w, "== %v %d\n", in.Type, in.Index)
		prefix := strings.TrimSuffix(in.Type.String(), "alloc")
		if err := in.WriteInfo(w, prefix, true); err != nil {
			return err
		}
	}
	return nil
}

func (n nodeTarget) WriteSummary(w io.Writer, rp *workloads.Replayer) {
	fmt.Fprintf(w, "ops %d, live blocks %d, schedulers %d\n", rp.Ops(), rp.LiveBlocks(), n.Config().Schedulers)
	var rows []statsRow
	for _, in := range n.AllInstances() {
		rows = append(rows,
			carrierRow(fmt.Sprintf("%v %d mbcs", in.Type, in.Index), &in.Stats.MBCs),
			carrierRow(fmt.Sprintf("%v %d sbcs", in.Type, in.Index), &in.Stats.SBCs))
		if in.Pooled() {
			// The instance's own carriers abandoned into the carrier
			// pool, with their blocks of every type, and its fetches.
			p := &in.Stats.Pool
			r := statsRow{name: fmt.Sprintf("%v %d pool", in.Type, in.Index), carriers: p.Carriers,
				carriersSize: p.CarriersSize, blocks: p.Blocks, blocksSize: p.BlocksSize, last: fmt.Sprintf("fetch %d", p.Fetch)}
			for t, k := range p.Other {
				if t != int(in.Type) {
					r.blocks += k.N
					r.blocksSize += k.Size
				}
			}
			rows = append(rows, r)
		}
	}
	writeStatsTable(w, rows)
}

// statsRow is a line of the text summary: carriers and blocks (of every
// type) of an instance's mbcs, sbcs or pool, and a last column.
type statsRow struct {
	name                                       string
	carriers, carriersSize, blocks, blocksSize uint64
	last                                       string
}

func carrierRow(name string, cs *allocator.CarrierStats) statsRow {
	r := statsRow{name: name, carriers: cs.Carriers.Cur, carriersSize: cs.CarriersSize.Cur,
		blocks: cs.Blocks.Cur, blocksSize: cs.BlocksSize.Cur, last: fmt.Sprint(cs.CarriersSize.MaxEver)}
	for _, o := range cs.Other {
		r.blocks += o.Blocks.Cur
		r.blocksSize += o.BlocksSize.Cur
	}
	return r
}

func writeStatsTable(w io.Writer, rows []statsRow) {
	width := 5
	for _, r := range rows {
		width = max(width, len(r.name))
	}
	fmt.Fprintf(w, "%-*s %10s %14s %10s %14s %18s\n", width, "", "carriers", "carriers_size", "blocks", "blocks_size", "max_carriers_size")
	for _, r := range rows {
		fmt.Fprintf(w, "%-*s %10d %14d %10d %14d %18s\n", width, r.name, r.carriers, r.carriersSize,
			r.blocks, r.blocksSize, r.last)
	}
}
