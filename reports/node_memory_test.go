package reports

import (
	"testing"

	"alloclab/allocator"
)

// Block sizes (header 8, tag 8 where atags): binary 1000 -> 1016, its
// 600000-byte SBC block 600016; eheap 1000 -> 1008; ets 100 -> 112;
// std 100 -> 112; temp_alloc blocks are not counted.
func TestNodeMemory(t *testing.T) {
	sys := newTestNode(t, 2, "")
	mustAlloc(t, sys, allocator.Binary, 1, 1000)
	mustAlloc(t, sys, allocator.Binary, 2, 600000)
	mustAlloc(t, sys, allocator.EHeap, 1, 1000)
	mustAlloc(t, sys, allocator.EHeap, 0, 1000)
	mustAlloc(t, sys, allocator.ETS, 1, 100)
	mustAlloc(t, sys, allocator.STD, 1, 100)
	mustAlloc(t, sys, allocator.Temp, 1, 5000)
	got := WriteTerm(MemoryTerm(NodeMemory(sys.AllInstances())))
	const total = 1016 + 600016 + 2*1008 + 112 + 112
	want := "[{total,603272},{processes,2016},{processes_used,2016},{system,601256},{binary,601032},{ets,112}]"
	if total != 603272 || got != want {
		t.Errorf("erlang:memory()\n got %s\nwant %s", got, want)
	}
}

// The keys NodeMemory reports are erlang:memory()'s, in its order.
func TestNodeMemoryKeysErl(t *testing.T) {
	out := instrErl(t, `io:format("~w.~n", [[K || {K, _} <- erlang:memory()]])`)
	real := mustRead(t, out[:len(out)-2]).(List).Elems
	sys := newTestNode(t, 1, "")
	j := 0
	for _, v := range NodeMemory(sys.AllInstances()) {
		for j < len(real) && string(real[j].(Atom)) != v.Key {
			j++
		}
		if j == len(real) {
			t.Fatalf("key %s missing or out of erlang:memory()'s order %s", v.Key, WriteTerm(Lst(real...)))
		}
	}
}
