package carriers

// spTreap is the ordered set behind every free-range index of the segment
// layer: the super carrier's free-segment maps (by size and by address), the
// gaps of the simulated Linux mmap area, and the free chunks of the simulated
// malloc heap.
//
// It is a treap over an index-linked arena: nodes live in one slice, links
// are int32 indexes (0 is the nil node), freed nodes go on a free list and
// are reused, so a treap that has reached its working size allocates nothing
// per operation. Priorities come from a xorshift generator seeded with a
// constant, so the tree shape — not that it matters for any result — is
// deterministic too.
//
// A node's key is the pair (k1, k2), ordered lexicographically; keys are
// unique. v is a payload (an end address, a start address). a is the
// augmentation input: every node keeps amax, the maximum a in its subtree,
// which answers "the highest (lowest) key whose a is at least n" in
// O(log n) — the question Linux's top-down mmap and a first-fit malloc ask.
type spTreap struct {
	n    []spTreapNode // n[0] is the nil node (amax 0)
	root int32
	free int32 // head of the free-node list, linked through l
	rnd  uint32
	len  int
	// aug enables the subtree maxima (LastWithA, FirstWithA, CeilWithA);
	// treaps that never ask those questions skip their upkeep.
	aug bool
}

type spTreapNode struct {
	k1, k2 uint64
	v      uint64
	a      uint64
	amax   uint64
	l, r   int32
	pri    uint32
}

func (t *spTreap) init() {
	if t.n == nil {
		t.n = make([]spTreapNode, 1, 16)
		t.rnd = 0x9e3779b9
	}
}

// Len is the number of keys in the treap.
func (t *spTreap) Len() int { return t.len }

func spKeyLess(a1, a2, b1, b2 uint64) bool {
	return a1 < b1 || (a1 == b1 && a2 < b2)
}

func (t *spTreap) fix(x int32) {
	if !t.aug {
		return
	}
	nd := &t.n[x]
	m := nd.a
	if l := nd.l; l != 0 && t.n[l].amax > m {
		m = t.n[l].amax
	}
	if r := nd.r; r != 0 && t.n[r].amax > m {
		m = t.n[r].amax
	}
	nd.amax = m
}

func (t *spTreap) newNode(k1, k2, v, a uint64) int32 {
	t.init()
	t.rnd ^= t.rnd << 13
	t.rnd ^= t.rnd >> 17
	t.rnd ^= t.rnd << 5
	nd := spTreapNode{k1: k1, k2: k2, v: v, a: a, amax: a, pri: t.rnd}
	if t.free != 0 {
		x := t.free
		t.free = t.n[x].l
		t.n[x] = nd
		return x
	}
	t.n = append(t.n, nd)
	return int32(len(t.n) - 1)
}

// Insert adds key (k1, k2) with payload v and augmentation input a. The key
// must not be present.
func (t *spTreap) Insert(k1, k2, v, a uint64) {
	x := t.newNode(k1, k2, v, a)
	t.root = t.insert(t.root, x)
	t.len++
}

func (t *spTreap) insert(root, x int32) int32 {
	if root == 0 {
		return x
	}
	if t.n[x].pri > t.n[root].pri {
		l, r := t.split(root, t.n[x].k1, t.n[x].k2)
		t.n[x].l, t.n[x].r = l, r
		t.fix(x)
		return x
	}
	if spKeyLess(t.n[x].k1, t.n[x].k2, t.n[root].k1, t.n[root].k2) {
		t.n[root].l = t.insert(t.n[root].l, x)
	} else {
		t.n[root].r = t.insert(t.n[root].r, x)
	}
	t.fix(root)
	return root
}

// split cuts the subtree at x into keys < (k1,k2) and keys >= (k1,k2).
func (t *spTreap) split(x int32, k1, k2 uint64) (int32, int32) {
	if x == 0 {
		return 0, 0
	}
	if spKeyLess(t.n[x].k1, t.n[x].k2, k1, k2) {
		l, r := t.split(t.n[x].r, k1, k2)
		t.n[x].r = l
		t.fix(x)
		return x, r
	}
	l, r := t.split(t.n[x].l, k1, k2)
	t.n[x].l = r
	t.fix(x)
	return l, x
}

func (t *spTreap) merge(a, b int32) int32 {
	if a == 0 {
		return b
	}
	if b == 0 {
		return a
	}
	if t.n[a].pri > t.n[b].pri {
		t.n[a].r = t.merge(t.n[a].r, b)
		t.fix(a)
		return a
	}
	t.n[b].l = t.merge(a, t.n[b].l)
	t.fix(b)
	return b
}

// Delete removes key (k1, k2) and reports whether it was present.
func (t *spTreap) Delete(k1, k2 uint64) bool {
	var found int32
	t.root = t.delete(t.root, k1, k2, &found)
	if found == 0 {
		return false
	}
	t.n[found] = spTreapNode{l: t.free}
	t.free = found
	t.len--
	return true
}

func (t *spTreap) delete(x int32, k1, k2 uint64, found *int32) int32 {
	if x == 0 {
		return 0
	}
	nd := &t.n[x]
	switch {
	case nd.k1 == k1 && nd.k2 == k2:
		*found = x
		return t.merge(nd.l, nd.r)
	case spKeyLess(k1, k2, nd.k1, nd.k2):
		l := t.delete(nd.l, k1, k2, found)
		t.n[x].l = l
	default:
		r := t.delete(nd.r, k1, k2, found)
		t.n[x].r = r
	}
	t.fix(x)
	return x
}

