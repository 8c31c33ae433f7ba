package allocator

// +M emulator flags, parsed the way erl (erlexec + beam.smp) of OTP 25.2.3
// parses them.
//
// Two programs read a +M flag before the allocators start, and both shape
// what a command line means:
//
//  1. erlexec (erts/etc/common/erlexec.c) turns "+M..." into "-M..." for
//     beam. If the flag is *exactly* one it knows to take a value
//     (allocator letters u B I D E F H L R S T Z with as asbcst atags acul
//     acnl acfml acful cp e t lmbcs mbcgs mbsd mmbcs mmmbc mmsbc msbclt ramv
//     rmbcmt rsbcmt rsbcst sbct smbcs; or one of ea ummc uycs usac im is lpm
//     Mamcbf Mrmcbf Mmcs Mscs Mscrfsd Msco Mscrpm Ye Ym Ytp Ytt Iscs Xscs dai)
//     it hands beam the next token as the value, whatever that token looks
//     like ("+MBsbct +MBas" makes "+MBas" the value). A known flag with no
//     next token is refused ("Missing argument(s) for '+MBsbct'."). Any other
//     +M token goes to beam alone. (Verified on erl 25.2.3 with
//     -emu_args_exit; the list is the one in its erlexec binary.)
//  2. beam (erl_alloc.c, handle_args/handle_au_arg) recognises a parameter by
//     prefix, in a fixed order, and takes whatever follows the prefix in the
//     same token as the value, or the next token if nothing follows. So
//     "+MBsbct256" means sbct 256 KiB and "+MBenable true" means "e" with the
//     bad value "nable". Numbers go through C strtol: leading blanks and a
//     sign are accepted and trailing garbage is ignored ("256abc" = 256,
//     "0x10" = 0, "+5" = 5), overflow is refused (verified on erl).
//
// Flags are applied strictly left to right: "+MBsbct 100 +Musbct 200" gives
// binary_alloc sbct 200 KiB and the reverse order gives 100 KiB (verified on
// erl), and some parameters reset others at parse time ("as" with a strategy
// that cannot migrate, and "t false", zero acul and acful; "+Mea r11b" resets
// whole allocators). A Flags therefore keeps the per-allocator settings as an
// ordered list of events and ApplyTo replays them; global settings (+Mu ycs,
// mmc, sac, +MM..., +MI scs, +MY..., +Mlpm, +Mdai) are last-one-wins values.
//
// What a Flags holds is the parse result only: handle_args' view before
// erts_alloc_init's start-up adjustments (erts-alloc-facts §2.3: temp acul
// forced to 0, acul != 0 → thread preferred and aoffcbf, acful clamped to
// acul, per-scheduler division of mmbcs/lmbcs/smbcs unless IsSet, af → gf,
// +Mea config) and before alloc_util's own start-up rules (mbcgs shown as
// max(1, mbcgs), lmbcs as max(lmbcs, smbcs), asbcst capped at 2^64/100).
//
// Every rejection carries the message OTP 25.2.3 prints (FlagError.Runtime).
// Facts: erts-alloc-facts §1.5 (+Mea), §2.1 (units, clamps), §2.2 (defaults),
// §2.5 (mseg, alloc_util, sys_alloc flags), §11 (observed).

import (
	"fmt"
	"math"
	"strconv"
	"strings"
	"unicode/utf8"

	"alloclab/strategies"
)

// Flags is everything the +M flags of one command line (or vm.args file, or
// trace @ flags) say, before start-up adjustments: per-type options set by the
// user, mseg/super-carrier options, alloc_util globals, sys_alloc.
//
// The zero value (and nil) means "no flags". Build one with ParseFlags or
// ParseVMArgs; combine with Merge.
type Flags struct {
	// events are the per-allocator settings (+M<letter><param>, +Mu<param>)
	// and +Mea presets, in command-line order.
	events []flagEvent

	// Global settings, last one wins. Numbers are kept as written (KiB,
	// MiB, counts) and converted by Util, Mseg and Sys.
	ycs, mmc               flagOptU64 // +Muycs (KiB), +Mummc
	sac                    flagOptBool
	amcbf, rmcbf, mcs, scs flagOptU64 // +MMamcbf (KiB), +MMrmcbf, +MMmcs, +MMscs (MiB)
	sco, scrpm             flagOptBool
	scrfsd                 flagOptU64
	iscs                   flagOptU64 // +MIscs (MiB)
	ytt, ytp               flagOptU64 // +MYtt, +MYtp (KiB, after the runtime's int cast)
	ym                     flagOptStr // +MYm (ignored by the runtime)
	ye                     flagOptBool
	lpm                    flagOptBool // +Mlpm all = true
	dai                    flagOptI64  // +Mdai, -1 = max
	// Other holds the tokens of a vm.args file that are not +M flags
	// (e.g. "+S", "2", "-name", "x"), verbatim and in order, so a caller can
	// pick out +S. ParseFlags never fills it (it refuses such tokens).
	Other []string
}

// flagEvent is one per-allocator setting or preset.
type flagEvent struct {
	target byte   // allocator letter ('B', 'Z', ...), 'u' for +Mu, 'e' for +Mea
	param  string // canonical parameter name ("sbct", "as", ...); "ea" for +Mea
	n      uint64 // number as written: KiB, percent or count
	b      bool   // booleans
	de     bool   // acul/acful "de"
	s      string // strategy name (as), preset name (ea)
	cp     byte   // cp letter, '@' or ':'
}

// isResetPreset reports an +Mea r9c/r10b/r11b event.
func (ev flagEvent) isResetPreset() bool {
	return ev.target == 'e' && (ev.s == "r9c" || ev.s == "r10b" || ev.s == "r11b")
}

type flagOptU64 struct {
	v   uint64
	set bool
}

type flagOptI64 struct {
	v   int64
	set bool
}

type flagOptBool struct {
	v   bool
	set bool
}

type flagOptStr struct {
	v   string
	set bool
}

// FlagError is a flag the runtime refuses. Rule says why in words; Runtime
// is the first line OTP 25.2.3 prints before exiting with status 1
// (erlexec's "Missing argument(s) for ..." or beam's `bad "MBsbct" value:
// x`, then the usage text), empty for ParseFlags' own refusals (see
// ParseFlags).
type FlagError struct {
	Flag    string // the flag as written, up to its parameter: "+MBsbct"
	Value   string // the value, if any
	Rule    string // e.g. "expected a size in KiB"
	Runtime string // the runtime's own message
	File    string // set by ParseVMArgs
	Line    int    // set by ParseVMArgs (1-based)
}

