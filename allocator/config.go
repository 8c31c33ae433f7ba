package allocator

// The effective allocator configuration of a node: what erts_alloc_init and
// erts_alcu_start compute from the raw defaults and the +M flags, and what
// erlang:system_info({allocator, A}) then shows in each instance's
// {options, [...]} list.
//
// NewNodeConfig follows the runtime step by step (erts-alloc-facts §2.2,
// §2.3, §2.4; every step was checked against erl 25.2.3, see
// cmd/alloclab/testdata/flags):
//
//  1. Raw defaults per type (TypeDefaults, §2.2), then the flags replayed in
//     command-line order (Flags.ApplyTo: +Mu, +M<S>, +Mea presets, and the
//     parse-time side effects of "as" and "t false").
//  2. temp_alloc: acul = acful = 0.
//  3. sl, std, ll, eheap, binary, ets, driver, fix, literal: acul != 0 makes
//     the allocator thread preferred and, if its strategy is not of the
//     aoff/ageff family, switches it to aoffcbf; acful is clamped to acul.
//     test_alloc is not adjusted (verified: +MZacul 30 +MZacful 50 shows
//     acful 50, +MZt false +MZas bf +MZacul 60 stays a single bf instance).
//  4. +Mea config: no thread-specific/preferred instances, acul 0.
//  5. temp_alloc with t: thread specific, N+D+1 instances. Every other
//     allocator with t: thread preferred, N+D+1 instances, and mmbcs /=
//     min(4,N), lmbcs /= min(2,N), smbcs /= min(4,N) — each only if the user
//     did not set it (Flags.IsSet; temp_alloc is never divided).
//  6. af becomes gf everywhere but in a thread-specific temp_alloc.
//  7. Per instance: instance 0 and the dirty instances (N+1..N+D) are
//     thread safe; temp_alloc's thread-safe instances run gf instead of af.
//     The carrier pool is enabled only in a non-thread-safe instance with
//     acul > 0, acnl > 0 and a pool (cp): elsewhere acul, acful, acnl and
//     acfml show 0 and cp undefined (§2.3 step 7; verified: +MBacnl 0 shows
//     acul 0 in every instance).
//  8. erts_alcu_start: lmbcs is max(lmbcs, smbcs), mbcgs max(1, mbcgs),
//     asbcst at most (2^64-1)/100, and a main carrier size below the
//     16 KiB minimum MBC becomes 16 KiB (verified: +MBmmbcs 1 .. 16 show
//     16384, 17 shows 17408; 0 stays 0, no main carrier) — except in
//     ets_alloc instance 0, which creates no main carrier and shows the
//     size as configured (verified: +MEmmbcs 8 shows 8192 there, 16384 in
//     the other instances).
//
// D is the number of dirty allocator instances: +Mdai capped at the number
// of dirty CPU schedulers, which is N by default on a machine with at least
// N logical CPUs (§1.3; verified: +S 4 +SDcpu 4 +Mdai max gives 9 binary_alloc
// instances, and +S 4 on this 2-CPU machine, with 2 dirty CPU schedulers,
// gives 7).

import (
	"fmt"

	"alloclab/carriers"
	"alloclab/strategies"
)

// MaxSchedulers is ERTS_MAX_NO_OF_SCHEDULERS: erl +S 1025 exits with "bad
// amount of schedulers 1025" (verified).
const MaxSchedulers = 1024

// Start-up constants of erts_alcu_start (64-bit).
const (
	// configMinMMBCS: a main carrier is at least one minimum MBC, 16 KiB
	// (minMBCSize, §3.1).
	configMinMMBCS = minMBCSize
	// configMaxASBCST: erts_alcu_start caps the absolute SBC shrink
	// threshold at UWORD_MAX/100 so that the percentage products cannot
	// overflow (verified: +MBasbcst 18014398509481984 shows
	// 184467440737095516).
	configMaxASBCST = Infinite / 100
	// configLiteralSCRFSD is the literal mapper's reserved free segment
	// descriptors (§1.1): its super carrier shows 1024 of them, 64 KiB.
	configLiteralSCRFSD = 1024
)

