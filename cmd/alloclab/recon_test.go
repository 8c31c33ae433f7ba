package main

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"alloclab/allocator"
	"alloclab/reports"
)

// reconSmallNode is `erl +S 2` with default flags holding a few
// binary_alloc blocks: 64 bytes on scheduler 0; four 1000-byte blocks on
// scheduler 1, one freed; on scheduler 2 three 200000-byte blocks, then
// 600000, 700000 (freed, its segment cached) and 650000 bytes in
// single-block carriers.
func reconSmallNode(t *testing.T) *reports.Snapshot {
	t.Helper()
	sys, err := allocator.NewNode(2, "")
	if err != nil {
		t.Fatal(err)
	}
	tag := uint64(0)
	alloc := func(sched uint32, n uint64) int32 {
		tag++
		b, err := sys.Alloc(allocator.Binary, sched, n, tag)
		if err != nil || b < 0 {
			t.Fatalf("alloc %d on %d: %d, %v", n, sched, b, err)
		}
		return b
	}
	free := func(b int32, sched uint32) {
		if err := sys.Free(b, sched); err != nil {
			t.Fatal(err)
		}
	}
	alloc(0, 64)
	var one []int32
	for range 4 {
		one = append(one, alloc(1, 1000))
	}
	free(one[1], 1)
	for range 3 {
		alloc(2, 200_000)
	}
	alloc(2, 600_000)
	free(alloc(2, 700_000), 2)
	alloc(2, 650_000)
	sys.Settle()
	return reports.SnapshotOfSystem(sys)
}

// TestReconGoldenErlang is a regression golden of alloclab's own output
// (not a real node's): writeRecon's erlang format for reconSmallNode.
// The numbers themselves are checked by arithmetic in
// reports/recon_node_test.go. Regenerate with
//
//	go test ./cmd/alloclab -run 'TestReconGolden' -update
func TestReconGoldenErlang(t *testing.T) {
	var b bytes.Buffer
	if err := writeRecon(&b, reconSmallNode(t), "erlang"); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join("testdata", "recon", "small_node.erl")
	if *update {
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, b.Bytes(), 0o644); err != nil {
			t.Fatal(err)
		}
		t.Logf("-update: wrote %s", path)
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (go test ./cmd/alloclab -run TestReconGolden -update)", err)
	}
	if b.String() != string(want) {
		t.Errorf("writeRecon erlang differs from %s (regenerate with -update if intended):\n%s", path, b.String())
	}
	// Every call once, in order, each a comment line and a term ending in ".".
	out := b.String()
	at := 0
	for _, c := range reconCalls {
		i := strings.Index(out[at:], "%% recon_alloc:"+c.name+"\n")
		if i < 0 {
			t.Fatalf("no %s after offset %d", c.name, at)
		}
		at += i + 1
	}
	if !strings.HasSuffix(out, ".\n") {
		t.Errorf("output does not end with a term")
	}
}

