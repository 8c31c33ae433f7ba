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

// find returns the slot holding id, or -1.
func (x *idIndex) find(id uint64) int {
	mask := len(x.slots) - 1
	bs := x.heap.Blocks
	for i := x.home(id); ; i = (i + 1) & mask {
		b := x.slots[i]
		if b == carriers.Nil {
			return -1
		}
		if bs[b].U == id {
			return i
		}
	}
}

// Live reports whether id names a live block (the trace reader's LiveSet).
func (x *idIndex) Live(id uint64) bool { return x.find(id) >= 0 }

// get returns the block of a live id and its slot, or (Nil, -1).
func (x *idIndex) get(id uint64) (int32, int) {
	if i := x.find(id); i >= 0 {
		return x.slots[i], i
	}
	return carriers.Nil, -1
}

// move records that the id in slot i now lives in block b. The slot must
// come from get before the old block lost its tag (a realloc that moves
// frees the old block).
func (x *idIndex) move(i int, b int32) { x.slots[i] = b }

// put records that block b (whose tag is id) holds id, replacing the
// block id had.
func (x *idIndex) put(id uint64, b int32) {
	if i := x.find(id); i >= 0 {
		x.slots[i] = b
		return
	}
	if 4*(x.n+1) > 3*len(x.slots) {
		x.resize(2 * len(x.slots))
	}
	mask := len(x.slots) - 1
	i := x.home(id)
	for x.slots[i] != carriers.Nil {
		i = (i + 1) & mask
	}
	x.slots[i] = b
	x.n++
}

// del forgets id. Call it before the block is freed (its tag is read).
func (x *idIndex) del(id uint64) {
	i := x.find(id)
	if i < 0 {
		return
	}
	mask := len(x.slots) - 1
	bs := x.heap.Blocks
	// Backward-shift: move later entries of the probe run into the hole
	// when their home position allows it.
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
