package reports

import (
	"sort"

	"alloclab/allocator"
	"alloclab/strategies"
)

// InstanceInfo turns a simulated instance into the statistics model, as
// erlang:system_info({allocator, A}) would report it (erts-alloc-facts
// §8.1): options (given, in the runtime's order), mbcs and sbcs with the
// instance's own block type, the call counters. When reset is set it then
// starts a new "max since last call" period, as every info call does.
func InstanceInfo(in *allocator.Instance, options []Prop, reset bool) AllocInstance {
	name := in.Type.String()
	prefix := name[:len(name)-len("alloc")]
	kind := func(s *allocator.CarrierStats) *CarrierStats {
		cs := &CarrierStats{
			Carriers:         Triple(s.Carriers),
			CarriersSize:     Triple(s.CarriersSize),
			MsegCarriers:     s.MsegCarriers,
			SysCarriers:      s.SysCarriers,
			MsegCarriersSize: s.MsegSize,
			SysCarriersSize:  s.SysSize,
		}
		// Per block type in type order: the own type and, after carriers
		// came from a pool shared between types, others (§7.3). The
		// runtime omits a type whose max-ever count is 0.
		for t := range s.Other {
			cnt, size := &s.Other[t].Blocks, &s.Other[t].BlocksSize
			if t == int(in.Type) {
				cnt, size = &s.Blocks, &s.BlocksSize
			}
			if cnt.MaxEver > 0 {
				cs.Blocks = append(cs.Blocks, BlockStats{Type: allocator.Type(t).String(), Count: Triple(*cnt), Size: Triple(*size)})
			}
		}
		return cs
	}
	c := &in.Stats.Calls
	ai := AllocInstance{
		Allocator: name,
		Instance:  in.Index,
		Options:   options,
		MBCS:      kind(&in.Stats.MBCs),
		SBCS:      kind(&in.Stats.SBCs),
		Calls: []CallCount{
			CallCountOf(prefix+"alloc", c.Alloc), CallCountOf(prefix+"free", c.Free),
			CallCountOf(prefix+"realloc", c.Realloc), CallCountOf("mseg_alloc", c.MsegAlloc),
			CallCountOf("mseg_dealloc", c.MsegDealloc), CallCountOf("mseg_realloc", c.MsegRealloc),
			CallCountOf("sys_alloc", c.SysAlloc), CallCountOf("sys_free", c.SysFree),
			CallCountOf("sys_realloc", c.SysRealloc),
		},
		Version: allocator.StrategyVersion(in.Opts.AS),
	}
	// An instance with a carrier pool reports it (§8.1): its own carriers
	// in the pool and their blocks (the type is listed while it has any),
	// then its fetch counters.
	if in.Pooled() {
		p := &in.Stats.Pool
		ai.Pool = &PoolStats{Blocks: []PoolBlockStats{}, Carriers: p.Carriers, CarriersSize: p.CarriersSize}
		for t, k := range p.Other {
			if t == int(in.Type) {
				k.N, k.Size = p.Blocks, p.BlocksSize
			}
			if k.N > 0 || k.Size > 0 {
				ai.Pool.Blocks = append(ai.Pool.Blocks, PoolBlockStats{Type: allocator.Type(t).String(), Count: k.N, Size: k.Size})
			}
		}
		for i, v := range []uint64{p.EntranceRemoved, p.SkipRace, p.SkipHomecoming, p.SkipNotPooled, p.SkipBusy,
			p.SkipSize, p.Fetch, p.Fail, p.FailPendDealloc, p.FailShared, p.FailPooled} {
			ai.Pool.Counters = append(ai.Pool.Counters, CallCountOf(poolCounters[i], v))
		}
	}
	// fix_alloc instances without a carrier pool report their fix types
	// (§8.1): alloclab's types are the sizes seen (allocator/fix.go).
	if types, cpool := in.FixTypes(); types != nil && !cpool {
		ai.FixTypes = fixTypes(types, nil)
	}
	if reset {
		in.Stats.ResetMax()
	}
	return ai
}

// fixTypes turns an instance's fix types into fix_types entries
// {size_<Size>, Size × allocated, Size × used}, by size, adding a zero
// entry for every size in also it has not seen: the runtime lists all its
// types in every instance, so a type seen elsewhere in the node is listed.
func fixTypes(types []allocator.FixType, also []uint64) []FixType {
	have := map[uint64]bool{}
	for _, t := range types {
		have[t.Size] = true
	}
	for _, sz := range also {
		if !have[sz] {
			have[sz] = true
			types = append(types, allocator.FixType{Size: sz})
		}
	}
	sort.Slice(types, func(i, j int) bool { return types[i].Size < types[j].Size })
	out := []FixType{}
	for _, t := range types {
		out = append(out, FixType{Type: t.Name(), Pool: t.Size * uint64(t.Allocated), Used: t.Size * uint64(t.Used)})
	}
	return out
}

// poolCounters are the mbcs_pool counters in the runtime's order.
var poolCounters = []string{"entrance_removed", "skip_race", "skip_homecoming", "skip_not_pooled",
	"skip_busy", "skip_size", "fetch", "fail", "fail_pend_dealloc", "fail_shared", "fail_pooled"}

