package allocator

import (
	"errors"
	"strings"
	"testing"

	"alloclab/strategies"
)

// The values below were read from erlang:system_info({allocator, A}) of
// OTP 25.2.3 (erts-alloc-facts §2.4, §11; cmd/alloclab/testdata/flags has the
// full option lists for 67 flag sets and N = 1, 2, 3, 4, 8, compared byte
// for byte by cmd/alloclab's tests).

func mustConfig(t *testing.T, n int, flags string) *NodeConfig {
	t.Helper()
	fl, err := ParseFlags(flags)
	if err != nil {
		t.Fatalf("ParseFlags(%q): %v", flags, err)
	}
	c, err := NewNodeConfig(n, fl)
	if err != nil {
		t.Fatalf("NewNodeConfig(%d, %q): %v", n, flags, err)
	}
	return c
}

// TestTypeDefaults: the raw defaults of §2.2.
func TestTypeDefaults(t *testing.T) {
	for _, c := range []struct {
		t     Type
		as    strategies.Kind
		multi bool
		mmbcs uint64
		acul  uint64
		cp    byte
	}{
		{Temp, strategies.AF, true, 128 << 10, 0, 0},
		{SL, strategies.GF, true, 128 << 10, 60, 'S'},
		{STD, strategies.BF, true, 128 << 10, 60, 'D'},
		{LL, strategies.AOBF, false, 2 << 20, 85, 'L'},
		{EHeap, strategies.GF, true, 512 << 10, 45, 'H'},
		{ETS, strategies.BF, true, 128 << 10, 60, 'E'},
		{Fix, strategies.AOBF, true, 128 << 10, 60, 'F'},
		{Literal, strategies.AOBF, false, 1 << 20, 0, 0},
		{Binary, strategies.BF, true, 128 << 10, 60, 'B'},
		{Driver, strategies.BF, true, 128 << 10, 60, 'R'},
		{Test, strategies.AOFFCBF, true, 0, 60, 'Z'},
	} {
		o := TypeDefaults(c.t)
		if o.AS != c.as || o.T != c.multi || o.MMBCS != c.mmbcs || o.ACUL != c.acul || o.CP != c.cp {
			t.Errorf("%v: as %v t %v mmbcs %d acul %d cp %q, want %v %v %d %d %q",
				c.t, o.AS, o.T, o.MMBCS, o.ACUL, o.CP, c.as, c.multi, c.mmbcs, c.acul, c.cp)
		}
		if o.E != (c.t != Test) {
			t.Errorf("%v: e %v", c.t, o.E)
		}
		if o.ATags != (c.t == Binary || c.t == Driver || c.t == Test) {
			t.Errorf("%v: atags %v", c.t, o.ATags)
		}
		inf := c.t == LL || c.t == Literal
		if (o.SBCT == Infinite) != inf || (o.MMSBC == 0) != inf || (o.ASBCST == 0) != inf {
			t.Errorf("%v: sbct %d mmsbc %d asbcst %d", c.t, o.SBCT, o.MMSBC, o.ASBCST)
		}
	}
	if o := TypeDefaults(Temp); o.RSBCST != 90 || o.RMBCMT != 100 {
		t.Errorf("temp_alloc rsbcst %d rmbcmt %d, want 90 100", o.RSBCST, o.RMBCMT)
	}
	if o := TypeDefaults(Test); o.SBCT != 16384 || o.LMBCS != 16384 || o.SMBCS != 16384 {
		t.Errorf("test_alloc sbct %d lmbcs %d smbcs %d, want 16384", o.SBCT, o.LMBCS, o.SMBCS)
	}
	if o := TypeDefaults(0); o != (Options{}) {
		t.Errorf("TypeDefaults(0) = %+v", o)
	}
}

