package carriers

import (
	"slices"
	"testing"
)

func TestMsegSizes(t *testing.T) {
	for _, c := range []struct{ want, mbc, sbc uint64 }{
		{1, 16 * spKiB, 4 * spKiB},
		{16 * spKiB, 16 * spKiB, 16 * spKiB},
		{16*spKiB + 1, 32 * spKiB, 20 * spKiB},
		{100 * spKiB, 128 * spKiB, 100 * spKiB},
		{32*spKiB + 1, 64 * spKiB, 9 * spPage},
		{spMiB, spMiB, spMiB},
		{5 * spMiB, 8 * spMiB, 5 * spMiB},
	} {
		s, m := spSC(t, 1024, 0)
		if _, sz, _ := m.AllocMBC(c.want); sz != c.mbc {
			t.Errorf("AllocMBC(%d): %d bytes, want %d", c.want, sz, c.mbc)
		}
		if _, sz, _ := m.AllocSBC(c.want); sz != c.sbc {
			t.Errorf("AllocSBC(%d): %d bytes, want %d", c.want, sz, c.sbc)
		}
		spCheck(t, s)
	}
}

func spCacheOf(s *Space, m *Mseg) []string {
	var out []string
	for _, c := range m.Cache() {
		k := "S"
		off := spSUA(s, c.Addr) / int64(spPage)
		if c.Powered {
			k, off = "M", spSA(s, c.Addr)/int64(spPage)
		}
		out = append(out, k+spItoa(off)+":"+spItoa(int64(c.Size/spPage)))
	}
	return out
}

func spItoa(x int64) string {
	if x < 0 {
		return "-" + spItoa(-x)
	}
	if x < 10 {
		return string(rune('0' + x))
	}
	return spItoa(x/10) + string(rune('0'+x%10))
}

// C2, C4, C6: MBC segments.
func TestMsegCacheMBC(t *testing.T) {
	s, m := spSC(t, 1024, 3)
	a := spMBC(t, m, spMiB)    // SA [0,1M)
	b := spMBC(t, m, spMiB)    // [1M,2M)
	c := spMBC(t, m, 4*spMiB)  // [2M,6M)
	d := spMBC(t, m, 64*spKiB) // [6M,6M+64K)
	e := spMBC(t, m, 64*spKiB) // [6M+64K,6M+128K)
	top := spMBC(t, m, spMiB)  // keeps everything below off sa_top
	m.DeallocMBC(a, spMiB)
	m.DeallocMBC(b, spMiB)
	if m.CachedSegments() != 2 || m.Segments() != 4 {
		t.Fatalf("cached %d, segments %d", m.CachedSegments(), m.Segments())
	}
	// Newest first within a class.
	if x, sz, _ := m.AllocMBC(600 * spKiB); x != b || sz != spMiB {
		t.Errorf("first 1 MiB reuse at %d, want b", spSA(s, x))
	}
	if x, _, _ := m.AllocMBC(spMiB); x != a {
		t.Errorf("second 1 MiB reuse at %d, want a", spSA(s, x))
	}
	// The first non-empty class >= S; the excess tail is unmapped at once.
	m.DeallocMBC(c, 4*spMiB)
	m.DeallocMBC(d, 64*spKiB)
	destroys := m.Info(false).Calls.Destroy
	if x, sz, _ := m.AllocMBC(spMiB); x != c || sz != spMiB {
		t.Fatalf("1 MiB from the 4 MiB class: at %d, %d bytes", spSA(s, x), sz)
	}
	if got := m.Info(false).Calls.Destroy; got != destroys+1 {
		t.Errorf("tail destroy not counted: %d -> %d", destroys, got)
	}
	if got, _ := spFree(s); !slices.Equal(got, [][2]int64{{3 << 20, 6 << 20}}) {
		t.Errorf("free SA %v, want the tail [3M,6M)", got)
	}
	// A smaller class is not used for a larger request.
	if x, _, _ := m.AllocMBC(128 * spKiB); x == d {
		t.Errorf("128 KiB request served from the 64 KiB class")
	}
	// C6: no free slot: an MBC segment is unmapped, it never evicts.
	m.DeallocMBC(a, spMiB)
	m.DeallocMBC(b, spMiB)
	if m.CachedSegments() != 3 {
		t.Fatalf("cached %d", m.CachedSegments())
	}
	before := spCacheOf(s, m)
	m.DeallocMBC(e, 64*spKiB)
	if m.CachedSegments() != 3 || !slices.Equal(spCacheOf(s, m), before) {
		t.Errorf("cache changed by an MBC free with no slot: %v -> %v", before, spCacheOf(s, m))
	}
	_ = top
	spCheck(t, s)
}

