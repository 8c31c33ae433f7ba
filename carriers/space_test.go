package carriers

import (
	"math/rand/v2"
	"slices"
	"testing"
)

const (
	spKiB = uint64(1) << 10
	spMiB = uint64(1) << 20
)

// spSC builds a Space with a super carrier of scs MiB and mcs cache slots.
func spSC(t testing.TB, scsMiB uint64, mcs int) (*Space, *Mseg) {
	t.Helper()
	cfg := DefaultSpaceConfig()
	cfg.SCS, cfg.MCS = scsMiB*spMiB, mcs
	s := NewSpace(cfg)
	return s, s.Mseg(0)
}

// sa gives an address as an offset from saBot, sua as an offset (<= 0) from
// suaTop.
func spSA(s *Space, a uint64) int64  { return int64(a - s.MmapInfo().SABot) }
func spSUA(s *Space, a uint64) int64 { return int64(a) - int64(s.MmapInfo().SUATop) }

func spMBC(t testing.TB, m *Mseg, want uint64) uint64 {
	t.Helper()
	a, sz, ok := m.AllocMBC(want)
	if !ok {
		t.Fatalf("AllocMBC(%d) failed", want)
	}
	if sz != spMbcSegSize(want) {
		t.Fatalf("AllocMBC(%d) gave %d bytes", want, sz)
	}
	return a
}

func spSBC(t testing.TB, m *Mseg, want uint64) uint64 {
	t.Helper()
	a, sz, ok := m.AllocSBC(want)
	if !ok {
		t.Fatalf("AllocSBC(%d) failed", want)
	}
	if sz != spCeil(want, spPage) {
		t.Fatalf("AllocSBC(%d) gave %d bytes", want, sz)
	}
	return a
}

func spCheck(t testing.TB, s *Space) {
	t.Helper()
	if err := s.CheckInvariants(); err != nil {
		t.Fatal(err)
	}
}

func spFree(s *Space) (sa, sua [][2]int64) {
	a, u := s.FreeSegments()
	for _, r := range a {
		sa = append(sa, [2]int64{spSA(s, r.Start), spSA(s, r.End)})
	}
	for _, r := range u {
		sua = append(sua, [2]int64{spSUA(s, r.Start), spSUA(s, r.End)})
	}
	return
}

func TestSpaceTreap(t *testing.T) {
	tr := spTreap{aug: true}
	ref := map[[2]uint64]uint64{}
	r := rand.New(rand.NewPCG(1, 2))
	for i := 0; i < 20000; i++ {
		k := [2]uint64{r.Uint64N(200), r.Uint64N(4)}
		if _, ok := ref[k]; ok {
			if !tr.Delete(k[0], k[1]) {
				t.Fatal("delete of a present key failed")
			}
			delete(ref, k)
		} else {
			a := r.Uint64N(1000)
			tr.Insert(k[0], k[1], a+1, a)
			ref[k] = a
		}
		if i%500 == 0 && !tr.check() {
			t.Fatal("treap invariants broken")
		}
		// Queries against a brute-force answer.
		q := [2]uint64{r.Uint64N(210), r.Uint64N(4)}
		n := r.Uint64N(1000)
		var ceil, below, lastA, firstA, ceilA *[2]uint64
		for k, a := range ref {
			k := k
			less := func(x, y *[2]uint64) bool { return spKeyLess(x[0], x[1], y[0], y[1]) }
			if !less(&k, &q) && (ceil == nil || less(&k, ceil)) {
				ceil = &k
			}
			if less(&k, &q) && (below == nil || less(below, &k)) {
				below = &k
			}
			if a >= n {
				if lastA == nil || less(lastA, &k) {
					lastA = &k
				}
				if firstA == nil || less(&k, firstA) {
					firstA = &k
				}
				if !less(&k, &q) && (ceilA == nil || less(&k, ceilA)) {
					ceilA = &k
				}
			}
		}
		for _, c := range []struct {
			name string
			got  int32
			want *[2]uint64
		}{
			{"Ceil", tr.Ceil(q[0], q[1]), ceil},
			{"Below", tr.Below(q[0], q[1]), below},
			{"LastWithA", tr.LastWithA(n), lastA},
			{"FirstWithA", tr.FirstWithA(n), firstA},
			{"CeilWithA", tr.CeilWithA(q[0], q[1], n), ceilA},
		} {
			switch {
			case c.want == nil && c.got != 0:
				t.Fatalf("%s: got a node, want none", c.name)
			case c.want != nil && (c.got == 0 || tr.Node(c.got).k1 != c.want[0] || tr.Node(c.got).k2 != c.want[1]):
				t.Fatalf("%s(%v, %d): got node %d, want %v", c.name, q, n, c.got, *c.want)
			}
		}
	}
	if tr.Len() != len(ref) {
		t.Fatalf("Len %d, want %d", tr.Len(), len(ref))
	}
}

