package oracle

import (
	"errors"
	"fmt"
	"os"
	"strconv"
	"strings"
	"time"
)

// Report modes (the "M mode" line).
const (
	ModeAbsolute = "absolute" // I lines: values after the replay
	ModeDelta    = "delta"    // D lines: after the replay minus just before it, same node
	ModeDiff     = "diff"     // D lines: RUN minus BASE of two absolute reports (node --diff)
)

// NodeReport is one "alloclab-nodestats 1" report of ../shared/oracle/node
// (its README, "Node mode" and "Report format"), every line kept with its
// meaning. Slices are in report order. "#" lines (timings, notes) vary
// between runs and are kept in Comments only.
type NodeReport struct {
	Meta      NodeMeta
	Options   []NodeOption  // O lines
	Stats     []NodeStat    // I lines (absolute) or D lines (delta, diff)
	Checks    []NodeCheck   // X lines (delta)
	Carriers0 []NodeCarrier // C0 lines: the carriers just before the replay (delta)
	Carriers  []NodeCarrier // C lines: the carriers after the replay
	Comments  []string      // "#" lines, verbatim

	// Set by RunNode only: the oracle's standard error (timings with
	// NodeOpts.Time) and the wall time of the whole run.
	Stderr  string
	Elapsed time.Duration
}

// NodeMeta holds the M lines. A line that is absent leaves its field at the
// zero value; Flags and Types are non-nil when their line is present (even
// when it lists nothing).
type NodeMeta struct {
	Mode          string   // absolute, delta or diff
	OTP, ERTS     string   // "M otp 25 13.1.5"
	Schedulers    int      // +S N
	Boot          string   // one_scheduler or all_schedulers
	Settle        string   // end_only or every_run
	Flags         []string // the emulator flags as passed, one token each ("+S", "2:1", ...)
	Types         []string // the reported allocator types
	HistStart     int      // histogram_start of the C lines' FREEHIST
	HistWidth     int      // number of FREEHIST slots
	StartCarriers string   // hash of the C0 carrier list (the state before the replay)
	StartMmap     string   // hash of the super carrier's state before the replay, "-" without +MMscs
	Live          []NodeLive
	Extra         []NodeMetaLine // M lines of names this parser does not know, kept as they are
}

// NodeLive is "M live TYPE SCHED COUNT": trace blocks of TYPE still live
// after the replay, by the SCHED of their 'a' record.
type NodeLive struct {
	Type  string
	Sched int
	Count int64
	Line  int
}

// NodeMetaLine is an M line of another name: "M NAME FIELDS...".
type NodeMetaLine struct {
	Name   string
	Fields []string
	Line   int
}

// NodeOption is "O TYPE INST OPTION VALUE": one option of an instance as
// the allocator reports it (as, acul, sbct, lmbcs, ...).
type NodeOption struct {
	Type     string
	Instance int
	Name     string
	Value    string
	Line     int
}

// Sections of I/D lines.
const (
	SectionMBCs     = "mbcs"
	SectionSBCs     = "sbcs"
	SectionMBCsPool = "mbcs_pool"
	SectionCalls    = "calls"
)

// NodeStatKey identifies an I or D line: "TYPE INST SECTION PATH", e.g.
// {binary_alloc 1 mbcs "blocks binary_alloc count"},
// {binary_alloc 1 mbcs_pool "fetch"}, {driver_alloc 0 calls "free"}.
type NodeStatKey struct {
	Type     string
	Instance int
	Section  string // mbcs, sbcs, mbcs_pool or calls
	Path     string // "blocks BTYPE count", "blocks BTYPE size", "carriers", "carriers_size", "mseg_alloc_carriers", a pool counter, a call name...
}

func (k NodeStatKey) String() string {
	return k.Type + " " + strconv.Itoa(k.Instance) + " " + k.Section + " " + k.Path
}

