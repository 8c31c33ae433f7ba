package carriers

// Differential tests against the real runtime: the oracle (../shared/oracle)
// replays a trace on the real OTP 25.2.3 allocator and logs every carrier
// creation, destruction and in-place resize with absolute addresses
// (`run --events`). The log is replayed here on a Space exactly as
// check_addr_model.py replays it on its Python model, and every carrier the
// runtime created or resized must get the same address and size here.
//
// TestSpaceOracle runs the oracle (skipped without erl); TestSpaceRecorded
// replays logs recorded from it into testdata/*.events, so the check also
// runs where Erlang is not installed.

import (
	"bufio"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
)

var spOracleMu sync.Mutex

const (
	// The test allocator's SBC shrink thresholds (oracle README, "The test
	// allocator's effective settings").
	spTestAsbcst = 4145152
	spTestRsbcst = 20
)

type spEvent struct {
	sign       byte // '+', '-', '~'
	sbc        bool
	addr, size uint64
	newSize    uint64
}

type spEventGroup struct {
	line int
	op   string
	opsz uint64
	evs  []spEvent
}

type spEventLog struct {
	saTop0, suaBot0 uint64
	groups          []spEventGroup
	events          int
}

// spParseEvents reads a `run --events` log like check_addr_model.py does:
// header lines "# sa_top0 N" and "# sua_bot0 N", then
// "LINE OP OPSIZE SIGN KIND ADDR SIZE [NEWSIZE]", grouped by (LINE, OP).
func spParseEvents(path string) (*spEventLog, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	lg := &spEventLog{}
	var haveSa, haveSua bool
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 1<<16), 1<<20)
	n := 0
	for sc.Scan() {
		n++
		ln := sc.Text()
		if strings.HasPrefix(ln, "# sa_top0 ") || strings.HasPrefix(ln, "# sua_bot0 ") {
			fs := strings.Fields(ln)
			v, err := strconv.ParseUint(fs[2], 10, 64)
			if err != nil {
				return nil, fmt.Errorf("%s:%d: %v", path, n, err)
			}
			if fs[1] == "sa_top0" {
				lg.saTop0, haveSa = v, true
			} else {
				lg.suaBot0, haveSua = v, true
			}
		}
		if strings.HasPrefix(ln, "#") || strings.TrimSpace(ln) == "" {
			continue
		}
		fs := strings.Fields(ln)
		if len(fs) < 7 || len(fs) > 8 {
			return nil, fmt.Errorf("%s:%d: %d fields", path, n, len(fs))
		}
		var nums [5]uint64
		for i, j := range []int{0, 2, 5, 6, 7} {
			if j >= len(fs) {
				continue
			}
			if nums[i], err = strconv.ParseUint(fs[j], 10, 64); err != nil {
				return nil, fmt.Errorf("%s:%d: %v", path, n, err)
			}
		}
		if fs[4] != "mbc" && fs[4] != "sbc" || len(fs[3]) != 1 || !strings.Contains("+-~", fs[3]) {
			return nil, fmt.Errorf("%s:%d: bad event %q", path, n, ln)
		}
		ev := spEvent{sign: fs[3][0], sbc: fs[4] == "sbc", addr: nums[2], size: nums[3], newSize: nums[4]}
		line, op := int(nums[0]), fs[1]
		if k := len(lg.groups); k > 0 && lg.groups[k-1].line == line && lg.groups[k-1].op == op {
			lg.groups[k-1].evs = append(lg.groups[k-1].evs, ev)
		} else {
			lg.groups = append(lg.groups, spEventGroup{line: line, op: op, opsz: nums[1], evs: []spEvent{ev}})
		}
		lg.events++
	}
	if err := sc.Err(); err != nil {
		return nil, err
	}
	if !haveSa || !haveSua {
		return nil, fmt.Errorf("%s: no sa_top0/sua_bot0 header: not an oracle event log", path)
	}
	return lg, nil
}

type spReplayResult struct {
	checked, bad int
	creates      int // carriers created (checked: address and size)
	inPlace      int // SBC resizes in place (checked: same address, size)
	moves        int // SBC resizes that moved (checked: new address, size)
	fallbacks    int // of which mseg_realloc failed and a new SBC was made
	msgs         []string
	info         MsegInfo // mseg instance 0 at the end
}

func (r *spReplayResult) report(line int, format string, args ...any) {
	r.bad++
	if len(r.msgs) < 10 {
		r.msgs = append(r.msgs, fmt.Sprintf("line %d: ", line)+fmt.Sprintf(format, args...))
	}
}

