package strategies

import "alloclab/carriers"

// PooledTree is an instance's pooled_tree (erl_alloc_util.c, cpool.pooled
// nodes; erl_ao_firstfit_alloc.c aoff_add_pooled_mbc and friends;
// erts-alloc-facts §7.4): the carriers the instance owns and abandoned into
// the carrier pool, ordered like its carrier tree — by address (aoff,
// aoffcbf, aoffcaobf) or by birth (the ageff strategies) — each keyed by its
// search size (the largest free block when it was pooled, raised by frees
// into it while pooled), with subtree maxima. The fetch takes the first
// carrier in that order whose search size fits; the root is where the walk
// of the shared pool starts.
//
// A node is a heap Block that stands for its carrier: Addr holds the sort
// key (the carrier's address or birth), the size field the search size,
// Crr the carrier. The tree is the strategies' red-black tree, so nodes cost
// no allocation beyond their block slots.
type PooledTree struct {
	t    rbtree
	age  bool
	Root int32
}

// NewPooledTree returns an empty tree on heap h, ordered by birth when age
// is set (ageff*), else by address.
func NewPooledTree(h *carriers.Heap, age bool) *PooledTree {
	return &PooledTree{t: rbtree{h: h, order: byAddr, aug: true}, age: age, Root: nilIdx}
}

// AgeOrdered reports whether kind k orders carriers by birth.
func AgeOrdered(k Kind) bool { return k >= AGEFFCAOFF && k <= AGEFFCAOBF }

// Pools reports whether strategy k can take part in the carrier pool (the
// aoff family: only it has the pooled-tree operations).
func Pools(k Kind) bool { return k >= AOFF && k <= AGEFFCAOBF }

// Add inserts carrier c with search size key and returns its node.
func (p *PooledTree) Add(c int32, key uint64) int32 {
	h := p.t.h
	n := h.NewBlock()
	cr := &h.Carriers[c]
	b := &h.Blocks[n]
	b.Crr = c
	b.Addr = cr.Addr
	if p.age {
		b.Addr = cr.Birth
	}
	b.Hdr = key &^ 7
	b.U = 0
	b.SetMax(uint32(key))
	p.t.insert(&p.Root, n)
	return n
}

// Remove takes node n out of the tree, frees it and returns its search
// size.
func (p *PooledTree) Remove(n int32) uint64 {
	key := p.t.h.Blocks[n].Size()
	p.t.remove(&p.Root, n)
	p.t.h.FreeBlock(n)
	return key
}

// Key returns node n's search size.
func (p *PooledTree) Key(n int32) uint64 { return p.t.h.Blocks[n].Size() }

// Raise sets node n's search size to key when that is larger, and the
// subtree maxima above it (update_pooled_tree, erts_aoff_larger_max_size).
func (p *PooledTree) Raise(n int32, key uint64) {
	bs := p.t.h.Blocks
	if key <= bs[n].Size() {
		return
	}
	bs[n].SetSize(key)
	for x := n; x != nilIdx; x = bs[x].P {
		if uint64(bs[x].Max()) >= key {
			break
		}
		bs[x].SetMax(uint32(key))
	}
}

// FirstFit returns the first node in tree order whose search size is at
// least size (aoff_lookup_pooled_mbc), or Nil.
func (p *PooledTree) FirstFit(size uint64) int32 { return p.t.firstFit(p.Root, max(size, 1)) }

// Carrier returns the carrier node n stands for.
func (p *PooledTree) Carrier(n int32) int32 { return p.t.h.Blocks[n].Crr }
