package allocator

import "alloclab/carriers"

// Target is what a replay drives and a report samples: a whole node
// (System) or the test allocator's single instance (Single). Blocks live in
// the target's heap; the tag given to Alloc is the trace ID and stays with
// the block (carriers.Block.U) through reallocs.
type Target interface {
	Heap() *carriers.Heap
	// Alloc returns the new block, or carriers.Nil when the allocator
	// returns NULL; an error when the operation cannot be routed (a
	// scheduler the node does not have, a disabled allocator).
	Alloc(t Type, sched uint32, size, tag uint64) (int32, error)
	// Realloc returns the block now holding the data, or carriers.Nil
	// (the block is then unchanged).
	Realloc(b int32, size uint64, sched uint32) (int32, error)
	Free(b int32, sched uint32) error
	// Advance moves the simulated clock to nanos since the start.
	Advance(nanos uint64)
	// Routes reports whether the target routes by scheduler: then r and f
	// records without SCHED are executed by the block's allocating
	// scheduler, which a replayer remembers.
	Routes() bool
}

var (
	_ Target = (*System)(nil)
	_ Target = (*Single)(nil)
)
