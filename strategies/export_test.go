package strategies

import (
	"fmt"

	"alloclab/carriers"
)

// Test-only exports for the black-box tests in package strategies_test
// (contract_test.go): gf's bucket geometry, and a builder of hand-made heaps
// whose free blocks are fed to a strategy through its interface only.

// GFBucket is gf's BKT_IX: the bucket a block of size bytes goes to.
func GFBucket(s Strategy, size uint64) int { return s.(*gf).bucket(size) }

// GFBucketMin is gf's BKT_MIN_SZ: the smallest size bucket i holds.
func GFBucketMin(s Strategy, i int) uint64 { return s.(*gf).bucketMin(i) }

// GFIntervalD is the width of gf's D range buckets, and GFMaxD the largest
// size of the D range (beyond it everything goes to bucket 255).
func GFIntervalD(s Strategy) uint64 { return s.(*gf).d }
func GFMaxD(s Strategy) uint64      { return s.(*gf).maxD }

// Blk is one block of a hand-built carrier: its size and state, 'a'
// allocated, 'f' free and linked by BuildHeap, 'u' free but left unlinked
// (for the test to link in its own order).
type Blk struct {
	Size  uint64
	State byte
}

// CarrierSpec is one multiblock carrier: its address and its blocks, which
// tile it from the strategy's MBC header on. Carriers are created in the
// order given, so their Birth follows it.
type CarrierSpec struct {
	Addr   uint64
	Blocks []Blk
}

// TB is what the fixture needs of *testing.T or *rapid.T.
type TB interface {
	Helper()
	Fatalf(format string, args ...any)
}

// Fixture is a strategy over a hand-built heap.
type Fixture struct {
	T    TB
	Kind Kind
	Heap *carriers.Heap
	Env  *Env
	S    Strategy
	Crrs []int32   // carriers, in spec order
	B    [][]int32 // B[i][j]: block j of carrier i
	// Linked is the set of blocks the test linked and has not seen leave
	// (through Unlink or Get); Link, Unlink and Get keep it.
	Linked map[int32]bool
}

// BuildHeap creates the carriers of specs in a fresh heap, starts strategy k
// on it (env tweaks, e.g. MBSD or SBCT, are applied first), registers every
// carrier with AddCarrier (with no block linked, as the instance does when
// it creates a carrier) and then links the 'f' blocks in spec order.
// Defaults: MBSD 3, SBCT 512 KiB, LastAux Nil.
func BuildHeap(t TB, k Kind, specs []CarrierSpec, envOpts ...func(*Env)) *Fixture {
	t.Helper()
	h := carriers.NewHeap()
	env := &Env{Heap: h, LastAux: carriers.Nil, MBSD: 3, SBCT: 512 << 10}
	for _, o := range envOpts {
		o(env)
	}
	f := &Fixture{T: t, Kind: k, Heap: h, Env: env, Linked: map[int32]bool{}}
	for _, sp := range specs {
		f.newCarrier(sp)
	}
	f.S = New(k, env)
	for _, c := range f.Crrs {
		f.S.AddCarrier(c)
	}
	for i, sp := range specs {
		for j, spec := range sp.Blocks {
			if spec.State == 'f' {
				f.Link(f.B[i][j])
			}
		}
	}
	f.MustCheck()
	return f
}

