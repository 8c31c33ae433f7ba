package reports

// recon_alloc's analyses, computed from a Snapshot with recon's formulas,
// units, rounding and sorting (ferd/recon 2.5.6, src/recon_alloc.erl;
// every formula is in ../shared/docs/recon-refc-facts.md §1).
//
// Where the numbers come from (§1.1):
//
//   - Only the nine UTIL_ALLOCATORS count: temp, eheap, binary, ets,
//     driver, sl, ll, fix and std_alloc. literal_alloc, exec_alloc,
//     test_alloc, sys_alloc, mseg_alloc and erts_mmap do not. Instances are
//     visited in snapshot order (which fixes how floats are summed).
//   - "current" reads position 2 of {Key, Current, PeriodMax, MaxEver},
//     "max" position 4 — the all-time maximum, not the period maximum. So
//     memory(used, max) sums maxima reached at different times and can
//     exceed the machine's memory (ferd/recon#104).
//   - For the mbcs side and "current" only, the same key of mbcs_pool is
//     added (blocks, blocks_size, carriers, carriers_size): carriers an
//     instance abandoned to the pool still hold its memory.
//   - With a unit set (set_unit/1: kilobyte 1024, megabyte 1024², gigabyte
//     1024³), every blocks_size and carriers_size is divided by it before
//     anything is summed, so results become floats summed in that order.
//     Block counts and mseg_alloc's hits and calls are never converted.
//
// What recon does where a division has no answer is kept: usage 0/0 is
// 1.0 in fragmentation and cache_hit_rates, an average over no blocks is
// the integer 0, a ratio with no mbcs blocks is the atom infinity; and
// memory(usage) with nothing allocated, or a block size over a zero
// carrier size, is badarith — returned here as a *ReconError.
//
// The Recon value plays the part of the calling process's dictionary in
// recon: it holds the snapshot (snapshot_load/1) and the unit (set_unit/1).

import (
	"fmt"
	"slices"
	"strings"
)

// UtilAllocators is recon's UTIL_ALLOCATORS: the allocators its memory,
// fragmentation, average_block_sizes and sbcs_to_mbcs look at.
var UtilAllocators = []string{
	"temp_alloc", "eheap_alloc", "binary_alloc", "ets_alloc", "driver_alloc",
	"sl_alloc", "ll_alloc", "fix_alloc", "std_alloc",
}

// Keyword selects current values or all-time maxima.
type Keyword int

const (
	Current Keyword = iota // position 2: the value now (plus the pool, for mbcs)
	Max                    // position 4: the maximum since the node started
)

func (k Keyword) String() string {
	if k == Max {
		return "max"
	}
	return "current"
}

// ParseKeyword reads "current" or "max".
func ParseKeyword(s string) (Keyword, error) {
	switch s {
	case "current":
		return Current, nil
	case "max":
		return Max, nil
	}
	return 0, fmt.Errorf("unknown keyword %q: want current or max", s)
}

// Unit is recon_alloc:set_unit/1's unit.
type Unit int

const (
	Byte     Unit = iota // no conversion: integers
	Kilobyte             // sizes divided by 1024
	Megabyte             // by 1024²
	Gigabyte             // by 1024³
)

func (u Unit) String() string {
	return [...]string{"byte", "kilobyte", "megabyte", "gigabyte"}[u]
}

// factor is the divisor, 0 for bytes (recon stores undefined).
func (u Unit) factor() int64 {
	return [...]int64{0, 1 << 10, 1 << 20, 1 << 30}[u]
}

// ParseUnit reads byte, kilobyte, megabyte or gigabyte.
func ParseUnit(s string) (Unit, error) {
	for u := Byte; u <= Gigabyte; u++ {
		if u.String() == s {
			return u, nil
		}
	}
	return 0, fmt.Errorf("unknown unit %q: want byte, kilobyte, megabyte or gigabyte", s)
}

// ReconError is where recon_alloc would raise: Reason is the Erlang error
// (badarith, badarg, badmatch), Func the call, Detail what was wrong.
type ReconError struct {
	Func   string
	Reason string
	Detail string
}

func (e *ReconError) Error() string {
	return fmt.Sprintf("recon_alloc:%s raises %s: %s", e.Func, e.Reason, e.Detail)
}

