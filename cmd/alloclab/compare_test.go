package main

import (
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

const compareTrace = "testdata/compare/peak-drop.trace"

// compareGoldenArgs are the comparisons with golden outputs in
// testdata/compare (regenerate: go test ./cmd/alloclab -run TestCompareGolden -update).
var compareGoldenArgs = map[string][]string{
	"node.text":     {"compare", "--as", "bf,aoffcbf,gf", "--config", "tuned=+MBas aobf +MBacul 0 +MHas aobf", compareTrace},
	"node.json":     {"compare", "--as", "bf,aoffcbf", "--format", "json", compareTrace},
	"node.csv":      {"compare", "--as", "bf,aoffcbf,gf", "--config", "tuned=+MBas aobf +MBacul 0 +MHas aobf", "--format", "csv", compareTrace},
	"node.benchfmt": {"compare", "--as", "bf,aoffcbf,gf", "--config", "tuned=+MBas aobf +MBacul 0 +MHas aobf", "--format", "benchfmt", compareTrace},
	"single.text":   {"compare", "--single", "--metric", "usage", "--as", "bf,aobf,aoff,gf", "--flags", "+MZsbct 64", compareTrace},
	"usage.csv":     {"compare", "--metric", "usage", "--as", "aoff,bf", "--format", "csv", compareTrace},
}

func TestCompareGolden(t *testing.T) {
	for name, args := range compareGoldenArgs {
		t.Run(name, func(t *testing.T) {
			r := cliRun("", args...)
			r.mustNotPanic(t, args...)
			if r.code != 0 {
				t.Fatalf("exit status %d: %s", r.code, r.stderr)
			}
			path := filepath.Join("testdata", "compare", name+".golden")
			if *update {
				if err := os.WriteFile(path, []byte(r.stdout), 0o644); err != nil {
					t.Fatal(err)
				}
				return
			}
			want, err := os.ReadFile(path)
			if err != nil {
				t.Fatalf("%v (go test -run TestCompareGolden -update writes it)", err)
			}
			goldenCompare(t, path, want, []byte(r.stdout))
		})
	}
}

// The JSON output is valid, ranked, and names every metric.
func TestCompareJSON(t *testing.T) {
	r := cliRun("", "compare", "--as", "bf,aoffcbf,gf", "--format", "json", compareTrace)
	if r.code != 0 {
		t.Fatal(r.stderr)
	}
	var out struct {
		Metric string
		Runs   []struct {
			Rank    int
			Name    string
			Metrics map[string]any
		}
	}
	if err := json.Unmarshal([]byte(r.stdout), &out); err != nil {
		t.Fatal(err)
	}
	if out.Metric != "jw4" || len(out.Runs) != 3 {
		t.Fatalf("metric %q, %d runs", out.Metric, len(out.Runs))
	}
	prev := -1.0
	for i, run := range out.Runs {
		jw4, ok := run.Metrics["jw4"].(float64)
		if run.Rank != i+1 || !ok || jw4 < prev {
			t.Errorf("run %d: rank %d jw4 %v after %v", i, run.Rank, run.Metrics["jw4"], prev)
		}
		prev = jw4
		for _, k := range []string{"jw1", "jw2", "jw3", "max_footprint", "max_requested", "recon", "mseg_hit_rate", "pool_fetches"} {
			if _, ok := run.Metrics[k]; !ok {
				t.Errorf("run %s has no %s", run.Name, k)
			}
		}
	}
}

// A scenario is generated once per configuration from the same seed: the
// same result as its trace file; and the output is the same at
// GOMAXPROCS 1 and 2, and with one job at a time.
func TestCompareScenarioAndDeterminism(t *testing.T) {
	dir := t.TempDir()
	trace := filepath.Join(dir, "pd.trace")
	set := []string{"--set", "peak=400", "--set", "size=lognormal:8,1", "--seed", "3"}
	if r := cliRun("", append([]string{"gen", "peak-drop", "-o", trace}, set...)...); r.code != 0 {
		t.Fatal(r.stderr)
	}
	scen := cliRun("", append([]string{"compare", "peak-drop", "--format", "csv", "--as", "bf,aoff,aoffcbf"}, set...)...)
	file := cliRun("", "compare", "--format", "csv", "--as", "bf,aoff,aoffcbf", trace)
	if scen.code != 0 || file.code != 0 {
		t.Fatalf("%s %s", scen.stderr, file.stderr)
	}
	if scen.stdout != file.stdout {
		t.Errorf("scenario and its trace differ: %s", goldenDiff([]byte(file.stdout), []byte(scen.stdout)))
	}
	if testing.Short() {
		return
	}
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	args := []string{"compare", "--format", "json", compareTrace}
	base := cliRun("", args...)
	for _, procs := range []string{"1", "2"} {
		out, stderr, code := cliSubprocess(t, exe, procs, "", args...)
		if code != 0 || out != base.stdout {
			t.Errorf("GOMAXPROCS=%s: exit %d (%s), output differs: %s", procs, code, stderr, goldenDiff([]byte(base.stdout), []byte(out)))
		}
	}
	if one := cliRun("", append([]string{"compare", "--jobs", "1"}, args[1:]...)...); one.stdout != base.stdout {
		t.Errorf("--jobs 1 differs")
	}
}

// Standard input is read once and replayed by every configuration.
func TestCompareStdin(t *testing.T) {
	b, err := os.ReadFile(compareTrace)
	if err != nil {
		t.Fatal(err)
	}
	in := cliRun(string(b), "compare", "--format", "csv", "--as", "bf,gf", "-")
	file := cliRun("", "compare", "--format", "csv", "--as", "bf,gf", compareTrace)
	if in.code != 0 || in.stdout != file.stdout {
		t.Errorf("stdin: exit %d %s; differs: %s", in.code, in.stderr, goldenDiff([]byte(file.stdout), []byte(in.stdout)))
	}
}

// Sampling by time and by operations gives the same metrics (they are
// exact, not sampled).
func TestCompareSamplingLeavesMetrics(t *testing.T) {
	a := cliRun("", "compare", "--format", "csv", "--as", "bf", "--every-time", "1us", compareTrace)
	b := cliRun("", "compare", "--format", "csv", "--as", "bf", "--every", "7", "--points", "4", compareTrace)
	if a.code != 0 || b.code != 0 || a.stdout != b.stdout {
		t.Errorf("%s %s: %s", a.stderr, b.stderr, goldenDiff([]byte(a.stdout), []byte(b.stdout)))
	}
}

func TestCompareErrors(t *testing.T) {
	bad := cliWrite(t, "bad.trace", "alloclab-trace 1\na 1 B 1 100\nf 2\n")
	nul := cliWrite(t, "null.trace", "alloclab-trace 1\na 1 B 1 100000000\n")
	for _, c := range []struct {
		args   []string
		prefix string
		subs   []string
	}{
		{[]string{"compare", "--format", "xml", compareTrace}, "compare: --format", []string{"text, json, csv or benchfmt"}},
		{[]string{"compare", "--metric", "speed", compareTrace}, "compare: --metric", []string{"jw4"}},
		{[]string{"compare", "--as", "bf,bf", compareTrace}, "compare: configuration \"bf\" given twice", nil},
		{[]string{"compare", "--as", "best", compareTrace}, "compare: configuration best (+Muas best)", []string{"best"}},
		{[]string{"compare", "--config", "x", compareTrace}, "compare: --config \"x\"", []string{"NAME="}},
		{[]string{"compare", "--config", "a b=+MBas bf", compareTrace}, "compare: configuration name", nil},
		{[]string{"compare", "--config", "t=+MBfoo 1", compareTrace}, "compare: configuration t", []string{"MBfoo"}},
		{[]string{"compare", "no-such-thing"}, "compare: \"no-such-thing\" is neither", []string{"scenarios"}},
		{[]string{"compare", "peak-drop", "--set", "nope=1"}, "peak-drop: unknown parameter", nil},
		{[]string{"compare", "--set", "peak=1", compareTrace}, "compare: --set and --seed apply to a scenario", nil},
		{[]string{"compare", "--every", "5", "--every-time", "1ms", compareTrace}, "compare: --every and --every-time", nil},
		{[]string{"compare", "--every-time", "soon", compareTrace}, "compare: --every-time", []string{"duration"}},
		{[]string{"compare", "--points", "2", compareTrace}, "compare: --points 2", nil},
		{[]string{"compare", "--as", "bf,gf", bad}, "configuration bf: " + bad + ":3: f: ID 2 is not live", nil},
		{[]string{"compare", "--single", "--as", "bf,gf", "--flags", "+MMscs 5 +MMsco true +Musac false", nul}, "configuration bf: " + nul + ":2: allocation of 100000000 bytes failed", nil},
		{[]string{"compare", "--html", "/no/such/dir/r.html", compareTrace}, "compare: --html", nil},
		{[]string{"compare"}, "accepts 1 arg", nil},
	} {
		r := cliRun("", c.args...)
		cliFail(t, r, 2, c.prefix, c.subs...)
	}
}

// Every option combination prints something and never panics.
func TestCompareHelp(t *testing.T) {
	r := cliRun("", "compare", "--help")
	if r.code != 0 || !strings.Contains(r.stdout, "--metric") || !strings.Contains(r.stdout, "jw4") {
		t.Errorf("help: %d %q", r.code, r.stdout)
	}
}

// The HTML report renders in headless Chromium with every table and chart
// (scripts/check-html.sh); skipped without chromium or with -short.
func TestCompareHTMLChromium(t *testing.T) {
	if testing.Short() {
		t.Skip("-short: no browser")
	}
	if _, err := exec.LookPath("chromium"); err != nil {
		t.Skip("chromium is not installed (apt-get install chromium): scripts/check-html.sh not run")
	}
	report := filepath.Join(t.TempDir(), "report.html")
	r := cliRun("", "compare", "--as", "bf,aoffcbf", "--html", report, compareTrace)
	if r.code != 0 {
		t.Fatal(r.stderr)
	}
	out, err := exec.Command("bash", filepath.Join("..", "..", "scripts", "check-html.sh"), report).CombinedOutput()
	if err != nil {
		t.Fatalf("check-html.sh: %v\n%s", err, out)
	}
	// And it notices a missing chart.
	page, _ := os.ReadFile(report)
	broken := filepath.Join(t.TempDir(), "broken.html")
	os.WriteFile(broken, []byte(strings.Replace(string(page), `id="chart-usage"`, `id="chart-other"`, 1)), 0o644)
	if out, err := exec.Command("bash", filepath.Join("..", "..", "scripts", "check-html.sh"), broken).CombinedOutput(); err == nil {
		t.Errorf("check-html.sh passed a report without the usage chart: %s", out)
	}
}