func TestSpaceLayout(t *testing.T) {
	cfg := DefaultSpaceConfig()
	cfg.SCS = 16384 * spMiB
	s := NewSpace(cfg)
	in := s.MmapInfo()
	if in.End != spMmapBase || in.Start != spMmapBase-16384*spMiB {
		t.Errorf("super carrier at [%#x,%#x), want the top of the mmap area", in.Start, in.End)
	}
	if in.SABot != in.Start+65536*64 || in.SATop != in.SABot || in.SUABot != in.End || in.SUATop != in.End {
		t.Errorf("areas %+v", in)
	}
	if in.Used != 4*spMiB || in.FreeSegsReserved != 65536 || in.Total != 16384*spMiB {
		t.Errorf("sizes %+v", in)
	}
	// Minimum descriptor area (100 descriptors), rounded up to 16 KiB.
	cfg.SCRFSD = 7
	cfg.SCS = 64 * spMiB
	s = NewSpace(cfg)
	in = s.MmapInfo()
	if in.SABot-in.Start != 16*spKiB || in.FreeSegsReserved != 256 {
		t.Errorf("descriptor area %d bytes, %d reserved", in.SABot-in.Start, in.FreeSegsReserved)
	}
}

// M2(1): best fit by usable size, lowest address on equal size; the carrier
// at the segment's start.
func TestSpaceSABestFit(t *testing.T) {
	s, m := spSC(t, 1024, 0)
	var a [5]uint64
	for i, sz := range []uint64{1, 2, 1, 1, 1} {
		a[i] = spMBC(t, m, sz*spMiB)
	}
	// Layout: [0,1M) [1M,3M) [3M,4M) [4M,5M) [5M,6M), sa_top = 6M.
	m.DeallocMBC(a[1], 2*spMiB)
	m.DeallocMBC(a[3], spMiB)
	if got, _ := spFree(s); !slices.Equal(got, [][2]int64{{1 << 20, 3 << 20}, {4 << 20, 5 << 20}}) {
		t.Fatalf("free SA %v", got)
	}
	// The smaller hole wins although it is higher.
	if x := spSA(s, spMBC(t, m, spMiB)); x != 4<<20 {
		t.Errorf("1 MiB MBC at %d, want 4M (best fit)", x)
	}
	// Then the 2 MiB hole, at its start; its upper half stays free.
	if x := spSA(s, spMBC(t, m, spMiB)); x != 1<<20 {
		t.Errorf("1 MiB MBC at %d, want 1M", x)
	}
	if got, _ := spFree(s); !slices.Equal(got, [][2]int64{{2 << 20, 3 << 20}}) {
		t.Errorf("free SA %v", got)
	}
	// Equal sizes: lowest address.
	m.DeallocMBC(a[4], spMiB) // at sa_top: lowers it
	if s.MmapInfo().SATop-s.MmapInfo().SABot != 5<<20 {
		t.Fatalf("sa_top %d", s.MmapInfo().SATop-s.MmapInfo().SABot)
	}
	m.DeallocMBC(a[0], spMiB)
	// Free SA now [0,1M) and [2M,3M): two equal holes.
	if x := spSA(s, spMBC(t, m, 512*spKiB)); x != 0 {
		t.Errorf("512 KiB MBC at %d, want 0 (lowest of equal holes)", x)
	}
	if x := spSA(s, spMBC(t, m, spMiB)); x != 2<<20 {
		t.Errorf("1 MiB MBC at %d, want 2M", x)
	}
	// Nothing fits: raise sa_top.
	if x := spSA(s, spMBC(t, m, 4*spMiB)); x != 5<<20 {
		t.Errorf("4 MiB MBC at %d, want sa_top 5M", x)
	}
	spCheck(t, s)
}