// Recon answers recon_alloc's questions about one snapshot.
type Recon struct {
	Snapshot *Snapshot
	Unit     Unit
}

// utilAlloc is recon's util_alloc(): the UTIL_ALLOCATORS instances, in
// snapshot order.
func (r *Recon) utilAlloc() []*AllocInstance {
	var out []*AllocInstance
	for i := range r.Snapshot.Instances {
		in := &r.Snapshot.Instances[i]
		if slices.Contains(UtilAllocators, in.Allocator) {
			out = append(out, in)
		}
	}
	return out
}

// container names what recon reads with lists:keyfind.
type container int

const (
	cBlocks container = iota
	cBlocksSize
	cCarriers
	cCarriersSize
)

func (c container) String() string {
	return [...]string{"blocks", "blocks_size", "carriers", "carriers_size"}[c]
}

func (c container) isSize() bool { return c == cBlocksSize || c == cCarriersSize }

// conv is a value after set_unit's conversion: sizes divided by the
// factor (a float), counts untouched.
func (r *Recon) conv(n uint64, c container) Num {
	v := IntNum(n)
	if f := r.Unit.factor(); f != 0 && c.isSize() {
		q, _ := v.Div(IntNum(f))
		return q
	}
	return v
}

func pick(t Triple, kw Keyword) uint64 {
	if kw == Max {
		return t.MaxEver
	}
	return t.Cur
}

// containerValue is recon's container_value/4: one mbcs or sbcs value at
// the keyword's position, plus mbcs_pool's for mbcs and current.
func (r *Recon) containerValue(fn string, in *AllocInstance, kw Keyword, mbcs bool, c container) (Num, error) {
	cs, kind := in.SBCS, "sbcs"
	if mbcs {
		cs, kind = in.MBCS, "mbcs"
	}
	if cs == nil {
		return Num{}, &ReconError{fn, "badarg", fmt.Sprintf("{%s,%d} has no %s", in.Allocator, in.Instance, kind)}
	}
	var raw uint64
	switch c {
	case cBlocks, cBlocksSize:
		count, size := cs.BlockTotals()
		if c == cBlocks {
			raw = pick(count, kw)
		} else {
			raw = pick(size, kw)
		}
	case cCarriers:
		raw = pick(cs.Carriers, kw)
	case cCarriersSize:
		raw = pick(cs.CarriersSize, kw)
	}
	v := r.conv(raw, c)
	if !mbcs || kw != Current {
		return v, nil
	}
	// Pool + Value, the pool being the integer 0 when there is none.
	pool := IntNum(0)
	if p := in.Pool; p != nil {
		count, size := p.BlockTotals()
		switch c {
		case cBlocks:
			pool = r.conv(count, c)
		case cBlocksSize:
			pool = r.conv(size, c)
		case cCarriers:
			pool = r.conv(p.Carriers, c)
		case cCarriersSize:
			pool = r.conv(p.CarriersSize, c)
		}
	}
	return pool.Add(v), nil
}

// containerSize is recon's container_size/3: sbcs + mbcs (+ pool).
func (r *Recon) containerSize(fn string, in *AllocInstance, kw Keyword, c container) (Num, error) {
	s, err := r.containerValue(fn, in, kw, false, c)
	if err != nil {
		return Num{}, err
	}
	m, err := r.containerValue(fn, in, kw, true, c)
	if err != nil {
		return Num{}, err
	}
	return s.Add(m), nil
}

// sum is lists:sum over the util allocators of container_size.
func (r *Recon) sum(fn string, kw Keyword, c container) (Num, error) {
	total := IntNum(0)
	for _, in := range r.utilAlloc() {
		v, err := r.containerSize(fn, in, kw, c)
		if err != nil {
			return Num{}, err
		}
		total = total.Add(v)
	}
	return total, nil
}

// MemoryUsed is memory(used, Kw): Σ blocks_size of sbcs and mbcs (and the
// pool, for current) — the bytes in allocated blocks, headers included.
func (r *Recon) MemoryUsed(kw Keyword) (Num, error) {
	return r.sum(fmt.Sprintf("memory(used, %s)", kw), kw, cBlocksSize)
}

