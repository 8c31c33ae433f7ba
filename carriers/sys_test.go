package carriers

import (
	"math/rand/v2"
	"slices"
	"sort"
	"testing"
)

func spSysAlloc(t testing.TB, s *Space, size, align uint64) uint64 {
	t.Helper()
	a, ok := s.SysAlloc(size, align)
	if !ok {
		t.Fatalf("SysAlloc(%d, %d) failed", size, align)
	}
	if align > 16 && a%align != 0 {
		t.Fatalf("SysAlloc(%d, %d) = %#x not aligned", size, align, a)
	}
	return a
}

func spHeapFree(s *Space) [][2]uint64 {
	var out [][2]uint64
	s.sys.free.each(func(nd *spTreapNode) bool {
		out = append(out, [2]uint64{nd.k1 - spHeapBase, nd.v - spHeapBase})
		return true
	})
	return out
}

// S1, S2: the brk heap.
func TestSysHeap(t *testing.T) {
	s := NewSpace(DefaultSpaceConfig())
	h := uint64(spHeapBase)
	a := spSysAlloc(t, s, 100, 0)  // chunk 112 at 0
	b := spSysAlloc(t, s, 1000, 0) // chunk 1008 at 112
	c := spSysAlloc(t, s, 50, 0)   // chunk 64 at 1120
	if a != h+16 || b != h+112+16 || c != h+1120+16 {
		t.Fatalf("chunks at %d %d %d", a-h, b-h, c-h)
	}
	s.SysFree(a, 100)
	// First fit, the remainder stays free.
	if d := spSysAlloc(t, s, 40, 0); d != h+16 {
		t.Fatalf("40 bytes at %d, want 16", d-h)
	}
	if got := spHeapFree(s); !slices.Equal(got, [][2]uint64{{48, 112}}) {
		t.Fatalf("free %v", got)
	}
	// Too big for the hole: the top.
	e := spSysAlloc(t, s, 60, 0)
	if e != h+1184+16 {
		t.Fatalf("60 bytes at %d, want the top 1184", e-h)
	}
	// A remainder under 32 bytes stays with the chunk: 64-byte hole, 40-byte request.
	f := spSysAlloc(t, s, 40, 0) // chunk 48 in [48,112): rest 16 -> whole hole
	if f != h+48+16 || len(spHeapFree(s)) != 0 {
		t.Fatalf("40 bytes at %d, free %v", f-h, spHeapFree(s))
	}
	s.SysFree(f, 40)
	if got := spHeapFree(s); !slices.Equal(got, [][2]uint64{{48, 112}}) {
		t.Fatalf("free %v (the whole 64-byte chunk)", got)
	}
	// Frees at the top lower it, through free neighbours.
	s.SysFree(e, 60)
	s.SysFree(b, 1000)
	if got := spHeapFree(s); !slices.Equal(got, [][2]uint64{{48, 1120}}) {
		t.Fatalf("free %v", got)
	}
	s.SysFree(c, 50)
	if s.sys.heapTop != h+48 || len(spHeapFree(s)) != 0 {
		t.Fatalf("top %d, free %v", s.sys.heapTop-h, spHeapFree(s))
	}
	// Aligned: the pointer is aligned, a leading remainder stays free.
	g := spSysAlloc(t, s, 64*spKiB, 16384)
	if g-spChunkHdr < s.sys.heapTop-64*spKiB-32 || len(spHeapFree(s)) != 1 {
		t.Fatalf("aligned chunk at %#x, free %v", g, spHeapFree(s))
	}
	if s.SysChunks() != 2 {
		t.Errorf("%d chunks", s.SysChunks())
	}
}

