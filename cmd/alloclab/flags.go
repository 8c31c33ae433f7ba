package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"alloclab/allocator"
	"alloclab/reports"
)

// alloclab flags prints the effective allocator options of a node — what
// erlang:system_info({allocator, A}) shows in each instance's
// {options, [...]} list — for the given +M flags and scheduler count,
// computed by allocator.NewNodeConfig.
//
// Three formats, one structure: a list of sections, one per allocator in
// the runtime's order (temp_alloc .. driver_alloc, test_alloc, then
// mseg_alloc, alloc_util, sys_alloc), each either disabled or a list of
// instances, each instance an ordered list of options.
//
// erlang (what scripts/record-flags-golden.sh prints from a real node, so
// the two compare byte for byte): one Erlang term per section, ending with a
// full stop, readable with file:consult/1,
//
//	{binary_alloc,[
//	 {instance,0,[{options,[{e,true},{t,true},...,{cp,undefined},{as,aoffcbf}]}]},
//	 {instance,1,[{options,[...]}]}
//	]}.
//	{test_alloc,false}.
//	{mseg_alloc,[
//	 {instance,0,[{options,[{amcbf,4194304},{rmcbf,20},{mcs,10}]}]}
//	]}.
//	{alloc_util,[
//	 {instance,0,[{mmc,18446744073709551615},{ycs,1048576},{sac,true}]}
//	]}.
//	{sys_alloc,[
//	 {instance,0,[{options,[{e,true},{m,libc},{tt,131072},{tp,0}]}]}
//	]}.
//
// The instance lines are exactly the runtime's terms (alloc_util's
// instance has no options wrapper, as in the runtime); ∞ is
// 18446744073709551615.
//
// json: one object, sections in the same order, each section an object
// from the instance number (a string) to an object of the options in the
// runtime's order, or false for a disabled allocator:
//
//	{
//	  "binary_alloc": {
//	    "0": {"e": true, "t": true, ..., "cp": null, "as": "aoffcbf"},
//	    "1": {"e": true, "t": true, ..., "cp": "B", "as": "aoffcbf"}
//	  },
//	  "test_alloc": false,
//	  "mseg_alloc": {
//	    "0": {"amcbf": 4194304, "rmcbf": 20, "mcs": 10}
//	  },
//	  "alloc_util": {
//	    "0": {"mmc": 18446744073709551615, "ycs": 1048576, "sac": true}
//	  },
//	  "sys_alloc": {
//	    "0": {"e": true, "m": "libc", "tt": 131072, "tp": 0}
//	  }
//	}
//
// Atoms become strings ("aoffcbf", "B", "libc"), cp undefined becomes null,
// numbers are written exactly (∞ as 18446744073709551615, beyond what a
// float64 holds: read them as integers).
//
// text: aligned tables for a terminal, one row per allocator and group of
// consecutive instances with equal options ("1-2"), one column per option;
// ∞ is shown as inf, a disabled allocator as one row saying so.

type flagsOpts struct {
	schedulers int
	dirtyCPU   int
	flags      []string
	vmArgs     string
	format     string
}

func newFlagsCmd() *cobra.Command {
	var o flagsOpts
	cmd := &cobra.Command{
		Use:   "flags [flags] [ALLOCATOR...]",
		Short: "Print the effective options of every allocator, as system_info({allocator, A}) shows them",
		Long: `Print the options every allocator instance of a node would run with for the
given +M flags and scheduler count, exactly as erlang:system_info({allocator, A})
reports them in its {options, [...]} list (OTP 25.2.3): the alloc_util
allocators temp_alloc .. driver_alloc and test_alloc, then mseg_alloc,
alloc_util ({mmc, ycs, sac}) and sys_alloc. ALLOCATOR names (binary_alloc, or
its flag letter B; mseg_alloc, alloc_util, sys_alloc) restrict the output.

The start-up rules of the runtime are applied: per-scheduler division of
mmbcs/lmbcs/smbcs (unless set), acul != 0 forcing thread-preferred aoffcbf,
acful clamped to acul, af -> gf, no carrier pool in instance 0 and in dirty
instances, ll_alloc back to one aobf instance with +MLacul 0, +Mea presets.

--schedulers defaults to +S from --vm-args, else the number of logical CPUs
(as erl does). Dirty CPU schedulers (which cap +Mdai) default to +SDcpu from
--vm-args, else to the number of schedulers.

Formats: erlang (Erlang terms, one per allocator, file:consult-able, the
format scripts/record-flags-golden.sh records from a real node), json (the
same structure as objects, options in order, atoms as strings, cp undefined
as null), text (aligned tables, instances with equal options grouped).

Errors (exit status 2, nothing on standard output):
  +M...: ...        unknown or malformed allocator flag
  FILE:LINE: ...    the same in a --vm-args file
  bad amount of schedulers, a super carrier that cannot be created, an +Mea
  r9c/r10b/r11b preset with fix_alloc enabled: what the runtime refuses at
  start-up
  unknown allocator NAME`,
		RunE: func(cmd *cobra.Command, args []string) error {
			return runFlags(cmd, args, &o)
		},
	}
	f := cmd.Flags()
	f.IntVar(&o.schedulers, "schedulers", 0, "normal schedulers N (+S N); default: +S from --vm-args, else the logical CPUs")
	f.IntVar(&o.dirtyCPU, "dirty-cpu-schedulers", 0, "dirty CPU schedulers (+SDcpu), which cap +Mdai; default: the number of schedulers")
	f.StringArrayVar(&o.flags, "flags", nil, `erl +M flags, e.g. "+MBas aobf +MBacul 0" (repeatable)`)
	f.StringVar(&o.vmArgs, "vm-args", "", "read +M flags (and +S, +SDcpu) from a vm.args file (--flags win)")
	f.StringVar(&o.format, "format", "erlang", "output format: erlang, json or text")
	return cmd
}

