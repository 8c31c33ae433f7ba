package reports

// Allocator statistics shaped like erlang:system_info({allocator, A}), one
// value per (allocator, instance), and the snapshot files of
// recon_alloc:snapshot_save/1 that carry them.
//
// The model mirrors ../shared/docs/erts-alloc-facts.md §8.1 item for item,
// so that a simulated node can fill it and recon's analyses (recon.go) can
// read it without knowing where it came from:
//
//	AllocInstance          {{Allocator, Instance}, Props}
//	  .Calls               {calls, [{binary_alloc,G,N}, ...]}     (G·10^9+N)
//	  .MBCS, .SBCS         {mbcs|sbcs, [...]}
//	    .Blocks            {blocks, [{Type, [{count,C,M,ME},{size,C,M,ME}]}]}
//	    .Carriers          {carriers, C, M, ME}
//	    .CarriersSize      {carriers_size, C, M, ME}
//	    .MsegCarriers ...  {mseg_alloc_carriers, N}, {sys_alloc_carriers, N}, sizes
//	  .Pool                {mbcs_pool, [...]}: single values, counters {Name,G,N}
//	  .FixTypes            {fix_types, [{Type, PoolBytes, UsedBytes}]}
//	  .Options             {options, [...]}
//	  .Mseg, .Version      mseg_alloc's {memkind, [...]} and {version, "0.9"}
//	  .Extra               anything else, kept as terms (erts_mmap's lists)
//
// Triples are {Key, Current, PeriodMax, MaxEver}: recon reads position 2
// for "current" and position 4 (MaxEver) for "max" (recon-refc-facts.md
// §1.1).
//
// On disk (recon-refc-facts.md §1.8, Appendix A) recon has already
// rewritten every per-type block list: {blocks, C,M,ME} and {blocks_size,
// C,M,ME} are the sums over types, {foreign_blocks, [...]} the entries of
// other types and {raw_blocks, [...]} the original list; inside mbcs_pool
// the sums are single values. ParseSnapshot reads that form (and the raw
// OTP 23+ form, and the OTP ≤ 22 form without per-type lists) into
// Blocks; WriteSnapshot writes recon's form back, so that a file read and
// written is the same file.

import (
	"fmt"
	"io"
	"slices"
	"strings"
)

// Triple is one {Key, Current, PeriodMax, MaxEver} statistic.
type Triple struct{ Cur, Max, MaxEver uint64 }

// Add returns the element-wise sum (recon's merge of block types).
func (t Triple) Add(u Triple) Triple {
	return Triple{t.Cur + u.Cur, t.Max + u.Max, t.MaxEver + u.MaxEver}
}

// BlockStats is the blocks of one allocator type inside a carrier kind:
// {Type, [{count,C,M,ME},{size,C,M,ME}]}. Size includes block headers
// (and tags).
type BlockStats struct {
	Type        string
	Count, Size Triple
}

// CarrierStats is the mbcs or sbcs statistics of one instance.
type CarrierStats struct {
	// Blocks has one entry per allocator type with blocks in these
	// carriers: normally only the instance's own type; others after
	// carrier migration between types ("foreign blocks").
	Blocks                 []BlockStats
	Carriers, CarriersSize Triple
	MsegCarriers           uint64 // {mseg_alloc_carriers, N}
	SysCarriers            uint64 // {sys_alloc_carriers, N}
	MsegCarriersSize       uint64 // {mseg_alloc_carriers_size, B}
	SysCarriersSize        uint64 // {sys_alloc_carriers_size, B}
	Extra                  []Prop // keys this model does not know, in order
}

// BlockTotals returns the {blocks, ...} and {blocks_size, ...} recon
// computes: the element-wise sums over all types.
func (c *CarrierStats) BlockTotals() (count, size Triple) {
	for _, b := range c.Blocks {
		count = count.Add(b.Count)
		size = size.Add(b.Size)
	}
	return count, size
}

// PoolBlockStats is one type's blocks in an instance's pooled carriers.
type PoolBlockStats struct {
	Type        string
	Count, Size uint64
}

// PoolStats is {mbcs_pool, [...]}: the instance's own carriers that sit in
// the carrier pool, and its fetch counters.
type PoolStats struct {
	Blocks                 []PoolBlockStats
	Carriers, CarriersSize uint64
	// Counters are entrance_removed, skip_race, skip_homecoming,
	// skip_not_pooled, skip_busy, skip_size, fetch, fail,
	// fail_pend_dealloc, fail_shared, fail_pooled, in that order on OTP 25.
	Counters []CallCount
	Extra    []Prop
}

// BlockTotals returns the pool's {blocks, N} and {blocks_size, N}.
func (p *PoolStats) BlockTotals() (count, size uint64) {
	for _, b := range p.Blocks {
		count += b.Count
		size += b.Size
	}
	return count, size
}

// CallCount is a {Name, Giga, Ones} counter; its value is Giga·10^9 + Ones.
type CallCount struct {
	Name       string
	Giga, Ones uint64
}

