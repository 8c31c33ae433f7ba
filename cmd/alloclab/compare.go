package main

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/spf13/cobra"
	"github.com/vbauerster/mpb/v8"
	"github.com/vbauerster/mpb/v8/decor"

	"alloclab/allocator"
	"alloclab/reports"
	"alloclab/workloads"
)

// allStrategies are alloc_util's ten strategies, the default comparison.
var allStrategies = []string{"bf", "aobf", "aoff", "aoffcbf", "aoffcaobf", "ageffcaoff", "ageffcbf", "ageffcaobf", "gf", "af"}

type compareOpts struct {
	gen        genOpts
	as         []string
	configs    []string
	flags      []string
	vmArgs     string
	schedulers int
	single     bool
	metric     string
	format     string
	every      uint64
	everyTime  string
	points     int
	plot       string
	html       string
	jobs       int
}

func newCompareCmd() *cobra.Command {
	var o compareOpts
	cmd := &cobra.Command{
		Use:   "compare [flags] TRACE|SCENARIO",
		Short: "Replay one workload under several strategies or flag sets and rank them",
		Long: `Replay the same workload — a trace file ('-' for standard input) or a named
scenario (see 'alloclab scenarios', with --set and --seed) — under several
configurations, each in its own goroutine on its own simulated node (or test
allocator with --single), and print a table ranked by a metric.

Configurations, in this order:
  --as bf,aobf,...        one per strategy: "+Muas S" on a node (the eight
                          allocators +Mu sets; a strategy that cannot migrate
                          turns their carrier pools off, as in the runtime),
                          "+MZas S" with --single
  --config NAME="FLAGS"   a named +M flag set (repeatable)
Without either: the ten strategies. Every configuration starts from the
trace's '@ flags', then --vm-args and --flags, then its own flags.

Metrics (README "alloclab compare" defines them): jw1..jw4 (Johnstone &
Wilson), max-footprint, end-footprint, overhead (F/R - 1), over-ideal,
usage (recon), carriers, mseg-hit-rate. --metric picks the ranking (default
jw4, the headline: (max footprint - max requested) / max requested).

Output: --format text|json|csv|benchfmt; --plot DIR writes PNG and SVG
charts; --html FILE one self-contained report. The output is the same at
any GOMAXPROCS.

Errors (exit status 2, nothing on standard output): a trace error (as
'replay'), an allocation the simulated allocator cannot satisfy, a bad flag
in a configuration (named), an unknown scenario, metric or format, a
duplicate or malformed configuration name.`,
		Args: exactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return runCompare(cmd, args[0], &o)
		},
	}
	addGenFlags(cmd, &o.gen)
	f := cmd.Flags()
	f.StringSliceVar(&o.as, "as", nil, "strategies to compare, comma-separated (bf,aobf,aoff,aoffcbf,aoffcaobf,ageffcaoff,ageffcbf,ageffcaobf,gf,af)")
	f.StringArrayVar(&o.configs, "config", nil, `a named flag set NAME="+M flags" (repeatable)`)
	f.StringArrayVar(&o.flags, "flags", nil, "base +M flags of every configuration (repeatable)")
	f.StringVar(&o.vmArgs, "vm-args", "", "base +M flags from a vm.args file (--flags win)")
	f.IntVar(&o.schedulers, "schedulers", 2, "normal schedulers of the node; default: the trace's '@ schedulers N' (else 2) or the scenario's")
	f.BoolVar(&o.single, "single", false, "replay on one test-allocator instance (+MZ flags) instead of a node")
	f.StringVar(&o.metric, "metric", "jw4", "rank by this metric: "+metricNames())
	f.StringVar(&o.format, "format", "text", "text, json, csv or benchfmt")
	f.Uint64Var(&o.every, "every", 0, "sample the time series every N operations (default: every operation, halving the resolution as the series fills)")
	f.StringVar(&o.everyTime, "every-time", "", "sample every DUR of the trace's clock instead, e.g. 1ms")
	f.IntVar(&o.points, "points", reports.DefaultMaxPoints, "at most this many samples per series (then the resolution halves)")
	f.StringVar(&o.plot, "plot", "", "write PNG and SVG charts into DIR")
	f.StringVar(&o.html, "html", "", "write a self-contained HTML report to FILE")
	f.IntVar(&o.jobs, "jobs", 0, "configurations replayed at once (default GOMAXPROCS)")
	return cmd
}