// TestNodeConfigDefaults: §2.4's table of divided sizes, measured for
// N = 1, 2, 3, 4 and 8.
func TestNodeConfigDefaults(t *testing.T) {
	for _, c := range []struct {
		n                        int
		small, eheap, ll         uint64 // mmbcs
		lmbcs, smbcs             uint64
		instances, msegInstances int
	}{
		{1, 131072, 524288, 2097152, 10485760, 1048576, 2, 2},
		{2, 65536, 262144, 1048576, 5242880, 524288, 3, 3},
		{3, 43690, 174762, 699050, 5242880, 349525, 4, 4},
		{4, 32768, 131072, 524288, 5242880, 262144, 5, 5},
		{8, 32768, 131072, 524288, 5242880, 262144, 9, 9},
	} {
		cfg := mustConfig(t, c.n, "")
		if cfg.MsegInstances != c.msegInstances || cfg.DirtyInstances != 0 {
			t.Errorf("N=%d: mseg instances %d dirty %d", c.n, cfg.MsegInstances, cfg.DirtyInstances)
		}
		for ty := Temp; ty <= Test; ty++ {
			tc := &cfg.Types[ty]
			if ty == Test {
				if tc.Enabled || tc.Instances != nil {
					t.Errorf("N=%d: test_alloc enabled", c.n)
				}
				continue
			}
			want := c.instances
			if ty == Literal {
				want = 1
			}
			if !tc.Enabled || len(tc.Instances) != want || tc.ThreadSpecific != (ty == Temp) {
				t.Errorf("N=%d %v: enabled %v, %d instances, thread specific %v", c.n, ty, tc.Enabled, len(tc.Instances), tc.ThreadSpecific)
				continue
			}
			mmbcs, lmbcs, smbcs := c.small, c.lmbcs, c.smbcs
			switch ty {
			case Temp:
				mmbcs, lmbcs, smbcs = 131072, 10485760, 1048576
			case Literal:
				mmbcs, lmbcs, smbcs = 1048576, 10485760, 1048576
			case EHeap:
				mmbcs = c.eheap
			case LL:
				mmbcs = c.ll
			}
			for i, o := range tc.Instances {
				if o.MMBCS != mmbcs || o.LMBCS != lmbcs || o.SMBCS != smbcs {
					t.Errorf("N=%d %v[%d]: mmbcs %d lmbcs %d smbcs %d, want %d %d %d", c.n, ty, i, o.MMBCS, o.LMBCS, o.SMBCS, mmbcs, lmbcs, smbcs)
				}
				wantAS := strategies.AOFFCBF
				switch {
				case ty == Temp && i == 0:
					wantAS = strategies.GF
				case ty == Temp:
					wantAS = strategies.AF
				case ty == Literal:
					wantAS = strategies.AOBF
				}
				if o.AS != wantAS {
					t.Errorf("N=%d %v[%d]: as %v, want %v", c.n, ty, i, o.AS, wantAS)
				}
				pool := i > 0 && ty != Temp && ty != Literal
				if pool != (o.ACUL != 0) || pool != (o.ACNL == 1000) || pool != (o.CP == ty.Letter()) {
					t.Errorf("N=%d %v[%d]: acul %d acnl %d cp %q (pool expected: %v)", c.n, ty, i, o.ACUL, o.ACNL, o.CP, pool)
				}
				if o.T != (ty != Literal) {
					t.Errorf("N=%d %v[%d]: t %v", c.n, ty, i, o.T)
				}
			}
		}
	}
}

// inst returns instance i of type ty, failing if it does not exist.
func inst(t *testing.T, c *NodeConfig, ty Type, i int) Options {
	t.Helper()
	tc := &c.Types[ty]
	if i >= len(tc.Instances) {
		t.Fatalf("%v has %d instances, no instance %d", ty, len(tc.Instances), i)
	}
	return tc.Instances[i]
}