// MemoryAllocated is memory(allocated, Kw): Σ carriers_size — the memory
// the allocators hold from the OS (not counting cached mseg segments, the
// super carrier's unused part, or literal_alloc).
func (r *Recon) MemoryAllocated(kw Keyword) (Num, error) {
	return r.sum(fmt.Sprintf("memory(allocated, %s)", kw), kw, cCarriersSize)
}

// MemoryUnused is memory(unused, Kw) = allocated − used.
func (r *Recon) MemoryUnused(kw Keyword) (Num, error) {
	a, err := r.MemoryAllocated(kw)
	if err != nil {
		return Num{}, err
	}
	u, err := r.MemoryUsed(kw)
	if err != nil {
		return Num{}, err
	}
	return a.Sub(u), nil
}

// MemoryUsage is memory(usage, Kw) = used / allocated, a float; badarith
// when nothing is allocated. (Live recon reads the allocators twice, so it
// can report more than 1.0 on a busy node, ferd/recon#55; one snapshot
// cannot.)
func (r *Recon) MemoryUsage(kw Keyword) (Num, error) {
	u, err := r.MemoryUsed(kw)
	if err != nil {
		return Num{}, err
	}
	a, err := r.MemoryAllocated(kw)
	if err != nil {
		return Num{}, err
	}
	q, err := u.Div(a)
	if err != nil {
		return Num{}, &ReconError{fmt.Sprintf("memory(usage, %s)", kw), "badarith",
			fmt.Sprintf("used %v / allocated %v", u, a)}
	}
	return q, nil
}

// AllocatedType is one {Allocator, Bytes} of memory(allocated_types).
type AllocatedType struct {
	Allocator string
	Bytes     Num
}

// AllocatedTypes is memory(allocated_types, Kw), sorted by allocator name.
type AllocatedTypes []AllocatedType

// AllocatedInstance is one {InstanceNo, Bytes} of
// memory(allocated_instances).
type AllocatedInstance struct {
	Instance int
	Bytes    Num
}

// AllocatedInstances is memory(allocated_instances, Kw), by instance
// number: 0 serves threads that are not schedulers, N scheduler N.
type AllocatedInstances []AllocatedInstance

// MemoryAllocatedTypes is memory(allocated_types, Kw): carrier bytes per
// allocator type, summed over its instances (orddict:update_counter).
func (r *Recon) MemoryAllocatedTypes(kw Keyword) (AllocatedTypes, error) {
	fn := fmt.Sprintf("memory(allocated_types, %s)", kw)
	var out AllocatedTypes
	for _, in := range r.utilAlloc() {
		v, err := r.containerSize(fn, in, kw, cCarriersSize)
		if err != nil {
			return nil, err
		}
		i, found := slices.BinarySearchFunc(out, in.Allocator, func(e AllocatedType, a string) int {
			return strings.Compare(e.Allocator, a)
		})
		if found {
			out[i].Bytes = out[i].Bytes.Add(v)
		} else {
			out = slices.Insert(out, i, AllocatedType{in.Allocator, v})
		}
	}
	return out, nil
}

// MemoryAllocatedInstances is memory(allocated_instances, Kw): carrier
// bytes per instance number, summed over allocator types.
func (r *Recon) MemoryAllocatedInstances(kw Keyword) (AllocatedInstances, error) {
	fn := fmt.Sprintf("memory(allocated_instances, %s)", kw)
	var out AllocatedInstances
	for _, in := range r.utilAlloc() {
		v, err := r.containerSize(fn, in, kw, cCarriersSize)
		if err != nil {
			return nil, err
		}
		i, found := slices.BinarySearchFunc(out, in.Instance, func(e AllocatedInstance, n int) int {
			return cmpInt(e.Instance, n)
		})
		if found {
			out[i].Bytes = out[i].Bytes.Add(v)
		} else {
			out = slices.Insert(out, i, AllocatedInstance{in.Instance, v})
		}
	}
	return out, nil
}

// Memory is memory(Key, Kw) for any key: used, allocated, unused, usage
// (a Num), allocated_types or allocated_instances.
func (r *Recon) Memory(key string, kw Keyword) (ReconResult, error) {
	switch key {
	case "used":
		return r.MemoryUsed(kw)
	case "allocated":
		return r.MemoryAllocated(kw)
	case "unused":
		return r.MemoryUnused(kw)
	case "usage":
		return r.MemoryUsage(kw)
	case "allocated_types":
		return r.MemoryAllocatedTypes(kw)
	case "allocated_instances":
		return r.MemoryAllocatedInstances(kw)
	}
	return nil, fmt.Errorf("unknown memory key %q: want used, allocated, unused, usage, allocated_types or allocated_instances", key)
}

