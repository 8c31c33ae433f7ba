package allocator

import (
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"alloclab/strategies"
)

// flagTestDefaults are the raw per-type defaults of erts-alloc-facts §2.2
// (set_default_*_opts), the base ApplyTo expects.
func flagTestDefaults(t Type) Options {
	o := GenericDefaults()
	o.T = true
	switch t {
	case Temp:
		o.AS, o.MMBCS, o.RSBCST, o.RMBCMT = strategies.AF, 128<<10, 90, 100
	case SL:
		o.AS, o.MMBCS, o.RSBCST, o.ACUL, o.CP = strategies.GF, 128<<10, 80, 60, 'S'
	case STD:
		o.AS, o.MMBCS, o.ACUL, o.CP = strategies.BF, 128<<10, 60, 'D'
	case LL, Literal:
		o.AS, o.T, o.SBCT, o.MMSBC = strategies.AOBF, false, Infinite, 0
		o.ASBCST, o.RSBCST, o.RSBCMT, o.RMBCMT = 0, 0, 0, 0
		o.MMBCS, o.ACUL, o.CP = 2<<20, 85, 'L'
		if t == Literal {
			o.MMBCS, o.ACUL, o.CP = 1<<20, 0, 0
		}
	case EHeap:
		o.AS, o.MMBCS, o.RSBCST, o.ACUL, o.CP = strategies.GF, 512<<10, 50, 45, 'H'
	case ETS:
		o.AS, o.MMBCS, o.ACUL, o.CP = strategies.BF, 128<<10, 60, 'E'
	case Fix:
		o.AS, o.MMBCS, o.ACUL, o.CP = strategies.AOBF, 128<<10, 60, 'F'
	case Binary:
		o.AS, o.MMBCS, o.ACUL, o.CP, o.ATags = strategies.BF, 128<<10, 60, 'B', true
	case Driver:
		o.AS, o.MMBCS, o.ACUL, o.CP, o.ATags = strategies.BF, 128<<10, 60, 'R', true
	case Test:
		o.AS, o.E, o.MMBCS, o.ACUL, o.CP, o.ATags = strategies.AOFFCBF, false, 0, 60, 'Z', true
		o.SMBCS, o.LMBCS, o.SBCT = 16<<10, 16<<10, 16<<10
	}
	return o
}

func mustParse(t *testing.T, s string) *Flags {
	t.Helper()
	f, err := ParseFlags(s)
	if err != nil {
		t.Fatalf("ParseFlags(%q): %v", s, err)
	}
	return f
}

// TestFlagsParams: one row per parameter and rule, value in → option out
// (bytes, percent, counts), for the type named by the row.
func TestFlagsParams(t *testing.T) {
	for _, r := range flagParamRows {
		f := mustParse(t, r.flags)
		want := flagTestDefaults(r.typ)
		r.want(&want)
		got := f.ApplyTo(r.typ, flagTestDefaults(r.typ))
		if got != want {
			t.Errorf("%q on %v:\n got %+v\nwant %+v", r.flags, r.typ, got, want)
		}
	}
}

