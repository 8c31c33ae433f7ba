package main

// Tests of the command line: exit status (0 ok, 2 bad input, 1 anything
// else), "alloclab: FILE:LINE: ..." messages, nothing on standard output on
// failure, --lenient, --check, --vm-args, determinism, and no panics on
// mutated traces.

import (
	"bytes"
	"flag"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"runtime/debug"
	"strings"
	"testing"

	"alloclab/internal/oracle"
)

// cliResult is one run of the command line.
type cliResult struct {
	code           int
	stdout, stderr string
	panicked       any // non-nil: run panicked with this value
	stack          string
}

// cliRun runs the command line in-process with stdin, recovering a panic.
func cliRun(stdin string, args ...string) (r cliResult) {
	var out, errb bytes.Buffer
	defer func() {
		if p := recover(); p != nil {
			r = cliResult{code: -1, stdout: out.String(), stderr: errb.String(), panicked: p, stack: string(debug.Stack())}
		}
	}()
	code := run(args, strings.NewReader(stdin), &out, &errb)
	return cliResult{code: code, stdout: out.String(), stderr: errb.String()}
}

// mustNotPanic fails the test if r panicked.
func (r cliResult) mustNotPanic(t *testing.T, args ...string) {
	t.Helper()
	if r.panicked != nil {
		t.Fatalf("alloclab %q panicked: %v\n%s", args, r.panicked, r.stack)
	}
}

