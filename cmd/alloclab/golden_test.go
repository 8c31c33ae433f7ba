package main

// Golden tests of "alloclab replay".
//
// testdata/examples holds the six hand-written example traces of
// ../shared/oracle/examples and, for each, the layout the REAL OTP 25
// allocator (the oracle, ../shared/oracle/run) produces with every one of
// the ten strategies: NAME.STRATEGY.layout. Those 60 layouts are the
// oracle's output, never alloclab's:
//
//   - 48 (bf aobf aoff aoffcbf aoffcaobf ageffcbf gf af) are copies of
//     ../shared/oracle/examples/*.layout (made there by examples/regen.sh);
//   - 12 (ageffcaoff, ageffcaobf, which regen.sh does not make) were made
//     here with "../shared/oracle/run examples/NAME.trace --as STRATEGY",
//     run twice with identical output.
//
// The copies let the test run without erl. When ../shared/oracle/examples
// exists, TestGoldenExamplesMatchShared checks that the copies still equal
// the originals, so drift is noticed.
//
// testdata/golden holds regression goldens of alloclab's OWN model (no
// oracle can produce them: they use the default flags, i.e. no super
// carrier, so the carrier addresses come from alloclab's Linux mmap and
// glibc malloc models, and the summary format is alloclab's):
//
//   - summary_default_NAME.txt: "replay --single NAME.trace" (summary, no flags)
//   - layout_default_tie_break.txt: "replay --single --layout --flags
//     '+MZas aoffcbf' tie_break.trace" (default flags: mcs 10, sys_alloc
//     main carrier, no super carrier)
//
// Regenerating (go test ./cmd/alloclab -run 'TestGolden' -update):
//
//   - the oracle-made layouts: the 48 copies are copied again from
//     ../shared/oracle/examples, and the ageffcaoff/ageffcaobf layouts are
//     made again by running the oracle twice per trace (needs erl, erlc and
//     gcc; without them the oracle layouts are left alone and the test says
//     so). They are never written from alloclab's output.
//   - the regression goldens of testdata/golden are rewritten from
//     alloclab's current output: review the diff before committing it.

import (
	"bytes"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"alloclab/internal/oracle"
)

var update = flag.Bool("update", false, "regenerate golden files: oracle layouts of testdata/examples via the oracle (needs erl), alloclab's own regression goldens of testdata/golden from its output")

// goldenStrategies are the ten allocation strategies, as +MZas and the
// oracle's --as take them.
var goldenStrategies = []string{"bf", "aobf", "aoff", "aoffcbf", "aoffcaobf", "ageffcaoff", "ageffcbf", "ageffcaobf", "gf", "af"}

// goldenOracleMade are the strategies whose example layouts are not in
// ../shared/oracle/examples (regen.sh does not make them): testdata has
// the oracle's layouts, made with ../shared/oracle/run.
var goldenOracleMade = []string{"ageffcaoff", "ageffcaobf"}

// goldenExampleNames are the example traces (testdata/examples/NAME.trace).
var goldenExampleNames = []string{"growth", "mixed", "realloc", "sbc", "split_coalesce", "tie_break"}

// goldenOracleFlags are the emulator flags the oracle runs with, as
// alloclab flags, without the strategy.
const goldenOracleFlags = "+MMscs 16384 +MMsco true +MMscrpm false +Musac false +MMmcs 0"

const goldenExamplesDir = "testdata/examples"

// goldenModuleRoot returns the directory holding go.mod (the tests run in
// cmd/alloclab).
func goldenModuleRoot(t *testing.T) string {
	t.Helper()
	wd, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	for d := wd; ; d = filepath.Dir(d) {
		if _, err := os.Stat(filepath.Join(d, "go.mod")); err == nil {
			return d
		}
		if filepath.Dir(d) == d {
			t.Fatalf("go.mod not found above %s", wd)
		}
	}
}

// goldenSharedExamples returns ../shared/oracle/examples (relative to the
// module root), or "" when it does not exist.
func goldenSharedExamples(t *testing.T) string {
	t.Helper()
	d := filepath.Join(goldenModuleRoot(t), "..", "shared", "oracle", "examples")
	if fi, err := os.Stat(d); err != nil || !fi.IsDir() {
		return ""
	}
	return d
}

// goldenRun runs the command line in-process and returns exit status,
// standard output and standard error.
func goldenRun(args ...string) (int, []byte, string) {
	var out, errb bytes.Buffer
	code := run(args, strings.NewReader(""), &out, &errb)
	return code, out.Bytes(), errb.String()
}

// goldenDiff describes the first differing line of want and got.
func goldenDiff(want, got []byte) string {
	wl := strings.SplitAfter(string(want), "\n")
	gl := strings.SplitAfter(string(got), "\n")
	for i := 0; i < len(wl) || i < len(gl); i++ {
		w, g := "<end of file>", "<end of file>"
		if i < len(wl) {
			w = fmt.Sprintf("%q", wl[i])
		}
		if i < len(gl) {
			g = fmt.Sprintf("%q", gl[i])
		}
		if w != g {
			return fmt.Sprintf("first difference at line %d:\n\twant %s\n\tgot  %s", i+1, w, g)
		}
	}
	return "equal"
}