// Triple reports whether the key is a CUR/MAX/MAXEVER quantity (mbcs and
// sbcs blocks, carriers and carriers_size): three numbers on I lines, two
// on D lines of a delta report, three on D lines of a diff report. Every
// other key has one number.
func (k NodeStatKey) Triple() bool {
	if k.Section != SectionMBCs && k.Section != SectionSBCs {
		return false
	}
	switch k.Path {
	case "carriers", "carriers_size":
		return true
	}
	return strings.HasPrefix(k.Path, "blocks ")
}

// NodeStat is an I or D line.
//
// Values, for Triple keys: I = CUR, MAX (the maximum since the replay
// started), MAXEVER (since the node started); D in a delta report =
// CUR−CUR0, MAX−CUR0 (how far above its starting value the quantity went
// during the replay); D in a diff report = the three I values of RUN minus
// those of BASE. For every other key a single value (I) or its change (D).
type NodeStat struct {
	Tag string // "I" or "D"
	NodeStatKey
	Values []int64
	Line   int
}

// NodeCheck is "X TYPE live_blocks trace N allocator M ok|MISMATCH": N live
// trace blocks of TYPE, M = change of the allocated blocks summed over all
// instances; OK when they are equal.
type NodeCheck struct {
	Type      string
	Trace     int64
	Allocator int64
	OK        bool
	Line      int
}

// NodeCarrier is a C (after the replay) or C0 (before it) line:
// "C TYPE INST SEQ mbc|sbc INPOOL SIZE UNSCANNED BLOCKS FREEHIST".
type NodeCarrier struct {
	Before    bool // a C0 line
	Type      string
	Instance  int
	Seq       int    // position in the instance's scan order: pooled carriers first, then employed MBCs, then SBCs
	Kind      string // mbc or sbc
	InPool    bool
	Size      int64
	Unscanned int64
	Blocks    []NodeCarrierBlocks // nil for "-"
	FreeHist  []int64             // free-block counts per histogram slot (M hist)
	Line      int
}

// NodeCarrierBlocks is one BTYPE:COUNT:BYTES of a carrier's BLOCKS field.
type NodeCarrierBlocks struct {
	Type  string
	Count int64
	Size  int64
}

// NodeParseError is a malformed report: Line is 1-based.
type NodeParseError struct {
	Line int
	Msg  string
}

func (e *NodeParseError) Error() string {
	return fmt.Sprintf("alloclab-nodestats line %d: %s", e.Line, e.Msg)
}

const nodeHeader = "alloclab-nodestats 1"

// ReadNodeReport parses the report in file path.
func ReadNodeReport(path string) (*NodeReport, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	r, err := ParseNodeReport(b)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return r, nil
}

// ParseNodeReport parses an "alloclab-nodestats 1" report. Every line is
// checked against the format (field counts, numbers, the key paths the
// oracle prints, the number of values per key and mode, carrier sequence
// numbers, histogram width); the first problem is returned as a
// *NodeParseError naming its line. Blank lines are ignored.
func ParseNodeReport(data []byte) (*NodeReport, error) {
	p := nodeParser{
		r:        &NodeReport{},
		stats:    map[string]int{},
		opts:     map[string]int{},
		checks:   map[string]int{},
		live:     map[string]int{},
		meta:     map[string]int{},
		nextSeq:  map[string]int{},
		lastLine: map[string]int{},
	}
	text := string(data)
	lineNo := 0
	for len(text) > 0 || lineNo == 0 {
		var line string
		line, text, _ = strings.Cut(text, "\n")
		lineNo++
		line = strings.TrimSuffix(line, "\r")
		if lineNo == 1 {
			if line != nodeHeader {
				return nil, &NodeParseError{1, fmt.Sprintf("first line is %q, want %q", clip(line), nodeHeader)}
			}
			continue
		}
		if err := p.line(lineNo, line); err != nil {
			return nil, &NodeParseError{lineNo, err.Error()}
		}
	}
	if err := p.finish(); err != nil {
		return nil, err
	}
	return p.r, nil
}