// NodeConfig is the effective allocator configuration of a node with N
// normal schedulers: erts_alloc_init's result.
type NodeConfig struct {
	Schedulers int
	// DirtyInstances is D: +Mdai capped at the dirty CPU schedulers.
	// Multi-instance allocators have instances 0..Schedulers+D; N+1..N+D are
	// the dirty ones (thread safe, like instance 0).
	DirtyInstances int
	Util           UtilOptions // alloc_util globals (+Mu ycs/mmc/sac)
	Mseg           MsegFlags   // from Flags.Mseg()
	// MsegInstances is the number of mseg_alloc instances, N+D+1.
	MsegInstances int
	Sys           SysFlags // sys_alloc (+MY...)
	// Types is indexed by Type; Temp..Test are used.
	Types [Test + 1]TypeConfig
}

// TypeConfig is the configuration of one allocator type.
type TypeConfig struct {
	// Enabled is false for an allocator switched off (+M<S>e false, +Mea
	// min, a preset, test_alloc by default): system_info shows false and
	// its memory comes from sys_alloc. Instances is nil then.
	Enabled bool
	// Instances are the options of each instance as system_info shows
	// them, index = instance number: 0..N+D for a multi-instance type,
	// only [0] for a single-instance one.
	Instances []Options
	// ThreadSpecific is set for temp_alloc with per-scheduler instances (the
	// thread-specific interface: no cross-thread frees); every other
	// multi-instance type is thread preferred.
	ThreadSpecific bool
}

// MultiInstance reports whether the type has per-scheduler instances.
func (tc *TypeConfig) MultiInstance() bool { return len(tc.Instances) > 1 }

// ThreadSafe reports whether instance inst of a type with n schedulers is
// locked (instance 0, the dirty instances, and a single instance): such an
// instance has no carrier pool.
func (c *NodeConfig) ThreadSafe(t Type, inst int) bool {
	return !c.Types[t].MultiInstance() || inst == 0 || inst > c.Schedulers
}

// MainCarrier reports whether instance inst of type t gets a main carrier at
// start: every instance of an enabled type with mmbcs > 0, except ets_alloc
// instance 0, which has none in OTP 25 (§2.2, §9.1; verified: its
// sys_alloc_carriers is 0, also with +MEt false, while ets dirty instances
// have one).
func (c *NodeConfig) MainCarrier(t Type, inst int) bool {
	if t < Temp || t > Test {
		return false
	}
	tc := &c.Types[t]
	if !tc.Enabled || inst < 0 || inst >= len(tc.Instances) {
		return false
	}
	if t == ETS && inst == 0 {
		return false
	}
	return tc.Instances[inst].MMBCS > 0
}