func (e *FlagError) Error() string {
	var b strings.Builder
	if e.File != "" {
		fmt.Fprintf(&b, "%s:%d: ", e.File, e.Line)
	}
	b.WriteString(e.Flag)
	if e.Value != "" {
		b.WriteByte(' ')
		b.WriteString(e.Value)
	}
	b.WriteString(": ")
	b.WriteString(e.Rule)
	return b.String()
}

// Unit limits of the value parsers in erl_alloc.c (64-bit).
const (
	// flagMaxKiB is get_kb_value's limit: (2^64-1)/1024 + 1 = 2^54 KiB. A
	// KiB value equal to it means infinite (all ones), above it is refused
	// (§2.1; verified on erl: +MBsbct 18014398509481984 shows
	// 18446744073709551615, one more is "bad value").
	flagMaxKiB = 1 << 54
	// flagMaxMiB is get_mb_value's limit, 2^44 MiB, with the same rule.
	flagMaxMiB = 1 << 44
	// flagMaxSysKiB is +MYtt/+MYtp's limit INT_MAX/1024: the value is cast to
	// a C int first, then checked, then multiplied by 1024 (verified on erl:
	// +MYtt 4294967396 is accepted as 100 KiB).
	flagMaxSysKiB = math.MaxInt32 / 1024
	// flagPresetLMBCS is the lmbcs the r9c/r10b/r11b presets give (§1.5).
	flagPresetLMBCS = 5 << 20
)

// The allocators a +Mu<param> and +Mea min/max apply to, in the runtime's
// order (handle_args' aui[]: binary, std, ets, eheap, ll, driver, fix, sl).
// temp_alloc, literal_alloc and test_alloc are never touched (§2.1).
var flagUTypes = [...]Type{Binary, STD, ETS, EHeap, LL, Driver, Fix, SL}

func flagIsUType(t Type) bool {
	for _, u := range flagUTypes {
		if u == t {
			return true
		}
	}
	return false
}

// flagTypeOf maps an allocator letter of +M<letter> to its Type.
func flagTypeOf(letter byte) (Type, bool) {
	for t := Temp; t <= Test; t++ {
		if t.Letter() == letter {
			return t, true
		}
	}
	return 0, false
}

// Per-type permissions (set_default_*_opts): temp_alloc and literal_alloc
// cannot be disabled and do not migrate carriers (their ac* and cp flags are
// refused: "+MIacul 50" → bad "MI" parameter, §1.3, verified); literal_alloc
// cannot be thread specific ("+MIt true" → bad value, "+MIt false" accepted,
// verified).
func flagDisableAllowed(t Type) bool   { return t != Temp && t != Literal }
func flagThrSpecAllowed(t Type) bool   { return t != Literal }
func flagMigrationAllowed(t Type) bool { return t != Temp && t != Literal }

// flagAculDe is "acul de": ERTS_ALC_DEFAULT_ENABLED_ACUL*, 45 for eheap, 85
// for ll, 60 otherwise; "acful de" is 20 less (§2.1; verified on erl: 40 for
// binary, 25 for eheap, 65 for ll).
func flagAculDe(t Type) uint64 {
	switch t {
	case EHeap:
		return 45
	case LL:
		return 85
	}
	return 60
}

// auParams are handle_au_arg's parameters in the order it tries them as
// prefixes ("asbcst" before "as"; anything after "e" or "t" is their value).
var flagAUParams = [...]string{
	"acul", "acnl", "acfml", "acful", "asbcst", "as", "atags", "cp", "e",
	"lmbcs", "mbcgs", "mbsd", "mmbcs", "mmmbc", "mmsbc",
	"rsbcmt", "rsbcst", "rmbcmt", "ramv", "sbct", "smbcs", "t",
}

// flagExactAU and flagExactOther are erlexec's lists (OTP 25.2.3 binary):
// tokens equal to "+M" + letter + one of flagExactAU, or "+M" + one of
// flagExactOther, take the next token as their value.
var flagExactAU = map[string]bool{
	"as": true, "asbcst": true, "atags": true, "acul": true, "acnl": true,
	"acfml": true, "acful": true, "cp": true, "e": true, "t": true,
	"lmbcs": true, "mbcgs": true, "mbsd": true, "mmbcs": true, "mmmbc": true,
	"mmsbc": true, "msbclt": true, "ramv": true, "rmbcmt": true,
	"rsbcmt": true, "rsbcst": true, "sbct": true, "smbcs": true,
}

const flagExactAULetters = "uBIDEFHLRSTZ"

var flagExactOther = map[string]bool{
	"ea": true, "ummc": true, "uycs": true, "usac": true, "im": true,
	"is": true, "lpm": true, "Mamcbf": true, "Mrmcbf": true, "Mmcs": true,
	"Mscs": true, "Mscrfsd": true, "Msco": true, "Mscrpm": true, "Ye": true,
	"Ym": true, "Ytp": true, "Ytt": true, "Iscs": true, "Xscs": true,
	"dai": true,
}

func flagIsExact(tok string) bool {
	// tok starts with "+M".
	rest := tok[2:]
	if flagExactOther[rest] {
		return true
	}
	return len(rest) >= 1 && strings.IndexByte(flagExactAULetters, rest[0]) >= 0 &&
		flagExactAU[rest[1:]]
}

// Strategy names accepted by "as" (handle_au_arg); chaosff only for
// test_alloc.
const flagStrategyList = "bf, aobf, aoff, aoffcbf, aoffcaobf, ageffcaoff, ageffcbf, ageffcaobf, gf or af"