func runFlags(cmd *cobra.Command, args []string, o *flagsOpts) error {
	switch o.format {
	case "erlang", "json", "text":
	default:
		return userErrorf("flags: unknown --format %q (erlang, json or text)", o.format)
	}
	fl, err := loadFlags(o.vmArgs, o.flags)
	if err != nil {
		return err
	}
	n, dirty, err := flagsSchedulers(cmd, o, fl.Other)
	if err != nil {
		return err
	}
	cfg, err := allocator.NewNodeConfigDirty(n, dirty, fl)
	if err != nil {
		return userErr(err)
	}
	secs := flagsSections(cfg)
	if len(args) > 0 {
		secs, err = flagsSelect(secs, args)
		if err != nil {
			return err
		}
	}
	var out bytes.Buffer
	switch o.format {
	case "erlang":
		writeFlagsErlang(&out, secs)
	case "json":
		writeFlagsJSON(&out, secs)
	case "text":
		writeFlagsText(&out, secs)
	}
	_, err = io.Copy(cmd.OutOrStdout(), &out)
	return err
}

// flagsSchedulers picks N and the dirty CPU schedulers: the options if
// given, else +S and +SDcpu among the vm.args words, else the logical CPUs
// and N.
func flagsSchedulers(cmd *cobra.Command, o *flagsOpts, other []string) (int, int, error) {
	n, dirty := runtime.NumCPU(), 0
	vmS, vmD, err := flagsVMSchedulers(other)
	if err != nil {
		return 0, 0, userErr(fmt.Errorf("%s: %v", o.vmArgs, err))
	}
	if vmS > 0 {
		n = vmS
	}
	if cmd.Flags().Changed("schedulers") {
		n = o.schedulers
	}
	dirty = n
	if vmD > 0 {
		dirty = vmD
	}
	if cmd.Flags().Changed("dirty-cpu-schedulers") {
		dirty = o.dirtyCPU
	}
	if n < 1 || n > allocator.MaxSchedulers {
		return 0, 0, userErrorf("flags: bad amount of schedulers %d (1..%d)", n, allocator.MaxSchedulers)
	}
	if dirty < 1 {
		return 0, 0, userErrorf("flags: bad amount of dirty CPU schedulers %d", dirty)
	}
	return n, dirty, nil
}

// flagsVMSchedulers finds "+S N[:M]" and "+SDcpu N[:M]" (value in the next
// word or glued) among vm.args words and returns the created counts, 0 when
// absent or not given (":M").
func flagsVMSchedulers(words []string) (s, dcpu int, err error) {
	parse := func(flag, v string) (int, error) {
		created, _, _ := strings.Cut(v, ":")
		if created == "" {
			return 0, nil
		}
		x, err := strconv.Atoi(created)
		if err != nil || x < 1 {
			return 0, fmt.Errorf("bad %s value %q", flag, v)
		}
		return x, nil
	}
	for i := 0; i < len(words); i++ {
		w := words[i]
		var flag, v string
		switch {
		case w == "+S" || w == "+SDcpu":
			flag = w
			if i+1 < len(words) {
				i++
				v = words[i]
			}
		case strings.HasPrefix(w, "+SDcpu"):
			flag, v = "+SDcpu", w[len("+SDcpu"):]
		case strings.HasPrefix(w, "+S") && len(w) > 2 && (w[2] == ':' || (w[2] >= '0' && w[2] <= '9')):
			flag, v = "+S", w[2:]
		default:
			continue
		}
		x, err := parse(flag, v)
		if err != nil {
			return 0, 0, err
		}
		if x == 0 {
			continue
		}
		if flag == "+S" {
			s = x
		} else {
			dcpu = x
		}
	}
	return s, dcpu, nil
}

