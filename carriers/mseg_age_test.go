package carriers

import (
	"fmt"
	"slices"
	"testing"

	"pgregory.net/rapid"
)

// Rule C8 on the simulated clock: Space.Advance fires the node's ageing
// timer (armed for ceilMs(now)+1 s when a segment is cached while it is
// idle, re-armed 1 s after each firing while an instance is scheduled).

const spSec = uint64(1_000_000_000)

// spAgeSpace is a Space with n mseg instances and 10 cache slots each
// (no super carrier: the OS mmap model).
func spAgeSpace(n int) *Space {
	cfg := DefaultSpaceConfig()
	cfg.MCS, cfg.MsegInstances = 10, n
	return NewSpace(cfg)
}

// spAgeStep is one step of a firing-time scenario: at time at, either
// cache a 64 KiB MBC segment of instance inst ('c'), clear the cache
// of inst ('x'), or only move the clock ('a'); then the cached counts of
// the instances must be want.
type spAgeStep struct {
	op   byte
	at   uint64
	inst int
	want []int
}

func TestMsegAgeingFiringTimes(t *testing.T) {
	ms := func(n uint64) uint64 { return n * 1_000_000 }
	c := func(at uint64, inst int, want ...int) spAgeStep { return spAgeStep{'c', at, inst, want} }
	a := func(at uint64, want ...int) spAgeStep { return spAgeStep{'a', at, 0, want} }
	x := func(at uint64, inst int, want ...int) spAgeStep { return spAgeStep{'x', at, inst, want} }
	for _, tc := range []struct {
		name  string
		insts int
		steps []spAgeStep
		// checks, calls: the mseg_check_cache calls per instance at the end;
		// idle: whether the timer is stopped at the end.
		checks []uint64
		idle   bool
	}{
		{"cached at 0.3 s: first firing at 1.3 s", 1, []spAgeStep{
			c(ms(300), 0, 1),
			a(ms(1200), 1),
			a(ms(1300)-1, 1),
			a(ms(1300), 0),
		}, []uint64{1}, false},
		{"arm time rounded up to a 1 ms tick", 1, []spAgeStep{
			c(ms(300)+1, 0, 1),
			a(ms(1300)+1, 1),
			a(ms(1301)-1, 1),
			a(ms(1301), 0),
		}, []uint64{1}, false},
		{"cached at 0", 1, []spAgeStep{
			c(0, 0, 1),
			a(spSec-1, 1),
			a(spSec, 0),
		}, []uint64{1}, false},
		{"several cached: one per second", 1, []spAgeStep{
			c(0, 0, 1), c(0, 0, 2), c(0, 0, 3),
			a(ms(999), 3),
			a(ms(1000), 2),
			a(ms(2500), 1),
			a(ms(2999), 1),
			a(ms(3000), 0),
		}, []uint64{3}, false},
		{"long gap: one per second, then the timer stops", 1, []spAgeStep{
			c(0, 0, 1), c(0, 0, 2), c(0, 0, 3), c(0, 0, 4), c(0, 0, 5),
			a(ms(3500), 2),
			a(100*spSec, 0),
		}, []uint64{5}, true},
		{"re-armed from the firing, not from the caching", 1, []spAgeStep{
			c(0, 0, 1),
			c(ms(900), 0, 2),
			a(ms(1000), 1),
			a(ms(1900), 1), // 1 s after the second was cached: no firing
			a(ms(2000)-1, 1),
			a(ms(2000), 0),
		}, []uint64{2}, false},
		{"refilled before the idle firing: checked at it", 1, []spAgeStep{
			c(0, 0, 1),
			a(ms(1000), 0), // emptied; the timer is re-armed for 2 s
			c(ms(1500), 0, 1),
			a(ms(1999), 1),
			a(ms(2000), 0), // not 2.5 s
			a(ms(3000), 0), // idle firing: stops
		}, []uint64{2}, true},
		{"refilled after the timer stopped: re-armed from the new time", 1, []spAgeStep{
			c(0, 0, 1),
			a(ms(1000), 0),
			a(ms(2000), 0), // idle firing: the timer stops
			c(ms(2700), 0, 1),
			a(ms(3000), 1),
			a(ms(3699), 1),
			a(ms(3700), 0),
		}, []uint64{2}, false},
		{"instances share the timer's phase", 2, []spAgeStep{
			c(ms(200), 0, 1, 0),
			c(ms(700), 1, 1, 1),
			c(ms(700), 1, 1, 2),
			a(ms(1199), 1, 2),
			a(ms(1200), 0, 1), // instance 1 at 1.2 s, 0.5 s after caching
			a(ms(2200), 0, 0),
			c(ms(2500), 0, 1, 0), // before the idle firing at 3.2 s
			a(ms(3200), 0, 0),
		}, []uint64{2, 2}, false},
		{"cleared cache: one empty check, then the timer stops", 1, []spAgeStep{
			c(0, 0, 1), c(0, 0, 2),
			x(ms(500), 0, 0),
			a(ms(1000), 0),
			a(ms(2000), 0),
		}, []uint64{1}, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := spAgeSpace(tc.insts)
			// The segments the c steps cache, allocated up front (an
			// allocation would take a cached segment back).
			pool := make([][]uint64, tc.insts)
			for _, st := range tc.steps {
				if st.op == 'c' {
					pool[st.inst] = append(pool[st.inst], spMBC(t, s.Mseg(st.inst), 64*spKiB))
				}
			}
			for i, st := range tc.steps {
				s.Advance(st.at)
				m := s.Mseg(st.inst)
				switch st.op {
				case 'c':
					m.DeallocMBC(pool[st.inst][0], 64*spKiB)
					pool[st.inst] = pool[st.inst][1:]
				case 'x':
					m.ClearCache()
				}
				got := make([]int, tc.insts)
				for j := range got {
					got[j] = s.Mseg(j).CachedSegments()
				}
				if !slices.Equal(got, st.want) {
					t.Fatalf("step %d (%c at %d ns): cached %v, want %v", i, st.op, st.at, got, st.want)
				}
				if s.Now() != st.at {
					t.Fatalf("step %d: Now %d, want %d", i, s.Now(), st.at)
				}
				spCheck(t, s)
			}
			for j, w := range tc.checks {
				if got := s.Mseg(j).Info(false).Calls.CheckCache; got != w {
					t.Errorf("instance %d: %d mseg_check_cache calls, want %d", j, got, w)
				}
			}
			if idle := !s.tmo.armed; idle != tc.idle {
				t.Errorf("timer idle %v, want %v (due %d)", idle, tc.idle, s.tmo.due)
			}
		})
	}
}

