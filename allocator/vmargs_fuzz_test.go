package allocator

import (
	"errors"
	"strings"
	"testing"
)

// FuzzParseVMArgs: ParseVMArgs never panics; what it refuses is a
// *FlagError naming the file and a line that exists; what it accepts gives
// the same +M flags as ParseFlags of their canonical form.
func FuzzParseVMArgs(f *testing.F) {
	for _, s := range []string{
		"## vm.args\n-name node@host\n+S 2:2\n+MBas aobf # best fit\n+MBacul 0\n",
		"+MBsbct\n256\n+MHas 'aoffcbf'\n-extra +MBas bogus\n",
		"+MZas \"gf\" +MZmbsd 5\n\\#not-a-comment\n",
		"+MBas foo\n",
		"\"unterminated\n",
		"",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		fl, err := ParseVMArgs(strings.NewReader(s), "vm.args")
		if err != nil {
			var fe *FlagError
			if !errors.As(err, &fe) {
				t.Fatalf("%q: error %T %v", s, err, err)
			}
			if fe.File != "vm.args" || fe.Line < 1 || fe.Line > strings.Count(s, "\n")+1 {
				t.Fatalf("%q: error position %s:%d", s, fe.File, fe.Line)
			}
			return
		}
		g, err := ParseFlags(fl.String())
		if err != nil {
			t.Fatalf("%q: canonical form %q does not parse: %v", s, fl.String(), err)
		}
		if g.String() != fl.String() {
			t.Fatalf("%q: %q reparses as %q", s, fl.String(), g.String())
		}
	})
}
