package carriers

import (
	"fmt"
	"math/rand/v2"
	"sort"
	"testing"
	"testing/quick"
)

// Property tests of the segment layer: random sequences of mseg calls on
// two instances sharing one Space, checked after every call:
//
//   - no two segments overlap: live segments, cached segments, the super
//     carrier's free segments and its descriptor pages tile the two areas
//     exactly ([saBot, saTop) and [suaBot, suaTop));
//   - segments outside the super carrier overlap nothing;
//   - the free sets stay coalesced and consistent (CheckInvariants);
//   - mseg's segment counts and sizes match the live set;
//   - with a large super carrier, freeing everything (and clearing the
//     caches) brings sa_top and sua_bot back to where they started.

type spPropCfg struct {
	name     string
	scsMiB   uint64
	sco      bool
	mcs      int
	scrfsd   uint64
	maxMBC   uint64
	maxSBC   uint64
	restores bool // everything freed => back to the start
}

type spPropSeg struct {
	addr, size uint64
	mbc        bool
	inst       int
}

func spPropRun(t *testing.T, c spPropCfg, seed uint64, ops int) error {
	r := rand.New(rand.NewPCG(seed, 0x5eed))
	cfg := DefaultSpaceConfig()
	cfg.SCS, cfg.SCO, cfg.MCS, cfg.SCRFSD, cfg.MsegInstances = c.scsMiB*spMiB, c.sco, c.mcs, c.scrfsd, 2
	s := NewSpace(cfg)
	start := s.MmapInfo()
	var live []spPropSeg
	size := func(max uint64) uint64 {
		// Log-uniform-ish: many small, some large.
		return r.Uint64N(max>>r.UintN(6)) + 1
	}
	for step := 0; step < ops; step++ {
		inst := r.IntN(2)
		m := s.Mseg(inst)
		op := r.IntN(20)
		switch {
		case op < 5:
			if a, sz, ok := m.AllocMBC(size(c.maxMBC)); ok {
				live = append(live, spPropSeg{a, sz, true, inst})
			}
		case op < 10:
			if a, sz, ok := m.AllocSBC(size(c.maxSBC)); ok {
				live = append(live, spPropSeg{a, sz, false, inst})
			}
		case op < 16 && len(live) > 0:
			j := r.IntN(len(live))
			g := live[j]
			if g.mbc {
				s.Mseg(g.inst).DeallocMBC(g.addr, g.size)
			} else {
				s.Mseg(g.inst).DeallocSBC(g.addr, g.size)
			}
			live[j] = live[len(live)-1]
			live = live[:len(live)-1]
		case op < 19 && len(live) > 0:
			j := r.IntN(len(live))
			g := live[j]
			if g.mbc {
				continue
			}
			as, rs := uint64(4145152), uint64(20)
			if r.IntN(3) == 0 {
				as, rs = r.Uint64N(spMiB), r.Uint64N(100)
			}
			if a, sz, ok := s.Mseg(g.inst).ReallocSBC(g.addr, g.size, size(c.maxSBC), as, rs); ok {
				live[j].addr, live[j].size = a, sz
			}
		case op == 19:
			if r.IntN(10) == 0 {
				m.ClearCache()
			} else {
				m.Tick()
			}
		}
		if err := spPropCheck(s, live); err != nil {
			return fmt.Errorf("seed %d step %d: %v", seed, step, err)
		}
	}
	for _, g := range live {
		if g.mbc {
			s.Mseg(g.inst).DeallocMBC(g.addr, g.size)
		} else {
			s.Mseg(g.inst).DeallocSBC(g.addr, g.size)
		}
	}
	live = live[:0]
	s.Mseg(0).ClearCache()
	s.Mseg(1).ClearCache()
	if err := spPropCheck(s, live); err != nil {
		return fmt.Errorf("seed %d, all freed: %v", seed, err)
	}
	end := s.MmapInfo()
	if end.OSUsed != 0 {
		return fmt.Errorf("seed %d: %d bytes still mapped outside the super carrier", seed, end.OSUsed)
	}
	if c.restores && (end.SATop != start.SATop || end.SUABot != start.SUABot || end.FreeSegsSA+end.FreeSegsSUA != 0 || end.Used != start.Used) {
		return fmt.Errorf("seed %d: not back to the start: sa_top %+d, sua_bot %+d, %d+%d free segments, used %d -> %d",
			seed, int64(end.SATop-start.SATop), int64(end.SUABot-start.SUABot), end.FreeSegsSA, end.FreeSegsSUA, start.Used, end.Used)
	}
	return nil
}