// flagParamRows are shared with TestFlagsOnRealErl.
var flagParamRows = []struct {
	flags string
	typ   Type
	want  func(o *Options) // edits the type's defaults into the expected result
}{
	// KiB sizes (§2.1).
	{"+MBsbct 100", Binary, func(o *Options) { o.SBCT = 102400 }},
	{"+MBsbct 0", Binary, func(o *Options) { o.SBCT = 0 }},
	{"+MBsbct256", Binary, func(o *Options) { o.SBCT = 262144 }},
	{"+MBsbct 256abc", Binary, func(o *Options) { o.SBCT = 262144 }},
	{"+MBsbct+5", Binary, func(o *Options) { o.SBCT = 5120 }},
	{"+MBsbct 0x10", Binary, func(o *Options) { o.SBCT = 0 }},
	{"+MBsbct -0", Binary, func(o *Options) { o.SBCT = 0 }},
	{"+MBsbct 18014398509481983", Binary, func(o *Options) { o.SBCT = 18014398509481983 << 10 }},
	{"+MBsbct 18014398509481984", Binary, func(o *Options) { o.SBCT = Infinite }},
	{"+MBasbcst 1", Binary, func(o *Options) { o.ASBCST = 1024 }},
	{"+MBmmbcs 64", Binary, func(o *Options) { o.MMBCS = 65536 }},
	{"+MBlmbcs 100", Binary, func(o *Options) { o.LMBCS = 102400 }},
	{"+MBsmbcs 1000", Binary, func(o *Options) { o.SMBCS = 1024000 }},
	{"+MBasbcst 18014398509481984", Binary, func(o *Options) { o.ASBCST = Infinite }}, // shown as 2^64/100 after start-up
	// Percent thresholds, clamped to 100.
	{"+MBrsbcst 50", Binary, func(o *Options) { o.RSBCST = 50 }},
	{"+MBrsbcst 150", Binary, func(o *Options) { o.RSBCST = 100 }},
	{"+MBrsbcmt 101", Binary, func(o *Options) { o.RSBCMT = 100 }},
	{"+MBrmbcmt 1000", Binary, func(o *Options) { o.RMBCMT = 100 }},
	{"+MBrmbcmt 0", Binary, func(o *Options) { o.RMBCMT = 0 }},
	// Counts.
	{"+MBmmsbc 9223372036854775807", Binary, func(o *Options) { o.MMSBC = 9223372036854775807 }},
	{"+MBmmmbc 5", Binary, func(o *Options) { o.MMMBC = 5 }},
	{"+MBmbcgs 0", Binary, func(o *Options) { o.MBCGS = 0 }}, // shown as 1 after start-up
	{"+MBmbcgs 4294967297", Binary, func(o *Options) { o.MBCGS = 4294967297 }},
	{"+MBmbsd 0", Binary, func(o *Options) { o.MBSD = 1 }},
	{"+MBmbsd 5", Binary, func(o *Options) { o.MBSD = 5 }},
	{"+MBacnl 7", Binary, func(o *Options) { o.ACNL = 7 }},
	{"+MBacfml 4096", Binary, func(o *Options) { o.ACFML = 4096 }},
	// acul / acful.
	{"+MBacul 50", Binary, func(o *Options) { o.ACUL = 50 }},
	{"+MBacul 0", Binary, func(o *Options) { o.ACUL = 0 }},
	{"+MBacul 100", Binary, func(o *Options) { o.ACUL = 100 }},
	{"+MBacul de", Binary, func(o *Options) { o.ACUL = 60 }},
	{"+MHacul de", EHeap, func(o *Options) { o.ACUL = 45 }},
	{"+MLacul de", LL, func(o *Options) { o.ACUL = 85 }},
	{"+MZacul de", Test, func(o *Options) { o.ACUL = 60 }},
	{"+MBacful de", Binary, func(o *Options) { o.ACFUL = 40 }},
	{"+MHacful de", EHeap, func(o *Options) { o.ACFUL = 25 }},
	{"+MLacful de", LL, func(o *Options) { o.ACFUL = 65 }},
	{"+MBacful 30", Binary, func(o *Options) { o.ACFUL = 30 }},
	{"+MBacul 30 +MBacful 50", Binary, func(o *Options) { o.ACUL, o.ACFUL = 30, 50 }}, // clamped at start-up, not here
	{"+MBaculde", Binary, func(o *Options) { o.ACUL = 60 }},
	// Booleans.
	{"+MBe false", Binary, func(o *Options) { o.E = false }},
	{"+MBetrue", Binary, func(o *Options) { o.E = true }},
	{"+MZe true", Test, func(o *Options) { o.E = true }},
	{"+MTe true", Temp, func(o *Options) {}},
	{"+MIe true", Literal, func(o *Options) {}},
	{"+MBatags false", Binary, func(o *Options) { o.ATags = false }},
	{"+MBramv true", Binary, func(o *Options) { o.RAMV = true }},
	{"+MBt false", Binary, func(o *Options) { o.T, o.ACUL = false, 0 }},
	{"+MBacful 30 +MBt false", Binary, func(o *Options) { o.T, o.ACUL, o.ACFUL = false, 0, 0 }},
	{"+MBt false +MBacul 50", Binary, func(o *Options) { o.T, o.ACUL = false, 50 }},
	{"+MLt true", LL, func(o *Options) { o.T = true }},
	{"+MIt false", Literal, func(o *Options) { o.T = false }},
	{"+MTt false", Temp, func(o *Options) { o.T = false }},
	// Strategies; a non-migrating one zeroes acul and acful when parsed.
	{"+MBas bf", Binary, func(o *Options) { o.AS, o.ACUL = strategies.BF, 0 }},
	{"+MBas aobf", Binary, func(o *Options) { o.AS, o.ACUL = strategies.AOBF, 0 }},
	{"+MBas gf", Binary, func(o *Options) { o.AS, o.ACUL = strategies.GF, 0 }},
	{"+MBas af", Binary, func(o *Options) { o.AS, o.ACUL = strategies.AF, 0 }},
	{"+MBas aoff", Binary, func(o *Options) { o.AS = strategies.AOFF }},
	{"+MBas aoffcbf", Binary, func(o *Options) { o.AS = strategies.AOFFCBF }},
	{"+MBas aoffcaobf", Binary, func(o *Options) { o.AS = strategies.AOFFCAOBF }},
	{"+MBas ageffcaoff", Binary, func(o *Options) { o.AS = strategies.AGEFFCAOFF }},
	{"+MBas ageffcbf", Binary, func(o *Options) { o.AS = strategies.AGEFFCBF }},
	{"+MBas ageffcaobf", Binary, func(o *Options) { o.AS = strategies.AGEFFCAOBF }},
	{"+MBasaobf", Binary, func(o *Options) { o.AS, o.ACUL = strategies.AOBF, 0 }},
	{"+MZas chaosff", Test, func(o *Options) { o.AS = strategies.AGEFFCAOFF }},
	{"+MBacul 50 +MBas bf", Binary, func(o *Options) { o.AS, o.ACUL = strategies.BF, 0 }},
	{"+MBas bf +MBacul 50", Binary, func(o *Options) { o.AS, o.ACUL = strategies.BF, 50 }},
	{"+MBacful 30 +MBas bf +MBacul 50", Binary, func(o *Options) { o.AS, o.ACUL, o.ACFUL = strategies.BF, 50, 0 }},
	{"+MTas bf", Temp, func(o *Options) { o.AS = strategies.BF }},
	{"+MIas aoffcbf", Literal, func(o *Options) { o.AS = strategies.AOFFCBF }},
	// Carrier pools.
	{"+MBcp @", Binary, func(o *Options) { o.CP = '@' }},
	{"+MBcp :", Binary, func(o *Options) { o.CP = 'B' }},
	{"+MZcp :", Test, func(o *Options) { o.CP = 'Z' }},
	{"+MBcp L", Binary, func(o *Options) { o.CP = 'L' }},
	// Other letters reach their own type only.
	{"+MDsbct 1", STD, func(o *Options) { o.SBCT = 1024 }},
	{"+MEsbct 1", ETS, func(o *Options) { o.SBCT = 1024 }},
	{"+MFsbct 1", Fix, func(o *Options) { o.SBCT = 1024 }},
	{"+MHsbct 1", EHeap, func(o *Options) { o.SBCT = 1024 }},
	{"+MLsbct 1", LL, func(o *Options) { o.SBCT = 1024 }},
	{"+MRsbct 1", Driver, func(o *Options) { o.SBCT = 1024 }},
	{"+MSsbct 1", SL, func(o *Options) { o.SBCT = 1024 }},
	{"+MTsbct 1", Temp, func(o *Options) { o.SBCT = 1024 }},
	{"+MIsbct 1", Literal, func(o *Options) { o.SBCT = 1024 }},
	{"+MZsbct 1", Test, func(o *Options) { o.SBCT = 1024 }},
	{"+MDsbct 1", Binary, func(o *Options) {}},
	// +Mu: the later setting wins, whichever form it has.
	{"+Musbct 200", Binary, func(o *Options) { o.SBCT = 204800 }},
	{"+MBsbct 100 +Musbct 200", Binary, func(o *Options) { o.SBCT = 204800 }},
	{"+Musbct 200 +MBsbct 100", Binary, func(o *Options) { o.SBCT = 102400 }},
	{"+Muacul de", EHeap, func(o *Options) { o.ACUL = 45 }},
	{"+Muacul de", LL, func(o *Options) { o.ACUL = 85 }},
	{"+Mue false", Fix, func(o *Options) { o.E = false }},
	// +Mea.
	{"+Mea min", Binary, func(o *Options) { o.E = false }},
	{"+Mea min", Temp, func(o *Options) {}},
	{"+Mea min", Test, func(o *Options) {}},
	{"+Mea min +Mea max", SL, func(o *Options) {}},
	{"+Mea config", Binary, func(o *Options) {}},
	{"+MBsbct 1 +Mea r11b +MFe false", Binary, func(o *Options) {
		o.T, o.ACUL, o.RAMV, o.LMBCS = false, 0, false, 5<<20
	}},
	{"+MTsbct 1 +Mea r10b +MFe false", Temp, func(o *Options) {}},
	{"+MIsbct 1 +Mea r10b +MFe false", Literal, func(o *Options) { o.SBCT = 1024 }},
	{"+Mea r11b +MFe false", Driver, func(o *Options) {
		o.E, o.T, o.ACUL, o.LMBCS = false, false, 0, 5<<20
	}},
	{"+Mea r11b +MFe false", Fix, func(o *Options) {
		o.E, o.T, o.ACUL, o.LMBCS = false, false, 0, 5<<20
		o.AS, o.ATags, o.CP = strategies.BF, true, 'R'
	}},
	{"+Mea r9c +MFe false", SL, func(o *Options) { o.E, o.T, o.ACUL, o.LMBCS = false, false, 0, 5<<20 }},
	{"+Mea r10b +MFe false", SL, func(o *Options) { o.T, o.ACUL, o.LMBCS = false, 0, 5<<20 }},
	{"+Mea r11b +MFe false +MBsbct 1", Binary, func(o *Options) {
		o.T, o.ACUL, o.LMBCS, o.SBCT = false, 0, 5<<20, 1024
	}},
	{"+Mea r11b +Mea min", Binary, func(o *Options) { o.E, o.T, o.ACUL, o.LMBCS = false, false, 0, 5<<20 }},
}

