package main

import (
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"testing"
)

// TestBinaryCorruptExit2: a truncated or corrupt binary trace fails
// replay, run's sibling commands and convert with exit status 2, nothing on
// standard output, and the record number and byte offset of the bad record
// on standard error.
func TestBinaryCorruptExit2(t *testing.T) {
	dir := t.TempDir()
	good := filepath.Join(dir, "good.altr")
	if r := cliRun("", "gen", "ets-churn", "--set", "objects=50", "--set", "rounds=1", "-o", good); r.code != 0 {
		t.Fatal(r.stderr)
	}
	b, err := os.ReadFile(good)
	if err != nil {
		t.Fatal(err)
	}
	trunc := filepath.Join(dir, "trunc.altr")
	os.WriteFile(trunc, b[:len(b)-1], 0o644)
	corrupt := filepath.Join(dir, "corrupt.altr")
	c := append([]byte{}, b...)
	c = append(c, 0x07)
	os.WriteFile(corrupt, c, 0o644)
	for _, tc := range []struct {
		args []string
		msg  string
	}{
		{[]string{"replay", "--single", trunc}, "(the input ends within it, after byte offset " + itoa(len(b)-2) + ")"},
		{[]string{"replay", corrupt}, "bad record byte 0x07: unknown record code 7 (at byte offset " + itoa(len(b)) + ")"},
		{[]string{"convert", trunc, filepath.Join(dir, "out.trace")}, "after byte offset"},
		{[]string{"convert", corrupt, "-"}, "(at byte offset " + itoa(len(b)) + ")"},
	} {
		r := cliRun("", tc.args...)
		r.mustNotPanic(t, tc.args...)
		if r.code != 2 || r.stdout != "" || !strings.Contains(r.stderr, tc.msg) || !strings.Contains(r.stderr, ".altr:") {
			t.Errorf("%q: exit %d, stdout %d bytes, stderr %q; want exit 2 and %q", tc.args, r.code, len(r.stdout), r.stderr, tc.msg)
		}
	}
}

func itoa(n int) string { return strconv.Itoa(n) }

// TestGenSpecsAndPhases: lifetime policies and phase lists reach the
// generator through --set; bad ones exit 2 with the parameter named.
func TestGenSpecsAndPhases(t *testing.T) {
	for _, args := range [][]string{
		{"gen", "binary-traffic", "--set", "ops=3000", "--set", "lifetime=lifo:exp:200"},
		{"gen", "binary-traffic", "--set", "ops=3000", "--set", "lifetime=fifo:bimodal:0.9,10,1000"},
		{"gen", "scheduler-shift", "--set", "ops=3000", "--set", "lifetime=cohort:20,exp:500"},
		{"gen", "phases", "--set", "live=100", "--set", "phases=ramp:1ms,plateau:2ms,peak:400,churn:300,sawtooth:800:3:0.5,ramp:200:0"},
		{"gen", "process-churn", "--set", "ops=3000", "--set", "processes=50", "--set", "min-heap=1000"},
	} {
		r := cliRun("", args...)
		if r.code != 0 || !strings.HasPrefix(r.stdout, "alloclab-trace 1\n") {
			t.Errorf("%q: exit %d: %s", args, r.code, r.stderr)
		}
	}
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"gen", "phases", "--set", "phases=ramp:10,zigzag:5"}, `phase 2 "zigzag:5": unknown kind "zigzag"`},
		{[]string{"gen", "phases", "--set", "phases=ramp:1s", "--set", "tick-every=0"}, "needs ticks"},
		{[]string{"gen", "binary-traffic", "--set", "lifetime=lifo"}, "lifo: missing ':' and arguments"},
		{[]string{"gen", "binary-traffic", "--set", "lifetime=cohort:0,exp:1"}, `cohort: N "0"`},
		{[]string{"run", "process-churn", "--set", "heap=zipf:2"}, `heap="zipf:2"`},
		{[]string{"gen", "process-churn", "--set", "types=binary_alloc=1"}, `unknown parameter "types"`},
	} {
		r := cliRun("", c.args...)
		r.mustNotPanic(t, c.args...)
		if r.code != 2 || !strings.Contains(r.stderr, c.want) || r.stdout != "" {
			t.Errorf("%q: exit %d, stderr %q; want exit 2 and %q", c.args, r.code, r.stderr, c.want)
		}
	}
}

// TestGenGOMAXPROCS: the same seed gives the same bytes whatever
// GOMAXPROCS is.
func TestGenGOMAXPROCS(t *testing.T) {
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(0))
	var outs []string
	for _, p := range []int{1, 4} {
		runtime.GOMAXPROCS(p)
		r := cliRun("", "gen", "phases", "--seed", "3", "--set", "live=300", "--set", "phases=ramp:500,peak:800,sawtooth:800,churn:400")
		if r.code != 0 {
			t.Fatal(r.stderr)
		}
		outs = append(outs, r.stdout)
	}
	if outs[0] != outs[1] {
		t.Fatal("GOMAXPROCS 1 and 4 gave different traces")
	}
}

// TestRunQuickStart: the README's quick start, a scenario generated and
// replayed end to end.
func TestRunQuickStart(t *testing.T) {
	r := cliRun("", "run", "peak-drop", "--set", "peak=5000", "--flags", "+MBas aobf")
	if r.code != 0 || !strings.Contains(r.stdout, "binary_alloc") || !strings.HasPrefix(r.stdout, "ops ") {
		t.Fatalf("exit %d, stdout %q, stderr %q", r.code, r.stdout, r.stderr)
	}
}