type nodeParser struct {
	r        *NodeReport
	stats    map[string]int // key -> line
	opts     map[string]int
	checks   map[string]int
	live     map[string]int
	meta     map[string]int
	nextSeq  map[string]int // "C TYPE INST" -> next SEQ
	lastLine map[string]int
}

func clip(s string) string {
	if len(s) > 60 {
		return s[:60] + "..."
	}
	return s
}

func (p *nodeParser) line(n int, line string) error {
	if strings.HasPrefix(line, "#") {
		p.r.Comments = append(p.r.Comments, line)
		return nil
	}
	f := strings.Fields(line)
	if len(f) == 0 {
		return nil
	}
	switch f[0] {
	case "M":
		return p.metaLine(n, f)
	case "O":
		return p.optionLine(n, f)
	case "I", "D":
		return p.statLine(n, f)
	case "X":
		return p.checkLine(n, f)
	case "C", "C0":
		return p.carrierLine(n, f)
	}
	return fmt.Errorf("unknown line tag %q", clip(f[0]))
}

// isName: an allocator, option, block type or counter name (an Erlang atom
// as ~w prints it unquoted).
func isName(s string) bool {
	if s == "" || !(s[0] >= 'a' && s[0] <= 'z' || s[0] >= 'A' && s[0] <= 'Z') {
		return false
	}
	for i := 1; i < len(s); i++ {
		c := s[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_' || c == '@') {
			return false
		}
	}
	return true
}

func isInt(s string) bool {
	_, err := strconv.ParseInt(s, 10, 64)
	return err == nil
}

func parseCount(what, s string) (int, error) {
	v, err := strconv.ParseUint(s, 10, 31)
	if err != nil {
		return 0, fmt.Errorf("%s %q is not a small non-negative integer", what, clip(s))
	}
	return int(v), nil
}

func parseInt(what, s string) (int64, error) {
	v, err := strconv.ParseInt(s, 10, 64)
	if err != nil {
		return 0, fmt.Errorf("%s %q is not an integer", what, clip(s))
	}
	return v, nil
}

func parseNonNeg(what, s string) (int64, error) {
	v, err := strconv.ParseUint(s, 10, 63)
	if err != nil {
		return 0, fmt.Errorf("%s %q is not a non-negative integer", what, clip(s))
	}
	return int64(v), nil
}

func parseType(s string) (string, error) {
	if !isName(s) {
		return "", fmt.Errorf("allocator type %q is not a name", clip(s))
	}
	return s, nil
}

func (p *nodeParser) once(n int, key string) error {
	if prev, ok := p.meta[key]; ok {
		return fmt.Errorf("second %q line (first at line %d)", key, prev)
	}
	p.meta[key] = n
	return nil
}

