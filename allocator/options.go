package allocator

import (
	"math"

	"alloclab/strategies"
)

// Infinite is how the runtime shows an unlimited size or count
// (18446744073709551615, erts-alloc-facts §9.12).
const Infinite = math.MaxUint64

// Options are the effective options of one alloc_util allocator instance, in
// the runtime's units as system_info({allocator, A}) shows them: sizes in
// bytes, ratios in percent, limits as counts (erts-alloc-facts §2).
type Options struct {
	E      bool            // e: enabled
	T      bool            // t: multiple (thread specific/preferred) instances
	AS     strategies.Kind // as
	RAMV   bool            // ramv: realloc always moves
	ATags  bool            // atags: 8-byte allocation tag in every block
	SBCT   uint64          // sbct: user size from which a block gets its own carrier
	ASBCST uint64          // asbcst: absolute SBC shrink threshold (bytes)
	RSBCST uint64          // rsbcst: relative SBC shrink threshold (%)
	RSBCMT uint64          // rsbcmt: relative SBC move threshold (%)
	RMBCMT uint64          // rmbcmt: relative MBC move threshold (%)
	MMBCS  uint64          // mmbcs: main carrier size (bytes)
	MMSBC  uint64          // mmsbc: max mseg SBCs
	MMMBC  uint64          // mmmbc: max mseg MBCs
	LMBCS  uint64          // lmbcs: largest MBC size
	SMBCS  uint64          // smbcs: smallest MBC size
	MBCGS  uint64          // mbcgs: MBC growth stages
	ACUL   uint64          // acul: abandon carrier utilisation limit (%)
	ACFUL  uint64          // acful: abandon carrier free utilisation limit (%)
	ACNL   uint64          // acnl: abandon carrier number limit
	ACFML  uint64          // acfml: abandon carrier free block min limit (bytes)
	CP     byte            // cp: carrier pool letter, '@' common, 0 undefined
	MBSD   uint64          // mbsd: gf max block search depth
}

// GenericDefaults are ERTS_DEFAULT_ALLCTR_INIT for 64-bit builds
// (erts-alloc-facts §2.2), with the strategy the private test allocator of the
// runtime's test hook starts with unless told otherwise (gf). These are the
// options of the --single instance before +MZ flags.
func GenericDefaults() Options {
	return Options{
		E:      true,
		AS:     strategies.GF,
		SBCT:   512 << 10,
		ASBCST: 2 * 1024 * 2024, // sic: the source's typo for 4 MiB, §2.2
		RSBCST: 20,
		RSBCMT: 80,
		RMBCMT: 50,
		MMBCS:  1 << 20,
		MMSBC:  256,
		MMMBC:  Infinite,
		LMBCS:  10 << 20,
		SMBCS:  1 << 20,
		MBCGS:  10,
		ACNL:   1000,
		MBSD:   3,
	}
}

// UtilOptions are the global alloc_util options (+Mu ycs/mmc/sac, §2.5).
type UtilOptions struct {
	YCS uint64 // sys_alloc carrier size unit, bytes, a multiple of 16 KiB
	MMC uint64 // max mseg carriers (per mseg instance)
	SAC bool   // sys_alloc carriers allowed
}

// DefaultUtilOptions: {alloc_util,[{mmc,∞},{ycs,1048576},{sac,true}]} (§11).
func DefaultUtilOptions() UtilOptions {
	return UtilOptions{YCS: 1 << 20, MMC: Infinite, SAC: true}
}