// ParseFlags parses a string like
// "+MBas aobf +MBacul 0 +MMscs 16384 +Musac false +MZsbct 256".
//
// Tokens are separated by blanks (space, tab, newline, CR, VT, FF). Each flag
// is "+M<letter><param>" followed by its value as the next token, or with
// the value glued to it ("+MBsbct256"): erl accepts both, as the package
// comment explains, and so does ParseFlags. Every flag is checked the way
// OTP 25.2.3 checks it; the first refused one is returned as a *FlagError.
//
// Two refusals are ParseFlags' own, reported as a *FlagError with an empty
// Runtime message: a token that is not a +M flag (erl would pass it on as an
// argument for init; use ParseVMArgs for full command lines), and
// "+Mea r9c|r10b|r11b" unless fix_alloc is disabled afterwards — erl accepts
// the preset, but it resets fix_alloc with driver_alloc's defaults and
// OTP 25.2.3 then dies of a segmentation fault at start-up, printing nothing
// (verified: "+Mea r11b" exits with signal 11, "+Mea r11b +MFe false"
// starts).
func ParseFlags(s string) (*Flags, error) {
	p := flagParser{f: &Flags{}, presetAt: -1}
	toks := strings.FieldsFunc(s, flagIsBlank)
	for i := 0; i < len(toks); {
		next, err := p.token(toks, i)
		if err != nil {
			return nil, err
		}
		i = next
	}
	if err := p.check(); err != nil {
		return nil, err
	}
	return p.f, nil
}

func flagIsBlank(r rune) bool {
	switch r {
	case ' ', '\t', '\n', '\r', '\v', '\f':
		return true
	}
	return false
}

// flagParser parses one token stream into f.
type flagParser struct {
	f        *Flags
	lines    []int // token lines (ParseVMArgs), nil for ParseFlags
	file     string
	presetAt int // token index of the last r9c/r10b/r11b preset, -1 if none
}

func (p *flagParser) errAt(i int, e *FlagError) *FlagError {
	if p.lines != nil && i >= 0 && i < len(p.lines) {
		e.File, e.Line = p.file, p.lines[i]
	}
	return e
}

// token parses the +M flag at toks[i] and returns the index of the token
// after it (and its value).
func (p *flagParser) token(toks []string, i int) (int, error) {
	tok := toks[i]
	if !strings.HasPrefix(tok, "+M") {
		return 0, p.errAt(i, &FlagError{Flag: tok, Rule: "not a +M flag"})
	}
	next := i + 1
	var value string
	glued := true
	if flagIsExact(tok) {
		if next >= len(toks) {
			return 0, p.errAt(i, &FlagError{Flag: tok, Rule: "missing value",
				Runtime: "Missing argument(s) for '" + tok + "'."})
		}
		value = toks[next]
		next++
		glued = false
	}
	// peek is the token shown as "the value" when a flag that takes no
	// value from the next token is refused as unknown.
	peek := value
	if glued && next < len(toks) && !strings.HasPrefix(toks[next], "+") && !strings.HasPrefix(toks[next], "-") {
		peek = toks[next]
	}
	before := len(p.f.events)
	if err := p.flag(tok, value, glued, peek); err != nil {
		return 0, p.errAt(i, err)
	}
	if n := len(p.f.events); n > before && p.f.events[n-1].isResetPreset() {
		p.presetAt = i
	}
	return next, nil
}

// flag handles one +M flag. value is the next token when erlexec passes one
// (glued = false); otherwise the value, if any, is glued to the flag.
func (p *flagParser) flag(tok, value string, glued bool, peek string) *FlagError {
	body := tok[2:] // after "+M"
	if body == "" {
		return &FlagError{Flag: tok, Rule: "missing allocator letter", Runtime: flagBadParam("M")}
	}
	letter := body[0]
	rest := body[1:]
	// take splits "rest" into the parameter prefix name and its value.
	take := func(name string) (string, string) {
		if glued {
			return "+M" + string(letter) + name, rest[len(name):]
		}
		return tok, value
	}
	switch letter {
	case 'e':
		if !strings.HasPrefix(rest, "a") {
			return &FlagError{Flag: tok, Value: peek, Rule: "unknown parameter " + rest + " (expected +Mea)", Runtime: flagBadParam("M")}
		}
		fl, v := take("a")
		switch v {
		case "min", "max", "config", "r9c", "r10b", "r11b":
		default:
			return &FlagError{Flag: fl, Value: v, Rule: "unknown preset (expected min, max, config, r9c, r10b or r11b)", Runtime: flagBadParam("Mea")}
		}
		p.f.events = append(p.f.events, flagEvent{target: 'e', param: "ea", s: v})
		return nil
	case 'l':
		if !strings.HasPrefix(rest, "pm") {
			return &FlagError{Flag: tok, Value: peek, Rule: "unknown parameter " + rest + " (expected +Mlpm)", Runtime: flagBadParam("Ml")}
		}
		fl, v := take("pm")
		switch v {
		case "all":
			p.f.lpm = flagOptBool{true, true}
		case "no":
			p.f.lpm = flagOptBool{false, true}
		default:
			return &FlagError{Flag: fl, Value: v, Rule: "expected all or no", Runtime: flagBadValue("Mlpm", v)}
		}
		return nil
	case 'd':
		if !strings.HasPrefix(rest, "ai") {
			return &FlagError{Flag: tok, Value: peek, Rule: "unknown parameter " + rest + " (expected +Mdai)", Runtime: flagBadParam("Md")}
		}
		fl, v := take("ai")
		if v == "max" {
			p.f.dai = flagOptI64{-1, true}
			return nil
		}
		n, ok := flagStrtol(v)
		if !ok || n < 0 {
			return &FlagError{Flag: fl, Value: v, Rule: "expected max or a non-negative integer", Runtime: flagBadValue("Mdai", v)}
		}
		// Stored in a C int: a value that turns negative means max
		// (verified: +Mdai 2147483649 gives as many instances as max,
		// +Mdai 4294967297 gives 1).
		d := int64(int32(n))
		if d < 0 {
			d = -1
		}
		p.f.dai = flagOptI64{d, true}
		return nil
	case 'M':
		return p.mseg(tok, rest, value, glued, peek)
	case 'Y':
		return p.sys(tok, rest, value, glued, peek)
	case 'u':
		for _, g := range [...]string{"ycs", "mmc", "sac"} {
			if strings.HasPrefix(rest, g) {
				fl, v := take(g)
				switch g {
				case "ycs":
					n, err := flagKiB(fl, v)
					if err != nil {
						return err
					}
					p.f.ycs = flagOptU64{n, true}
				case "mmc":
					n, err := flagAmount(fl, v)
					if err != nil {
						return err
					}
					p.f.mmc = flagOptU64{n, true}
				case "sac":
					b, err := flagBool(fl, v)
					if err != nil {
						return err
					}
					p.f.sac = flagOptBool{b, true}
				}
				return nil
			}
		}
		// +Mu<param>: handle_au_arg for each of flagUTypes with u_switch
		// set. Every one of them may be disabled, be thread preferred and
		// migrate carriers, so the checks are those of binary_alloc.
		return p.au('u', Binary, tok, rest, value, glued, peek)
	case 'I':
		if strings.HasPrefix(rest, "scs") {
			fl, v := take("scs")
			n, err := flagMiB(fl, v)
			if err != nil {
				return err
			}
			p.f.iscs = flagOptU64{n, true}
			return nil
		}
	}
	t, ok := flagTypeOf(letter)
	if !ok {
		return &FlagError{Flag: tok, Value: valueIfExact(value, glued), Rule: "unknown allocator letter " + flagFirstRune(body), Runtime: flagBadParam("M")}
	}
	return p.au(letter, t, tok, rest, value, glued, peek)
}