// AllocatorTerm is what erlang:system_info({allocator, A}) returns for the
// instances of one allocator: [{instance, N, [{versions, V, "3.0"},
// {options, [...]}, {fix_types, [...]} (fix_alloc without a pool),
// {mbcs, [...]}, {mbcs_pool, [...]} (with a pool), {sbcs, [...]},
// {calls, [...]}]}].
func AllocatorTerm(insts []AllocInstance) Term {
	var out []Term
	for i := range insts {
		ai := &insts[i]
		props := []Term{Tup(Atom("versions"), String(ai.Version), String("3.0"))}
		if ai.Options != nil {
			props = append(props, Tup(Atom("options"), propList(ai.Options)))
		}
		if ai.FixTypes != nil {
			var fs []Term
			for _, f := range ai.FixTypes {
				fs = append(fs, Tup(Atom(f.Type), IntFrom(f.Pool), IntFrom(f.Used)))
			}
			props = append(props, Tup(Atom("fix_types"), Lst(fs...)))
		}
		props = append(props, Tup(Atom("mbcs"), carrierTerm(ai.MBCS)))
		if p := ai.Pool; p != nil {
			var blocks, pool []Term
			for _, b := range p.Blocks {
				blocks = append(blocks, Tup(Atom(b.Type), Lst(Tup(Atom("count"), IntFrom(b.Count)), Tup(Atom("size"), IntFrom(b.Size)))))
			}
			pool = append(pool, Tup(Atom("blocks"), Lst(blocks...)),
				Tup(Atom("carriers"), IntFrom(p.Carriers)), Tup(Atom("carriers_size"), IntFrom(p.CarriersSize)))
			for _, c := range p.Counters {
				pool = append(pool, Tup(Atom(c.Name), IntFrom(c.Giga), IntFrom(c.Ones)))
			}
			props = append(props, Tup(Atom("mbcs_pool"), Lst(pool...)))
		}
		props = append(props, Tup(Atom("sbcs"), carrierTerm(ai.SBCS)))
		var calls []Term
		for _, c := range ai.Calls {
			calls = append(calls, Tup(Atom(c.Name), IntFrom(c.Giga), IntFrom(c.Ones)))
		}
		props = append(props, Tup(Atom("calls"), Lst(calls...)))
		out = append(out, Tup(Atom("instance"), IntFrom(ai.Instance), Lst(props...)))
	}
	return Lst(out...)
}

func propList(ps []Prop) Term {
	var l []Term
	for _, p := range ps {
		l = append(l, Tup(Atom(p.Key), p.Value))
	}
	return Lst(l...)
}

func triple(name string, t Triple) Term {
	return Tup(Atom(name), IntFrom(t.Cur), IntFrom(t.Max), IntFrom(t.MaxEver))
}

func carrierTerm(cs *CarrierStats) Term {
	var blocks []Term
	for _, b := range cs.Blocks {
		blocks = append(blocks, Tup(Atom(b.Type), Lst(triple("count", b.Count), triple("size", b.Size))))
	}
	return Lst(
		Tup(Atom("blocks"), Lst(blocks...)),
		triple("carriers", cs.Carriers),
		Tup(Atom("mseg_alloc_carriers"), IntFrom(cs.MsegCarriers)),
		Tup(Atom("sys_alloc_carriers"), IntFrom(cs.SysCarriers)),
		triple("carriers_size", cs.CarriersSize),
		Tup(Atom("mseg_alloc_carriers_size"), IntFrom(cs.MsegCarriersSize)),
		Tup(Atom("sys_alloc_carriers_size"), IntFrom(cs.SysCarriersSize)),
	)
}

// OptionProps is an instance's {options, [...]} list in the runtime's
// order (erlang:system_info({allocator, A}), verified on OTP 25.2.3): gf
// instances add mbsd before as.
func OptionProps(o allocator.Options) []Prop {
	b := func(v bool) Term {
		if v {
			return Atom("true")
		}
		return Atom("false")
	}
	n := func(v uint64) Term { return IntFrom(v) }
	cp := Term(Atom("undefined"))
	if o.CP != 0 {
		cp = Atom(string(o.CP))
	}
	ps := []Prop{{"e", b(o.E)}, {"t", b(o.T)}, {"atags", b(o.ATags)}, {"ramv", b(o.RAMV)},
		{"sbct", n(o.SBCT)}, {"asbcst", n(o.ASBCST)}, {"rsbcst", n(o.RSBCST)}, {"rsbcmt", n(o.RSBCMT)},
		{"rmbcmt", n(o.RMBCMT)}, {"mmbcs", n(o.MMBCS)}, {"mmmbc", n(o.MMMBC)}, {"mmsbc", n(o.MMSBC)},
		{"lmbcs", n(o.LMBCS)}, {"smbcs", n(o.SMBCS)}, {"mbcgs", n(o.MBCGS)}, {"acful", n(o.ACFUL)},
		{"acul", n(o.ACUL)}, {"acnl", n(o.ACNL)}, {"acfml", n(o.ACFML)}, {"cp", cp}}
	if o.AS == strategies.GF {
		ps = append(ps, Prop{"mbsd", n(o.MBSD)})
	}
	return append(ps, Prop{"as", Atom(o.AS.String())})
}

// SystemInfo collects InstanceInfo for every instance of every allocator
// of a simulated node, grouped by allocator in the runtime's order.
func SystemInfo(insts []*allocator.Instance, reset bool) []AllocInstance {
	var sizes []uint64
	for _, in := range insts {
		types, _ := in.FixTypes()
		for _, t := range types {
			sizes = append(sizes, t.Size)
		}
	}
	var out []AllocInstance
	for _, in := range insts {
		ai := InstanceInfo(in, OptionProps(in.Opts), reset)
		if ai.FixTypes != nil {
			types, _ := in.FixTypes()
			ai.FixTypes = fixTypes(types, sizes)
		}
		out = append(out, ai)
	}
	return out
}
