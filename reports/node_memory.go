package reports

// erlang:memory() for a simulated node, as far as it follows from the
// allocators' blocks (erts-alloc-facts §8.2).
//
// The runtime computes erlang:memory() from block sizes (headers and tags
// included), never from carrier sizes: free space in carriers, carrier
// headers and the mseg cache are invisible to it. alloclab derives:
//
//	total          Σ blocks (mbcs + sbcs) of every alloc_util instance except
//	               temp_alloc and test_alloc
//	processes      eheap_alloc blocks
//	processes_used the same eheap_alloc blocks
//	system         total − processes
//	binary         binary_alloc blocks
//	ets            ets_alloc blocks
//
// What the runtime adds and alloclab does not model, so the values are
// lower bounds of a real node's:
//
//   - processes and processes_used also count the process table, bif timer
//     memory and fix_alloc's pool (processes) or used (processes_used) bytes
//     of proc, monitor, link, msg_ref, ll_ptimer, hl_ptimer and bif_timer
//     structs. alloclab models fix_alloc's lists but knows its types only
//     by size (size_<S>, allocator/fix.go), never as these named types, so
//     none is added and processes_used equals processes here;
//   - ets also counts "misc ETS memory" (tables' bookkeeping counted apart);
//   - total also counts the JIT's code size on JIT builds; the carrier
//     pool's blocks are counted by their owner (the pool is not modelled,
//     so there are none).
//
// atom, atom_used and code come from the atom table and the code loader,
// not from allocators; they are omitted.

import "alloclab/allocator"

// NodeMemory returns the erlang:memory() values derivable from the
// instances' block statistics, in erlang:memory()'s key order: total,
// processes, processes_used, system, binary, ets.
func NodeMemory(insts []*allocator.Instance) []MemoryValue {
	var total, procs, binary, ets uint64
	for _, in := range insts {
		if in.Type == allocator.Temp || in.Type == allocator.Test {
			continue
		}
		b := in.Stats.MBCs.BlocksSize.Cur + in.Stats.SBCs.BlocksSize.Cur
		total += b
		switch in.Type {
		case allocator.EHeap:
			procs += b
		case allocator.Binary:
			binary += b
		case allocator.ETS:
			ets += b
		}
	}
	return []MemoryValue{
		{"total", total},
		{"processes", procs},
		{"processes_used", procs},
		{"system", total - procs},
		{"binary", binary},
		{"ets", ets},
	}
}

// MemoryTerm is the erlang:memory() list [{total, N}, ...] of vs.
func MemoryTerm(vs []MemoryValue) Term {
	out := make([]Term, len(vs))
	for i, v := range vs {
		out[i] = Tup(Atom(v.Key), IntFrom(v.Bytes))
	}
	return Lst(out...)
}