// Value is Giga·10^9 + Ones (as recon's cache_hit_rates computes it).
func (c CallCount) Value() uint64 { return c.Giga*1_000_000_000 + c.Ones }

// CallCountOf splits a count into {Name, Giga, Ones}.
func CallCountOf(name string, n uint64) CallCount {
	return CallCount{name, n / 1_000_000_000, n % 1_000_000_000}
}

// FixType is one {Type, PoolBytes, UsedBytes} of fix_alloc's fix_types.
type FixType struct {
	Type       string
	Pool, Used uint64
}

// MsegInfo is mseg_alloc's {memkind, [{name,...},{status,[...]},{calls,[...]}]}.
type MsegInfo struct {
	Name              string // "all memory"
	CachedSegments    uint64
	CacheHits         uint64
	Segments          Triple
	SegmentsWatermark uint64
	SegmentsSize      Triple
	Calls             []CallCount
}

// Prop is one {Key, Value} of a property list.
type Prop struct {
	Key   string
	Value Term
}

// AllocInstance is one {{Allocator, Instance}, Props} of a snapshot.
type AllocInstance struct {
	Allocator string // "binary_alloc", "mseg_alloc", "sys_alloc", "erts_mmap", ...
	Instance  int

	Options  []Prop // {options, [...]}; nil when absent
	Calls    []CallCount
	MBCS     *CarrierStats
	SBCS     *CarrierStats
	Pool     *PoolStats // nil: no mbcs_pool (instance 0, or no pool)
	FixTypes []FixType  // fix_alloc instance 0 without a pool
	Mseg     *MsegInfo  // mseg_alloc
	Version  string     // mseg_alloc's {version, "0.9"}

	// Extra holds properties this model does not interpret (erts_mmap's
	// default_mmap and literal_mmap, future keys), in file order.
	Extra []Prop
}

// MemoryValue is one {Key, Bytes} of erlang:memory().
type MemoryValue struct {
	Key   string
	Bytes uint64
}

// Snapshot is what recon_alloc:snapshot/0 stores: {erlang:memory(),
// recon_alloc:allocators()}.
type Snapshot struct {
	Memory    []MemoryValue
	Instances []AllocInstance
}

// Instance returns the {Allocator, N} entry, or nil.
func (s *Snapshot) Instance(allocator string, n int) *AllocInstance {
	for i := range s.Instances {
		if s.Instances[i].Allocator == allocator && s.Instances[i].Instance == n {
			return &s.Instances[i]
		}
	}
	return nil
}

// ---------------------------------------------------------------------------
// Reading

// ParseSnapshot reads a snapshot file: the single term
// {MemoryList, AllocList} that recon_alloc:snapshot_save/1 writes, or a
// hand-made {erlang:memory(), [{A, erlang:system_info({allocator, A})}]}
// (detected, as snapshot_load/1 does, by an atom as the first element of
// the first AllocList entry). name is used in errors ("name:line: ...").
func ParseSnapshot(name string, src []byte) (*Snapshot, error) {
	t, err := ReadTerm(name, src)
	if err != nil {
		return nil, err
	}
	return SnapshotFromTerm(name, t)
}

// ReadSnapshot is ParseSnapshot on a reader.
func ReadSnapshot(name string, r io.Reader) (*Snapshot, error) {
	src, err := io.ReadAll(r)
	if err != nil {
		return nil, err
	}
	return ParseSnapshot(name, src)
}

// decoder turns terms into the model, reporting "name:line: expected ...".
type decoder struct {
	name string
}

func (d *decoder) errf(t Term, format string, args ...any) error {
	return &SyntaxError{d.name, lineOf(t), fmt.Sprintf(format, args...)}
}

// lineOf is where a term starts, as far as the reader recorded it.
func lineOf(t Term) int {
	switch t := t.(type) {
	case Tuple:
		return t.Line
	case List:
		return t.Line
	}
	return 0
}

// SnapshotFromTerm converts a term read from a snapshot file.
func SnapshotFromTerm(name string, t Term) (*Snapshot, error) {
	d := &decoder{name: name}
	top, ok := t.(Tuple)
	if !ok || len(top.Elems) != 2 {
		return nil, d.errf(t, "expected {MemoryList, AllocList}, found %s", abbreviate(t))
	}
	s := &Snapshot{}
	mem, err := d.list(top.Elems[0], "erlang:memory() list")
	if err != nil {
		return nil, err
	}
	for _, e := range mem {
		k, v, err := d.keyValue(e, top)
		if err != nil {
			return nil, err
		}
		n, err := d.uint(v, e, k)
		if err != nil {
			return nil, err
		}
		s.Memory = append(s.Memory, MemoryValue{k, n})
	}
	allocs, err := d.list(top.Elems[1], "allocator list")
	if err != nil {
		return nil, err
	}
	raw := false
	if len(allocs) > 0 {
		if tp, ok := allocs[0].(Tuple); ok && len(tp.Elems) == 2 {
			_, raw = tp.Elems[0].(Atom)
		}
	}
	for _, e := range allocs {
		if raw {
			insts, err := d.rawAllocator(e)
			if err != nil {
				return nil, err
			}
			s.Instances = append(s.Instances, insts...)
			continue
		}
		tp, ok := e.(Tuple)
		if !ok || len(tp.Elems) != 2 {
			return nil, d.errf(orParent(e, top), "expected {{Allocator, Instance}, Props}, found %s", abbreviate(e))
		}
		key, ok := tp.Elems[0].(Tuple)
		if !ok || len(key.Elems) != 2 {
			return nil, d.errf(tp, "expected {Allocator, Instance}, found %s", abbreviate(tp.Elems[0]))
		}
		a, ok := key.Elems[0].(Atom)
		if !ok {
			return nil, d.errf(tp, "expected an allocator name, found %s", abbreviate(key.Elems[0]))
		}
		n, err := d.instanceNo(key.Elems[1], tp)
		if err != nil {
			return nil, err
		}
		inst, err := d.instance(string(a), n, tp.Elems[1], tp)
		if err != nil {
			return nil, err
		}
		s.Instances = append(s.Instances, *inst)
	}
	return s, nil
}

