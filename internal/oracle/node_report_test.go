package oracle

import (
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
)

func nodeTestdata(t testing.TB) []string {
	t.Helper()
	files, err := filepath.Glob(filepath.Join("testdata", "node", "*"))
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, f := range files {
		if strings.HasSuffix(f, ".md") {
			continue
		}
		out = append(out, f)
	}
	if len(out) < 7 {
		t.Fatalf("testdata/node holds %d reports, want 7", len(out))
	}
	return out
}

func readNode(t testing.TB, name string) *NodeReport {
	t.Helper()
	r, err := ReadNodeReport(filepath.Join("testdata", "node", name))
	if err != nil {
		t.Fatal(err)
	}
	return r
}

// wantStat checks the values of an I/D line ("TYPE INST SECTION PATH").
func wantStat(t testing.TB, r *NodeReport, key string, want ...int64) {
	t.Helper()
	s, ok := r.Lookup(key)
	if !ok {
		t.Errorf("no line for %s", key)
		return
	}
	if !slices.Equal(s.Values, want) {
		t.Errorf("%s %s = %v, want %v (line %d)", s.Tag, key, s.Values, want, s.Line)
	}
}

func withoutComments(text string) string {
	var b strings.Builder
	for _, l := range strings.SplitAfter(text, "\n") {
		if !strings.HasPrefix(l, "#") {
			b.WriteString(l)
		}
	}
	return b.String()
}

func lineMap(r *NodeReport) map[string]string {
	m := map[string]string{}
	for _, l := range r.Lines() {
		m[l.Key] = strings.Join(l.Fields, " ")
	}
	return m
}

// Every stored report parses, and Format gives back its text minus the #
// lines (diff reports: the same lines, since node --diff prints the keys
// only the base has in hash order).
func TestParseStoredNodeReports(t *testing.T) {
	for _, f := range nodeTestdata(t) {
		t.Run(filepath.Base(f), func(t *testing.T) {
			b, err := os.ReadFile(f)
			if err != nil {
				t.Fatal(err)
			}
			r, err := ParseNodeReport(b)
			if err != nil {
				t.Fatal(err)
			}
			text := withoutComments(string(b))
			got := r.Format()
			if r.Meta.Mode == ModeDiff {
				gl := strings.Split(got, "\n")
				wl := strings.Split(text, "\n")
				slices.Sort(gl)
				slices.Sort(wl)
				if !slices.Equal(gl, wl) {
					t.Errorf("Format of a diff report does not have the report's lines")
				}
			} else if got != text {
				t.Errorf("Format differs from the report minus # lines:\n%s", firstDiff(text, got))
			}
			nComments := strings.Count("\n"+string(b), "\n#")
			if len(r.Comments) != nComments {
				t.Errorf("%d comments, want %d", len(r.Comments), nComments)
			}
			if r.Meta.OTP != "25" || r.Meta.ERTS != "13.1.5" || r.Meta.Schedulers != 2 || r.Meta.HistStart != 512 || r.Meta.HistWidth != 14 {
				t.Errorf("meta %+v", r.Meta)
			}
			for _, s := range r.Stats {
				if want := map[bool]int{false: 1, true: map[string]int{ModeAbsolute: 3, ModeDelta: 2, ModeDiff: 3}[r.Meta.Mode]}[s.Triple()]; len(s.Values) != want {
					t.Errorf("line %d: %d values, want %d", s.Line, len(s.Values), want)
				}
			}
			// the reparse of the formatted text is the same report
			r2, err := ParseNodeReport([]byte(got))
			if err != nil {
				t.Fatal(err)
			}
			if !maps2Equal(lineMap(r), lineMap(r2)) {
				t.Error("reparsed report has other lines")
			}
		})
	}
}

func maps2Equal(a, b map[string]string) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if w, ok := b[k]; !ok || w != v {
			return false
		}
	}
	return true
}

func firstDiff(want, got string) string {
	wl, gl := strings.Split(want, "\n"), strings.Split(got, "\n")
	for i := 0; i < max(len(wl), len(gl)); i++ {
		var w, g string
		if i < len(wl) {
			w = wl[i]
		}
		if i < len(gl) {
			g = gl[i]
		}
		if w != g {
			return "line " + itoa(i+1) + ":\n want " + w + "\n got  " + g
		}
	}
	return "(same)"
}