func (p *nodeParser) metaLine(n int, f []string) error {
	if len(f) < 2 {
		return errors.New("M line without a name")
	}
	m := &p.r.Meta
	name, args := f[1], f[2:]
	want := func(k int) error {
		if len(args) != k {
			return fmt.Errorf("M %s: %d fields, want %d", name, len(args), k)
		}
		return nil
	}
	oneOf := func(dst *string, allowed ...string) error {
		if err := want(1); err != nil {
			return err
		}
		for _, a := range allowed {
			if args[0] == a {
				*dst = a
				return nil
			}
		}
		return fmt.Errorf("M %s %q: want one of %s", name, clip(args[0]), strings.Join(allowed, ", "))
	}
	if name == "live" {
		if err := want(3); err != nil {
			return err
		}
		t, err := parseType(args[0])
		if err != nil {
			return err
		}
		s, err := parseCount("scheduler", args[1])
		if err != nil {
			return err
		}
		c, err := parseInt("count", args[2])
		if err != nil {
			return err
		}
		k := t + " " + strconv.Itoa(s)
		if prev, ok := p.live[k]; ok {
			return fmt.Errorf("second M live line for %s (first at line %d)", k, prev)
		}
		p.live[k] = n
		m.Live = append(m.Live, NodeLive{Type: t, Sched: s, Count: c, Line: n})
		return nil
	}
	if err := p.once(n, "M "+name); err != nil {
		return err
	}
	switch name {
	case "mode":
		return oneOf(&m.Mode, ModeAbsolute, ModeDelta, ModeDiff)
	case "otp":
		if err := want(2); err != nil {
			return err
		}
		m.OTP, m.ERTS = args[0], args[1]
	case "schedulers":
		if err := want(1); err != nil {
			return err
		}
		s, err := parseCount("scheduler count", args[0])
		if err != nil {
			return err
		}
		if s < 1 {
			return errors.New("M schedulers 0")
		}
		m.Schedulers = s
	case "boot":
		return oneOf(&m.Boot, "one_scheduler", "all_schedulers")
	case "settle":
		return oneOf(&m.Settle, "end_only", "every_run")
	case "flags":
		m.Flags = append([]string{}, args...)
	case "types":
		for _, t := range args {
			if _, err := parseType(t); err != nil {
				return err
			}
		}
		m.Types = append([]string{}, args...)
	case "hist":
		if err := want(2); err != nil {
			return err
		}
		var err error
		if m.HistStart, err = parseCount("histogram start", args[0]); err != nil {
			return err
		}
		if m.HistWidth, err = parseCount("histogram width", args[1]); err != nil {
			return err
		}
		if m.HistWidth < 1 {
			return errors.New("M hist: width 0")
		}
	case "start_carriers", "start_mmap":
		if err := want(1); err != nil {
			return err
		}
		h := args[0]
		if !(name == "start_mmap" && h == "-") {
			if _, err := strconv.ParseUint(h, 16, 64); err != nil || strings.ContainsAny(h, "+-") {
				return fmt.Errorf("M %s %q is not a hex hash", name, clip(h))
			}
		}
		if name == "start_carriers" {
			m.StartCarriers = h
		} else {
			m.StartMmap = h
		}
	default:
		m.Extra = append(m.Extra, NodeMetaLine{Name: name, Fields: append([]string{}, args...), Line: n})
	}
	return nil
}

func (p *nodeParser) optionLine(n int, f []string) error {
	if len(f) < 5 {
		return fmt.Errorf("O line with %d fields, want O TYPE INST OPTION VALUE", len(f))
	}
	t, err := parseType(f[1])
	if err != nil {
		return err
	}
	inst, err := parseCount("instance", f[2])
	if err != nil {
		return err
	}
	if !isName(f[3]) {
		return fmt.Errorf("option name %q is not a name", clip(f[3]))
	}
	// Keyed by the parsed instance: "0" and "00" are the same instance
	// (found by FuzzParseNodeReport).
	k := fmt.Sprintf("%s %d %s", t, inst, f[3])
	if prev, ok := p.opts[k]; ok {
		return fmt.Errorf("second option %s (first at line %d)", k, prev)
	}
	p.opts[k] = n
	p.r.Options = append(p.r.Options, NodeOption{Type: t, Instance: inst, Name: f[3], Value: strings.Join(f[4:], " "), Line: n})
	return nil
}