// newCarrier creates the carrier and blocks of sp (no strategy call).
func (f *Fixture) newCarrier(sp CarrierSpec) {
	h := f.Heap
	hdr := f.Kind.MBCHeaderSize()
	size := hdr
	for _, b := range sp.Blocks {
		size += b.Size
	}
	c := h.NewCarrier(sp.Addr, size, carriers.MBC, true)
	h.Crr(c).Inst = 0
	var row []int32
	addr, prev := sp.Addr+hdr, carriers.Nil
	for _, spec := range sp.Blocks {
		if spec.Size%8 != 0 || spec.Size == 0 {
			panic(fmt.Sprintf("BuildHeap: block size %d is not a positive multiple of 8 (the runtime's unit)", spec.Size))
		}
		b := h.NewBlock()
		bb := h.Blk(b)
		bb.Addr, bb.Hdr, bb.Crr, bb.Prev = addr, spec.Size, c, prev
		switch spec.State {
		case 'f', 'u':
			bb.Hdr |= carriers.BlkFree
		case 'a':
			cr := h.Crr(c)
			cr.Blocks++
			cr.BlocksSize += spec.Size
		default:
			f.T.Fatalf("BuildHeap: block state %q", spec.State)
		}
		if prev == carriers.Nil {
			h.Crr(c).First = b
		} else {
			h.Blk(prev).Next = b
		}
		addr += spec.Size
		prev = b
		row = append(row, b)
	}
	f.Crrs = append(f.Crrs, c)
	f.B = append(f.B, row)
}

// AddCarrier creates one more carrier as the instance does (AddCarrier
// with nothing linked); its 'f' blocks are then linked, its 'u' blocks
// left for the test. It returns the carrier's position in f.Crrs.
func (f *Fixture) AddCarrier(sp CarrierSpec) int {
	f.T.Helper()
	f.newCarrier(sp)
	i := len(f.Crrs) - 1
	f.S.AddCarrier(f.Crrs[i])
	for j, spec := range sp.Blocks {
		if spec.State == 'f' {
			f.Link(f.B[i][j])
		}
	}
	return i
}

// RemoveCarrier tells the strategy that carrier i (none of whose blocks
// may be linked) is no longer employed. Its blocks stay in the heap, so
// indexes remain valid; the test must not link them again.
func (f *Fixture) RemoveCarrier(i int) {
	f.T.Helper()
	for _, b := range f.B[i] {
		if f.Linked[b] {
			f.T.Fatalf("test bug: RemoveCarrier(%d) with block %d linked", i, b)
		}
	}
	f.S.RemoveCarrier(f.Crrs[i])
}

// Link links free block b.
func (f *Fixture) Link(b int32) {
	f.T.Helper()
	if f.Linked[b] {
		f.T.Fatalf("test bug: block %d linked twice", b)
	}
	f.S.Link(b)
	f.Linked[b] = true
}

// Unlink unlinks linked block b.
func (f *Fixture) Unlink(b int32) {
	f.T.Helper()
	if !f.Linked[b] {
		f.T.Fatalf("test bug: block %d not linked", b)
	}
	f.S.Unlink(b)
	delete(f.Linked, b)
}

// Get is Strategy.Get without a candidate; it checks the generic contract:
// a returned block was linked and is at least size bytes.
func (f *Fixture) Get(size uint64) int32 { return f.GetCand(size, carriers.Nil, 0) }

// GetCand is Strategy.Get with a realloc candidate.
func (f *Fixture) GetCand(size uint64, cand int32, candSize uint64) int32 {
	f.T.Helper()
	b := f.S.Get(size, cand, candSize)
	if b == carriers.Nil {
		return b
	}
	if !f.Linked[b] {
		f.T.Fatalf("%v: Get(%d) returned block %d, which is not linked", f.Kind, size, b)
	}
	if sz := f.Heap.Blk(b).Size(); sz < size {
		f.T.Fatalf("%v: Get(%d) returned block %d of %d bytes", f.Kind, size, b, sz)
	}
	delete(f.Linked, b)
	return b
}

// MustCheck runs the strategy's Check and compares its count with the
// number of blocks linked.
func (f *Fixture) MustCheck() {
	f.T.Helper()
	n, err := f.S.Check()
	if err != nil {
		f.T.Fatalf("%v: Check: %v", f.Kind, err)
	}
	if n != len(f.Linked) {
		f.T.Fatalf("%v: Check counts %d blocks, %d linked", f.Kind, n, len(f.Linked))
	}
}

// Size is the size of block b.
func (f *Fixture) Size(b int32) uint64 { return f.Heap.Blk(b).Size() }