// spReplay replays an event log on a fresh Space with the oracle's mapper
// settings (+MMscs scsMiB +MMsco true, +MMmcs mcs) and compares.
func spReplay(t testing.TB, lg *spEventLog, scsMiB uint64, mcs int, atags bool) spReplayResult {
	cfg := DefaultSpaceConfig()
	cfg.SCS, cfg.SCO, cfg.MCS, cfg.MsegInstances = scsMiB<<20, true, mcs, 2
	s := NewSpace(cfg)
	// The two 128 KiB temp_alloc main carriers that precede the test
	// allocator's carriers in the aligned area (README "Isolation").
	for range 2 {
		if _, _, ok := s.Mseg(1).AllocMBC(128 << 10); !ok {
			t.Fatal("cannot place the temp_alloc main carriers")
		}
	}
	in := s.MmapInfo()
	off := lg.saTop0 - in.SATop
	if lg.suaBot0-off != in.SUABot {
		t.Fatalf("geometry differs: oracle sua_bot0-sa_top0 = %d, model %d", lg.suaBot0-lg.saTop0, in.SUABot-in.SATop)
	}
	m := s.Mseg(0)
	tag := uint64(0)
	if atags {
		tag = 8
	}
	blk := func(opsz uint64) uint64 { return spCeil(8+tag+opsz, 8) }
	kind := func(sbc bool) string {
		if sbc {
			return "sbc"
		}
		return "mbc"
	}
	rel := func(e spEvent, a uint64) int64 {
		if e.sbc {
			return int64(a+off) - int64(lg.suaBot0)
		}
		return int64(a+off) - int64(lg.saTop0)
	}
	var r spReplayResult
	live := map[uint64]uint64{}
	for _, g := range lg.groups {
		var plus, minus []spEvent
		for _, e := range g.evs {
			switch e.sign {
			case '+':
				plus = append(plus, e)
			case '-':
				minus = append(minus, e)
			}
		}
		for _, e := range g.evs {
			if e.sign != '~' {
				continue
			}
			// mremap in place: alloc_util asks for ceil16K(block + 32).
			want := spCeil(blk(g.opsz)+32, spSAUnit)
			a, sz, ok := m.ReallocSBC(e.addr-off, e.size, want, spTestAsbcst, spTestRsbcst)
			r.checked++
			r.inPlace++
			if !ok || a+off != e.addr || sz != e.newSize {
				r.report(g.line, "%s at %+d resized in place %d->%d, model: ok=%v %+d %d bytes",
					kind(e.sbc), rel(e, e.addr-off), e.size, e.newSize, ok, rel(e, a), sz)
			}
			live[e.addr] = e.newSize
		}
		if g.op == "r" && len(plus) == 1 && len(minus) == 1 && plus[0].sbc && minus[0].sbc {
			// An SBC resized through mremap that moved.
			n, o := plus[0], minus[0]
			want := spCeil(blk(g.opsz)+32, spSAUnit)
			a, sz, ok := m.ReallocSBC(o.addr-off, o.size, want, spTestAsbcst, spTestRsbcst)
			if !ok {
				// mseg_realloc failed: alloc_util's resize_carrier creates a
				// new carrier (with +Musac false a fresh mseg SBC of
				// ceil4K(block + 32)), copies, and frees the old one.
				a, sz, ok = m.AllocSBC(spCeil(blk(g.opsz)+32, spPage))
				if ok {
					m.DeallocSBC(o.addr-off, o.size)
				}
				r.fallbacks++
			}
			r.checked++
			r.moves++
			if !ok || a+off != n.addr || sz != n.size {
				r.report(g.line, "sbc at %+d (%d -> %d bytes) moved to %+d, model: ok=%v %d bytes at %+d",
					rel(o, o.addr-off), o.size, n.size, rel(n, n.addr-off), ok, sz, rel(n, a))
			}
			delete(live, o.addr)
			live[n.addr] = n.size
			continue
		}
		for _, e := range plus {
			var a, sz uint64
			var ok bool
			if e.sbc {
				a, sz, ok = m.AllocSBC(spCeil(blk(g.opsz)+32, spPage))
			} else {
				a, sz, ok = m.AllocMBC(e.size)
			}
			r.checked++
			r.creates++
			if !ok || a+off != e.addr || sz != e.size {
				r.report(g.line, "new %s of %d bytes at %+d, model: ok=%v %d bytes at %+d",
					kind(e.sbc), e.size, rel(e, e.addr-off), ok, sz, rel(e, a))
			}
			live[e.addr] = e.size
		}
		for _, e := range minus {
			if e.sbc {
				m.DeallocSBC(e.addr-off, e.size)
			} else {
				m.DeallocMBC(e.addr-off, e.size)
			}
			delete(live, e.addr)
		}
		if err := s.CheckInvariants(); err != nil {
			t.Fatalf("line %d: %v (mismatches so far: %q)", g.line, err, r.msgs)
		}
	}
	if m.Segments() != uint64(len(live)) {
		r.report(-1, "mseg instance 0 has %d segments, the log leaves %d carriers", m.Segments(), len(live))
	}
	if m.CachedSegments() > mcs {
		r.report(-1, "%d cached segments with mcs %d", m.CachedSegments(), mcs)
	}
	r.info = m.Info(false)
	return r
}