// TestFlagsUNeverTouchesTempLiteralTest: +Mu<param> reaches the eight
// allocators of handle_args' aui[] and no other (verified on erl: +Musbct
// 100 +Muacul 50 leaves temp_alloc, literal_alloc and test_alloc alone).
func TestFlagsUNeverTouchesTempLiteralTest(t *testing.T) {
	f := mustParse(t, "+Musbct 100 +Muacul 50 +Mucp @ +Mut false +Mue false +Muas bf +Mummbcs 1 +Muatags true")
	for ty := Temp; ty <= Test; ty++ {
		base := flagTestDefaults(ty)
		got := f.ApplyTo(ty, base)
		touched := got != base
		if want := flagIsUType(ty); touched != want {
			t.Errorf("%v: touched = %v, want %v", ty, touched, want)
		}
		if f.IsSet(ty, "mmbcs") != flagIsUType(ty) {
			t.Errorf("%v: IsSet(mmbcs) = %v", ty, f.IsSet(ty, "mmbcs"))
		}
	}
}

// TestFlagsRejections: every refusal, with the runtime's own message where it
// has one (each verified on erl 25.2.3 except where marked).
func TestFlagsRejections(t *testing.T) {
	for _, r := range flagRejectionRows {
		_, err := ParseFlags(r.flags)
		var fe *FlagError
		if !errors.As(err, &fe) {
			t.Errorf("%q: error %v, want a *FlagError", r.flags, err)
			continue
		}
		if fe.Flag != r.flag || fe.Value != r.value || !strings.Contains(fe.Rule, r.rule) || fe.Runtime != r.runtime {
			t.Errorf("%q:\n got  flag %q value %q rule %q runtime %q\n want flag %q value %q rule ~%q runtime %q",
				r.flags, fe.Flag, fe.Value, fe.Rule, fe.Runtime, r.flag, r.value, r.rule, r.runtime)
		}
	}
}

