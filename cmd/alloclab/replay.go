package main

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/spf13/cobra"

	"alloclab/allocator"
	"alloclab/carriers"
	"alloclab/reports"
	"alloclab/workloads"
)

type replayOpts struct {
	single  bool
	flags   []string
	vmArgs  string
	layout  bool
	info    bool
	check   bool
	lenient bool
}

func newReplayCmd() *cobra.Command {
	var o replayOpts
	cmd := &cobra.Command{
		Use:   "replay [flags] TRACE",
		Short: "Replay an alloclab-trace 1 file ('-' for standard input)",
		Long: `Replay a trace (alloclab-trace 1, see the README) on the simulated allocators
and report the result.

With --single every operation goes to one instance of the runtime's test
allocator with the generic alloc_util defaults — the allocator the oracle
drives — configured with +MZ<param> flags, e.g. --flags "+MZas aobf +MZsbct 256".
mseg_alloc (+MM...), alloc_util (+Mu...) and sys_alloc (+MY...) flags apply too.

--layout prints the final carriers and blocks as alloclab-layout 1, the
format ../shared/oracle/run prints, so the two can be compared with diff;
--info prints the allocator's own options and statistics in the text of the
runtime's erts_alcu_info (../shared/oracle/run --info).

Errors (exit status 2, nothing on standard output):
  TRACE:LINE: ...   malformed trace: bad first line, unknown record, wrong
                    field count, bad number, unknown type, reuse of a live ID,
                    r/f of an ID that is not live, time going backwards
  TRACE:LINE: allocation of N bytes failed   the simulated allocator returned NULL
  +M...: ...        unknown or malformed allocator flag`,
		Args: exactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return runReplay(cmd, args[0], &o)
		},
	}
	f := cmd.Flags()
	f.BoolVar(&o.single, "single", false, "replay on one test-allocator instance (+MZ flags), like the oracle")
	f.StringArrayVar(&o.flags, "flags", nil, `erl +M flags, e.g. "+MZas aobf +MMmcs 0" (repeatable)`)
	f.StringVar(&o.vmArgs, "vm-args", "", "read +M flags from a vm.args file (--flags win)")
	f.BoolVar(&o.layout, "layout", false, "print the final layout (alloclab-layout 1)")
	f.BoolVar(&o.info, "info", false, "print the instance's options and statistics as the runtime's erts_alcu_info does (after the layout)")
	f.BoolVar(&o.check, "check", false, "check every invariant after every operation (slow)")
	f.BoolVar(&o.lenient, "lenient", false, "skip malformed trace lines (counted, first one reported) instead of failing")
	return cmd
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

func runReplay(cmd *cobra.Command, path string, o *replayOpts) error {
	if !o.single {
		return userErrorf("replay: only --single is implemented so far (one test-allocator instance); the per-scheduler node model is not there yet")
	}
	fl, err := loadFlags(o.vmArgs, o.flags)
	if err != nil {
		return err
	}
	opts := fl.ApplyTo(allocator.Test, allocator.GenericDefaults())
	sys, err := allocator.NewSingle(opts, fl.Util(allocator.DefaultUtilOptions()), spaceConfig(fl))
	if err != nil {
		return userErr(err)
	}
	var in io.Reader
	name := path
	if path == "-" {
		in, name = cmd.InOrStdin(), "<stdin>"
	} else {
		f, _, err := workloads.Open(path)
		if err != nil {
			return userErr(err)
		}
		defer f.Close()
		in = f
	}
	rd := workloads.NewReader(bufio.NewReaderSize(in, 256<<10), name)
	rd.SetLenient(o.lenient)
	rp := workloads.NewReplayer(sys, name)
	var noted bool
	onDirective := func(op workloads.Op) error {
		if (op.Key == "flags" || op.Key == "schedulers") && !noted {
			noted = true
			fmt.Fprintf(cmd.ErrOrStderr(), "alloclab: note: %s:%d: '@ %s %s' is ignored with --single (one test-allocator instance; give parameters with --flags +MZ...)\n",
				name, op.Line, op.Key, op.Value)
		}
		return nil
	}
	if o.check {
		err = replayChecked(rd, rp, sys, onDirective)
	} else {
		err = rp.Replay(rd, onDirective)
	}
	if err != nil {
		var se *workloads.SyntaxError
		var ae *workloads.AllocError
		if errors.As(err, &se) || errors.As(err, &ae) {
			return userErr(err)
		}
		return err
	}
	if n := rd.Skipped(); n > 0 {
		fmt.Fprintf(cmd.ErrOrStderr(), "alloclab: warning: skipped %d malformed lines (first: %v)\n", n, rd.FirstSkipped())
	}
	var out bytes.Buffer
	if o.layout {
		l := reports.NewLayout(sys.Heap(), sys.Instance().EachCarrier)
		if _, err := l.WriteTo(&out); err != nil {
			return err
		}
	}
	if o.info {
		// The runtime's test allocator calls its functions test_alloc,
		// test_free, test_realloc.
		if err := sys.Instance().WriteInfo(&out, "test_", true); err != nil {
			return err
		}
	}
	if !o.layout && !o.info {
		writeSummary(&out, rp, sys.Instance())
	}
	_, err = io.Copy(cmd.OutOrStdout(), &out)
	return err
}

// replayChecked replays like Replayer.Replay but runs the invariant checker
// after every operation.
func replayChecked(rd *workloads.Reader, rp *workloads.Replayer, sys *allocator.Single, onDirective func(workloads.Op) error) error {
	rd.SetLiveSet(rp)
	for rd.Scan() {
		op := rd.Op()
		if op.Kind == workloads.Directive {
			if err := onDirective(op); err != nil {
				return err
			}
			continue
		}
		if err := rp.Apply(op); err != nil {
			return err
		}
		if err := sys.Instance().Check(); err != nil {
			return fmt.Errorf("line %d: invariant violated: %v", op.Line, err)
		}
	}
	return rd.Err()
}

func writeSummary(w io.Writer, rp *workloads.Replayer, in *allocator.Instance) {
	s := &in.Stats
	var b strings.Builder
	fmt.Fprintf(&b, "ops %d, live blocks %d, strategy %v\n", rp.Ops(), rp.LiveBlocks(), in.Opts.AS)
	fmt.Fprintf(&b, "%-5s %10s %14s %10s %14s %18s\n", "", "carriers", "carriers_size", "blocks", "blocks_size", "max_carriers_size")
	for _, r := range []struct {
		name string
		cs   *allocator.CarrierStats
	}{{"mbcs", &s.MBCs}, {"sbcs", &s.SBCs}} {
		fmt.Fprintf(&b, "%-5s %10d %14d %10d %14d %18d\n", r.name, r.cs.Carriers.Cur, r.cs.CarriersSize.Cur,
			r.cs.Blocks.Cur, r.cs.BlocksSize.Cur, r.cs.CarriersSize.MaxEver)
	}
	io.WriteString(w, b.String())
}