// cliWrite writes a file in a fresh temporary directory and returns its path.
func cliWrite(t *testing.T, name, content string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

// cliFail checks a failed run: exit status want, nothing on standard
// output, standard error starting with "alloclab: " + prefix and
// containing every one of substrs.
func cliFail(t *testing.T, r cliResult, want int, prefix string, substrs ...string) {
	t.Helper()
	if r.panicked != nil {
		t.Fatalf("panic: %v\n%s", r.panicked, r.stack)
	}
	if r.code != want {
		t.Errorf("exit status %d, want %d (stderr %q)", r.code, want, r.stderr)
	}
	if r.stdout != "" {
		t.Errorf("standard output not empty on failure: %q", r.stdout)
	}
	if !strings.HasPrefix(r.stderr, "alloclab: "+prefix) {
		t.Errorf("standard error %q does not start with %q", r.stderr, "alloclab: "+prefix)
	}
	for _, s := range substrs {
		if !strings.Contains(r.stderr, s) {
			t.Errorf("standard error %q does not mention %q", r.stderr, s)
		}
	}
}

const cliGoodTrace = "alloclab-trace 1\na 1 binary_alloc 1 100\na 2 B 1 700000\nf 1\n"

// cliTraceErrors are traces with one error each (every kind the spec
// lists), the 1-based line of the error and words the message must hold.
var cliTraceErrors = []struct {
	name  string
	trace string
	line  int
	words []string
}{
	{"empty input", "", 1, []string{"empty input", "alloclab-trace 1"}},
	{"first line wrong version", "alloclab-trace 2\na 1 B 1 5\n", 1, []string{"first line"}},
	{"first line missing", "a 1 B 1 5\n", 1, []string{"first line"}},
	{"first line leading blank", " alloclab-trace 1\n", 1, []string{"first line"}},
	{"first line comment", "# alloclab-trace 1\nalloclab-trace 1\n", 1, []string{"first line"}},
	{"unknown record", "alloclab-trace 1\n# comment\n\nx 1\n", 4, []string{"unknown record", `"x"`}},
	{"unknown record word", "alloclab-trace 1\na 1 B 1 5\nalloc 2 B 1 5\n", 3, []string{"unknown record"}},
	{"a too few fields", "alloclab-trace 1\na 1 B 1\n", 2, []string{"expected 4 fields", "got 3"}},
	{"a too many fields", "alloclab-trace 1\na 1 B 1 5 6\n", 2, []string{"expected 4 fields", "got 5"}},
	{"r too few fields", "alloclab-trace 1\na 1 B 1 5\nr 1\n", 3, []string{"expected 2 or 3 fields"}},
	{"r too many fields", "alloclab-trace 1\na 1 B 1 5\nr 1 6 1 1\n", 3, []string{"expected 2 or 3 fields"}},
	{"f too few fields", "alloclab-trace 1\na 1 B 1 5\nf\n", 3, []string{"expected 1 or 2 fields"}},
	{"f too many fields", "alloclab-trace 1\na 1 B 1 5\nf 1 1 1\n", 3, []string{"expected 1 or 2 fields"}},
	{"t no field", "alloclab-trace 1\nt\n", 2, []string{"expected 1 field"}},
	{"t two fields", "alloclab-trace 1\nt 1 2\n", 2, []string{"expected 1 field"}},
	{"bad ID", "alloclab-trace 1\na 1x B 1 5\n", 2, []string{"bad ID", `"1x"`}},
	{"negative ID", "alloclab-trace 1\na -1 B 1 5\n", 2, []string{"bad ID"}},
	{"ID overflow", "alloclab-trace 1\na 18446744073709551616 B 1 5\n", 2, []string{"bad ID"}},
	{"bad SCHED", "alloclab-trace 1\na 1 B x 5\n", 2, []string{"bad SCHED"}},
	{"bad SIZE", "alloclab-trace 1\na 1 B 1 5k\n", 2, []string{"bad SIZE", `"5k"`}},
	{"bad realloc SIZE", "alloclab-trace 1\na 1 B 1 5\nr 1 +6\n", 3, []string{"bad SIZE"}},
	{"bad NANOS", "alloclab-trace 1\nt 1e9\n", 2, []string{"bad NANOS"}},
	{"SIZE 0", "alloclab-trace 1\na 1 B 1 0\n", 2, []string{"bad SIZE", `"0"`, "2^48"}},
	{"realloc SIZE 0", "alloclab-trace 1\na 1 B 1 5\nr 1 0\n", 3, []string{"bad SIZE"}},
	{"SIZE 2^48", "alloclab-trace 1\na 1 B 1 281474976710656\n", 2, []string{"bad SIZE", "2^48"}},
	{"SIZE above 2^48", "alloclab-trace 1\na 1 B 1 99999999999999999\n", 2, []string{"bad SIZE"}},
	{"unknown TYPE", "alloclab-trace 1\na 1 foo_alloc 1 5\n", 2, []string{"unknown allocator type", `"foo_alloc"`}},
	{"unknown TYPE letter", "alloclab-trace 1\na 1 Q 1 5\n", 2, []string{"unknown allocator type", `"Q"`}},
	{"a of a live ID", "alloclab-trace 1\na 7 B 1 5\n# x\na 8 B 1 5\na 7 B 1 6\n", 5, []string{"ID 7", "still live"}},
	{"r of a never allocated ID", "alloclab-trace 1\na 1 B 1 5\nr 2 10\n", 3, []string{"ID 2", "not live"}},
	{"r of a freed ID", "alloclab-trace 1\na 1 B 1 5\nf 1\nr 1 10\n", 4, []string{"ID 1", "not live"}},
	{"f of a never allocated ID", "alloclab-trace 1\nf 3\n", 2, []string{"ID 3", "not live"}},
	{"double free", "alloclab-trace 1\na 1 B 1 5\nf 1\n\nf 1\n", 5, []string{"ID 1", "not live"}},
	{"t backwards", "alloclab-trace 1\nt 100\na 1 B 1 5\nt 100\nt 99\n", 5, []string{"backwards", "99", "100"}},
	{"NUL byte", "alloclab-trace 1\na 1 B 1 5\x00\n", 2, nil},
	{"error after CRLF lines", "alloclab-trace 1\r\na 1 B 1 5\r\nf 2\r\n", 3, []string{"not live"}},
}

// TestCLITraceErrors: every malformed trace, from a file and from standard
// input, exits 2 with "alloclab: FILE:LINE: " and nothing on stdout.
func TestCLITraceErrors(t *testing.T) {
	for _, c := range cliTraceErrors {
		t.Run(c.name, func(t *testing.T) {
			path := cliWrite(t, "bad.trace", c.trace)
			for _, layout := range []bool{false, true} {
				args := []string{"replay", "--single"}
				if layout {
					args = append(args, "--layout")
				}
				r := cliRun("", append(args, path)...)
				cliFail(t, r, 2, fmt.Sprintf("%s:%d: ", path, c.line), c.words...)
				r = cliRun(c.trace, append(args, "-")...)
				cliFail(t, r, 2, fmt.Sprintf("<stdin>:%d: ", c.line), c.words...)
			}
		})
	}
}

// TestCLIFlagErrors: unknown or malformed allocator flags exit 2 and name
// the flag.
func TestCLIFlagErrors(t *testing.T) {
	trace := cliWrite(t, "ok.trace", cliGoodTrace)
	for _, c := range []struct {
		flags string
		words []string
	}{
		{"+MZas foo", []string{"+MZas", "foo", "unknown strategy"}},
		{"+MQfoo 1", []string{"+MQfoo"}},
		{"+MZsbct x", []string{"+MZsbct", "x"}},
		{"+MZsbct", []string{"+MZsbct", "missing value"}},
		{"+MZas", []string{"+MZas", "missing value"}},
		{"+MZsbct -1", []string{"+MZsbct"}},
		{"MZas bf", []string{"MZas", "not a +M flag"}},
		{"+MZas bf extra", []string{"extra"}},
		{"+MZas aoffcbf +MZsbct 64 +MMmcs x", []string{"+MMmcs"}},
	} {
		t.Run(c.flags, func(t *testing.T) {
			r := cliRun("", "replay", "--single", "--layout", "--flags", c.flags, trace)
			cliFail(t, r, 2, "", c.words...)
			// A bad flag is found before the trace is read.
			r = cliRun(cliGoodTrace, "replay", "--single", "--flags", "+MZas bf", "--flags", c.flags, "-")
			cliFail(t, r, 2, "", c.words...)
		})
	}
}

// TestCLIUsageErrors: bad commands, options and arguments exit 2.
func TestCLIUsageErrors(t *testing.T) {
	trace := cliWrite(t, "ok.trace", cliGoodTrace)
	missing := filepath.Join(t.TempDir(), "no-such-dir", "missing.trace")
	for _, c := range []struct {
		name  string
		args  []string
		words []string
	}{
		{"unknown command", []string{"frob", trace}, []string{"unknown command", "frob"}},
		{"unknown option", []string{"replay", "--single", "--frob", trace}, []string{"--frob"}},
		{"unknown short option", []string{"replay", "--single", "-q", trace}, []string{"-q"}},
		{"unknown root option", []string{"--frob"}, []string{"--frob"}},
		{"option value missing", []string{"replay", "--single", trace, "--flags"}, []string{"--flags"}},
		{"bool option with value", []string{"replay", "--single=maybe", trace}, []string{"single"}},
		{"no trace", []string{"replay", "--single"}, []string{"1 arg", "received 0"}},
		{"two traces", []string{"replay", "--single", trace, trace}, []string{"1 arg", "received 2"}},
		{"missing file", []string{"replay", "--single", missing}, []string{missing}},
		{"missing file with layout", []string{"replay", "--single", "--layout", missing}, []string{missing}},
		{"missing vm-args file", []string{"replay", "--single", "--vm-args", missing, trace}, []string{missing}},
		{"node: too many schedulers", []string{"replay", "--schedulers", "100000", trace}, []string{"schedulers"}},
		{"node: zero schedulers", []string{"replay", "--schedulers", "0", trace}, []string{"schedulers"}},
	} {
		t.Run(c.name, func(t *testing.T) {
			cliFail(t, cliRun("", c.args...), 2, "", c.words...)
		})
	}
}

// TestCLIAllocationFailure: the simulated allocator returning NULL (a
// super carrier too small for the trace, no fallback to the OS) is exit 2
// with "FILE:LINE: ... failed" and nothing on standard output.
//
// With a 5 MiB super carrier, 4 MiB go to the free-segment descriptors
// (+MMscrfsd 65536 × 64 bytes), which leaves room for the 1 MiB main carrier
// and no more.
func TestCLIAllocationFailure(t *testing.T) {
	const flags = "+MMscs 5 +MMsco true +Musac false"
	for _, c := range []struct {
		name, trace string
		line        int
		words       []string
	}{
		{"SBC", "alloclab-trace 1\na 1 B 1 100\n# the SBC does not fit\na 2 B 1 600000\na 3 B 1 5\n", 4,
			[]string{"allocation of 600000 bytes failed"}},
		{"second MBC", "alloclab-trace 1\na 1 B 1 500000\na 2 B 1 500000\na 3 B 1 500000\n", 4,
			[]string{"allocation of 500000 bytes failed"}},
		{"realloc", "alloclab-trace 1\na 1 B 1 100\nt 5\nr 1 2000000\n", 4,
			[]string{"realloc of ID 1 to 2000000 bytes failed"}},
	} {
		t.Run(c.name, func(t *testing.T) {
			path := cliWrite(t, "big.trace", c.trace)
			for _, extra := range [][]string{nil, {"--layout"}, {"--lenient"}, {"--check"}} {
				args := append(append([]string{"replay", "--single", "--flags", flags}, extra...), path)
				cliFail(t, cliRun("", args...), 2, fmt.Sprintf("%s:%d: ", path, c.line), c.words...)
				args[len(args)-1] = "-"
				cliFail(t, cliRun(c.trace, args...), 2, fmt.Sprintf("<stdin>:%d: ", c.line), c.words...)
			}
		})
	}
	// The same traces fit in the oracle's 16 GiB super carrier.
	path := cliWrite(t, "big.trace", "alloclab-trace 1\na 1 B 1 100\na 2 B 1 600000\nr 1 2000000\n")
	if r := cliRun("", "replay", "--single", "--flags", goldenOracleFlags, path); r.code != 0 || r.stdout == "" {
		t.Errorf("with a 16 GiB super carrier: exit status %d, stdout %q, stderr %q", r.code, r.stdout, r.stderr)
	}
}

// TestCLIImpossibleSuperCarrier: a super carrier that cannot be created or
// cannot hold the main carrier must be reported (the real emulator refuses
// to start:
// "erts_mmap: No space for segments in super carrier", or "Failed to
// create main carrier"), not crash: no panic, a non-zero exit status,
// nothing on standard output, a message on standard error.
func TestCLIImpossibleSuperCarrier(t *testing.T) {
	trace := cliWrite(t, "ok.trace", cliGoodTrace)
	for _, flags := range []string{
		"+MMscs 1 +MMsco true +Musac false",               // smaller than the descriptor area
		"+MMscs 2 +MMsco true +Musac false",               // likewise
		"+MMscs 1 +MMscrfsd 100 +MMsco true +Musac false", // no room for the main carrier
		"+MMscs 5 +MMsco true +Musac false +MZmmbcs 4096", // likewise
		"+MMscs 4294967295",                               // 4 PiB: more than the address space (2^47)
	} {
		t.Run(flags, func(t *testing.T) {
			args := []string{"replay", "--single", "--layout", "--flags", flags, trace}
			r := cliRun("", args...)
			if r.panicked != nil {
				t.Fatalf("alloclab panicked instead of reporting the error: %v", r.panicked)
			}
			if r.code != 1 && r.code != 2 {
				t.Errorf("exit status %d, want 1 or 2", r.code)
			}
			if r.stdout != "" {
				t.Errorf("standard output not empty: %q", r.stdout)
			}
			if !strings.HasPrefix(r.stderr, "alloclab: ") {
				t.Errorf("standard error %q", r.stderr)
			}
		})
	}
}

// TestCLILenient: --lenient skips bad lines (with a warning naming the
// first one), replays the rest as if the bad lines were not there, and
// exits 0. A bad first line still fails.
func TestCLILenient(t *testing.T) {
	const bad = "alloclab-trace 1\n" + // 1
		"a 1 B 1 100\n" + // 2
		"zz\n" + // 3 unknown record
		"a 2 B 1 0\n" + // 4 SIZE 0
		"a 3 B 1 200\n" + // 5
		"f 9\n" + // 6 not live
		"a 1 B 1 5\n" + // 7 still live
		"t 10\n" + // 8
		"t 5\n" + // 9 backwards
		"a 4 Q 1 5\n" + // 10 unknown TYPE
		"a 5 B 1 600000\n" + // 11
		"f 3\n" + // 12
		"r 4 10\n" // 13 not live (its a was skipped)
	const clean = "alloclab-trace 1\na 1 B 1 100\na 3 B 1 200\nt 10\na 5 B 1 600000\nf 3\n"
	path := cliWrite(t, "bad.trace", bad)
	cleanPath := cliWrite(t, "clean.trace", clean)
	for _, extra := range [][]string{nil, {"--layout"}, {"--layout", "--flags", goldenOracleFlags + " +MZas aoffcbf"}, {"--check"}} {
		args := append(append([]string{"replay", "--single", "--lenient"}, extra...), path)
		r := cliRun("", args...)
		r.mustNotPanic(t, args...)
		if r.code != 0 {
			t.Fatalf("%q: exit status %d: %s", args, r.code, r.stderr)
		}
		wantWarn := "alloclab: warning: skipped 7 malformed lines (first: " + path + `:3: unknown record "zz"`
		if !strings.HasPrefix(r.stderr, wantWarn) || strings.Count(r.stderr, "\n") != 1 {
			t.Errorf("%q: standard error %q, want one line starting %q", args, r.stderr, wantWarn)
		}
		cargs := append(append([]string{"replay", "--single"}, extra...), cleanPath)
		want := cliRun("", cargs...)
		if want.code != 0 || want.stderr != "" {
			t.Fatalf("%q: exit status %d: %s", cargs, want.code, want.stderr)
		}
		if r.stdout != want.stdout {
			t.Errorf("%q: output differs from the trace without its bad lines:\n%s", args, goldenDiff([]byte(want.stdout), []byte(r.stdout)))
		}
		// Same from standard input.
		args[len(args)-1] = "-"
		rs := cliRun(bad, args...)
		if rs.code != 0 || rs.stdout != r.stdout || !strings.Contains(rs.stderr, "(first: <stdin>:3: ") {
			t.Errorf("%q from stdin: exit status %d, stderr %q, same output %v", args, rs.code, rs.stderr, rs.stdout == r.stdout)
		}
	}
	// A clean trace gives no warning.
	if r := cliRun("", "replay", "--single", "--lenient", cleanPath); r.code != 0 || r.stderr != "" {
		t.Errorf("clean trace with --lenient: exit status %d, stderr %q", r.code, r.stderr)
	}
	// The first line is not skippable.
	p := cliWrite(t, "nomagic.trace", "alloclab-trace 9\na 1 B 1 5\n")
	cliFail(t, cliRun("", "replay", "--single", "--lenient", p), 2, p+":1: ", "first line")
	cliFail(t, cliRun("", "replay", "--single", "--lenient", cliWrite(t, "empty.trace", "")), 2, "", ":1: ", "empty input")
	// Nor is an allocation failure.
	p = cliWrite(t, "big.trace", "alloclab-trace 1\nzz\na 1 B 1 600000\n")
	cliFail(t, cliRun("", "replay", "--single", "--lenient", "--flags", "+MMscs 5 +MMsco true +Musac false", p), 2, p+":3: ", "failed")
}

// cliRandomTrace writes a generated trace (internal/oracle's generator).
func cliRandomTrace(t *testing.T, shape oracle.Shape, ops int, seed uint64) (path, content string) {
	t.Helper()
	var b bytes.Buffer
	if err := oracle.Generate(&b, shape, ops, seed); err != nil {
		t.Fatal(err)
	}
	return cliWrite(t, fmt.Sprintf("%s-%d.trace", shape, seed), b.String()), b.String()
}

// TestCLICheck: --check (invariants after every operation) passes on
// random traces and changes nothing in the output.
func TestCLICheck(t *testing.T) {
	for _, c := range []struct {
		shape oracle.Shape
		ops   int
		flags []string
	}{
		{oracle.Random, 3000, nil},
		{oracle.Random, 3000, goldenStrategiesFlags()},
		{oracle.Realloc, 1500, goldenStrategiesFlags()},
		{oracle.Burst, 1500, []string{goldenOracleFlags + " +MZas aoffcbf", "+MMmcs 10 +MZas ageffcbf", "+MZas bf +MZsbct 64"}},
	} {
		path, _ := cliRandomTrace(t, c.shape, c.ops, 3)
		flags := c.flags
		if flags == nil {
			flags = []string{""}
		}
		for _, fl := range flags {
			base := []string{"replay", "--single", "--layout"}
			if fl != "" {
				base = append(base, "--flags", fl)
			}
			checked := cliRun("", append(append(base, "--check"), path)...)
			checked.mustNotPanic(t)
			plain := cliRun("", append(base, path)...)
			if checked.code != 0 || plain.code != 0 {
				t.Errorf("%s %q: exit status %d with --check (%s), %d without (%s)", c.shape, fl, checked.code, checked.stderr, plain.code, plain.stderr)
				continue
			}
			if checked.stdout != plain.stdout || checked.stdout == "" {
				t.Errorf("%s %q: --check changes the output: %s", c.shape, fl, goldenDiff([]byte(plain.stdout), []byte(checked.stdout)))
			}
		}
	}
}

// goldenStrategiesFlags returns the oracle's flags with each strategy.
func goldenStrategiesFlags() []string {
	var fl []string
	for _, as := range goldenStrategies {
		fl = append(fl, goldenOracleFlags+" +MZas "+as)
	}
	return fl
}

// TestCLIVMArgs: --vm-args reads +M flags from a vm.args file (comments,
// other flags and -extra tolerated); --flags override it.
func TestCLIVMArgs(t *testing.T) {
	trace := cliWrite(t, "t.trace", "alloclab-trace 1\na 1 B 1 100\na 2 B 1 100000\na 3 B 1 300\nf 1\n")
	vmargs := cliWrite(t, "vm.args", `# vm.args for alloclab
-name foo@localhost
+S 2            # schedulers: not an allocator flag
+MZas bf        # the strategy
+MZsbct 64#KiB: 100000 bytes become an SBC
+MZatags "true"
-extra +MZas gf
`)
	flagsRun := func(flags ...string) cliResult {
		args := []string{"replay", "--single"}
		for _, f := range flags {
			args = append(args, "--flags", f)
		}
		r := cliRun("", append(args, trace)...)
		if r.code != 0 {
			t.Fatalf("%q: exit status %d: %s", args, r.code, r.stderr)
		}
		return r
	}
	r := cliRun("", "replay", "--single", "--vm-args", vmargs, trace)
	r.mustNotPanic(t)
	if r.code != 0 || r.stderr != "" {
		t.Fatalf("--vm-args: exit status %d: %s", r.code, r.stderr)
	}
	if !strings.Contains(r.stdout, "strategy bf\n") {
		t.Errorf("--vm-args: +MZas bf not applied:\n%s", r.stdout)
	}
	if want := flagsRun("+MZas bf +MZsbct 64 +MZatags true"); r.stdout != want.stdout {
		t.Errorf("--vm-args output differs from --flags with the same flags:\n%s\nwant\n%s", r.stdout, want.stdout)
	}
	if def := flagsRun(); def.stdout == r.stdout {
		t.Errorf("--vm-args changed nothing")
	}
	// --flags wins over the file, the file's other flags stay.
	r = cliRun("", "replay", "--single", "--vm-args", vmargs, "--flags", "+MZas aobf", trace)
	if r.code != 0 {
		t.Fatalf("--vm-args --flags: exit status %d: %s", r.code, r.stderr)
	}
	if !strings.Contains(r.stdout, "strategy aobf\n") {
		t.Errorf("--flags did not override --vm-args:\n%s", r.stdout)
	}
	if want := flagsRun("+MZas bf +MZsbct 64 +MZatags true", "+MZas aobf"); r.stdout != want.stdout {
		t.Errorf("--vm-args + --flags differs from the flags in that order:\n%s\nwant\n%s", r.stdout, want.stdout)
	}
	// Flag order on the command line does not matter: --flags still win.
	r2 := cliRun("", "replay", "--single", "--flags", "+MZas aobf", "--vm-args", vmargs, trace)
	if r2.stdout != r.stdout {
		t.Errorf("--flags before --vm-args: different output:\n%s\nwant\n%s", r2.stdout, r.stdout)
	}
	// Layouts: the SBC threshold from the file.
	r = cliRun("", "replay", "--single", "--layout", "--vm-args", vmargs, trace)
	if !strings.Contains(r.stdout, " sbc ") {
		t.Errorf("--vm-args +MZsbct 64 not applied to the layout:\n%s", r.stdout)
	}
	// A bad flag in the file: exit 2, file, line and flag named.
	bad := cliWrite(t, "bad.args", "# bad\n+S 2 # ok\n+MZas foo\n")
	cliFail(t, cliRun("", "replay", "--single", "--vm-args", bad, trace), 2, bad+":3: ", "+MZas")
	bad = cliWrite(t, "bad2.args", "+MZas bf\n\n+MZsbct\n")
	cliFail(t, cliRun("", "replay", "--single", "--vm-args", bad, trace), 2, bad+":3: ", "+MZsbct", "missing value")
}

// TestCLIDirectiveNote: "@ flags" is ignored with --single, with a note on
// standard error naming the line; the output is that of the trace without it.
func TestCLIDirectiveNote(t *testing.T) {
	with := cliWrite(t, "with.trace", "alloclab-trace 1\n# x\n@ flags +MBas bf +MBsbct 1\n@ schedulers 4\na 1 B 1 100000\n")
	without := cliWrite(t, "without.trace", "alloclab-trace 1\na 1 B 1 100000\n")
	r := cliRun("", "replay", "--single", "--layout", with)
	if r.code != 0 || !strings.HasPrefix(r.stderr, "alloclab: note: "+with+":3: ") || strings.Count(r.stderr, "\n") != 1 {
		t.Errorf("exit status %d, stderr %q", r.code, r.stderr)
	}
	if w := cliRun("", "replay", "--single", "--layout", without); w.stdout != r.stdout {
		t.Errorf("@ flags changed the layout:\n%s", goldenDiff([]byte(w.stdout), []byte(r.stdout)))
	}
}

// TestCLILineEnds: CRLF line ends, blanks around fields, comments and a
// missing final newline do not change the result.
func TestCLILineEnds(t *testing.T) {
	const lf = "alloclab-trace 1\na 1 B 1 100\na 2 B 1 700000\nr 1 5000\nt 7\nf 2\n"
	variants := map[string]string{
		"crlf":       strings.ReplaceAll(lf, "\n", "\r\n"),
		"no final":   strings.TrimSuffix(lf, "\n"),
		"blanks":     "alloclab-trace 1\n  a\t1  B 1 100 \n\ta 2 B 1   700000\t\n# c\n\n r 1 5000\nt 7 \nf 2\n",
		"directives": "alloclab-trace 1\n@ source x\n@otp 25\na 1 B 1 100\na 2 B 1 700000\nr 1 5000\nt 7\nf 2\n",
	}
	want := cliRun(lf, "replay", "--single", "--layout", "-")
	if want.code != 0 {
		t.Fatalf("exit status %d: %s", want.code, want.stderr)
	}
	for name, v := range variants {
		r := cliRun(v, "replay", "--single", "--layout", "-")
		if r.code != 0 || r.stdout != want.stdout {
			t.Errorf("%s: exit status %d (%s): %s", name, r.code, r.stderr, goldenDiff([]byte(want.stdout), []byte(r.stdout)))
		}
	}
}

// cliDeterminismCases are the replays of TestCLIDeterminism.
func cliDeterminismCases(t *testing.T) [][]string {
	burst, _ := cliRandomTrace(t, oracle.Burst, 6000, 11)
	random, _ := cliRandomTrace(t, oracle.Random, 6000, 12)
	mixed, err := filepath.Abs(filepath.Join(goldenExamplesDir, "mixed.trace"))
	if err != nil {
		t.Fatal(err)
	}
	return [][]string{
		{"replay", "--single", "--layout", "--flags", goldenOracleFlags + " +MZas aoffcbf", burst},
		{"replay", "--single", "--layout", "--flags", goldenOracleFlags + " +MMmcs 10 +MZas gf", random},
		{"replay", "--single", "--layout", random},
		{"replay", "--single", "--flags", "+MZas ageffcbf", burst},
		{"replay", "--single", "--layout", "--flags", "+MZas bf +MZsbct 64", mixed},
	}
}

// TestCLIDeterminism: the same replay twice in-process gives identical
// bytes, and so does the real binary (main) under GOMAXPROCS 1 and 4.
func TestCLIDeterminism(t *testing.T) {
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	for i, args := range cliDeterminismCases(t) {
		first := cliRun("", args...)
		second := cliRun("", args...)
		if first.code != 0 || first.stdout == "" {
			t.Fatalf("case %d %q: exit status %d: %s", i, args, first.code, first.stderr)
		}
		if first.stdout != second.stdout || first.stderr != second.stderr {
			t.Errorf("case %d %q: two in-process runs differ: %s", i, args, goldenDiff([]byte(first.stdout), []byte(second.stdout)))
		}
		for _, procs := range []string{"1", "4"} {
			out, stderr, code := cliSubprocess(t, exe, procs, "", args...)
			if code != 0 || out != first.stdout || stderr != first.stderr {
				t.Errorf("case %d %q with GOMAXPROCS=%s: exit status %d (stderr %q), output differs from in-process: %s",
					i, args, procs, code, stderr, goldenDiff([]byte(first.stdout), []byte(out)))
			}
		}
	}
	// The binary's exit status and standard streams on bad input.
	out, stderr, code := cliSubprocess(t, exe, "4", "alloclab-trace 1\na 1 B 1 5\nf 2\n", "replay", "--single", "-")
	if code != 2 || out != "" || stderr != "alloclab: <stdin>:3: f: ID 2 is not live\n" {
		t.Errorf("bad trace in a subprocess: exit status %d, stdout %q, stderr %q", code, out, stderr)
	}
}

// cliSubprocess runs main() in a new process (this test binary, see
// TestCLIHelperProcess) with GOMAXPROCS=procs.
func cliSubprocess(t *testing.T, exe, procs, stdin string, args ...string) (stdout, stderr string, code int) {
	t.Helper()
	cmd := exec.Command(exe, append([]string{"-test.run=^TestCLIHelperProcess$", "--"}, args...)...)
	cmd.Env = append(os.Environ(), "ALLOCLAB_CLI_HELPER=1", "GOMAXPROCS="+procs)
	cmd.Stdin = strings.NewReader(stdin)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	err := cmd.Run()
	if err != nil {
		if _, ok := err.(*exec.ExitError); !ok {
			t.Fatalf("running %s: %v", exe, err)
		}
	}
	return out.String(), errb.String(), cmd.ProcessState.ExitCode()
}

// TestCLIHelperProcess is not a test: re-executed by cliSubprocess with
// ALLOCLAB_CLI_HELPER=1, it runs the command's main with the arguments
// after "--" and exits with its status.
func TestCLIHelperProcess(t *testing.T) {
	if os.Getenv("ALLOCLAB_CLI_HELPER") != "1" {
		t.Skip("helper process for TestCLIDeterminism")
	}
	os.Args = append([]string{"alloclab"}, flag.Args()...)
	main()
	os.Exit(0) // main always exits; just in case
}

// TestCLIMutatedTraces feeds a few hundred random mutations of valid traces
// to the command line: it must never panic, and exit 0 (with output) or 2
// (with nothing on stdout and a message on stderr).
func TestCLIMutatedTraces(t *testing.T) {
	seeds := []string{cliGoodTrace}
	for _, name := range []string{"mixed", "realloc", "sbc"} {
		b, err := os.ReadFile(filepath.Join(goldenExamplesDir, name+".trace"))
		if err != nil {
			t.Fatal(err)
		}
		seeds = append(seeds, string(b))
	}
	_, small := cliRandomTrace(t, oracle.Realloc, 300, 5)
	seeds = append(seeds, small)
	flagSets := [][]string{
		nil,
		{"--layout"},
		{"--layout", "--flags", goldenOracleFlags + " +MZas aoffcbf"},
		{"--flags", goldenOracleFlags + " +MZas gf +MZsbct 64"},
		{"--layout", "--flags", "+MZas ageffcaobf +MMmcs 10"},
		{"--lenient", "--layout"},
		{"--check", "--flags", "+MZas bf"},
		{"--layout", "--flags", "+MMscs 5 +MMsco true +Musac false +MZas aoff"},
	}
	rng := rand.New(rand.NewPCG(2026, 1))
	mut := filepath.Join(t.TempDir(), "mut.trace")
	const n = 400
	counts := map[int]int{}
	for i := 0; i < n; i++ {
		trace := seeds[rng.IntN(len(seeds))]
		for k := 1 + rng.IntN(3); k > 0; k-- {
			trace = cliMutate(rng, trace)
		}
		fl := flagSets[rng.IntN(len(flagSets))]
		args := append([]string{"replay", "--single"}, fl...)
		var r cliResult
		if i%2 == 0 {
			r = cliRun(trace, append(args, "-")...)
		} else {
			if err := os.WriteFile(mut, []byte(trace), 0o644); err != nil {
				t.Fatal(err)
			}
			r = cliRun("", append(args, mut)...)
		}
		counts[r.code]++
		ok := r.panicked == nil &&
			((r.code == 0 && r.stdout != "") ||
				(r.code == 2 && r.stdout == "" && strings.HasPrefix(r.stderr, "alloclab: ")))
		if !ok {
			t.Errorf("mutation %d, %q: exit status %d, panic %v, stdout %d bytes, stderr %q\n%s\ntrace:\n%q",
				i, args, r.code, r.panicked, len(r.stdout), r.stderr, r.stack, trace)
		}
	}
	t.Logf("%d mutated traces: exit status counts %v", n, counts)
	if counts[0] == 0 || counts[2] == 0 {
		t.Errorf("mutations too weak or too strong: exit status counts %v", counts)
	}
}

// cliMutate applies one random mutation to a trace.
func cliMutate(rng *rand.Rand, s string) string {
	const alphabet = "0123456789 \t\n\r#@afrtxB-+e"
	extremes := []string{"0", "1", "18446744073709551615", "18446744073709551616", "281474976710655",
		"281474976710656", "4294967296", "99999999999999999999999", "", "-1"}
	b := []byte(s)
	lines := strings.SplitAfter(s, "\n")
	pick := func() byte {
		if rng.IntN(4) == 0 {
			return byte(rng.IntN(256))
		}
		return alphabet[rng.IntN(len(alphabet))]
	}
	switch rng.IntN(8) {
	case 0: // replace a byte
		if len(b) > 0 {
			b[rng.IntN(len(b))] = pick()
		}
		return string(b)
	case 1: // delete a byte
		if len(b) > 0 {
			i := rng.IntN(len(b))
			b = append(b[:i], b[i+1:]...)
		}
		return string(b)
	case 2: // insert a byte
		i := rng.IntN(len(b) + 1)
		return string(b[:i]) + string([]byte{pick()}) + string(b[i:])
	case 3: // duplicate a line
		i := rng.IntN(len(lines))
		lines = append(lines[:i+1], lines[i:]...)
	case 4: // delete a line
		i := rng.IntN(len(lines))
		lines = append(lines[:i], lines[i+1:]...)
	case 5: // swap two lines
		i, j := rng.IntN(len(lines)), rng.IntN(len(lines))
		lines[i], lines[j] = lines[j], lines[i]
	case 6: // a field becomes an extreme number
		i := rng.IntN(len(lines))
		f := strings.Fields(lines[i])
		if len(f) > 1 {
			f[1+rng.IntN(len(f)-1)] = extremes[rng.IntN(len(extremes))]
			lines[i] = strings.Join(f, " ") + "\n"
		}
	case 7: // truncate
		return string(b[:rng.IntN(len(b)+1)])
	}
	return strings.Join(lines, "")
}