// The clock never goes back, and ageing keeps the statistics the way
// mseg_cache_check does (destroy and watermark).
func TestMsegAgeingClockAndStats(t *testing.T) {
	s := spAgeSpace(1)
	m := s.Mseg(0)
	s.Advance(5 * spSec)
	a1, a2 := spMBC(t, m, 64*spKiB), spMBC(t, m, 64*spKiB)
	m.DeallocMBC(a1, 64*spKiB)
	m.DeallocMBC(a2, 64*spKiB)
	if at, ok := m.NextCheck(); !ok || at != 6*spSec {
		t.Fatalf("NextCheck = %d, %v; want 6 s", at, ok)
	}
	s.Advance(spSec) // backwards: ignored
	if s.Now() != 5*spSec || m.CachedSegments() != 2 {
		t.Fatalf("after a smaller Advance: now %d, cached %d", s.Now(), m.CachedSegments())
	}
	before := m.Info(false)
	s.Advance(6 * spSec)
	after := m.Info(false)
	if after.CachedSegments != 1 || after.Calls.Destroy != before.Calls.Destroy+1 ||
		after.SegmentsWatermark != before.SegmentsWatermark-1 || after.Calls.CheckCache != 1 ||
		!after.CacheCheckScheduled {
		t.Fatalf("one firing: before %+v after %+v", before, after)
	}
	if at, ok := m.NextCheck(); !ok || at != 7*spSec {
		t.Fatalf("NextCheck = %d, %v; want 7 s", at, ok)
	}
	s.Advance(7 * spSec)
	if _, ok := m.NextCheck(); ok || m.Info(false).CacheCheckScheduled {
		t.Fatal("check still scheduled with an empty cache")
	}
	spCheck(t, s)
}

func TestMsegAgeingAllocs(t *testing.T) {
	s := spAgeSpace(2)
	m := s.Mseg(1)
	now := uint64(0)
	if n := testing.AllocsPerRun(1000, func() {
		a, _, _ := m.AllocMBC(64 * spKiB)
		b, _, _ := m.AllocSBC(8 * spKiB)
		m.DeallocMBC(a, 64*spKiB)
		m.DeallocSBC(b, 8*spKiB)
		now += 700_000_000
		s.Advance(now)
	}); n != 0 {
		t.Errorf("%v allocations per alloc/dealloc/Advance cycle, want 0", n)
	}
}