// goldenCompare fails t unless got equals the golden file want (path),
// showing the first differing line and saving got in the test's artifact
// directory (a temporary directory like t.TempDir(); kept with
// "go test -artifacts").
func goldenCompare(t *testing.T, path string, want, got []byte) {
	t.Helper()
	if bytes.Equal(want, got) {
		return
	}
	dir := t.ArtifactDir()
	gotPath := filepath.Join(dir, filepath.Base(path)+".got")
	if err := os.WriteFile(gotPath, got, 0o644); err != nil {
		t.Logf("cannot save the output: %v", err)
	}
	t.Errorf("output differs from %s (%d bytes wanted, %d got); %s\n\tgot saved as %s (kept with -artifacts)",
		path, len(want), len(got), goldenDiff(want, got), gotPath)
}

// TestGoldenExamples replays every example trace with every strategy under
// the oracle's flags and requires the oracle's layout byte for byte.
func TestGoldenExamples(t *testing.T) {
	if *update {
		goldenUpdateExamples(t)
	}
	traces, err := filepath.Glob(filepath.Join(goldenExamplesDir, "*.trace"))
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, tr := range traces {
		names = append(names, strings.TrimSuffix(filepath.Base(tr), ".trace"))
	}
	if !slices.Equal(names, goldenExampleNames) {
		t.Fatalf("example traces in %s: %v, want %v", goldenExamplesDir, names, goldenExampleNames)
	}
	for _, name := range names {
		for _, as := range goldenStrategies {
			t.Run(name+"/"+as, func(t *testing.T) {
				trace := filepath.Join(goldenExamplesDir, name+".trace")
				layout := filepath.Join(goldenExamplesDir, name+"."+as+".layout")
				want, err := os.ReadFile(layout)
				if err != nil {
					t.Fatalf("missing oracle layout: %v", err)
				}
				code, out, stderr := goldenRun("replay", "--single", "--layout", "--flags", goldenOracleFlags+" +MZas "+as, trace)
				if code != 0 {
					t.Fatalf("exit status %d: %s", code, stderr)
				}
				if stderr != "" {
					t.Errorf("unexpected standard error: %q", stderr)
				}
				goldenCompare(t, layout, want, out)

				// The allocator's own statistics report, as the
				// oracle's --info printed it (NAME.STRATEGY.info,
				// oracle-made: -update regenerates them).
				infoFile := filepath.Join(goldenExamplesDir, name+"."+as+".info")
				wantInfo, err := os.ReadFile(infoFile)
				if err != nil {
					t.Fatalf("missing oracle statistics report: %v", err)
				}
				code, out, stderr = goldenRun("replay", "--single", "--info", "--flags", goldenOracleFlags+" +MZas "+as, trace)
				if code != 0 {
					t.Fatalf("--info: exit status %d: %s", code, stderr)
				}
				goldenCompare(t, infoFile, wantInfo, out)
			})
		}
	}
}

// TestGoldenExamplesMatchShared checks that testdata/examples still holds
// exact copies of ../shared/oracle/examples (traces and layouts), and that
// every example there has its copy here.
func TestGoldenExamplesMatchShared(t *testing.T) {
	shared := goldenSharedExamples(t)
	if shared == "" {
		t.Skip("../shared/oracle/examples not found: nothing to compare the copies with")
	}
	var orig []string
	for _, pat := range []string{"*.trace", "*.layout"} {
		m, err := filepath.Glob(filepath.Join(shared, pat))
		if err != nil {
			t.Fatal(err)
		}
		orig = append(orig, m...)
	}
	if len(orig) == 0 {
		t.Fatalf("no traces or layouts in %s", shared)
	}
	same := 0
	for _, o := range orig {
		base := filepath.Base(o)
		want, err := os.ReadFile(o)
		if err != nil {
			t.Fatal(err)
		}
		got, err := os.ReadFile(filepath.Join(goldenExamplesDir, base))
		if err != nil {
			t.Errorf("%s has no copy in %s (go test -run TestGoldenExamples -update): %v", o, goldenExamplesDir, err)
			continue
		}
		if !bytes.Equal(want, got) {
			t.Errorf("%s/%s differs from the original %s (go test -run TestGoldenExamples -update copies it again); %s",
				goldenExamplesDir, base, o, goldenDiff(want, got))
			continue
		}
		same++
	}
	// And every copy here is either an original there or one of the
	// layouts made here with the oracle.
	local, err := os.ReadDir(goldenExamplesDir)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range local {
		base := e.Name()
		if _, err := os.Stat(filepath.Join(shared, base)); err == nil {
			continue
		}
		ok := strings.HasSuffix(base, ".info") // oracle-made statistics reports
		for _, as := range goldenOracleMade {
			ok = ok || strings.HasSuffix(base, "."+as+".layout")
		}
		if !ok {
			t.Errorf("%s/%s is neither in %s nor an oracle-made %v layout", goldenExamplesDir, base, shared, goldenOracleMade)
		}
	}
	t.Logf("%d of %d files identical to their originals in %s", same, len(orig), shared)
}

