// Package carriers holds the memory a simulated node is made of: carriers and
// the blocks inside them (heap.go), and the segment layer that gives carriers
// their addresses — sys_alloc, mseg_alloc with its segment cache and the
// super carrier (space*.go, mseg*.go, sys*.go, mmap*.go).
//
// # Blocks and carriers
//
// Every block and every carrier of a node lives in one Heap: two slices of
// small structs linked by int32 indexes, so that the simulator allocates
// nothing per operation in steady state and the garbage collector sees two
// big slices instead of millions of pointers. A freed slot goes on a free
// list and is reused by the next block (or carrier) created.
//
// A block is what alloc_util calls a block (erts-alloc-facts §4): a header
// word, user data, and for a free block the strategy's bookkeeping and a
// footer. The simulator keeps its address and size and, instead of boundary
// tags, explicit links to its physical neighbours in the carrier (Prev, Next):
// the runtime finds a free previous block through its footer and the
// PREV_FREE flag, the simulator through Prev; the result is the same.
//
// While a block is allocated, U holds the caller's tag (the trace ID). While
// it is free, U and L, R, P belong to the strategy that indexes it (tree
// links, equal-size lists, bucket lists, subtree maxima).
//
// A carrier (§3) is a multiblock carrier (MBC) holding a chain of blocks that
// tiles it from the strategy's MBC header size to its end, or a single-block
// carrier (SBC) holding one block at offset 32.
package carriers

// Nil is the null index of the heap's links.
const Nil int32 = -1

// Block flags, kept in the low three bits of Block.Hdr as the runtime keeps
// its THIS_FREE, PREV_FREE and LAST_BLK flags in the header word (block
// sizes are multiples of 8; erts-alloc-facts §4.1).
const (
	// BlkFree marks a free block.
	BlkFree uint64 = 1 << iota
	// BlkRed is the colour bit of red-black tree nodes (strategies).
	BlkRed
	// BlkMember marks a free block that hangs in an equal-size list behind a
	// tree node instead of being a tree node itself (bf, aoffcbf family).
	BlkMember

	flagMask = BlkFree | BlkRed | BlkMember
)

// An allocated block's allocator type (the allocator number the runtime
// keeps per block type, ERTS_ALC_T2A) sits in the header's top byte:
// blocks of several types share a carrier once carrier pools are shared
// (erts-alloc-facts §7.3), and each type keeps its own statistics.
const (
	typeShift = 56
	typeMask  = uint64(0xff) << typeShift
	keepMask  = flagMask | typeMask
	// MaxTypes bounds the allocator type numbers a block can carry.
	MaxTypes = 16
)

// TypeCount is a number of blocks and their total size.
type TypeCount struct{ N, Size uint64 }

// Block is one block of a carrier: 48 bytes.
type Block struct {
	Addr uint64 // address of the block header
	// Hdr is the block size (header and tag included, a multiple of 8)
	// with the Blk* flags in its low three bits.
	Hdr uint64
	// U is the caller's tag while the block is allocated. While it is free
	// it belongs to the strategy: the low 32 bits hold the largest block
	// size in the node's subtree (aoff family; a Uint32 in the runtime
	// too), the high 32 bits the first block of a tree node's equal-size
	// list (bf, cbf); see Max and Head.
	U    uint64
	Crr  int32 // carrier holding the block
	Prev int32 // physically previous block in the carrier, or Nil
	Next int32 // physically next block in the carrier, or Nil (last block)
	// Strategy links while free: tree left, right and parent, or list
	// prev/next in L/R (list members, bucket lists).
	L, R, P int32
}

// Size returns the block size in bytes.
func (b *Block) Size() uint64 { return b.Hdr &^ keepMask }

// SetSize sets the block size, keeping the flags and the type.
func (b *Block) SetSize(size uint64) { b.Hdr = size | b.Hdr&keepMask }

// Type returns an allocated block's allocator type number.
func (b *Block) Type() int { return int(b.Hdr >> typeShift) }

// SetType sets the block's allocator type number (below MaxTypes).
func (b *Block) SetType(t int) { b.Hdr = b.Hdr&^typeMask | uint64(t)<<typeShift }

// Free reports whether the block is free.
func (b *Block) Free() bool { return b.Hdr&BlkFree != 0 }

// Has reports whether flag f is set.
func (b *Block) Has(f uint64) bool { return b.Hdr&f != 0 }

// Set sets or clears flag f.
func (b *Block) Set(f uint64, on bool) {
	if on {
		b.Hdr |= f
	} else {
		b.Hdr &^= f
	}
}

// SetAllocated clears every flag: the block is allocated.
func (b *Block) SetAllocated() { b.Hdr &^= flagMask }

// SetFreeOnly marks the block free and clears the other flags.
func (b *Block) SetFreeOnly() { b.Hdr = b.Hdr&^flagMask | BlkFree }

// Max returns a free tree node's subtree maximum (aoff family).
func (b *Block) Max() uint32 { return uint32(b.U) }

// SetMax sets a free tree node's subtree maximum.
func (b *Block) SetMax(m uint32) { b.U = b.U&^0xffffffff | uint64(m) }

// Head returns the first block of a free tree node's equal-size list.
func (b *Block) Head() int32 { return int32(b.U >> 32) }

// SetHead sets the first block of a free tree node's equal-size list.
func (b *Block) SetHead(x int32) { b.U = b.U&0xffffffff | uint64(uint32(x))<<32 }