// Property: under random mseg traffic and random clock steps the cache
// count stays within [0, mcs], a non-empty cache always has its check
// scheduled within ceilMs(now)+1 s, and an Advance by d ns destroys at most
// ceil(d / 1 s) segments of an instance by ageing (one per firing) — and
// at least min(cached, floor((d-1ms+1ns) / 1 s)) of them.
func TestMsegAgeingProperty(t *testing.T) {
	rapid.Check(t, func(rt *rapid.T) {
		insts := rapid.IntRange(1, 3).Draw(rt, "insts")
		mcs := rapid.IntRange(0, 6).Draw(rt, "mcs")
		cfg := DefaultSpaceConfig()
		cfg.MCS, cfg.MsegInstances = mcs, insts
		s := NewSpace(cfg)
		type seg struct {
			inst       int
			addr, size uint64
			mbc        bool
		}
		var live []seg
		steps := rapid.IntRange(1, 200).Draw(rt, "steps")
		for step := 0; step < steps; step++ {
			inst := rapid.IntRange(0, insts-1).Draw(rt, "inst")
			m := s.Mseg(inst)
			switch op := rapid.IntRange(0, 9).Draw(rt, "op"); {
			case op < 3:
				mbc := rapid.Bool().Draw(rt, "mbc")
				size := rapid.Uint64Range(1, 600*spKiB).Draw(rt, "size")
				var a, sz uint64
				var ok bool
				if mbc {
					a, sz, ok = m.AllocMBC(size)
				} else {
					a, sz, ok = m.AllocSBC(size)
				}
				if ok {
					live = append(live, seg{inst, a, sz, mbc})
				}
			case op < 6 && len(live) > 0:
				j := rapid.IntRange(0, len(live)-1).Draw(rt, "seg")
				g := live[j]
				if g.mbc {
					s.Mseg(g.inst).DeallocMBC(g.addr, g.size)
				} else {
					s.Mseg(g.inst).DeallocSBC(g.addr, g.size)
				}
				live = slices.Delete(live, j, j+1)
			case op == 6 && rapid.IntRange(0, 9).Draw(rt, "clear") == 0:
				m.ClearCache()
			default:
				d := rapid.OneOf(
					rapid.Uint64Range(0, 3*spSec),
					rapid.Uint64Range(0, 40)).Draw(rt, "d")
				if d <= 40 {
					d *= spSec / 4 // whole quarter seconds, often exactly on a firing
				}
				before := make([]int, insts)
				checks := make([]uint64, insts)
				for i := range before {
					before[i] = s.Mseg(i).CachedSegments()
					checks[i] = s.Mseg(i).Info(false).Calls.CheckCache
				}
				s.Advance(s.Now() + d)
				maxFirings := (d + spSec - 1) / spSec
				minFirings := uint64(0)
				if d >= spClkTck {
					minFirings = (d - spClkTck + 1) / spSec
				}
				for i := range before {
					mi := s.Mseg(i)
					after := mi.CachedSegments()
					if after < 0 || after > before[i] {
						rt.Fatalf("instance %d: cached %d -> %d over an Advance", i, before[i], after)
					}
					gone := uint64(before[i] - after)
					if gone > maxFirings {
						rt.Fatalf("instance %d: Advance by %d ns destroyed %d cached segments (at most %d)", i, d, gone, maxFirings)
					}
					if want := min(uint64(before[i]), minFirings); gone < want {
						rt.Fatalf("instance %d: Advance by %d ns destroyed %d of %d cached segments (at least %d)", i, d, gone, before[i], want)
					}
					if n := mi.Info(false).Calls.CheckCache - checks[i]; n > maxFirings {
						rt.Fatalf("instance %d: %d cache checks in %d ns", i, n, d)
					}
				}
			}
			for i := 0; i < insts; i++ {
				mi := s.Mseg(i)
				n := mi.CachedSegments()
				if n < 0 || n > mcs {
					rt.Fatalf("instance %d: %d cached segments (mcs %d)", i, n, mcs)
				}
				if n > 0 {
					at, ok := mi.NextCheck()
					if !ok || at <= s.Now() || at > s.Now()+spSec+spClkTck {
						rt.Fatalf("instance %d: %d cached, next check %d (ok %v) at now %d", i, n, at, ok, s.Now())
					}
				}
			}
			if err := s.CheckInvariants(); err != nil {
				rt.Fatal(fmt.Errorf("step %d: %w", step, err))
			}
		}
	})
}
