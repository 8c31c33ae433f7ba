package main

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func runLeakCLI(t *testing.T, args ...string) (string, string, int) {
	t.Helper()
	var out, errb bytes.Buffer
	code := run(append([]string{"leak"}, args...), strings.NewReader(""), &out, &errb)
	return out.String(), errb.String(), code
}

func TestLeakText(t *testing.T) {
	out, errs, code := runLeakCLI(t, "sessions")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errs)
	}
	for _, want := range []string{
		"scenario sessions (facts §5.1), fixes: none, seed 1",
		"erlang:memory(binary) = 130,260,000 bytes (124.2 MiB)",
		"recon:proc_count(binary_memory, 3).\n[{<0.580.0>,260000,",
		"recon:bin_leak(3).\n[{<0.580.0>,-13,\n  [{current_function,{leak_lab,session,2}},\n   {initial_call,{leak_lab,session,2}}]},",
		"13 dead references to 260,520 bytes; its GC alone frees 260,520 bytes",
		"1 s after bin_leak: erlang:memory(binary) = 0 bytes",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
	// Deterministic from the seed.
	again, _, _ := runLeakCLI(t, "sessions")
	if again != out {
		t.Error("two runs with the same seed differ")
	}
}

func TestLeakFix(t *testing.T) {
	out, errs, code := runLeakCLI(t, "router", "--fix", "handback")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errs)
	}
	if n := strings.Count(out, "scenario router"); n != 2 {
		t.Errorf("want the unfixed and the fixed run, got %d runs", n)
	}
	if !strings.Contains(out, "--fix handback: erlang:memory(binary) after the traffic 351,400 → ") {
		t.Errorf("no comparison line:\n%s", out)
	}
	if !strings.Contains(out, "{<0.80.0>,0,\n  [router,") {
		t.Errorf("the fixed router should free nothing in bin_leak:\n%s", out)
	}
}

func TestLeakFormats(t *testing.T) {
	out, errs, code := runLeakCLI(t, "slices", "--format", "json")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errs)
	}
	var v struct {
		Scenario string
		After    struct{ Binary uint64 } `json:"memory_after"`
		Measured map[string]uint64
	}
	if err := json.Unmarshal([]byte(out), &v); err != nil {
		t.Fatalf("json: %v\n%s", err, out)
	}
	if v.Scenario != "slices" || v.After.Binary != 50002000 || v.Measured["referenced_byte_size"] != 1000000 {
		t.Errorf("json %+v", v)
	}
	out, _, code = runLeakCLI(t, "slices", "--format", "erlang", "--set", "store=state", "--set", "count=20")
	if code != 0 || !strings.HasPrefix(out, "[{scenario,slices},\n {params,[{schedulers,2},{flags,\"\"},{hmbs,0},{count,20},{size,1000000},{slice,100},{store,state}]},") || !strings.HasSuffix(out, "].\n") {
		t.Errorf("erlang output:\n%s", out)
	}
	if !strings.Contains(out, "{'holder_binary_memory',20000000}") {
		t.Errorf("erlang output lacks the keeper's binary_memory:\n%s", out)
	}
}

func TestLeakErrors(t *testing.T) {
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"nope"}, `unknown scenario "nope"`},
		{[]string{"router", "--fix", "copy"}, `unknown fix "copy" (fixes: handback, hibernate, gc, hmbs)`},
		{[]string{"router", "--set", "n"}, `--set "n": want KEY=VALUE`},
		{[]string{"router", "--set", "x=1"}, `unknown parameter "x"`},
		{[]string{"router", "--set", "n=-1"}, `parameter n=-1 out of range`},
		{[]string{"router", "--set", "n=1e3"}, `parameter n="1e3" is not an integer`},
		{[]string{"slices", "--set", "slice=2000000"}, `slice=2000000 is larger than size=1000000`},
		{[]string{"slices", "--set", "store=disk"}, `store="disk": must be one of ets, state`},
		{[]string{"sessions", "--set", "flags=+MBas nonsense"}, "unknown strategy"},
		{[]string{"sessions", "--set", "schedulers=0"}, "out of range"},
		{[]string{"sessions", "--set", "n=100000", "--set", "m=1000"}, "over 10,000,000 messages"},
		{[]string{"sessions", "--format", "xml"}, `--format "xml"`},
		{[]string{"sessions", "--top", "0"}, "--top 0"},
		{[]string{}, "accepts 1 arg"},
	} {
		out, errs, code := runLeakCLI(t, c.args...)
		if code != 2 || out != "" || !strings.Contains(errs, c.want) {
			t.Errorf("%v: exit %d, stdout %q, stderr %q; want exit 2 and %q", c.args, code, out, errs, c.want)
		}
	}
}

func TestLeakList(t *testing.T) {
	out, _, code := runLeakCLI(t, "--list")
	if code != 0 {
		t.Fatalf("exit %d", code)
	}
	for _, s := range []string{"sessions (facts §5.1)", "router (facts §5.2)", "slices (facts §5.3)", "logfile (facts §5.4)", "backlog (facts §5.5)", "notreturned (facts §5.6)", "--fix hibernate", "--set spawn_words=17"} {
		if !strings.Contains(out, s) {
			t.Errorf("--list lacks %q", s)
		}
	}
}

// --plot draws both runs: erlang:memory(binary) solid and binary_alloc's
// carriers dashed, one colour per run, the byte axis in MiB for the
// sessions scenario (124 MiB retained), as PNG and SVG.
func TestLeakPlot(t *testing.T) {
	dir := t.TempDir()
	_, errs, code := runLeakCLI(t, "sessions", "--fix", "hibernate", "--plot", dir)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errs)
	}
	svg, err := os.ReadFile(filepath.Join(dir, "leak-memory.svg"))
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"binary, no fix", "binary_alloc carriers, no fix", "binary, --fix hibernate",
		"binary_alloc carriers, --fix hibernate", "bytes (MiB)", "time (ms)", "leak sessions"} {
		if !strings.Contains(string(svg), want) {
			t.Errorf("SVG lacks %q", want)
		}
	}
	if strings.Count(string(svg), "<path") < 4 {
		t.Errorf("SVG has %d paths, want at least the four lines", strings.Count(string(svg), "<path"))
	}
	png, err := os.ReadFile(filepath.Join(dir, "leak-memory.png"))
	if err != nil || !bytes.HasPrefix(png, []byte("\x89PNG")) {
		t.Fatalf("PNG: %v, %d bytes", err, len(png))
	}
	// A --plot directory that cannot be made is a usage error, exit 2.
	blocker := filepath.Join(dir, "file")
	os.WriteFile(blocker, nil, 0o644)
	if _, _, code := runLeakCLI(t, "slices", "--plot", filepath.Join(blocker, "sub")); code != 2 {
		t.Errorf("unmakeable --plot dir: exit %d, want 2", code)
	}
}
