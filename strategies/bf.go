package strategies

import (
	"fmt"

	"alloclab/carriers"
)

// bf and aobf (erl_bestfit_alloc.c; erts-alloc-facts §5.1, §5.2): one tree
// over the free blocks of every carrier of the instance.
//
// bf keys the tree by size alone. Each tree node heads a list of the other
// free blocks of its size; a block linked into an existing size class goes
// right behind the node, so the class reads [node, newest, ..., oldest]. A
// search takes the smallest size that fits and hands out the list's first
// member (the most recently freed block of that size), the node itself only
// when its list is empty. When a node is unlinked while its list is not
// empty, the first member takes its place in the tree.
//
// aobf keys the tree by (size, address): the smallest fitting size, lowest
// address among equals.
type bf struct {
	env  *Env
	kind Kind
	t    rbtree
	root int32
}

func newBF(k Kind, env *Env) *bf {
	s := &bf{env: env, kind: k, root: nilIdx}
	s.t = rbtree{h: env.Heap, order: bySize}
	if k == AOBF {
		s.t.order = bySizeAddr
	}
	return s
}

func (s *bf) Kind() Kind            { return s.kind }
func (s *bf) AddCarrier(c int32)    {}
func (s *bf) RemoveCarrier(c int32) {}

func (s *bf) Link(b int32) {
	if s.kind == BF {
		if n := findSize(s.t.h, s.root, s.t.h.Blocks[b].Size()); n != nilIdx {
			listPush(s.t.h, n, b)
			return
		}
	}
	s.t.insert(&s.root, b)
}

func (s *bf) Unlink(b int32) {
	if s.kind == BF && listUnlink(&s.t, &s.root, b) {
		return
	}
	s.t.remove(&s.root, b)
}

func (s *bf) Get(size uint64, cand int32, candSize uint64) int32 {
	bs := s.t.h.Blocks
	n := s.t.firstFit(s.root, size)
	if n == nilIdx {
		return nilIdx
	}
	if s.kind == BF {
		if cand != nilIdx && candSize <= bs[n].Size() {
			return nilIdx
		}
		if m := bs[n].Head(); m != nilIdx {
			n = m
		}
	} else if cand != nilIdx {
		if sz := bs[n].Size(); candSize < sz || (candSize == sz && bs[cand].Addr < bs[n].Addr) {
			return nilIdx
		}
	}
	s.Unlink(n)
	return n
}

func (s *bf) Check() (int, error) {
	return checkTree(&s.t, s.root, s.kind == BF, nil)
}

// findSize returns the tree node of exactly size in a size-keyed tree.
func findSize(h *carriers.Heap, root int32, size uint64) int32 {
	bs := h.Blocks
	for x := root; x != nilIdx; {
		switch s := bs[x].Size(); {
		case size < s:
			x = bs[x].L
		case size > s:
			x = bs[x].R
		default:
			return x
		}
	}
	return nilIdx
}

// listPush links free block b into node n's equal-size list, right behind
// the node. List members keep their previous element in L and their next
// in R; the node keeps its first member as its Head.
func listPush(h *carriers.Heap, n, b int32) {
	bs := h.Blocks
	nb, bb := &bs[n], &bs[b]
	first := nb.Head()
	bb.Set(carriers.BlkMember, true)
	bb.L, bb.R, bb.P = n, first, nilIdx
	if first != nilIdx {
		bs[first].L = b
	}
	nb.SetHead(b)
}

