package allocator

import (
	"bytes"
	"fmt"
	"math"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"testing"

	"alloclab/strategies"
)

// TestFlagsOnRealErl checks the parser against the installed erl (OTP 25.2.3):
// every refusal in flagRejectionRows must make erl exit with the same message
// (or, for the preset rows, die of a signal), and every row of flagParamRows
// must start a node whose {allocator, A} options agree with ApplyTo after the
// start-up adjustments of erts-alloc-facts §2.3 (+S 2). It takes about a
// minute, so it runs only with ALLOCLAB_ERL=1.
func TestFlagsOnRealErl(t *testing.T) {
	if os.Getenv("ALLOCLAB_ERL") == "" {
		t.Skip("set ALLOCLAB_ERL=1 to compare with the installed erl")
	}
	erl, err := exec.LookPath("erl")
	if err != nil {
		t.Skip("no erl")
	}
	t.Run("rejections", func(t *testing.T) {
		for _, r := range flagRejectionRows {
			if r.rule == "not a +M flag" {
				continue // erl passes such words on to init
			}
			r := r
			t.Run(r.flags, func(t *testing.T) {
				t.Parallel()
				args := append([]string{"-noshell", "-noinput", "+S", "2", "-eval", "halt()."}, strings.Fields(r.flags)...)
				cmd := exec.Command(erl, args...)
				var out bytes.Buffer
				cmd.Stdout, cmd.Stderr = &out, &out
				err := cmd.Run()
				if err == nil {
					t.Fatalf("erl %s started", r.flags)
				}
				if r.runtime == "" {
					if code := cmd.ProcessState.ExitCode(); code != -1 {
						t.Errorf("erl %s: exit code %d, want death by signal", r.flags, code)
					}
					return
				}
				first, _, _ := strings.Cut(out.String(), "\n")
				first = strings.TrimSuffix(first, "\r") // beam writes CR LF here
				if first != r.runtime {
					t.Errorf("erl %s said %q, want %q", r.flags, first, r.runtime)
				}
			})
		}
	})
	t.Run("options", func(t *testing.T) {
		for _, r := range flagParamRows {
			r := r
			t.Run(r.typ.String()+" "+r.flags, func(t *testing.T) {
				t.Parallel()
				f := mustParse(t, r.flags)
				if f.AllocConfig() {
					t.Skip("+Mea config start-up rules are not modelled here")
				}
				got := flagErlOptions(t, erl, r.typ, r.flags)
				flagCompareStartup(t, f, r.typ, got)
			})
		}
	})
}

// flagErlOptions runs erl with flags and returns the options of instances 0
// and 1 of allocator ty ("disabled" → nil).
func flagErlOptions(t *testing.T, erl string, ty Type, flags string) []map[string]string {
	eval := fmt.Sprintf(`case erlang:system_info({allocator,%s}) of
  false -> io:format("disabled~n");
  L -> [begin {options,O} = lists:keyfind(options,1,P),
              [io:format("~w ~w ~w~n",[N,K,V]) || {K,V} <- O] end
        || {instance,N,P} <- L, N < 2]
end, halt().`, ty)
	args := append([]string{"-noshell", "-noinput", "+S", "2"}, strings.Fields(flags)...)
	args = append(args, "-eval", eval)
	out, err := exec.Command(erl, args...).CombinedOutput()
	if err != nil {
		t.Fatalf("erl %s: %v\n%s", flags, err, out)
	}
	if strings.TrimSpace(string(out)) == "disabled" {
		return nil
	}
	inst := []map[string]string{{}}
	for _, line := range strings.Split(strings.TrimSpace(string(out)), "\n") {
		fs := strings.Fields(line)
		if len(fs) != 3 {
			t.Fatalf("erl output %q", line)
		}
		n, _ := strconv.Atoi(fs[0])
		for len(inst) <= n {
			inst = append(inst, map[string]string{})
		}
		inst[n][fs[1]] = strings.Trim(fs[2], "'")
	}
	return inst
}

// flagCompareStartup applies the start-up adjustments of §2.3 for N = 2 to
// ApplyTo's result and compares with what erl shows.
func flagCompareStartup(t *testing.T, f *Flags, ty Type, got []map[string]string) {
	const n = 2
	o := f.ApplyTo(ty, flagTestDefaults(ty))
	if !o.E {
		if got != nil {
			t.Errorf("enabled, want disabled")
		}
		return
	}
	if got == nil {
		t.Fatalf("disabled, want enabled")
	}
	acul, thr, as := o.ACUL, o.T, o.AS
	if ty == Temp {
		acul = 0
	}
	if acul != 0 && ty != Temp && ty != Test {
		thr = true
		if !as.Migrates() {
			as = strategies.AOFFCBF
		}
	}
	as0 := as
	if as == strategies.AF && (ty != Temp || !thr) {
		as, as0 = strategies.GF, strategies.GF
	}
	if as == strategies.AF {
		as0 = strategies.GF // temp_alloc instance 0
	}
	mmbcs, lmbcs, smbcs := o.MMBCS, o.LMBCS, o.SMBCS
	if thr && ty != Temp {
		if !f.IsSet(ty, "mmbcs") {
			mmbcs /= min(4, n)
		}
		if !f.IsSet(ty, "lmbcs") {
			lmbcs /= min(2, n)
		}
		if !f.IsSet(ty, "smbcs") {
			smbcs /= min(4, n)
		}
	}
	u := func(v uint64) string { return strconv.FormatUint(v, 10) }
	want0 := map[string]string{
		"e": "true", "t": strconv.FormatBool(thr), "atags": strconv.FormatBool(o.ATags),
		"ramv": strconv.FormatBool(o.RAMV), "sbct": u(o.SBCT),
		"asbcst": u(min(o.ASBCST, math.MaxUint64/100)),
		"rsbcst": u(o.RSBCST), "rsbcmt": u(o.RSBCMT), "rmbcmt": u(o.RMBCMT),
		"mmbcs": u(mmbcs), "mmsbc": u(o.MMSBC), "mmmbc": u(o.MMMBC),
		"lmbcs": u(max(lmbcs, smbcs)), "smbcs": u(smbcs), "mbcgs": u(max(o.MBCGS, 1)),
		"as": as0.String(),
	}
	if as0 == strategies.GF {
		want0["mbsd"] = u(o.MBSD)
	}
	for k, v := range want0 {
		if got[0][k] != v {
			t.Errorf("instance 0 %s = %s, want %s", k, got[0][k], v)
		}
	}
	if !thr {
		if len(got) > 1 {
			t.Errorf("%d instances, want 1", len(got))
		}
		return
	}
	if len(got) < 2 {
		t.Fatalf("1 instance, want %d", n+1)
	}
	if got[1]["as"] != as.String() {
		t.Errorf("instance 1 as = %s, want %s", got[1]["as"], as)
	}
	pool := acul > 0 && o.ACNL > 0 && o.CP != 0 && flagMigrationAllowed(ty)
	if !pool {
		if got[1]["acul"] != "0" {
			t.Errorf("instance 1 acul = %s, want 0 (no pool)", got[1]["acul"])
		}
		return
	}
	want1 := map[string]string{
		"acul": u(acul), "acful": u(min(o.ACFUL, acul)), "acnl": u(o.ACNL),
		"acfml": u(o.ACFML), "cp": string(o.CP),
	}
	for k, v := range want1 {
		if got[1][k] != v {
			t.Errorf("instance 1 %s = %s, want %s", k, got[1][k], v)
		}
	}
}