// M4(1): best fit by size, highest address on equal size, the carrier at
// the segment's low end.
func TestSpaceSUABestFit(t *testing.T) {
	s, m := spSC(t, 1024, 0)
	sizes := []uint64{100, 50, 100, 10, 100, 10} // pages
	var a []uint64
	for _, p := range sizes {
		a = append(a, spSBC(t, m, p*spPage))
	}
	// From the top: [-100,0) [-150,-100) [-250,-150) [-260,-250) [-360,-260) [-370,-360) pages.
	pg := func(p int64) int64 { return p * spPage }
	if x := spSUA(s, a[2]); x != pg(-250) {
		t.Fatalf("third SBC at %d pages", x/spPage)
	}
	m.DeallocSBC(a[0], 100*spPage)
	m.DeallocSBC(a[2], 100*spPage)
	m.DeallocSBC(a[4], 100*spPage)
	// Equal 100-page holes at -100, -250, -360: the highest one, low end.
	if x := spSUA(s, spSBC(t, m, 30*spPage)); x != pg(-100) {
		t.Errorf("30-page SBC at %d pages, want -100 (highest of equal holes, low end)", x/spPage)
	}
	// Now holes of 70 (-70), 100 (-250), 100 (-360): best fit takes 70.
	if x := spSUA(s, spSBC(t, m, 60*spPage)); x != pg(-70) {
		t.Errorf("60-page SBC at %d pages, want -70", x/spPage)
	}
	// 100 pages: the higher of the two 100-page holes.
	if x := spSUA(s, spSBC(t, m, 100*spPage)); x != pg(-250) {
		t.Errorf("100-page SBC at %d pages, want -250", x/spPage)
	}
	// Too big for any hole: lower sua_bot.
	if x := spSUA(s, spSBC(t, m, 101*spPage)); x != pg(-471) {
		t.Errorf("101-page SBC at %d pages, want -471", x/spPage)
	}
	spCheck(t, s)
}

// M6: frees at the area edges move the edge (and swallow a free segment
// next to it); others coalesce with both neighbours.
func TestSpaceFreeEdgesAndCoalescing(t *testing.T) {
	s, m := spSC(t, 1024, 0)
	var b [4]uint64
	for i := range b {
		b[i] = spMBC(t, m, spMiB)
	}
	m.DeallocMBC(b[1], spMiB)
	m.DeallocMBC(b[2], spMiB) // merges with [1M,2M)
	if got, _ := spFree(s); !slices.Equal(got, [][2]int64{{1 << 20, 3 << 20}}) {
		t.Fatalf("free SA %v", got)
	}
	m.DeallocMBC(b[3], spMiB) // at sa_top: sa_top drops through the free segment to 1M
	if in := s.MmapInfo(); in.SATop-in.SABot != 1<<20 || in.FreeSegsSA != 0 {
		t.Fatalf("sa_top %d, %d free SA segments", in.SATop-in.SABot, in.FreeSegsSA)
	}
	// Middle segment freed between two free ones: one segment.
	var c [5]uint64
	for i := range c {
		c[i] = spMBC(t, m, spMiB)
	}
	m.DeallocMBC(c[0], spMiB)
	m.DeallocMBC(c[2], spMiB)
	m.DeallocMBC(c[1], spMiB)
	if got, _ := spFree(s); !slices.Equal(got, [][2]int64{{1 << 20, 4 << 20}}) {
		t.Fatalf("free SA %v", got)
	}

	var u [4]uint64
	for i := range u {
		u[i] = spSBC(t, m, 10*spPage)
	}
	m.DeallocSBC(u[2], 10*spPage)
	m.DeallocSBC(u[1], 10*spPage)
	if _, got := spFree(s); !slices.Equal(got, [][2]int64{{-30 * spPage, -10 * spPage}}) {
		t.Fatalf("free SUA %v", got)
	}
	m.DeallocSBC(u[3], 10*spPage) // at sua_bot: it rises through the free segment
	if in := s.MmapInfo(); spSUA(s, in.SUABot) != -10*spPage || in.FreeSegsSUA != 0 {
		t.Fatalf("sua_bot %d, %d free SUA segments", spSUA(s, in.SUABot), in.FreeSegsSUA)
	}
	m.DeallocSBC(u[0], 10*spPage)
	m.DeallocMBC(c[3], spMiB)
	m.DeallocMBC(c[4], spMiB)
	m.DeallocMBC(b[0], spMiB)
	in := s.MmapInfo()
	if in.SATop != in.SABot || in.SUABot != in.SUATop || in.FreeSegsSA+in.FreeSegsSUA != 0 || in.Used != 4*spMiB {
		t.Errorf("not back to the start: %+v", in)
	}
	spCheck(t, s)
}