// listUnlink handles the cases of unlinking b from a tree with equal-size
// lists that do not remove a tree node: b is a list member (spliced out),
// or b is a node with members (its first member takes its place). It
// reports false when b is a node without members, which the caller removes
// from the tree.
func listUnlink(t *rbtree, root *int32, b int32) bool {
	bs := t.h.Blocks
	bb := &bs[b]
	if bb.Has(carriers.BlkMember) {
		prev, next := bb.L, bb.R
		if bs[prev].Has(carriers.BlkMember) {
			bs[prev].R = next
		} else {
			bs[prev].SetHead(next)
		}
		if next != nilIdx {
			bs[next].L = prev
		}
		bb.Set(carriers.BlkMember, false)
		bb.L, bb.R = nilIdx, nilIdx
		return true
	}
	m := bb.Head()
	if m == nilIdx {
		return false
	}
	rest := bs[m].R
	bs[m].Set(carriers.BlkMember, false)
	t.swap(root, b, m)
	bs[m].SetHead(rest)
	if rest != nilIdx {
		bs[rest].L = m
	}
	bb.SetHead(nilIdx)
	return true
}

// checkTree verifies a block tree: order, parent links, red-black rules,
// subtree maxima (aug trees), equal-size lists, and that every indexed
// block is free and (with crr set) lives in carrier *crr. It returns the
// number of blocks indexed (nodes and list members).
func checkTree(t *rbtree, root int32, lists bool, crr *int32) (int, error) {
	bs := t.h.Blocks
	n := 0
	var walk func(x, parent int32) (int, uint32, error)
	walk = func(x, parent int32) (int, uint32, error) {
		if x == nilIdx {
			return 1, 0, nil
		}
		b := &bs[x]
		if b.P != parent {
			return 0, 0, fmt.Errorf("block %d: parent %d, want %d", x, b.P, parent)
		}
		if !b.Free() || b.Has(carriers.BlkMember) {
			return 0, 0, fmt.Errorf("tree node %d is not a free node (header %#x)", x, b.Hdr)
		}
		if crr != nil && b.Crr != *crr {
			return 0, 0, fmt.Errorf("block %d of carrier %d in carrier %d's tree", x, b.Crr, *crr)
		}
		if b.L != nilIdx && !t.less(b.L, x) {
			return 0, 0, fmt.Errorf("block %d: left child %d out of order", x, b.L)
		}
		if b.R != nilIdx && t.less(b.R, x) {
			return 0, 0, fmt.Errorf("block %d: right child %d out of order", x, b.R)
		}
		if lists && ((b.L != nilIdx && !t.less(b.L, x)) || (b.R != nilIdx && !t.less(x, b.R))) {
			return 0, 0, fmt.Errorf("block %d: duplicate size class in tree", x)
		}
		if t.red(x) && (t.red(b.L) || t.red(b.R)) {
			return 0, 0, fmt.Errorf("block %d: red node with red child", x)
		}
		n++
		prev := x
		if !lists && b.Head() != nilIdx {
			return 0, 0, fmt.Errorf("block %d: list head %d in a tree without lists", x, b.Head())
		}
		for m := b.Head(); lists && m != nilIdx; m = bs[m].R {
			mb := &bs[m]
			if !mb.Has(carriers.BlkMember) || !mb.Free() || mb.Size() != b.Size() || mb.L != prev {
				return 0, 0, fmt.Errorf("block %d: bad equal-size list at %d", x, m)
			}
			if crr != nil && mb.Crr != *crr {
				return 0, 0, fmt.Errorf("list block %d of carrier %d in carrier %d's tree", m, mb.Crr, *crr)
			}
			n++
			prev = m
		}
		lh, lm, err := walk(b.L, x)
		if err != nil {
			return 0, 0, err
		}
		rh, rm, err := walk(b.R, x)
		if err != nil {
			return 0, 0, err
		}
		if lh != rh {
			return 0, 0, fmt.Errorf("block %d: black heights %d and %d differ", x, lh, rh)
		}
		m := max(uint32(b.Size()), lm, rm)
		if t.aug && b.Max() != m {
			return 0, 0, fmt.Errorf("block %d: subtree max %d, want %d", x, b.Max(), m)
		}
		if !t.red(x) {
			lh++
		}
		return lh, m, nil
	}
	if root != nilIdx && t.red(root) {
		return 0, fmt.Errorf("red root %d", root)
	}
	if _, _, err := walk(root, nilIdx); err != nil {
		return 0, err
	}
	return n, nil
}
