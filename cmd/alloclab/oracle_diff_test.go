package main

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"alloclab/internal/oracle"
	"alloclab/strategies"
)

// oracleFlags are the emulator flags the oracle runs with, as alloclab
// flags: every carrier from mseg in a 16 GiB super carrier.
const oracleFlags = "+MMscs 16384 +MMsco true +MMscrpm false +Musac false"

// paramSet is a set of test-allocator parameters, given to the oracle as
// -tPARAM VALUE and to alloclab as +MZPARAM VALUE.
type paramSet struct {
	name string
	opts []string
	mcs  int
}

func (p paramSet) flags(as strategies.Kind) string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s +MMmcs %d +MZas %v", oracleFlags, p.mcs, as)
	for i := 0; i+1 < len(p.opts); i += 2 {
		fmt.Fprintf(&b, " +MZ%s %s", strings.TrimPrefix(p.opts[i], "-t"), p.opts[i+1])
	}
	return b.String()
}

func (p paramSet) oracleOpts(as strategies.Kind) []string {
	return append([]string{"-tas", as.String()}, p.opts...)
}

var paramSets = []paramSet{
	{name: "defaults"},
	{name: "atags", opts: []string{"-tatags", "true"}},
	{name: "small-sbct", opts: []string{"-tsbct", "64"}},
	{name: "few-stages", opts: []string{"-tsmbcs", "128", "-tlmbcs", "1024", "-tmbcgs", "3"}},
	{name: "thresholds", opts: []string{"-trmbcmt", "0", "-trsbcmt", "20", "-trsbcst", "80", "-tasbcst", "100"}},
	{name: "small-main", opts: []string{"-tmmbcs", "64", "-tmbsd", "1", "-trmbcmt", "100"}},
}

// TestOracleDifferential replays random traces of every shape through the
// real OTP allocator (../shared/oracle) and through alloclab, with every
// strategy and several parameter sets, and requires identical layouts.
func TestOracleDifferential(t *testing.T) {
	if err := oracle.Available(); err != nil {
		t.Skipf("oracle unavailable, differential test skipped: %v", err)
	}
	dir := t.TempDir()
	var traces []string
	for _, sh := range oracle.Shapes {
		for seed := uint64(1); seed <= 2; seed++ {
			p := filepath.Join(dir, fmt.Sprintf("%s-%d.trace", sh, seed))
			f, err := os.Create(p)
			if err != nil {
				t.Fatal(err)
			}
			if err := oracle.Generate(f, sh, 4000, seed); err != nil {
				t.Fatal(err)
			}
			f.Close()
			traces = append(traces, p)
		}
	}
	type cmp struct {
		trace string
		ps    paramSet
		as    strategies.Kind
	}
	var cmps []cmp
	var jobs []oracle.Job
	for _, ps := range paramSets {
		for _, tr := range traces {
			for _, as := range strategies.All {
				cmps = append(cmps, cmp{tr, ps, as})
				jobs = append(jobs, oracle.Job{Trace: tr, Opts: ps.oracleOpts(as)})
			}
		}
	}
	// The mseg cache: a few traces, every strategy, one emulator each.
	cached := paramSet{name: "mcs10", mcs: 10}
	var cjobs []oracle.Job
	var ccmps []cmp
	for _, tr := range []string{traces[2], traces[6]} { // burst-1, sbct-1
		for _, as := range strategies.All {
			ccmps = append(ccmps, cmp{tr, cached, as})
			cjobs = append(cjobs, oracle.Job{Trace: tr, Opts: cached.oracleOpts(as)})
		}
	}
	want, err := oracle.RunInfo(jobs, 0)
	if err != nil {
		t.Fatal(err)
	}
	cwant, err := oracle.RunInfo(cjobs, cached.mcs)
	if err != nil {
		t.Fatal(err)
	}
	cmps = append(cmps, ccmps...)
	want = append(want, cwant...)
	agree, infoAgree := 0, 0
	for i, c := range cmps {
		var out, errb bytes.Buffer
		code := run([]string{"replay", "--single", "--layout", "--info", "--flags", c.ps.flags(c.as), c.trace}, nil, &out, &errb)
		name := fmt.Sprintf("%s/%s/%v", filepath.Base(c.trace), c.ps.name, c.as)
		if w := want[i].Layout; bytes.HasPrefix(w, []byte("error: ")) {
			line, _, _ := strings.Cut(strings.TrimPrefix(string(w), "error: "), ":")
			if code != 2 || out.Len() != 0 || !strings.Contains(errb.String(), ":"+line+":") {
				t.Errorf("%s: oracle failed (%s) but alloclab exited %d: %s", name, strings.TrimSpace(string(w)), code, errb.String())
				continue
			}
			agree++
			continue
		}
		if code != 0 {
			t.Errorf("%s: alloclab exited %d: %s", name, code, errb.String())
			continue
		}
		got := out.Bytes()
		layout, info := got[:min(len(want[i].Layout), len(got))], got[min(len(want[i].Layout), len(got)):]
		if !bytes.Equal(layout, want[i].Layout) {
			t.Errorf("%s: layouts differ: %s", name, firstDiff(want[i].Layout, got))
			continue
		}
		agree++
		// The allocator's statistics: blocks, carriers, their maxima and
		// the call counters, as the runtime's own info print shows them.
		if wi := normalizeInfo(want[i].Info); !bytes.Equal(info, wi) {
			t.Errorf("%s: statistics differ: %s", name, firstDiff(wi, info))
			continue
		}
		infoAgree++
	}
	t.Logf("oracle differential: %d of %d layouts identical, %d of %d statistics reports identical (%d traces x %d parameter sets x %d strategies, plus %d with +MMmcs 10)",
		agree, len(cmps), infoAgree, len(cmps), len(traces), len(paramSets), len(strategies.All), len(ccmps))
}

// normalizeInfo turns the oracle's info report into what alloclab prints:
// the oracle's own lines dropped, its allocator's call prefix renamed to
// the test allocator's.
func normalizeInfo(b []byte) []byte {
	var out bytes.Buffer
	for _, l := range strings.SplitAfter(string(b), "\n") {
		if l == "" || strings.HasPrefix(l, "oracle ") {
			continue
		}
		out.WriteString(strings.Replace(l, "alloclab_oracle_", "test_", 1))
	}
	return out.Bytes()
}

// firstDiff describes the first differing line of two layouts.
func firstDiff(want, got []byte) string {
	wl := strings.Split(string(want), "\n")
	gl := strings.Split(string(got), "\n")
	for i := 0; i < len(wl) || i < len(gl); i++ {
		var w, g string
		if i < len(wl) {
			w = wl[i]
		}
		if i < len(gl) {
			g = gl[i]
		}
		if w != g {
			return fmt.Sprintf("line %d: oracle %q, alloclab %q", i+1, w, g)
		}
	}
	return "equal"
}