// M7 / C7: SBC resize.
func TestSpaceSBCResize(t *testing.T) {
	s, m := spSC(t, 1024, 0)
	const as, rs = 4145152, 20
	pg := func(p uint64) uint64 { return p * spPage }
	x := spSBC(t, m, pg(100)) // [-100, 0)
	y := spSBC(t, m, pg(100)) // [-200, -100)
	z := spSBC(t, m, pg(100)) // [-300, -200)

	// C7: a small shrink keeps the size (less than 20 % and < asbcst).
	if a, sz, ok := m.ReallocSBC(y, pg(100), pg(81), as, rs); !ok || a != y || sz != pg(100) {
		t.Fatalf("shrink by 19%%: %v %d %d", ok, spSUA(s, a), sz)
	}
	// Exactly 20 %: resized.
	if a, sz, ok := m.ReallocSBC(y, pg(100), pg(80), as, rs); !ok || a != y || sz != pg(80) {
		t.Fatalf("shrink by 20%%: %v %d %d", ok, spSUA(s, a), sz)
	}
	// The tail became free: [-120, -100).
	if _, got := spFree(s); !slices.Equal(got, [][2]int64{{-120 * spPage, -100 * spPage}}) {
		t.Fatalf("free SUA %v", got)
	}
	// asbcst: an absolute shrink >= asbcst is done even under 20 %.
	if a, sz, ok := m.ReallocSBC(y, pg(80), pg(79), 4096, rs); !ok || a != y || sz != pg(79) {
		t.Fatalf("shrink by asbcst: %v %d", ok, sz)
	}
	// The new tail merges with the free segment above it.
	if _, got := spFree(s); !slices.Equal(got, [][2]int64{{-121 * spPage, -100 * spPage}}) {
		t.Fatalf("free SUA %v", got)
	}
	// Grow in place, partly into the free segment.
	if a, sz, ok := m.ReallocSBC(y, pg(79), pg(90), as, rs); !ok || a != y || sz != pg(90) {
		t.Fatalf("grow in place: %v %d %d", ok, spSUA(s, a), sz)
	}
	// Grow in place, exactly to its end.
	if a, sz, ok := m.ReallocSBC(y, pg(90), pg(100), as, rs); !ok || a != y || sz != pg(100) {
		t.Fatalf("grow in place exactly: %v %d", ok, sz)
	}
	if _, got := spFree(s); len(got) != 0 {
		t.Fatalf("free SUA %v", got)
	}
	// Grow with no room above: move; the new segment is placed while the
	// old one is held (at sua_bot, below z), then the old one is freed.
	a, sz, ok := m.ReallocSBC(y, pg(100), pg(150), as, rs)
	if !ok || spSUA(s, a) != -450*spPage || sz != pg(150) {
		t.Fatalf("grow by moving: %v at %d pages, %d", ok, spSUA(s, a)/spPage, sz)
	}
	if _, got := spFree(s); !slices.Equal(got, [][2]int64{{-200 * spPage, -100 * spPage}}) {
		t.Fatalf("free SUA %v", got)
	}
	// A grow that does not fit the free segment above moves into it if it
	// is the best fit: z [-300,-200) grows to 250 pages: no; to 180: the
	// free segment above z is [-200,-100), 100 pages, z needs 80 more -> in place.
	if a2, sz2, ok := m.ReallocSBC(z, pg(100), pg(180), as, rs); !ok || a2 != z || sz2 != pg(180) {
		t.Fatalf("grow z in place: %v %d", ok, sz2)
	}
	// Resize to the same size: nothing, but counted.
	before := m.Info(false).Calls
	if a2, sz2, ok := m.ReallocSBC(z, pg(180), pg(180)-100, as, rs); !ok || a2 != z || sz2 != pg(180) {
		t.Fatalf("same size: %v %d", ok, sz2)
	}
	after := m.Info(false).Calls
	if after.Realloc != before.Realloc+1 || after.Recreate != before.Recreate {
		t.Errorf("calls before %+v after %+v", before, after)
	}
	_ = x
	spCheck(t, s)
}

