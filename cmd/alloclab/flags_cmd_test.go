package main

// Tests of `alloclab flags`: the options of every allocator instance,
// compared byte for byte with what a real OTP 25 node reports.
//
//   - TestFlagsGolden: every case of testdata/flags/cases.txt against
//     testdata/flags/NAME.erl, recorded from erl 25.2.3 by
//     scripts/record-flags-golden.sh (no erl needed).
//   - TestFlagsLive: the same cases re-recorded from the installed erl now
//     (skipped without erl; only the flagless cases with -short; with
//     -update it rewrites the goldens).
//   - TestFlagsLiveRandom: random flag sets on a real node: both start with
//     identical options or both refuse (skipped without erl or with -short).
//   - format, selection, vm.args and error tests.

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"
)

const flagsTestdata = "testdata/flags"

// flagsCase is one line of testdata/flags/cases.txt.
type flagsCase struct {
	name  string
	n     int
	flags []string
}

func (c flagsCase) args(format string) []string {
	a := []string{"flags", "--schedulers", strconv.Itoa(c.n), "--format", format}
	if len(c.flags) > 0 {
		a = append(a, "--flags", strings.Join(c.flags, " "))
	}
	return a
}

func flagsCases(t *testing.T) []flagsCase {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(flagsTestdata, "cases.txt"))
	if err != nil {
		t.Fatal(err)
	}
	var cs []flagsCase
	for i, line := range strings.Split(string(data), "\n") {
		f := strings.Fields(line)
		if len(f) == 0 || strings.HasPrefix(f[0], "#") {
			continue
		}
		if len(f) < 2 {
			t.Fatalf("cases.txt:%d: want NAME N [FLAG...], got %q", i+1, line)
		}
		n, err := strconv.Atoi(f[1])
		if err != nil {
			t.Fatalf("cases.txt:%d: bad N: %q", i+1, line)
		}
		cs = append(cs, flagsCase{name: f[0], n: n, flags: f[2:]})
	}
	return cs
}

// flagsRecord runs scripts/record-flags-golden.sh N FLAG... (a real node).
func flagsRecord(t *testing.T, n int, flags []string) ([]byte, error) {
	t.Helper()
	script := filepath.Join(goldenModuleRoot(t), "scripts", "record-flags-golden.sh")
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, "bash", append([]string{script, strconv.Itoa(n)}, flags...)...)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err == nil && !bytes.HasPrefix(out, []byte("{temp_alloc,")) {
		err = fmt.Errorf("no option lists")
	}
	if err != nil {
		return nil, fmt.Errorf("erl +S %d %s: %v: %s%s", n, strings.Join(flags, " "), err, stderr.String(), out)
	}
	return out, nil
}

func flagsNeedErl(t *testing.T) {
	t.Helper()
	if _, err := exec.LookPath("erl"); err != nil {
		t.Skip("erl (OTP 25) is not on PATH: cannot compare with a live node (install erlang-base; the recorded goldens are still checked by TestFlagsGolden)")
	}
	if _, err := exec.LookPath("bash"); err != nil {
		t.Skip("bash is not on PATH: cannot run scripts/record-flags-golden.sh")
	}
}

// TestFlagsGolden: alloclab flags --format erlang equals the option lists a
// real OTP 25.2.3 node reported, for every recorded case.
func TestFlagsGolden(t *testing.T) {
	cases := flagsCases(t)
	if len(cases) < 60 {
		t.Fatalf("only %d cases in cases.txt", len(cases))
	}
	names := map[string]bool{}
	for _, c := range cases {
		if names[c.name] {
			t.Fatalf("case %s twice", c.name)
		}
		names[c.name] = true
		t.Run(c.name, func(t *testing.T) {
			path := filepath.Join(flagsTestdata, c.name+".erl")
			want, err := os.ReadFile(path)
			if err != nil {
				t.Fatalf("%v (record it with scripts/record-flags-golden.sh --all)", err)
			}
			code, got, stderr := goldenRun(c.args("erlang")...)
			if code != 0 {
				t.Fatalf("exit %d: %s", code, stderr)
			}
			goldenCompare(t, path, want, got)
		})
	}
	files, _ := filepath.Glob(filepath.Join(flagsTestdata, "*.erl"))
	for _, f := range files {
		if n := strings.TrimSuffix(filepath.Base(f), ".erl"); !names[n] {
			t.Errorf("%s has no case in cases.txt", f)
		}
	}
}