func itoa(i int) string { return strconv.Itoa(i) }

// The numbers ../shared/oracle/examples/node/README.md states.
func TestStoredNodeReportNumbers(t *testing.T) {
	t.Run("pool_roundtrip.pooled.delta", func(t *testing.T) {
		r := readNode(t, "pool_roundtrip.pooled.delta")
		if r.Meta.Mode != ModeDelta || r.Meta.Settle != "every_run" || r.Meta.Boot != "one_scheduler" {
			t.Errorf("meta %+v", r.Meta)
		}
		if want := []string{"+S", "2:1", "+MMscs", "16384", "+MMsco", "true", "+MMscrpm", "false", "+MMmcs", "0"}; !slices.Equal(r.Meta.Flags, want) {
			t.Errorf("flags %q", r.Meta.Flags)
		}
		wantStat(t, r, "binary_alloc 1 mbcs blocks binary_alloc count", 0, 4000)
		wantStat(t, r, "binary_alloc 1 mbcs carriers", 0, 5)
		wantStat(t, r, "binary_alloc 1 mbcs carriers_size", 0, 9961472)
		wantStat(t, r, "binary_alloc 1 mbcs_pool blocks binary_alloc count", 3)
		wantStat(t, r, "binary_alloc 1 mbcs_pool blocks binary_alloc size", 6048)
		wantStat(t, r, "binary_alloc 1 mbcs_pool carriers", 1)
		wantStat(t, r, "binary_alloc 1 mbcs_pool carriers_size", 4194304)
		wantStat(t, r, "binary_alloc 1 calls alloc", 4000)
		wantStat(t, r, "binary_alloc 1 calls free", 3997)
		if s, _ := r.Stat("binary_alloc", 1, "mbcs", "carriers"); !s.Triple() || s.Tag != "D" {
			t.Errorf("mbcs carriers: %+v", s)
		}
		if v, _ := r.Option("binary_alloc", 1, "acul"); v != "60" {
			t.Errorf("acul %q", v)
		}
		if v, _ := r.Option("binary_alloc", 0, "cp"); v != "undefined" {
			t.Errorf("instance 0 cp %q", v)
		}
		cs := r.CarrierList("binary_alloc", 1, false)
		want := NodeCarrier{Type: "binary_alloc", Instance: 1, Seq: 0, Kind: "mbc", InPool: true, Size: 4194304,
			Blocks: []NodeCarrierBlocks{{"binary_alloc", 3, 6048}}, FreeHist: []int64{0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 0, 0}}
		if len(cs) != 2 {
			t.Fatalf("instance 1 carriers: %+v", cs)
		}
		want.Line = cs[0].Line
		if !carrierEqual(cs[0], want) {
			t.Errorf("pooled carrier %+v, want %+v", cs[0], want)
		}
		if cs[1].InPool || cs[1].Size != 65536 || cs[1].Seq != 1 {
			t.Errorf("main carrier %+v", cs[1])
		}
		if c0 := r.CarrierList("binary_alloc", 1, true); len(c0) != 1 || !c0[0].Before || c0[0].Blocks[0] != (NodeCarrierBlocks{"binary_alloc", 1, 176}) {
			t.Errorf("C0 of instance 1: %+v", c0)
		}
		if x, ok := r.Check("binary_alloc"); !ok || x.Trace != 3 || x.Allocator != 3 || !x.OK {
			t.Errorf("X %+v", x)
		}
		if len(r.Meta.Live) != 1 || r.Meta.Live[0] != (NodeLive{"binary_alloc", 1, 3, r.Meta.Live[0].Line}) {
			t.Errorf("live %+v", r.Meta.Live)
		}
	})
	t.Run("pool_roundtrip.delta", func(t *testing.T) {
		r := readNode(t, "pool_roundtrip.delta")
		wantStat(t, r, "binary_alloc 2 mbcs_pool fetch", 1)
		wantStat(t, r, "binary_alloc 1 mbcs_pool fetch", 0)
		wantStat(t, r, "binary_alloc 2 mbcs carriers", 1, 1)
		wantStat(t, r, "binary_alloc 2 mbcs carriers_size", 4194304, 4194304)
		wantStat(t, r, "binary_alloc 2 mbcs blocks binary_alloc count", 103, 103)
		wantStat(t, r, "binary_alloc 2 calls mseg_alloc", 0)
		wantStat(t, r, "binary_alloc 1 mbcs_pool carriers", 0)
		if x, _ := r.Check("binary_alloc"); x != (NodeCheck{"binary_alloc", 103, 103, true, x.Line}) {
			t.Errorf("X %+v", x)
		}
	})
	t.Run("pool_roundtrip.report", func(t *testing.T) {
		r := readNode(t, "pool_roundtrip.report")
		if r.Meta.Mode != ModeAbsolute || r.Meta.StartMmap != "-" || r.Meta.Settle != "end_only" {
			t.Errorf("meta %+v", r.Meta)
		}
		wantStat(t, r, "binary_alloc 2 mbcs carriers_size", 4259840, 4259840, 4259840)
		wantStat(t, r, "binary_alloc 2 mbcs_pool fetch", 1)
		cs := r.CarrierList("binary_alloc", 2, false)
		if len(cs) != 2 || cs[0].Size != 65536 || cs[0].Blocks[0] != (NodeCarrierBlocks{"binary_alloc", 32, 64512}) ||
			cs[1].Size != 4194304 || cs[1].Blocks[0] != (NodeCarrierBlocks{"binary_alloc", 71, 143136}) || cs[1].InPool {
			t.Errorf("instance 2 carriers %+v", cs)
		}
		if len(r.Checks) != 0 || len(r.Carriers0) != 0 {
			t.Error("absolute report with X or C0 lines")
		}
	})
	t.Run("route.delta", func(t *testing.T) {
		r := readNode(t, "route.delta")
		checkRoute(t, r)
		// sizes of the stored run (instance 1's vary with the boot block: 20960 or 21000)
		wantStat(t, r, "binary_alloc 0 mbcs blocks binary_alloc size", 10480, 10480)
		wantStat(t, r, "binary_alloc 1 mbcs blocks binary_alloc size", 20960, 20960)
		wantStat(t, r, "driver_alloc 2 mbcs blocks driver_alloc size", 3640, 3640)
		if got := r.Instances("driver_alloc"); !slices.Equal(got, []int{0, 1, 2}) {
			t.Errorf("driver_alloc instances %v", got)
		}
	})
	t.Run("cross_free.delta", func(t *testing.T) {
		r := readNode(t, "cross_free.delta")
		// instance 1: 100 + 20 + 10 blocks, freed by scheduler 2, SCHED 0 and
		// reallocs on scheduler 2: all counted as frees by the owner
		wantStat(t, r, "binary_alloc 1 calls alloc", 130)
		wantStat(t, r, "binary_alloc 1 calls free", 130)
		wantStat(t, r, "binary_alloc 1 calls realloc", 0)
		wantStat(t, r, "binary_alloc 1 mbcs blocks binary_alloc count", 0, 100)
		wantStat(t, r, "binary_alloc 2 calls alloc", 10) // the 10 reallocs
		wantStat(t, r, "binary_alloc 2 calls realloc", 0)
		wantStat(t, r, "binary_alloc 2 mbcs blocks binary_alloc count", 10, 10)
		wantStat(t, r, "binary_alloc 0 calls free", 10) // freed by scheduler 2
		wantStat(t, r, "driver_alloc 2 calls free", 50) // freed by scheduler 1
		wantStat(t, r, "driver_alloc 2 mbcs blocks driver_alloc count", 0, 50)
		for _, x := range r.Checks {
			if !x.OK {
				t.Errorf("X %+v", x)
			}
		}
	})
	t.Run("pool_roundtrip.diff", func(t *testing.T) {
		r := readNode(t, "pool_roundtrip.diff")
		if r.Meta.Mode != ModeDiff || len(r.Meta.Live) != 0 || len(r.Options) != 0 || len(r.Carriers) != 0 {
			t.Errorf("diff report: meta %+v, %d O, %d C", r.Meta, len(r.Options), len(r.Carriers))
		}
		wantStat(t, r, "binary_alloc 2 mbcs carriers", 1, 1, 1)
		wantStat(t, r, "binary_alloc 2 mbcs_pool fetch", 1)
		// every D line is RUN − BASE field by field (a key missing on one side counts as 0)
		base, run := readNode(t, "pool_roundtrip.baseline.report"), readNode(t, "pool_roundtrip.report")
		for _, d := range r.Stats {
			want := make([]int64, len(d.Values))
			for _, side := range []struct {
				r    *NodeReport
				sign int64
			}{{run, 1}, {base, -1}} {
				if s, ok := side.r.Lookup(d.NodeStatKey.String()); ok {
					for i := range want {
						want[i] += side.sign * s.Values[i]
					}
				}
			}
			if !slices.Equal(d.Values, want) {
				t.Errorf("line %d: D %s %v, want %v", d.Line, d.NodeStatKey, d.Values, want)
			}
		}
		if len(r.Stats) != len(base.Stats) {
			t.Errorf("%d D lines, base has %d I lines", len(r.Stats), len(base.Stats))
		}
		if len(r.Comments) != 3 {
			t.Errorf("comments %q", r.Comments)
		}
	})
}

