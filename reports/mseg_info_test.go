package reports

import (
	"testing"

	"alloclab/allocator"
)

// maskNumbers replaces every integer of t by 0.
func maskNumbers(t Term) Term {
	switch t := t.(type) {
	case Int:
		return IntFrom(0)
	case Tuple:
		es := make([]Term, len(t.Elems))
		for i, e := range t.Elems {
			es[i] = maskNumbers(e)
		}
		return Tup(es...)
	case List:
		es := make([]Term, len(t.Elems))
		for i, e := range t.Elems {
			es[i] = maskNumbers(e)
		}
		return Lst(es...)
	}
	return t
}

func TestMsegInstances(t *testing.T) {
	sys := newTestNode(t, 2, "+MMmcs 5")
	// An SBC on scheduler 1 comes from mseg instance 1; freeing it caches
	// the segment there.
	b := mustAlloc(t, sys, allocator.Binary, 1, 600000)
	if err := sys.Free(b, 1); err != nil {
		t.Fatal(err)
	}
	insts := MsegInstances(sys.Space(), true)
	if len(insts) != 3 {
		t.Fatalf("%d mseg instances, want 3 (+S 2)", len(insts))
	}
	m := insts[1].Mseg
	if m.CachedSegments != 1 || m.Segments != (Triple{0, 1, 1}) || m.SegmentsSize != (Triple{0, 602112, 602112}) ||
		m.SegmentsWatermark != 1 || m.Calls[0] != CallCountOf("mseg_alloc", 1) || m.Calls[1] != CallCountOf("mseg_dealloc", 1) ||
		m.Calls[4] != CallCountOf("mseg_create", 1) {
		t.Errorf("mseg instance 1: %+v", *m)
	}
	got := WriteTerm(MsegTerm(insts[1:2]))
	want := `{instance,1,[{version,"0.9"},{options,[{amcbf,4194304},{rmcbf,20},{mcs,5}]},` +
		`{memkind,[{name,"all memory"},{status,[{cached_segments,1},{cache_hits,0},{segments,0,1,1},` +
		`{segments_watermark,1},{segments_size,0,602112,602112}]},` +
		`{calls,[{mseg_alloc,0,1},{mseg_dealloc,0,1},{mseg_realloc,0,0},{mseg_create_resize,0,0},` +
		`{mseg_create,0,1},{mseg_destroy,0,0},{mseg_recreate,0,0},{mseg_clear_cache,0,0},{mseg_check_cache,0,0}]}]}]}`
	// WriteTerm writes strings as lists of codes; compare the ~p form.
	if PrettyTerm(MsegTerm(insts[1:2]), 1) != PrettyTerm(mustRead(t, "["+want+"]"), 1) {
		t.Errorf("MsegTerm\n got %s\nwant [%s]", got, want)
	}
	// The reset started a new max period: max := current.
	if again := MsegInstances(sys.Space(), false)[1].Mseg; again.Segments != (Triple{0, 0, 1}) {
		t.Errorf("after reset: segments %+v, want {0 0 1}", again.Segments)
	}
	// Non-mseg entries are left out.
	if got := WriteTerm(MsegTerm([]AllocInstance{{Allocator: "binary_alloc"}})); got != "[]" {
		t.Errorf("MsegTerm of binary_alloc: %s", got)
	}
}

func mustRead(t *testing.T, s string) Term {
	t.Helper()
	tm, err := ReadTerm("want", []byte(s+"."))
	if err != nil {
		t.Fatal(err)
	}
	return tm
}

// The shape — keys, their order, the number of instances — of
// erlang:system_info({allocator, mseg_alloc}) on a real +S 2 node, with
// every number masked.
func TestMsegTermShapeErl(t *testing.T) {
	out := instrErl(t, `io:format("~p.~n", [erlang:system_info({allocator, mseg_alloc})])`)
	real := mustRead(t, out[:len(out)-2])
	sys := newTestNode(t, 2, "")
	sim := MsegTerm(MsegInstances(sys.Space(), false))
	got, want := PrettyTerm(maskNumbers(sim), 1), PrettyTerm(maskNumbers(real), 1)
	if got != want {
		t.Errorf("mseg_alloc shape\n got %s\nwant %s", got, want)
	}
	// Options are numbers we model exactly: compare them unmasked.
	for i, e := range real.(List).Elems {
		ro := e.(Tuple).Elems[2].(List).Elems[1]
		so := sim.(List).Elems[i].(Tuple).Elems[2].(List).Elems[1]
		if WriteTerm(ro) != WriteTerm(so) {
			t.Errorf("instance %d options: got %s, want %s", i, WriteTerm(so), WriteTerm(ro))
		}
	}
}