// TestFlagsLive re-records every case from the installed erl and compares
// alloclab with it, and the recording with the committed golden (a
// difference there means the installed runtime is not the one the goldens
// come from). With -update the goldens are rewritten.
func TestFlagsLive(t *testing.T) {
	flagsNeedErl(t)
	for _, c := range flagsCases(t) {
		if testing.Short() && len(c.flags) > 0 && !*update {
			continue // -short: the default configurations only
		}
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			live, err := flagsRecord(t, c.n, c.flags)
			if err != nil {
				t.Fatal(err)
			}
			path := filepath.Join(flagsTestdata, c.name+".erl")
			if *update {
				if err := os.WriteFile(path, live, 0o644); err != nil {
					t.Fatal(err)
				}
			} else if want, err := os.ReadFile(path); err != nil || !bytes.Equal(want, live) {
				t.Errorf("the installed erl reports other options than %s (recorded from OTP 25.2.3): %s", path, goldenDiff(want, live))
			}
			code, got, stderr := goldenRun(c.args("erlang")...)
			if code != 0 {
				t.Fatalf("exit %d: %s", code, stderr)
			}
			if !bytes.Equal(live, got) {
				t.Errorf("alloclab flags differs from the live node: %s", goldenDiff(live, got))
			}
		})
	}
}

// flagsRandomSet draws a random +M flag set: per-allocator parameters
// (including ones the runtime refuses for temp_alloc and literal_alloc),
// +Mu, presets, +Mdai, the mappers and +Musac. +Muycs is left out: ycs 0 (or
// 2^54 KiB, which wraps to 0) lets the node crash during boot when it needs
// a sys_alloc carrier, which depends on boot's allocations, not on the
// configuration.
func flagsRandomSet(r *rand.Rand) []string {
	vals := map[string][]string{
		"as":   {"bf", "aobf", "aoff", "aoffcbf", "aoffcaobf", "ageffcaoff", "ageffcbf", "ageffcaobf", "gf", "af"},
		"acul": {"0", "30", "60", "100", "de"}, "acful": {"0", "20", "80", "de"}, "acnl": {"0", "5"}, "acfml": {"0", "100"},
		"cp": {"B", "@", ":", "S"}, "e": {"true", "false"}, "t": {"true", "false"},
		"atags": {"true", "false"}, "ramv": {"true", "false"},
		"sbct": {"0", "1", "100", "18014398509481984"}, "asbcst": {"0", "18014398509481983", "18014398509481984"},
		"rsbcst": {"0", "150"}, "rsbcmt": {"101"}, "rmbcmt": {"77"},
		"mmbcs": {"0", "1", "16", "17", "100", "1000"}, "lmbcs": {"1", "300", "5120"}, "smbcs": {"1", "400", "2048"},
		"mbcgs": {"0", "1", "5"}, "mbsd": {"0", "4"}, "mmmbc": {"0", "5"}, "mmsbc": {"0", "9"},
	}
	params := make([]string, 0, len(vals))
	for p := range vals {
		params = append(params, p)
	}
	slices.Sort(params)
	pick := func(s []string) string { return s[r.IntN(len(s))] }
	var out []string
	for range 1 + r.IntN(8) {
		p := pick(params)
		out = append(out, "+M"+pick([]string{"B", "D", "E", "F", "H", "L", "R", "S", "T", "I", "Z", "u"})+p, pick(vals[p]))
	}
	switch x := r.IntN(20); {
	case x < 2:
		out = append(append([]string{"+Mea", pick([]string{"r9c", "r10b", "r11b"})}, out...), "+MFe", "false")
	case x < 5:
		at := 2 * r.IntN(len(out)/2+1)
		out = slices.Insert(out, at, "+Mea", pick([]string{"min", "max", "config"}))
	}
	if r.IntN(6) == 0 {
		out = append(out, "+Mdai", pick([]string{"1", "3", "max"}))
	}
	// The mappers and carrier sources: +Musac false never goes with a
	// super carrier, where the node may run out of it while booting, after
	// the main carriers were created (verified: +S 8 +MMscs 13 +Musac false
	// dies allocating the process table), which no configuration check can
	// tell.
	switch r.IntN(10) {
	case 0:
		out = append(out, "+MMscs", pick([]string{"0", "4", "5", "64"}), "+MMscrfsd", pick([]string{"50", "65536"}))
	case 1:
		out = append(out, "+MMmcs", "99", "+MMamcbf", "7", "+Mummc", "3", "+Musac", "false", "+MYtt", pick([]string{"0", "4294967396"}))
	}
	if r.IntN(10) == 0 {
		out = append(out, "+MIscs", pick([]string{"0", "1", "2", "100"}))
	}
	return out
}