// flagRejectionRows are shared with TestFlagsOnRealErl.
var flagRejectionRows = []struct {
	flags, flag, value, rule, runtime string
}{
	{"+MBas foo", "+MBas", "foo", "unknown strategy (expected bf, aobf, aoff, aoffcbf, aoffcaobf, ageffcaoff, ageffcbf, ageffcaobf, gf or af)", `bad "MBa" value: foo`},
	{"+MBas chaosff", "+MBas", "chaosff", "unknown strategy", `bad "MBa" value: chaosff`},
	{"+Muas chaosff", "+Muas", "chaosff", "unknown strategy", `bad "Mua" value: chaosff`},
	{"+MBsbct x", "+MBsbct", "x", "expected a size in KiB", `bad "MBsbct" value: x`},
	{"+MBsbct -1", "+MBsbct", "-1", "expected a size in KiB", `bad "MBsbct" value: -1`},
	{"+MBsbct-1", "+MBsbct", "-1", "expected a size in KiB", `bad "MBsbct" value: -1`},
	{"+MBsbct 18014398509481985", "+MBsbct", "18014398509481985", "expected a size in KiB", `bad "MBsbct" value: 18014398509481985`},
	{"+MBsbct 99999999999999999999", "+MBsbct", "99999999999999999999", "expected a size in KiB", `bad "MBsbct" value: 99999999999999999999`},
	{"+MBasbcstfoo", "+MBasbcst", "foo", "expected a size in KiB", `bad "MBasbcst" value: foo`},
	{"+MBsbct +MBas", "+MBsbct", "+MBas", "expected a size in KiB", `bad "MBsbct" value: +MBas`},
	{"+MBsbct", "+MBsbct", "", "missing value", `Missing argument(s) for '+MBsbct'.`},
	{"+MBas aobf +MBcp", "+MBcp", "", "missing value", `Missing argument(s) for '+MBcp'.`},
	{"+MXfoo", "+MXfoo", "", "unknown allocator letter X", `bad "M" parameter`},
	{"+MXscs 5", "+MXscs", "5", "unknown allocator letter X", `bad "M" parameter`},
	{"+Mis true", "+Mis", "true", "unknown allocator letter i", `bad "M" parameter`},
	{"+M", "+M", "", "missing allocator letter", `bad "M" parameter`},
	{"+MB", "+MB", "", "missing parameter for binary_alloc", `bad "MB" parameter`},
	{"+Mu", "+Mu", "", "missing parameter for +Mu", `bad "Mu" parameter`},
	{"+MBfoo 1", "+MBfoo", "1", "unknown parameter foo for binary_alloc", `bad "MB" parameter`},
	{"+MBmsbclt 5", "+MBmsbclt", "5", "unknown parameter msbclt for binary_alloc", `bad "MB" parameter`},
	{"+Mufoo 1", "+Mufoo", "1", "unknown parameter foo for +Mu", `bad "Mu" parameter`},
	{"+MIacul 50", "+MIacul", "50", "parameter acul is not allowed for literal_alloc", `bad "MI" parameter`},
	{"+MIcp B", "+MIcp", "B", "parameter cp is not allowed for literal_alloc", `bad "MI" parameter`},
	{"+MTacul 50", "+MTacul", "50", "parameter acul is not allowed for temp_alloc", `bad "MT" parameter`},
	{"+MTacful 20", "+MTacful", "20", "not allowed for temp_alloc", `bad "MT" parameter`},
	{"+MIt true", "+MIt", "true", "literal_alloc cannot have thread-specific instances", `bad "MIt" value: true`},
	{"+MIe false", "+MIe", "false", "literal_alloc cannot be disabled", `bad "MIe" value: false`},
	{"+MTe false", "+MTe", "false", "temp_alloc cannot be disabled", `bad "MTe" value: false`},
	{"+MBe maybe", "+MBe", "maybe", "expected true or false", `bad "MBe" value: maybe`},
	{"+MBenable true", "+MBe", "nable", "expected true or false", `bad "MBe" value: nable`},
	{"+MBtrue", "+MBt", "rue", "expected true or false", `bad "MBt" value: rue`},
	{"+MBatags maybe", "+MBatags", "maybe", "expected true or false", `bad "MBatags" value: maybe`},
	{"+MBcp X", "+MBcp", "X", "expected a carrier pool", `bad "MBcp" value: X`},
	{"+MBcp BB", "+MBcp", "BB", "expected a carrier pool", `bad "MBcp" value: BB`},
	{"+MBacul 101", "+MBacul", "101", "expected a percentage 0..100 or de", `bad "MBacul" value: 101`},
	{"+MBacful 101", "+MBacful", "101", "expected a percentage 0..100 or de", `bad "MBacful" value: 101`},
	{"+MBacul -1", "+MBacul", "-1", "expected a percentage", `bad "MBacul" value: -1`},
	{"+MBacnl -1", "+MBacnl", "-1", "expected a non-negative integer", `bad "MBacnl" value: -1`},
	{"+MBmmsbc 99999999999999999999", "+MBmmsbc", "99999999999999999999", "expected a non-negative integer", `bad "MBmmsbc" value: 99999999999999999999`},
	{"+Mea foo", "+Mea", "foo", "unknown preset", `bad "Mea" parameter`},
	{"+Meb min", "+Meb", "min", "unknown parameter b", `bad "M" parameter`},
	{"+Mea r11b", "+Mea", "r11b", "crashes at start-up", ""},
	{"+MFe false +Mea r9c", "+Mea", "r9c", "crashes at start-up", ""},
	{"+Mea r10b +MFe false +Mue true", "+Mea", "r10b", "crashes at start-up", ""},
	{"+Mlpm foo", "+Mlpm", "foo", "expected all or no", `bad "Mlpm" value: foo`},
	{"+Mlx 1", "+Mlx", "1", "unknown parameter x", `bad "Ml" parameter`},
	{"+Mdai -1", "+Mdai", "-1", "expected max or a non-negative integer", `bad "Mdai" value: -1`},
	{"+Mdai x", "+Mdai", "x", "expected max", `bad "Mdai" value: x`},
	{"+Mdai max1", "+Mdai", "max1", "expected max", `bad "Mdai" value: max1`},
	{"+Mdai 9223372036854775808", "+Mdai", "9223372036854775808", "expected max", `bad "Mdai" value: 9223372036854775808`},
	{"+Mdx 1", "+Mdx", "1", "unknown parameter x", `bad "Md" parameter`},
	{"+MMfoo 1", "+MMfoo", "1", "unknown mseg_alloc parameter foo", `bad "MM" parameter`},
	{"+MMrmcbf -1", "+MMrmcbf", "-1", "expected a non-negative integer", `bad "MMrmcbf" value: -1`},
	{"+MMmcs -1", "+MMmcs", "-1", "expected a non-negative integer", `bad "MMmcs" value: -1`},
	{"+MMscrfsd -1", "+MMscrfsd", "-1", "expected a non-negative integer", `bad "MMscrfsd" value: -1`},
	{"+MMsco maybe", "+MMsco", "maybe", "expected true or false", `bad "MMsco" value: maybe`},
	{"+MMamcbf 18014398509481985", "+MMamcbf", "18014398509481985", "expected a size in KiB", `bad "MMamcbf" value: 18014398509481985`},
	{"+MMscs x", "+MMscs", "x", "expected a size in MiB", `bad "MMscs" value: x`},
	{"+MIscs -1", "+MIscs", "-1", "expected a size in MiB", `bad "MIscs" value: -1`},
	{"+MIscs 17592186044417", "+MIscs", "17592186044417", "expected a size in MiB", `bad "MIscs" value: 17592186044417`},
	{"+Mummc -1", "+Mummc", "-1", "expected a non-negative integer", `bad "Mummc" value: -1`},
	{"+Musac yes", "+Musac", "yes", "expected true or false", `bad "Musac" value: yes`},
	{"+Muycs x", "+Muycs", "x", "expected a size in KiB", `bad "Muycs" value: x`},
	{"+MYfoo 1", "+MYfoo", "1", "unknown sys_alloc parameter foo", `bad "MY" parameter`},
	{"+MYe false", "+MYe", "false", "sys_alloc cannot be disabled", `bad "MYe" value: false`},
	{"+MYefalse", "+MYe", "false", "sys_alloc cannot be disabled", `bad "MYe" value: false`},
	{"+MYtt 2097152", "+MYtt", "2097152", "expected a size in KiB (0..2097151)", `bad "MYtt" value: 2097152`},
	{"+MYtp -1", "+MYtp", "-1", "expected a size in KiB", `bad "MYtp" value: -1`},
	{"+MYtt 9223372036854775808", "+MYtt", "9223372036854775808", "expected a size in KiB", `bad "MYtt" value: 9223372036854775808`},
	{"+S 2", "+S", "", "not a +M flag", ""},
	{"+MBsbct256 100", "100", "", "not a +M flag", ""},
}