// flagsTerm is an Erlang term in an options list: an integer, a boolean or
// an atom ("undefined" for cp without a pool).
type flagsTerm struct {
	kind byte // 'i', 'b', 'a'
	n    uint64
	s    string
}

func termInt(n uint64) flagsTerm  { return flagsTerm{kind: 'i', n: n} }
func termAtom(s string) flagsTerm { return flagsTerm{kind: 'a', s: s} }
func termBool(b bool) flagsTerm {
	if b {
		return flagsTerm{kind: 'b', s: "true"}
	}
	return flagsTerm{kind: 'b', s: "false"}
}

type flagsKV struct {
	key string
	val flagsTerm
}

// flagsSection is one allocator: disabled, or its instances' options.
type flagsSection struct {
	name     string
	letter   byte // flag letter of an alloc_util allocator, 0 otherwise
	disabled bool
	// bare: the instance info is the options list itself (alloc_util),
	// not [{options, List}].
	bare  bool
	insts [][]flagsKV
}

// flagsOptions is an instance's {options, [...]} list in the runtime's
// order (reports.OptionProps, shared with replay --stats).
func flagsOptions(o allocator.Options) []flagsKV {
	var kv []flagsKV
	for _, p := range reports.OptionProps(o) {
		switch v := p.Value.(type) {
		case reports.Int:
			n, _ := v.Uint64()
			kv = append(kv, flagsKV{p.Key, termInt(n)})
		case reports.Atom:
			if v == "true" || v == "false" {
				kv = append(kv, flagsKV{p.Key, termBool(v == "true")})
			} else {
				kv = append(kv, flagsKV{p.Key, termAtom(string(v))})
			}
		}
	}
	return kv
}

// flagsSections builds every section of cfg in the runtime's order.
func flagsSections(cfg *allocator.NodeConfig) []flagsSection {
	var secs []flagsSection
	for t := allocator.Temp; t <= allocator.Test; t++ {
		tc := &cfg.Types[t]
		s := flagsSection{name: t.String(), letter: t.Letter(), disabled: !tc.Enabled}
		for _, o := range tc.Instances {
			s.insts = append(s.insts, flagsOptions(o))
		}
		secs = append(secs, s)
	}
	m := cfg.Mseg
	ms := flagsSection{name: "mseg_alloc"}
	for range cfg.MsegInstances {
		ms.insts = append(ms.insts, []flagsKV{
			{"amcbf", termInt(m.AMCBF)}, {"rmcbf", termInt(m.RMCBF)}, {"mcs", termInt(m.MCS)},
		})
	}
	u := cfg.Util
	sy := cfg.Sys
	return append(secs, ms,
		flagsSection{name: "alloc_util", bare: true, insts: [][]flagsKV{{
			{"mmc", termInt(u.MMC)}, {"ycs", termInt(u.YCS)}, {"sac", termBool(u.SAC)},
		}}},
		// The runtime shows {m,libc} whatever +MYm says (allocator.SysFlags).
		flagsSection{name: "sys_alloc", insts: [][]flagsKV{{
			{"e", termBool(sy.E)}, {"m", termAtom("libc")}, {"tt", termInt(sy.TT)}, {"tp", termInt(sy.TP)},
		}}},
	)
}

// flagsSelect keeps the sections named in args (names or alloc_util flag
// letters), in the runtime's order.
func flagsSelect(secs []flagsSection, args []string) ([]flagsSection, error) {
	want := map[string]bool{}
	for _, a := range args {
		found := false
		for _, s := range secs {
			if s.name == a || (s.letter != 0 && a == string(s.letter)) {
				want[s.name], found = true, true
			}
		}
		if !found {
			names := make([]string, len(secs))
			for i, s := range secs {
				names[i] = s.name
			}
			return nil, userErrorf("flags: unknown allocator %q (one of %s, or a flag letter)", a, strings.Join(names, ", "))
		}
	}
	return slices.DeleteFunc(secs, func(s flagsSection) bool { return !want[s.name] }), nil
}

// erlAtom writes an atom, quoted unless it is a plain lower-case name.
func erlAtom(b *bytes.Buffer, s string) { b.WriteString(reports.QuoteAtom(s)) }