// flagFirstRune is the first character of s, for messages.
func flagFirstRune(s string) string {
	_, n := utf8.DecodeRuneInString(s)
	return s[:n]
}

func valueIfExact(value string, glued bool) string {
	if glued {
		return ""
	}
	return value
}

// au handles handle_au_arg's parameters for allocator type t (target is the
// flag letter, 'u' for +Mu).
func (p *flagParser) au(target byte, t Type, tok, rest, value string, glued bool, peek string) *FlagError {
	name := ""
	for _, a := range flagAUParams {
		if strings.HasPrefix(rest, a) {
			name = a
			break
		}
	}
	prefix := "M" + string(target)
	who := t.String()
	if target == 'u' {
		who = "+Mu"
	}
	if name == "" {
		rule := "unknown parameter " + rest + " for " + who
		if rest == "" {
			rule = "missing parameter for " + who
		}
		return &FlagError{Flag: tok, Value: peek, Rule: rule, Runtime: flagBadParam(prefix)}
	}
	fl, v := tok, value
	if glued {
		fl, v = "+"+prefix+name, rest[len(name):]
	}
	uSwitch := target == 'u'
	if (strings.HasPrefix(name, "ac") || name == "cp") && !flagMigrationAllowed(t) && !uSwitch {
		// Refused before the value is looked at (§1.3).
		return &FlagError{Flag: fl, Value: v, Rule: "parameter " + name + " is not allowed for " + who + " (no carrier migration)", Runtime: flagBadParam(prefix)}
	}
	ev := flagEvent{target: target, param: name}
	// beam's name for the parameter in "bad ... value" messages.
	bad := prefix + name
	var err *FlagError
	switch name {
	case "as":
		bad = prefix + "a"
		if _, ok := strategies.ParseKind(v); !ok && (v != "chaosff" || t != Test) {
			return &FlagError{Flag: fl, Value: v, Rule: "unknown strategy (expected " + flagStrategyList + ")", Runtime: flagBadValue(bad, v)}
		}
		ev.s = v
	case "e", "t", "atags", "ramv":
		ev.b, err = flagBoolNamed(fl, v, bad)
		if err != nil {
			return err
		}
		if name == "e" && !ev.b && !flagDisableAllowed(t) && !uSwitch {
			return &FlagError{Flag: fl, Value: v, Rule: who + " cannot be disabled", Runtime: flagBadValue(bad, "false")}
		}
		if name == "t" && ev.b && !flagThrSpecAllowed(t) && !uSwitch {
			return &FlagError{Flag: fl, Value: v, Rule: who + " cannot have thread-specific instances", Runtime: flagBadValue(bad, "true")}
		}
	case "acul", "acful":
		if v == "de" {
			ev.de = true
			break
		}
		n, ok := flagStrtol(v)
		if !ok || n < 0 || n > 100 {
			return &FlagError{Flag: fl, Value: v, Rule: "expected a percentage 0..100 or de", Runtime: flagBadValue(bad, v)}
		}
		ev.n = uint64(n)
	case "cp":
		if len(v) != 1 || strings.IndexByte("BDEFHLRS@:", v[0]) < 0 {
			return &FlagError{Flag: fl, Value: v, Rule: "expected a carrier pool: one of B D E F H L R S @ :", Runtime: flagBadValue(bad, v)}
		}
		ev.cp = v[0]
	case "asbcst", "sbct", "mmbcs", "lmbcs", "smbcs":
		ev.n, err = flagKiBNamed(fl, v, bad)
	default: // acnl acfml mbcgs mbsd mmmbc mmsbc rsbcmt rsbcst rmbcmt
		ev.n, err = flagAmountNamed(fl, v, bad)
	}
	if err != nil {
		return err
	}
	p.f.events = append(p.f.events, ev)
	return nil
}

// mseg handles +MM<param> (mseg_alloc and the default mmapper, §2.5).
func (p *flagParser) mseg(tok, rest, value string, glued bool, peek string) *FlagError {
	for _, g := range [...]string{"amcbf", "rmcbf", "mcs", "scs", "sco", "scrpm", "scrfsd"} {
		if !strings.HasPrefix(rest, g) {
			continue
		}
		fl, v := tok, value
		if glued {
			fl, v = "+MM"+g, rest[len(g):]
		}
		var err *FlagError
		var n uint64
		var b bool
		switch g {
		case "amcbf":
			n, err = flagKiB(fl, v)
			p.f.amcbf = flagOptU64{n, true}
		case "rmcbf":
			n, err = flagAmount(fl, v)
			p.f.rmcbf = flagOptU64{n, true}
		case "mcs":
			n, err = flagAmount(fl, v)
			p.f.mcs = flagOptU64{n, true}
		case "scs":
			n, err = flagMiB(fl, v)
			p.f.scs = flagOptU64{n, true}
		case "sco":
			b, err = flagBool(fl, v)
			p.f.sco = flagOptBool{b, true}
		case "scrpm":
			b, err = flagBool(fl, v)
			p.f.scrpm = flagOptBool{b, true}
		case "scrfsd":
			n, err = flagAmount(fl, v)
			p.f.scrfsd = flagOptU64{n, true}
		}
		return err
	}
	return &FlagError{Flag: tok, Value: peek, Rule: "unknown mseg_alloc parameter " + rest, Runtime: flagBadParam("MM")}
}