func spOracleDir(t *testing.T) string {
	d := filepath.Join("..", "..", "shared", "oracle")
	if _, err := os.Stat(filepath.Join(d, "run")); err == nil {
		return d
	}
	if d = os.Getenv("ALLOCLAB_ORACLE"); d != "" {
		if _, err := os.Stat(filepath.Join(d, "run")); err == nil {
			return d
		}
	}
	t.Skip("oracle not found: neither ../../shared/oracle/run nor $ALLOCLAB_ORACLE/run")
	return ""
}

type spOracleCase struct {
	name  string
	trace string
	mcs   int
	as    string
	atags bool
	scs   uint64 // MiB, 0 = the oracle's default 16384
	opts  []string
	extra []string // more arguments of run
}

func (c spOracleCase) args(events string) []string {
	a := []string{c.trace, "--events", events, "--mcs", strconv.Itoa(c.mcs), "--as", c.as}
	if c.scs != 0 {
		a = append(a, "--scs", strconv.FormatUint(c.scs, 10))
	}
	if c.atags {
		a = append(a, "--opt", "-tatags", "true")
	}
	for i := 0; i+1 < len(c.opts); i += 2 {
		a = append(a, "--opt", c.opts[i], c.opts[i+1])
	}
	return append(a, c.extra...)
}

func TestSpaceOracle(t *testing.T) {
	if _, err := exec.LookPath("erl"); err != nil {
		t.Skip("erl not found: " + err.Error())
	}
	dir := spOracleDir(t)
	run, err := filepath.Abs(filepath.Join(dir, "run"))
	if err != nil {
		t.Fatal(err)
	}
	tmp := t.TempDir()
	var cases []spOracleCase
	var examples []string
	for _, n := range []string{"growth", "mixed", "realloc", "sbc", "split_coalesce", "tie_break"} {
		examples = append(examples, filepath.Join("testdata", n+".trace"))
	}
	for _, tr := range examples {
		name := strings.TrimSuffix(filepath.Base(tr), ".trace")
		cases = append(cases,
			spOracleCase{name: name + "/mcs0/aoffcbf", trace: tr, mcs: 0, as: "aoffcbf"},
			spOracleCase{name: name + "/mcs3/bf/atags", trace: tr, mcs: 3, as: "bf", atags: true},
			spOracleCase{name: name + "/mcs10/aoffcbf/atags", trace: tr, mcs: 10, as: "aoffcbf", atags: true},
		)
	}
	// The areas meet in a 24 MiB super carrier (rules M2.3, M4.3, M7.4). The
	// oracle's isolation check assumes they never do, hence --no-check.
	cross := []string{"-tsmbcs", "1024", "-tlmbcs", "1024"}
	cases = append(cases,
		spOracleCase{name: "crossover/mcs0/aoffcbf", trace: filepath.Join("testdata", "crossover.trace"), mcs: 0, as: "aoffcbf", scs: 24, opts: cross, extra: []string{"--no-check"}},
		spOracleCase{name: "crossover/mcs0/bf/atags", trace: filepath.Join("testdata", "crossover.trace"), mcs: 0, as: "bf", atags: true, scs: 24, opts: cross, extra: []string{"--no-check"}},
	)
	// Generated traces (gen.py): a random one (sizes 8 B .. 2 MiB, SBCs
	// resized in place and moved) and a burst one with small carriers and a
	// low sbct (many MBCs and SBCs coming and going: hole reuse, ties, the
	// cache's eviction and good-enough rules).
	if py, err := exec.LookPath("python3"); err == nil {
		gen := filepath.Join(dir, "gen.py")
		for _, g := range []struct{ name, args string }{
			{"gen11", "--seed 11 --ops 20000"},
			{"burst12", "--seed 12 --ops 20000 --pattern burst --max-size 500000"},
		} {
			out := filepath.Join(tmp, g.name+".trace")
			cmd := exec.Command(py, append([]string{gen, "-o", out}, strings.Fields(g.args)...)...)
			if b, err := cmd.CombinedOutput(); err != nil {
				t.Fatalf("gen.py %s: %v\n%s", g.args, err, b)
			}
		}
		small := []string{"-tsbct", "64", "-tsmbcs", "16", "-tlmbcs", "128"}
		for _, mcs := range []int{0, 3, 10} {
			for _, as := range []string{"aoffcbf", "bf"} {
				cases = append(cases,
					spOracleCase{name: fmt.Sprintf("gen11/mcs%d/%s", mcs, as), trace: filepath.Join(tmp, "gen11.trace"), mcs: mcs, as: as, atags: as == "bf"},
					spOracleCase{name: fmt.Sprintf("burst12-small/mcs%d/%s", mcs, as), trace: filepath.Join(tmp, "burst12.trace"), mcs: mcs, as: as, atags: as == "aoffcbf", opts: small},
				)
			}
		}
	} else {
		t.Log("python3 not found: generated traces skipped")
	}

	var total, creates, inPlace, moves int
	t.Cleanup(func() {
		t.Logf("oracle: %d carrier events checked over %d runs (%d creations, %d SBC resizes in place, %d SBC moves)",
			total, len(cases), creates, inPlace, moves)
	})
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			ev := filepath.Join(tmp, strings.ReplaceAll(c.name, "/", "_")+".events")
			cmd := exec.Command(run, c.args(ev)...)
			if b, err := cmd.CombinedOutput(); err != nil {
				t.Fatalf("oracle %v: %v\n%s", c.args(ev), err, b)
			}
			lg, err := spParseEvents(ev)
			if err != nil {
				t.Fatal(err)
			}
			scs := c.scs
			if scs == 0 {
				scs = 16384
			}
			r := spReplay(t, lg, scs, c.mcs, c.atags)
			t.Logf("%d carrier events checked, %d mismatches; mseg: %d cache hits, %d creates, %d destroys",
				r.checked, r.bad, r.info.CacheHits, r.info.Calls.Create, r.info.Calls.Destroy)
			for _, msg := range r.msgs {
				t.Error(msg)
			}
			if r.bad != 0 {
				t.Errorf("%d mismatches", r.bad)
			}
			spOracleMu.Lock()
			total += r.checked
			creates += r.creates
			inPlace += r.inPlace
			moves += r.moves
			spOracleMu.Unlock()
		})
	}
}