func spPropCheck(s *Space, live []spPropSeg) error {
	if err := s.CheckInvariants(); err != nil {
		return err
	}
	type rg struct {
		s, e uint64
		what string
	}
	var in, out []rg
	var segNo, segSz [2]uint64
	sc := s.sc
	inSC := func(a uint64) bool { return sc != nil && sc.inSC(a) }
	add := func(a, n uint64, what string) {
		if inSC(a) {
			in = append(in, rg{a, a + n, what})
		} else {
			out = append(out, rg{a, a + n, what})
		}
	}
	for _, g := range live {
		add(g.addr, g.size, "live")
		segNo[g.inst]++
		segSz[g.inst] += g.size
	}
	for i := range 2 {
		m := s.Mseg(i)
		info := m.Info(false)
		if info.Segments.Cur != segNo[i] || info.SegmentsSize.Cur != segSz[i] {
			return fmt.Errorf("mseg %d: %d segments of %d bytes, live set %d of %d", i, info.Segments.Cur, info.SegmentsSize.Cur, segNo[i], segSz[i])
		}
		if m.CachedSegments() > s.cfg.MCS {
			return fmt.Errorf("mseg %d: %d cached segments, mcs %d", i, m.CachedSegments(), s.cfg.MCS)
		}
		for _, c := range m.Cache() {
			add(c.Addr, c.Size, "cached")
		}
	}
	if sc != nil {
		sa, sua := s.FreeSegments()
		for _, f := range append(sa, sua...) {
			in = append(in, rg{f.Start, f.End, "free"})
		}
	}
	overlap := func(rs []rg) error {
		sort.Slice(rs, func(i, j int) bool { return rs[i].s < rs[j].s || rs[i].s == rs[j].s && rs[i].e < rs[j].e })
		for i := 1; i < len(rs); i++ {
			if rs[i].s < rs[i-1].e {
				return fmt.Errorf("%s [%#x,%#x) overlaps %s [%#x,%#x)", rs[i].what, rs[i].s, rs[i].e, rs[i-1].what, rs[i-1].s, rs[i-1].e)
			}
		}
		return nil
	}
	if err := overlap(out); err != nil {
		return err
	}
	if sc != nil {
		for _, x := range out {
			if x.e > sc.start && x.s < sc.end {
				return fmt.Errorf("%s [%#x,%#x) outside the areas but inside the super carrier", x.what, x.s, x.e)
			}
		}
		if err := overlap(in); err != nil {
			return err
		}
		var sum uint64
		for _, x := range in {
			if !(x.s >= sc.saBot && x.e <= sc.saTop) && !(x.s >= sc.suaBot && x.e <= sc.suaTop) {
				return fmt.Errorf("%s [%#x,%#x) outside the areas", x.what, x.s, x.e)
			}
			sum += x.e - x.s
		}
		if area := sc.saTop - sc.saBot + sc.suaTop - sc.suaBot; sum+sc.descPages*spPage != area {
			return fmt.Errorf("segments cover %d bytes + %d descriptor pages, the areas %d", sum, sc.descPages, area)
		}
	}
	return nil
}

func TestSpaceProperty(t *testing.T) {
	cfgs := []spPropCfg{
		{name: "big/mcs0", scsMiB: 8192, sco: true, mcs: 0, scrfsd: 65536, maxMBC: 8 * spMiB, maxSBC: 6 * spMiB, restores: true},
		{name: "big/mcs3", scsMiB: 8192, sco: true, mcs: 3, scrfsd: 65536, maxMBC: 8 * spMiB, maxSBC: 6 * spMiB, restores: true},
		{name: "big/mcs10", scsMiB: 8192, sco: true, mcs: 10, scrfsd: 65536, maxMBC: 2 * spMiB, maxSBC: 2 * spMiB, restores: true},
		// The areas meet: crossovers, failures.
		{name: "small/mcs0", scsMiB: 40, sco: true, mcs: 0, scrfsd: 65536, maxMBC: 4 * spMiB, maxSBC: 3 * spMiB},
		{name: "small/mcs3", scsMiB: 40, sco: true, mcs: 3, scrfsd: 65536, maxMBC: 4 * spMiB, maxSBC: 3 * spMiB},
		// ... plus the OS fallback and descriptor exhaustion (100 descriptors, small segments).
		{name: "small/sco-false/scrfsd100", scsMiB: 12, sco: false, mcs: 1, scrfsd: 100, maxMBC: 64 * spKiB, maxSBC: 256 * spKiB},
		{name: "tiny/sco/scrfsd100", scsMiB: 2, sco: true, mcs: 2, scrfsd: 100, maxMBC: 64 * spKiB, maxSBC: 64 * spKiB},
		// No super carrier: the Linux mmap model.
		{name: "nosc/mcs10", scsMiB: 0, sco: true, mcs: 10, scrfsd: 65536, maxMBC: 8 * spMiB, maxSBC: 6 * spMiB},
	}
	count, ops := 25, 400
	if testing.Short() {
		count, ops = 5, 200
	}
	for _, c := range cfgs {
		t.Run(c.name, func(t *testing.T) {
			var failure error
			prop := func(seed uint64) bool {
				failure = spPropRun(t, c, seed, ops)
				return failure == nil
			}
			if err := quick.Check(prop, &quick.Config{MaxCount: count, Rand: nil}); err != nil {
				t.Fatalf("%v: %v", err, failure)
			}
		})
	}
}

// TestSpaceDescriptorPages exhausts the descriptors of a minimal
// descriptor area with one-page segments (rule M8) and checks the coverage
// property with the pages it carves.
func TestSpaceDescriptorPages(t *testing.T) {
	cfg := DefaultSpaceConfig()
	cfg.SCS, cfg.SCRFSD, cfg.MCS, cfg.MsegInstances = 4*spMiB, 100, 0, 2
	s := NewSpace(cfg)
	m := s.Mseg(0)
	var live []spPropSeg
	for {
		a, sz, ok := m.AllocSBC(spPage)
		if !ok {
			break
		}
		live = append(live, spPropSeg{a, sz, false, 0})
	}
	var kept []spPropSeg
	for i, g := range live {
		if i%2 == 0 {
			m.DeallocSBC(g.addr, g.size)
		} else {
			kept = append(kept, g)
		}
		if i%16 != 0 && i != len(live)-1 {
			continue
		}
		if err := spPropCheck(s, append(kept, live[i+1:]...)); err != nil {
			t.Fatalf("after %d frees: %v", i/2+1, err)
		}
	}
	in := s.MmapInfo()
	if s.sc.descPages == 0 || in.FreeSegsAllocated <= in.FreeSegsReserved {
		t.Fatalf("no descriptor pages carved: %+v", in)
	}
	t.Logf("%d one-page holes, %d descriptor pages carved, %d descriptors", in.FreeSegsSUA, s.sc.descPages, in.FreeSegsAllocated)
}