// statShape checks a key's path and returns whether it is a triple.
func statShape(section string, path []string) (bool, error) {
	bad := func() (bool, error) {
		return false, fmt.Errorf("unknown %s key %q", section, strings.Join(path, " "))
	}
	blocks := len(path) == 3 && path[0] == "blocks" && (path[2] == "count" || path[2] == "size")
	switch section {
	case SectionMBCs, SectionSBCs:
		if blocks {
			return true, nil
		}
		if len(path) != 1 {
			return bad()
		}
		switch path[0] {
		case "carriers", "carriers_size":
			return true, nil
		case "mseg_alloc_carriers", "mseg_alloc_carriers_size", "sys_alloc_carriers", "sys_alloc_carriers_size":
			return false, nil
		}
		return bad()
	case SectionMBCsPool:
		if blocks || len(path) == 1 && path[0] != "blocks" {
			return false, nil // carriers, carriers_size or a counter
		}
		return bad()
	case SectionCalls:
		if len(path) == 1 {
			return false, nil
		}
		return bad()
	}
	return false, fmt.Errorf("unknown section %q (want mbcs, sbcs, mbcs_pool or calls)", clip(section))
}

func (p *nodeParser) statLine(n int, f []string) error {
	tag := f[0]
	mode := p.r.Meta.Mode
	switch {
	case mode == "":
		return fmt.Errorf("%s line before the M mode line", tag)
	case tag == "I" && mode != ModeAbsolute:
		return fmt.Errorf("I line in a %s report", mode)
	case tag == "D" && mode == ModeAbsolute:
		return errors.New("D line in an absolute report")
	}
	if len(f) < 6 {
		return fmt.Errorf("%s line with %d fields, want %s TYPE INST SECTION KEY... VALUE...", tag, len(f), tag)
	}
	t, err := parseType(f[1])
	if err != nil {
		return err
	}
	inst, err := parseCount("instance", f[2])
	if err != nil {
		return err
	}
	i := 4
	for i < len(f) && !isInt(f[i]) {
		if !isName(f[i]) {
			return fmt.Errorf("key field %q is neither a name nor a number", clip(f[i]))
		}
		i++
	}
	if i == 4 {
		return fmt.Errorf("%s line without a key after the section", tag)
	}
	triple, err := statShape(f[3], f[4:i])
	if err != nil {
		return err
	}
	want := 1
	if triple {
		want = 3
		if mode == ModeDelta {
			want = 2
		}
	}
	vals := f[i:]
	if len(vals) != want {
		return fmt.Errorf("%s %s: %d values, want %d", tag, strings.Join(f[1:i], " "), len(vals), want)
	}
	st := NodeStat{Tag: tag, NodeStatKey: NodeStatKey{Type: t, Instance: inst, Section: f[3], Path: strings.Join(f[4:i], " ")}, Line: n}
	for _, v := range vals {
		x, err := parseInt("value", v)
		if err != nil {
			return err
		}
		st.Values = append(st.Values, x)
	}
	k := st.NodeStatKey.String()
	if prev, ok := p.stats[k]; ok {
		return fmt.Errorf("second line for %s (first at line %d)", k, prev)
	}
	p.stats[k] = n
	p.r.Stats = append(p.r.Stats, st)
	return nil
}

func (p *nodeParser) checkLine(n int, f []string) error {
	if len(f) != 8 || f[2] != "live_blocks" || f[3] != "trace" || f[5] != "allocator" {
		return errors.New("X line: want X TYPE live_blocks trace N allocator M ok|MISMATCH")
	}
	t, err := parseType(f[1])
	if err != nil {
		return err
	}
	c := NodeCheck{Type: t, Line: n}
	if c.Trace, err = parseInt("trace count", f[4]); err != nil {
		return err
	}
	if c.Allocator, err = parseInt("allocator count", f[6]); err != nil {
		return err
	}
	switch f[7] {
	case "ok":
		c.OK = true
	case "MISMATCH":
	default:
		return fmt.Errorf("X line verdict %q: want ok or MISMATCH", clip(f[7]))
	}
	if c.OK != (c.Trace == c.Allocator) {
		return fmt.Errorf("X line says %s for %d trace and %d allocator blocks", f[7], c.Trace, c.Allocator)
	}
	if prev, ok := p.checks[t]; ok {
		return fmt.Errorf("second X line for %s (first at line %d)", t, prev)
	}
	p.checks[t] = n
	p.r.Checks = append(p.r.Checks, c)
	return nil
}