// goldenUpdateExamples (-update) copies the traces and layouts of
// ../shared/oracle/examples again and regenerates the oracle-made layouts
// by running the oracle twice each. It never writes alloclab's output.
func goldenUpdateExamples(t *testing.T) {
	t.Helper()
	shared := goldenSharedExamples(t)
	if shared == "" {
		t.Logf("-update: ../shared/oracle/examples not found: copies and oracle layouts left alone")
		return
	}
	var files []string
	for _, pat := range []string{"*.trace", "*.layout"} {
		m, err := filepath.Glob(filepath.Join(shared, pat))
		if err != nil {
			t.Fatal(err)
		}
		files = append(files, m...)
	}
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(goldenExamplesDir, filepath.Base(f)), b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	t.Logf("-update: copied %d files from %s", len(files), shared)
	if err := oracle.Available(); err != nil {
		t.Logf("-update: oracle unavailable (%v): the %v layouts are left as they are", err, goldenOracleMade)
		return
	}
	dir, err := oracle.Dir()
	if err != nil {
		t.Fatal(err)
	}
	runOracle := func(trace, as string) []byte {
		cmd := exec.Command(filepath.Join(dir, "run"), trace, "--as", as)
		var out, errb bytes.Buffer
		cmd.Stdout, cmd.Stderr = &out, &errb
		if err := cmd.Run(); err != nil {
			t.Fatalf("-update: oracle %s --as %s: %v: %s", trace, as, err, errb.String())
		}
		return out.Bytes()
	}
	for _, name := range goldenExampleNames {
		trace, err := filepath.Abs(filepath.Join(goldenExamplesDir, name+".trace"))
		if err != nil {
			t.Fatal(err)
		}
		for _, as := range goldenOracleMade {
			if _, err := os.Stat(filepath.Join(shared, name+"."+as+".layout")); err == nil {
				continue // copied above
			}
			first, second := runOracle(trace, as), runOracle(trace, as)
			if !bytes.Equal(first, second) {
				t.Fatalf("-update: the oracle is not deterministic on %s --as %s: %s", name, as, goldenDiff(first, second))
			}
			out := filepath.Join(goldenExamplesDir, name+"."+as+".layout")
			if err := os.WriteFile(out, first, 0o644); err != nil {
				t.Fatal(err)
			}
			t.Logf("-update: wrote %s (oracle, 2 identical runs)", out)
		}
		// Statistics reports for every strategy: the oracle's --info
		// (standard error), without its own "oracle ..." lines and with
		// its allocator's call prefix renamed to the test allocator's.
		for _, as := range goldenStrategies {
			cmd := exec.Command(filepath.Join(dir, "run"), trace, "--as", as, "--info")
			var errb bytes.Buffer
			cmd.Stderr = &errb
			if err := cmd.Run(); err != nil {
				t.Fatalf("-update: oracle %s --as %s --info: %v: %s", trace, as, err, errb.String())
			}
			out := filepath.Join(goldenExamplesDir, name+"."+as+".info")
			if err := os.WriteFile(out, normalizeInfo(errb.Bytes()), 0o644); err != nil {
				t.Fatal(err)
			}
		}
	}
}

// goldenRegressions are alloclab's own outputs under its mmap/malloc model
// (default flags: no super carrier), kept as regression goldens. They are
// not checked against the oracle; -update rewrites them from alloclab's
// current output.
var goldenRegressions = []struct {
	file string // in testdata/golden
	args []string
}{
	{"summary_default_mixed.txt", []string{"replay", "--single", goldenExamplesDir + "/mixed.trace"}},
	{"summary_default_growth.txt", []string{"replay", "--single", goldenExamplesDir + "/growth.trace"}},
	{"layout_default_tie_break.txt", []string{"replay", "--single", "--layout", "--flags", "+MZas aoffcbf", goldenExamplesDir + "/tie_break.trace"}},
}

// TestGoldenRegressions checks alloclab's own (non-oracle) outputs against
// its regression goldens.
func TestGoldenRegressions(t *testing.T) {
	for _, g := range goldenRegressions {
		t.Run(strings.TrimSuffix(g.file, ".txt"), func(t *testing.T) {
			path := filepath.Join("testdata", "golden", g.file)
			code, out, stderr := goldenRun(g.args...)
			if code != 0 {
				t.Fatalf("alloclab %s: exit status %d: %s", strings.Join(g.args, " "), code, stderr)
			}
			if stderr != "" {
				t.Errorf("unexpected standard error: %q", stderr)
			}
			if *update {
				if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
					t.Fatal(err)
				}
				if err := os.WriteFile(path, out, 0o644); err != nil {
					t.Fatal(err)
				}
				t.Logf("-update: wrote %s from alloclab's output", path)
				return
			}
			want, err := os.ReadFile(path)
			if err != nil {
				t.Fatalf("%v (go test -run TestGoldenRegressions -update creates it)", err)
			}
			goldenCompare(t, path, want, out)
		})
	}
}