// rawAllocator reads {A, [{instance, N, Props}, ...]} of a hand-made dump;
// like snapshot_load/1 it skips entries whose value is not a non-empty
// list (false for a disabled allocator) and list elements that are not
// 3-tuples (sys_alloc's plain options).
func (d *decoder) rawAllocator(e Term) ([]AllocInstance, error) {
	tp, ok := e.(Tuple)
	if !ok || len(tp.Elems) != 2 {
		return nil, d.errf(e, "expected {Allocator, Instances}, found %s", abbreviate(e))
	}
	a, ok := tp.Elems[0].(Atom)
	if !ok {
		return nil, d.errf(tp, "expected an allocator name, found %s", abbreviate(tp.Elems[0]))
	}
	elems, ok := listElems(tp.Elems[1])
	if !ok || len(elems) == 0 {
		return nil, nil
	}
	var out []AllocInstance
	for _, ie := range elems {
		it, ok := ie.(Tuple)
		if !ok || len(it.Elems) != 3 {
			continue
		}
		n, err := d.instanceNo(it.Elems[1], tp)
		if err != nil {
			return nil, err
		}
		inst, err := d.instance(string(a), n, it.Elems[2], it)
		if err != nil {
			return nil, err
		}
		out = append(out, *inst)
	}
	return out, nil
}

func (d *decoder) instanceNo(t, parent Term) (int, error) {
	i, ok := t.(Int)
	if ok {
		if n, ok := i.Uint64(); ok && n <= 1<<31 {
			return int(n), nil
		}
	}
	return 0, d.errf(parent, "expected an instance number, found %s", abbreviate(t))
}

// orParent returns t when it knows its line, else parent.
func orParent(t, parent Term) Term {
	if lineOf(t) > 0 {
		return t
	}
	return parent
}

func (d *decoder) list(t Term, what string) ([]Term, error) {
	elems, ok := listElems(t)
	if !ok {
		return nil, d.errf(t, "expected %s, found %s", what, abbreviate(t))
	}
	return elems, nil
}

// keyValue reads a {Key, Value} pair.
func (d *decoder) keyValue(t, parent Term) (string, Term, error) {
	tp, ok := t.(Tuple)
	if !ok || len(tp.Elems) != 2 {
		return "", nil, d.errf(orParent(t, parent), "expected {Key, Value}, found %s", abbreviate(t))
	}
	k, ok := tp.Elems[0].(Atom)
	if !ok {
		return "", nil, d.errf(tp, "expected an atom key, found %s", abbreviate(tp.Elems[0]))
	}
	return string(k), tp.Elems[1], nil
}

func (d *decoder) uint(t, parent Term, key string) (uint64, error) {
	if i, ok := t.(Int); ok {
		if n, ok := i.Uint64(); ok {
			return n, nil
		}
	}
	return 0, d.errf(orParent(t, parent), "expected a non-negative integer below 2^64 for %s, found %s", key, abbreviate(t))
}

// tagged reads {Key, V1, ..., Vn} of non-negative integers.
func (d *decoder) tagged(t, parent Term, n int) (string, []uint64, error) {
	tp, ok := t.(Tuple)
	if !ok || len(tp.Elems) != n+1 {
		return "", nil, d.errf(orParent(t, parent), "expected a %d-tuple {Key%s}, found %s", n+1, strings.Repeat(", N", n), abbreviate(t))
	}
	k, ok := tp.Elems[0].(Atom)
	if !ok {
		return "", nil, d.errf(tp, "expected an atom key, found %s", abbreviate(tp.Elems[0]))
	}
	vs := make([]uint64, n)
	for i := range n {
		v, err := d.uint(tp.Elems[i+1], tp, string(k))
		if err != nil {
			return "", nil, err
		}
		vs[i] = v
	}
	return string(k), vs, nil
}

func (d *decoder) triple(t, parent Term) (Triple, error) {
	_, vs, err := d.tagged(t, parent, 3)
	if err != nil {
		return Triple{}, err
	}
	return Triple{vs[0], vs[1], vs[2]}, nil
}