// TestSpaceEventsFile replays one event log named by $SPACE_EVENTS (with
// $SPACE_MCS, $SPACE_SCS in MiB, $SPACE_ATAGS=1); a debugging aid.
func TestSpaceEventsFile(t *testing.T) {
	path := os.Getenv("SPACE_EVENTS")
	if path == "" {
		t.Skip("SPACE_EVENTS not set")
	}
	mcs, _ := strconv.Atoi(os.Getenv("SPACE_MCS"))
	scs, _ := strconv.ParseUint(os.Getenv("SPACE_SCS"), 10, 64)
	if scs == 0 {
		scs = 16384
	}
	lg, err := spParseEvents(path)
	if err != nil {
		t.Fatal(err)
	}
	r := spReplay(t, lg, scs, mcs, os.Getenv("SPACE_ATAGS") == "1")
	for _, msg := range r.msgs {
		t.Error(msg)
	}
	t.Logf("%d carrier events checked, %d mismatches", r.checked, r.bad)
}

// spRecordedName is testdata/NAME.mcsN.STRATEGY[.atags][.scsMIB].events.
var spRecordedName = regexp.MustCompile(`\.mcs(\d+)\.[a-z]+(\.atags)?(?:\.scs(\d+))?\.events$`)

// TestSpaceRecorded replays event logs recorded from the oracle (see
// testdata/README) without needing erl.
func TestSpaceRecorded(t *testing.T) {
	files, _ := filepath.Glob(filepath.Join("testdata", "*.events"))
	if len(files) == 0 {
		t.Fatal("no recorded event logs in testdata")
	}
	total := 0
	for _, f := range files {
		mm := spRecordedName.FindStringSubmatch(f)
		if mm == nil {
			t.Fatalf("%s: name does not say mcs/strategy", f)
		}
		mcs, _ := strconv.Atoi(mm[1])
		scs := uint64(16384)
		if mm[3] != "" {
			scs, _ = strconv.ParseUint(mm[3], 10, 64)
		}
		lg, err := spParseEvents(f)
		if err != nil {
			t.Fatal(err)
		}
		r := spReplay(t, lg, scs, mcs, mm[2] != "")
		t.Logf("%s: %d events; mseg: %d cache hits, calls alloc %d dealloc %d realloc %d create %d destroy %d recreate %d",
			filepath.Base(f), r.checked, r.info.CacheHits, r.info.Calls.Alloc, r.info.Calls.Dealloc, r.info.Calls.Realloc,
			r.info.Calls.Create, r.info.Calls.Destroy, r.info.Calls.Recreate)
		for _, msg := range r.msgs {
			t.Errorf("%s: %s", f, msg)
		}
		if r.bad != 0 {
			t.Errorf("%s: %d of %d events mismatch", f, r.bad, r.checked)
		}
		total += r.checked
	}
	t.Logf("%d recorded carrier events checked in %d logs", total, len(files))
}
