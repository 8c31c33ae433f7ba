package reports

// The real snapshot and outputs of ../shared/docs/recon-refc-facts.md
// (OTP 25.2.3, recon 2.5.6), kept verbatim in testdata/recon/:
//
//   appendix_a.snapshot                 Appendix A: recon_alloc:snapshot_save/1's
//                                       file, trimmed by the doc's author ("..."
//                                       lines stand for removed entries)
//   appendix_b.fragmentation_current    Appendix B: fragmentation(current), top 4
//
// Appendix B was not taken from the same moment as Appendix A (binary_alloc
// instance 2 has mbcs blocks_size 10,210,400 in A but 10,205,632 in B), and
// three of its four instances are among A's removed lines. So B is checked
// from its own inputs: a snapshot holding exactly the block and carrier
// sizes B reports must give back B, byte for byte.

import (
	"os"
	"regexp"
	"strings"
	"testing"
)

// elide turns the doc's trimmed snapshot back into a term: lines that are
// only "..." are dropped, and a comma left before a closing bracket by the
// removal goes too. Nothing else is touched.
func elide(src string) string {
	var out []string
	for _, l := range strings.Split(src, "\n") {
		if strings.TrimSpace(l) == "..." {
			continue
		}
		out = append(out, l)
	}
	s := strings.Join(out, "\n")
	return regexp.MustCompile(`,(\s*[\]}])`).ReplaceAllString(s, "$1")
}