// Carrier kinds.
const (
	MBC = false
	SBC = true
)

// Carrier is one multiblock or single-block carrier.
type Carrier struct {
	Addr uint64 // start address (the carrier header)
	Size uint64 // carrier size in bytes
	// Birth is the carrier's creation number in its node: the order of the
	// runtime's monotonic creation timestamps (ageff* strategies).
	Birth uint64
	First int32 // first block
	Inst  int32 // instance that employs the carrier
	SBC   bool  // single-block carrier
	Mseg  bool  // segment from mseg_alloc (else sys_alloc)
	Main  bool  // the instance's main carrier: never released
	// Employer's carrier list, in creation order (the runtime's mbc_list /
	// sbc_list); gf's "last aux MBC" is the tail of the MBC list.
	ListPrev, ListNext int32
	// Strategy data (aoff family): root of the carrier's block tree, the
	// carrier's largest free block, and its position in the strategy's
	// carrier order.
	Root    int32
	MaxFree uint64
	Pos     int32
	// BlkOrder is the block order of the carrier's free-block tree, set
	// by the strategy that created it (0: not set yet); a carrier keeps it
	// when it migrates to an instance with another order (the runtime's
	// crr->blk_order, erl_ao_firstfit_alloc.c).
	BlkOrder uint8
	// Allocated blocks in the carrier and their total size, and the same
	// by allocator type (cpool.blocks, cpool.blocks_size).
	Blocks     uint64
	BlocksSize uint64
	ByType     [MaxTypes]TypeCount
	// Carrier pool (allocator/pool.go, erts-alloc-facts §7): the instance
	// that created the carrier (cpool.orig_allctr; it never changes, while
	// Inst, the employer, does), the flags and state, the links of the
	// pool's circular list (PoolSentinel at the ends), the owner's
	// pooled-tree node, the search size (cpool.max_size), and the thread
	// progress that must be reached before the carrier may be abandoned
	// again or released (cpool.thr_prgr; 0: none).
	Owner              int32
	PoolFlags          uint8
	PoolState          uint8
	PoolPrev, PoolNext int32
	PoolNode           int32
	MaxSize            uint64
	Mark               uint64
}

// Carrier pool flags (ERTS_CRR_ALCTR_FLG_*) and states (ERTS_MBC_*).
const (
	InPool     uint8 = 1 << 0
	Homecoming uint8 = 1 << 2

	IsHome     uint8 = 0
	WasPooled  uint8 = 1
	WasTraitor uint8 = 2
)

// PoolSentinel stands for a pool's sentinel in PoolPrev/PoolNext.
const PoolSentinel int32 = -2

// Heap is the arena of all blocks and carriers of a node.
type Heap struct {
	Blocks   []Block
	Carriers []Carrier
	freeBlk  int32 // free slot list through Block.Next
	freeCrr  int32 // free slot list through Carrier.ListNext
	births   uint64
	liveCrr  int
}

// NewHeap returns an empty heap.
func NewHeap() *Heap { return &Heap{freeBlk: Nil, freeCrr: Nil} }

// Blk returns the block at index i.
func (h *Heap) Blk(i int32) *Block { return &h.Blocks[i] }

// Crr returns the carrier at index i.
func (h *Heap) Crr(i int32) *Carrier { return &h.Carriers[i] }

// NewBlock returns the index of a fresh zeroed block slot.
func (h *Heap) NewBlock() int32 {
	if i := h.freeBlk; i != Nil {
		h.freeBlk = h.Blocks[i].Next
		h.Blocks[i] = Block{Crr: Nil, Prev: Nil, Next: Nil, L: Nil, R: Nil, P: Nil}
		return i
	}
	h.Blocks = append(h.Blocks, Block{Crr: Nil, Prev: Nil, Next: Nil, L: Nil, R: Nil, P: Nil})
	return int32(len(h.Blocks) - 1)
}

// FreeBlock returns block slot i to the arena.
func (h *Heap) FreeBlock(i int32) {
	b := &h.Blocks[i]
	*b = Block{Crr: Nil, Next: h.freeBlk}
	h.freeBlk = i
}

// NewCarrier returns the index of a fresh carrier slot with the given
// placement, stamped with the next birth number.
func (h *Heap) NewCarrier(addr, size uint64, sbc, mseg bool) int32 {
	h.births++
	c := Carrier{Addr: addr, Size: size, SBC: sbc, Mseg: mseg, Birth: h.births,
		First: Nil, Inst: -1, ListPrev: Nil, ListNext: Nil, Root: Nil, Pos: Nil,
		Owner: -1, PoolPrev: Nil, PoolNext: Nil, PoolNode: Nil}
	h.liveCrr++
	if i := h.freeCrr; i != Nil {
		h.freeCrr = h.Carriers[i].ListNext
		h.Carriers[i] = c
		return i
	}
	h.Carriers = append(h.Carriers, c)
	return int32(len(h.Carriers) - 1)
}

// FreeCarrier returns carrier slot i to the arena.
func (h *Heap) FreeCarrier(i int32) {
	h.Carriers[i] = Carrier{Inst: -2, ListNext: h.freeCrr, First: Nil}
	h.freeCrr = i
	h.liveCrr--
}

// LiveCarrier reports whether slot i holds a carrier.
func (h *Heap) LiveCarrier(i int32) bool { return h.Carriers[i].Inst != -2 }

// Carriers returns the number of live carriers.
func (h *Heap) LiveCarriers() int { return h.liveCrr }
