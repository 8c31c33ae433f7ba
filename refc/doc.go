// Package refc is the binary-leak lab's model of the BEAM's binaries,
// processes and garbage collection (OTP 25), driving the erts_alloc
// simulation of package allocator underneath. Every number comes from
// ../shared/docs/recon-refc-facts.md (cited as "facts §N").
//
// # The objects
//
//  1. A Binary is a refc binary (facts §3.1): a block in binary_alloc of
//     24 header bytes (flags, refc, orig_size) plus the payload, so with
//     the allocator's 8-byte block header and 8-byte tag one binary costs
//     roundup8(size)+40 bytes of erlang:memory(binary). Binaries of at
//     most 64 bytes are heap binaries: words on the holder's heap, never
//     in binary_alloc.
//  2. A ProcBin is one reference to a Binary: 6 heap words in a process
//     (on its off-heap list, which process_info(P, binary) reads), in a
//     message, or in an ETS row. Each holds the Binary's count up by one.
//     A sub-binary (> 64-byte slice, or a match context) is 5 heap words
//     that pin the ProcBin they point into; sent or stored, it becomes a
//     new ProcBin of the slice's size into the same Binary (facts §3.1).
//  3. A Process runs on one scheduler; its young heap, and the old heap
//     once something is promoted, are blocks in eheap_alloc sized from the
//     runtime's heap-size sequence (heap.go). Its message queue is on-heap
//     (a message fitting in the receiver's heap is copied there at once,
//     else it waits in a heap fragment) or off-heap (always apart until
//     received).
//  4. A Table is an ETS table: each row a block in ets_alloc, each binary
//     in it one more reference (facts §3.2).
//
// # The paths
//
// Creating a refc binary allocates its block on the creator's scheduler
// (refcount 1). Sending makes a new ProcBin in the message and adds one to
// the count; no data is copied. A garbage collection (gc.go) walks the
// process's ProcBins: an unreachable one in the generation being
// collected decrements its Binary's count, and at zero the Binary's block
// is freed — by the collecting process's scheduler, so a binary created on
// another scheduler is a delayed deallocation (allocator.System), which is
// why erlang:memory(binary) lags (facts §2.1). A process exit drops every
// reference at once; an ETS delete drops the row's.
//
// When collections happen is the whole story of a leak (facts §3.3, §5.1):
// the young heap filling, or the virtual binary heap — the words of
// binaries referenced since the last collection — passing bin_vheap_sz.
// recon.go computes recon's bin_leak, proc_count and proc_window over the
// model, and scenario*.go build the facts' §5 leaks.
package refc