// TestNodeConfigRules: one start-up rule per case, each verified on erl
// 25.2.3 (the flags goldens of cmd/alloclab hold the full lists).
func TestNodeConfigRules(t *testing.T) {
	for _, c := range []struct {
		n     int
		flags string
		check func(t *testing.T, c *NodeConfig)
	}{
		{2, "+MBas aobf +MBacul 0", func(t *testing.T, c *NodeConfig) {
			// acul 0: no migration, the strategy stays, still 3 instances.
			for i := range 3 {
				if o := inst(t, c, Binary, i); o.AS != strategies.AOBF || o.ACUL != 0 || o.CP != 0 || o.ACNL != 0 {
					t.Errorf("binary[%d]: %+v", i, o)
				}
			}
		}},
		{2, "+MHacul 0", func(t *testing.T, c *NodeConfig) {
			if o := inst(t, c, EHeap, 1); o.AS != strategies.GF || o.MBSD != 3 || o.ACUL != 0 {
				t.Errorf("eheap[1]: as %v mbsd %d acul %d, want gf 3 0", o.AS, o.MBSD, o.ACUL)
			}
		}},
		{2, "+MDt false", func(t *testing.T, c *NodeConfig) {
			// One instance with the base strategy and undivided sizes.
			tc := &c.Types[STD]
			o := inst(t, c, STD, 0)
			if len(tc.Instances) != 1 || o.T || o.AS != strategies.BF || o.MMBCS != 131072 || o.LMBCS != 10485760 {
				t.Errorf("std: %d instances, %+v", len(tc.Instances), o)
			}
		}},
		{2, "+MEacul de", func(t *testing.T, c *NodeConfig) {
			if o := inst(t, c, ETS, 1); o.ACUL != 60 {
				t.Errorf("ets[1] acul %d, want 60", o.ACUL)
			}
		}},
		{2, "+MRcp @", func(t *testing.T, c *NodeConfig) {
			if o := inst(t, c, Driver, 2); o.CP != '@' {
				t.Errorf("driver[2] cp %q, want '@'", o.CP)
			}
			if o := inst(t, c, Driver, 0); o.CP != 0 {
				t.Errorf("driver[0] cp %q, want undefined", o.CP)
			}
		}},
		{2, "+MLacul 0", func(t *testing.T, c *NodeConfig) {
			tc := &c.Types[LL]
			o := inst(t, c, LL, 0)
			if len(tc.Instances) != 1 || o.AS != strategies.AOBF || o.MMBCS != 2<<20 || o.LMBCS != 10<<20 || o.SMBCS != 1<<20 {
				t.Errorf("ll: %d instances, %+v", len(tc.Instances), o)
			}
		}},
		{3, "+MLacul 0 +MLt true", func(t *testing.T, c *NodeConfig) {
			if o := inst(t, c, LL, 3); o.AS != strategies.AOBF || o.MMBCS != 699050 || o.ACUL != 0 {
				t.Errorf("ll[3]: %+v", o)
			}
		}},
		{3, "+MBmmbcs 100", func(t *testing.T, c *NodeConfig) {
			// User-set sizes are not divided; the others are.
			if o := inst(t, c, Binary, 1); o.MMBCS != 102400 || o.SMBCS != 349525 || o.LMBCS != 5242880 {
				t.Errorf("binary[1]: mmbcs %d smbcs %d lmbcs %d", o.MMBCS, o.SMBCS, o.LMBCS)
			}
		}},
		{2, "+Muacul 0", func(t *testing.T, c *NodeConfig) {
			want := map[Type]strategies.Kind{SL: strategies.GF, STD: strategies.BF, LL: strategies.AOBF, EHeap: strategies.GF,
				ETS: strategies.BF, Fix: strategies.AOBF, Binary: strategies.BF, Driver: strategies.BF}
			for ty, as := range want {
				if o := inst(t, c, ty, 0); o.AS != as {
					t.Errorf("%v: as %v, want %v", ty, o.AS, as)
				}
			}
			if len(c.Types[LL].Instances) != 1 {
				t.Errorf("ll: %d instances, want 1", len(c.Types[LL].Instances))
			}
		}},
		{2, "+MBacul 50 +MBacful 70", func(t *testing.T, c *NodeConfig) {
			if o := inst(t, c, Binary, 1); o.ACUL != 50 || o.ACFUL != 50 {
				t.Errorf("binary[1]: acul %d acful %d, want 50 50 (clamped)", o.ACUL, o.ACFUL)
			}
		}},
		{2, "+MZe true +MZacul 30 +MZacful 50", func(t *testing.T, c *NodeConfig) {
			// test_alloc is not adjusted: acful stays above acul.
			if o := inst(t, c, Test, 1); o.ACUL != 30 || o.ACFUL != 50 || o.CP != 'Z' {
				t.Errorf("test[1]: acul %d acful %d cp %q", o.ACUL, o.ACFUL, o.CP)
			}
			if o := inst(t, c, Test, 0); o.LMBCS != 8192 || o.SMBCS != 8192 || o.SBCT != 16384 || o.MMBCS != 0 {
				t.Errorf("test[0]: lmbcs %d smbcs %d sbct %d mmbcs %d", o.LMBCS, o.SMBCS, o.SBCT, o.MMBCS)
			}
			if c.MainCarrier(Test, 1) {
				t.Error("test_alloc (mmbcs 0) has a main carrier")
			}
		}},
		{2, "+MZe true +MZt false +MZas bf +MZacul 60", func(t *testing.T, c *NodeConfig) {
			if o := inst(t, c, Test, 0); len(c.Types[Test].Instances) != 1 || o.AS != strategies.BF || o.ACUL != 0 {
				t.Errorf("test: %d instances, %+v", len(c.Types[Test].Instances), o)
			}
		}},
		{2, "+MBacnl 0", func(t *testing.T, c *NodeConfig) {
			// No pool without acnl, but the strategy was switched already.
			if o := inst(t, c, Binary, 1); o.ACUL != 0 || o.CP != 0 || o.AS != strategies.AOFFCBF {
				t.Errorf("binary[1]: %+v", o)
			}
		}},
		{2, "+MTt false", func(t *testing.T, c *NodeConfig) {
			tc := &c.Types[Temp]
			if o := inst(t, c, Temp, 0); len(tc.Instances) != 1 || tc.ThreadSpecific || o.AS != strategies.GF {
				t.Errorf("temp: %d instances, thread specific %v, as %v", len(tc.Instances), tc.ThreadSpecific, o.AS)
			}
		}},
		{2, "+Muas af", func(t *testing.T, c *NodeConfig) {
			for ty := SL; ty <= Driver; ty++ {
				if ty == Literal {
					continue
				}
				// af is not migrating: acul 0, so ll_alloc is back to
				// one instance.
				last := len(c.Types[ty].Instances) - 1
				if o := inst(t, c, ty, last); o.AS != strategies.GF {
					t.Errorf("%v[%d]: as %v, want gf", ty, last, o.AS)
				}
			}
		}},
		{2, "+MBmbcgs 0 +MBlmbcs 100 +MBsmbcs 200 +MBasbcst 18014398509481984", func(t *testing.T, c *NodeConfig) {
			if o := inst(t, c, Binary, 1); o.MBCGS != 1 || o.LMBCS != 204800 || o.SMBCS != 204800 || o.ASBCST != 184467440737095516 {
				t.Errorf("binary[1]: mbcgs %d lmbcs %d smbcs %d asbcst %d", o.MBCGS, o.LMBCS, o.SMBCS, o.ASBCST)
			}
		}},
		{2, "+MBmmbcs 1 +MTmmbcs 16 +MImmbcs 17 +MDmmbcs 0", func(t *testing.T, c *NodeConfig) {
			for _, w := range []struct {
				ty   Type
				want uint64
			}{{Binary, 16384}, {Temp, 16384}, {Literal, 17408}, {STD, 0}} {
				if o := inst(t, c, w.ty, 0); o.MMBCS != w.want {
					t.Errorf("%v: mmbcs %d, want %d", w.ty, o.MMBCS, w.want)
				}
			}
			if c.MainCarrier(STD, 1) || !c.MainCarrier(Binary, 1) {
				t.Error("main carriers: std (mmbcs 0) has one or binary has none")
			}
		}},
		{2, "+MEmmbcs 8", func(t *testing.T, c *NodeConfig) {
			// ets_alloc instance 0 creates no main carrier and shows
			// mmbcs unclamped.
			if o0, o1 := inst(t, c, ETS, 0), inst(t, c, ETS, 1); o0.MMBCS != 8192 || o1.MMBCS != 16384 {
				t.Errorf("ets mmbcs %d %d, want 8192 16384", o0.MMBCS, o1.MMBCS)
			}
		}},
		{2, "+Mea min", func(t *testing.T, c *NodeConfig) {
			for ty := Temp; ty <= Test; ty++ {
				if on := ty == Temp || ty == Literal; c.Types[ty].Enabled != on {
					t.Errorf("%v enabled %v, want %v", ty, c.Types[ty].Enabled, on)
				}
			}
			if c.MainCarrier(Binary, 0) {
				t.Error("a disabled allocator has a main carrier")
			}
		}},
		{2, "+Mea config", func(t *testing.T, c *NodeConfig) {
			for ty := Temp; ty <= Driver; ty++ {
				if n := len(c.Types[ty].Instances); n != 1 {
					t.Errorf("%v: %d instances, want 1", ty, n)
				}
			}
			if o := inst(t, c, Binary, 0); o.AS != strategies.AOFFCBF || o.MMBCS != 131072 {
				t.Errorf("binary: as %v mmbcs %d, want aoffcbf 131072", o.AS, o.MMBCS)
			}
			if o := inst(t, c, Temp, 0); o.AS != strategies.GF {
				t.Errorf("temp: as %v, want gf", o.AS)
			}
		}},
		{2, "+Mea r11b +MFe false", func(t *testing.T, c *NodeConfig) {
			if o := inst(t, c, SL, 0); len(c.Types[SL].Instances) != 1 || o.AS != strategies.GF || o.LMBCS != 5<<20 || o.SMBCS != 1<<20 {
				t.Errorf("sl: %d instances, %+v", len(c.Types[SL].Instances), o)
			}
			if c.Types[Driver].Enabled || c.Types[Fix].Enabled || len(c.Types[Temp].Instances) != 3 {
				t.Error("driver/fix enabled or temp_alloc not per scheduler")
			}
		}},
		{4, "+Mdai 2", func(t *testing.T, c *NodeConfig) {
			if c.DirtyInstances != 2 || c.MsegInstances != 7 || len(c.Types[Binary].Instances) != 7 {
				t.Fatalf("dirty %d, mseg %d, binary %d instances", c.DirtyInstances, c.MsegInstances, len(c.Types[Binary].Instances))
			}
			for i := range 7 {
				o := inst(t, c, Binary, i)
				safe := i == 0 || i > 4
				if c.ThreadSafe(Binary, i) != safe || (o.ACUL == 0) != safe {
					t.Errorf("binary[%d]: thread safe %v, acul %d", i, c.ThreadSafe(Binary, i), o.ACUL)
				}
				if ot := inst(t, c, Temp, i); (ot.AS == strategies.GF) != safe {
					t.Errorf("temp[%d]: as %v", i, ot.AS)
				}
			}
			// Dirty ets instances have a main carrier; only instance 0 has none.
			if c.MainCarrier(ETS, 0) || !c.MainCarrier(ETS, 5) || !c.MainCarrier(ETS, 1) {
				t.Error("ets main carriers wrong")
			}
		}},
		{2, "+Mdai max", func(t *testing.T, c *NodeConfig) {
			if c.DirtyInstances != 2 {
				t.Errorf("dirty %d, want 2", c.DirtyInstances)
			}
		}},
		{3, "+Mdai 7", func(t *testing.T, c *NodeConfig) {
			if c.DirtyInstances != 3 {
				t.Errorf("dirty %d, want 3 (capped)", c.DirtyInstances)
			}
		}},
		{2, "+MMamcbf 100 +MMrmcbf 150 +MMmcs 50 +Muycs 100 +Mummc 5 +Musac false +MYtt 100 +MYtp 64", func(t *testing.T, c *NodeConfig) {
			if c.Mseg.AMCBF != 102400 || c.Mseg.RMCBF != 150 || c.Mseg.MCS != 30 {
				t.Errorf("mseg %+v", c.Mseg)
			}
			if c.Util != (UtilOptions{YCS: 114688, MMC: 5, SAC: false}) {
				t.Errorf("alloc_util %+v", c.Util)
			}
			if c.Sys.TT != 102400 || c.Sys.TP != 65536 {
				t.Errorf("sys_alloc %+v", c.Sys)
			}
		}},
	} {
		t.Run(c.flags, func(t *testing.T) {
			c.check(t, mustConfig(t, c.n, c.flags))
		})
	}
}