func metricNames() string {
	var names []string
	for _, m := range reports.RankMetrics() {
		names = append(names, m.Name)
	}
	return strings.Join(names, ", ")
}

// compareConfig is one configuration: a name and its +M flags.
type compareConfig struct {
	name  string
	flags string
}

var configName = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9_.+-]*$`)

// compareConfigs lists the configurations of o (the ten strategies when
// none is given).
func compareConfigs(o *compareOpts) ([]compareConfig, error) {
	letter := "u"
	if o.single {
		letter = "Z"
	}
	var out []compareConfig
	as := o.as
	if len(as) == 0 && len(o.configs) == 0 {
		as = allStrategies
	}
	for _, s := range as {
		s = strings.TrimSpace(s)
		out = append(out, compareConfig{s, "+M" + letter + "as " + s})
	}
	for _, c := range o.configs {
		name, flags, ok := strings.Cut(c, "=")
		if !ok {
			return nil, userErrorf("compare: --config %q: expected NAME=\"+M flags\"", c)
		}
		out = append(out, compareConfig{strings.TrimSpace(name), strings.TrimSpace(flags)})
	}
	seen := map[string]bool{}
	for _, c := range out {
		if !configName.MatchString(c.name) {
			return nil, userErrorf("compare: configuration name %q: use letters, digits and _ . + - (it names a benchmark)", c.name)
		}
		if seen[c.name] {
			return nil, userErrorf("compare: configuration %q given twice", c.name)
		}
		seen[c.name] = true
	}
	return out, nil
}

// compareWorkload is what every configuration replays: a trace file or a
// scenario, opened once per configuration.
type compareWorkload struct {
	name     string
	path     string // trace file
	scenario string
	seed     uint64
	set      []string
	params   []string // the scenario's effective parameters

	scheds     int            // '@ schedulers', 0 if none
	traceFlags []workloads.Op // '@ flags' lines
	source     string         // '@ source'
	wrap       func(io.Reader) io.Reader
}

func (w *compareWorkload) open() (workloads.OpReader, io.Closer, error) {
	if w.scenario != "" {
		g, _, err := workloads.NewScenarioGenerator(w.scenario, w.seed, w.set)
		if err != nil {
			return nil, nil, err
		}
		return g, io.NopCloser(nil), nil
	}
	return workloads.OpenTraceWith(w.path, nil, w.wrap)
}

// prelude reads the directives before the first record.
func (w *compareWorkload) prelude() error {
	rd, closer, err := w.open()
	if err != nil {
		return err
	}
	defer closer.Close()
	for rd.Scan() {
		op := rd.Op()
		if op.Kind != workloads.Directive {
			break
		}
		switch op.Key {
		case "schedulers":
			n, err := strconv.Atoi(op.Value)
			if err != nil || n < 1 || n > allocator.MaxSchedulers {
				return fmt.Errorf("%s:%d: @ schedulers %q: expected a number of schedulers from 1 to %d", w.name, op.Line, op.Value, allocator.MaxSchedulers)
			}
			w.scheds = n
		case "flags":
			w.traceFlags = append(w.traceFlags, op)
		case "source":
			w.source = op.Value
		}
	}
	return rd.Err()
}

// errCancelled stops a configuration after one listed before it failed.
var errCancelled = errors.New("cancelled")

func runCompare(cmd *cobra.Command, arg string, o *compareOpts) (err error) {
	switch o.format {
	case "text", "json", "csv", "benchfmt":
	default:
		return userErrorf("compare: --format %q: expected text, json, csv or benchfmt", o.format)
	}
	metric, ok := reports.LookupMetric(o.metric)
	if !ok {
		return userErrorf("compare: --metric %q: expected one of %s", o.metric, metricNames())
	}
	sopts := reports.SeriesOptions{EveryOps: o.every, MaxPoints: o.points}
	if o.everyTime != "" {
		if o.every > 0 {
			return userErrorf("compare: --every and --every-time exclude each other")
		}
		d, err := time.ParseDuration(o.everyTime)
		if err != nil || d <= 0 {
			return userErrorf("compare: --every-time %q: expected a positive duration such as 500us, 1ms, 2s", o.everyTime)
		}
		sopts.EveryNanos = uint64(d)
	}
	if o.points < 4 {
		return userErrorf("compare: --points %d: expected at least 4", o.points)
	}
	if o.jobs < 0 {
		return userErrorf("compare: --jobs %d: expected a positive number", o.jobs)
	}
	configs, err := compareConfigs(o)
	if err != nil {
		return err
	}
	base, err := loadFlags(o.vmArgs, o.flags)
	if err != nil {
		return err
	}

	// The workload: an existing file (or '-'), else a scenario.
	w := &compareWorkload{name: arg}
	stderr := cmd.ErrOrStderr()
	var size int64
	if st, serr := os.Stat(arg); arg == "-" || serr == nil {
		if cmd.Flags().Changed("set") || cmd.Flags().Changed("seed") {
			return userErrorf("compare: --set and --seed apply to a scenario, and %q is a trace file", arg)
		}
		w.path = arg
		if arg == "-" {
			// Every configuration reads the trace: keep standard input.
			w.name = "<stdin>"
			tmp, err := os.CreateTemp("", "alloclab-compare-*.trace")
			if err != nil {
				return err
			}
			defer os.Remove(tmp.Name())
			n, err := io.Copy(tmp, cmd.InOrStdin())
			if cerr := tmp.Close(); err == nil {
				err = cerr
			}
			if err != nil {
				return err
			}
			w.path, size = tmp.Name(), n
		} else {
			if st.IsDir() {
				return userErrorf("compare: %s is a directory", arg)
			}
			size = st.Size()
		}
	} else if _, ok := workloads.LookupScenario(arg); ok {
		w.scenario, w.seed, w.set = arg, o.gen.seed, o.gen.set
		if cmd.Flags().Changed("schedulers") && !setsKey(w.set, "schedulers") {
			w.set = append([]string{"schedulers=" + strconv.Itoa(o.schedulers)}, w.set...)
		}
		_, params, err := workloads.NewScenarioGenerator(w.scenario, w.seed, w.set)
		if err != nil {
			return userErr(err)
		}
		w.params = params
	} else {
		return userErrorf("compare: %q is neither a trace file nor a scenario (see 'alloclab scenarios')", arg)
	}
	if err := w.prelude(); err != nil {
		return userErr(err)
	}

	// Build every configuration's target first: a bad flag stops the
	// comparison before any replay, naming the configuration.
	scheds := 2
	if w.scheds > 0 {
		scheds = w.scheds
	}
	if cmd.Flags().Changed("schedulers") {
		scheds = o.schedulers
	}
	if !o.single && (scheds < 1 || scheds > allocator.MaxSchedulers) {
		return userErrorf("compare: bad amount of schedulers %d (1..%d)", scheds, allocator.MaxSchedulers)
	}
	if o.single && len(w.traceFlags) > 0 {
		op := w.traceFlags[0]
		fmt.Fprintf(stderr, "alloclab: note: %s:%d: '@ %s %s' is ignored with --single (one test-allocator instance; give parameters with --flags +MZ...)\n",
			w.name, op.Line, op.Key, op.Value)
	}
	targets := make([]target, len(configs))
	for i, c := range configs {
		t, err := compareTarget(w, base, c, o.single, scheds)
		if err != nil {
			return userErrorf("compare: configuration %s (%s): %v", c.name, c.flags, err)
		}
		targets[i] = t
	}

	prog := newCompareProgress(stderr, len(configs), size)
	if prog != nil && w.scenario == "" {
		w.wrap = prog.reader
	}
	defer func() { prog.done(err == nil) }()

	runs := make([]reports.Run, len(configs))
	errs := make([]error, len(configs))
	var ops, nanos []uint64 = make([]uint64, len(configs)), make([]uint64, len(configs))
	jobs := o.jobs
	if jobs == 0 {
		jobs = runtime.GOMAXPROCS(0)
	}
	sem := make(chan struct{}, jobs)
	var failed atomic.Int64 // lowest failed configuration + 1, 0: none
	var wg sync.WaitGroup
	for i := range configs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			sem <- struct{}{}
			defer func() { <-sem }()
			cancelled := func() bool { f := failed.Load(); return f != 0 && f-1 < int64(i) }
			if cancelled() {
				errs[i] = errCancelled
				return
			}
			runs[i], ops[i], nanos[i], errs[i] = replayConfig(w, targets[i], configs[i], sopts, o.single, cancelled)
			if errs[i] != nil && errs[i] != errCancelled {
				for {
					f := failed.Load()
					if f != 0 && f-1 <= int64(i) || failed.CompareAndSwap(f, int64(i)+1) {
						break
					}
				}
			}
			prog.configDone()
		}()
	}
	wg.Wait()
	// The first configuration (in order) that failed: every one before it
	// ran to its end, so the error does not depend on timing.
	for i, e := range errs {
		if e == nil {
			continue
		}
		if e == errCancelled {
			return fmt.Errorf("compare: configuration %s was cancelled, yet none before it failed", configs[i].name)
		}
		var se *workloads.SyntaxError
		var ae *workloads.AllocError
		msg := fmt.Errorf("configuration %s: %w", configs[i].name, e)
		if errors.As(e, &se) || errors.As(e, &ae) {
			return userErr(msg)
		}
		return msg
	}

	trace := reports.TraceSummary{Name: w.name, Records: ops[0], Nanos: nanos[0], BaseFlags: strings.Join(o.flags, " ")}
	if o.vmArgs != "" {
		trace.BaseFlags = strings.TrimSpace("--vm-args " + o.vmArgs + " " + trace.BaseFlags)
	}
	switch {
	case w.scenario != "":
		trace.Source = fmt.Sprintf("scenario %s, seed %d: %s", w.scenario, w.seed, strings.Join(w.params, " "))
	case w.source != "":
		trace.Source = w.source
	default:
		trace.Source = "trace file"
	}
	if o.single {
		trace.Mode = "single test_alloc instance"
	} else {
		trace.Mode = fmt.Sprintf("node, %d schedulers", scheds)
	}
	cmp := reports.NewComparison(trace, metric, runs)

	var out bytes.Buffer
	switch o.format {
	case "json":
		err = cmp.WriteJSON(&out)
	case "csv":
		err = cmp.WriteCSV(&out)
	case "benchfmt":
		err = cmp.WriteBenchfmt(&out)
	default:
		err = cmp.WriteText(&out)
	}
	if err != nil {
		return err
	}
	if o.plot != "" {
		if err := os.MkdirAll(o.plot, 0o755); err != nil {
			return userErr(err)
		}
		if err := reports.WriteCharts(o.plot, cmp); err != nil {
			return err
		}
	}
	if o.html != "" {
		if dir := filepath.Dir(o.html); dir != "" {
			if st, err := os.Stat(dir); err != nil || !st.IsDir() {
				return userErrorf("compare: --html %s: no such directory %s", o.html, dir)
			}
		}
		var page bytes.Buffer
		if err := reports.WriteHTML(&page, cmp); err != nil {
			return err
		}
		if err := os.WriteFile(o.html, page.Bytes(), 0o644); err != nil {
			return userErr(err)
		}
	}
	_, err = io.Copy(cmd.OutOrStdout(), &out)
	return err
}

func setsKey(set []string, key string) bool {
	for _, kv := range set {
		if k, _, err := workloads.ParseSet(kv); err == nil && k == key {
			return true
		}
	}
	return false
}

// compareTarget builds configuration c's node (or test allocator): the
// trace's '@ flags', then the base flags, then c's.
func compareTarget(w *compareWorkload, base *allocator.Flags, c compareConfig, single bool, scheds int) (target, error) {
	own, err := allocator.ParseFlags(c.flags)
	if err != nil {
		return nil, err
	}
	all, err := allocator.ParseFlags("")
	if err != nil {
		return nil, err
	}
	if !single {
		for _, op := range w.traceFlags {
			tf, err := allocator.ParseFlags(op.Value)
			if err != nil {
				return nil, fmt.Errorf("%s:%d: @ flags: %v", w.name, op.Line, err)
			}
			all.Merge(tf)
		}
	}
	all.Merge(base)
	all.Merge(own)
	if single {
		opts := all.ApplyTo(allocator.Test, allocator.GenericDefaults())
		s, err := allocator.NewSingle(opts, all.Util(allocator.DefaultUtilOptions()), spaceConfig(all))
		if err != nil {
			return nil, err
		}
		return singleTarget{s}, nil
	}
	cfg, err := allocator.NewNodeConfig(scheds, all)
	if err != nil {
		return nil, err
	}
	sys, err := allocator.NewSystem(cfg)
	if err != nil {
		return nil, err
	}
	return nodeTarget{sys}, nil
}

// replayConfig replays the workload on t, recording its series, and
// returns the run, the a/r/f records and the final clock.
func replayConfig(w *compareWorkload, t target, c compareConfig, sopts reports.SeriesOptions, single bool, cancelled func() bool) (reports.Run, uint64, uint64, error) {
	run := reports.Run{Name: c.name, Flags: c.flags}
	rd, closer, err := w.open()
	if err != nil {
		return run, 0, 0, err
	}
	defer closer.Close()
	rec, err := reports.NewRecorder(t, t.AllInstances(), t.Space(), sopts)
	if err != nil {
		return run, 0, 0, err
	}
	rp := workloads.NewReplayer(rec, w.name)
	rd.SetLiveSet(rp)
	var nanos uint64
	n := 0
	for rd.Scan() {
		op := rd.Op()
		switch op.Kind {
		case workloads.Directive:
			if !single && (op.Key == "schedulers" || op.Key == "flags") && rp.Ops() > 0 {
				return run, 0, 0, &workloads.SyntaxError{File: w.name, Line: op.Line, Msg: fmt.Sprintf("'@ %s' must come before the first record: it describes the node", op.Key)}
			}
			continue
		case workloads.Time:
			nanos = max(nanos, op.Nanos)
		}
		if err := rp.Apply(op); err != nil {
			return run, 0, 0, err
		}
		if n++; n&4095 == 0 && cancelled() {
			return run, 0, 0, errCancelled
		}
	}
	if err := rd.Err(); err != nil {
		return run, 0, 0, err
	}
	t.Settle()
	rec.Finish()
	run.Series = rec.Series()
	run.Metrics = reports.ComputeMetrics(rec.Extremes(), run.Series.Last(), t.AllInstances())
	run.Map = reports.NewCarrierMap(t.Heap(), t.AllInstances(), 0)
	return run, uint64(rp.Ops()), nanos, nil
}

// compareProgress shows the comparison's progress on a terminal: bytes of
// the trace read by every configuration, or configurations done for a
// scenario. nil (no output) when stderr is not a terminal.
type compareProgress struct {
	*progress
	perCfg bool
}

func newCompareProgress(stderr io.Writer, configs int, size int64) *compareProgress {
	total, perCfg := size*int64(configs), size == 0
	if perCfg {
		total = int64(configs)
	}
	pr := newBar(stderr, total, decor.Name(fmt.Sprintf("compare %d configurations ", configs)))
	if pr == nil {
		return nil
	}
	return &compareProgress{progress: pr, perCfg: perCfg}
}

// reader counts the bytes every configuration reads (the bar's total is
// the trace's size times the configurations).
func (pr *compareProgress) reader(r io.Reader) io.Reader {
	if pr == nil {
		return r
	}
	return &countingReader{r: r, bar: pr.bar}
}

type countingReader struct {
	r   io.Reader
	bar *mpb.Bar
}

func (c *countingReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.bar.IncrBy(n)
	return n, err
}

func (pr *compareProgress) configDone() {
	if pr != nil && pr.perCfg {
		pr.bar.Increment()
	}
}

func (pr *compareProgress) done(ok bool) {
	if pr != nil {
		pr.progress.done(ok)
	}
}