// M2(3), M4(3), M5, M7(4): the areas meet.
func TestSpaceCrossover(t *testing.T) {
	cfg := DefaultSpaceConfig()
	cfg.SCS, cfg.MCS, cfg.SCRFSD = 8*spMiB, 0, 100 // 16 KiB of descriptors
	s := NewSpace(cfg)
	m := s.Mseg(0)
	in := s.MmapInfo()
	room := in.SUABot - in.SATop // 8 MiB - 16 KiB
	if room != 8*spMiB-16*spKiB {
		t.Fatalf("room %d", room)
	}
	mb := spMBC(t, m, spMiB)                        // SA [0, 1M)
	hole := spMBC(t, m, spMiB)                      // SA [1M, 2M)
	top := spMBC(t, m, spMiB)                       // SA [2M, 3M)
	big := spSBC(t, m, 4*spMiB)                     // SUA [-4M, 0)
	low := spSBC(t, m, room-3*spMiB-4*spMiB-spPage) // leaves one page between the areas
	_, _ = mb, top
	if in = s.MmapInfo(); in.SUABot-in.SATop != spPage {
		t.Fatalf("gap %d", in.SUABot-in.SATop)
	}
	// An MBC: no SA hole, no room: fails (sco) ...
	if _, _, ok := m.AllocMBC(spMiB); ok {
		t.Fatal("MBC allocated in a full super carrier")
	}
	// ... an SBC goes into the SA hole, rounded up to 16 KiB.
	m.DeallocMBC(hole, spMiB)
	a, sz, ok := m.AllocSBC(100 * spKiB)
	if !ok || spSA(s, a) != 1<<20 || sz != 112*spKiB {
		t.Fatalf("SBC in SA: %v at %d, %d bytes", ok, spSA(s, a), sz)
	}
	// Resizing it while SUA has no fit: in place (SA rules).
	a2, sz2, ok := m.ReallocSBC(a, sz, 200*spKiB, 4145152, 20)
	if !ok || a2 != a || sz2 != 200*spKiB {
		t.Fatalf("resize SBC in SA: %v %d %d", ok, spSA(s, a2), sz2)
	}
	// Once SUA has a fit, a resize moves it back there (the wrong-area rule).
	m.DeallocSBC(big, 4*spMiB)
	a3, sz3, ok := m.ReallocSBC(a2, sz2, 300*spKiB, 4145152, 20)
	if !ok || spSUA(s, a3) != -4<<20 || sz3 != 300*spKiB {
		t.Fatalf("SBC back to SUA: %v at %d, %d", ok, spSUA(s, a3), sz3)
	}
	// Its SA space is free again and coalesced: [1M, 2M).
	if got, _ := spFree(s); !slices.Equal(got, [][2]int64{{1 << 20, 2 << 20}}) {
		t.Fatalf("free SA %v", got)
	}
	// An MBC that fits neither SA nor the gap goes into a SUA free segment
	// of at least S + 16 KiB, at its first aligned address.
	m2 := spMBC(t, m, spMiB) // takes the SA hole
	if spSA(s, m2) != 1<<20 {
		t.Fatalf("MBC not in the SA hole")
	}
	m3, sz4, ok := m.AllocMBC(2 * spMiB)
	if !ok || sz4 != 2*spMiB || m3&(spSAUnit-1) != 0 || m3 < s.MmapInfo().SUABot {
		t.Fatalf("MBC in SUA: %v at %#x", ok, m3)
	}
	// SUA free segment was [-4M+300K, 0): the MBC starts at the first aligned address.
	want := spCeil(s.MmapInfo().SUATop-4*spMiB+300*spKiB, spSAUnit)
	if m3 != want {
		t.Fatalf("MBC in SUA at %#x, want %#x", m3, want)
	}
	spCheck(t, s)
	// Freed, it goes back into SUA's free set (it lies above sa_top).
	m.DeallocMBC(m3, 2*spMiB)
	if _, got := spFree(s); !slices.Equal(got, [][2]int64{{-4<<20 + 300<<10, 0}}) {
		t.Fatalf("free SUA %v", got)
	}
	_ = low
	spCheck(t, s)

	// With +MMsco false the same MBC goes to the OS instead of failing.
	cfg.SCO = false
	s = NewSpace(cfg)
	m = s.Mseg(0)
	spSBC(t, m, room) // fill it
	a, sz, ok = m.AllocMBC(spMiB)
	in = s.MmapInfo()
	if !ok || sz != spMiB || a >= in.Start || a&(spSAUnit-1) != 0 || in.OSUsed != spMiB {
		t.Fatalf("OS fallback: %v at %#x (super carrier at %#x), os used %d", ok, a, in.Start, in.OSUsed)
	}
	if a+spMiB != in.Start {
		t.Errorf("OS mapping at %#x, want right below the super carrier %#x", a, in.Start)
	}
	m.DeallocMBC(a, spMiB)
	if s.MmapInfo().OSUsed != 0 {
		t.Error("OS segment not unmapped")
	}
	spCheck(t, s)
}