// TestNodeConfigInvariants: for many flag sets, what holds in every
// configuration: no pool in thread-safe instances, cp set iff the pool is,
// acful <= acul for adjusted types, af only in temp scheduler instances,
// mbcgs >= 1, lmbcs >= smbcs.
func TestNodeConfigInvariants(t *testing.T) {
	sets := []string{"", "+Muacul 0", "+Muas af", "+MBacful 90 +MBacul 10", "+Mea config",
		"+MLt true +MLacul 0", "+MZe true +MZas af", "+Mdai max", "+MTas bf +MSt false",
		"+Mumbcgs 0 +Mulmbcs 1 +Musmbcs 2", "+MEacnl 0 +MFcp @ +MRacfml 77"}
	for _, n := range []int{1, 2, 3, 5, 16, 1024} {
		for _, s := range sets {
			c := mustConfig(t, n, s)
			for ty := Temp; ty <= Test; ty++ {
				tc := &c.Types[ty]
				if tc.Enabled != (tc.Instances != nil) {
					t.Errorf("N=%d %q %v: enabled %v with %d instances", n, s, ty, tc.Enabled, len(tc.Instances))
				}
				for i, o := range tc.Instances {
					where := func() string { return strings.Join([]string{s, ty.String()}, " ") }
					if c.ThreadSafe(ty, i) && (o.ACUL != 0 || o.ACNL != 0 || o.CP != 0 || o.ACFUL != 0 || o.ACFML != 0) {
						t.Errorf("N=%d %s[%d]: pool options in a thread-safe instance: %+v", n, where(), i, o)
					}
					if (o.CP != 0) != (o.ACUL != 0) {
						t.Errorf("N=%d %s[%d]: cp %q with acul %d", n, where(), i, o.CP, o.ACUL)
					}
					if ty != Test && o.ACFUL > o.ACUL {
						t.Errorf("N=%d %s[%d]: acful %d > acul %d", n, where(), i, o.ACFUL, o.ACUL)
					}
					if o.AS == strategies.AF && (ty != Temp || c.ThreadSafe(ty, i)) {
						t.Errorf("N=%d %s[%d]: af in a thread-safe or non-temp instance", n, where(), i)
					}
					if o.MBCGS < 1 || o.LMBCS < o.SMBCS || o.T != tc.MultiInstance() {
						t.Errorf("N=%d %s[%d]: mbcgs %d lmbcs %d smbcs %d t %v", n, where(), i, o.MBCGS, o.LMBCS, o.SMBCS, o.T)
					}
				}
			}
		}
	}
}