func TestFlagErrorMessage(t *testing.T) {
	for _, c := range []struct{ in, want string }{
		{"+MBas foo", "+MBas foo: unknown strategy (expected bf, aobf, aoff, aoffcbf, aoffcaobf, ageffcaoff, ageffcbf, ageffcaobf, gf or af)"},
		{"+MBsbct x", "+MBsbct x: expected a size in KiB (0..18014398509481984)"},
		{"+MXfoo", "+MXfoo: unknown allocator letter X"},
		{"+MBfoo 1", "+MBfoo 1: unknown parameter foo for binary_alloc"},
		{"+MBsbct", "+MBsbct: missing value"},
	} {
		_, err := ParseFlags(c.in)
		if err == nil || err.Error() != c.want {
			t.Errorf("%q: %v, want %q", c.in, err, c.want)
		}
	}
}

func TestFlagsGlobals(t *testing.T) {
	f := mustParse(t, "+Muycs 100 +Mummc 5 +Musac false "+
		"+MMamcbf 100 +MMrmcbf 150 +MMmcs 50 +MMscs 64 +MMsco false +MMscrpm false +MMscrfsd 50 +MIscs 64 "+
		"+MYtt 100 +MYtp 10 +MYm libc +MYe true +Mlpm all +Mdai 2")
	if got, want := f.Util(DefaultUtilOptions()), (UtilOptions{YCS: 114688, MMC: 5, SAC: false}); got != want {
		t.Errorf("Util = %+v, want %+v", got, want)
	}
	wantM := MsegFlags{AMCBF: 102400, AMCBFSet: true, RMCBF: 150, RMCBFSet: true, MCS: 30, MCSSet: true,
		SCS: 64 << 20, SCSSet: true, SCO: false, SCOSet: true, SCRPM: false, SCRPMSet: true,
		SCRFSD: 100, SCRFSDSet: true, LiteralSCS: 64 << 20, LiteralSCSSet: true}
	if got := f.Mseg(); got != wantM {
		t.Errorf("Mseg = %+v\nwant %+v", got, wantM)
	}
	if got, want := f.Sys(), (SysFlags{E: true, M: "libc", TT: 102400, TP: 10240, MSet: true, TTSet: true, TPSet: true}); got != want {
		t.Errorf("Sys = %+v, want %+v", got, want)
	}
	if !f.LockPhysicalMemory() {
		t.Error("lpm not set")
	}
	if n, isMax := f.DirtyAllocInstances(); n != 2 || isMax {
		t.Errorf("dai = %d, %v", n, isMax)
	}

	// Defaults (§2.5, §11).
	var none *Flags
	if got := none.Util(DefaultUtilOptions()); got != DefaultUtilOptions() {
		t.Errorf("nil Util = %+v", got)
	}
	wantD := MsegFlags{AMCBF: 4194304, RMCBF: 20, MCS: 10, SCO: true, SCRPM: true, SCRFSD: 65536, LiteralSCS: 1 << 30}
	if got := (&Flags{}).Mseg(); got != wantD {
		t.Errorf("default Mseg = %+v", got)
	}
	if got := none.Sys(); got != (SysFlags{E: true, M: "libc", TT: 131072}) {
		t.Errorf("default Sys = %+v", got)
	}

	// Single-value rules.
	for _, c := range []struct {
		flags string
		check func(f *Flags) bool
	}{
		{"+Muycs 0", func(f *Flags) bool { return f.Util(DefaultUtilOptions()).YCS == 0 }},
		{"+Muycs 16", func(f *Flags) bool { return f.Util(DefaultUtilOptions()).YCS == 16384 }},
		{"+Muycs 17", func(f *Flags) bool { return f.Util(DefaultUtilOptions()).YCS == 32768 }},
		{"+Muycs 18014398509481984", func(f *Flags) bool { return f.Util(DefaultUtilOptions()).YCS == 0 }},
		{"+Mummc 0", func(f *Flags) bool { return f.Util(DefaultUtilOptions()).MMC == 0 }},
		{"+MMmcs 30", func(f *Flags) bool { return f.Mseg().MCS == 30 }},
		{"+MMmcs 0", func(f *Flags) bool { return f.Mseg().MCS == 0 }},
		{"+MMmcs5", func(f *Flags) bool { return f.Mseg().MCS == 5 }},
		{"+MMamcbf 18014398509481984", func(f *Flags) bool { return f.Mseg().AMCBF == Infinite }},
		{"+MMscs 17592186044416", func(f *Flags) bool { return f.Mseg().SCS == Infinite }},
		{"+MMscrfsd 300", func(f *Flags) bool { return f.Mseg().SCRFSD == 300 }},
		{"+MMscrfsd 0", func(f *Flags) bool { return f.Mseg().SCRFSD == 100 }},
		{"+MIscs64", func(f *Flags) bool { return f.Mseg().LiteralSCS == 64<<20 }},
		{"+MYtt 2097151", func(f *Flags) bool { return f.Sys().TT == 2147482624 }},
		{"+MYtt 4294967396", func(f *Flags) bool { return f.Sys().TT == 102400 }},
		{"+MYtt -4294967196", func(f *Flags) bool { return f.Sys().TT == 102400 }},
		{"+MYtp 4294967296", func(f *Flags) bool { return f.Sys().TP == 0 && f.Sys().TPSet }},
		{"+MYm foo", func(f *Flags) bool { return f.Sys().M == "foo" }},
		{"+MYetrue", func(f *Flags) bool { return f.Sys().E }},
		{"+Mlpm no", func(f *Flags) bool { return !f.LockPhysicalMemory() }},
		{"+Mlpmall", func(f *Flags) bool { return f.LockPhysicalMemory() }},
		{"+Mdai max", func(f *Flags) bool { _, m := f.DirtyAllocInstances(); return m }},
		{"+Mdaimax", func(f *Flags) bool { _, m := f.DirtyAllocInstances(); return m }},
		{"+Mdai 2147483649", func(f *Flags) bool { _, m := f.DirtyAllocInstances(); return m }},
		{"+Mdai 4294967297", func(f *Flags) bool { n, m := f.DirtyAllocInstances(); return n == 1 && !m }},
		{"+Mdai 2x", func(f *Flags) bool { n, _ := f.DirtyAllocInstances(); return n == 2 }},
		{"+Mdai -0", func(f *Flags) bool { n, m := f.DirtyAllocInstances(); return n == 0 && !m }},
		{"+Mea config", func(f *Flags) bool { return f.AllocConfig() }},
		{"+Mea min +Meamax", func(f *Flags) bool { return reflect.DeepEqual(f.EA(), []string{"min", "max"}) }},
		{"+Musacfalse", func(f *Flags) bool { return !f.Util(DefaultUtilOptions()).SAC }},
	} {
		if !c.check(mustParse(t, c.flags)) {
			t.Errorf("%q: check failed", c.flags)
		}
	}
}

