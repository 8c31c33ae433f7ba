package strategies

import "alloclab/carriers"

// order is the key a block tree is sorted by.
type order uint8

const (
	bySize     order = iota // bf, and the cbf block trees: size; equal sizes in a list
	bySizeAddr              // aobf, caobf: (size, address)
	byAddr                  // aoff block trees: address
)

const nilIdx = carriers.Nil

// emptyHead is Block.U with an empty equal-size list (Head Nil).
const emptyHead = uint64(0xffffffff) << 32

// rbtree is a red-black tree of free blocks threaded through Block.L/R/P
// (parent pointers, as the runtime's trees), coloured by BlkRed. With aug
// set, each node's Block.Max is the largest block size of its subtree (a
// 32-bit value, as the runtime's max_sz), which is what the aoff family
// searches on (erts-alloc-facts §5.3). The searches the strategies make are
// exact ("smallest fitting size", "lowest fitting address"), so the tree's
// shape never changes a placement; only the keys and the order in which
// blocks were linked do (equal-size lists).
type rbtree struct {
	h     *carriers.Heap
	order order
	aug   bool
}

func (t *rbtree) less(a, b int32) bool {
	x, y := &t.h.Blocks[a], &t.h.Blocks[b]
	switch t.order {
	case bySize:
		return x.Size() < y.Size()
	case bySizeAddr:
		xs, ys := x.Size(), y.Size()
		return xs < ys || (xs == ys && x.Addr < y.Addr)
	default:
		return x.Addr < y.Addr
	}
}

func (t *rbtree) red(n int32) bool {
	return n != nilIdx && t.h.Blocks[n].Has(carriers.BlkRed)
}

func (t *rbtree) setRed(n int32, r bool) { t.h.Blocks[n].Set(carriers.BlkRed, r) }

// fix recomputes n's subtree maximum from its children.
func (t *rbtree) fix(n int32) {
	bs := t.h.Blocks
	b := &bs[n]
	m := uint32(b.Size())
	if b.L != nilIdx {
		m = max(m, bs[b.L].Max())
	}
	if b.R != nilIdx {
		m = max(m, bs[b.R].Max())
	}
	b.SetMax(m)
}

// fixUp recomputes subtree maxima from n towards the root after a
// removal below n. It stops at the first node whose maximum did not change
// (its ancestors cannot change either, as the runtime's lower_max_size
// does), but not before it has passed moved, the node that took the
// removed node's place and with it a new subtree.
func (t *rbtree) fixUp(n, moved int32) {
	if !t.aug {
		return
	}
	bs := t.h.Blocks
	for n != nilIdx {
		old := bs[n].Max()
		t.fix(n)
		if n == moved {
			moved = nilIdx
		} else if bs[n].Max() == old && moved == nilIdx {
			return
		}
		n = bs[n].P
	}
}

func (t *rbtree) rotateLeft(root *int32, x int32) {
	bs := t.h.Blocks
	y := bs[x].R
	bs[x].R = bs[y].L
	if bs[y].L != nilIdx {
		bs[bs[y].L].P = x
	}
	bs[y].P = bs[x].P
	t.replaceChild(root, bs[x].P, x, y)
	bs[y].L = x
	bs[x].P = y
	if t.aug {
		t.fix(x)
		t.fix(y)
	}
}

func (t *rbtree) rotateRight(root *int32, x int32) {
	bs := t.h.Blocks
	y := bs[x].L
	bs[x].L = bs[y].R
	if bs[y].R != nilIdx {
		bs[bs[y].R].P = x
	}
	bs[y].P = bs[x].P
	t.replaceChild(root, bs[x].P, x, y)
	bs[y].R = x
	bs[x].P = y
	if t.aug {
		t.fix(x)
		t.fix(y)
	}
}

// replaceChild makes n take old's place under parent p (or at the root).
func (t *rbtree) replaceChild(root *int32, p, old, n int32) {
	if p == nilIdx {
		*root = n
		return
	}
	bs := t.h.Blocks
	if bs[p].L == old {
		bs[p].L = n
	} else {
		bs[p].R = n
	}
}

// insert links n (a free block not in any tree) into the tree at *root.
func (t *rbtree) insert(root *int32, n int32) {
	bs := t.h.Blocks
	b := &bs[n]
	b.L, b.R, b.P = nilIdx, nilIdx, nilIdx
	size := uint32(b.Size())
	b.U = emptyHead | uint64(size)
	p := nilIdx
	for x := *root; x != nilIdx; {
		p = x
		if t.aug && bs[x].Max() < size {
			bs[x].SetMax(size)
		}
		if t.less(n, x) {
			x = bs[x].L
		} else {
			x = bs[x].R
		}
	}
	b.P = p
	if p == nilIdx {
		*root = n
	} else if t.less(n, p) {
		bs[p].L = n
	} else {
		bs[p].R = n
	}
	t.setRed(n, true)
	t.insertFixup(root, n)
}

func (t *rbtree) insertFixup(root *int32, z int32) {
	bs := t.h.Blocks
	for t.red(bs[z].P) {
		p := bs[z].P
		g := bs[p].P
		if p == bs[g].L {
			u := bs[g].R
			if t.red(u) {
				t.setRed(p, false)
				t.setRed(u, false)
				t.setRed(g, true)
				z = g
				continue
			}
			if z == bs[p].R {
				z = p
				t.rotateLeft(root, z)
				p = bs[z].P
				g = bs[p].P
			}
			t.setRed(p, false)
			t.setRed(g, true)
			t.rotateRight(root, g)
		} else {
			u := bs[g].L
			if t.red(u) {
				t.setRed(p, false)
				t.setRed(u, false)
				t.setRed(g, true)
				z = g
				continue
			}
			if z == bs[p].L {
				z = p
				t.rotateRight(root, z)
				p = bs[z].P
				g = bs[p].P
			}
			t.setRed(p, false)
			t.setRed(g, true)
			t.rotateLeft(root, g)
		}
	}
	t.setRed(*root, false)
}