// TypeDefaults returns the raw defaults of allocator type t, before flags
// and start-up adjustments (set_default_*_alloc_opts, §2.2): the generic
// ERTS_DEFAULT_ALLCTR_INIT with each type's overrides. T is the base
// thread-specific/preferred setting, AS the base strategy, ACUL the default
// abandon limit. The zero Options for anything but Temp..Test.
func TypeDefaults(t Type) Options {
	if t < Temp || t > Test {
		return Options{}
	}
	o := GenericDefaults()
	o.T = true
	o.MMBCS = 128 << 10
	switch t {
	case Temp:
		o.AS = strategies.AF
		o.RSBCST, o.RMBCMT = 90, 100
	case SL:
		o.AS = strategies.GF
		o.RSBCST = 80
		o.ACUL = 60
	case STD, ETS:
		o.AS = strategies.BF
		o.ACUL = 60
	case LL, Literal:
		o.AS = strategies.AOBF
		o.T = false
		o.SBCT, o.MMSBC = Infinite, 0
		o.ASBCST, o.RSBCST, o.RSBCMT, o.RMBCMT = 0, 0, 0, 0
		o.MMBCS = 2 << 20
		o.ACUL = 85
		if t == Literal {
			o.MMBCS = 1 << 20
			o.ACUL = 0
		}
	case EHeap:
		o.AS = strategies.GF
		o.MMBCS = 512 << 10
		o.RSBCST = 50
		o.ACUL = 45
	case Fix:
		o.AS = strategies.AOBF
		o.ACUL = 60
	case Binary, Driver:
		o.AS = strategies.BF
		o.ACUL = 60
		o.ATags = true
	case Test:
		o.E = false
		o.AS = strategies.AOFFCBF
		o.MMBCS = 0
		o.ACUL = 60
		o.ATags = true
		// "a constant minimal MBC size": one 16 KiB super-alignment unit.
		o.SBCT, o.SMBCS, o.LMBCS = saUnit, saUnit, saUnit
	}
	// Each migrating type has its own carrier pool by default (cp = its
	// letter, §2.4); temp and literal have none.
	if t != Temp && t != Literal {
		o.CP = t.Letter()
	}
	return o
}

// configMigrationAdjusted are the types erts_alloc_init runs
// adjust_carrier_migration_support on (§2.3 step 3); not temp, not test.
var configMigrationAdjusted = [...]Type{SL, STD, LL, EHeap, Binary, ETS, Driver, Fix, Literal}

// NewNodeConfig computes the effective configuration of a node with
// schedulers normal schedulers and the flags fl (nil: none), assuming as
// many dirty CPU schedulers as normal ones (the runtime's default on a
// machine with at least that many logical CPUs). See the file comment for
// the rules. It returns an error for what the runtime refuses at start-up;
// see NewNodeConfigDirty.
func NewNodeConfig(schedulers int, fl *Flags) (*NodeConfig, error) {
	return NewNodeConfigDirty(schedulers, schedulers, fl)
}

