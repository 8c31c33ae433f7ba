package carriers

import (
	"testing"
)

// spNoSC is a Space without a super carrier, no mseg cache.
func spNoSC(t testing.TB) (*Space, *Mseg) {
	cfg := DefaultSpaceConfig()
	cfg.MCS = 0
	s := NewSpace(cfg)
	return s, s.Mseg(0)
}

// spTop is an address as an offset (<= 0) from the simulated mmap_base.
func spTop(a uint64) int64 { return int64(a) - int64(spMmapBase) }

func spGaps(s *Space) [][2]int64 {
	var out [][2]int64
	s.os.gaps.each(func(nd *spTreapNode) bool {
		switch {
		case nd.v <= spHeapBase+spHeapMax: // below the heap
		case nd.k1 == spHeapBase+spHeapMax:
			out = append(out, [2]int64{-1, spTop(nd.v)}) // the big gap above the heap
		default:
			out = append(out, [2]int64{spTop(nd.k1), spTop(nd.v)})
		}
		return true
	})
	return out
}

func spEqGaps(a, b [][2]int64) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// O1, O3: top-down placement, reuse of the highest fitting gap.
func TestMmapTopDown(t *testing.T) {
	s, m := spNoSC(t)
	p := int64(spPage)
	a := spSBC(t, m, 5*spPage)
	b := spSBC(t, m, 3*spPage)
	if spTop(a) != -5*p || spTop(b) != -8*p {
		t.Fatalf("a at %d, b at %d pages", spTop(a)/p, spTop(b)/p)
	}
	m.DeallocSBC(a, 5*spPage)
	c := spSBC(t, m, 2*spPage) // the top of the highest gap [-5, 0)
	if spTop(c) != -2*p {
		t.Fatalf("c at %d pages, want -2", spTop(c)/p)
	}
	d := spSBC(t, m, 10*spPage) // [-5,-2) is too small: below b
	if spTop(d) != -18*p {
		t.Fatalf("d at %d pages, want -18", spTop(d)/p)
	}
	if got, want := spGaps(s), [][2]int64{{-1, -18 * p}, {-5 * p, -2 * p}}; !spEqGaps(got, want) {
		t.Fatalf("gaps %v, want %v", got, want)
	}
	if s.MmapInfo().OSUsed != 15*spPage {
		t.Errorf("os used %d", s.MmapInfo().OSUsed)
	}
	spCheck(t, s)
}

// O4: an aligned request that lands unaligned is redone 16 KiB larger and
// trimmed: the top of the gap, aligned down.
func TestMmapAligned(t *testing.T) {
	s, m := spNoSC(t)
	k := int64(spKiB)
	spSBC(t, m, spPage) // [-4K, 0)
	a := spMBC(t, m, 16*spKiB)
	if spTop(a) != -32*k {
		t.Fatalf("MBC at %dK, want -32K", spTop(a)/k)
	}
	if got, want := spGaps(s), [][2]int64{{-1, -32 * k}, {-16 * k, -4 * k}}; !spEqGaps(got, want) {
		t.Fatalf("gaps %v, want %v", got, want)
	}
	// An aligned first try is kept.
	b := spMBC(t, m, 64*spKiB)
	if spTop(b) != -96*k {
		t.Fatalf("MBC at %dK, want -96K", spTop(b)/k)
	}
	// The 12 KiB gap is too small for 16 KiB; the next MBC goes below.
	c := spMBC(t, m, 16*spKiB)
	if spTop(c) != -112*k {
		t.Fatalf("MBC at %dK, want -112K", spTop(c)/k)
	}
	if s.MmapInfo().OSUsed != 4*spKiB+96*spKiB {
		t.Errorf("os used %d", s.MmapInfo().OSUsed)
	}
	spCheck(t, s)
}