// TestFlagsLiveRandom: random flag sets on a live node. Either the node
// starts and alloclab prints exactly its option lists, or the node refuses
// to start (or crashes) and alloclab refuses the flags with exit status 2.
func TestFlagsLiveRandom(t *testing.T) {
	flagsNeedErl(t)
	if testing.Short() {
		t.Skip("-short: random live comparisons skipped")
	}
	r := rand.New(rand.NewPCG(25, 2))
	for i := range 40 {
		flags := flagsRandomSet(r)
		n := []int{1, 2, 3, 4, 8}[r.IntN(5)]
		t.Run(fmt.Sprintf("%d", i), func(t *testing.T) {
			t.Parallel()
			live, lerr := flagsRecord(t, n, flags)
			c := flagsCase{n: n, flags: flags}
			code, got, stderr := goldenRun(c.args("erlang")...)
			switch {
			case lerr != nil && code == 2:
			case lerr != nil:
				t.Errorf("+S %d %s: the node refused (%v) but alloclab exited %d", n, strings.Join(flags, " "), lerr, code)
			case code != 0:
				t.Errorf("+S %d %s: the node started but alloclab exited %d: %s", n, strings.Join(flags, " "), code, stderr)
			case !bytes.Equal(live, got):
				t.Errorf("+S %d %s: alloclab differs from the live node: %s", n, strings.Join(flags, " "), goldenDiff(live, got))
			}
		})
	}
}

// flagsSectionText returns the term of section name in erlang output, or "".
func flagsSectionText(out, name string) string {
	i := strings.Index(out, "{"+name+",")
	if i < 0 {
		return ""
	}
	j := strings.Index(out[i:], "}.\n")
	return out[i : i+j+3]
}

func flagsOK(t *testing.T, args ...string) string {
	t.Helper()
	r := cliRun("", args...)
	r.mustNotPanic(t, args...)
	if r.code != 0 || r.stderr != "" {
		t.Fatalf("alloclab %q: exit %d: %s", args, r.code, r.stderr)
	}
	return r.stdout
}

// TestFlagsJSON: the json format has the erlang format's structure and
// order, atoms as strings, cp undefined as null, exact integers.
func TestFlagsJSON(t *testing.T) {
	out := flagsOK(t, "flags", "--schedulers", "2", "--flags", "+MZe true +MBe false", "--format", "json")
	erl := flagsOK(t, "flags", "--schedulers", "2", "--flags", "+MZe true +MBe false")
	if !json.Valid([]byte(out)) {
		t.Fatalf("not JSON:\n%s", out)
	}
	// Walk the tokens, collecting top-level keys and the keys of
	// test_alloc's instance 1.
	dec := json.NewDecoder(strings.NewReader(out))
	dec.UseNumber()
	var top, inst []string
	var path []string
	var expectKey []bool
	vals := map[string]any{}
	for {
		tok, err := dec.Token()
		if err != nil {
			break
		}
		if d, ok := tok.(json.Delim); ok {
			switch d {
			case '{':
				expectKey = append(expectKey, true)
			case '}':
				expectKey = expectKey[:len(expectKey)-1]
				if len(path) > 0 {
					path = path[:len(path)-1]
				}
				if len(expectKey) > 0 {
					expectKey[len(expectKey)-1] = true
				}
			}
			continue
		}
		if expectKey[len(expectKey)-1] {
			k := tok.(string)
			path = append(path, k)
			switch len(path) {
			case 1:
				top = append(top, k)
			case 3:
				if path[0] == "test_alloc" && path[1] == "1" {
					inst = append(inst, k)
				}
			}
			expectKey[len(expectKey)-1] = false
			continue
		}
		vals[strings.Join(path, ".")] = tok
		path = path[:len(path)-1]
		expectKey[len(expectKey)-1] = true
	}
	wantTop := []string{"temp_alloc", "sl_alloc", "std_alloc", "ll_alloc", "eheap_alloc", "ets_alloc", "fix_alloc",
		"literal_alloc", "binary_alloc", "driver_alloc", "test_alloc", "mseg_alloc", "alloc_util", "sys_alloc"}
	if !slices.Equal(top, wantTop) {
		t.Errorf("sections %q, want %q", top, wantTop)
	}
	var wantInst []string
	for _, m := range regexp.MustCompile(`\{(\w+),`).FindAllStringSubmatch(strings.Split(flagsSectionText(erl, "test_alloc"), "\n")[2], -1)[2:] {
		wantInst = append(wantInst, m[1])
	}
	if !slices.Equal(inst, wantInst) {
		t.Errorf("test_alloc instance 1 keys %q, want the erlang order %q", inst, wantInst)
	}
	for k, want := range map[string]any{
		"binary_alloc":          false,
		"test_alloc.0.cp":       nil,
		"test_alloc.1.cp":       "Z",
		"test_alloc.1.as":       "aoffcbf",
		"test_alloc.1.mmmbc":    json.Number("18446744073709551615"),
		"test_alloc.1.t":        true,
		"alloc_util.0.mmc":      json.Number("18446744073709551615"),
		"sys_alloc.0.m":         "libc",
		"mseg_alloc.2.amcbf":    json.Number("4194304"),
		"temp_alloc.0.mbsd":     json.Number("3"),
		"literal_alloc.0.acful": json.Number("0"),
	} {
		if got, ok := vals[k]; !ok || got != want {
			t.Errorf("%s = %#v, want %#v", k, got, want)
		}
	}
}

