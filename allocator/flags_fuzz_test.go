package allocator

import (
	"errors"
	"reflect"
	"testing"
)

// FuzzParseFlags: ParseFlags never panics; what it accepts prints back in
// canonical erl syntax (String) that parses to the same Flags and prints the
// same again; what it refuses is a *FlagError. Seeds: the f.Add list below
// and testdata/fuzz/FuzzParseFlags.
func FuzzParseFlags(f *testing.F) {
	for _, s := range []string{
		"+MBas aobf +MBacul 0 +MMscs 16384 +Musac false +MZsbct 256",
		"+MBsbct256abc +MBaculde +MHacful de +MZas chaosff +MBcp :",
		"+Mea r11b +MFe false +Mea config +Mea min",
		"+Mdai 2147483649 +MYtt -4294967196 +MYm x +Mlpmno +MIscs 1024",
		"+MBsbct +MBas",
		"+MMmcs 50 +MMscrfsd 0 +Muycs 17 +Mummc 5",
		"+MIacul 50",
		"+MBt false +MBacul 50 +MBas gf +MBmbsd 0",
		"",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		fl, err := ParseFlags(s)
		if err != nil {
			var fe *FlagError
			if !errors.As(err, &fe) {
				t.Fatalf("%q: error %T %v", s, err, err)
			}
			_ = fe.Error()
			return
		}
		out := fl.String()
		g, err := ParseFlags(out)
		if err != nil {
			t.Fatalf("%q → %q: %v", s, out, err)
		}
		if !reflect.DeepEqual(fl, g) {
			t.Fatalf("%q → %q: parses to different flags", s, out)
		}
		if again := g.String(); again != out {
			t.Fatalf("%q → %q → %q", s, out, again)
		}
		for ty := Temp; ty <= Test; ty++ {
			base := GenericDefaults()
			_ = fl.ApplyTo(ty, base)
			_ = fl.IsSet(ty, "mmbcs")
		}
		_ = fl.Util(DefaultUtilOptions())
		_ = fl.Mseg()
		_ = fl.Sys()
		_ = fl.Check()
	})
}
