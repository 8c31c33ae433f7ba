package strategies

import (
	"fmt"
	"math/bits"
)

// gf, good fit (erl_goodfit_alloc.c; erts-alloc-facts §5.4): segregated free
// lists. 256 buckets in four ranges of 64: sizes 40–551 in steps of 8,
// 552–8743 in steps of 128, 8744–57895 in steps of 768, and from 57896 in
// steps of d, where d depends on sbct; everything larger shares the last
// bucket. Freed blocks are pushed at the head of their bucket (LIFO), and a
// two-level bitmap finds the first non-empty bucket at or above the one of
// the wanted size.
//
// A search looks at no more than mbsd (default 3) blocks from the head of
// that bucket — in the wanted size's own bucket some blocks may be too
// small — and, if the own bucket yields nothing, at no more than mbsd blocks
// of the next non-empty bucket only. Among the blocks it looks at, an exact
// fit outside the "last aux MBC" (the instance's newest carrier, unless
// that is the main carrier) is taken at once; otherwise blocks outside that
// carrier beat blocks in it, then the smaller size, then the one nearer the
// head. gf thereby lets the newest carrier drain so that it can be released.
type gf struct {
	env   *Env
	heads [gfBuckets]int32
	sub   [gfBuckets / 64]uint64
	main  uint64 // bit i: sub[i] != 0
	d     uint64 // bucket width of the D range
	maxD  uint64
}

const (
	gfBuckets = 256
	gfMinA    = 40
	gfMaxA    = 64*8 + gfMinA - 1 // 551
	gfMinB    = gfMaxA + 1
	gfMaxB    = 64*128 + gfMinB - 1 // 8743
	gfMinC    = gfMaxB + 1
	gfMaxC    = 64*768 + gfMinC - 1 // 57895
	gfMinD    = gfMaxC + 1          // 57896
)

func newGF(env *Env) *gf {
	s := &gf{env: env}
	for i := range s.heads {
		s.heads[i] = nilIdx
	}
	// erts_gfalc_start: the D range's width from sbct (bytes), at least
	// the C range's 768, rounded up to the 8-byte unit. For sbct 512 KiB:
	// d = 11112, D range up to 769063 (§5.4, measured).
	var d uint64
	if env.SBCT > gfMinD-1 {
		d = ((3*(env.SBCT-gfMinD-1))/63 + 1) / 2
		d = (d + 7) &^ 7
	}
	if d < 768 {
		d = 768
	}
	s.d = d
	s.maxD = 64*d + gfMinD - 1
	return s
}

func (s *gf) Kind() Kind            { return GF }
func (s *gf) AddCarrier(c int32)    {}
func (s *gf) RemoveCarrier(c int32) {}

func (s *gf) bucket(size uint64) int {
	switch {
	case size < gfMinA:
		return 0 // below any block; the instance never asks for it
	case size <= gfMaxA:
		return int((size - gfMinA) / 8)
	case size <= gfMaxB:
		return int((size-gfMinB)/128) + 64
	case size <= gfMaxC:
		return int((size-gfMinC)/768) + 128
	case size <= s.maxD:
		return int((size-gfMinD)/s.d) + 192
	}
	return 255
}

func (s *gf) bucketMin(i int) uint64 {
	switch {
	case i < 64:
		return uint64(i)*8 + gfMinA
	case i < 128:
		return uint64(i-64)*128 + gfMinB
	case i < 192:
		return uint64(i-128)*768 + gfMinC
	}
	return uint64(i-192)*s.d + gfMinD
}

// find returns the first non-empty bucket at or above i, or -1.
func (s *gf) find(i int) int {
	if i >= gfBuckets {
		return -1
	}
	w := i / 64
	if m := s.sub[w] >> uint(i%64); m != 0 {
		return i + bits.TrailingZeros64(m)
	}
	if m := s.main >> uint(w+1); m != 0 && w+1 < len(s.sub) {
		w += 1 + bits.TrailingZeros64(m)
		return w*64 + bits.TrailingZeros64(s.sub[w])
	}
	return -1
}

func (s *gf) Link(b int32) {
	bs := s.env.Heap.Blocks
	i := s.bucket(bs[b].Size())
	h := s.heads[i]
	bs[b].L, bs[b].R = nilIdx, h
	if h != nilIdx {
		bs[h].L = b
	}
	s.heads[i] = b
	s.sub[i/64] |= 1 << uint(i%64)
	s.main |= 1 << uint(i/64)
}

func (s *gf) Unlink(b int32) {
	bs := s.env.Heap.Blocks
	bb := &bs[b]
	if bb.L != nilIdx {
		bs[bb.L].R = bb.R
	} else {
		i := s.bucket(bb.Size())
		s.heads[i] = bb.R
		if bb.R == nilIdx {
			s.sub[i/64] &^= 1 << uint(i%64)
			if s.sub[i/64] == 0 {
				s.main &^= 1 << uint(i/64)
			}
		}
	}
	if bb.R != nilIdx {
		bs[bb.R].L = bb.L
	}
	bb.L, bb.R = nilIdx, nilIdx
}

// search is search_bucket: at most mbsd blocks from the head of bucket i.
func (s *gf) search(i int, size uint64) int32 {
	bs := s.env.Heap.Blocks
	minSz := max(s.bucketMin(i), size)
	lam := s.env.LastAux
	cand, candOn := nilIdx, false
	var candSz uint64
	n := uint64(0)
	for b := s.heads[i]; b != nilIdx && n < s.env.MBSD; b = bs[b].R {
		n++
		sz := bs[b].Size()
		on := lam != nilIdx && bs[b].Crr == lam
		if sz == minSz && !on {
			return b
		}
		if sz >= minSz && (cand == nilIdx || (!on && (candOn || sz < candSz)) || (on && candOn && sz < candSz)) {
			cand, candSz, candOn = b, sz, on
		}
	}
	return cand
}

func (s *gf) Get(size uint64, cand int32, candSize uint64) int32 {
	u := s.bucket(size)
	b := s.find(u)
	if b < 0 {
		return nilIdx
	}
	if b == u {
		if blk := s.search(b, size); blk != nilIdx {
			return s.take(blk, cand, candSize)
		}
		if b = s.find(b + 1); b < 0 {
			return nilIdx
		}
	}
	return s.take(s.search(b, size), cand, candSize)
}

func (s *gf) take(b, cand int32, candSize uint64) int32 {
	if cand != nilIdx && candSize <= s.env.Heap.Blocks[b].Size() {
		return nilIdx
	}
	s.Unlink(b)
	return b
}

func (s *gf) Check() (int, error) {
	bs := s.env.Heap.Blocks
	n := 0
	for i, h := range s.heads {
		set := s.sub[i/64]&(1<<uint(i%64)) != 0
		if set != (h != nilIdx) {
			return 0, fmt.Errorf("gf bucket %d: mask bit %v, head %d", i, set, h)
		}
		prev := nilIdx
		for b := h; b != nilIdx; b = bs[b].R {
			if !bs[b].Free() || bs[b].L != prev || s.bucket(bs[b].Size()) != i {
				return 0, fmt.Errorf("gf bucket %d: bad block %d", i, b)
			}
			prev = b
			n++
		}
	}
	for w := range s.sub {
		if (s.sub[w] != 0) != (s.main&(1<<uint(w)) != 0) {
			return 0, fmt.Errorf("gf main mask bit %d stale", w)
		}
	}
	return n, nil
}