// M8: descriptor exhaustion with the minimum descriptor area.
func TestSpaceDescriptors(t *testing.T) {
	cfg := DefaultSpaceConfig()
	cfg.SCS, cfg.MCS, cfg.SCRFSD = 64*spMiB, 0, 100
	s := NewSpace(cfg)
	m := s.Mseg(0)
	capacity := s.MmapInfo().FreeSegsReserved // 256
	// 2·capacity+2 MBCs of 16 KiB; free every other one (not the top one):
	// capacity+1 free segments needed.
	n := int(2*capacity + 2)
	segs := make([]uint64, n)
	for i := range segs {
		segs[i] = spMBC(t, m, spSAUnit)
	}
	big := spSBC(t, m, 10*spPage)
	big2 := spSBC(t, m, 10*spPage)
	m.DeallocSBC(big, 10*spPage) // one SUA free segment of 10 pages (desc #1)
	_ = big2
	for i := 0; i < 2*int(capacity)-2; i += 2 {
		m.DeallocMBC(segs[i], spSAUnit)
	}
	in := s.MmapInfo()
	if in.FreeSegsUsed != capacity || in.FreeSegsAllocated != capacity {
		t.Fatalf("descriptors %d used, %d allocated, want %d", in.FreeSegsUsed, in.FreeSegsAllocated, capacity)
	}
	// The next free segment finds no descriptor: the first page of the
	// best-fit SUA free segment becomes 64 descriptors.
	m.DeallocMBC(segs[2*capacity-2], spSAUnit)
	in = s.MmapInfo()
	if in.FreeSegsAllocated != capacity+64 || in.FreeSegsUsed != capacity+1 {
		t.Fatalf("after exhaustion: %d allocated, %d used", in.FreeSegsAllocated, in.FreeSegsUsed)
	}
	_, sua := spFree(s)
	if len(sua) != 1 || sua[0][1]-sua[0][0] != 9*spPage {
		t.Fatalf("SUA free %v, want the 10-page segment minus its first page", sua)
	}
	spCheck(t, s)
}