// C4, C5: SBC segments and eviction.
func TestMsegCacheEviction(t *testing.T) {
	pg := func(n uint64) uint64 { return n * spPage }
	s, m := spSC(t, 1024, 3)
	var x [5]uint64
	for i := range x {
		x[i] = spSBC(t, m, pg(uint64(10+i)))
	}
	keep := spSBC(t, m, pg(1))
	m.DeallocSBC(x[0], pg(10))
	m.DeallocSBC(x[1], pg(11))
	m.DeallocSBC(x[2], pg(12))
	if got, want := spCacheOf(s, m), []string{"S-33:12", "S-21:11", "S-10:10"}; !slices.Equal(got, want) {
		t.Fatalf("cache %v, want %v (newest first)", got, want)
	}
	// No free slot: the oldest unpowered segment (x0) is unmapped.
	m.DeallocSBC(x[3], pg(13))
	if got, want := spCacheOf(s, m), []string{"S-46:13", "S-33:12", "S-21:11"}; !slices.Equal(got, want) {
		t.Fatalf("cache %v, want %v", got, want)
	}
	if _, sua := spFree(s); !slices.Equal(sua, [][2]int64{{-10 * spPage, 0}}) {
		t.Errorf("free SUA %v, want x0's [-10,0)", sua)
	}
	_ = keep

	// mcs 1: an MBC is cached; a second MBC is unmapped; an SBC evicts the
	// MBC (the oldest segment of the smallest power class).
	s, m = spSC(t, 1024, 1)
	m1 := spMBC(t, m, spMiB)
	m2 := spMBC(t, m, 64*spKiB)
	spMBC(t, m, spMiB)
	sb := spSBC(t, m, pg(5))
	spSBC(t, m, pg(1))
	m.DeallocMBC(m1, spMiB)
	m.DeallocMBC(m2, 64*spKiB)
	if got := spCacheOf(s, m); !slices.Equal(got, []string{"M0:256"}) {
		t.Fatalf("cache %v", got)
	}
	m.DeallocSBC(sb, pg(5))
	if got := spCacheOf(s, m); !slices.Equal(got, []string{"S-5:5"}) {
		t.Fatalf("cache %v, want the SBC in the MBC's slot", got)
	}
	if got, _ := spFree(s); !slices.Equal(got, [][2]int64{{0, 1<<20 + 64<<10}}) {
		t.Errorf("free SA %v, want both MBCs unmapped and merged", got)
	}
	spCheck(t, s)

	// Powered classes only: the oldest segment of the *smallest* class goes.
	s, m = spSC(t, 1024, 3)
	p1 := spMBC(t, m, spMiB)
	q1 := spMBC(t, m, 64*spKiB)
	q2 := spMBC(t, m, 64*spKiB)
	spMBC(t, m, spMiB)
	sb = spSBC(t, m, pg(5))
	m.DeallocMBC(q1, 64*spKiB) // oldest 64 KiB
	m.DeallocMBC(p1, spMiB)
	m.DeallocMBC(q2, 64*spKiB)
	m.DeallocSBC(sb, pg(5))
	if got, want := spCacheOf(s, m), []string{"M272:16", "M0:256", "S-5:5"}; !slices.Equal(got, want) {
		t.Fatalf("cache %v, want %v", got, want)
	}
	if info := m.Info(false); info.CachedSegments != 3 || info.Calls.Destroy != 1 {
		t.Errorf("info %+v", info)
	}
	spCheck(t, s)
}

