package strategies_test

import (
	"slices"

	"alloclab/carriers"
	"alloclab/strategies"
)

// Reference models of the ten strategies, written from the rules in
// /tmp/notes/strategies.md (erl_bestfit_alloc.c, erl_ao_firstfit_alloc.c,
// erl_goodfit_alloc.c, erl_afit_alloc.c) with plain slices and linear
// scans, so that they are obviously right rather than fast. The contract
// test runs a strategy and its model side by side on random operation
// sequences and demands the same block from every Get.

type refModel interface {
	link(b int32)
	unlink(b int32)
	get(w uint64, cand int32, candSize uint64) int32
	count() int
	// The instance starts or stops employing carrier c (nothing of it
	// linked); only the aoff family cares.
	addCarrier(c int32)
	removeCarrier(c int32)
}

// noCarriers is the carrier half of the models that ignore carriers.
type noCarriers struct{}

func (noCarriers) addCarrier(c int32)    {}
func (noCarriers) removeCarrier(c int32) {}

func newRef(k strategies.Kind, f *strategies.Fixture) refModel {
	switch k {
	case strategies.BF:
		return &refBF{h: f.Heap, classes: map[uint64][]int32{}}
	case strategies.AOBF:
		return &refAOBF{h: f.Heap, set: map[int32]bool{}}
	case strategies.GF:
		return newRefGF(f)
	case strategies.AF:
		return &refAF{h: f.Heap}
	}
	return newRefAOFF(k, f)
}

func remove(l []int32, b int32) []int32 {
	i := slices.Index(l, b)
	if i < 0 {
		panic("model: block not linked")
	}
	return slices.Delete(l, i, i+1)
}

// refBF: size classes [node, newest member, ..., oldest member]; Get hands
// out the first member, the node only when alone; candidate wins when
// candSize <= the class size.
type refBF struct {
	noCarriers
	h       *carriers.Heap
	classes map[uint64][]int32
	n       int
}

func (m *refBF) link(b int32) {
	sz := m.h.Blk(b).Size()
	if l, ok := m.classes[sz]; ok {
		m.classes[sz] = slices.Insert(l, 1, b)
	} else {
		m.classes[sz] = []int32{b}
	}
	m.n++
}

func (m *refBF) unlink(b int32) {
	sz := m.h.Blk(b).Size()
	l := remove(m.classes[sz], b)
	if len(l) == 0 {
		delete(m.classes, sz)
	} else {
		m.classes[sz] = l
	}
	m.n--
}

func (m *refBF) get(w uint64, cand int32, candSize uint64) int32 {
	best, ok := uint64(0), false
	for sz := range m.classes {
		if sz >= w && (!ok || sz < best) {
			best, ok = sz, true
		}
	}
	if !ok || (cand != carriers.Nil && candSize <= best) {
		return carriers.Nil
	}
	l := m.classes[best]
	b := l[0]
	if len(l) > 1 {
		b = l[1]
	}
	m.unlink(b)
	return b
}

func (m *refBF) count() int { return m.n }

// refAOBF: the smallest (size, address) that fits; the candidate wins when
// smaller, or equal and at a lower address.
type refAOBF struct {
	noCarriers
	h   *carriers.Heap
	set map[int32]bool
}

func (m *refAOBF) link(b int32)   { m.set[b] = true }
func (m *refAOBF) unlink(b int32) { delete(m.set, b) }
func (m *refAOBF) count() int     { return len(m.set) }

func (m *refAOBF) get(w uint64, cand int32, candSize uint64) int32 {
	best := carriers.Nil
	for b := range m.set {
		x := m.h.Blk(b)
		if x.Size() < w {
			continue
		}
		if best == carriers.Nil || x.Size() < m.h.Blk(best).Size() ||
			(x.Size() == m.h.Blk(best).Size() && x.Addr < m.h.Blk(best).Addr) {
			best = b
		}
	}
	if best == carriers.Nil {
		return best
	}
	if cand != carriers.Nil {
		bb := m.h.Blk(best)
		if candSize < bb.Size() || (candSize == bb.Size() && m.h.Blk(cand).Addr < bb.Addr) {
			return carriers.Nil
		}
	}
	m.unlink(best)
	return best
}

