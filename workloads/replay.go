package workloads

import (
	"fmt"

	"alloclab/allocator"
	"alloclab/carriers"
)

// Target is what a Replayer drives: allocator.Target (a node or the test
// allocator's single instance).
type Target = allocator.Target

// Replayer applies a stream of ops to a Target, keeping the map from trace
// IDs to blocks.
type Replayer struct {
	t    Target
	ids  *idIndex
	name string
	ops  int
	// scheds[b] is the SCHED of the a record of the live block in slot b
	// (only for targets that route).
	scheds []uint32
	// The last Live query, so that the op the reader just checked is not
	// looked up again: valid until the index changes.
	qID    uint64
	qSlot  int
	qFound bool
	qValid bool
	routes bool
}

// NewReplayer returns a replayer for t. name is used in error messages of
// ops that do not come from a Reader.
func NewReplayer(t Target, name string) *Replayer {
	return &Replayer{t: t, ids: newIDIndex(t.Heap()), name: name, routes: t.Routes()}
}

// Live is the LiveSet of the replay: trace IDs of live blocks.
func (r *Replayer) Live(id uint64) bool {
	_, found := r.lookup(id)
	return found
}

func (r *Replayer) lookup(id uint64) (int, bool) {
	if !r.qValid || r.qID != id {
		r.qSlot, r.qFound = r.ids.lookup(id)
		r.qID, r.qValid = id, true
	}
	return r.qSlot, r.qFound
}

// LiveBlocks returns the number of live blocks.
func (r *Replayer) LiveBlocks() int { return r.ids.Len() }

// Ops returns the number of a/r/f ops applied.
func (r *Replayer) Ops() int { return r.ops }

// Block returns the block of live trace ID id, or carriers.Nil.
func (r *Replayer) Block(id uint64) int32 { return r.ids.get(id) }

// Apply applies one op. Directives are ignored here (the caller reads
// them). It returns a *SyntaxError for an op that names a block wrongly
// and an *AllocError when the allocator returns NULL.
func (r *Replayer) Apply(op Op) error {
	switch op.Kind {
	case Alloc:
		slot, live := r.lookup(op.ID)
		if live {
			return r.errorf(op, "a: ID %d is still live", op.ID)
		}
		r.ops++
		b, err := r.t.Alloc(op.Type, op.Sched, op.Size, op.ID)
		if err != nil {
			return r.errorf(op, "a: %v", err)
		}
		if b == carriers.Nil {
			return &AllocError{File: r.name, Line: op.Line, Msg: fmt.Sprintf("allocation of %d bytes failed (the allocator returned NULL)", op.Size)}
		}
		r.ids.insertAt(slot, op.ID, b)
		r.qValid = false
		r.setSched(b, op.Sched)
	case Realloc:
		slot, live := r.lookup(op.ID)
		if !live {
			return r.errorf(op, "r: ID %d is not live", op.ID)
		}
		r.ops++
		b := r.ids.at(slot)
		sched := r.sched(b, op)
		nb, err := r.t.Realloc(b, op.Size, sched)
		if err != nil {
			return r.errorf(op, "r: %v", err)
		}
		if nb == carriers.Nil {
			return &AllocError{File: r.name, Line: op.Line, Msg: fmt.Sprintf("realloc of ID %d to %d bytes failed (the allocator returned NULL)", op.ID, op.Size)}
		}
		if nb != b {
			r.setSched(nb, r.sched(b, Op{}))
		}
		r.ids.move(slot, nb)
	case Free:
		slot, live := r.lookup(op.ID)
		if !live {
			return r.errorf(op, "f: ID %d is not live", op.ID)
		}
		b := r.ids.at(slot)
		if err := r.t.Free(b, r.sched(b, op)); err != nil {
			return r.errorf(op, "f: %v", err)
		}
		r.ops++
		r.ids.deleteAt(slot)
		r.qValid = false
	case Time:
		r.t.Advance(op.Nanos)
	}
	return nil
}

// setSched remembers the allocating scheduler of block b.
func (r *Replayer) setSched(b int32, sched uint32) {
	if !r.routes {
		return
	}
	for int(b) >= len(r.scheds) {
		r.scheds = append(r.scheds, 0)
	}
	r.scheds[b] = sched
}

// sched is the scheduler executing op on block b: its SCHED, else the
// SCHED of the block's a record (a realloc by another scheduler does not
// change it: ../shared/oracle/README.md "What runs where").
func (r *Replayer) sched(b int32, op Op) uint32 {
	if op.HasSched || !r.routes {
		return op.Sched
	}
	return r.scheds[b]
}

func (r *Replayer) errorf(op Op, format string, args ...any) error {
	return &SyntaxError{File: r.name, Line: op.Line, Msg: fmt.Sprintf(format, args...)}
}

// AllocError reports an operation the simulated allocator failed (the
// runtime would have returned NULL).
type AllocError struct {
	File string
	Line int
	Msg  string
}

func (e *AllocError) Error() string { return fmt.Sprintf("%s:%d: %s", e.File, e.Line, e.Msg) }

// Replay reads every op of rd and applies it to the replayer. Directives
// are passed to onDirective when it is not nil. It stops at the first error.
func (r *Replayer) Replay(rd *Reader, onDirective func(Op) error) error {
	rd.SetLiveSet(r)
	r.name = rd.name
	for rd.Scan() {
		op := rd.Op()
		if op.Kind == Directive {
			if onDirective != nil {
				if err := onDirective(op); err != nil {
					return err
				}
			}
			continue
		}
		if err := r.Apply(op); err != nil {
			return err
		}
	}
	return rd.Err()
}