func TestSpaceMmapInfoAccounting(t *testing.T) {
	s, m := spSC(t, 1024, 3)
	r := rand.New(rand.NewPCG(3, 4))
	type seg struct{ a, sz uint64 }
	var mbcs, sbcs []seg
	for i := 0; i < 3000; i++ {
		switch k := r.IntN(5); {
		case k == 0:
			a, sz, _ := m.AllocMBC(r.Uint64N(4*spMiB) + 1)
			mbcs = append(mbcs, seg{a, sz})
		case k == 1:
			a, sz, _ := m.AllocSBC(r.Uint64N(2*spMiB) + 1)
			sbcs = append(sbcs, seg{a, sz})
		case k == 2 && len(mbcs) > 0:
			j := r.IntN(len(mbcs))
			m.DeallocMBC(mbcs[j].a, mbcs[j].sz)
			mbcs = slices.Delete(mbcs, j, j+1)
		case k == 3 && len(sbcs) > 0:
			j := r.IntN(len(sbcs))
			m.DeallocSBC(sbcs[j].a, sbcs[j].sz)
			sbcs = slices.Delete(sbcs, j, j+1)
		case k == 4 && len(sbcs) > 0:
			j := r.IntN(len(sbcs))
			a, sz, ok := m.ReallocSBC(sbcs[j].a, sbcs[j].sz, r.Uint64N(2*spMiB)+1, 4145152, 20)
			if ok {
				sbcs[j] = seg{a, sz}
			}
		}
		var live, liveSA, liveSUA uint64
		for _, x := range mbcs {
			liveSA += x.sz
		}
		for _, x := range sbcs {
			liveSUA += x.sz
		}
		for _, c := range m.Cache() {
			if c.Powered {
				liveSA += c.Size
			} else {
				liveSUA += c.Size
			}
		}
		live = liveSA + liveSUA
		in := s.MmapInfo()
		if in.UsedSA != liveSA || in.UsedSUA != liveSUA || in.Used != live+4*spMiB {
			t.Fatalf("step %d: used %d/%d/%d, live %d/%d", i, in.Used, in.UsedSA, in.UsedSUA, liveSA, liveSUA)
		}
		info := m.Info(false)
		if info.Segments.Cur != uint64(len(mbcs)+len(sbcs)) || info.SegmentsSize.Cur != live-spCacheBytes(m) {
			t.Fatalf("step %d: mseg segments %d size %d", i, info.Segments.Cur, info.SegmentsSize.Cur)
		}
	}
	spCheck(t, s)
}

func spCacheBytes(m *Mseg) uint64 {
	var n uint64
	for _, c := range m.Cache() {
		n += c.Size
	}
	return n
}

// M7 for an SBC that lives in SA: it grows and shrinks at sa_top; a shrink
// there can leave sa_top unaligned, and the next MBC at sa_top then leaves
// the piece below its aligned start in SUA's free set (erl_mmap.c).
func TestSpaceSBCAtSATop(t *testing.T) {
	cfg := DefaultSpaceConfig()
	cfg.SCS, cfg.MCS, cfg.SCRFSD = 8*spMiB, 0, 100
	s := NewSpace(cfg)
	m := s.Mseg(0)
	in := s.MmapInfo()
	spMBC(t, m, spMiB)                      // A [0,1M)
	b := spMBC(t, m, spMiB)                 // B [1M,2M)
	c := spMBC(t, m, spMiB)                 // C [2M,3M)
	spSBC(t, m, in.SUABot-in.SATop-3*spMiB) // SUA meets SA at 3M
	m.DeallocMBC(b, spMiB)
	x, sz, _ := m.AllocSBC(100 * spKiB) // SA hole: 112 KiB at 1M
	if spSA(s, x) != 1<<20 || sz != 112*spKiB {
		t.Fatalf("SBC in SA at %d, %d", spSA(s, x), sz)
	}
	m.DeallocMBC(c, spMiB) // sa_top drops to the SBC's end
	if in = s.MmapInfo(); in.SATop != x+sz {
		t.Fatalf("sa_top %d", spSA(s, in.SATop))
	}
	// Grow at sa_top: sa_top rises (up to sua_bot).
	if y, ysz, ok := m.ReallocSBC(x, sz, 300*spKiB, 4145152, 20); !ok || y != x || ysz != 300*spKiB || s.MmapInfo().SATop != x+300*spKiB {
		t.Fatalf("grow at sa_top: %v %d %d", ok, spSA(s, y), ysz)
	}
	usedSA := s.MmapInfo().UsedSA
	// Shrink at sa_top: sa_top drops to the new (page-aligned) end; the
	// runtime does not decrease used_sa on this path.
	if y, ysz, ok := m.ReallocSBC(x, 300*spKiB, 148*spKiB, 4145152, 20); !ok || y != x || ysz != 148*spKiB {
		t.Fatalf("shrink at sa_top: %v %d", ok, ysz)
	}
	if in = s.MmapInfo(); in.SATop != x+148*spKiB || in.UsedSA != usedSA {
		t.Fatalf("sa_top %d, used_sa %d -> %d", spSA(s, in.SATop), usedSA, in.UsedSA)
	}
	// An MBC at the unaligned sa_top: aligned up; the 12 KiB below it go to
	// SUA's free set.
	mb := spMBC(t, m, 16*spKiB)
	if spSA(s, mb) != 1<<20+160<<10 {
		t.Fatalf("MBC at %d", spSA(s, mb))
	}
	_, sua := s.FreeSegments()
	if len(sua) != 1 || sua[0] != (SegRange{x + 148*spKiB, x + 160*spKiB}) {
		t.Fatalf("SUA free %v", sua)
	}
	spCheck(t, s)
	m.DeallocMBC(mb, 16*spKiB)
	m.DeallocSBC(x, 148*spKiB)
	sa, sua := s.FreeSegments()
	if in = s.MmapInfo(); in.SATop != x+160*spKiB || len(sa) != 1 || sa[0] != (SegRange{x, x + 148*spKiB}) || len(sua) != 1 {
		t.Fatalf("after freeing: sa_top %d, SA free %v, SUA free %v", spSA(s, in.SATop), sa, sua)
	}
	spCheck(t, s)
}