// refAOFF: carriers in address order (aoff*) or birth order (ageff*); the
// first with a fitting block; inside it the lowest fitting address (…aoff),
// the smallest (size, address) (…caobf), or the node of the smallest size
// class (…cbf, classes as bf's, the node handed out first). The candidate
// wins by address, except in the same carrier with a size order, where its
// own block size decides (cbf: ties go to the found block; caobf: ties by
// address).
type refAOFF struct {
	h       *carriers.Heap
	age     bool
	order   byte // 'a' address, 's' size+address, 'b' size classes
	crrs    []int32
	blocks  map[int32][]int32 // carrier -> linked blocks (order irrelevant for 'a' and 's')
	classes map[int32]map[uint64][]int32
	n       int
}

func newRefAOFF(k strategies.Kind, f *strategies.Fixture) *refAOFF {
	m := &refAOFF{h: f.Heap, crrs: slices.Clone(f.Crrs), blocks: map[int32][]int32{},
		classes: map[int32]map[uint64][]int32{}}
	switch k {
	case strategies.AOFF, strategies.AGEFFCAOFF:
		m.order = 'a'
	case strategies.AOFFCAOBF, strategies.AGEFFCAOBF:
		m.order = 's'
	default:
		m.order = 'b'
	}
	m.age = k == strategies.AGEFFCAOFF || k == strategies.AGEFFCBF || k == strategies.AGEFFCAOBF
	m.sortCarriers()
	for _, c := range m.crrs {
		m.classes[c] = map[uint64][]int32{}
	}
	return m
}

func (m *refAOFF) sortCarriers() {
	slices.SortFunc(m.crrs, func(a, b int32) int {
		ca, cb := m.h.Crr(a), m.h.Crr(b)
		if m.age && ca.Birth != cb.Birth {
			return cmpU(ca.Birth, cb.Birth)
		}
		return cmpU(ca.Addr, cb.Addr)
	})
}

func (m *refAOFF) addCarrier(c int32) {
	m.crrs = append(m.crrs, c)
	m.classes[c] = map[uint64][]int32{}
	m.sortCarriers()
}

func (m *refAOFF) removeCarrier(c int32) {
	if len(m.blocks[c]) != 0 {
		panic("model: removing a carrier with linked blocks")
	}
	m.crrs = remove(m.crrs, c)
}

func cmpU(a, b uint64) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

func (m *refAOFF) link(b int32) {
	c := m.h.Blk(b).Crr
	m.blocks[c] = append(m.blocks[c], b)
	if m.order == 'b' {
		sz := m.h.Blk(b).Size()
		if l, ok := m.classes[c][sz]; ok {
			m.classes[c][sz] = slices.Insert(l, 1, b)
		} else {
			m.classes[c][sz] = []int32{b}
		}
	}
	m.n++
}

func (m *refAOFF) unlink(b int32) {
	c := m.h.Blk(b).Crr
	m.blocks[c] = remove(m.blocks[c], b)
	if m.order == 'b' {
		sz := m.h.Blk(b).Size()
		l := remove(m.classes[c][sz], b)
		if len(l) == 0 {
			delete(m.classes[c], sz)
		} else {
			m.classes[c][sz] = l
		}
	}
	m.n--
}

func (m *refAOFF) count() int { return m.n }

func (m *refAOFF) get(w uint64, cand int32, candSize uint64) int32 {
	for _, c := range m.crrs {
		best := carriers.Nil
		for _, b := range m.blocks[c] {
			x := m.h.Blk(b)
			if x.Size() < w {
				continue
			}
			if best == carriers.Nil {
				best = b
				continue
			}
			y := m.h.Blk(best)
			switch m.order {
			case 'a':
				if x.Addr < y.Addr {
					best = b
				}
			default:
				if x.Size() < y.Size() || (x.Size() == y.Size() && x.Addr < y.Addr) {
					best = b
				}
			}
		}
		if best == carriers.Nil {
			continue
		}
		if m.order == 'b' {
			best = m.classes[c][m.h.Blk(best).Size()][0] // the class's node
		}
		if cand != carriers.Nil && m.candWins(cand, best) {
			return carriers.Nil
		}
		m.unlink(best)
		return best
	}
	return carriers.Nil
}

func (m *refAOFF) candWins(cand, b int32) bool {
	cb, bb := m.h.Blk(cand), m.h.Blk(b)
	if m.order != 'a' && cb.Crr == bb.Crr {
		if cb.Size() != bb.Size() || m.order == 'b' {
			return cb.Size() < bb.Size()
		}
	}
	return cb.Addr < bb.Addr
}