func (p *nodeParser) carrierLine(n int, f []string) error {
	if len(f) != 10 {
		return fmt.Errorf("%s line with %d fields, want %s TYPE INST SEQ mbc|sbc INPOOL SIZE UNSCANNED BLOCKS FREEHIST", f[0], len(f), f[0])
	}
	c := NodeCarrier{Before: f[0] == "C0", Line: n}
	var err error
	if c.Type, err = parseType(f[1]); err != nil {
		return err
	}
	if c.Instance, err = parseCount("instance", f[2]); err != nil {
		return err
	}
	if c.Seq, err = parseCount("carrier sequence number", f[3]); err != nil {
		return err
	}
	seqKey := f[0] + " " + c.Type + " " + strconv.Itoa(c.Instance)
	if want := p.nextSeq[seqKey]; c.Seq != want {
		return fmt.Errorf("%s: carrier %d, want %d (carriers of an instance are numbered 0, 1, 2... in order)", seqKey, c.Seq, want)
	}
	p.nextSeq[seqKey]++
	switch f[4] {
	case "mbc", "sbc":
		c.Kind = f[4]
	default:
		return fmt.Errorf("carrier kind %q: want mbc or sbc", clip(f[4]))
	}
	switch f[5] {
	case "true":
		c.InPool = true
	case "false":
	default:
		return fmt.Errorf("in-pool flag %q: want true or false", clip(f[5]))
	}
	if c.Size, err = parseNonNeg("carrier size", f[6]); err != nil {
		return err
	}
	if c.Unscanned, err = parseNonNeg("unscanned bytes", f[7]); err != nil {
		return err
	}
	if f[8] != "-" {
		for _, b := range strings.Split(f[8], ",") {
			parts := strings.Split(b, ":")
			if len(parts) != 3 {
				return fmt.Errorf("carrier blocks %q: want BTYPE:COUNT:BYTES[,...] or -", clip(b))
			}
			var cb NodeCarrierBlocks
			if cb.Type, err = parseType(parts[0]); err != nil {
				return err
			}
			if cb.Count, err = parseNonNeg("block count", parts[1]); err != nil {
				return err
			}
			if cb.Size, err = parseNonNeg("block bytes", parts[2]); err != nil {
				return err
			}
			c.Blocks = append(c.Blocks, cb)
		}
	}
	for _, h := range strings.Split(f[9], ",") {
		v, err := parseNonNeg("free histogram slot", h)
		if err != nil {
			return err
		}
		c.FreeHist = append(c.FreeHist, v)
	}
	if c.Before {
		p.r.Carriers0 = append(p.r.Carriers0, c)
	} else {
		p.r.Carriers = append(p.r.Carriers, c)
	}
	return nil
}

// finish checks what can only be checked once every line is read.
func (p *nodeParser) finish() error {
	w := p.r.Meta.HistWidth
	if w == 0 {
		return nil
	}
	for _, cs := range [][]NodeCarrier{p.r.Carriers0, p.r.Carriers} {
		for _, c := range cs {
			if len(c.FreeHist) != w {
				return &NodeParseError{c.Line, fmt.Sprintf("free histogram with %d slots, M hist says %d", len(c.FreeHist), w)}
			}
		}
	}
	return nil
}

// Format prints the report as the oracle does, without the "#" lines: M
// lines, then per (type, instance) its O lines and I/D lines, then the X,
// C0 and C lines. A report the oracle printed comes out identical to its
// text minus the "#" lines.
func (r *NodeReport) Format() string {
	var b strings.Builder
	b.WriteString(nodeHeader + "\n")
	for _, l := range r.Lines() {
		b.WriteString(l.Key)
		for _, f := range l.Fields {
			b.WriteByte(' ')
			b.WriteString(f)
		}
		b.WriteByte('\n')
	}
	return b.String()
}