func (d *decoder) single(t, parent Term) (uint64, error) {
	_, vs, err := d.tagged(t, parent, 1)
	if err != nil {
		return 0, err
	}
	return vs[0], nil
}

func (d *decoder) props(t Term, what string) ([]Prop, error) {
	elems, err := d.list(t, what)
	if err != nil {
		return nil, err
	}
	out := make([]Prop, 0, len(elems))
	for _, e := range elems {
		k, v, err := d.keyValue(e, t)
		if err != nil {
			return nil, err
		}
		out = append(out, Prop{k, v})
	}
	return out, nil
}

func (d *decoder) calls(t Term) ([]CallCount, error) {
	elems, err := d.list(t, "a list of {Name, Giga, Ones}")
	if err != nil {
		return nil, err
	}
	out := make([]CallCount, 0, len(elems))
	for _, e := range elems {
		k, vs, err := d.tagged(e, t, 2)
		if err != nil {
			return nil, err
		}
		out = append(out, CallCount{k, vs[0], vs[1]})
	}
	return out, nil
}

func (d *decoder) instance(alloc string, n int, propsT, parent Term) (*AllocInstance, error) {
	inst := &AllocInstance{Allocator: alloc, Instance: n}
	seen := map[string]bool{}
	elems, ok := listElems(propsT)
	if !ok {
		return nil, d.errf(orParent(propsT, parent), "expected the property list of {%s,%d}, found %s", alloc, n, abbreviate(propsT))
	}
	for _, e := range elems {
		tp, ok := e.(Tuple)
		if ok && len(tp.Elems) == 3 {
			if k, _ := tp.Elems[0].(Atom); k == "versions" {
				// {versions, StrategyVsn, "3.0"}: dropped, as recon does.
				continue
			}
		}
		k, v, err := d.keyValue(e, propsT)
		if err != nil {
			return nil, err
		}
		if seen[k] {
			return nil, d.errf(orParent(e, propsT), "{%s,%d} has %s twice", alloc, n, k)
		}
		switch k {
		case "options":
			if alloc == "erts_mmap" {
				inst.Extra = append(inst.Extra, Prop{k, v})
				continue
			}
			if inst.Options, err = d.props(v, "an options list"); err != nil {
				return nil, err
			}
		case "calls":
			if inst.Calls, err = d.calls(v); err != nil {
				return nil, err
			}
		case "mbcs", "sbcs":
			cs, err := d.carriers(alloc, k, v)
			if err != nil {
				return nil, err
			}
			if k == "mbcs" {
				inst.MBCS = cs
			} else {
				inst.SBCS = cs
			}
		case "mbcs_pool":
			if inst.Pool, err = d.pool(alloc, v); err != nil {
				return nil, err
			}
		case "fix_types":
			if inst.FixTypes, err = d.fixTypes(v); err != nil {
				return nil, err
			}
		case "memkind":
			if inst.Mseg, err = d.memkind(v); err != nil {
				return nil, err
			}
		case "version":
			if inst.Version, err = d.str(v, e, "a version"); err != nil {
				return nil, err
			}
		default:
			inst.Extra = append(inst.Extra, Prop{k, v})
			continue
		}
		seen[k] = true
	}
	return inst, nil
}

