package strategies

import "fmt"

// af, "a fit" (erl_afit_alloc.c; erts-alloc-facts §5.5): one free list. A
// freed block becomes the head unless the head is larger, in which case it
// goes second; so the head tends to be the largest block. An allocation
// looks at the head only: it fits or a new carrier is made. Realloc
// candidates are ignored. The runtime uses it only for temp_alloc's
// scheduler instances, whose blocks are short-lived.
type af struct {
	env  *Env
	head int32
}

func newAF(env *Env) *af { return &af{env: env, head: nilIdx} }

func (s *af) Kind() Kind            { return AF }
func (s *af) AddCarrier(c int32)    {}
func (s *af) RemoveCarrier(c int32) {}

func (s *af) Link(b int32) {
	bs := s.env.Heap.Blocks
	h := s.head
	if h != nilIdx && bs[h].Size() > bs[b].Size() {
		n := bs[h].R
		bs[b].L, bs[b].R = h, n
		bs[h].R = b
		if n != nilIdx {
			bs[n].L = b
		}
		return
	}
	bs[b].L, bs[b].R = nilIdx, h
	if h != nilIdx {
		bs[h].L = b
	}
	s.head = b
}

func (s *af) Unlink(b int32) {
	bs := s.env.Heap.Blocks
	bb := &bs[b]
	if bb.L != nilIdx {
		bs[bb.L].R = bb.R
	} else {
		s.head = bb.R
	}
	if bb.R != nilIdx {
		bs[bb.R].L = bb.L
	}
	bb.L, bb.R = nilIdx, nilIdx
}

func (s *af) Get(size uint64, cand int32, candSize uint64) int32 {
	h := s.head
	if h == nilIdx || s.env.Heap.Blocks[h].Size() < size {
		return nilIdx
	}
	s.Unlink(h)
	return h
}

func (s *af) Check() (int, error) {
	bs := s.env.Heap.Blocks
	n := 0
	prev := nilIdx
	for b := s.head; b != nilIdx; b = bs[b].R {
		if !bs[b].Free() || bs[b].L != prev {
			return 0, fmt.Errorf("af list: bad block %d", b)
		}
		prev = b
		n++
	}
	return n, nil
}