// TestFlagsText: the text tables group equal instances and align columns.
func TestFlagsText(t *testing.T) {
	out := flagsOK(t, "flags", "--schedulers", "4", "--flags", "+MBe false +Mdai 1", "--format", "text")
	lines := strings.Split(strings.TrimSuffix(out, "\n"), "\n")
	head := strings.Fields(lines[0])
	if head[0] != "allocator" || head[1] != "instances" || head[2] != "e" || head[len(head)-1] != "as" || !slices.Contains(head, "mbsd") {
		t.Errorf("header %q", head)
	}
	rows := map[string][]string{}
	for _, l := range lines {
		f := strings.Fields(l)
		if len(f) > 1 {
			rows[f[0]+" "+f[1]] = f
		}
	}
	for _, k := range []string{"temp_alloc 0", "temp_alloc 1-4", "temp_alloc 5", "sl_alloc 1-4", "sl_alloc 5",
		"literal_alloc 0", "binary_alloc -", "test_alloc -", "mseg_alloc 0-5", "alloc_util 0", "sys_alloc 0"} {
		if rows[k] == nil {
			t.Errorf("no row %q in\n%s", k, out)
		}
	}
	if r := rows["binary_alloc -"]; r != nil && r[2] != "false" {
		t.Errorf("disabled row %q", r)
	}
	if r := rows["ll_alloc 0"]; r == nil || r[slices.Index(head, "sbct")] != "inf" {
		t.Errorf("ll_alloc sbct not inf: %q", r)
	}
	// Columns line up: every row of the first table has a cell starting at
	// each header column.
	col := strings.Index(lines[0], " as")
	for _, l := range lines[1:] {
		if l == "" {
			break
		}
		if len(l) <= col+1 || l[col] != ' ' || l[col+1] == ' ' {
			t.Errorf("row not aligned with the as column: %q", l)
		}
	}
}

// TestFlagsSelect: ALLOCATOR arguments pick sections, by name or letter,
// in the runtime's order.
func TestFlagsSelect(t *testing.T) {
	out := flagsOK(t, "flags", "--schedulers", "1", "sys_alloc", "B", "mseg_alloc", "binary_alloc")
	var got []string
	for _, l := range strings.Split(out, "\n") {
		if strings.HasPrefix(l, "{") {
			got = append(got, l[1:strings.IndexByte(l, ',')])
		}
	}
	if want := []string{"binary_alloc", "mseg_alloc", "sys_alloc"}; !slices.Equal(got, want) {
		t.Errorf("sections %q, want %q", got, want)
	}
	if s := flagsSectionText(out, "binary_alloc"); strings.Count(s, "{instance,") != 2 {
		t.Errorf("binary_alloc at +S 1:\n%s", s)
	}
}

// TestFlagsVMArgs: +M flags, +S and +SDcpu come from a vm.args file;
// the options win.
func TestFlagsVMArgs(t *testing.T) {
	va := cliWrite(t, "vm.args", "-name x@y\n+S 4:4 # schedulers\n+MBas aobf +MBacul 0\n+SDcpu 1 +Mdai max\n")
	count := func(out, name string) int { return strings.Count(flagsSectionText(out, name), "{instance,") }
	out := flagsOK(t, "flags", "--vm-args", va, "binary_alloc", "mseg_alloc")
	if count(out, "binary_alloc") != 6 || count(out, "mseg_alloc") != 6 || !strings.Contains(out, "{as,aobf}") {
		t.Errorf("+S 4 +SDcpu 1 +Mdai max from vm.args:\n%s", out)
	}
	out = flagsOK(t, "flags", "--vm-args", va, "--schedulers", "2", "--dirty-cpu-schedulers", "2", "--flags", "+MBas bf", "binary_alloc")
	if count(out, "binary_alloc") != 5 || !strings.Contains(out, "{as,bf}") || strings.Contains(out, "aobf") {
		t.Errorf("options over vm.args:\n%s", out)
	}
	glued := cliWrite(t, "glued.args", "+S3 +SDcpu2\n")
	if out := flagsOK(t, "flags", "--vm-args", glued, "--flags", "+Mdai max", "sl_alloc"); count(out, "sl_alloc") != 6 {
		t.Errorf("+S3 +SDcpu2 +Mdai max: want 6 instances:\n%s", out)
	}
	// Without +S anywhere, N is the number of logical CPUs; it must be a
	// valid node.
	flagsOK(t, "flags", "alloc_util")
}

