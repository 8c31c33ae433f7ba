package reports

import (
	"encoding/json"
	"strings"
	"testing"

	"alloclab/allocator"
)

// fix_alloc instance 0 (no carrier pool) reports {fix_types, [...]} right
// after its options, one {size_<S>, S × allocated, S × used} per size seen
// in the node, by size; pooled instances report none.
func TestSystemInfoFixTypes(t *testing.T) {
	sys := newTestNode(t, 2, "")
	bs := []int32{
		mustAlloc(t, sys, allocator.Fix, 0, 48),
		mustAlloc(t, sys, allocator.Fix, 0, 48),
		mustAlloc(t, sys, allocator.Fix, 0, 48),
	}
	mustAlloc(t, sys, allocator.Fix, 0, 200)
	mustAlloc(t, sys, allocator.Fix, 1, 96)
	// The first free is real (allocated 3 is not below the limit 3), the
	// second parks its block: 2 allocated, 1 used.
	for _, b := range bs[:2] {
		if err := sys.Free(b, 0); err != nil {
			t.Fatal(err)
		}
	}
	if err := sys.Check(); err != nil {
		t.Fatal(err)
	}
	insts := SystemInfo(sys.AllInstances(), false)
	var fix []AllocInstance
	for _, ai := range insts {
		if ai.Allocator == "fix_alloc" {
			fix = append(fix, ai)
		}
	}
	if len(fix) != 3 {
		t.Fatalf("%d fix_alloc instances", len(fix))
	}
	want := []FixType{{"size_48", 96, 48}, {"size_96", 0, 0}, {"size_200", 200, 200}}
	if got := fix[0].FixTypes; len(got) != len(want) || got[0] != want[0] || got[1] != want[1] || got[2] != want[2] {
		t.Errorf("instance 0 fix_types %+v\nwant %+v", got, want)
	}
	for _, ai := range fix[1:] {
		if ai.FixTypes != nil {
			t.Errorf("pooled instance %d reports fix_types %+v", ai.Instance, ai.FixTypes)
		}
	}

	term := WriteTerm(AllocatorTerm(fix[:1]))
	const wantTerm = "{as,aoffcbf}]},{fix_types,[{size_48,96,48},{size_96,0,0},{size_200,200,200}]},{mbcs,"
	if !strings.Contains(term, wantTerm) {
		t.Errorf("erlang term lacks %s:\n%s", wantTerm, term)
	}
	pretty := string(WriteSystemInfoErlang(fix))
	if strings.Count(pretty, "{fix_types,") != 1 {
		t.Errorf("pretty output has %d fix_types:\n%s", strings.Count(pretty, "{fix_types,"), pretty)
	}
	// The printed report reads back with the same fix types.
	snap, err := ParseSnapshot("fix", []byte("{[],[{fix_alloc,"+pretty[strings.Index(pretty, "\n")+1:len(pretty)-2]+"}]}."))
	if err != nil {
		t.Fatalf("reading the report back: %v", err)
	}
	if got := snap.Instances[0].FixTypes; len(got) != 3 || got[0] != want[0] || got[2] != want[2] {
		t.Errorf("read back %+v", got)
	}

	js := string(WriteSystemInfoJSON(fix))
	const wantJSON = `"fix_types": {"size_48": [96, 48], "size_96": [0, 0], "size_200": [200, 200]}`
	if !strings.Contains(js, wantJSON) {
		t.Errorf("JSON lacks %s:\n%s", wantJSON, js)
	}
	if strings.Index(js, `"options"`) > strings.Index(js, `"fix_types"`) || strings.Index(js, `"fix_types"`) > strings.Index(js, `"mbcs"`) {
		t.Errorf("fix_types not between options and mbcs:\n%s", js)
	}
	var v map[string][]map[string]any
	if err := json.Unmarshal([]byte(js), &v); err != nil {
		t.Fatalf("invalid JSON: %v\n%s", err, js)
	}
	if _, ok := v["fix_alloc"][1]["fix_types"]; ok {
		t.Error("JSON: pooled instance 1 has fix_types")
	}
}

// An instance without a pool that has seen no type reports an empty list.
func TestSystemInfoFixTypesEmpty(t *testing.T) {
	sys := newTestNode(t, 1, "")
	for _, ai := range SystemInfo(sys.AllInstances(), false) {
		if ai.Allocator == "fix_alloc" && ai.Instance == 0 {
			if ai.FixTypes == nil || len(ai.FixTypes) != 0 {
				t.Errorf("fix_types %#v, want an empty list", ai.FixTypes)
			}
			if got := WriteTerm(AllocatorTerm([]AllocInstance{ai})); !strings.Contains(got, "{fix_types,[]}") {
				t.Errorf("no {fix_types,[]} in %s", got)
			}
		}
	}
}
