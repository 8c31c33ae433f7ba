package workloads

import "alloclab/carriers"

// idIndex maps the trace IDs of live blocks to their blocks in a heap. The
// ID itself is not stored: it is the block's tag (carriers.Block.U), which
// the allocator keeps with every allocated block. A slot is 4 bytes: the
// block index in the low bits and, while the heap has fewer than 2^24 block
// slots, an 8-bit fingerprint of the ID's hash in the top bits, so that a
// probe reads the block (a cache miss) only when the fingerprint matches.
// Open addressing with linear probing up to 7/8 full and backward-shift
// deletion: no tombstones, no allocation once grown to the peak live count,
// about 5–9 bytes per live block.
type idIndex struct {
	heap  *carriers.Heap
	slots []uint32 // empty, or fingerprint<<24 | block (fp) or block (!fp)
	n     int
	shift uint8
	fp    bool // fingerprints in use
}

const (
	idEmpty   = ^uint32(0)
	idBlkBits = 24
	idBlkMask = 1<<idBlkBits - 1
)

func newIDIndex(h *carriers.Heap) *idIndex {
	x := &idIndex{heap: h, fp: true}
	x.resize(1024)
	return x
}

func (x *idIndex) resize(size int) {
	old := x.slots
	oldFP := x.fp
	x.slots = make([]uint32, size)
	for i := range x.slots {
		x.slots[i] = idEmpty
	}
	x.shift = 64
	for s := size; s > 1; s >>= 1 {
		x.shift--
	}
	x.n = 0
	for _, v := range old {
		if v != idEmpty {
			b := int32(v)
			if oldFP {
				b = int32(v & idBlkMask)
			}
			x.put(x.heap.Blocks[b].U, b)
		}
	}
}

func hashID(id uint64) uint64 { return id * 0x9E3779B97F4A7C15 }

func (x *idIndex) home(h uint64) int { return int(h >> x.shift) }

// entry is the slot value of block b for an ID of hash h.
func (x *idIndex) entry(h uint64, b int32) uint32 {
	if x.fp {
		return uint32(h>>24)&0xff000000 | uint32(b)
	}
	return uint32(b)
}

// block returns the block of slot value v.
func (x *idIndex) block(v uint32) int32 {
	if x.fp {
		return int32(v & idBlkMask)
	}
	return int32(v)
}

// lookup probes for id once: it returns the slot holding id (found), or
// the empty slot where id would be inserted.
func (x *idIndex) lookup(id uint64) (slot int, found bool) {
	mask := len(x.slots) - 1
	h := hashID(id)
	bs := x.heap.Blocks
	if x.fp {
		tag := uint32(h>>24) & 0xff000000
		for i := x.home(h); ; i = (i + 1) & mask {
			v := x.slots[i]
			if v == idEmpty {
				return i, false
			}
			if v&0xff000000 == tag && bs[v&idBlkMask].U == id {
				return i, true
			}
		}
	}
	for i := x.home(h); ; i = (i + 1) & mask {
		v := x.slots[i]
		if v == idEmpty {
			return i, false
		}
		if bs[v].U == id {
			return i, true
		}
	}
}

// at returns the block in slot i.
func (x *idIndex) at(i int) int32 { return x.block(x.slots[i]) }

// Live reports whether id names a live block.
func (x *idIndex) Live(id uint64) bool {
	_, ok := x.lookup(id)
	return ok
}

// get returns the block of a live id, or Nil.
func (x *idIndex) get(id uint64) int32 {
	if i, ok := x.lookup(id); ok {
		return x.at(i)
	}
	return carriers.Nil
}

// insertAt stores block b, whose tag is id, in the empty slot that lookup
// returned for id.
func (x *idIndex) insertAt(slot int, id uint64, b int32) {
	if x.fp && b >= idBlkMask {
		// The heap outgrew the fingerprinted format: rebuild without.
		x.fp = false
		x.resize(len(x.slots))
		slot, _ = x.lookup(id)
	}
	if 8*(x.n+1) > 7*len(x.slots) {
		x.resize(2 * len(x.slots))
		slot, _ = x.lookup(id)
	}
	x.slots[slot] = x.entry(hashID(id), b)
	x.n++
}

// put records that block b (whose tag is id) holds id.
func (x *idIndex) put(id uint64, b int32) {
	if i, ok := x.lookup(id); ok {
		x.slots[i] = x.entry(hashID(id), b)
	} else {
		x.insertAt(i, id, b)
	}
}

// move records that the id in slot i now lives in block b. The slot must
// come from lookup before the old block lost its tag (a realloc that moves
// frees the old block).
func (x *idIndex) move(i int, b int32) {
	switch {
	case !x.fp:
		x.slots[i] = uint32(b)
	case b < idBlkMask:
		x.slots[i] = x.slots[i]&^idBlkMask | uint32(b)
	default:
		// The new block index does not fit beside a fingerprint: drop
		// the entry (its old block is gone) and insert it again, which
		// rebuilds the index without fingerprints.
		id := x.heap.Blocks[b].U
		x.deleteAt(i)
		x.put(id, b)
	}
}

// deleteAt empties slot i, moving later entries of its probe run back
// where their home position allows (backward-shift deletion).
func (x *idIndex) deleteAt(i int) {
	mask := len(x.slots) - 1
	bs := x.heap.Blocks
	for j := (i + 1) & mask; ; j = (j + 1) & mask {
		v := x.slots[j]
		if v == idEmpty {
			break
		}
		h := x.home(hashID(bs[x.block(v)].U))
		if (j > i && (h <= i || h > j)) || (j < i && h <= i && h > j) {
			x.slots[i] = v
			i = j
		}
	}
	x.slots[i] = idEmpty
	x.n--
}

// Len returns the number of live IDs.
func (x *idIndex) Len() int { return x.n }
