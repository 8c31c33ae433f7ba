package carriers

import (
	"fmt"
	"testing"
)

// Benchmarks of carrier churn: a working set of live segments where every
// iteration frees one and allocates (or resizes) another. A warm-up fills
// the treaps' node arenas first, so allocs/op shows the steady state.

type spBenchRand uint64

func (r *spBenchRand) next() uint64 {
	*r ^= *r << 13
	*r ^= *r >> 7
	*r ^= *r << 17
	return uint64(*r)
}

// size: log-uniform-ish between 1 and max.
func (r *spBenchRand) size(max uint64) uint64 {
	x := r.next()
	return x%(max>>(x>>58&7)) + 1
}

func spBenchSpace(scsMiB uint64, mcs int) *Space {
	cfg := DefaultSpaceConfig()
	cfg.SCS, cfg.MCS = scsMiB*spMiB, mcs
	return NewSpace(cfg)
}

func BenchmarkMsegMBCChurn(b *testing.B) {
	for _, c := range []struct {
		scs uint64
		mcs int
	}{{16384, 0}, {16384, 10}, {0, 10}} {
		b.Run(fmt.Sprintf("scs%d/mcs%d", c.scs, c.mcs), func(b *testing.B) {
			s := spBenchSpace(c.scs, c.mcs)
			m := s.Mseg(0)
			const live = 256
			var addr, size [live]uint64
			r := spBenchRand(88172645463325252)
			step := func(i int) {
				j := i % live
				if size[j] != 0 {
					m.DeallocMBC(addr[j], size[j])
				}
				var ok bool
				addr[j], size[j], ok = m.AllocMBC(r.size(8 * spMiB))
				if !ok {
					b.Fatal("AllocMBC failed")
				}
			}
			for i := 0; i < 20*live; i++ {
				step(int(r.next() % live))
			}
			b.ReportAllocs()
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				step(int(r.next() % live))
			}
		})
	}
}

func BenchmarkMsegSBCChurn(b *testing.B) {
	for _, c := range []struct {
		scs uint64
		mcs int
	}{{16384, 0}, {16384, 10}, {0, 10}} {
		b.Run(fmt.Sprintf("scs%d/mcs%d", c.scs, c.mcs), func(b *testing.B) {
			s := spBenchSpace(c.scs, c.mcs)
			m := s.Mseg(0)
			const live = 256
			var addr, size [live]uint64
			r := spBenchRand(88172645463325252)
			step := func(i int) {
				j := i % live
				x := r.next()
				switch {
				case size[j] == 0:
					addr[j], size[j], _ = m.AllocSBC(r.size(4 * spMiB))
				case x&3 == 0: // a quarter of the operations resize
					a, sz, ok := m.ReallocSBC(addr[j], size[j], spCeil(r.size(4*spMiB), spSAUnit), 4145152, 20)
					if ok {
						addr[j], size[j] = a, sz
					}
				default:
					m.DeallocSBC(addr[j], size[j])
					addr[j], size[j], _ = m.AllocSBC(r.size(4 * spMiB))
				}
			}
			for i := 0; i < 20*live; i++ {
				step(int(r.next() % live))
			}
			b.ReportAllocs()
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				step(int(r.next() % live))
			}
		})
	}
}

func BenchmarkSysChurn(b *testing.B) {
	s := NewSpace(DefaultSpaceConfig())
	const live = 256
	var addr, size [live]uint64
	r := spBenchRand(88172645463325252)
	step := func(i int) {
		j := i % live
		if size[j] != 0 {
			s.SysFree(addr[j], size[j])
		}
		size[j] = r.size(2 * spMiB)
		align := uint64(0)
		if r.next()&3 == 0 {
			align = 16384
		}
		addr[j], _ = s.SysAlloc(size[j], align)
	}
	for i := 0; i < 20*live; i++ {
		step(int(r.next() % live))
	}
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		step(int(r.next() % live))
	}
}