// Find returns the node holding key (k1, k2), or 0.
func (t *spTreap) Find(k1, k2 uint64) int32 {
	x := t.root
	for x != 0 {
		nd := &t.n[x]
		if nd.k1 == k1 && nd.k2 == k2 {
			return x
		}
		if spKeyLess(k1, k2, nd.k1, nd.k2) {
			x = nd.l
		} else {
			x = nd.r
		}
	}
	return 0
}

// Ceil returns the node with the smallest key >= (k1, k2), or 0.
func (t *spTreap) Ceil(k1, k2 uint64) int32 {
	x, best := t.root, int32(0)
	for x != 0 {
		nd := &t.n[x]
		if spKeyLess(nd.k1, nd.k2, k1, k2) {
			x = nd.r
		} else {
			best = x
			x = nd.l
		}
	}
	return best
}

// Below returns the node with the largest key < (k1, k2), or 0.
func (t *spTreap) Below(k1, k2 uint64) int32 {
	x, best := t.root, int32(0)
	for x != 0 {
		nd := &t.n[x]
		if spKeyLess(nd.k1, nd.k2, k1, k2) {
			best = x
			x = nd.r
		} else {
			x = nd.l
		}
	}
	return best
}

// LastWithA returns the node with the largest key whose a >= n, or 0.
func (t *spTreap) LastWithA(n uint64) int32 {
	x := t.root
	for x != 0 {
		nd := &t.n[x]
		if r := nd.r; r != 0 && t.n[r].amax >= n {
			x = r
			continue
		}
		if nd.a >= n {
			return x
		}
		if l := nd.l; l != 0 && t.n[l].amax >= n {
			x = l
			continue
		}
		return 0
	}
	return 0
}

// FirstWithA returns the node with the smallest key whose a >= n, or 0.
func (t *spTreap) FirstWithA(n uint64) int32 {
	x := t.root
	for x != 0 {
		nd := &t.n[x]
		if l := nd.l; l != 0 && t.n[l].amax >= n {
			x = l
			continue
		}
		if nd.a >= n {
			return x
		}
		if r := nd.r; r != 0 && t.n[r].amax >= n {
			x = r
			continue
		}
		return 0
	}
	return 0
}

// CeilWithA returns the node with the smallest key >= (k1, k2) whose a >= n,
// or 0.
func (t *spTreap) CeilWithA(k1, k2, n uint64) int32 { return t.ceilWithA(t.root, k1, k2, n) }

func (t *spTreap) ceilWithA(x int32, k1, k2, n uint64) int32 {
	for x != 0 && t.n[x].amax >= n {
		nd := &t.n[x]
		if spKeyLess(nd.k1, nd.k2, k1, k2) {
			x = nd.r
			continue
		}
		if r := t.ceilWithA(nd.l, k1, k2, n); r != 0 {
			return r
		}
		if nd.a >= n {
			return x
		}
		x = nd.r
	}
	return 0
}

// Min returns the node with the smallest key, or 0.
func (t *spTreap) Min() int32 {
	x := t.root
	if x == 0 {
		return 0
	}
	for t.n[x].l != 0 {
		x = t.n[x].l
	}
	return x
}

// Next returns the node following x in key order, or 0 (O(log n): a search
// from the root, the nodes carry no parent links).
func (t *spTreap) Next(x int32) int32 {
	nd := &t.n[x]
	k1, k2 := nd.k1, nd.k2
	y, best := t.root, int32(0)
	for y != 0 {
		yn := &t.n[y]
		if spKeyLess(k1, k2, yn.k1, yn.k2) {
			best = y
			y = yn.l
		} else {
			y = yn.r
		}
	}
	return best
}

// SetV changes the payload of node x (the key and a stay).
func (t *spTreap) SetV(x int32, v uint64) { t.n[x].v = v }

// Node gives read access to node x (valid until the next insertion).
func (t *spTreap) Node(x int32) *spTreapNode { return &t.n[x] }

// each calls f for every node in key order; it stops when f returns false.
// For tests and invariant checks (not the hot path).
func (t *spTreap) each(f func(nd *spTreapNode) bool) {
	var walk func(x int32) bool
	walk = func(x int32) bool {
		if x == 0 {
			return true
		}
		if !walk(t.n[x].l) {
			return false
		}
		if !f(&t.n[x]) {
			return false
		}
		return walk(t.n[x].r)
	}
	walk(t.root)
}

// check verifies heap order, key order and the subtree maxima; for tests.
func (t *spTreap) check() bool {
	count := 0
	var rec func(x int32, lo1, lo2, hi1, hi2 uint64, hasLo, hasHi bool) (uint64, bool)
	rec = func(x int32, lo1, lo2, hi1, hi2 uint64, hasLo, hasHi bool) (uint64, bool) {
		if x == 0 {
			return 0, true
		}
		count++
		nd := t.n[x]
		if hasLo && !spKeyLess(lo1, lo2, nd.k1, nd.k2) {
			return 0, false
		}
		if hasHi && !spKeyLess(nd.k1, nd.k2, hi1, hi2) {
			return 0, false
		}
		for _, c := range [2]int32{nd.l, nd.r} {
			if c != 0 && t.n[c].pri > nd.pri {
				return 0, false
			}
		}
		lm, ok := rec(nd.l, lo1, lo2, nd.k1, nd.k2, hasLo, true)
		if !ok {
			return 0, false
		}
		rm, ok := rec(nd.r, nd.k1, nd.k2, hi1, hi2, true, hasHi)
		if !ok {
			return 0, false
		}
		m := max(nd.a, lm, rm)
		return m, m == nd.amax || !t.aug
	}
	_, ok := rec(t.root, 0, 0, 0, 0, false, false)
	return ok && count == t.len
}