// remove unlinks z from the tree at *root.
func (t *rbtree) remove(root *int32, z int32) {
	bs := t.h.Blocks
	var x, xp int32
	moved := nilIdx // the node that takes z's place, if z had two children
	yRed := t.red(z)
	if bs[z].L == nilIdx {
		x, xp = bs[z].R, bs[z].P
		t.transplant(root, z, x)
	} else if bs[z].R == nilIdx {
		x, xp = bs[z].L, bs[z].P
		t.transplant(root, z, x)
	} else {
		y := bs[z].R
		for bs[y].L != nilIdx {
			y = bs[y].L
		}
		yRed = t.red(y)
		moved = y
		x = bs[y].R
		if bs[y].P == z {
			xp = y
		} else {
			xp = bs[y].P
			t.transplant(root, y, x)
			bs[y].R = bs[z].R
			bs[bs[y].R].P = y
		}
		t.transplant(root, z, y)
		bs[y].L = bs[z].L
		bs[bs[y].L].P = y
		t.setRed(y, t.red(z))
	}
	t.fixUp(xp, moved)
	if !yRed {
		t.removeFixup(root, x, xp)
	}
	b := &bs[z]
	b.L, b.R, b.P = nilIdx, nilIdx, nilIdx
	b.Set(carriers.BlkRed, false)
}

// transplant puts v (possibly nil) where u was.
func (t *rbtree) transplant(root *int32, u, v int32) {
	bs := t.h.Blocks
	t.replaceChild(root, bs[u].P, u, v)
	if v != nilIdx {
		bs[v].P = bs[u].P
	}
}

func (t *rbtree) removeFixup(root *int32, x, xp int32) {
	bs := t.h.Blocks
	for x != *root && !t.red(x) {
		if x == bs[xp].L {
			w := bs[xp].R
			if t.red(w) {
				t.setRed(w, false)
				t.setRed(xp, true)
				t.rotateLeft(root, xp)
				w = bs[xp].R
			}
			if !t.red(bs[w].L) && !t.red(bs[w].R) {
				t.setRed(w, true)
				x = xp
				xp = bs[x].P
				continue
			}
			if !t.red(bs[w].R) {
				t.setRed(bs[w].L, false)
				t.setRed(w, true)
				t.rotateRight(root, w)
				w = bs[xp].R
			}
			t.setRed(w, t.red(xp))
			t.setRed(xp, false)
			t.setRed(bs[w].R, false)
			t.rotateLeft(root, xp)
			x = *root
			break
		}
		w := bs[xp].L
		if t.red(w) {
			t.setRed(w, false)
			t.setRed(xp, true)
			t.rotateRight(root, xp)
			w = bs[xp].L
		}
		if !t.red(bs[w].L) && !t.red(bs[w].R) {
			t.setRed(w, true)
			x = xp
			xp = bs[x].P
			continue
		}
		if !t.red(bs[w].L) {
			t.setRed(bs[w].R, false)
			t.setRed(w, true)
			t.rotateLeft(root, w)
			w = bs[xp].L
		}
		t.setRed(w, t.red(xp))
		t.setRed(xp, false)
		t.setRed(bs[w].L, false)
		t.rotateRight(root, xp)
		x = *root
		break
	}
	if x != nilIdx {
		t.setRed(x, false)
	}
}

// swap makes n take node o's place in the tree (same key, e.g. the next
// block of an equal-size list replacing the tree node): links, colour and
// subtree maximum move over; o is left out of the tree.
func (t *rbtree) swap(root *int32, o, n int32) {
	bs := t.h.Blocks
	ob, nb := &bs[o], &bs[n]
	nb.L, nb.R, nb.P = ob.L, ob.R, ob.P
	nb.Set(carriers.BlkRed, ob.Has(carriers.BlkRed))
	nb.U = ob.U
	t.replaceChild(root, ob.P, o, n)
	if nb.L != nilIdx {
		bs[nb.L].P = n
	}
	if nb.R != nilIdx {
		bs[nb.R].P = n
	}
	ob.L, ob.R, ob.P = nilIdx, nilIdx, nilIdx
	ob.Set(carriers.BlkRed, false)
}

// lowerBound returns the first node in tree order whose size is at least
// size, using the subtree maxima (aug trees) or the order (size trees).
func (t *rbtree) firstFit(root int32, size uint64) int32 {
	bs := t.h.Blocks
	if t.aug {
		x := root
		if x == nilIdx || uint64(bs[x].Max()) < size {
			return nilIdx
		}
		for {
			b := &bs[x]
			if b.L != nilIdx && uint64(bs[b.L].Max()) >= size {
				x = b.L
				continue
			}
			if b.Size() >= size {
				return x
			}
			x = b.R // its max must be >= size
		}
	}
	// Size-ordered tree: the smallest size >= size (leftmost among equals
	// for (size, address) order).
	res := nilIdx
	for x := root; x != nilIdx; {
		if bs[x].Size() >= size {
			res = x
			x = bs[x].L
		} else {
			x = bs[x].R
		}
	}
	return res
}