// NewNodeConfigDirty is NewNodeConfig with the number of dirty CPU
// schedulers (+SDcpu; at most schedulers, the runtime's cap), which caps
// +Mdai.
//
// Errors, each something OTP 25.2.3 refuses at start-up:
//   - schedulers outside 1..1024 ("bad amount of schedulers");
//   - dirtyCPU below 1;
//   - an +Mea r9c/r10b/r11b preset leaving fix_alloc enabled (Flags.Check:
//     the runtime crashes);
//   - a default-mapper super carrier (+MMscs) too small for its descriptor
//     area or too large to map ("erts_mmap: No space for segments in super
//     carrier", "Failed to create super carrier");
//   - a literal super carrier (+MIscs) that cannot hold literal_alloc's main
//     carrier ("Failed to create main carrier for literal_alloc"; verified
//     for +MIscs 0 and 1) or cannot be mapped.
//
// A main carrier that malloc cannot provide ("Failed to create main carrier
// for binary_alloc" for +MBmmbcs 100000000 here) depends on the host's
// memory and is not checked.
func NewNodeConfigDirty(schedulers, dirtyCPU int, fl *Flags) (*NodeConfig, error) {
	if schedulers < 1 || schedulers > MaxSchedulers {
		return nil, &ConfigError{fmt.Errorf("bad amount of schedulers %d (1..%d)", schedulers, MaxSchedulers)}
	}
	if dirtyCPU < 1 {
		return nil, &ConfigError{fmt.Errorf("bad amount of dirty CPU schedulers %d (at least 1)", dirtyCPU)}
	}
	dirtyCPU = min(dirtyCPU, schedulers)
	if err := fl.Check(); err != nil {
		return nil, err
	}
	n := schedulers
	dai, daiMax := fl.DirtyAllocInstances()
	d := dai
	if daiMax || d > dirtyCPU {
		d = dirtyCPU
	}
	c := &NodeConfig{
		Schedulers:     n,
		DirtyInstances: d,
		Util:           fl.Util(DefaultUtilOptions()),
		Mseg:           fl.Mseg(),
		MsegInstances:  n + d + 1,
		Sys:            fl.Sys(),
	}
	if err := configCheckMappers(c.Mseg); err != nil {
		return nil, err
	}

	// Step 1: raw defaults and flags.
	var w [Test + 1]Options
	for t := Temp; t <= Test; t++ {
		w[t] = fl.ApplyTo(t, TypeDefaults(t))
	}
	// Step 2.
	w[Temp].ACUL, w[Temp].ACFUL = 0, 0
	// Step 3.
	for _, t := range configMigrationAdjusted {
		o := &w[t]
		if o.ACUL != 0 {
			o.T = true
			if !o.AS.Migrates() {
				o.AS = strategies.AOFFCBF
			}
		}
		o.ACFUL = min(o.ACFUL, o.ACUL)
	}
	// Step 4.
	if fl.AllocConfig() {
		for t := Temp; t <= Driver; t++ { // not test_alloc
			w[t].T, w[t].ACUL = false, 0
		}
	}
	// Steps 5-8.
	for t := Temp; t <= Test; t++ {
		o := w[t]
		tc := &c.Types[t]
		tc.Enabled = o.E
		if !o.E {
			continue
		}
		multi := o.T
		if multi && t == Temp {
			tc.ThreadSpecific = true
		}
		if multi && t != Temp {
			if !fl.IsSet(t, "mmbcs") {
				o.MMBCS /= uint64(min(4, n))
			}
			if !fl.IsSet(t, "lmbcs") {
				o.LMBCS /= uint64(min(2, n))
			}
			if !fl.IsSet(t, "smbcs") {
				o.SMBCS /= uint64(min(4, n))
			}
		}
		if o.AS == strategies.AF && !tc.ThreadSpecific {
			o.AS = strategies.GF
		}
		// erts_alcu_start.
		o.LMBCS = max(o.LMBCS, o.SMBCS)
		o.MBCGS = max(o.MBCGS, 1)
		o.ASBCST = min(o.ASBCST, configMaxASBCST)
		count := 1
		if multi {
			count = n + d + 1
		}
		tc.Instances = make([]Options, count)
		for i := range tc.Instances {
			io := o
			safe := !multi || i == 0 || i > n
			if safe && io.AS == strategies.AF {
				io.AS = strategies.GF
			}
			if safe || io.ACUL == 0 || io.ACNL == 0 || io.CP == 0 {
				io.ACUL, io.ACFUL, io.ACNL, io.ACFML, io.CP = 0, 0, 0, 0, 0
			}
			// The main carrier is at least one minimum MBC, and the
			// instance shows the size it got; ets_alloc instance 0,
			// which creates none, shows mmbcs as configured.
			if io.MMBCS > 0 && io.MMBCS < configMinMMBCS && !(t == ETS && i == 0) {
				io.MMBCS = configMinMMBCS
			}
			tc.Instances[i] = io
		}
	}
	if err := configCheckLiteral(c); err != nil {
		return nil, err
	}
	if err := configCheckMainCarriers(c); err != nil {
		return nil, err
	}
	return c, nil
}

// configStartOrder is the order erts_alloc_init starts the allocators in
// (start_au_allocator), each instance 0 first.
var configStartOrder = [...]Type{Temp, SL, STD, LL, EHeap, Binary, ETS, Driver, Fix, Literal, Test}

// configMaxMainCarrier bounds the main carriers the start-up simulation
// tries: larger ones cannot be had on a 47-bit address space (and would
// overflow the size arithmetic).
const configMaxMainCarrier = 1 << 47

