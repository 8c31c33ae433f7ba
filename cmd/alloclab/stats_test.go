package main

import (
	"encoding/json"
	"os/exec"
	"regexp"
	"strings"
	"testing"

	"alloclab/reports"
)

// statsOut runs replay --stats on the node example route.trace.
func statsOut(t *testing.T, format string, extra ...string) string {
	t.Helper()
	args := append([]string{"replay", "--stats", "--format", format}, extra...)
	args = append(args, "testdata/node/route.trace")
	code, out, stderr := goldenRun(args...)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	return string(out)
}

func TestStatsErlangParses(t *testing.T) {
	out := statsOut(t, "erlang")
	terms, err := reports.ReadTerms("stats", []byte(out))
	if err != nil {
		t.Fatalf("--stats --format erlang does not parse: %v", err)
	}
	if len(terms) != 12 { // temp sl std ll eheap ets fix literal binary driver (test_alloc is disabled), mseg_alloc, erlang:memory()
		t.Errorf("%d terms, want 12", len(terms))
	}
	// binary_alloc: instance 1 holds route.trace's 20 binaries of 1048
	// bytes, as the real node does (route.delta).
	if !strings.Contains(out, "{binary_alloc,[{count,20,20,20},{size,20960,20960,20960}]}") {
		t.Errorf("binary_alloc instance 1 blocks not found in:\n%s", out)
	}
}

func TestStatsJSON(t *testing.T) {
	out := statsOut(t, "json")
	var v map[string][]struct {
		Instance int
		Options  map[string]any
		MBCS     struct {
			Blocks   map[string]struct{ Count, Size [3]uint64 }
			Carriers [3]uint64
		} `json:"mbcs"`
		Calls map[string]uint64
	}
	if err := json.Unmarshal([]byte(out), &v); err != nil {
		t.Fatalf("--format json: %v\n%s", err, out)
	}
	b := v["binary_alloc"]
	if len(b) != 3 || b[1].MBCS.Blocks["binary_alloc"].Count != [3]uint64{20, 20, 20} || b[1].Calls["binary_alloc"] != 20 ||
		b[1].Options["as"] != "aoffcbf" || b[1].Options["atags"] != true {
		t.Errorf("binary_alloc: %+v", b)
	}
}

// TestStatsShapeMatchesErlang: the terms --stats prints have exactly the
// keys, in exactly the order, of what a real node's
// erlang:system_info({allocator, A}) returns (numbers aside).
func TestStatsShapeMatchesErlang(t *testing.T) {
	if _, err := exec.LookPath("erl"); err != nil {
		t.Skipf("erl not found: %v", err)
	}
	for _, a := range []string{"binary_alloc", "eheap_alloc", "temp_alloc", "ets_alloc"} {
		real, err := exec.Command("erl", "-noshell", "+S", "2", "-eval",
			`io:format("~p.~n",[erlang:system_info({allocator,`+a+`})]), halt().`).Output()
		if err != nil {
			t.Fatal(err)
		}
		out := statsOut(t, "erlang", "--flags", "+MMmcs 10")
		i := strings.Index(out, "%% erlang:system_info({allocator, "+a+"})\n")
		if i < 0 {
			t.Fatalf("%s missing", a)
		}
		ours := out[i:]
		ours = ours[strings.Index(ours, "\n")+1:]
		ours = ours[:strings.Index(ours, ".\n")+2]
		if got, want := shape(t, ours), shape(t, string(real)); got != want {
			t.Errorf("%s: shape differs from the real node's:\nalloclab %s\nerl      %s", a, got, want)
		}
	}
}

var (
	numbers    = regexp.MustCompile(`[0-9]+`)
	blockLists = regexp.MustCompile(`\{blocks,\[(\{[a-z_]+,\[\{count,N(,N,N)?\},\{size,N(,N,N)?\}\]\},?)*\]\}`)
)

// shape is a term with every integer replaced by N, and the block-type
// lists (which a real node fills with whatever its boot allocated)
// reduced to their keys.
func shape(t *testing.T, s string) string {
	terms, err := reports.ReadTerms("t", []byte(s))
	if err != nil || len(terms) != 1 {
		t.Fatalf("parse: %v", err)
	}
	w := reports.WriteTerm(terms[0])
	w = numbers.ReplaceAllString(w, "N")
	// {blocks,[]} (no block ever) vs {blocks,[{T,[{count,...},{size,...}]}]}
	w = blockLists.ReplaceAllString(w, "{blocks,_}")
	return w
}

func TestStatsEvery(t *testing.T) {
	out := statsOut(t, "json", "--stats-every", "30")
	var reps []struct {
		Records    int
		Line       int
		Allocators map[string][]struct {
			MBCS struct {
				Blocks map[string]struct{ Count [3]uint64 }
			} `json:"mbcs"`
		}
	}
	if err := json.Unmarshal([]byte(out), &reps); err != nil {
		t.Fatalf("--stats-every --format json: %v\n%s", err, out)
	}
	// route.trace: 75 records; reports after 30, 60 and at the end.
	if len(reps) != 3 || reps[0].Records != 30 || reps[1].Records != 60 || reps[2].Records != 75 || reps[2].Line != 0 {
		t.Fatalf("reports %+v", reps)
	}
	// binary_alloc instance 0 gets its 10 blocks first (records 1-10):
	// 10 after 30 records and still 10 at the end, each report a new max
	// period.
	for i, r := range reps {
		if c := r.Allocators["binary_alloc"][0].MBCS.Blocks["binary_alloc"].Count; c != [3]uint64{10, 10, 10} {
			t.Errorf("report %d: binary_alloc 0 count %v", i, c)
		}
	}
	if code, _, _ := goldenRun("replay", "--stats-every", "-1", "testdata/node/route.trace"); code != 2 {
		t.Errorf("--stats-every -1: exit %d, want 2", code)
	}
}

func TestReconAndInstrumentFlags(t *testing.T) {
	// --recon and --instrument print recon's analyses and instrument's
	// results of the final state; their content is tested in reports and
	// recon_test.go, here that the flags reach them and parse.
	code, out, stderr := goldenRun("replay", "--recon", "--format", "erlang", "testdata/node/route.trace")
	if code != 0 {
		t.Fatalf("--recon: exit %d: %s", code, stderr)
	}
	if _, err := reports.ReadTerms("recon", out); err != nil || !strings.Contains(string(out), "%% recon_alloc:fragmentation(current)") {
		t.Errorf("--recon --format erlang: %v\n%s", err, out)
	}
	code, out, stderr = goldenRun("replay", "--instrument", "testdata/node/route.trace")
	if code != 0 {
		t.Fatalf("--instrument: exit %d: %s", code, stderr)
	}
	// route.trace: 60 binaries of 1048-byte blocks (slot 3 of
	// instrument:allocations' [896,1920)) and 15 driver blocks of 520.
	if !strings.Contains(string(out), "binary_alloc => {0,0,0,60,") || !strings.Contains(string(out), "driver_alloc => {0,0,15,") {
		t.Errorf("--instrument allocations:\n%s", out)
	}
}
