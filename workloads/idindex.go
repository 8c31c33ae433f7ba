package workloads

import "alloclab/carriers"

// idIndex maps the trace IDs of live blocks to their blocks in a heap. It
// stores only the block index per slot (4 bytes); the ID itself is the
// block's tag (carriers.Block.U), which the allocator keeps with every
// allocated block. Open addressing with linear probing and backward-shift
// deletion: no tombstones, no allocation once grown to the peak live count.
type idIndex struct {
	heap  *carriers.Heap
	slots []int32 // block index, or carriers.Nil
	n     int
	shift uint8
}

func newIDIndex(h *carriers.Heap) *idIndex {
	x := &idIndex{heap: h}
	x.resize(1024)
	return x
}

func (x *idIndex) resize(size int) {
	old := x.slots
	x.slots = make([]int32, size)
	for i := range x.slots {
		x.slots[i] = carriers.Nil
	}
	x.shift = 64
	for s := size; s > 1; s >>= 1 {
		x.shift--
	}
	x.n = 0
	for _, b := range old {
		if b != carriers.Nil {
			x.put(x.heap.Blocks[b].U, b)
		}
	}
}

func (x *idIndex) home(id uint64) int {
	return int((id * 0x9E3779B97F4A7C15) >> x.shift)
}

// lookup probes for id once: it returns the slot holding id (found), or
// the empty slot where id would be inserted.
func (x *idIndex) lookup(id uint64) (slot int, found bool) {
	mask := len(x.slots) - 1
	bs := x.heap.Blocks
	for i := x.home(id); ; i = (i + 1) & mask {
		b := x.slots[i]
		if b == carriers.Nil {
			return i, false
		}
		if bs[b].U == id {
			return i, true
		}
	}
}

// Live reports whether id names a live block.
func (x *idIndex) Live(id uint64) bool {
	_, ok := x.lookup(id)
	return ok
}

// get returns the block of a live id, or Nil.
func (x *idIndex) get(id uint64) int32 {
	if i, ok := x.lookup(id); ok {
		return x.slots[i]
	}
	return carriers.Nil
}

// insertAt stores block b, whose tag is id, in the empty slot that lookup
// returned for id.
func (x *idIndex) insertAt(slot int, id uint64, b int32) {
	if 8*(x.n+1) > 7*len(x.slots) {
		// Linear probing stays fast up to 7/8 full with this hash; a
		// larger table would cost memory per live block.
		x.resize(2 * len(x.slots))
		slot, _ = x.lookup(id)
	}
	x.slots[slot] = b
	x.n++
}

// put records that block b (whose tag is id) holds id.
func (x *idIndex) put(id uint64, b int32) {
	if i, ok := x.lookup(id); ok {
		x.slots[i] = b
	} else {
		x.insertAt(i, id, b)
	}
}

// move records that the id in slot i now lives in block b. The slot must
// come from lookup before the old block lost its tag (a realloc that moves
// frees the old block).
func (x *idIndex) move(i int, b int32) { x.slots[i] = b }

// deleteAt empties slot i, moving later entries of its probe run back
// where their home position allows (backward-shift deletion).
func (x *idIndex) deleteAt(i int) {
	mask := len(x.slots) - 1
	bs := x.heap.Blocks
	for j := (i + 1) & mask; ; j = (j + 1) & mask {
		b := x.slots[j]
		if b == carriers.Nil {
			break
		}
		h := x.home(bs[b].U)
		if (j > i && (h <= i || h > j)) || (j < i && h <= i && h > j) {
			x.slots[i] = b
			i = j
		}
	}
	x.slots[i] = carriers.Nil
	x.n--
}

// Len returns the number of live IDs.
func (x *idIndex) Len() int { return x.n }