// carriers reads {mbcs|sbcs, [...]} in any of its three forms.
func (d *decoder) carriers(alloc, kind string, t Term) (*CarrierStats, error) {
	elems, err := d.list(t, kind+" list")
	if err != nil {
		return nil, err
	}
	cs := &CarrierStats{}
	var blocks, blocksSize *Triple
	var raw []BlockStats
	haveRaw := false
	seen := map[string]bool{}
	for _, e := range elems {
		tp, ok := e.(Tuple)
		if !ok || len(tp.Elems) < 2 {
			return nil, d.errf(orParent(e, t), "expected {Key, ...} in %s, found %s", kind, abbreviate(e))
		}
		k, ok := tp.Elems[0].(Atom)
		if !ok {
			return nil, d.errf(tp, "expected an atom key in %s, found %s", kind, abbreviate(tp.Elems[0]))
		}
		if seen[string(k)] {
			return nil, d.errf(tp, "%s has %s twice", kind, k)
		}
		seen[string(k)] = true
		switch k {
		case "blocks":
			if len(tp.Elems) == 2 {
				// Raw OTP 23+ form: {blocks, [{Type, [{count,...},{size,...}]}]}.
				if raw, err = d.blockList(tp.Elems[1], kind); err != nil {
					return nil, err
				}
				haveRaw = true
				continue
			}
			tr, err := d.triple(tp, t)
			if err != nil {
				return nil, err
			}
			blocks = &tr
		case "blocks_size":
			tr, err := d.triple(tp, t)
			if err != nil {
				return nil, err
			}
			blocksSize = &tr
		case "foreign_blocks":
			// Derived from raw_blocks (the writer recomputes it).
			if err := d.pair(tp); err != nil {
				return nil, err
			}
			if _, err := d.blockList(tp.Elems[1], kind); err != nil {
				return nil, err
			}
		case "raw_blocks":
			if err := d.pair(tp); err != nil {
				return nil, err
			}
			if raw, err = d.blockList(tp.Elems[1], kind); err != nil {
				return nil, err
			}
			haveRaw = true
		case "carriers":
			if cs.Carriers, err = d.triple(tp, t); err != nil {
				return nil, err
			}
		case "carriers_size":
			if cs.CarriersSize, err = d.triple(tp, t); err != nil {
				return nil, err
			}
		case "mseg_alloc_carriers":
			if cs.MsegCarriers, err = d.single(tp, t); err != nil {
				return nil, err
			}
		case "sys_alloc_carriers":
			if cs.SysCarriers, err = d.single(tp, t); err != nil {
				return nil, err
			}
		case "mseg_alloc_carriers_size":
			if cs.MsegCarriersSize, err = d.single(tp, t); err != nil {
				return nil, err
			}
		case "sys_alloc_carriers_size":
			if cs.SysCarriersSize, err = d.single(tp, t); err != nil {
				return nil, err
			}
		default:
			if len(tp.Elems) != 2 {
				return nil, d.errf(tp, "expected {%s, Value} in %s, found %s", k, kind, abbreviate(tp))
			}
			cs.Extra = append(cs.Extra, Prop{string(k), tp.Elems[1]})
		}
	}
	for _, key := range []string{"carriers", "carriers_size"} {
		if !seen[key] {
			return nil, d.errf(t, "expected {%s, Cur, Max, MaxEver} in %s of %s", key, kind, alloc)
		}
	}
	switch {
	case haveRaw:
		cs.Blocks = raw
		c, s := cs.BlockTotals()
		if blocks != nil && *blocks != c {
			return nil, d.errf(t, "%s of %s: blocks %v is not the sum of its raw_blocks %v", kind, alloc, *blocks, c)
		}
		if blocksSize != nil && *blocksSize != s {
			return nil, d.errf(t, "%s of %s: blocks_size %v is not the sum of its raw_blocks %v", kind, alloc, *blocksSize, s)
		}
	case blocks != nil && blocksSize != nil:
		// OTP ≤ 22: totals only, all of the allocator's own type.
		if *blocks != (Triple{}) || *blocksSize != (Triple{}) {
			cs.Blocks = []BlockStats{{Type: alloc, Count: *blocks, Size: *blocksSize}}
		}
	default:
		return nil, d.errf(t, "expected {blocks, ...} and {blocks_size, ...} or {raw_blocks, [...]} in %s of %s", kind, alloc)
	}
	return cs, nil
}

// blockList reads [{Type, [{count,C,M,ME},{size,C,M,ME}]}].
func (d *decoder) blockList(t Term, kind string) ([]BlockStats, error) {
	elems, err := d.list(t, "a list of {Type, [{count,...},{size,...}]}")
	if err != nil {
		return nil, err
	}
	out := []BlockStats{}
	for _, e := range elems {
		k, v, err := d.keyValue(e, t)
		if err != nil {
			return nil, err
		}
		ps, err := d.list(v, "[{count,...},{size,...}]")
		if err != nil {
			return nil, err
		}
		b := BlockStats{Type: k}
		var haveCount, haveSize bool
		for _, p := range ps {
			tp, ok := p.(Tuple)
			if !ok || len(tp.Elems) != 4 {
				return nil, d.errf(orParent(p, v), "expected {count|size, Cur, Max, MaxEver} for %s in %s, found %s", k, kind, abbreviate(p))
			}
			name, tr := tp.Elems[0], Triple{}
			if tr, err = d.triple(tp, v); err != nil {
				return nil, err
			}
			switch name {
			case Atom("count"):
				b.Count, haveCount = tr, true
			case Atom("size"):
				b.Size, haveSize = tr, true
			default:
				return nil, d.errf(tp, "expected count or size for %s in %s, found %s", k, kind, abbreviate(name))
			}
		}
		if !haveCount || !haveSize {
			return nil, d.errf(orParent(e, t), "expected both count and size for %s in %s", k, kind)
		}
		out = append(out, b)
	}
	return out, nil
}

// poolBlockList reads mbcs_pool's [{Type, [{count,N},{size,N}]}].
func (d *decoder) poolBlockList(t Term) ([]PoolBlockStats, error) {
	elems, err := d.list(t, "a list of {Type, [{count,N},{size,N}]}")
	if err != nil {
		return nil, err
	}
	out := []PoolBlockStats{}
	for _, e := range elems {
		k, v, err := d.keyValue(e, t)
		if err != nil {
			return nil, err
		}
		ps, err := d.list(v, "[{count,N},{size,N}]")
		if err != nil {
			return nil, err
		}
		b := PoolBlockStats{Type: k}
		var haveCount, haveSize bool
		for _, p := range ps {
			name, vs, err := d.tagged(p, v, 1)
			if err != nil {
				return nil, err
			}
			switch name {
			case "count":
				b.Count, haveCount = vs[0], true
			case "size":
				b.Size, haveSize = vs[0], true
			default:
				return nil, d.errf(orParent(p, v), "expected count or size for %s in mbcs_pool, found %s", k, name)
			}
		}
		if !haveCount || !haveSize {
			return nil, d.errf(orParent(e, t), "expected both count and size for %s in mbcs_pool", k)
		}
		out = append(out, b)
	}
	return out, nil
}