// TestFlagsIsSet: the per-scheduler division of mmbcs/lmbcs/smbcs only
// happens when the user did not set them (§2.3 step 5).
func TestFlagsIsSet(t *testing.T) {
	f := mustParse(t, "+MBmmbcs 64 +Mulmbcs 1000 +MHt false")
	for _, c := range []struct {
		t     Type
		param string
		want  bool
	}{
		{Binary, "mmbcs", true},
		{STD, "mmbcs", false},
		{STD, "lmbcs", true},
		{Temp, "lmbcs", false},
		{Literal, "lmbcs", false},
		{Test, "lmbcs", false},
		{EHeap, "t", true},
		{EHeap, "acul", false},
		{Binary, "smbcs", false},
	} {
		if got := f.IsSet(c.t, c.param); got != c.want {
			t.Errorf("IsSet(%v, %s) = %v", c.t, c.param, got)
		}
	}
	g := mustParse(t, "+MBmmbcs 64 +MTmmbcs 64 +MImmbcs 64 +Mea r11b +MFe false")
	if g.IsSet(Binary, "mmbcs") || g.IsSet(Temp, "mmbcs") || !g.IsSet(Literal, "mmbcs") || !g.IsSet(Fix, "e") {
		t.Error("a preset must forget the settings of the allocators it resets")
	}
	var none *Flags
	if none.IsSet(Binary, "mmbcs") {
		t.Error("nil Flags has settings")
	}
}