func carrierEqual(a, b NodeCarrier) bool {
	return a.Before == b.Before && a.Type == b.Type && a.Instance == b.Instance && a.Seq == b.Seq &&
		a.Kind == b.Kind && a.InPool == b.InPool && a.Size == b.Size && a.Unscanned == b.Unscanned &&
		slices.Equal(a.Blocks, b.Blocks) && slices.Equal(a.FreeHist, b.FreeHist) && a.Line == b.Line
}

// checkRoute: route.trace puts 10/20/30 binaries and 3/5/7 driver_alloc
// blocks on SCHED 0/1/2, each in its own instance and nowhere else.
func checkRoute(t *testing.T, r *NodeReport) {
	t.Helper()
	if r.Meta.Mode != ModeDelta {
		t.Fatalf("mode %q", r.Meta.Mode)
	}
	for i, n := range []int64{10, 20, 30} {
		wantStat(t, r, "binary_alloc "+itoa(i)+" mbcs blocks binary_alloc count", n, n)
		wantStat(t, r, "binary_alloc "+itoa(i)+" calls alloc", n)
		wantStat(t, r, "binary_alloc "+itoa(i)+" sbcs blocks binary_alloc count", 0, 0)
		wantStat(t, r, "binary_alloc "+itoa(i)+" mbcs carriers", 0, 0)
	}
	for i, n := range []int64{3, 5, 7} {
		wantStat(t, r, "driver_alloc "+itoa(i)+" mbcs blocks driver_alloc count", n, n)
		wantStat(t, r, "driver_alloc "+itoa(i)+" calls alloc", n)
		wantStat(t, r, "driver_alloc "+itoa(i)+" calls free", 0)
	}
	for typ, n := range map[string]int64{"binary_alloc": 60, "driver_alloc": 15} {
		if x, ok := r.Check(typ); !ok || x != (NodeCheck{typ, n, n, true, x.Line}) {
			t.Errorf("X %s: %+v", typ, x)
		}
	}
	wantLive := []NodeLive{{"binary_alloc", 0, 10, 0}, {"binary_alloc", 1, 20, 0}, {"binary_alloc", 2, 30, 0},
		{"driver_alloc", 0, 3, 0}, {"driver_alloc", 1, 5, 0}, {"driver_alloc", 2, 7, 0}}
	var live []NodeLive
	for _, l := range r.Meta.Live {
		l.Line = 0
		live = append(live, l)
	}
	if !slices.Equal(live, wantLive) {
		t.Errorf("M live %+v", live)
	}
}