// TestNodeConfigErrors: what the runtime refuses at start-up.
func TestNodeConfigErrors(t *testing.T) {
	for _, c := range []struct {
		n     int
		flags string
		words string
	}{
		{0, "", "bad amount of schedulers 0"},
		{1025, "", "bad amount of schedulers 1025"},
		{2, "+MMscs 4", "no space for segments"},
		{2, "+MMscs 1 +MMscrfsd 16128", "no space for segments"},
		{2, "+MMscs 17592186044415", "failed to create a super carrier"},
		{2, "+MIscs 0", "failed to create main carrier for literal_alloc"},
		{2, "+MIscs 1", "failed to create main carrier for literal_alloc"},
		{2, "+MIscs 2 +MImmbcs 1985", "failed to create main carrier for literal_alloc"},
		{2, "+MIscs 17592186044415", "failed to create the literal super carrier"},
		// Main carriers that cannot be had; the allocator erl names.
		{1, "+MMscs 5 +Musac false", "main carrier for ll_alloc"},
		{4, "+MMscs 5 +Musac false", "main carrier for ll_alloc"},
		{2, "+MMscs 6 +Musac false", "main carrier for ll_alloc"},
		{2, "+MMscs 5 +MMscrfsd 100 +Musac false +MBmmbcs 2000", "main carrier for binary_alloc"},
		{2, "+MMscs 5 +MMscrfsd 100 +Musac false +MTmmbcs 4000", "main carrier for temp_alloc"},
		{8, "+MMscs 12 +Musac false", "main carrier for driver_alloc"},
		{2, "+MBmmbcs 18014398509481984", "main carrier for binary_alloc"},
	} {
		fl, err := ParseFlags(c.flags)
		if err != nil {
			t.Fatal(err)
		}
		_, err = NewNodeConfig(c.n, fl)
		var ce *ConfigError
		if !errors.As(err, &ce) || !strings.Contains(err.Error(), c.words) {
			t.Errorf("NewNodeConfig(%d, %q) = %v, want a ConfigError saying %q", c.n, c.flags, err, c.words)
		}
	}
	// Accepted at the boundaries (verified on erl).
	for _, s := range []string{"+MMscs 5", "+MMscs 1 +MMscrfsd 15000", "+MIscs 2", "+MIscs 2 +MImmbcs 1984", "+MIscs 1 +MImmbcs 0"} {
		mustConfig(t, 2, s)
	}
	mustConfig(t, 1024, "")
	// The main carriers fit; erl then dies while booting, out of super
	// carrier ("Cannot allocate 3145791 bytes ... proc_tab"): not a
	// configuration refusal.
	mustConfig(t, 8, "+MMscs 13 +Musac false")
	// A preset that leaves fix_alloc enabled: the runtime crashes. Merge
	// makes one (ParseFlags refuses it).
	fl, _ := ParseFlags("+Mea r11b +MFe false")
	later, _ := ParseFlags("+MFe true")
	fl.Merge(later)
	var fe *FlagError
	if _, err := NewNodeConfig(2, fl); !errors.As(err, &fe) {
		t.Errorf("preset with fix_alloc enabled: %v, want a FlagError", err)
	}
	if _, err := NewNodeConfigDirty(2, 0, nil); err == nil {
		t.Error("0 dirty CPU schedulers accepted")
	}
	if c, err := NewNodeConfigDirty(4, 1, mustFlags(t, "+Mdai max")); err != nil || c.DirtyInstances != 1 {
		t.Errorf("dirty CPU 1: %v, %+v", err, c)
	}
}

func mustFlags(t *testing.T, s string) *Flags {
	t.Helper()
	fl, err := ParseFlags(s)
	if err != nil {
		t.Fatal(err)
	}
	return fl
}

// TestNodeConfigNilFlags: nil flags are the defaults.
func TestNodeConfigNilFlags(t *testing.T) {
	a, err := NewNodeConfig(3, nil)
	if err != nil {
		t.Fatal(err)
	}
	b := mustConfig(t, 3, "")
	for ty := Temp; ty <= Test; ty++ {
		if len(a.Types[ty].Instances) != len(b.Types[ty].Instances) {
			t.Fatalf("%v differs", ty)
		}
		for i := range a.Types[ty].Instances {
			if a.Types[ty].Instances[i] != b.Types[ty].Instances[i] {
				t.Errorf("%v[%d] differs", ty, i)
			}
		}
	}
}