// usage is recon's usage/2: Block/Carrier, with 0/0 (and 0.0/0.0) taken
// as full (1.0); a non-zero block size over zero carriers is badarith.
func usage(block, carrier Num) (Num, error) {
	if block.isIntZero() && carrier.isIntZero() || block.isFloatZero() && carrier.isFloatZero() {
		return FloatNum(1.0), nil
	}
	return block.Div(carrier)
}

// FragmentationEntry is one {{Allocator, N}, [...]} of fragmentation/1.
type FragmentationEntry struct {
	Allocator        string
	Instance         int
	SbcsUsage        Num // sbcs_block_size / sbcs_carriers_size (1.0 for 0/0)
	MbcsUsage        Num
	SbcsBlockSize    Num
	SbcsCarriersSize Num
	MbcsBlockSize    Num // with mbcs_pool's, for current
	MbcsCarriersSize Num
	// Weight is what recon sorts by: (1 − sbcs_usage)·sbcs_carriers_size
	// + (1 − mbcs_usage)·mbcs_carriers_size, the unused carrier bytes
	// (not part of recon's output).
	Weight float64
}

// Fragmentation is fragmentation/1's result, most unused bytes first.
type Fragmentation []FragmentationEntry

// Fragmentation is fragmentation(Kw): block and carrier sizes and their
// ratio per util allocator instance, sorted by the unused bytes in its
// carriers, descending. Comparing current with max shows carriers kept
// from a peak and now sparsely used.
func (r *Recon) Fragmentation(kw Keyword) (Fragmentation, error) {
	fn := fmt.Sprintf("fragmentation(%s)", kw)
	var out Fragmentation
	for _, in := range r.utilAlloc() {
		e := FragmentationEntry{Allocator: in.Allocator, Instance: in.Instance}
		var err error
		for _, f := range []struct {
			dst  *Num
			mbcs bool
			c    container
		}{
			{&e.SbcsBlockSize, false, cBlocksSize},
			{&e.SbcsCarriersSize, false, cCarriersSize},
			{&e.MbcsBlockSize, true, cBlocksSize},
			{&e.MbcsCarriersSize, true, cCarriersSize},
		} {
			if *f.dst, err = r.containerValue(fn, in, kw, f.mbcs, f.c); err != nil {
				return nil, err
			}
		}
		if e.SbcsUsage, err = usage(e.SbcsBlockSize, e.SbcsCarriersSize); err != nil {
			return nil, &ReconError{fn, "badarith", fmt.Sprintf("{%s,%d}: sbcs blocks_size %v over carriers_size %v", in.Allocator, in.Instance, e.SbcsBlockSize, e.SbcsCarriersSize)}
		}
		if e.MbcsUsage, err = usage(e.MbcsBlockSize, e.MbcsCarriersSize); err != nil {
			return nil, &ReconError{fn, "badarith", fmt.Sprintf("{%s,%d}: mbcs blocks_size %v over carriers_size %v", in.Allocator, in.Instance, e.MbcsBlockSize, e.MbcsCarriersSize)}
		}
		one := FloatNum(1.00)
		sw := one.Sub(e.SbcsUsage).Mul(e.SbcsCarriersSize)
		mw := one.Sub(e.MbcsUsage).Mul(e.MbcsCarriersSize)
		e.Weight = sw.Add(mw).Float64()
		out = append(out, e)
	}
	sortDescending(out, func(e FragmentationEntry) Term {
		return Tup(Float(e.Weight), instanceKey(e.Allocator, e.Instance), e.props())
	})
	return out, nil
}

func instanceKey(alloc string, n int) Term { return Tup(Atom(alloc), IntFrom(n)) }

