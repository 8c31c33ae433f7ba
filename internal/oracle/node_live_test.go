package oracle

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"
)

// nodeExample returns ../shared/oracle/examples/node/NAME, or skips the
// test when node mode cannot run here.
func nodeExample(t *testing.T, name string) string {
	t.Helper()
	if testing.Short() {
		t.Skip("node oracle: skipped in -short mode (each run boots an emulator, ≈ 1 s)")
	}
	if err := NodeAvailable(); err != nil {
		t.Skipf("node oracle not available, skipping: %v", err)
	}
	dir, err := Dir()
	if err != nil {
		t.Skipf("node oracle not available, skipping: %v", err)
	}
	p := filepath.Join(dir, "examples", "node", name)
	if _, err := os.Stat(p); err != nil {
		t.Skipf("node oracle example missing, skipping: %v", err)
	}
	return p
}

func runNode(t *testing.T, trace string, opts NodeOpts) *NodeReport {
	t.Helper()
	if opts.Timeout == 0 {
		opts.Timeout = time.Minute
	}
	r, err := RunNode(trace, opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("node %s: %v", strings.Join(opts.Args(filepath.Base(trace)), " "), r.Elapsed.Round(time.Millisecond))
	return r
}

// route.trace on the real node, --delta --repro: the README's numbers.
func TestNodeLiveRoute(t *testing.T) {
	trace := nodeExample(t, "route.trace")
	r := runNode(t, trace, NodeOpts{Delta: true, Repro: true, Time: true})
	checkRoute(t, r)
	if r.Meta.Settle != "every_run" || !slices.Contains(r.Meta.Flags, "+MMscs") || r.Meta.Schedulers != 2 {
		t.Errorf("meta %+v", r.Meta)
	}
	if !strings.Contains(r.Stderr, "records=75") {
		t.Errorf("--time: stderr %q", r.Stderr)
	}
	// against the stored report: everything but the boot-dependent sizes of
	// instance 1 (20960, or 21000 in about 1 boot in 10) must agree
	stored := readNode(t, "route.delta")
	c := CompareNode(stored, r, CompareOpts{})
	for _, d := range c.Differences() {
		if !strings.HasPrefix(d.Key, "D binary_alloc 1 mbcs blocks binary_alloc size") {
			t.Errorf("live run differs from route.delta:\n%s", c)
			break
		}
	}
	if r.Meta.StartCarriers != stored.Meta.StartCarriers {
		t.Logf("start state %s, stored report's %s (boot noise)", r.Meta.StartCarriers, stored.Meta.StartCarriers)
	}
}

// pool_roundtrip.trace up to the state before scheduler 2 starts (--ops).
func TestNodeLivePooled(t *testing.T) {
	trace := nodeExample(t, "pool_roundtrip.trace")
	r := runNode(t, trace, NodeOpts{Delta: true, Repro: true, Ops: 7997})
	wantStat(t, r, "binary_alloc 1 mbcs carriers", 0, 5)
	wantStat(t, r, "binary_alloc 1 mbcs carriers_size", 0, 9961472)
	wantStat(t, r, "binary_alloc 1 mbcs_pool blocks binary_alloc count", 3)
	wantStat(t, r, "binary_alloc 1 mbcs_pool blocks binary_alloc size", 6048)
	wantStat(t, r, "binary_alloc 1 mbcs_pool carriers", 1)
	wantStat(t, r, "binary_alloc 1 mbcs_pool carriers_size", 4194304)
	if cs := r.CarrierList("binary_alloc", 1, false); len(cs) == 0 || !cs[0].InPool || cs[0].Size != 4194304 {
		t.Errorf("instance 1 carriers %+v", cs)
	}
}

// Noise over two runs of route.trace: the block counts never vary; the
// comparison of one run against another is OK within that noise.
func TestNodeLiveNoise(t *testing.T) {
	trace := nodeExample(t, "route.trace")
	start := time.Now()
	nr, err := Noise(trace, 2, NodeOpts{Delta: true, Repro: true, Timeout: time.Minute})
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("Noise, 2 runs: %v\n%s", time.Since(start).Round(time.Millisecond), nr)
	for i, n := range []string{"10 10", "20 20", "30 30"} {
		k, ok := nr.Key("D binary_alloc " + itoa(i) + " mbcs blocks binary_alloc count")
		if !ok || !k.Stable || strings.Join(k.Values[0], " ") != n {
			t.Errorf("instance %d block count: %+v", i, k)
		}
	}
	if k, ok := nr.Key("X driver_alloc live_blocks"); !ok || !k.Stable {
		t.Errorf("X driver_alloc: %+v", k)
	}
	if c := CompareNode(nr.Runs[0], nr.Runs[1], CompareOpts{Noise: nr}); !c.OK() {
		t.Errorf("run 2 against run 1 within their own noise:\n%s", c)
	}
}

// --schedulers, --erl, --no-trace-flags and --types reach the node.
func TestNodeLiveOptions(t *testing.T) {
	nodeExample(t, "route.trace")
	tr := filepath.Join(t.TempDir(), "s1.trace")
	os.WriteFile(tr, []byte("alloclab-trace 1\n@ flags +MBas aobf\na 1 B 1 100\na 2 B 3 100\nf 1\n"), 0o644)
	r := runNode(t, tr, NodeOpts{Delta: true, Schedulers: 3, Erl: "+MBacul 0"})
	if r.Meta.Schedulers != 3 || !slices.Equal(r.Instances("binary_alloc"), []int{0, 1, 2, 3}) {
		t.Errorf("schedulers %d, instances %v", r.Meta.Schedulers, r.Instances("binary_alloc"))
	}
	if v, _ := r.Option("binary_alloc", 1, "acul"); v != "0" {
		t.Errorf("--erl +MBacul 0: acul %q", v)
	}
	if v, _ := r.Option("binary_alloc", 2, "as"); v != "aobf" {
		t.Errorf("@ flags +MBas aobf: as %q", v)
	}
	wantStat(t, r, "binary_alloc 3 mbcs blocks binary_alloc count", 1, 1)
	wantStat(t, r, "binary_alloc 1 calls free", 1)

	// --types may add a type the trace does not use (not leave one out: the
	// node refuses that as a bad trace)
	r = runNode(t, tr, NodeOpts{Delta: true, Schedulers: 3, NoTraceFlags: true, Types: []string{"binary_alloc", "driver_alloc"}})
	if v, _ := r.Option("binary_alloc", 2, "as"); v != "aoffcbf" {
		t.Errorf("--no-trace-flags: as %q", v)
	}
	if !slices.Equal(r.Meta.Types, []string{"binary_alloc", "driver_alloc"}) {
		t.Errorf("--types: M types %v", r.Meta.Types)
	}
	wantStat(t, r, "driver_alloc 3 calls alloc", 0)
}

func TestNodeLiveErrors(t *testing.T) {
	nodeExample(t, "route.trace")
	tr := filepath.Join(t.TempDir(), "bad.trace")
	os.WriteFile(tr, []byte("alloclab-trace 1\na 1 B 1 100\na 2 B 1 30\n"), 0o644)
	for _, c := range []struct {
		name string
		opts NodeOpts
		code int
		msg  string
	}{
		{"binary below 31 bytes", NodeOpts{}, 1, ":3:"},
		{"+S in --erl", NodeOpts{Erl: "+S 4"}, 2, "--schedulers"},
		{"flag refused by the emulator", NodeOpts{Erl: "+MBas nosuch"}, 2, "refused"},
	} {
		t.Run(c.name, func(t *testing.T) {
			c.opts.Timeout = time.Minute
			start := time.Now()
			_, err := RunNode(tr, c.opts)
			var ne *NodeError
			if !errors.As(err, &ne) || ne.ExitCode != c.code || !strings.Contains(ne.Stderr, c.msg) {
				t.Fatalf("error %v, want exit %d with %q", err, c.code, c.msg)
			}
			t.Logf("%v: %v", time.Since(start).Round(time.Millisecond), err)
		})
	}
	if _, err := RunNode("", NodeOpts{}); err == nil {
		t.Error("RunNode without a trace")
	}
}

// A timeout kills the script and its emulator and says so.
func TestNodeLiveTimeout(t *testing.T) {
	trace := nodeExample(t, "route.trace")
	start := time.Now()
	_, err := RunNode(trace, NodeOpts{Delta: true, Timeout: 200 * time.Millisecond})
	var ne *NodeError
	if !errors.As(err, &ne) || ne.ExitCode != -1 || !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("error %v, want a timeout", err)
	}
	if d := time.Since(start); d > 3*time.Second {
		t.Errorf("timeout took %v", d)
	}
}