// S3: large requests are mmapped, top-down, after the mseg segments made
// before them (S6).
func TestSysMmapped(t *testing.T) {
	s, m := spNoSC(t)
	seg := spSBC(t, m, 3*spPage) // [-12K, 0)
	a := spSysAlloc(t, s, 128*spKiB, 0)
	if spTop(a) != -12*int64(spKiB)-(128+4)*int64(spKiB)+16 {
		t.Fatalf("128 KiB at %d, want a 132 KiB mapping below the segment, +16", spTop(a))
	}
	b := spSysAlloc(t, s, spMiB, 16384)
	if b >= a || b%16384 != 0 {
		t.Fatalf("aligned 1 MiB at %#x", b)
	}
	// Just under the threshold: the heap.
	if c := spSysAlloc(t, s, 128*spKiB-1, 0); c >= spHeapBase+spHeapMax {
		t.Fatalf("128 KiB - 1 mmapped at %#x", c)
	}
	s.SysFree(a, 128*spKiB)
	s.SysFree(b, spMiB)
	m.DeallocSBC(seg, 3*spPage)
	if got := spGaps(s); len(got) != 1 || s.os.mapped != 0 {
		t.Fatalf("gaps %v, mapped %d", got, s.os.mapped)
	}
}

// S4, S5: realloc.
func TestSysRealloc(t *testing.T) {
	s := NewSpace(DefaultSpaceConfig())
	h := uint64(spHeapBase)
	a := spSysAlloc(t, s, 1000, 0) // [0, 1008)
	b := spSysAlloc(t, s, 1000, 0) // [1008, 2016), at the top
	// Grow at the top: in place.
	if x, _ := s.SysRealloc(b, 1000, 5000); x != b || s.sys.heapTop != h+1008+5008 {
		t.Fatalf("grow at top: %d, top %d", x-h, s.sys.heapTop-h)
	}
	// Blocked: move (to the top), the old chunk is freed.
	x, _ := s.SysRealloc(a, 1000, 2000)
	if x != h+6016+16 {
		t.Fatalf("moved to %d", x-h)
	}
	if got := spHeapFree(s); !slices.Equal(got, [][2]uint64{{0, 1008}}) {
		t.Fatalf("free %v", got)
	}
	// Shrink: a remainder >= 32 bytes is freed (and merges with the top).
	if y, _ := s.SysRealloc(x, 2000, 100); y != x || s.sys.heapTop != h+6016+112 {
		t.Fatalf("shrink: top %d", s.sys.heapTop-h)
	}
	// Grow into the free chunk after it.
	c := spSysAlloc(t, s, 100, 0) // first fit: [0, 112)
	if c != h+16 {
		t.Fatalf("c at %d", c-h)
	}
	if y, _ := s.SysRealloc(c, 100, 500); y != c {
		t.Fatalf("grow into free neighbour: %d", y-h)
	}
	if got := spHeapFree(s); !slices.Equal(got, [][2]uint64{{512, 1008}}) {
		t.Fatalf("free %v", got)
	}

	// mmapped chunks: mremap, in place when the range above is free.
	s2, _ := spNoSC(t)
	p := spSysAlloc(t, s2, spMiB, 0)   // mapping [-(1M+4K), 0)
	q := spSysAlloc(t, s2, 2*spMiB, 0) // below it
	if y, _ := s2.SysRealloc(q, 2*spMiB, 3*spMiB); y == q || y > q {
		t.Fatalf("blocked mmapped grow did not move down: %#x -> %#x", q, y)
	}
	// r is mapped below p's old place once p is gone: it grows in place.
	r := spSysAlloc(t, s2, 200*spKiB, 0)
	top := spSysAlloc(t, s2, 500*spKiB, 0)
	if top > r {
		t.Fatalf("mappings not top-down")
	}
	s2.SysFree(p, spMiB)
	r, top = top, r // the 500 KiB chunk is below the 200 KiB one
	s2.SysFree(top, 200*spKiB)
	if y, _ := s2.SysRealloc(r, 500*spKiB, 600*spKiB); y != r {
		t.Fatalf("mmapped grow with room above moved: %#x -> %#x", r, y)
	}
	// Shrinking keeps it mmapped (even below the threshold).
	if y, _ := s2.SysRealloc(r, 600*spKiB, 10*spKiB); y != r || !s2.sys.chunks[r].mmaped {
		t.Fatalf("mmapped shrink: %#x", y)
	}
}