func appendixA(t *testing.T) *Snapshot {
	t.Helper()
	src, err := os.ReadFile("testdata/recon/appendix_a.snapshot")
	if err != nil {
		t.Fatal(err)
	}
	s, err := ParseSnapshot("appendix_a.snapshot", []byte(elide(string(src))))
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// TestAppendixAParse checks every number of Appendix A that the model
// holds, and the facts the doc derives from them.
func TestAppendixAParse(t *testing.T) {
	s := appendixA(t)
	if got := len(s.Memory); got != 9 {
		t.Fatalf("memory entries = %d, want 9", got)
	}
	wantMem := []MemoryValue{{"total", 24527424}, {"processes", 4574152}, {"processes_used", 4568208},
		{"system", 19953272}, {"atom", 278697}, {"atom_used", 258736}, {"binary", 10401920},
		{"code", 4969158}, {"ets", 336104}}
	for i, w := range wantMem {
		if s.Memory[i] != w {
			t.Errorf("memory[%d] = %v, want %v", i, s.Memory[i], w)
		}
	}
	var names []string
	for _, in := range s.Instances {
		names = append(names, WriteTerm(instanceKey(in.Allocator, in.Instance)))
	}
	if got := strings.Join(names, " "); got != "{erts_mmap,0} {sys_alloc,0} {mseg_alloc,0} {binary_alloc,2}" {
		t.Fatalf("instances = %s", got)
	}

	m := s.Instance("mseg_alloc", 0)
	if m.Mseg == nil || m.Mseg.Name != "all memory" || m.Mseg.CachedSegments != 2 || m.Mseg.CacheHits != 3 ||
		m.Mseg.Segments != (Triple{5, 5, 7}) || m.Mseg.SegmentsWatermark != 7 ||
		m.Mseg.SegmentsSize != (Triple{8388608, 8388608, 11534336}) || m.Version != "0.9" {
		t.Errorf("mseg_alloc 0 = %+v %+v", m, m.Mseg)
	}
	if c := m.Mseg.Calls[0]; c != (CallCount{"mseg_alloc", 0, 10}) || len(m.Mseg.Calls) != 9 {
		t.Errorf("mseg calls = %v", m.Mseg.Calls)
	}

	b := s.Instance("binary_alloc", 2)
	if b == nil || b.MBCS == nil || b.SBCS == nil || b.Pool == nil {
		t.Fatalf("binary_alloc 2 = %+v", b)
	}
	mc, ms := b.MBCS.BlockTotals()
	if mc != (Triple{5020, 5020, 5023}) || ms != (Triple{10210400, 10210400, 10211016}) {
		t.Errorf("mbcs blocks %v size %v", mc, ms)
	}
	if b.MBCS.Carriers != (Triple{7, 7, 7}) || b.MBCS.CarriersSize != (Triple{14221312, 14221312, 14221312}) ||
		b.MBCS.MsegCarriers != 6 || b.MBCS.SysCarriers != 1 ||
		b.MBCS.MsegCarriersSize != 14155776 || b.MBCS.SysCarriersSize != 65536 {
		t.Errorf("mbcs = %+v", b.MBCS)
	}
	sc, ss := b.SBCS.BlockTotals()
	if sc != (Triple{0, 0, 3}) || ss != (Triple{0, 0, 6000120}) || b.SBCS.CarriersSize != (Triple{0, 0, 6008832}) {
		t.Errorf("sbcs blocks %v size %v carriers %v", sc, ss, b.SBCS.CarriersSize)
	}
	// "sbcs max 6,000,120 = 3 × 2,000,040".
	if ss.MaxEver != 3*2000040 {
		t.Errorf("sbcs max blocks_size %d != 3 × 2,000,040", ss.MaxEver)
	}
	if b.Pool.Carriers != 0 || b.Pool.CarriersSize != 0 || len(b.Pool.Blocks) != 0 {
		t.Errorf("pool = %+v", b.Pool)
	}
	// The doc trimmed the pool's counters to the first and last.
	if len(b.Pool.Counters) != 2 || b.Pool.Counters[0].Name != "entrance_removed" || b.Pool.Counters[1].Name != "fail_pooled" {
		t.Errorf("pool counters = %v", b.Pool.Counters)
	}
	if got := len(b.Options); got != 21 || b.Options[19].Key != "cp" || !EqualTerms(b.Options[19].Value, Atom("B")) ||
		!EqualTerms(b.Options[10].Value, IntFrom(uint64(18446744073709551615))) {
		t.Errorf("options (%d) = %v", got, b.Options)
	}
	if c := b.Calls[0]; c != (CallCount{"binary_alloc", 0, 5172}) {
		t.Errorf("calls[0] = %v", c)
	}
}

// TestAppendixARoundTrip: parse, write, parse again gives the same model
// and the same text (the writer prints what the reader reads).
func TestAppendixARoundTrip(t *testing.T) {
	s := appendixA(t)
	var b strings.Builder
	if err := WriteSnapshot(&b, s); err != nil {
		t.Fatal(err)
	}
	s2, err := ParseSnapshot("written", []byte(b.String()))
	if err != nil {
		t.Fatalf("%v\n%s", err, b.String())
	}
	if !EqualTerms(s.Term(), s2.Term()) {
		t.Fatalf("round trip changed the snapshot")
	}
	var b2 strings.Builder
	if err := WriteSnapshot(&b2, s2); err != nil {
		t.Fatal(err)
	}
	if b.String() != b2.String() {
		t.Fatalf("second write differs")
	}
	// Every line the doc did not reflow (it reflowed erts_mmap's lists and
	// binary_alloc's options) is printed exactly as snapshot_save wrote it.
	src, _ := os.ReadFile("testdata/recon/appendix_a.snapshot")
	written := map[string]bool{}
	for _, l := range strings.Split(b.String(), "\n") {
		written[l] = true
	}
	checked := 0
	inReflowed := false
	for _, l := range strings.Split(string(src), "\n") {
		trim := strings.TrimSpace(l)
		switch {
		case strings.Contains(trim, "{{erts_mmap,0},"), strings.HasPrefix(trim, "{options,"):
			inReflowed = true
		case strings.Contains(trim, "{{sys_alloc,0},"), strings.HasPrefix(trim, "{sbcs,"):
			inReflowed = false
		}
		if inReflowed || trim == "..." || trim == "]}." || trim == "" ||
			strings.HasSuffix(trim, "{entrance_removed,0,0},") || strings.HasPrefix(trim, "{sys_alloc_carriers_size,0}]}]},") {
			continue // reflowed, elided, or next to an elision
		}
		checked++
		if !written[l] {
			t.Errorf("line not reproduced by WriteSnapshot:\n%q", l)
		}
	}
	if checked < 35 {
		t.Errorf("only %d lines compared", checked)
	}
}

// TestAppendixAAnalyses computes every analysis on Appendix A. The numbers
// follow from the snapshot alone (its only util allocator instance is
// binary_alloc 2) and from recon's formulas; every float was computed with
// the same division in erl (OTP 25) and those the doc states are marked.
func TestAppendixAAnalyses(t *testing.T) {
	s := appendixA(t)
	r := &Recon{Snapshot: s}
	type tc struct {
		name string
		run  func() (ReconResult, error)
		want string
	}
	mem := func(k string, kw Keyword) func() (ReconResult, error) {
		return func() (ReconResult, error) { return r.Memory(k, kw) }
	}
	for _, c := range []tc{
		{"used current", mem("used", Current), "10210400"},
		{"used max", mem("used", Max), "16211136"}, // 10,211,016 + 6,000,120
		{"allocated current", mem("allocated", Current), "14221312"},
		{"allocated max", mem("allocated", Max), "20230144"}, // 14,221,312 + 6,008,832
		{"unused current", mem("unused", Current), "4010912"},
		{"unused max", mem("unused", Max), "4019008"},
		{"usage current", mem("usage", Current), "0.7179646997407834"},
		{"usage max", mem("usage", Max), "0.801335670176149"},
		{"allocated_types", mem("allocated_types", Current), "[{binary_alloc,14221312}]"},
		{"allocated_instances max", mem("allocated_instances", Max), "[{2,20230144}]"},
		// The doc's fragmentation(max) for binary_alloc,2: sbcs_usage 0.99855
		// = 6,000,120 / 6,008,832 (reproduced); mbcs_usage 0.71787 is not
		// 10,211,016 / 14,221,312 = 0.71801: taken at Appendix B's moment.
		{"fragmentation max", func() (ReconResult, error) { return r.Fragmentation(Max) },
			"[{{binary_alloc,2},\n  [{sbcs_usage,0.998550134202454},\n   {mbcs_usage,0.7180080150129609},\n   {sbcs_block_size,6000120},\n   {sbcs_carriers_size,6008832},\n   {mbcs_block_size,10211016},\n   {mbcs_carriers_size,14221312}]}]"},
		{"fragmentation current", func() (ReconResult, error) { return r.Fragmentation(Current) },
			"[{{binary_alloc,2},\n  [{sbcs_usage,1.0},\n   {mbcs_usage,0.7179646997407834},\n   {sbcs_block_size,0},\n   {sbcs_carriers_size,0},\n   {mbcs_block_size,10210400},\n   {mbcs_carriers_size,14221312}]}]"},
		// "5,020 blocks / 10,210,400 bytes = 2,034 B average".
		{"average_block_sizes current", func() (ReconResult, error) { return r.AverageBlockSizes(Current) },
			"[{binary_alloc,[{mbcs,2033.9442231075698},{sbcs,0}]}]"},
		{"average_block_sizes max", func() (ReconResult, error) { return r.AverageBlockSizes(Max) },
			"[{binary_alloc,[{mbcs,2032.852080430022},{sbcs,2000040.0}]}]"},
		{"sbcs_to_mbcs current", func() (ReconResult, error) { return r.SbcsToMbcs(Current) }, "[{{binary_alloc,2},0.0}]"},
		{"sbcs_to_mbcs max", func() (ReconResult, error) { return r.SbcsToMbcs(Max) }, "[{{binary_alloc,2},5.972526378658173e-4}]"},
		// mseg_alloc 0: 3 cache hits over 10 mseg_alloc calls.
		{"cache_hit_rates", func() (ReconResult, error) { return r.CacheHitRates() },
			"[{{instance,0},[{hit_rate,0.3},{hits,3},{calls,10}]}]"},
	} {
		res, err := c.run()
		if err != nil {
			t.Errorf("%s: %v", c.name, err)
			continue
		}
		if got := FormatErlang(res); got != c.want {
			t.Errorf("%s =\n%s\nwant\n%s", c.name, got, c.want)
		}
	}

	// set_unit(megabyte): sizes divided before summing, floats out.
	r.Unit = Megabyte
	used, _ := r.MemoryUsed(Current)
	if got := used.String(); got != "9.737396240234375" { // 10,210,400 / 1,048,576
		t.Errorf("used in MB = %s", got)
	}
	avg, _ := r.AverageBlockSizes(Current)
	if got := WriteTerm(avg.Term()); got != "[{binary_alloc,[{mbcs,0.0019397203665805528},{sbcs,0}]}]" {
		t.Errorf("average in MB = %s", got)
	}
}

// TestAppendixB rebuilds the four instances of Appendix B from the sizes it
// reports and requires fragmentation(current) to print exactly Appendix B:
// the same usage floats to the last digit, the same order, the same layout.
func TestAppendixB(t *testing.T) {
	want, err := os.ReadFile("testdata/recon/appendix_b.fragmentation_current")
	if err != nil {
		t.Fatal(err)
	}
	inst := func(alloc string, n int, blockSize, carrierSize uint64) AllocInstance {
		return AllocInstance{
			Allocator: alloc, Instance: n,
			MBCS: &CarrierStats{
				Blocks:       []BlockStats{{alloc, Triple{1, 1, 1}, Triple{blockSize, blockSize, blockSize}}},
				Carriers:     Triple{1, 1, 1},
				CarriersSize: Triple{carrierSize, carrierSize, carrierSize},
			},
			SBCS: &CarrierStats{},
		}
	}
	// Listed in an order unlike B's, so that the sort is tested.
	s := &Snapshot{Instances: []AllocInstance{
		inst("ll_alloc", 0, 6252576, 8388608),
		inst("ll_alloc", 1, 464648, 1048576),
		inst("binary_alloc", 2, 10205632, 14221312),
		inst("eheap_alloc", 2, 877136, 3932160),
	}}
	r := &Recon{Snapshot: s}
	f, err := r.Fragmentation(Current)
	if err != nil {
		t.Fatal(err)
	}
	if got := FormatErlang(f) + "\n"; got != string(want) {
		t.Errorf("fragmentation(current) =\n%s\nAppendix B:\n%s", got, want)
	}
	// The weights the doc lists: unused bytes per instance.
	for i, w := range []float64{4015680, 3055024, 2136032, 583928} {
		if f[i].Weight != w {
			t.Errorf("weight[%d] = %v, want %v", i, f[i].Weight, w)
		}
	}
	// Appendix B also parses as a term and is the same term.
	bt, err := ReadTerm("appendix_b", append(want, '.', '\n'))
	if err != nil {
		t.Fatal(err)
	}
	if !EqualTerms(bt, f.Term()) {
		t.Errorf("Appendix B as a term differs from fragmentation(current)")
	}
}