// refGF: 256 LIFO buckets; a search looks at mbsd blocks from the head of
// the wanted size's bucket, then of the next non-empty bucket only; exact
// fits off the last aux carrier return at once, else off-carrier beats
// on-carrier, then the smaller size, then nearer the head.
type refGF struct {
	noCarriers
	f       *strategies.Fixture
	d, maxD uint64
	buckets [256][]int32
	n       int
}

func newRefGF(f *strategies.Fixture) *refGF {
	m := &refGF{f: f}
	sbct := f.Env.SBCT
	if sbct > 57895 {
		m.d = ((3*(sbct-57896-1))/63 + 1) / 2
		m.d = (m.d + 7) / 8 * 8
	}
	m.d = max(m.d, 768)
	m.maxD = 64*m.d + 57896 - 1
	return m
}

func (m *refGF) bkt(s uint64) int {
	switch {
	case s <= 551:
		return int((s - 40) / 8)
	case s <= 8743:
		return int((s-552)/128) + 64
	case s <= 57895:
		return int((s-8744)/768) + 128
	case s <= m.maxD:
		return int((s-57896)/m.d) + 192
	}
	return 255
}

func (m *refGF) bktMin(i int) uint64 {
	switch {
	case i < 64:
		return uint64(i)*8 + 40
	case i < 128:
		return uint64(i-64)*128 + 552
	case i < 192:
		return uint64(i-128)*768 + 8744
	}
	return uint64(i-192)*m.d + 57896
}

func (m *refGF) link(b int32) {
	i := m.bkt(m.f.Heap.Blk(b).Size())
	m.buckets[i] = slices.Insert(m.buckets[i], 0, b)
	m.n++
}

func (m *refGF) unlink(b int32) {
	i := m.bkt(m.f.Heap.Blk(b).Size())
	m.buckets[i] = remove(m.buckets[i], b)
	m.n--
}

func (m *refGF) count() int { return m.n }

func (m *refGF) firstNonEmpty(i int) int {
	for ; i < 256; i++ {
		if len(m.buckets[i]) > 0 {
			return i
		}
	}
	return -1
}

func (m *refGF) search(i int, w uint64) int32 {
	minSz := max(m.bktMin(i), w)
	lam := m.f.Env.LastAux
	cand, candOn, candSz := carriers.Nil, false, uint64(0)
	for j, b := range m.buckets[i] {
		if uint64(j) >= max(m.f.Env.MBSD, 1) {
			break
		}
		x := m.f.Heap.Blk(b)
		on := lam != carriers.Nil && x.Crr == lam
		if x.Size() == minSz && !on {
			return b
		}
		if x.Size() >= minSz && (cand == carriers.Nil || (!on && (candOn || x.Size() < candSz)) || (on && candOn && x.Size() < candSz)) {
			cand, candOn, candSz = b, on, x.Size()
		}
	}
	return cand
}

func (m *refGF) get(w uint64, cand int32, candSize uint64) int32 {
	u := m.bkt(w)
	b := m.firstNonEmpty(u)
	if b < 0 {
		return carriers.Nil
	}
	var blk int32 = carriers.Nil
	if b == u {
		blk = m.search(b, w)
		if blk == carriers.Nil {
			if b = m.firstNonEmpty(b + 1); b < 0 {
				return carriers.Nil
			}
		}
	}
	if blk == carriers.Nil {
		blk = m.search(b, w)
	}
	if cand != carriers.Nil && candSize <= m.f.Heap.Blk(blk).Size() {
		return carriers.Nil
	}
	m.unlink(blk)
	return blk
}

// refAF: one list; a new block becomes the head unless the head is larger
// (then it goes second); Get takes the head if it fits; candidates ignored.
type refAF struct {
	noCarriers
	h    *carriers.Heap
	list []int32
}

func (m *refAF) link(b int32) {
	if len(m.list) > 0 && m.h.Blk(m.list[0]).Size() > m.h.Blk(b).Size() {
		m.list = slices.Insert(m.list, 1, b)
	} else {
		m.list = slices.Insert(m.list, 0, b)
	}
}

func (m *refAF) unlink(b int32) { m.list = remove(m.list, b) }
func (m *refAF) count() int     { return len(m.list) }

func (m *refAF) get(w uint64, cand int32, candSize uint64) int32 {
	if len(m.list) == 0 || m.h.Blk(m.list[0]).Size() < w {
		return carriers.Nil
	}
	b := m.list[0]
	m.unlink(b)
	return b
}