func TestParseNodeReportErrors(t *testing.T) {
	const head = "alloclab-nodestats 1\n# c\nM mode delta\nM hist 512 3\n"
	cases := []struct {
		name, text string
		line       int
		msg        string
	}{
		{"empty", "", 1, "first line"},
		{"header", "alloclab-nodestats 2\n", 1, "first line"},
		{"tag", head + "Z foo\n", 5, "unknown line tag"},
		{"mode", "alloclab-nodestats 1\nM mode fast\n", 2, "want one of"},
		{"mode twice", head + "M mode delta\n", 5, "second \"M mode\""},
		{"I before mode", "alloclab-nodestats 1\nI b 0 calls alloc 1\n", 2, "before the M mode"},
		{"I in delta", head + "I b 0 calls alloc 1\n", 5, "I line in a delta report"},
		{"D in absolute", "alloclab-nodestats 1\nM mode absolute\nD b 0 calls alloc 1\n", 3, "D line in an absolute"},
		{"arity", head + "D b 0 mbcs carriers 1\n", 5, "1 values, want 2"},
		{"arity single", head + "D b 0 calls alloc 1 2\n", 5, "2 values, want 1"},
		{"section", head + "D b 0 xbcs carriers 1\n", 5, "unknown section"},
		{"mbcs key", head + "D b 0 mbcs fetch 1\n", 5, "unknown mbcs key"},
		{"no key", head + "D b 0 calls 1\n", 5, "5 fields"},
		{"no key2", head + "D b 0 calls 1 2 3\n", 5, "without a key"},
		{"value", head + "D b 0 calls alloc 1x\n", 5, "neither a name nor a number"},
		{"value after", head + "D b 0 mbcs carriers 1 x\n", 5, "is not an integer"},
		{"instance", head + "D b -1 calls alloc 1\n", 5, "instance"},
		{"dup", head + "D b 0 calls alloc 1\nD b 0 calls alloc 2\n", 6, "first at line 5"},
		{"X verdict", head + "X b live_blocks trace 1 allocator 2 ok\n", 5, "says ok"},
		{"X form", head + "X b live trace 1 allocator 2 ok\n", 5, "X line"},
		{"C seq", head + "C b 0 1 mbc false 1 0 - 0,0,0\n", 5, "want 0"},
		{"C kind", head + "C b 0 0 xbc false 1 0 - 0,0,0\n", 5, "kind"},
		{"C blocks", head + "C b 0 0 mbc false 1 0 b:1 0,0,0\n", 5, "BTYPE:COUNT:BYTES"},
		{"C hist", head + "C b 0 0 mbc false 1 0 b:1:2 0,0\n", 5, "2 slots"},
		{"C hist late", "alloclab-nodestats 1\nC b 0 0 mbc false 1 0 - 0,0\nM hist 1 3\n", 2, "2 slots"},
		{"C fields", head + "C b 0 0 mbc false 1 0 -\n", 5, "9 fields"},
		{"O short", head + "O b 0 as\n", 5, "O line"},
		{"M live", head + "M live b 0\n", 5, "2 fields, want 3"},
		{"M hash", head + "M start_carriers xyz\n", 5, "hex"},
		{"M hist", head + "M hist 1 0\n", 5, "second"},
		{"hist width", "alloclab-nodestats 1\nM hist 1 0\n", 2, "width 0"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := ParseNodeReport([]byte(c.text))
			var pe *NodeParseError
			if !errors.As(err, &pe) {
				t.Fatalf("error %v, want a *NodeParseError", err)
			}
			if pe.Line != c.line || !strings.Contains(pe.Msg, c.msg) {
				t.Errorf("got %v, want line %d: ...%s...", err, c.line, c.msg)
			}
		})
	}
	// CRLF and blank lines are fine
	r, err := ParseNodeReport([]byte("alloclab-nodestats 1\r\nM mode delta\r\n\r\nM flags\r\nD b 0 calls alloc -3\r\n"))
	if err != nil {
		t.Fatal(err)
	}
	if r.Meta.Flags == nil || len(r.Meta.Flags) != 0 || r.Stats[0].Values[0] != -3 {
		t.Errorf("%+v", r)
	}
	if got := r.Format(); got != "alloclab-nodestats 1\nM mode delta\nM flags\nD b 0 calls alloc -3\n" {
		t.Errorf("Format %q", got)
	}
}

// A report with an unknown M line keeps it, and prints it back.
func TestNodeReportExtraMeta(t *testing.T) {
	text := "alloclab-nodestats 1\nM mode absolute\nM future a b\nI b 0 calls alloc 3\n"
	r, err := ParseNodeReport([]byte(text))
	if err != nil {
		t.Fatal(err)
	}
	if len(r.Meta.Extra) != 1 || r.Meta.Extra[0].Name != "future" || !slices.Equal(r.Meta.Extra[0].Fields, []string{"a", "b"}) {
		t.Errorf("extra %+v", r.Meta.Extra)
	}
	if r.Format() != text {
		t.Errorf("Format %q", r.Format())
	}
}