// TestReconFormats: json is one object with every call as a key, in order,
// whose values agree with the erlang format; text has every section and
// the same numbers.
func TestReconFormats(t *testing.T) {
	snap := reconSmallNode(t)
	var j, e, x bytes.Buffer
	for _, f := range []struct {
		name string
		b    *bytes.Buffer
	}{{"json", &j}, {"erlang", &e}, {"text", &x}} {
		if err := writeRecon(f.b, snap, f.name); err != nil {
			t.Fatalf("%s: %v", f.name, err)
		}
	}
	dec := json.NewDecoder(bytes.NewReader(j.Bytes()))
	if tok, err := dec.Token(); err != nil || tok != json.Delim('{') {
		t.Fatalf("json does not start an object: %v %v", tok, err)
	}
	var keys []string
	values := map[string]json.RawMessage{}
	for dec.More() {
		k, err := dec.Token()
		if err != nil {
			t.Fatal(err)
		}
		var v json.RawMessage
		if err := dec.Decode(&v); err != nil {
			t.Fatal(err)
		}
		keys = append(keys, k.(string))
		values[k.(string)] = v
	}
	if len(keys) != len(reconCalls) {
		t.Fatalf("json keys %v", keys)
	}
	for i, c := range reconCalls {
		if keys[i] != c.name {
			t.Errorf("json key %d = %q, want %q", i, keys[i], c.name)
		}
	}
	r := &reports.Recon{Snapshot: snap}
	used, _ := r.MemoryUsed(reports.Current)
	if got := string(values["memory(used, current)"]); got != used.String() {
		t.Errorf("json memory(used, current) = %s, want %v", got, used)
	}
	if !strings.Contains(e.String(), "%% recon_alloc:memory(used, current)\n"+used.String()+".\n") {
		t.Errorf("erlang has no memory(used, current) of %v:\n%s", used, e.String())
	}
	var frag []map[string]any
	if err := json.Unmarshal(values["fragmentation(current)"], &frag); err != nil || len(frag) == 0 {
		t.Fatalf("json fragmentation: %v", err)
	}
	if frag[0]["allocator"] != "binary_alloc" || frag[0]["instance"] != 2.0 {
		t.Errorf("json fragmentation starts with %v, want binary_alloc 2 (most unused bytes)", frag[0])
	}

	text := x.String()
	usedMax, _ := r.MemoryUsed(reports.Max)
	alloc, _ := r.MemoryAllocated(reports.Current)
	usage, _ := r.MemoryUsage(reports.Current)
	for _, row := range [][]string{
		{"used", used.String(), usedMax.String()},
		{"usage", reconPercent(usage)},
	} {
		found := false
		for _, l := range strings.Split(text, "\n") {
			if f := strings.Fields(l); len(f) >= len(row) && f[0] == row[0] {
				found = strings.Join(f[:len(row)], " ") == strings.Join(row, " ")
				break
			}
		}
		if !found {
			t.Errorf("text has no row %v:\n%s", row, text)
		}
	}
	for _, want := range []string{
		"\nallocated  " + alloc.String(),
		"\nfragmentation(current): most unused carrier bytes first\nallocator ",
		"\nfragmentation(max)", "\naverage_block_sizes(current)", "\nsbcs_to_mbcs(current)",
		"\ncache_hit_rates()", "\nmemory(allocated_types, current)", "\nmemory(allocated_instances, current)",
	} {
		if !strings.Contains(text, want) {
			t.Errorf("text has no %q:\n%s", want, text)
		}
	}
	// The first fragmentation row is binary_alloc 2, as recon sorts.
	i := strings.Index(text, "fragmentation(current)")
	rows := strings.Split(text[i:], "\n")
	if f := strings.Fields(rows[2]); len(f) < 2 || f[0] != "binary_alloc" || f[1] != "2" {
		t.Errorf("first fragmentation row %q, want binary_alloc 2", rows[2])
	}
	// Aligned: every row of a table is as wide as its header or narrower
	// only by trimmed trailing blanks; right-aligned numbers end together.
	if hdr, row := rows[1], rows[2]; len(row) != len(hdr) {
		t.Errorf("fragmentation rows not aligned:\n%s\n%s", hdr, row)
	}
}

// TestReconRaises: an empty node (no util allocator) makes memory(usage)
// divide 0 by 0 — recon raises badarith — and the other calls still answer.
func TestReconRaises(t *testing.T) {
	snap := &reports.Snapshot{}
	want := map[string]string{
		"erlang": "%% recon_alloc:memory(usage, current)\n%% raises badarith: used 0 / allocated 0\n%% recon_alloc:memory(usage, max)\n",
		"json":   "\"memory(usage, current)\": {\n    \"error\": \"badarith\",\n    \"detail\": \"used 0 / allocated 0\"\n  }",
		"text":   "usage      raises badarith  raises badarith\n",
	}
	for _, f := range []string{"erlang", "json", "text"} {
		var b bytes.Buffer
		if err := writeRecon(&b, snap, f); err != nil {
			t.Fatalf("%s: %v", f, err)
		}
		if !strings.Contains(b.String(), want[f]) {
			t.Errorf("%s: no %q in\n%s", f, want[f], b.String())
		}
		if f == "json" && !json.Valid(b.Bytes()) {
			t.Errorf("json not valid:\n%s", b.String())
		}
		if f == "erlang" && !strings.Contains(b.String(), "%% recon_alloc:memory(used, current)\n0.\n") {
			t.Errorf("erlang: memory(used) of nothing is not 0:\n%s", b.String())
		}
	}
	var b bytes.Buffer
	if err := writeRecon(&b, snap, "yaml"); err == nil || b.Len() != 0 {
		t.Errorf("format yaml: %v, wrote %q", err, b.String())
	}
}