// O3: mremap grows in place when the range above is free, else moves
// (new mapping first, then the old one goes); shrinks unmap the tail.
func TestMmapRemap(t *testing.T) {
	s, m := spNoSC(t)
	p := int64(spPage)
	a := spSBC(t, m, 5*spPage) // [-5, 0)
	b := spSBC(t, m, 3*spPage) // [-8, -5)
	m.DeallocSBC(a, 5*spPage)
	if x, sz, ok := m.ReallocSBC(b, 3*spPage, 6*spPage, 0, 0); !ok || x != b || sz != 6*spPage {
		t.Fatalf("grow in place: %v %d %d", ok, spTop(x)/p, sz)
	}
	x, sz, ok := m.ReallocSBC(b, 6*spPage, 20*spPage, 0, 0)
	if !ok || spTop(x) != -28*p || sz != 20*spPage {
		t.Fatalf("grow by moving: %v at %d pages", ok, spTop(x)/p)
	}
	if got, want := spGaps(s), [][2]int64{{-1, -28 * p}, {-8 * p, 0}}; !spEqGaps(got, want) {
		t.Fatalf("gaps %v, want %v", got, want)
	}
	if y, sz, ok := m.ReallocSBC(x, 20*spPage, 4*spPage, 0, 0); !ok || y != x || sz != 4*spPage {
		t.Fatalf("shrink: %v %d", ok, sz)
	}
	if got, want := spGaps(s), [][2]int64{{-1, -28 * p}, {-24 * p, 0}}; !spEqGaps(got, want) {
		t.Fatalf("gaps %v, want %v", got, want)
	}
	if s.MmapInfo().OSUsed != 4*spPage {
		t.Errorf("os used %d", s.MmapInfo().OSUsed)
	}
	spCheck(t, s)
}

// O4 with a super carrier and +MMsco false: segments the super carrier
// cannot take go to the OS, and a resize moves them back into it.
func TestMmapFallbackAndReturn(t *testing.T) {
	cfg := DefaultSpaceConfig()
	cfg.SCS, cfg.SCO, cfg.MCS, cfg.SCRFSD = 4*spMiB, false, 0, 100
	s := NewSpace(cfg)
	m := s.Mseg(0)
	in := s.MmapInfo()
	fill := spSBC(t, m, in.SUABot-in.SATop)
	o := spSBC(t, m, 10*spPage)
	if o >= in.Start || s.MmapInfo().OSUsed != 10*spPage {
		t.Fatalf("SBC at %#x, not below the super carrier at %#x", o, in.Start)
	}
	m.DeallocSBC(fill, in.SUABot-in.SATop)
	x, sz, ok := m.ReallocSBC(o, 10*spPage, 12*spPage, 0, 0)
	if !ok || x != s.MmapInfo().SUATop-12*spPage || sz != 12*spPage {
		t.Fatalf("resize of an OS segment: %v at %#x (super carrier %#x..%#x)", ok, x, in.Start, in.End)
	}
	if s.MmapInfo().OSUsed != 0 {
		t.Errorf("OS segment not unmapped: %d", s.MmapInfo().OSUsed)
	}
	spCheck(t, s)

	// M8 with +MMsco false: a descriptor page comes from the OS.
	cfg.SCS = 64 * spMiB
	s = NewSpace(cfg)
	m = s.Mseg(0)
	capacity := s.MmapInfo().FreeSegsReserved
	var segs []uint64
	for i := uint64(0); i < 2*capacity+4; i++ {
		segs = append(segs, spMBC(t, m, 16*spKiB))
	}
	for i := uint64(0); i <= 2*capacity; i += 2 {
		m.DeallocMBC(segs[i], 16*spKiB)
	}
	in = s.MmapInfo()
	if in.OSUsed != spPage || in.FreeSegsAllocated != capacity+64 || in.FreeSegsUsed != capacity+1 {
		t.Fatalf("descriptor page: os used %d, allocated %d, used %d", in.OSUsed, in.FreeSegsAllocated, in.FreeSegsUsed)
	}
	spCheck(t, s)
}
