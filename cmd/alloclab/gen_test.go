package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"alloclab/workloads"
)

var genSmall = map[string][]string{
	"peak-drop":       {"--set", "peak=3000"},
	"binary-traffic":  {"--set", "ops=20000"},
	"scheduler-shift": {"--set", "ops=20000"},
	"ets-churn":       {"--set", "objects=3000"},
	"process-churn":   {"--set", "ops=20000", "--set", "processes=200"},
	"phases":          {"--set", "live=1000", "--set", "phases=ramp:2000:0.5,plateau:50ms,peak:2000,churn:2000,sawtooth:4000,ramp:1000:0"},
}

func TestGenDeterministic(t *testing.T) {
	for _, sc := range workloads.Scenarios() {
		args := append([]string{"gen", sc.Name, "--seed", "5"}, genSmall[sc.Name]...)
		a, b := cliRun("", args...), cliRun("", args...)
		if a.code != 0 || b.code != 0 {
			t.Fatalf("%s: exit %d: %s", sc.Name, a.code, a.stderr)
		}
		if a.stdout != b.stdout || !strings.HasPrefix(a.stdout, workloads.Magic+"\n") {
			t.Fatalf("%s: not deterministic or not a trace", sc.Name)
		}
		c := cliRun("", append([]string{"gen", sc.Name, "--seed", "6"}, genSmall[sc.Name]...)...)
		if c.stdout == a.stdout {
			t.Fatalf("%s: seeds 5 and 6 gave the same trace", sc.Name)
		}
	}
}

func TestGenOutputFiles(t *testing.T) {
	dir := t.TempDir()
	text := cliRun("", "gen", "ets-churn", "--set", "objects=500")
	if text.code != 0 {
		t.Fatal(text.stderr)
	}
	for _, name := range []string{"t.altr", "t.altr.gz", "t.trace.gz", "t.trace"} {
		p := filepath.Join(dir, name)
		r := cliRun("", "gen", "ets-churn", "--set", "objects=500", "-o", p)
		if r.code != 0 || r.stdout != "" {
			t.Fatalf("%s: exit %d: %s", name, r.code, r.stderr)
		}
		// Convert back to text: the same ops.
		out := filepath.Join(dir, name+".txt")
		if c := cliRun("", "convert", p, out); c.code != 0 {
			t.Fatalf("convert %s: %s", name, c.stderr)
		}
		b, err := os.ReadFile(out)
		if err != nil {
			t.Fatal(err)
		}
		if string(b) != text.stdout {
			t.Fatalf("%s: read back differs from the text trace", name)
		}
	}
}

func TestRunScenarios(t *testing.T) {
	for _, sc := range workloads.Scenarios() {
		for _, mode := range [][]string{nil, {"--single"}, {"--stats", "--format", "json"}} {
			args := append(append([]string{"run", sc.Name}, genSmall[sc.Name]...), mode...)
			r := cliRun("", args...)
			if r.code != 0 || r.stdout == "" {
				t.Fatalf("%v: exit %d: %s", args, r.code, r.stderr)
			}
		}
	}
	// --schedulers also sets the scenario's schedulers.
	r := cliRun("", "run", "binary-traffic", "--set", "ops=5000", "--schedulers", "4", "--flags", "+MBas aobf")
	if r.code != 0 {
		t.Fatalf("exit %d: %s", r.code, r.stderr)
	}
	// The same run as gen + replay.
	dir := t.TempDir()
	p := filepath.Join(dir, "x.trace")
	if g := cliRun("", "gen", "peak-drop", "--set", "peak=2000", "-o", p); g.code != 0 {
		t.Fatal(g.stderr)
	}
	a := cliRun("", "replay", "--single", "--layout", p)
	b := cliRun("", "run", "peak-drop", "--set", "peak=2000", "--single", "--layout")
	if a.code != 0 || a.stdout != b.stdout {
		t.Fatalf("run differs from gen + replay (exit %d %d): %s %s", a.code, b.code, a.stderr, b.stderr)
	}
}

func TestScenariosList(t *testing.T) {
	r := cliRun("", "scenarios")
	if r.code != 0 {
		t.Fatal(r.stderr)
	}
	for _, sc := range workloads.Scenarios() {
		if !strings.Contains(r.stdout, sc.Name+"\n") {
			t.Errorf("%s not listed", sc.Name)
		}
		for _, p := range sc.Params {
			if !strings.Contains(r.stdout, p.Name) || !strings.Contains(r.stdout, p.Default) {
				t.Errorf("%s: %s=%s not listed", sc.Name, p.Name, p.Default)
			}
		}
	}
}

func TestGenBadSet(t *testing.T) {
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"gen", "nope"}, "unknown scenario"},
		{[]string{"gen", "peak-drop", "--set", "bogus=1"}, `unknown parameter "bogus"`},
		{[]string{"gen", "peak-drop", "--set", "survive=2"}, "expected a probability"},
		{[]string{"run", "binary-traffic", "--set", "size=pareto:0,1"}, "size"},
		{[]string{"run", "ets-churn", "--set", "rounds=x"}, "expected an integer"},
		{[]string{"gen", "peak-drop", "--seed", "x"}, "invalid"},
	} {
		r := cliRun("", c.args...)
		if r.code != 2 || r.stdout != "" || !strings.Contains(r.stderr, c.want) || !strings.HasPrefix(r.stderr, "alloclab: ") {
			t.Errorf("%v: exit %d stdout %q stderr %q; want 2 and %q", c.args, r.code, r.stdout, r.stderr, c.want)
		}
	}
}