func (e FragmentationEntry) props() Term {
	return Lst(
		Tup(Atom("sbcs_usage"), e.SbcsUsage.Term()),
		Tup(Atom("mbcs_usage"), e.MbcsUsage.Term()),
		Tup(Atom("sbcs_block_size"), e.SbcsBlockSize.Term()),
		Tup(Atom("sbcs_carriers_size"), e.SbcsCarriersSize.Term()),
		Tup(Atom("mbcs_block_size"), e.MbcsBlockSize.Term()),
		Tup(Atom("mbcs_carriers_size"), e.MbcsCarriersSize.Term()),
	)
}

// sortDescending is recon's [... || {_W, ...} <- lists:reverse(lists:sort(L))]:
// ascending in Erlang's term order of each entry's sort term, reversed.
func sortDescending[E any](es []E, key func(E) Term) {
	keys := make([]Term, len(es))
	idx := make([]int, len(es))
	for i := range es {
		keys[i] = key(es[i])
		idx[i] = i
	}
	slices.SortStableFunc(idx, func(a, b int) int { return CompareTerms(keys[a], keys[b]) })
	sorted := make([]E, len(es))
	for i, j := range idx {
		sorted[len(es)-1-i] = es[j]
	}
	copy(es, sorted)
}

// AverageBlockSize is one {Allocator, [{mbcs, Avg}, {sbcs, Avg}]}.
type AverageBlockSize struct {
	Allocator string
	MBCS      Num // Σ blocks_size / Σ blocks over the type's instances; integer 0 without blocks
	SBCS      Num
}

// AverageBlockSizes is average_block_sizes/1's result, by allocator name.
type AverageBlockSizes []AverageBlockSize

// AverageBlockSizes is average_block_sizes(Kw): per allocator type, the
// average block size in multiblock and in single-block carriers. Compare
// with sbct, lmbcs and smbcs.
func (r *Recon) AverageBlockSizes(kw Keyword) (AverageBlockSizes, error) {
	fn := fmt.Sprintf("average_block_sizes(%s)", kw)
	type sums struct{ mc, ms, sc, ss Num }
	acc := map[string]*sums{}
	var names []string
	for _, in := range r.utilAlloc() {
		var v [4]Num
		for i, f := range []struct {
			mbcs bool
			c    container
		}{{false, cBlocks}, {false, cBlocksSize}, {true, cBlocks}, {true, cBlocksSize}} {
			var err error
			if v[i], err = r.containerValue(fn, in, kw, f.mbcs, f.c); err != nil {
				return nil, err
			}
		}
		s, ok := acc[in.Allocator]
		if !ok {
			// dict:update_counter stores the first increment as it is.
			acc[in.Allocator] = &sums{sc: v[0], ss: v[1], mc: v[2], ms: v[3]}
			names = append(names, in.Allocator)
			continue
		}
		s.sc, s.ss, s.mc, s.ms = s.sc.Add(v[0]), s.ss.Add(v[1]), s.mc.Add(v[2]), s.ms.Add(v[3])
	}
	slices.Sort(names)
	avg := func(alloc, kind string, size, count Num) (Num, error) {
		if count.isIntZero() && size.IsZero() {
			return IntNum(0), nil
		}
		q, err := size.Div(count)
		if err != nil {
			return Num{}, &ReconError{fn, "badarith", fmt.Sprintf("%s %s: blocks_size %v over %v blocks", alloc, kind, size, count)}
		}
		return q, nil
	}
	out := make(AverageBlockSizes, 0, len(names))
	for _, a := range names {
		s := acc[a]
		m, err := avg(a, "mbcs", s.ms, s.mc)
		if err != nil {
			return nil, err
		}
		sb, err := avg(a, "sbcs", s.ss, s.sc)
		if err != nil {
			return nil, err
		}
		out = append(out, AverageBlockSize{a, m, sb})
	}
	return out, nil
}

// SbcsToMbcsEntry is one {{Allocator, N}, Ratio} of sbcs_to_mbcs/1.
type SbcsToMbcsEntry struct {
	Allocator string
	Instance  int
	// Ratio is sbcs blocks / mbcs blocks (counts): the integer 0 when both
	// are 0, a float otherwise — unless Infinity (blocks only in sbcs).
	Ratio    Num
	Infinity bool
}

// SbcsToMbcs is sbcs_to_mbcs/1's result, worst (infinity) first.
type SbcsToMbcs []SbcsToMbcsEntry