// Property: random malloc/free/realloc never overlap, the free list stays
// coalesced, and freeing everything returns the heap and the mmap area to
// their start.
func TestSysProperty(t *testing.T) {
	for seed := uint64(1); seed <= 20; seed++ {
		r := rand.New(rand.NewPCG(seed, 77))
		s, _ := spNoSC(t)
		type ch struct{ a, n uint64 }
		var live []ch
		for step := 0; step < 2000; step++ {
			size := func() uint64 {
				if r.IntN(4) == 0 {
					return r.Uint64N(3*spMiB) + 1
				}
				return r.Uint64N(4000) + 1
			}
			switch k := r.IntN(10); {
			case k < 4 || len(live) == 0:
				align := uint64(0)
				if r.IntN(3) == 0 {
					align = 16384
				}
				n := size()
				live = append(live, ch{spSysAlloc(t, s, n, align), n})
			case k < 7:
				j := r.IntN(len(live))
				s.SysFree(live[j].a, live[j].n)
				live = slices.Delete(live, j, j+1)
			default:
				j := r.IntN(len(live))
				n := size()
				a, ok := s.SysRealloc(live[j].a, live[j].n, n)
				if !ok {
					t.Fatal("realloc failed")
				}
				live[j] = ch{a, n}
			}
			if step%50 == 0 || step == 1999 {
				spCheckSys(t, s)
			}
		}
		for _, c := range live {
			s.SysFree(c.a, c.n)
		}
		if s.sys.heapTop != spHeapBase || s.sys.free.Len() != 0 || s.os.mapped != 0 || s.SysChunks() != 0 {
			t.Fatalf("seed %d: not back to the start: top %#x, %d free, %d mapped", seed, s.sys.heapTop, s.sys.free.Len(), s.os.mapped)
		}
	}
}

// spCheckSys: chunks and free ranges tile [spHeapBase, heapTop) without
// overlap, free ranges are coalesced and none touches the top; mmapped
// chunks do not overlap and match the mmap model's mapped bytes.
func spCheckSys(t testing.TB, s *Space) {
	t.Helper()
	type rg struct {
		s, e uint64
		free bool
	}
	var heap, maps []rg
	var mapped uint64
	for _, c := range s.sys.chunks {
		if c.mmaped {
			maps = append(maps, rg{c.start, c.start + c.size, false})
			mapped += c.size
		} else {
			heap = append(heap, rg{c.start, c.start + c.size, false})
		}
	}
	s.sys.free.each(func(nd *spTreapNode) bool {
		heap = append(heap, rg{nd.k1, nd.v, true})
		return true
	})
	sort.Slice(heap, func(i, j int) bool { return heap[i].s < heap[j].s })
	at := uint64(spHeapBase)
	for i, x := range heap {
		if x.s != at {
			t.Fatalf("heap: range [%#x,%#x) does not start at %#x", x.s, x.e, at)
		}
		if x.free && i > 0 && heap[i-1].free {
			t.Fatalf("heap: free ranges not coalesced at %#x", x.s)
		}
		at = x.e
	}
	if at != s.sys.heapTop || (len(heap) > 0 && heap[len(heap)-1].free) {
		t.Fatalf("heap: ends at %#x, top %#x", at, s.sys.heapTop)
	}
	sort.Slice(maps, func(i, j int) bool { return maps[i].s < maps[j].s })
	for i := 1; i < len(maps); i++ {
		if maps[i].s < maps[i-1].e {
			t.Fatalf("mmapped chunks overlap at %#x", maps[i].s)
		}
	}
	if mapped != s.os.mapped {
		t.Fatalf("mmapped chunks %d bytes, mmap model %d", mapped, s.os.mapped)
	}
	if err := s.os.check(); err != nil {
		t.Fatal(err)
	}
	if !s.sys.free.check() {
		t.Fatal("heap free treap broken")
	}
}