// configCheckMainCarriers starts every instance on a fresh segment layer in
// the runtime's order, creating the main carriers, and refuses the
// configuration when one cannot be had ("Failed to create main carrier for
// A"). That happens when the main carriers must come from a super carrier
// too small for them (+Musac false with +MMscs; verified: +S 2 +MMscs 6
// +Musac false fails at ll_alloc, +S 8 +MMscs 12 +Musac false at
// driver_alloc) or are beyond any address space. literal_alloc, whose main
// carrier lives in its own super carrier, is configCheckLiteral's. Whether
// malloc can give a large main carrier depends on the host's memory and
// overcommit policy and is not modelled: the malloc model always can.
func configCheckMainCarriers(c *NodeConfig) error {
	sc := carriers.DefaultSpaceConfig()
	m := c.Mseg
	sc.SCS, sc.SCO, sc.SCRPM, sc.SCRFSD = m.SCS, m.SCO, m.SCRPM, m.SCRFSD
	sc.MCS, sc.RMCBF, sc.AMCBF = int(m.MCS), m.RMCBF, m.AMCBF
	sc.MsegInstances = c.MsegInstances
	heap, space := carriers.NewHeap(), carriers.NewSpace(sc)
	var id int32
	for _, t := range configStartOrder {
		if t == Literal {
			continue
		}
		for i, o := range c.Types[t].Instances {
			if !c.MainCarrier(t, i) {
				continue
			}
			fail := o.MMBCS > configMaxMainCarrier
			if !fail {
				_, ok := NewInstance(t, i, id, o, c.Util, heap, space, min(i, c.MsegInstances-1), true)
				fail = !ok
				id++
			}
			if fail {
				return &ConfigError{fmt.Errorf("failed to create main carrier for %v: instance %d's %d-byte main carrier cannot be had (%s)",
					t, i, o.MMBCS, configMainCarrierSource(c))}
			}
		}
	}
	return nil
}

func configMainCarrierSource(c *NodeConfig) string {
	switch {
	case c.Util.SAC:
		return "sys_alloc"
	case c.Mseg.SCS > 0 && c.Mseg.SCO:
		return fmt.Sprintf("+Musac false: mseg_alloc, from the %d-byte super carrier only", c.Mseg.SCS)
	}
	return "+Musac false: mseg_alloc"
}

// configCheckMappers refuses a default-mapper super carrier the runtime
// cannot create (the segment layer's own check) and a literal super carrier
// that cannot be mapped.
func configCheckMappers(m MsegFlags) error {
	sc := carriers.DefaultSpaceConfig()
	sc.SCS, sc.SCO, sc.SCRPM, sc.SCRFSD = m.SCS, m.SCO, m.SCRPM, m.SCRFSD
	if err := carriers.CheckConfig(sc); err != nil {
		return &ConfigError{err}
	}
	lit := carriers.DefaultSpaceConfig()
	lit.SCS, lit.SCO, lit.SCRPM, lit.SCRFSD = m.LiteralSCS, true, false, configLiteralSCRFSD
	if m.LiteralSCS > 0 && carriers.CheckConfig(lit) != nil {
		return &ConfigError{fmt.Errorf("+MIscs %d: failed to create the literal super carrier of %d bytes", m.LiteralSCS>>20, m.LiteralSCS)}
	}
	return nil
}

// configCheckLiteral refuses a literal super carrier that cannot hold
// literal_alloc's main carrier: literal_alloc takes every carrier from its
// super carrier, whose bottom 64 KiB are the descriptor area.
func configCheckLiteral(c *NodeConfig) error {
	tc := &c.Types[Literal]
	if !tc.Enabled || len(tc.Instances) == 0 || tc.Instances[0].MMBCS == 0 {
		return nil
	}
	need := ceil(tc.Instances[0].MMBCS, saUnit) + configLiteralSCRFSD*64
	if need > ceil(c.Mseg.LiteralSCS, page) {
		return &ConfigError{fmt.Errorf("+MIscs %d: failed to create main carrier for literal_alloc: its %d-byte main carrier does not fit in a %d-byte literal super carrier (less 64 KiB of descriptors)",
			c.Mseg.LiteralSCS>>20, tc.Instances[0].MMBCS, c.Mseg.LiteralSCS)}
	}
	return nil
}
