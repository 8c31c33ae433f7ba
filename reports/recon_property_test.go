package reports

import (
	"math"
	"strings"
	"testing"

	"pgregory.net/rapid"
)

// genSnapshot draws a snapshot of util allocator instances (and some that
// recon ignores) whose blocks fit in their carriers, with pools and
// foreign blocks now and then.
func genSnapshot(t *rapid.T) *Snapshot {
	allocs := append(append([]string{}, UtilAllocators...), "literal_alloc", "mseg_alloc", "sys_alloc")
	n := rapid.IntRange(0, 12).Draw(t, "instances")
	s := &Snapshot{}
	seen := map[string]bool{}
	genTriple := func(label string, limit uint64) Triple {
		cur := rapid.Uint64Range(0, limit).Draw(t, label+"cur")
		max := rapid.Uint64Range(cur, limit).Draw(t, label+"max")
		ever := rapid.Uint64Range(max, limit).Draw(t, label+"ever")
		return Triple{cur, max, ever}
	}
	genCarriers := func(alloc, kind string) *CarrierStats {
		size := genTriple(kind+"size", 1<<34)
		cs := &CarrierStats{Carriers: genTriple(kind+"n", 100), CarriersSize: size}
		types := []string{alloc}
		if rapid.Bool().Draw(t, kind+"foreign") {
			types = append(types, rapid.SampledFrom(UtilAllocators).Draw(t, kind+"ftype"))
		}
		for _, typ := range types {
			// Block bytes at most the carrier bytes at each position.
			bs := Triple{
				rapid.Uint64Range(0, size.Cur/uint64(len(types))).Draw(t, kind+"bcur"),
				rapid.Uint64Range(0, size.Max/uint64(len(types))).Draw(t, kind+"bmax"),
				rapid.Uint64Range(0, size.MaxEver/uint64(len(types))).Draw(t, kind+"bever"),
			}
			count := Triple{(bs.Cur + 63) / 64, (bs.Max + 63) / 64, (bs.MaxEver + 63) / 64}
			if bs != (Triple{}) || rapid.Bool().Draw(t, kind+"keep") {
				cs.Blocks = append(cs.Blocks, BlockStats{typ, count, bs})
			}
		}
		return cs
	}
	for range n {
		a := rapid.SampledFrom(allocs).Draw(t, "alloc")
		i := rapid.IntRange(0, 3).Draw(t, "n")
		key := a + string(rune('0'+i))
		if seen[key] {
			continue
		}
		seen[key] = true
		in := AllocInstance{Allocator: a, Instance: i}
		switch a {
		case "mseg_alloc":
			calls := rapid.Uint64Range(0, 1<<40).Draw(t, "calls")
			in.Mseg = &MsegInfo{Name: "all memory", CacheHits: rapid.Uint64Range(0, calls).Draw(t, "hits"),
				Calls: []CallCount{CallCountOf("mseg_alloc", calls)}}
		case "sys_alloc":
			in.Options = []Prop{{"e", Atom("true")}}
		default:
			in.MBCS = genCarriers(a, "mbcs")
			in.SBCS = genCarriers(a, "sbcs")
			if i > 0 && rapid.Bool().Draw(t, "pool") {
				size := rapid.Uint64Range(0, 1<<30).Draw(t, "poolsize")
				bsize := rapid.Uint64Range(0, size).Draw(t, "poolbsize")
				in.Pool = &PoolStats{Carriers: size >> 18, CarriersSize: size,
					Blocks: []PoolBlockStats{{a, (bsize + 63) / 64, bsize}}}
			}
		}
		s.Instances = append(s.Instances, in)
	}
	return s
}

// TestPropertyRecon checks identities that hold for recon's answers on
// any snapshot: the per-type and per-instance sums add up to memory
// (allocated); unused = allocated − used; fragmentation's weights are the
// unused bytes, in descending order; units only scale; the snapshot
// survives a write and a read.
func TestPropertyRecon(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		s := genSnapshot(t)
		r := &Recon{Snapshot: s}
		for _, kw := range []Keyword{Current, Max} {
			alloc, err := r.MemoryAllocated(kw)
			if err != nil {
				t.Fatal(err)
			}
			used, _ := r.MemoryUsed(kw)
			unused, _ := r.MemoryUnused(kw)
			if unused.String() != alloc.Sub(used).String() || unused.Float64() < 0 {
				t.Fatalf("unused %v, allocated %v, used %v", unused, alloc, used)
			}
			types, _ := r.MemoryAllocatedTypes(kw)
			insts, _ := r.MemoryAllocatedInstances(kw)
			st, si := IntNum(0), IntNum(0)
			for _, e := range types {
				st = st.Add(e.Bytes)
			}
			for _, e := range insts {
				si = si.Add(e.Bytes)
			}
			if st.String() != alloc.String() || si.String() != alloc.String() {
				t.Fatalf("types %v, instances %v, allocated %v", st, si, alloc)
			}
			if u, err := r.MemoryUsage(kw); err == nil && (u.Float64() < 0 || u.Float64() > 1) {
				t.Fatalf("usage %v", u)
			} else if err != nil && !alloc.IsZero() {
				t.Fatalf("usage: %v", err)
			}

			f, err := r.Fragmentation(kw)
			if err != nil {
				t.Fatal(err)
			}
			var weights float64
			for i, e := range f {
				weights += e.Weight
				if i > 0 && f[i-1].Weight < e.Weight {
					t.Fatalf("fragmentation not descending at %d", i)
				}
				for _, u := range []Num{e.SbcsUsage, e.MbcsUsage} {
					if !u.IsFloat() || u.Float64() < 0 || u.Float64() > 1 {
						t.Fatalf("usage %v", u)
					}
				}
			}
			if d := math.Abs(weights - unused.Float64()); d > 1e-6*math.Max(1, unused.Float64()) {
				t.Fatalf("Σ weights %v, unused %v", weights, unused)
			}

			ratios, err := r.SbcsToMbcs(kw)
			if err != nil {
				t.Fatal(err)
			}
			for i := 1; i < len(ratios); i++ {
				if ratios[i-1].Infinity != ratios[i].Infinity && ratios[i].Infinity {
					t.Fatalf("infinity after a number")
				}
			}
			if _, err := r.AverageBlockSizes(kw); err != nil {
				t.Fatal(err)
			}

			// Units: the same bytes, divided (within float rounding).
			for _, u := range []Unit{Kilobyte, Megabyte, Gigabyte} {
				ru := &Recon{Snapshot: s, Unit: u}
				a, err := ru.MemoryAllocated(kw)
				if err != nil {
					t.Fatal(err)
				}
				want := alloc.Float64() / float64(u.factor())
				if d := math.Abs(a.Float64() - want); d > 1e-9*math.Max(1, want) {
					t.Fatalf("%v: allocated %v, want %v", u, a, want)
				}
			}
		}
		if _, err := r.CacheHitRates(); err != nil {
			t.Fatal(err)
		}

		var b strings.Builder
		if err := WriteSnapshot(&b, s); err != nil {
			t.Fatal(err)
		}
		s2, err := ParseSnapshot("written", []byte(b.String()))
		if err != nil {
			t.Fatalf("%v\n%s", err, b.String())
		}
		if !EqualTerms(s.Term(), s2.Term()) {
			t.Fatalf("round trip changed the snapshot")
		}
	})
}