// C3: SBC reuse: the first good-enough segment newest -> oldest, taken
// whole; else the least excess is split.
func TestMsegCacheSBCFit(t *testing.T) {
	pg := func(n uint64) uint64 { return n * spPage }
	s, m := spSC(t, 1024, 3)
	a := spSBC(t, m, pg(110))
	b := spSBC(t, m, pg(105))
	c := spSBC(t, m, pg(150))
	spSBC(t, m, pg(1))
	m.DeallocSBC(a, pg(110))
	m.DeallocSBC(b, pg(105))
	m.DeallocSBC(c, pg(150)) // list: c(150) b(105) a(110)
	hits := m.Info(false).CacheHits
	// 150 is 50 % too big; 105 is 5 %: taken whole although 110 fits too.
	if x, sz, _ := m.AllocSBC(pg(100)); x != b || sz != pg(105) {
		t.Fatalf("good enough: at %d, %d pages; want b, 105", spSUA(s, x)/spPage, sz/spPage)
	}
	if x, sz, _ := m.AllocSBC(pg(100)); x != a || sz != pg(110) {
		t.Fatalf("good enough: at %d, %d pages; want a, 110", spSUA(s, x)/spPage, sz/spPage)
	}
	// None good enough: the least excess (c) is split, its rest stays
	// cached in place.
	if x, sz, _ := m.AllocSBC(pg(100)); x != c || sz != pg(100) {
		t.Fatalf("split: at %d, %d pages", spSUA(s, x)/spPage, sz/spPage)
	}
	if got := spCacheOf(s, m); !slices.Equal(got, []string{"S-265:50"}) {
		t.Fatalf("cache %v, want c's last 50 pages", got)
	}
	if info := m.Info(false); info.CacheHits != hits+3 || info.CachedSegments != 1 {
		t.Errorf("hits %d, cached %d", info.CacheHits-hits, info.CachedSegments)
	}
	// Too small for anything cached: a new segment.
	if x, _, _ := m.AllocSBC(pg(51)); x == c+pg(100) {
		t.Errorf("51 pages served by a 50-page segment")
	}
	spCheck(t, s)

	// Boundaries: exactly rmcbf % is not good enough; the split keeps the
	// list position (the older segment stays behind the newer).
	s, m = spSC(t, 1024, 3)
	x1 := spSBC(t, m, pg(120))
	x2 := spSBC(t, m, pg(130))
	spSBC(t, m, pg(1))
	m.DeallocSBC(x1, pg(120))
	m.DeallocSBC(x2, pg(130)) // list: x2(130) x1(120)
	if x, sz, _ := m.AllocSBC(pg(100)); x != x1 || sz != pg(100) {
		t.Fatalf("exactly 20 %%: at %d, %d pages; want x1 split", spSUA(s, x)/spPage, sz/spPage)
	}
	if got := spCacheOf(s, m); !slices.Equal(got, []string{"S-250:130", "S-20:20"}) {
		t.Fatalf("cache %v", got)
	}

	// amcbf: an excess of exactly amcbf bytes is not good enough.
	cfg := DefaultSpaceConfig()
	cfg.SCS, cfg.MCS = 1024*spMiB, 2
	s = NewSpace(cfg)
	m = s.Mseg(0)
	big := spSBC(t, m, 34*spMiB)
	spSBC(t, m, pg(1))
	m.DeallocSBC(big, 34*spMiB)
	if x, sz, _ := m.AllocSBC(30 * spMiB); x != big || sz != 30*spMiB {
		t.Fatalf("amcbf boundary: %d bytes", sz)
	}
	m.DeallocSBC(big, 30*spMiB) // list: big(30M) rest(4M)
	if x, sz, _ := m.AllocSBC(30*spMiB - spPage); x != big || sz != 30*spMiB {
		t.Fatalf("just under amcbf: at %#x, %d bytes; want the 30 MiB segment whole", x, sz)
	}
	spCheck(t, s)
}