// TestFlagsMerge: later flags win parameter by parameter, as "@ flags" then
// "--erl" on the oracle's command line.
func TestFlagsMerge(t *testing.T) {
	trace := mustParse(t, "+MBas aobf +MBsbct 100 +MMmcs 5 +Musac false +MYtt 10")
	cmd := mustParse(t, "+MBas bf +MMscs 64 +Musac true")
	trace.Merge(cmd)
	o := trace.ApplyTo(Binary, flagTestDefaults(Binary))
	if o.AS != strategies.BF || o.SBCT != 102400 {
		t.Errorf("merged binary_alloc: as %v sbct %d", o.AS, o.SBCT)
	}
	m := trace.Mseg()
	if m.MCS != 5 || m.SCS != 64<<20 {
		t.Errorf("merged mseg %+v", m)
	}
	if !trace.Util(DefaultUtilOptions()).SAC || trace.Sys().TT != 10240 {
		t.Error("merged globals")
	}
	if got := trace.String(); got != "+MBas aobf +MBsbct 100 +MBas bf +Musac true +MMmcs 5 +MMscs 64 +MYtt 10" {
		t.Errorf("String = %q", got)
	}
	trace.Merge(nil)

	// A merge can bring back the preset crash.
	a := mustParse(t, "+Mea r11b +MFe false")
	a.Merge(mustParse(t, "+MFe true"))
	if a.Check() == nil {
		t.Error("Check after merge: want the preset error")
	}
}