// sys handles +MY<param> (sys_alloc, §1.1): tt and tp in KiB (C int),
// m (the malloc library: any value, it is erlexec's business), e (only
// true: sys_alloc cannot be disabled).
func (p *flagParser) sys(tok, rest, value string, glued bool, peek string) *FlagError {
	for _, g := range [...]string{"tt", "tp", "m", "e"} {
		if !strings.HasPrefix(rest, g) {
			continue
		}
		fl, v := tok, value
		if glued {
			fl, v = "+MY"+g, rest[len(g):]
		}
		switch g {
		case "tt", "tp":
			n, ok := flagStrtol(v)
			// (int) strtol(...), then 0 <= x <= INT_MAX/1024.
			x := int32(n)
			if !ok || x < 0 || x > flagMaxSysKiB {
				return &FlagError{Flag: fl, Value: v, Rule: "expected a size in KiB (0..2097151)", Runtime: flagBadValue("MY"+g, v)}
			}
			o := flagOptU64{uint64(x), true}
			if g == "tt" {
				p.f.ytt = o
			} else {
				p.f.ytp = o
			}
		case "m":
			p.f.ym = flagOptStr{v, true}
		case "e":
			if v != "true" {
				return &FlagError{Flag: fl, Value: v, Rule: "sys_alloc cannot be disabled (expected true)", Runtime: flagBadValue("MYe", v)}
			}
			p.f.ye = flagOptBool{true, true}
		}
		return nil
	}
	return &FlagError{Flag: tok, Value: peek, Rule: "unknown sys_alloc parameter " + rest, Runtime: flagBadParam("MY")}
}

// check refuses an r9c/r10b/r11b preset that leaves fix_alloc enabled: the
// preset calls set_default_driver_alloc_opts on fix_alloc, which loses its
// fixed-size types, and OTP 25.2.3 then crashes at start-up.
func (p *flagParser) check() error {
	if err := p.f.Check(); err != nil {
		fe := err.(*FlagError)
		if p.presetAt >= 0 {
			return p.errAt(p.presetAt, fe)
		}
		return fe
	}
	return nil
}

// Check reports the one flag combination that the runtime parses but cannot
// start with: an +Mea r9c/r10b/r11b preset after which fix_alloc is still
// enabled (see ParseFlags). ParseFlags and ParseVMArgs call it; call it again
// after Merge.
func (f *Flags) Check() error {
	if f == nil {
		return nil
	}
	clobbered, enabled := false, true
	preset := ""
	for _, ev := range f.events {
		switch {
		case ev.target == 'e':
			switch ev.s {
			case "r9c", "r10b", "r11b":
				clobbered, enabled, preset = true, true, ev.s
			case "min":
				enabled = false
			case "max":
				enabled = true
			}
		case ev.param == "e" && (ev.target == 'F' || ev.target == 'u'):
			enabled = ev.b
		}
	}
	if clobbered && enabled {
		return &FlagError{Flag: "+Mea", Value: preset,
			Rule: "OTP 25.2.3 crashes at start-up (segmentation fault) after this preset unless fix_alloc is disabled afterwards (+MFe false)"}
	}
	return nil
}

func flagBadParam(p string) string { return `bad "` + p + `" parameter` }

func flagBadValue(p, v string) string { return `bad "` + p + `" value: ` + v }

// flagStrtol is C strtol(s, &end, 10) on LP64 as ErtsStrToSint uses it:
// leading blanks and one sign are skipped, digits are read, whatever follows
// is ignored. ok is false when there are no digits (end == s) or the value
// overflows (errno == ERANGE).
func flagStrtol(s string) (int64, bool) {
	i := 0
	for i < len(s) && (s[i] == ' ' || (s[i] >= '\t' && s[i] <= '\r')) {
		i++
	}
	neg := false
	if i < len(s) && (s[i] == '+' || s[i] == '-') {
		neg = s[i] == '-'
		i++
	}
	start := i
	var u uint64
	over := false
	for i < len(s) && s[i] >= '0' && s[i] <= '9' {
		d := uint64(s[i] - '0')
		if u > (math.MaxUint64-d)/10 {
			over = true
		} else {
			u = u*10 + d
		}
		i++
	}
	if i == start || over {
		return 0, false
	}
	if neg {
		if u > 1<<63 {
			return 0, false
		}
		return -int64(u), true // -(1<<63) wraps to itself, as it should
	}
	if u > math.MaxInt64 {
		return 0, false
	}
	return int64(u), true
}

// flagKiB is get_kb_value: a KiB count 0..2^54, returned as written.
func flagKiB(fl, v string) (uint64, *FlagError) {
	return flagKiBNamed(fl, v, fl[1:])
}

func flagKiBNamed(fl, v, bad string) (uint64, *FlagError) {
	n, ok := flagStrtol(v)
	if !ok || n < 0 || n > flagMaxKiB {
		return 0, &FlagError{Flag: fl, Value: v, Rule: "expected a size in KiB (0..18014398509481984)", Runtime: flagBadValue(bad, v)}
	}
	return uint64(n), nil
}

// flagMiB is get_mb_value: a MiB count 0..2^44, returned as written.
func flagMiB(fl, v string) (uint64, *FlagError) {
	n, ok := flagStrtol(v)
	if !ok || n < 0 || n > flagMaxMiB {
		return 0, &FlagError{Flag: fl, Value: v, Rule: "expected a size in MiB (0..17592186044416)", Runtime: flagBadValue(fl[1:], v)}
	}
	return uint64(n), nil
}

// flagAmount is get_amount_value: any non-negative C long.
func flagAmount(fl, v string) (uint64, *FlagError) {
	return flagAmountNamed(fl, v, fl[1:])
}

func flagAmountNamed(fl, v, bad string) (uint64, *FlagError) {
	n, ok := flagStrtol(v)
	if !ok || n < 0 {
		return 0, &FlagError{Flag: fl, Value: v, Rule: "expected a non-negative integer", Runtime: flagBadValue(bad, v)}
	}
	return uint64(n), nil
}

// flagBool is get_bool_value: exactly "true" or "false".
func flagBool(fl, v string) (bool, *FlagError) {
	return flagBoolNamed(fl, v, fl[1:])
}

