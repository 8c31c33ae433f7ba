package allocator

import (
	"fmt"
	"io"
	"strings"

	"alloclab/strategies"
)

// infoTypes are the allocator kinds whose blocks an instance's statistics
// list, in the runtime's order (ERTS_ALC_A_*, erts-alloc-facts §1.2).
var infoTypes = [...]string{"sys_alloc", "temp_alloc", "sl_alloc", "std_alloc", "ll_alloc",
	"eheap_alloc", "ets_alloc", "fix_alloc", "literal_alloc", "binary_alloc", "driver_alloc", "test_alloc"}

// StrategyVersion is the version string the runtime reports for a
// strategy module ({versions, V, "3.0"}): gf "2.1", the others "0.9"
// (measured through the oracle's --info).
func StrategyVersion(k strategies.Kind) string {
	if k == strategies.GF {
		return "2.1"
	}
	return "0.9"
}

// WriteInfo writes the instance's options and statistics in the text
// format of the runtime's erts_alcu_info print (what ../shared/oracle/run
// --info shows): versions, every option, the mbcs and sbcs statistics per
// block type as "current max-since-last-call max-ever", and the call
// counters named with prefix (the allocator's name prefix, e.g. "binary_").
// Like the runtime's info call it starts a new "max since last call"
// period when reset is set.
func (in *Instance) WriteInfo(w io.Writer, prefix string, reset bool) error {
	var b strings.Builder
	o := &in.Opts
	fmt.Fprintf(&b, "versions: %s 3.0\n", StrategyVersion(o.AS))
	opt := func(name string, v any) { fmt.Fprintf(&b, "option %s: %v\n", name, v) }
	opt("e", o.E)
	opt("t", o.T)
	opt("ramv", o.RAMV)
	opt("atags", o.ATags)
	opt("sbct", o.SBCT)
	opt("asbcst", o.ASBCST)
	opt("rsbcst", o.RSBCST)
	opt("rsbcmt", o.RSBCMT)
	opt("rmbcmt", o.RMBCMT)
	opt("mmbcs", o.MMBCS)
	opt("mmsbc", o.MMSBC)
	opt("mmmbc", o.MMMBC)
	opt("lmbcs", max(o.LMBCS, o.SMBCS))
	opt("smbcs", o.SMBCS)
	opt("mbcgs", max(o.MBCGS, 1))
	opt("acul", o.ACUL)
	opt("acful", o.ACFUL)
	opt("acnl", o.ACNL)
	opt("acfml", o.ACFML)
	if o.CP == 0 {
		opt("cp", "undefined")
	} else {
		opt("cp", string(o.CP))
	}
	if o.AS == strategies.GF {
		opt("mbsd", max(o.MBSD, 1))
	}
	opt("as", o.AS)
	own := "test_alloc"
	if in.Type != Test {
		own = in.Type.String()
	}
	kind := func(name string, s *CarrierStats) {
		for _, t := range infoTypes {
			var cnt, sz Triple
			if t == own {
				cnt, sz = s.Blocks, s.BlocksSize
			}
			fmt.Fprintf(&b, "%s blocks[%s] count: %d %d %d\n", name, t, cnt.Cur, cnt.Max, cnt.MaxEver)
			fmt.Fprintf(&b, "%s blocks[%s] size: %d %d %d\n", name, t, sz.Cur, sz.Max, sz.MaxEver)
		}
		fmt.Fprintf(&b, "%s carriers: %d %d %d\n", name, s.Carriers.Cur, s.Carriers.Max, s.Carriers.MaxEver)
		fmt.Fprintf(&b, "%s mseg carriers: %d\n", name, s.MsegCarriers)
		fmt.Fprintf(&b, "%s sys_alloc carriers: %d\n", name, s.SysCarriers)
		fmt.Fprintf(&b, "%s carriers size: %d %d %d\n", name, s.CarriersSize.Cur, s.CarriersSize.Max, s.CarriersSize.MaxEver)
		fmt.Fprintf(&b, "%s mseg carriers size: %d\n", name, s.MsegSize)
		fmt.Fprintf(&b, "%s sys_alloc carriers size: %d\n", name, s.SysSize)
	}
	kind("mbcs", &in.Stats.MBCs)
	kind("sbcs", &in.Stats.SBCs)
	c := &in.Stats.Calls
	for _, cc := range []struct {
		name string
		n    uint64
	}{{prefix + "alloc", c.Alloc}, {prefix + "free", c.Free}, {prefix + "realloc", c.Realloc},
		{"mseg_alloc", c.MsegAlloc}, {"mseg_dealloc", c.MsegDealloc}, {"mseg_realloc", c.MsegRealloc},
		{"sys_alloc", c.SysAlloc}, {"sys_free", c.SysFree}, {"sys_realloc", c.SysRealloc}} {
		fmt.Fprintf(&b, "%s calls: %d\n", cc.name, cc.n)
	}
	if reset {
		in.Stats.ResetMax()
	}
	_, err := io.WriteString(w, b.String())
	return err
}

// ResetMax starts a new "max since last call" period, as every
// system_info({allocator, A}) call does for the mbcs and sbcs statistics
// (erts-alloc-facts §8.1).
func (s *Stats) ResetMax() {
	for _, cs := range []*CarrierStats{&s.MBCs, &s.SBCs} {
		cs.Blocks.ResetMax()
		cs.BlocksSize.ResetMax()
		cs.Carriers.ResetMax()
		cs.CarriersSize.ResetMax()
	}
}