// TestFlagsErrors: bad flags and refused configurations exit 2 with
// nothing on standard output.
func TestFlagsErrors(t *testing.T) {
	bad := cliWrite(t, "bad.args", "+S 2\n\n+MBas foo\n")
	badS := cliWrite(t, "bads.args", "+S x\n")
	for _, c := range []struct {
		name   string
		args   []string
		prefix string
		words  []string
	}{
		{"bad strategy", []string{"--flags", "+MBas foo"}, "+MBas foo", []string{"unknown strategy"}},
		{"literal acul", []string{"--flags", "+MIacul 50"}, "+MIacul", []string{"literal_alloc"}},
		{"not a flag", []string{"--flags", "+S 2"}, "+S", []string{"not a +M flag"}},
		{"vm.args line", []string{"--vm-args", bad}, bad + ":3: ", []string{"+MBas"}},
		{"vm.args +S", []string{"--vm-args", badS}, bad[:0], []string{"+S", "x"}},
		{"schedulers 0", []string{"--schedulers", "0"}, "flags: ", []string{"schedulers 0"}},
		{"schedulers 1025", []string{"--schedulers", "1025"}, "flags: ", []string{"1025"}},
		{"dirty 0", []string{"--schedulers", "2", "--dirty-cpu-schedulers", "0"}, "flags: ", []string{"dirty"}},
		{"format", []string{"--format", "yaml"}, "flags: ", []string{"yaml"}},
		{"allocator", []string{"--schedulers", "2", "foo_alloc"}, "flags: ", []string{"foo_alloc", "binary_alloc"}},
		{"super carrier", []string{"--schedulers", "2", "--flags", "+MMscs 4"}, "+MMscs 4", []string{"no space"}},
		{"literal super carrier", []string{"--schedulers", "2", "--flags", "+MIscs 1"}, "+MIscs 1", []string{"literal_alloc"}},
		{"preset", []string{"--flags", "+Mea r11b"}, "+Mea r11b", []string{"fix_alloc"}},
		{"preset merged", []string{"--flags", "+Mea r11b +MFe false", "--flags", "+MFe true"}, "+Mea r11b", []string{"fix_alloc"}},
		{"option", []string{"--frob"}, "", []string{"--frob"}},
	} {
		t.Run(c.name, func(t *testing.T) {
			r := cliRun("", append([]string{"flags"}, c.args...)...)
			cliFail(t, r, 2, c.prefix, c.words...)
		})
	}
}

// TestFlagsErlangTerms: the erlang format is one term per section, each
// ending with a full stop, quoting the atoms that need it.
func TestFlagsErlangTerms(t *testing.T) {
	out := flagsOK(t, "flags", "--schedulers", "2", "--flags", "+MRcp @ +MBcp D")
	if n := strings.Count(out, "}.\n"); n != 14 {
		t.Errorf("%d terms, want 14", n)
	}
	for _, s := range []string{"{cp,'@'}", "{cp,'D'}", "{cp,undefined}", "{test_alloc,false}.\n", "{m,libc}"} {
		if !strings.Contains(out, s) {
			t.Errorf("no %s in the output", s)
		}
	}
	var b bytes.Buffer
	for _, a := range []string{"aoffcbf", "B", "@", "it's", "a1_@", "Ab", "_x", ""} {
		b.Reset()
		erlAtom(&b, a)
		want := map[string]string{"aoffcbf": "aoffcbf", "B": "'B'", "@": "'@'", "it's": `'it\'s'`, "a1_@": "a1_@", "Ab": "'Ab'", "_x": "'_x'", "": "''"}[a]
		if b.String() != want {
			t.Errorf("atom %q written %s, want %s", a, b.String(), want)
		}
	}
}