func flagBoolNamed(fl, v, bad string) (bool, *FlagError) {
	switch v {
	case "true":
		return true, nil
	case "false":
		return false, nil
	}
	return false, &FlagError{Flag: fl, Value: v, Rule: "expected true or false", Runtime: flagBadValue(bad, v)}
}

// flagKiBToBytes converts a KiB count: 2^54 KiB is infinite (all ones,
// §2.1, §9.12).
func flagKiBToBytes(n uint64) uint64 {
	if n >= flagMaxKiB {
		return Infinite
	}
	return n << 10
}

// flagMiBToBytes converts a MiB count: 2^44 MiB is infinite.
func flagMiBToBytes(n uint64) uint64 {
	if n >= flagMaxMiB {
		return Infinite
	}
	return n << 20
}

// Merge appends later's flags after f's, as if later's flags came after f's
// on one command line: for every parameter the later setting wins (command
// line over trace @ flags), and order-dependent effects replay in that order.
// Call Check afterwards: a merge can re-enable fix_alloc after a preset.
func (f *Flags) Merge(later *Flags) {
	if later == nil {
		return
	}
	f.events = append(f.events, later.events...)
	mergeU := func(a *flagOptU64, b flagOptU64) {
		if b.set {
			*a = b
		}
	}
	mergeB := func(a *flagOptBool, b flagOptBool) {
		if b.set {
			*a = b
		}
	}
	mergeU(&f.ycs, later.ycs)
	mergeU(&f.mmc, later.mmc)
	mergeB(&f.sac, later.sac)
	mergeU(&f.amcbf, later.amcbf)
	mergeU(&f.rmcbf, later.rmcbf)
	mergeU(&f.mcs, later.mcs)
	mergeU(&f.scs, later.scs)
	mergeB(&f.sco, later.sco)
	mergeB(&f.scrpm, later.scrpm)
	mergeU(&f.scrfsd, later.scrfsd)
	mergeU(&f.iscs, later.iscs)
	mergeU(&f.ytt, later.ytt)
	mergeU(&f.ytp, later.ytp)
	if later.ym.set {
		f.ym = later.ym
	}
	mergeB(&f.ye, later.ye)
	mergeB(&f.lpm, later.lpm)
	if later.dai.set {
		f.dai = later.dai
	}
	f.Other = append(f.Other, later.Other...)
}

// ApplyTo returns the options of allocator type t before start-up
// adjustments: base (the type's raw defaults, §2.2) with the user's flags
// replayed in command-line order — +Mu<param> for binary, std, ets, eheap,
// ll, driver, fix and sl only (never temp, literal or test), +M<letter><param>
// for t itself, and +Mea presets.
//
// When a type's +Mu and +M<letter> flags set the same parameter the later
// one on the command line wins, as in the runtime (so "+MBsbct 100 +Musbct
// 200" is 200 KiB; verified on erl) — not "+Mu first, then +M<letter>".
//
// Units and clamps, all at parse time in erl_alloc.c (§2.1):
//   - sbct asbcst mmbcs lmbcs smbcs: KiB → bytes; 2^54 KiB = Infinite.
//   - rsbcst rsbcmt rmbcmt: percent, values above 100 become 100 (verified).
//   - acul acful: 0..100 or "de" (flagAculDe; acful de = acul de − 20).
//     acful ≤ acul is NOT applied here: the runtime clamps it at start-up,
//     after parsing (verified: "+MBacful 50 +MBacul 30" shows acful 30; the
//     facts place the clamp in erts_alloc_init's carrier-migration
//     adjustment, §2.3 step 3 — the OTP 25 source was not at hand to pin
//     the line).
//   - mbsd: values below 1 become 1 (verified). mbcgs is kept as given; the
//     runtime uses and shows max(1, mbcgs) (verified: mbcgs 0 shows 1).
//   - mmsbc mmmbc acnl acfml: counts/bytes as given.
//   - as: a strategy that cannot migrate (bf aobf gf af) sets acul and acful
//     to 0 when it is parsed, so "+MBacul 50 +MBas bf" ends with acul 0 but
//     "+MBas bf +MBacul 50" keeps 50 — and then start-up switches the
//     strategy to aoffcbf (verified on erl, both). chaosff (test_alloc only)
//     is recorded as ageffcaoff, the name the runtime shows for it.
//   - t false sets acul and acful to 0 (verified); t true sets T.
//   - cp ':' means the type's own pool (its letter).
//   - +Mea min/max: e false/true for the +Mu types. +Mea r9c/r10b/r11b:
//     temp and the +Mu types go back to base (fix_alloc to driver_alloc's
//     defaults: bf, atags, cp R — the runtime's own mix-up), then the +Mu
//     types get t false, acul 0, ramv false, lmbcs 5 MiB; driver_alloc (and
//     for r9c sl, std, binary, ets) are disabled (§1.5). +Mea config is a
//     start-up adjustment and is not applied here (see AllocConfig).
func (f *Flags) ApplyTo(t Type, base Options) Options {
	o := base
	if f == nil || t < Temp || t > Test {
		return o
	}
	letter := t.Letter()
	isU := flagIsUType(t)
	for _, ev := range f.events {
		switch {
		case ev.target == 'e':
			flagApplyPreset(t, base, &o, ev.s)
		case ev.target == letter || (ev.target == 'u' && isU):
			flagApplyAU(t, &o, ev)
		}
	}
	return o
}

func flagApplyPreset(t Type, base Options, o *Options, name string) {
	isU := flagIsUType(t)
	switch name {
	case "min":
		if isU {
			o.E = false
		}
	case "max":
		if isU {
			o.E = true
		}
	case "r9c", "r10b", "r11b":
		if !isU && t != Temp {
			return
		}
		*o = base
		if t == Fix {
			// set_default_driver_alloc_opts(&init->fix_alloc).
			o.AS, o.ATags, o.CP = strategies.BF, true, 'R'
		}
		if isU {
			o.T, o.ACUL, o.RAMV, o.LMBCS = false, 0, false, flagPresetLMBCS
		}
		switch {
		case t == Driver:
			o.E = false
		case name == "r9c" && (t == SL || t == STD || t == Binary || t == ETS):
			o.E = false
		}
	}
}

