package strategies

import (
	"fmt"

	"alloclab/carriers"
)

// The aoff family (erl_ao_firstfit_alloc.c; erts-alloc-facts §5.3): aoff,
// aoffcbf, aoffcaobf, ageffcaoff, ageffcbf, ageffcaobf.
//
// Two levels. The instance's MBCs are ordered by address (aoff*) or by birth
// (ageff*: creation order, address on ties), each knowing its largest free
// block; a search takes the first carrier in that order whose largest free
// block fits. Inside a carrier the free blocks form a tree ordered by the
// carrier's block order: address (…caoff, and plain aoff), (size, address)
// (…caobf), or size with equal-size lists (…cbf). Every tree node keeps the
// largest size in its subtree, and the search is the in-order-first node
// that fits: the lowest fitting address, or the smallest fitting size.
//
// cbf differs from bf in the equal-size tie: it hands out the tree node
// itself (the first block of that size linked), and the list's first member
// (the most recently linked) takes the node's place.
//
// A realloc candidate wins by address, except inside the same carrier with
// a size order, where its own block size is compared (not the candidate
// size with the neighbours: the runtime's cmp_cand_blk).
type aoff struct {
	env      *Env
	kind     Kind
	blkOrder order
	lists    bool // cbf: size classes with lists
	age      bool // carriers ordered by birth
	t        rbtree
	crrs     crrIndex
	// trees[o] is the block tree of order o: a carrier keeps the order of
	// the instance that created it (Carrier.BlkOrder = order+1), also
	// after migrating to an instance with another (carriers from a pool
	// shared between allocators whose strategies differ).
	trees [3]rbtree
}

func newAOFF(k Kind, env *Env) *aoff {
	s := &aoff{env: env, kind: k}
	switch k {
	case AOFF, AGEFFCAOFF:
		s.blkOrder = byAddr
	case AOFFCAOBF, AGEFFCAOBF:
		s.blkOrder = bySizeAddr
	default:
		s.blkOrder = bySize
		s.lists = true
	}
	s.age = k >= AGEFFCAOFF
	s.t = rbtree{h: env.Heap, order: s.blkOrder, aug: true}
	for o := range s.trees {
		s.trees[o] = rbtree{h: env.Heap, order: order(o), aug: true}
	}
	s.crrs = crrIndex{h: env.Heap, age: s.age}
	return s
}

func (s *aoff) Kind() Kind { return s.kind }

// AddCarrier enters c into the carrier order with its current largest free
// block (0 for a new carrier, whose first free block is linked afterwards).
func (s *aoff) AddCarrier(c int32) {
	cr := s.t.h.Crr(c)
	if cr.BlkOrder == 0 {
		cr.BlkOrder = uint8(s.blkOrder) + 1
	}
	cr.MaxFree = 0
	if cr.Root != nilIdx {
		cr.MaxFree = uint64(s.t.h.Blocks[cr.Root].Max())
	}
	s.crrs.add(c)
}

func (s *aoff) RemoveCarrier(c int32) { s.crrs.remove(c) }

// tree returns carrier cr's block tree and whether it keeps equal-size
// lists (cbf): the order of the carrier's creator.
func (s *aoff) tree(cr *carriers.Carrier) (*rbtree, bool) {
	if cr.BlkOrder == 0 {
		return &s.t, s.lists
	}
	o := order(cr.BlkOrder - 1)
	return &s.trees[o], o == bySize
}

func (s *aoff) Link(b int32) {
	h := s.t.h
	c := h.Blocks[b].Crr
	cr := &h.Carriers[c]
	t, lists := s.tree(cr)
	if lists {
		if n := findSize(h, cr.Root, h.Blocks[b].Size()); n != nilIdx {
			listPush(h, n, b)
			return
		}
	}
	t.insert(&cr.Root, b)
	if sz := h.Blocks[b].Size(); sz > cr.MaxFree {
		cr.MaxFree = sz
		s.crrs.update(c)
	}
}

func (s *aoff) Unlink(b int32) {
	h := s.t.h
	c := h.Blocks[b].Crr
	cr := &h.Carriers[c]
	t, lists := s.tree(cr)
	if lists && listUnlink(t, &cr.Root, b) {
		return
	}
	t.remove(&cr.Root, b)
	// The carrier's largest free block becomes its root's subtree
	// maximum (a Uint32 in the runtime: aoff_unlink_free_block).
	var m uint64
	if cr.Root != nilIdx {
		m = uint64(h.Blocks[cr.Root].Max())
	}
	if m != cr.MaxFree {
		cr.MaxFree = m
		s.crrs.update(c)
	}
}

func (s *aoff) Get(size uint64, cand int32, candSize uint64) int32 {
	// A carrier whose largest free block is 0 has none; the instance never
	// asks for less than a minimum block, this keeps Get(0) honest too.
	size = max(size, 1)
	c := s.crrs.firstFit(size)
	if c == nilIdx {
		return nilIdx
	}
	h := s.t.h
	t, _ := s.tree(&h.Carriers[c])
	b := t.firstFit(h.Carriers[c].Root, size)
	if cand != nilIdx && s.candWins(cand, b) {
		return nilIdx
	}
	s.Unlink(b)
	return b
}