// M8 when SUA has no free segment: the first page of the best-fit SA
// segment becomes descriptors, leaving an unaligned SA segment; M2(1) then
// places MBCs at the first aligned address of such segments.
func TestSpaceUnalignedSASegments(t *testing.T) {
	cfg := DefaultSpaceConfig()
	cfg.SCS, cfg.MCS, cfg.SCRFSD = 64*spMiB, 0, 100
	s := NewSpace(cfg)
	m := s.Mseg(0)
	capacity := s.MmapInfo().FreeSegsReserved
	var segs []uint64
	for i := uint64(0); i < 2*capacity+8; i++ {
		segs = append(segs, spMBC(t, m, 16*spKiB))
	}
	for i := uint64(0); i < 2*capacity; i += 2 {
		m.DeallocMBC(segs[i], 16*spKiB)
	}
	// One more free segment: the lowest 16 KiB SA segment loses its first page.
	m.DeallocMBC(segs[2*capacity], 16*spKiB)
	if s.sc.descPages != 1 {
		t.Fatalf("%d descriptor pages", s.sc.descPages)
	}
	sa, _ := s.FreeSegments()
	if sa[0] != (SegRange{segs[0] + spPage, segs[0] + 16*spKiB}) {
		t.Fatalf("first SA free segment %v, want segs[0] minus a page", sa[0])
	}
	spCheck(t, s)
	// Merged with its neighbour, it has 16 KiB usable again: an MBC lands at
	// its aligned part and the 12 KiB in front stay free in SA.
	m.DeallocMBC(segs[1], 16*spKiB)
	a := spMBC(t, m, 32*spKiB) // nothing else has 32 KiB usable: [segs[0]+4K, segs[2]+16K)
	if a != segs[1] {
		t.Fatalf("32 KiB MBC at %#x, want %#x", a, segs[1])
	}
	sa, sua := s.FreeSegments()
	if sa[0] != (SegRange{segs[0] + spPage, segs[1]}) || len(sua) != 0 {
		t.Fatalf("SA free %v..., SUA free %v", sa[:2], sua)
	}
	// With room behind the aligned part, the piece in front goes to SUA's set.
	m.DeallocMBC(a, 32*spKiB)       // [segs[0]+4K, segs[3])
	m.DeallocMBC(segs[3], 16*spKiB) // [segs[0]+4K, segs[5])
	m.DeallocMBC(segs[5], 16*spKiB) // [segs[0]+4K, segs[7]): 96 KiB usable
	a = spMBC(t, m, 64*spKiB)
	if a != segs[1] {
		t.Fatalf("64 KiB MBC at %#x, want %#x", a, segs[1])
	}
	sa, sua = s.FreeSegments()
	if sa[0] != (SegRange{segs[5], segs[7]}) || len(sua) != 1 || sua[0] != (SegRange{segs[0] + spPage, segs[1]}) {
		t.Fatalf("SA free %v..., SUA free %v", sa[:2], sua)
	}
	spCheck(t, s)
}