// NodeLine is one report line in the generic form node_noise.py uses:
// Key names the fact (the same fact in two reports has the same key), Fields
// are its values.
//
//	M mode                                 [delta]
//	M live binary_alloc 1                  [20]
//	O binary_alloc 1 acul                  [60]
//	D binary_alloc 1 mbcs carriers         [0 5]
//	X binary_alloc live_blocks             [trace 3 allocator 3 ok]
//	C binary_alloc 1 0                     [mbc true 4194304 0 binary_alloc:3:6048 0,0,...]
type NodeLine struct {
	Key    string
	Fields []string
	Line   int // 0 for the M lines held in NodeMeta's plain fields
}

// Tag is the line's tag: M, O, I, D, X, C or C0.
func (l NodeLine) Tag() string {
	t, _, _ := strings.Cut(l.Key, " ")
	return t
}

// Lines returns every line of the report except "#" lines, in the order
// Format prints them.
func (r *NodeReport) Lines() []NodeLine {
	var ls []NodeLine
	m := &r.Meta
	add := func(key string, fields ...string) {
		ls = append(ls, NodeLine{Key: key, Fields: fields})
	}
	if m.Mode != "" {
		add("M mode", m.Mode)
	}
	if m.OTP != "" || m.ERTS != "" {
		add("M otp", m.OTP, m.ERTS)
	}
	if m.Schedulers != 0 {
		add("M schedulers", strconv.Itoa(m.Schedulers))
	}
	if m.Boot != "" {
		add("M boot", m.Boot)
	}
	if m.Settle != "" {
		add("M settle", m.Settle)
	}
	if m.Flags != nil {
		add("M flags", m.Flags...)
	}
	if m.Types != nil {
		add("M types", m.Types...)
	}
	if m.HistWidth != 0 {
		add("M hist", strconv.Itoa(m.HistStart), strconv.Itoa(m.HistWidth))
	}
	if m.StartCarriers != "" {
		add("M start_carriers", m.StartCarriers)
	}
	if m.StartMmap != "" {
		add("M start_mmap", m.StartMmap)
	}
	for _, e := range m.Extra {
		ls = append(ls, NodeLine{Key: "M " + e.Name, Fields: e.Fields, Line: e.Line})
	}
	for _, l := range m.Live {
		ls = append(ls, NodeLine{Key: "M live " + l.Type + " " + strconv.Itoa(l.Sched), Fields: []string{strconv.FormatInt(l.Count, 10)}, Line: l.Line})
	}

	// O and I/D lines grouped by instance, groups in order of appearance.
	type inst struct {
		t string
		i int
	}
	var order []inst
	seen := map[inst]bool{}
	note := func(k inst) {
		if !seen[k] {
			seen[k] = true
			order = append(order, k)
		}
	}
	for _, o := range r.Options {
		note(inst{o.Type, o.Instance})
	}
	for _, s := range r.Stats {
		note(inst{s.Type, s.Instance})
	}
	opts := map[inst][]NodeOption{}
	for _, o := range r.Options {
		k := inst{o.Type, o.Instance}
		opts[k] = append(opts[k], o)
	}
	stats := map[inst][]NodeStat{}
	for _, s := range r.Stats {
		k := inst{s.Type, s.Instance}
		stats[k] = append(stats[k], s)
	}
	for _, k := range order {
		for _, o := range opts[k] {
			ls = append(ls, NodeLine{Key: "O " + o.Type + " " + strconv.Itoa(o.Instance) + " " + o.Name, Fields: []string{o.Value}, Line: o.Line})
		}
		for _, s := range stats[k] {
			vs := make([]string, len(s.Values))
			for i, v := range s.Values {
				vs[i] = strconv.FormatInt(v, 10)
			}
			ls = append(ls, NodeLine{Key: s.Tag + " " + s.NodeStatKey.String(), Fields: vs, Line: s.Line})
		}
	}
	for _, c := range r.Checks {
		v := "MISMATCH"
		if c.OK {
			v = "ok"
		}
		ls = append(ls, NodeLine{Key: "X " + c.Type + " live_blocks", Fields: []string{"trace", strconv.FormatInt(c.Trace, 10), "allocator", strconv.FormatInt(c.Allocator, 10), v}, Line: c.Line})
	}
	for _, cs := range [][]NodeCarrier{r.Carriers0, r.Carriers} {
		for _, c := range cs {
			ls = append(ls, NodeLine{Key: c.key(), Fields: c.fields(), Line: c.Line})
		}
	}
	return ls
}

