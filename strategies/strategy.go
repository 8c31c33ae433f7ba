// Package strategies implements the ten alloc_util allocation strategies of
// OTP 25 (erts-alloc-facts §5), one file each, behind one interface:
//
//	bf.go    bf, aobf          best fit; address-order best fit
//	aoff.go  aoff, aoffcbf, aoffcaobf, ageffcaoff, ageffcbf, ageffcaobf
//	gf.go    gf                good fit: segregated buckets, mbsd search depth
//	af.go    af                a fit: the head of one list
//
// A strategy indexes the free blocks of one allocator instance and chooses
// the block an allocation is carved from. It never splits, merges or moves
// blocks: the instance does that and tells the strategy which free blocks
// come and go (Link, Unlink) and which carriers the instance employs
// (AddCarrier, RemoveCarrier).
//
// Every choice reproduces the runtime's exactly, ties included: which of two
// equally good blocks is taken decides where every later block lands.
package strategies

import (
	"fmt"

	"alloclab/carriers"
)

// Env is what a strategy sees of its instance.
type Env struct {
	Heap *carriers.Heap
	// LastAux is gf's "last aux MBC": the last carrier of the instance's
	// MBC list unless that is the main carrier, else Nil (§5.4).
	LastAux int32
	// MBSD is gf's maximum block search depth (+M<S>mbsd, at least 1).
	MBSD uint64
	// SBCT is the instance's sbct; gf's bucket layout depends on it.
	SBCT uint64
}

// Strategy is one allocation strategy bound to one instance.
type Strategy interface {
	Kind() Kind
	// Link makes the free block b available to allocations.
	Link(b int32)
	// Unlink removes the free block b from the free structure.
	Unlink(b int32)
	// Get returns a free block of at least size bytes, already unlinked,
	// or Nil when none fits. For a realloc the runtime passes a candidate
	// (§6.3): the block being resized (allocated) or its free previous
	// block (still linked, so Get may return it), with candSize the size
	// of the block merged with its free neighbours. Get then returns Nil
	// when the candidate is at least as good as what it would choose,
	// each strategy by its own rule (§5).
	Get(size uint64, cand int32, candSize uint64) int32
	// AddCarrier and RemoveCarrier tell the strategy that the instance
	// starts or stops employing MBC c (created, fetched, destroyed,
	// abandoned). Called with c's blocks not linked.
	AddCarrier(c int32)
	RemoveCarrier(c int32)
	// Check verifies the strategy's own structure against the heap and
	// returns the number of free blocks it indexes (tests, --check).
	Check() (int, error)
}

// New returns strategy k for an instance.
func New(k Kind, env *Env) Strategy {
	switch k {
	case BF, AOBF:
		return newBF(k, env)
	case AOFF, AOFFCBF, AOFFCAOBF, AGEFFCAOFF, AGEFFCBF, AGEFFCAOBF:
		return newAOFF(k, env)
	case GF:
		return newGF(env)
	case AF:
		return newAF(env)
	}
	panic(fmt.Sprintf("strategies: unknown kind %d", k))
}