func flagApplyAU(t Type, o *Options, ev flagEvent) {
	switch ev.param {
	case "e":
		if ev.b || flagDisableAllowed(t) {
			o.E = ev.b
		}
	case "t":
		if !ev.b {
			o.T, o.ACUL, o.ACFUL = false, 0, 0
		} else if flagThrSpecAllowed(t) {
			o.T = true
		}
	case "as":
		k, ok := strategies.ParseKind(ev.s)
		if !ok { // chaosff
			k = strategies.AGEFFCAOFF
		}
		o.AS = k
		if !k.Migrates() {
			o.ACUL, o.ACFUL = 0, 0
		}
	case "atags":
		o.ATags = ev.b
	case "ramv":
		o.RAMV = ev.b
	case "acul", "acful", "acnl", "acfml", "cp":
		if !flagMigrationAllowed(t) {
			return
		}
		switch ev.param {
		case "acul":
			o.ACUL = ev.n
			if ev.de {
				o.ACUL = flagAculDe(t)
			}
		case "acful":
			o.ACFUL = ev.n
			if ev.de {
				o.ACFUL = flagAculDe(t) - 20
			}
		case "acnl":
			o.ACNL = ev.n
		case "acfml":
			o.ACFML = ev.n
		case "cp":
			o.CP = ev.cp
			if ev.cp == ':' {
				o.CP = t.Letter()
			}
		}
	case "sbct":
		o.SBCT = flagKiBToBytes(ev.n)
	case "asbcst":
		o.ASBCST = flagKiBToBytes(ev.n)
	case "mmbcs":
		o.MMBCS = flagKiBToBytes(ev.n)
	case "lmbcs":
		o.LMBCS = flagKiBToBytes(ev.n)
	case "smbcs":
		o.SMBCS = flagKiBToBytes(ev.n)
	case "rsbcst":
		o.RSBCST = min(ev.n, 100)
	case "rsbcmt":
		o.RSBCMT = min(ev.n, 100)
	case "rmbcmt":
		o.RMBCMT = min(ev.n, 100)
	case "mbcgs":
		o.MBCGS = ev.n
	case "mbsd":
		o.MBSD = max(ev.n, 1)
	case "mmsbc":
		o.MMSBC = ev.n
	case "mmmbc":
		o.MMMBC = ev.n
	}
}

// IsSet reports whether the user set param (a canonical name such as
// "mmbcs") for type t, directly or through +Mu, with no later +Mea
// r9c/r10b/r11b resetting it. For mmbcs, lmbcs and smbcs this is exactly the
// runtime's "default_" bookkeeping that decides the per-scheduler division at
// start-up (§2.3 step 5). Side effects do not count: "t false" does not set
// acul.
func (f *Flags) IsSet(t Type, param string) bool {
	if f == nil || t < Temp || t > Test {
		return false
	}
	letter := t.Letter()
	isU := flagIsUType(t)
	set := false
	for _, ev := range f.events {
		switch {
		case ev.target == 'e':
			if (isU || t == Temp) && (ev.s == "r9c" || ev.s == "r10b" || ev.s == "r11b") {
				set = false
			}
		case ev.param == param && (ev.target == letter || (ev.target == 'u' && isU)):
			set = true
		}
	}
	return set
}

// AllocConfig reports +Mea config: at start-up every allocator loses its
// thread-specific/preferred instances and carrier migration (§1.5; verified:
// binary_alloc then shows t false, acul 0, mmbcs 131072).
func (f *Flags) AllocConfig() bool {
	if f == nil {
		return false
	}
	for _, ev := range f.events {
		if ev.target == 'e' && ev.s == "config" {
			return true
		}
	}
	return false
}

// EA returns the +Mea values in command-line order.
func (f *Flags) EA() []string {
	if f == nil {
		return nil
	}
	var r []string
	for _, ev := range f.events {
		if ev.target == 'e' {
			r = append(r, ev.s)
		}
	}
	return r
}

// Util returns base with +Muycs, +Mummc and +Musac applied (§2.5):
//   - ycs: KiB → bytes, rounded up to 16 KiB as alloc_util's start rounds it
//     (verified: 100 → 114688, 17 → 32768, 0 → 0; the infinite 2^54 KiB
//     wraps around to 0 in the runtime, and here).
//   - mmc: a count; sac: a boolean.
func (f *Flags) Util(base UtilOptions) UtilOptions {
	if f == nil {
		return base
	}
	if f.ycs.set {
		b := flagKiBToBytes(f.ycs.v)
		base.YCS = (b + (16<<10 - 1)) &^ (16<<10 - 1)
	}
	if f.mmc.set {
		base.MMC = f.mmc.v
	}
	if f.sac.set {
		base.SAC = f.sac.v
	}
	return base
}

// MsegFlags are the mseg_alloc and memory-mapper options (+MM..., +MIscs,
// §2.5) in bytes, counts and booleans, each with whether the user set it.
type MsegFlags struct {
	// AMCBF: absolute max cache bad fit, bytes (+MMamcbf KiB), default
	// 4096 KiB; 2^54 KiB = Infinite.
	AMCBF    uint64
	AMCBFSet bool
	// RMCBF: relative max cache bad fit, percent, default 20. Not clamped
	// (verified: 150 shows 150).
	RMCBF    uint64
	RMCBFSet bool
	// MCS: max cached segments per mseg instance, default 10; values above
	// 30 become 30 (verified: 50 shows 30).
	MCS    uint64
	MCSSet bool
	// SCS: default mapper super carrier size, bytes (+MMscs MiB), default 0
	// (off). The runtime shows it less the free-segment descriptor area
	// (verified: +MMscs 64 shows 62914560 with the default 65536
	// descriptors of 64 bytes).
	SCS    uint64
	SCSSet bool
	// SCO: super-carrier only, default true.
	SCO    bool
	SCOSet bool
	// SCRPM: reserve physical memory for the super carrier, default true.
	SCRPM    bool
	SCRPMSet bool
	// SCRFSD: reserved free segment descriptors, default 65536, minimum
	// 100 (§2.5). The runtime shows it rounded up so that the descriptors
	// fill whole 16 KiB units (a multiple of 256: verified 50 → 256,
	// 257 → 512, 70000 → 70144).
	SCRFSD    uint64
	SCRFSDSet bool
	// LiteralSCS: literal_alloc's super carrier, bytes (+MIscs MiB),
	// default 1024 MiB.
	LiteralSCS    uint64
	LiteralSCSSet bool
}