func (d *decoder) pool(alloc string, t Term) (*PoolStats, error) {
	elems, err := d.list(t, "mbcs_pool list")
	if err != nil {
		return nil, err
	}
	p := &PoolStats{}
	var blocks, blocksSize *uint64
	haveRaw := false
	seen := map[string]bool{}
	for _, e := range elems {
		tp, ok := e.(Tuple)
		if !ok || len(tp.Elems) < 2 {
			return nil, d.errf(orParent(e, t), "expected {Key, ...} in mbcs_pool, found %s", abbreviate(e))
		}
		k, ok := tp.Elems[0].(Atom)
		if !ok {
			return nil, d.errf(tp, "expected an atom key in mbcs_pool, found %s", abbreviate(tp.Elems[0]))
		}
		if seen[string(k)] {
			return nil, d.errf(tp, "mbcs_pool has %s twice", k)
		}
		seen[string(k)] = true
		switch {
		case k == "blocks" && len(tp.Elems) == 2 && isList(tp.Elems[1]):
			if p.Blocks, err = d.poolBlockList(tp.Elems[1]); err != nil {
				return nil, err
			}
			haveRaw = true
		case k == "raw_blocks":
			if err := d.pair(tp); err != nil {
				return nil, err
			}
			if p.Blocks, err = d.poolBlockList(tp.Elems[1]); err != nil {
				return nil, err
			}
			haveRaw = true
		case k == "foreign_blocks":
			if err := d.pair(tp); err != nil {
				return nil, err
			}
			if _, err := d.poolBlockList(tp.Elems[1]); err != nil {
				return nil, err
			}
		case k == "blocks":
			v, err := d.single(tp, t)
			if err != nil {
				return nil, err
			}
			blocks = &v
		case k == "blocks_size":
			v, err := d.single(tp, t)
			if err != nil {
				return nil, err
			}
			blocksSize = &v
		case k == "carriers":
			if p.Carriers, err = d.single(tp, t); err != nil {
				return nil, err
			}
		case k == "carriers_size":
			if p.CarriersSize, err = d.single(tp, t); err != nil {
				return nil, err
			}
		case len(tp.Elems) == 3:
			_, vs, err := d.tagged(tp, t, 2)
			if err != nil {
				return nil, err
			}
			p.Counters = append(p.Counters, CallCount{string(k), vs[0], vs[1]})
		case len(tp.Elems) == 2:
			p.Extra = append(p.Extra, Prop{string(k), tp.Elems[1]})
		default:
			return nil, d.errf(tp, "expected {%s, Giga, Ones} in mbcs_pool, found %s", k, abbreviate(tp))
		}
	}
	for _, key := range []string{"carriers", "carriers_size"} {
		if !seen[key] {
			return nil, d.errf(t, "expected {%s, N} in mbcs_pool of %s", key, alloc)
		}
	}
	switch {
	case haveRaw:
		c, s := p.BlockTotals()
		if blocks != nil && *blocks != c {
			return nil, d.errf(t, "mbcs_pool of %s: blocks %d is not the sum of its raw_blocks %d", alloc, *blocks, c)
		}
		if blocksSize != nil && *blocksSize != s {
			return nil, d.errf(t, "mbcs_pool of %s: blocks_size %d is not the sum of its raw_blocks %d", alloc, *blocksSize, s)
		}
	case blocks != nil && blocksSize != nil:
		if *blocks != 0 || *blocksSize != 0 {
			p.Blocks = []PoolBlockStats{{Type: alloc, Count: *blocks, Size: *blocksSize}}
		}
	default:
		return nil, d.errf(t, "expected {blocks, N} and {blocks_size, N} or {raw_blocks, [...]} in mbcs_pool of %s", alloc)
	}
	return p, nil
}

// pair requires a {Key, Value} tuple.
func (d *decoder) pair(tp Tuple) error {
	if len(tp.Elems) != 2 {
		return d.errf(tp, "expected {%s, [...]}, found %s", WriteTerm(tp.Elems[0]), abbreviate(tp))
	}
	return nil
}

// str reads a string: "..." or any list of character codes.
func (d *decoder) str(t, parent Term, what string) (string, error) {
	if s, ok := t.(String); ok {
		return string(s), nil
	}
	if elems, ok := listElems(t); ok {
		rs := make([]rune, len(elems))
		for i, e := range elems {
			n, ok := e.(Int)
			c, fits := n.Uint64()
			if !ok || !fits || c > 0x10FFFF || c >= 0xD800 && c <= 0xDFFF {
				return "", d.errf(orParent(t, parent), "expected %s string, found %s", what, abbreviate(t))
			}
			rs[i] = rune(c)
		}
		return string(rs), nil
	}
	return "", d.errf(orParent(t, parent), "expected %s string, found %s", what, abbreviate(t))
}

func isList(t Term) bool {
	_, ok := listElems(t)
	return ok
}