func writeFlagsErlang(b *bytes.Buffer, secs []flagsSection) {
	for _, s := range secs {
		b.WriteByte('{')
		erlAtom(b, s.name)
		if s.disabled {
			b.WriteString(",false}.\n")
			continue
		}
		b.WriteString(",[\n")
		for i, kvs := range s.insts {
			// {instance,I,[{options,[KV...]}]}, or {instance,I,[KV...]}
			// for alloc_util.
			fmt.Fprintf(b, " {instance,%d,[", i)
			if !s.bare {
				b.WriteString("{options,[")
			}
			for j, kv := range kvs {
				if j > 0 {
					b.WriteByte(',')
				}
				b.WriteByte('{')
				erlAtom(b, kv.key)
				b.WriteByte(',')
				switch kv.val.kind {
				case 'i':
					b.WriteString(strconv.FormatUint(kv.val.n, 10))
				default:
					erlAtom(b, kv.val.s)
				}
				b.WriteByte('}')
			}
			if !s.bare {
				b.WriteString("]}")
			}
			b.WriteString("]}")
			if i < len(s.insts)-1 {
				b.WriteByte(',')
			}
			b.WriteByte('\n')
		}
		b.WriteString("]}.\n")
	}
}

func writeFlagsJSON(b *bytes.Buffer, secs []flagsSection) {
	str := func(s string) {
		q, _ := json.Marshal(s)
		b.Write(q)
	}
	// One section per member, one instance per line.
	b.WriteString("{")
	for i, s := range secs {
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteString("\n  ")
		str(s.name)
		b.WriteString(": ")
		if s.disabled {
			b.WriteString("false")
			continue
		}
		b.WriteByte('{')
		for j, kvs := range s.insts {
			if j > 0 {
				b.WriteByte(',')
			}
			b.WriteString("\n    ")
			str(strconv.Itoa(j))
			b.WriteString(": {")
			for k, kv := range kvs {
				if k > 0 {
					b.WriteString(", ")
				}
				str(kv.key)
				b.WriteString(": ")
				switch {
				case kv.val.kind == 'i':
					b.WriteString(strconv.FormatUint(kv.val.n, 10))
				case kv.val.kind == 'b':
					b.WriteString(kv.val.s)
				case kv.val.s == "undefined":
					b.WriteString("null")
				default:
					str(kv.val.s)
				}
			}
			b.WriteByte('}')
		}
		b.WriteString("\n  }")
	}
	b.WriteString("\n}\n")
}

// flagsTextValue is a value for the text tables: ∞ as inf.
func flagsTextValue(t flagsTerm) string {
	if t.kind == 'i' {
		if t.n == allocator.Infinite {
			return "inf"
		}
		return strconv.FormatUint(t.n, 10)
	}
	return t.s
}

func writeFlagsText(out *bytes.Buffer, secs []flagsSection) {
	// Tables: the alloc_util allocators share one; mseg_alloc, alloc_util
	// and sys_alloc get one each.
	var groups [][]flagsSection
	for _, s := range secs {
		au := s.letter != 0
		if n := len(groups); n > 0 && au && groups[n-1][0].letter != 0 {
			groups[n-1] = append(groups[n-1], s)
			continue
		}
		groups = append(groups, []flagsSection{s})
	}
	for gi, g := range groups {
		if gi > 0 {
			out.WriteByte('\n')
		}
		// Columns: every key in first-seen order (mbsd only in gf rows).
		var keys []string
		for _, s := range g {
			for _, kvs := range s.insts {
				for _, kv := range kvs {
					if !slices.Contains(keys, kv.key) {
						if kv.key == "as" || !slices.Contains(keys, "as") {
							keys = append(keys, kv.key)
						} else {
							keys = slices.Insert(keys, slices.Index(keys, "as"), kv.key)
						}
					}
				}
			}
		}
		tw := tabwriter.NewWriter(out, 0, 0, 2, ' ', 0)
		head := "allocator"
		if g[0].letter == 0 {
			head = g[0].name
		}
		fmt.Fprintf(tw, "%s\tinstances", head)
		for _, k := range keys {
			fmt.Fprintf(tw, "\t%s", k)
		}
		fmt.Fprintln(tw)
		for _, s := range g {
			if s.disabled {
				// e false and a "-" in every other column (a short line
				// would break tabwriter's column blocks).
				fmt.Fprintf(tw, "%s\t-", s.name)
				for _, k := range keys {
					v := "-"
					if k == "e" {
						v = "false"
					}
					fmt.Fprintf(tw, "\t%s", v)
				}
				fmt.Fprintln(tw)
				continue
			}
			for i := 0; i < len(s.insts); {
				j := i + 1
				for j < len(s.insts) && slices.Equal(s.insts[j], s.insts[i]) {
					j++
				}
				label := strconv.Itoa(i)
				if j-1 > i {
					label += "-" + strconv.Itoa(j-1)
				}
				fmt.Fprintf(tw, "%s\t%s", s.name, label)
				for _, k := range keys {
					v := "-"
					for _, kv := range s.insts[i] {
						if kv.key == k {
							v = flagsTextValue(kv.val)
						}
					}
					fmt.Fprintf(tw, "\t%s", v)
				}
				fmt.Fprintln(tw)
				i = j
			}
		}
		tw.Flush()
	}
}