// RatioTerm is the ratio as recon returns it: a number or infinity.
func (e SbcsToMbcsEntry) RatioTerm() Term {
	if e.Infinity {
		return Atom("infinity")
	}
	return e.Ratio.Term()
}

// SbcsToMbcs is sbcs_to_mbcs(Kw): per instance, blocks in single-block
// carriers per block in multiblock carriers; high values suggest raising
// sbct (and lmbcs). Sorted descending in term order, so infinity (an atom)
// comes before every number.
func (r *Recon) SbcsToMbcs(kw Keyword) (SbcsToMbcs, error) {
	fn := fmt.Sprintf("sbcs_to_mbcs(%s)", kw)
	var out SbcsToMbcs
	for _, in := range r.utilAlloc() {
		s, err := r.containerValue(fn, in, kw, false, cBlocks)
		if err != nil {
			return nil, err
		}
		m, err := r.containerValue(fn, in, kw, true, cBlocks)
		if err != nil {
			return nil, err
		}
		e := SbcsToMbcsEntry{Allocator: in.Allocator, Instance: in.Instance}
		switch {
		case s.isIntZero() && m.isIntZero():
			e.Ratio = IntNum(0)
		case m.isIntZero():
			e.Infinity = true
		default:
			if e.Ratio, err = s.Div(m); err != nil {
				return nil, &ReconError{fn, "badarith", fmt.Sprintf("{%s,%d}: %v / %v", in.Allocator, in.Instance, s, m)}
			}
		}
		out = append(out, e)
	}
	sortDescending(out, func(e SbcsToMbcsEntry) Term {
		return Tup(e.RatioTerm(), instanceKey(e.Allocator, e.Instance))
	})
	return out, nil
}

// CacheHitRate is one {{instance, N}, [{hit_rate,F},{hits,H},{calls,C}]}.
type CacheHitRate struct {
	Instance int
	HitRate  Num // hits / calls, 1.0 for 0/0
	Hits     Num
	Calls    Num // mseg_alloc calls: Giga·10^9 + Ones
	// Weight is recon's sort key (1 − hit_rate)·calls, the misses.
	Weight float64
}

// CacheHitRates is cache_hit_rates/0's result, most misses first.
type CacheHitRates []CacheHitRate

// CacheHitRates is cache_hit_rates(): per mseg_alloc instance, how often
// a carrier request was served from the segment cache. Recon's advice: a
// steady workload should be above 0.80; raise +MMmcs first.
func (r *Recon) CacheHitRates() (CacheHitRates, error) {
	const fn = "cache_hit_rates()"
	var out CacheHitRates
	for i := range r.Snapshot.Instances {
		in := &r.Snapshot.Instances[i]
		if in.Allocator != "mseg_alloc" {
			continue
		}
		if in.Mseg == nil {
			return nil, &ReconError{fn, "badarg", fmt.Sprintf("{mseg_alloc,%d} has no memkind", in.Instance)}
		}
		idx := slices.IndexFunc(in.Mseg.Calls, func(c CallCount) bool { return c.Name == "mseg_alloc" })
		if idx < 0 {
			return nil, &ReconError{fn, "badmatch", fmt.Sprintf("{mseg_alloc,%d} has no mseg_alloc call count", in.Instance)}
		}
		c := in.Mseg.Calls[idx]
		calls := IntNum(c.Giga).Mul(IntNum(int64(1_000_000_000))).Add(IntNum(c.Ones))
		hits := IntNum(in.Mseg.CacheHits)
		rate, err := usage(hits, calls)
		if err != nil {
			return nil, &ReconError{fn, "badarith", fmt.Sprintf("{mseg_alloc,%d}: %v hits over %v calls", in.Instance, hits, calls)}
		}
		w := FloatNum(1.00).Sub(rate).Mul(calls)
		out = append(out, CacheHitRate{in.Instance, rate, hits, calls, w.Float64()})
	}
	sortDescending(out, func(e CacheHitRate) Term {
		return Tup(Float(e.Weight), Tup(Atom("instance"), IntFrom(e.Instance)), e.props())
	})
	return out, nil
}

func (e CacheHitRate) props() Term {
	return Lst(
		Tup(Atom("hit_rate"), e.HitRate.Term()),
		Tup(Atom("hits"), e.Hits.Term()),
		Tup(Atom("calls"), e.Calls.Term()),
	)
}