func TestFlagsStringRoundTrip(t *testing.T) {
	for _, s := range []string{
		"",
		"+MBas aobf +MBacul 0 +MMscs 16384 +Musac false +MZsbct 256",
		"+MBsbct256abc +MBaculde +MHacful de +MZas chaosff +MBcp : +MRcp @ +Mea min +Mea config",
		"+Mdai 2147483649 +MYtt -4294967196 +MYm x +Mlpmno +MIscs 1024 +MMsco true",
		"+MBsbct 18014398509481984 +MLt true +MIt false +Mummmbc 0 +Mummsbc 0",
	} {
		f := mustParse(t, s)
		out := f.String()
		g := mustParse(t, out)
		if !reflect.DeepEqual(f, g) || g.String() != out {
			t.Errorf("%q → %q → %q", s, out, g.String())
		}
	}
	if got := mustParse(t, "+MBsbct256abc +Mdai 2147483649").String(); got != "+MBsbct 256 +Mdai max" {
		t.Errorf("canonical = %q", got)
	}
}

func TestParseVMArgs(t *testing.T) {
	src := "## node flags\n" +
		"-name x@127.0.0.1\n" +
		"+S 2   # two schedulers\n" +
		"+MBas aobf +MBacul 0#no migration\n" +
		"+MBsbct\n" +
		"  256\n" +
		"-setcookie 'a b#c'\n" +
		"+MHas \"gf\" +MHmbsd \\5\n" +
		"-extra +MBsbct 1\n"
	f, err := ParseVMArgs(strings.NewReader(src), "vm.args")
	if err != nil {
		t.Fatal(err)
	}
	wantOther := []string{"-name", "x@127.0.0.1", "+S", "2", "-setcookie", "a b#c", "-extra", "+MBsbct", "1"}
	if !reflect.DeepEqual(f.Other, wantOther) {
		t.Errorf("Other = %q", f.Other)
	}
	if got := f.String(); got != "+MBas aobf +MBacul 0 +MBsbct 256 +MHas gf +MHmbsd 5" {
		t.Errorf("flags = %q", got)
	}

	for _, c := range []struct{ src, want string }{
		{"# x\n+S 2\n\n  +MBas foo\n", "vm.args:4: +MBas foo: unknown strategy"},
		{"+MBas aobf\n\n+MBsbct\n", "vm.args:3: +MBsbct: missing value"},
		{"+MBsbct 1\n+Mea r11b # crash\n", "vm.args:2: +Mea r11b: OTP 25.2.3 crashes"},
		{"+MYm 'x\ny' +MBas bogus\n", "vm.args:2: +MBas bogus"},
	} {
		_, err := ParseVMArgs(strings.NewReader(c.src), "vm.args")
		if err == nil || !strings.HasPrefix(err.Error(), c.want) {
			t.Errorf("%q: %v, want prefix %q", c.src, err, c.want)
		}
	}
}

// TestParseVMArgsGolden parses testdata/flags/*.args and compares canonical
// flags and other words with the .golden file next to it.
func TestParseVMArgsGolden(t *testing.T) {
	files, _ := filepath.Glob("testdata/flags/*.args")
	if len(files) == 0 {
		t.Fatal("no testdata/flags/*.args")
	}
	for _, name := range files {
		data, err := os.ReadFile(name)
		if err != nil {
			t.Fatal(err)
		}
		var got string
		f, err := ParseVMArgs(strings.NewReader(string(data)), filepath.Base(name))
		if err != nil {
			got = "error: " + err.Error() + "\n"
		} else {
			got = "flags: " + f.String() + "\nother: " + strings.Join(f.Other, " ") + "\n"
		}
		golden := strings.TrimSuffix(name, ".args") + ".golden"
		want, err := os.ReadFile(golden)
		if err != nil {
			t.Fatal(err)
		}
		if got != string(want) {
			t.Errorf("%s:\n got %q\nwant %q", name, got, want)
		}
	}
}

func TestFlagStrtol(t *testing.T) {
	for _, c := range []struct {
		in string
		v  int64
		ok bool
	}{
		{"0", 0, true}, {"42", 42, true}, {" \t42x", 42, true}, {"+7", 7, true}, {"-7", -7, true},
		{"", 0, false}, {"x", 0, false}, {"-", 0, false}, {"+", 0, false}, {" ", 0, false},
		{"9223372036854775807", 9223372036854775807, true}, {"9223372036854775808", 0, false},
		{"-9223372036854775808", -9223372036854775808, true}, {"-9223372036854775809", 0, false},
		{"99999999999999999999999", 0, false},
	} {
		v, ok := flagStrtol(c.in)
		if v != c.v || ok != c.ok {
			t.Errorf("strtol(%q) = %d, %v", c.in, v, ok)
		}
	}
}