// Statistics as erl_mseg.c keeps them.
func TestMsegStats(t *testing.T) {
	s, m := spSC(t, 1024, 2)
	a := spMBC(t, m, spMiB)
	b := spSBC(t, m, 5*spPage)
	c := spSBC(t, m, 7*spPage)
	m.DeallocSBC(b, 5*spPage)
	info := m.Info(true)
	want := MsegTriple{2, 3, 3}
	if info.Segments != want || info.SegmentsSize != (MsegTriple{spMiB + 7*spPage, spMiB + 12*spPage, spMiB + 12*spPage}) {
		t.Fatalf("segments %+v size %+v", info.Segments, info.SegmentsSize)
	}
	if info.SegmentsWatermark != 3 || info.CachedSegments != 1 || info.Calls.Alloc != 3 || info.Calls.Dealloc != 1 || info.Calls.Create != 3 {
		t.Fatalf("info %+v", info)
	}
	// The max was reset by the info call.
	if info = m.Info(false); info.Segments != (MsegTriple{2, 2, 3}) {
		t.Fatalf("after reset %+v", info.Segments)
	}
	// A growing realloc changes the size but not the max.
	if _, _, ok := m.ReallocSBC(c, 7*spPage, 100*spPage, 4145152, 20); !ok {
		t.Fatal("realloc failed")
	}
	if info = m.Info(false); info.SegmentsSize.Cur != spMiB+100*spPage || info.SegmentsSize.Max != spMiB+7*spPage {
		t.Fatalf("size after realloc %+v", info.SegmentsSize)
	}
	if info.Calls.Realloc != 1 || info.Calls.Recreate != 1 {
		t.Fatalf("calls %+v", info.Calls)
	}
	// realloc(NULL) allocates, realloc(p, 0) frees; neither is a realloc call.
	d, dsz, _ := m.ReallocSBC(0, 0, 3*spPage, 0, 0)
	m.ReallocSBC(d, dsz, 0, 0, 0)
	if info = m.Info(false); info.Calls.Realloc != 1 || info.Calls.Alloc != 3 || info.Calls.Dealloc != 1 || info.CacheHits != 1 {
		t.Fatalf("calls %+v hits %d", info.Calls, info.CacheHits)
	}
	_ = a
	spCheck(t, s)
}

// C8: ageing and clearing.
func TestMsegTickAndClear(t *testing.T) {
	s, m := spSC(t, 1024, 5)
	big := spMBC(t, m, spMiB)
	small1 := spMBC(t, m, 64*spKiB)
	small2 := spMBC(t, m, 64*spKiB)
	u := spSBC(t, m, 3*spPage)
	spMBC(t, m, 16*spKiB)
	spSBC(t, m, spPage)
	m.Tick() // not armed: nothing
	if info := m.Info(false); info.Calls.CheckCache != 0 || info.CacheCheckScheduled {
		t.Fatalf("tick while unarmed: %+v", info)
	}
	m.DeallocSBC(u, 3*spPage)
	m.DeallocMBC(big, spMiB)
	m.DeallocMBC(small1, 64*spKiB)
	m.DeallocMBC(small2, 64*spKiB)
	wm := m.Info(false).SegmentsWatermark
	var order []string
	for m.CachedSegments() > 0 {
		before := spCacheOf(s, m)
		m.Tick()
		after := spCacheOf(s, m)
		for _, e := range before {
			if !slices.Contains(after, e) {
				order = append(order, e)
			}
		}
	}
	if want := []string{"M256:16", "M272:16", "M0:256", "S-3:3"}; !slices.Equal(order, want) {
		t.Errorf("ageing order %v, want %v (smallest class oldest first, unpowered last)", order, want)
	}
	info := m.Info(false)
	if info.Calls.CheckCache != 4 || info.CacheCheckScheduled || info.SegmentsWatermark != wm-4 {
		t.Errorf("after ageing: %+v", info)
	}
	m.Tick()
	if m.Info(false).Calls.CheckCache != 4 {
		t.Error("tick after the cache emptied counted")
	}
	// ClearCache empties everything at once.
	a := spMBC(t, m, 32*spKiB)
	b := spSBC(t, m, 2*spPage)
	m.DeallocMBC(a, 32*spKiB)
	m.DeallocSBC(b, 2*spPage)
	m.ClearCache()
	if info = m.Info(false); info.CachedSegments != 0 || info.Calls.ClearCache != 1 {
		t.Errorf("after clear %+v", info)
	}
	spCheck(t, s)
}