func (d *decoder) fixTypes(t Term) ([]FixType, error) {
	elems, err := d.list(t, "a fix_types list")
	if err != nil {
		return nil, err
	}
	out := []FixType{}
	for _, e := range elems {
		k, vs, err := d.tagged(e, t, 2)
		if err != nil {
			return nil, err
		}
		out = append(out, FixType{k, vs[0], vs[1]})
	}
	return out, nil
}

func (d *decoder) memkind(t Term) (*MsegInfo, error) {
	ps, err := d.props(t, "a memkind list")
	if err != nil {
		return nil, err
	}
	m := &MsegInfo{}
	seen := map[string]bool{}
	for _, p := range ps {
		seen[p.Key] = true
		switch p.Key {
		case "name":
			if m.Name, err = d.str(p.Value, t, "a memkind name"); err != nil {
				return nil, err
			}
		case "status":
			elems, err := d.list(p.Value, "a memkind status list")
			if err != nil {
				return nil, err
			}
			for _, e := range elems {
				tp, ok := e.(Tuple)
				if !ok || len(tp.Elems) < 2 {
					return nil, d.errf(orParent(e, t), "expected {Key, ...} in memkind status, found %s", abbreviate(e))
				}
				k, _ := tp.Elems[0].(Atom)
				switch k {
				case "cached_segments":
					m.CachedSegments, err = d.single(tp, t)
				case "cache_hits":
					m.CacheHits, err = d.single(tp, t)
				case "segments_watermark":
					m.SegmentsWatermark, err = d.single(tp, t)
				case "segments":
					m.Segments, err = d.triple(tp, t)
				case "segments_size":
					m.SegmentsSize, err = d.triple(tp, t)
				default:
					err = d.errf(orParent(e, t), "expected cached_segments, cache_hits, segments, segments_watermark or segments_size in memkind status, found %s", abbreviate(e))
				}
				if err != nil {
					return nil, err
				}
			}
		case "calls":
			if m.Calls, err = d.calls(p.Value); err != nil {
				return nil, err
			}
		default:
			return nil, d.errf(t, "expected name, status or calls in memkind, found %s", p.Key)
		}
	}
	for _, key := range []string{"name", "status", "calls"} {
		if !seen[key] {
			return nil, d.errf(t, "expected {%s, ...} in memkind", key)
		}
	}
	return m, nil
}

// abbreviate shows a term in an error message, shortened.
func abbreviate(t Term) string {
	s := WriteTerm(t)
	if len(s) > 60 {
		s = s[:57] + "..."
	}
	return s
}

// ---------------------------------------------------------------------------
// Writing

// Term returns the snapshot as the term recon_alloc:snapshot/0 stores.
func (s *Snapshot) Term() Term {
	mem := make([]Term, len(s.Memory))
	for i, m := range s.Memory {
		mem[i] = Tup(Atom(m.Key), IntFrom(m.Bytes))
	}
	allocs := make([]Term, len(s.Instances))
	for i := range s.Instances {
		in := &s.Instances[i]
		allocs[i] = Tup(Tup(Atom(in.Allocator), IntFrom(in.Instance)), List{Elems: in.Props()})
	}
	return Tup(List{Elems: mem}, List{Elems: allocs})
}

// WriteSnapshot writes s as recon_alloc:snapshot_save/1 does:
// io_lib:format("~p.~n", [Snapshot]).
func WriteSnapshot(w io.Writer, s *Snapshot) error {
	_, err := io.WriteString(w, PrettyTerm(s.Term(), 1)+".\n")
	return err
}

// present reports whether the instance has key k: whether the field is
// set (a non-nil slice, even empty, stands for a key that is there).
func (in *AllocInstance) present(k string) bool {
	switch k {
	case "options":
		return in.Options != nil
	case "calls":
		return in.Calls != nil
	case "mbcs":
		return in.MBCS != nil
	case "sbcs":
		return in.SBCS != nil
	case "mbcs_pool":
		return in.Pool != nil
	case "fix_types":
		return in.FixTypes != nil
	case "memkind":
		return in.Mseg != nil
	case "version":
		return in.Version != ""
	}
	return false
}