func (c NodeCarrier) key() string {
	tag := "C"
	if c.Before {
		tag = "C0"
	}
	return tag + " " + c.Type + " " + strconv.Itoa(c.Instance) + " " + strconv.Itoa(c.Seq)
}

func (c NodeCarrier) fields() []string {
	blocks := "-"
	if len(c.Blocks) > 0 {
		bs := make([]string, len(c.Blocks))
		for i, b := range c.Blocks {
			bs[i] = b.Type + ":" + strconv.FormatInt(b.Count, 10) + ":" + strconv.FormatInt(b.Size, 10)
		}
		blocks = strings.Join(bs, ",")
	}
	hs := make([]string, len(c.FreeHist))
	for i, h := range c.FreeHist {
		hs[i] = strconv.FormatInt(h, 10)
	}
	return []string{c.Kind, strconv.FormatBool(c.InPool), strconv.FormatInt(c.Size, 10), strconv.FormatInt(c.Unscanned, 10), blocks, strings.Join(hs, ",")}
}

// Stat returns the I or D line of (type, instance, section, path), e.g.
// Stat("binary_alloc", 1, "mbcs", "blocks binary_alloc count").
func (r *NodeReport) Stat(typ string, inst int, section, path string) (NodeStat, bool) {
	for _, s := range r.Stats {
		if s.Type == typ && s.Instance == inst && s.Section == section && s.Path == path {
			return s, true
		}
	}
	return NodeStat{}, false
}

// Lookup returns the I or D line whose key (NodeStatKey.String) is key, e.g.
// Lookup("binary_alloc 1 mbcs_pool carriers_size").
func (r *NodeReport) Lookup(key string) (NodeStat, bool) {
	for _, s := range r.Stats {
		if s.NodeStatKey.String() == key {
			return s, true
		}
	}
	return NodeStat{}, false
}

// Option returns the value of an instance's option.
func (r *NodeReport) Option(typ string, inst int, name string) (string, bool) {
	for _, o := range r.Options {
		if o.Type == typ && o.Instance == inst && o.Name == name {
			return o.Value, true
		}
	}
	return "", false
}

// Check returns the X line of a type.
func (r *NodeReport) Check(typ string) (NodeCheck, bool) {
	for _, c := range r.Checks {
		if c.Type == typ {
			return c, true
		}
	}
	return NodeCheck{}, false
}

// CarrierList returns an instance's carriers in scan order: after the
// replay (C lines), or before it (C0 lines) when before is set.
func (r *NodeReport) CarrierList(typ string, inst int, before bool) []NodeCarrier {
	cs := r.Carriers
	if before {
		cs = r.Carriers0
	}
	var out []NodeCarrier
	for _, c := range cs {
		if c.Type == typ && c.Instance == inst {
			out = append(out, c)
		}
	}
	return out
}

// Instances returns the instance numbers of a type that have O, I or D
// lines, ascending as the oracle prints them.
func (r *NodeReport) Instances(typ string) []int {
	var out []int
	seen := map[int]bool{}
	add := func(t string, i int) {
		if t == typ && !seen[i] {
			seen[i] = true
			out = append(out, i)
		}
	}
	for _, o := range r.Options {
		add(o.Type, o.Instance)
	}
	for _, s := range r.Stats {
		add(s.Type, s.Instance)
	}
	return out
}