// candWins is cmp_cand_blk(...) < 0.
func (s *aoff) candWins(cand, b int32) bool {
	bs := s.t.h.Blocks
	cb, bb := &bs[cand], &bs[b]
	t, lists := s.tree(&s.t.h.Carriers[bb.Crr])
	if t.order != byAddr && cb.Crr == bb.Crr {
		if cs, bsz := cb.Size(), bb.Size(); cs != bsz || lists {
			return cs < bsz
		}
	}
	return cb.Addr < bb.Addr
}

func (s *aoff) Check() (int, error) {
	h := s.t.h
	n := 0
	for i, c := range s.crrs.order {
		cr := &h.Carriers[c]
		if int(cr.Pos) != i {
			return 0, fmt.Errorf("carrier %d: index position %d, want %d", c, cr.Pos, i)
		}
		t, lists := s.tree(cr)
		k, err := checkTree(t, cr.Root, lists, &c)
		if err != nil {
			return 0, fmt.Errorf("carrier %d: %v", c, err)
		}
		var m uint64
		if cr.Root != nilIdx {
			m = uint64(h.Blocks[cr.Root].Max())
		}
		if m != cr.MaxFree {
			return 0, fmt.Errorf("carrier %d: largest free block %d, want %d", c, cr.MaxFree, m)
		}
		if i > 0 && !s.crrs.less(s.crrs.order[i-1], c) {
			return 0, fmt.Errorf("carrier %d out of order", c)
		}
		n += k
	}
	if err := s.crrs.check(); err != nil {
		return 0, err
	}
	return n, nil
}

// crrIndex orders the carriers an aoff-family instance employs and answers
// "first carrier in order whose largest free block is at least n" in
// O(log carriers) with a max segment tree over the ordered slice. Carriers
// come and go rarely (each is an mseg or sys_alloc call), so adding and
// removing rebuild the index; a change of a carrier's largest free block,
// which happens on most operations, updates one path. A carrier's position
// in the order is kept in Carrier.Pos.
type crrIndex struct {
	h     *carriers.Heap
	age   bool
	order []int32  // carriers in carrier order
	seg   []uint64 // seg[1] root; leaves at seg[size+i]
	size  int      // leaf count, a power of two
}

func (x *crrIndex) less(a, b int32) bool {
	ca, cb := &x.h.Carriers[a], &x.h.Carriers[b]
	if x.age && ca.Birth != cb.Birth {
		return ca.Birth < cb.Birth
	}
	return ca.Addr < cb.Addr
}

func (x *crrIndex) add(c int32) {
	i := len(x.order)
	for i > 0 && x.less(c, x.order[i-1]) {
		i--
	}
	x.order = append(x.order, nilIdx)
	copy(x.order[i+1:], x.order[i:])
	x.order[i] = c
	x.rebuild()
}

func (x *crrIndex) remove(c int32) {
	i := int(x.h.Carriers[c].Pos)
	if i < 0 || i >= len(x.order) || x.order[i] != c {
		return
	}
	x.order = append(x.order[:i], x.order[i+1:]...)
	x.h.Carriers[c].Pos = nilIdx
	x.rebuild()
}

func (x *crrIndex) rebuild() {
	n := 1
	for n < len(x.order) {
		n *= 2
	}
	x.size = n
	if cap(x.seg) < 2*n {
		x.seg = make([]uint64, 2*n)
	}
	x.seg = x.seg[:2*n]
	clear(x.seg)
	for i, c := range x.order {
		x.h.Carriers[c].Pos = int32(i)
		x.seg[n+i] = x.h.Carriers[c].MaxFree
	}
	for i := n - 1; i >= 1; i-- {
		x.seg[i] = max(x.seg[2*i], x.seg[2*i+1])
	}
}

func (x *crrIndex) update(c int32) {
	i := x.h.Carriers[c].Pos
	if i < 0 || int(i) >= len(x.order) || x.order[i] != c {
		return // not employed (being created or removed)
	}
	p := x.size + int(i)
	x.seg[p] = x.h.Carriers[c].MaxFree
	for p > 1 {
		p /= 2
		m := max(x.seg[2*p], x.seg[2*p+1])
		if x.seg[p] == m {
			break
		}
		x.seg[p] = m
	}
}

func (x *crrIndex) firstFit(n uint64) int32 {
	if len(x.order) == 0 || x.seg[1] < n {
		return nilIdx
	}
	p := 1
	for p < x.size {
		if x.seg[2*p] >= n {
			p = 2 * p
		} else {
			p = 2*p + 1
		}
	}
	return x.order[p-x.size]
}

func (x *crrIndex) check() error {
	for i, c := range x.order {
		if x.seg[x.size+i] != x.h.Carriers[c].MaxFree {
			return fmt.Errorf("carrier index: leaf %d stale", i)
		}
	}
	for i := x.size - 1; i >= 1; i-- {
		if x.seg[i] != max(x.seg[2*i], x.seg[2*i+1]) {
			return fmt.Errorf("carrier index: node %d stale", i)
		}
	}
	return nil
}