// Defaults of MsegFlags (ERTS_MSEG_INIT_DEFAULT_INITIALIZER, §2.5, §11).
const (
	flagDefaultAMCBF      = 4096 << 10
	flagDefaultRMCBF      = 20
	flagDefaultMCS        = 10
	flagMaxMCS            = 30
	flagDefaultSCRFSD     = 65536
	flagMinSCRFSD         = 100
	flagDefaultLiteralSCS = 1024 << 20
)

// Mseg returns the mseg_alloc and mapper options, defaults where not set.
func (f *Flags) Mseg() MsegFlags {
	m := MsegFlags{AMCBF: flagDefaultAMCBF, RMCBF: flagDefaultRMCBF, MCS: flagDefaultMCS,
		SCO: true, SCRPM: true, SCRFSD: flagDefaultSCRFSD, LiteralSCS: flagDefaultLiteralSCS}
	if f == nil {
		return m
	}
	if f.amcbf.set {
		m.AMCBF, m.AMCBFSet = flagKiBToBytes(f.amcbf.v), true
	}
	if f.rmcbf.set {
		m.RMCBF, m.RMCBFSet = f.rmcbf.v, true
	}
	if f.mcs.set {
		m.MCS, m.MCSSet = min(f.mcs.v, flagMaxMCS), true
	}
	if f.scs.set {
		m.SCS, m.SCSSet = flagMiBToBytes(f.scs.v), true
	}
	if f.sco.set {
		m.SCO, m.SCOSet = f.sco.v, true
	}
	if f.scrpm.set {
		m.SCRPM, m.SCRPMSet = f.scrpm.v, true
	}
	if f.scrfsd.set {
		m.SCRFSD, m.SCRFSDSet = max(f.scrfsd.v, flagMinSCRFSD), true
	}
	if f.iscs.set {
		m.LiteralSCS, m.LiteralSCSSet = flagMiBToBytes(f.iscs.v), true
	}
	return m
}

// SysFlags are sys_alloc's options as {allocator, sys_alloc} shows them:
// {e,true},{m,libc},{tt,131072},{tp,0} by default (§1.1).
type SysFlags struct {
	E  bool   // always true: +MYe accepts only true
	M  string // +MYm, the malloc library; the runtime shows libc whatever is given (verified)
	TT uint64 // glibc trim threshold, bytes (+MYtt KiB)
	TP uint64 // glibc top pad, bytes (+MYtp KiB)

	MSet, TTSet, TPSet bool
}

// Sys returns the sys_alloc options, defaults where not set.
func (f *Flags) Sys() SysFlags {
	s := SysFlags{E: true, M: "libc", TT: 128 << 10}
	if f == nil {
		return s
	}
	if f.ym.set {
		s.M, s.MSet = f.ym.v, true
	}
	if f.ytt.set {
		s.TT, s.TTSet = f.ytt.v<<10, true
	}
	if f.ytp.set {
		s.TP, s.TPSet = f.ytp.v<<10, true
	}
	return s
}

// LockPhysicalMemory reports +Mlpm all (default no).
func (f *Flags) LockPhysicalMemory() bool { return f != nil && f.lpm.v }

// DirtyAllocInstances reports +Mdai: n instances, or max (also when the
// value does not fit a C int). The runtime caps it at start-up to the number
// of dirty CPU schedulers (§1.3). Default 0.
func (f *Flags) DirtyAllocInstances() (n int, isMax bool) {
	if f == nil || !f.dai.set {
		return 0, false
	}
	if f.dai.v < 0 {
		return 0, true
	}
	return int(f.dai.v), false
}

// String prints the +M flags back in canonical erl syntax, one
// "+M<letter><param> <value>" pair per setting, blank separated: the
// per-allocator settings and presets in their order, then the global
// settings. ParseFlags(f.String()) gives f back for any f ParseFlags made.
// Other is not printed.
func (f *Flags) String() string {
	if f == nil {
		return ""
	}
	var parts []string
	add := func(flag, v string) { parts = append(parts, flag+" "+v) }
	for _, ev := range f.events {
		if ev.target == 'e' {
			add("+Mea", ev.s)
			continue
		}
		flag := "+M" + string(ev.target) + ev.param
		switch ev.param {
		case "as":
			add(flag, ev.s)
		case "e", "t", "atags", "ramv":
			add(flag, strconv.FormatBool(ev.b))
		case "cp":
			add(flag, string(ev.cp))
		case "acul", "acful":
			if ev.de {
				add(flag, "de")
			} else {
				add(flag, strconv.FormatUint(ev.n, 10))
			}
		default:
			add(flag, strconv.FormatUint(ev.n, 10))
		}
	}
	u := func(flag string, o flagOptU64) {
		if o.set {
			add(flag, strconv.FormatUint(o.v, 10))
		}
	}
	b := func(flag string, o flagOptBool) {
		if o.set {
			add(flag, strconv.FormatBool(o.v))
		}
	}
	u("+Muycs", f.ycs)
	u("+Mummc", f.mmc)
	b("+Musac", f.sac)
	u("+MMamcbf", f.amcbf)
	u("+MMrmcbf", f.rmcbf)
	u("+MMmcs", f.mcs)
	u("+MMscs", f.scs)
	b("+MMsco", f.sco)
	b("+MMscrpm", f.scrpm)
	u("+MMscrfsd", f.scrfsd)
	u("+MIscs", f.iscs)
	u("+MYtt", f.ytt)
	u("+MYtp", f.ytp)
	if f.ym.set {
		// The runtime ignores +MYm's value (it shows libc); a vm.args
		// file can give one that blank-separated flags cannot hold (empty,
		// or with blanks): then the canonical form says libc.
		v := f.ym.v
		if v == "" || strings.ContainsAny(v, " \t\n\r\v\f") {
			v = "libc"
		}
		add("+MYm", v)
	}
	b("+MYe", f.ye)
	if f.lpm.set {
		if f.lpm.v {
			add("+Mlpm", "all")
		} else {
			add("+Mlpm", "no")
		}
	}
	if f.dai.set {
		if f.dai.v < 0 {
			add("+Mdai", "max")
		} else {
			add("+Mdai", strconv.FormatInt(f.dai.v, 10))
		}
	}
	return strings.Join(parts, " ")
}