// Props returns the instance's property list as recon_alloc:allocators/0
// gives it: keys sorted (format_alloc sorts), per-type block lists
// rewritten into blocks, blocks_size, foreign_blocks and raw_blocks.
// An instance with only uninterpreted properties (erts_mmap) keeps their
// order, since recon stores system_info({allocator, erts_mmap}) as it is.
func (in *AllocInstance) Props() []Term {
	type kv struct {
		k string
		v Term
	}
	var ps []kv
	add := func(k string, v Term) { ps = append(ps, kv{k, v}) }
	if in.present("calls") {
		add("calls", callsTerm(in.Calls))
	}
	if in.present("fix_types") {
		fs := make([]Term, len(in.FixTypes))
		for i, f := range in.FixTypes {
			fs[i] = Tup(Atom(f.Type), IntFrom(f.Pool), IntFrom(f.Used))
		}
		add("fix_types", List{Elems: fs})
	}
	if in.present("mbcs") {
		add("mbcs", in.MBCS.term(in.Allocator))
	}
	if in.present("mbcs_pool") {
		add("mbcs_pool", in.Pool.term(in.Allocator))
	}
	if in.present("memkind") {
		add("memkind", in.Mseg.term())
	}
	if in.present("options") {
		add("options", propsTerm(in.Options))
	}
	if in.present("sbcs") {
		add("sbcs", in.SBCS.term(in.Allocator))
	}
	if in.present("version") {
		add("version", String(in.Version))
	}
	known := len(ps)
	for _, p := range in.Extra {
		add(p.Key, p.Value)
	}
	if known > 0 {
		slices.SortStableFunc(ps, func(a, b kv) int { return strings.Compare(a.k, b.k) })
	}
	out := make([]Term, len(ps))
	for i, p := range ps {
		out[i] = Tup(Atom(p.k), p.v)
	}
	return out
}

func callsTerm(cs []CallCount) Term {
	out := make([]Term, len(cs))
	for i, c := range cs {
		out[i] = Tup(Atom(c.Name), IntFrom(c.Giga), IntFrom(c.Ones))
	}
	return List{Elems: out}
}

func propsTerm(ps []Prop) Term {
	out := make([]Term, len(ps))
	for i, p := range ps {
		out[i] = Tup(Atom(p.Key), p.Value)
	}
	return List{Elems: out}
}

func tripleTerm(k string, t Triple) Term {
	return Tup(Atom(k), IntFrom(t.Cur), IntFrom(t.Max), IntFrom(t.MaxEver))
}

func blockStatsTerm(bs []BlockStats) Term {
	out := make([]Term, len(bs))
	for i, b := range bs {
		out[i] = Tup(Atom(b.Type), Lst(tripleTerm("count", b.Count), tripleTerm("size", b.Size)))
	}
	return List{Elems: out}
}

func (c *CarrierStats) term(alloc string) Term {
	count, size := c.BlockTotals()
	var foreign []BlockStats
	for _, b := range c.Blocks {
		if b.Type != alloc {
			foreign = append(foreign, b)
		}
	}
	elems := []Term{
		tripleTerm("blocks", count),
		tripleTerm("blocks_size", size),
		Tup(Atom("foreign_blocks"), blockStatsTerm(foreign)),
		Tup(Atom("raw_blocks"), blockStatsTerm(c.Blocks)),
		tripleTerm("carriers", c.Carriers),
		Tup(Atom("mseg_alloc_carriers"), IntFrom(c.MsegCarriers)),
		Tup(Atom("sys_alloc_carriers"), IntFrom(c.SysCarriers)),
		tripleTerm("carriers_size", c.CarriersSize),
		Tup(Atom("mseg_alloc_carriers_size"), IntFrom(c.MsegCarriersSize)),
		Tup(Atom("sys_alloc_carriers_size"), IntFrom(c.SysCarriersSize)),
	}
	for _, p := range c.Extra {
		elems = append(elems, Tup(Atom(p.Key), p.Value))
	}
	return List{Elems: elems}
}

func poolBlocksTerm(bs []PoolBlockStats) Term {
	out := make([]Term, len(bs))
	for i, b := range bs {
		out[i] = Tup(Atom(b.Type), Lst(Tup(Atom("count"), IntFrom(b.Count)), Tup(Atom("size"), IntFrom(b.Size))))
	}
	return List{Elems: out}
}

func (p *PoolStats) term(alloc string) Term {
	count, size := p.BlockTotals()
	var foreign []PoolBlockStats
	for _, b := range p.Blocks {
		if b.Type != alloc {
			foreign = append(foreign, b)
		}
	}
	elems := []Term{
		Tup(Atom("blocks"), IntFrom(count)),
		Tup(Atom("blocks_size"), IntFrom(size)),
		Tup(Atom("foreign_blocks"), poolBlocksTerm(foreign)),
		Tup(Atom("raw_blocks"), poolBlocksTerm(p.Blocks)),
		Tup(Atom("carriers"), IntFrom(p.Carriers)),
		Tup(Atom("carriers_size"), IntFrom(p.CarriersSize)),
	}
	for _, c := range p.Counters {
		elems = append(elems, Tup(Atom(c.Name), IntFrom(c.Giga), IntFrom(c.Ones)))
	}
	for _, x := range p.Extra {
		elems = append(elems, Tup(Atom(x.Key), x.Value))
	}
	return List{Elems: elems}
}

func (m *MsegInfo) term() Term {
	return Lst(
		Tup(Atom("name"), String(m.Name)),
		Tup(Atom("status"), Lst(
			Tup(Atom("cached_segments"), IntFrom(m.CachedSegments)),
			Tup(Atom("cache_hits"), IntFrom(m.CacheHits)),
			tripleTerm("segments", m.Segments),
			Tup(Atom("segments_watermark"), IntFrom(m.SegmentsWatermark)),
			tripleTerm("segments_size", m.SegmentsSize),
		)),
		Tup(Atom("calls"), callsTerm(m.Calls)),
	)
}
