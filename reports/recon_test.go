package reports

import (
	"encoding/json"
	"errors"
	"os"
	"strings"
	"testing"
)

// carrierStats builds mbcs/sbcs statistics with the same value at every
// position of each triple, per type in blocks ("type:count:size").
func carrierStats(carriers, carriersSize uint64, blocks ...BlockStats) *CarrierStats {
	return &CarrierStats{
		Blocks:       blocks,
		Carriers:     Triple{carriers, carriers, carriers},
		CarriersSize: Triple{carriersSize, carriersSize, carriersSize},
	}
}

func blk(typ string, count, size uint64) BlockStats {
	return BlockStats{typ, Triple{count, count, count}, Triple{size, size, size}}
}

// erlOf is FormatErlang of a result, or the error's text.
func erlOf(r ReconResult, err error) string {
	if err != nil {
		return "error: " + err.Error()
	}
	return FormatErlang(r)
}

// TestZeroCarriers: an instance with no carriers at all. recon's usage
// takes 0/0 as 1.0, the average over no blocks is the integer 0, the ratio
// of no blocks to no blocks is the integer 0, and memory(usage) divides 0
// by 0: badarith.
func TestZeroCarriers(t *testing.T) {
	s := &Snapshot{Instances: []AllocInstance{{
		Allocator: "ets_alloc", Instance: 0,
		MBCS: carrierStats(0, 0), SBCS: carrierStats(0, 0),
	}}}
	r := &Recon{Snapshot: s}
	for _, u := range []Unit{Byte, Kilobyte} {
		r.Unit = u
		f, err := r.Fragmentation(Current)
		want := "[{{ets_alloc,0},[{sbcs_usage,1.0},{mbcs_usage,1.0},{sbcs_block_size,0},{sbcs_carriers_size,0},{mbcs_block_size,0},{mbcs_carriers_size,0}]}]"
		if u == Kilobyte {
			// Sizes are floats once divided: 0/1024 = 0.0; usage(0.0,0.0) is 1.0.
			want = "[{{ets_alloc,0},[{sbcs_usage,1.0},{mbcs_usage,1.0},{sbcs_block_size,0.0},{sbcs_carriers_size,0.0},{mbcs_block_size,0.0},{mbcs_carriers_size,0.0}]}]"
		}
		if err != nil || WriteTerm(f.Term()) != want {
			t.Errorf("%v: fragmentation = %s, %v\nwant %s", u, WriteTerm(f.Term()), err, want)
		}
		if f[0].Weight != 0 {
			t.Errorf("weight = %v", f[0].Weight)
		}
		a, err := r.AverageBlockSizes(Max)
		if err != nil || WriteTerm(a.Term()) != "[{ets_alloc,[{mbcs,0},{sbcs,0}]}]" {
			t.Errorf("%v: average = %s, %v", u, WriteTerm(a.Term()), err)
		}
		m, err := r.SbcsToMbcs(Current)
		if err != nil || WriteTerm(m.Term()) != "[{{ets_alloc,0},0}]" {
			t.Errorf("%v: sbcs_to_mbcs = %s, %v", u, WriteTerm(m.Term()), err)
		}
		_, err = r.MemoryUsage(Current)
		var re *ReconError
		if !errors.As(err, &re) || re.Reason != "badarith" {
			t.Errorf("%v: usage with nothing allocated: %v, want badarith", u, err)
		}
		used, _ := r.MemoryUsed(Current)
		wantUsed := "0"
		if u == Kilobyte {
			wantUsed = "0.0"
		}
		if used.String() != wantUsed {
			t.Errorf("%v: used = %s", u, used)
		}
	}
}

// TestEmptySnapshot: no util allocators: sums are the integer 0, lists
// empty, usage 0/0 badarith.
func TestEmptySnapshot(t *testing.T) {
	r := &Recon{Snapshot: &Snapshot{}, Unit: Megabyte}
	if u, err := r.MemoryUsed(Max); err != nil || u.String() != "0" {
		t.Errorf("used = %v, %v", u, err)
	}
	if _, err := r.MemoryUsage(Current); err == nil {
		t.Errorf("usage of nothing: no error")
	}
	for _, res := range []func() (ReconResult, error){
		func() (ReconResult, error) { return r.Fragmentation(Current) },
		func() (ReconResult, error) { return r.AverageBlockSizes(Current) },
		func() (ReconResult, error) { return r.SbcsToMbcs(Current) },
		func() (ReconResult, error) { return r.CacheHitRates() },
		func() (ReconResult, error) { return r.MemoryAllocatedTypes(Current) },
	} {
		if got := erlOf(res()); got != "[]" {
			t.Errorf("got %s, want []", got)
		}
	}
}

// TestBlocksWithoutCarriers: a non-zero block size over zero carrier
// bytes raises badarith in recon (usage/2 has no clause for it).
func TestBlocksWithoutCarriers(t *testing.T) {
	s := &Snapshot{Instances: []AllocInstance{{
		Allocator: "std_alloc", Instance: 1,
		MBCS: carrierStats(0, 0, blk("std_alloc", 1, 64)), SBCS: carrierStats(0, 0),
	}}}
	r := &Recon{Snapshot: s}
	_, err := r.Fragmentation(Current)
	var re *ReconError
	if !errors.As(err, &re) || re.Reason != "badarith" || !strings.Contains(err.Error(), "{std_alloc,1}") {
		t.Errorf("fragmentation: %v", err)
	}
	// average_block_sizes is fine (64 bytes in 1 block).
	if got := erlOf(r.AverageBlockSizes(Current)); got != "[{std_alloc,[{mbcs,64.0},{sbcs,0}]}]" {
		t.Errorf("average = %s", got)
	}
	// A size without a count is badarith there.
	s.Instances[0].MBCS.Blocks[0].Count = Triple{}
	if _, err := r.AverageBlockSizes(Current); err == nil {
		t.Errorf("average of 64 bytes in 0 blocks: no error")
	}
}

// TestPool: mbcs_pool is added to mbcs for current (blocks, sizes,
// carriers) and ignored for max.
func TestPool(t *testing.T) {
	in := AllocInstance{
		Allocator: "binary_alloc", Instance: 1,
		MBCS: &CarrierStats{
			Blocks:       []BlockStats{{"binary_alloc", Triple{10, 20, 30}, Triple{1000, 2000, 3000}}},
			Carriers:     Triple{1, 2, 3},
			CarriersSize: Triple{4096, 8192, 12288},
		},
		SBCS: &CarrierStats{
			Blocks:       []BlockStats{{"binary_alloc", Triple{1, 1, 2}, Triple{600000, 600000, 1200000}}},
			Carriers:     Triple{1, 1, 2},
			CarriersSize: Triple{606208, 606208, 1212416},
		},
		Pool: &PoolStats{
			Blocks:       []PoolBlockStats{{"binary_alloc", 5, 500}, {"ets_alloc", 2, 100}},
			Carriers:     1,
			CarriersSize: 8192,
		},
	}
	r := &Recon{Snapshot: &Snapshot{Instances: []AllocInstance{in}}}
	check := func(name string, got ReconResult, err error, want string) {
		t.Helper()
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if g := WriteTerm(got.Term()); g != want {
			t.Errorf("%s = %s, want %s", name, g, want)
		}
	}
	u, err := r.MemoryUsed(Current)
	check("used current", u, err, "601600") // 600000 + 1000 + pool 600
	u, err = r.MemoryUsed(Max)
	check("used max", u, err, "1203000") // no pool for max
	a, err := r.MemoryAllocated(Current)
	check("allocated current", a, err, "618496") // 606208 + 4096 + 8192
	f, err := r.Fragmentation(Current)
	check("fragmentation current", f, err,
		"[{{binary_alloc,1},[{sbcs_usage,0.9897592905405406},{mbcs_usage,0.13020833333333334},{sbcs_block_size,600000},{sbcs_carriers_size,606208},{mbcs_block_size,1600},{mbcs_carriers_size,12288}]}]")
	m, err := r.SbcsToMbcs(Current)
	check("sbcs_to_mbcs current", m, err, "[{{binary_alloc,1},0.058823529411764705}]") // 1 / (10 + 7)
	m, err = r.SbcsToMbcs(Max)
	check("sbcs_to_mbcs max", m, err, "[{{binary_alloc,1},0.06666666666666667}]") // 2 / 30
	avg, err := r.AverageBlockSizes(Current)
	check("average current", avg, err, "[{binary_alloc,[{mbcs,94.11764705882354},{sbcs,6.0e5}]}]") // 1600/17; 600000.0 prints as 6.0e5

	// Units: the pool's sizes are divided too, then added first.
	r.Unit = Kilobyte
	u, err = r.MemoryUsed(Current)
	check("used current KB", u, err, "587.5")
}

// TestForeignBlocks: blocks of other types (carrier migration) count in
// blocks and blocks_size: recon sums every type (since ferd/recon#83).
func TestForeignBlocks(t *testing.T) {
	in := AllocInstance{
		Allocator: "binary_alloc", Instance: 2,
		MBCS: &CarrierStats{
			Blocks: []BlockStats{
				{"binary_alloc", Triple{1714, 1715, 1715}, Triple{1804080, 1882840, 1882840}},
				{"ets_alloc", Triple{45, 45, 49}, Triple{45056, 45056, 46080}},
				{"eheap_alloc", Triple{4, 5, 71}, Triple{243464, 246480, 246480}},
			},
			Carriers: Triple{3, 3, 3}, CarriersSize: Triple{3145728, 3145728, 3145728},
		},
		SBCS: carrierStats(0, 0),
	}
	s := &Snapshot{Instances: []AllocInstance{in}}
	r := &Recon{Snapshot: s}
	if u, _ := r.MemoryUsed(Current); u.String() != "2092600" {
		t.Errorf("used = %s, want 1804080+45056+243464", u)
	}
	if u, _ := r.MemoryUsed(Max); u.String() != "2175400" { // position 4, summed
		t.Errorf("used max = %s, want 1882840+46080+246480", u)
	}
	// Written as recon writes it: summed blocks, foreign_blocks without the
	// own type, raw_blocks with all.
	props := WriteTerm(List{Elems: s.Instances[0].Props()})
	for _, want := range []string{
		"{blocks,1763,1765,1835}", "{blocks_size,2092600,2174376,2175400}",
		"{foreign_blocks,[{ets_alloc,[{count,45,45,49},{size,45056,45056,46080}]},{eheap_alloc,",
		"{raw_blocks,[{binary_alloc,[{count,1714,1715,1715},",
	} {
		if !strings.Contains(props, want) {
			t.Errorf("props lack %s:\n%s", want, props)
		}
	}
	// And read back.
	var b strings.Builder
	if err := WriteSnapshot(&b, s); err != nil {
		t.Fatal(err)
	}
	s2, err := ParseSnapshot("x", []byte(b.String()))
	if err != nil {
		t.Fatal(err)
	}
	if len(s2.Instances[0].MBCS.Blocks) != 3 || s2.Instances[0].MBCS.Blocks[2] != in.MBCS.Blocks[2] {
		t.Errorf("read back %+v", s2.Instances[0].MBCS.Blocks)
	}
}

// TestSorting: ties and recon's term-order sorting.
func TestSorting(t *testing.T) {
	mk := func(alloc string, n int, sbcsBlocks, mbcsBlocks uint64) AllocInstance {
		in := AllocInstance{Allocator: alloc, Instance: n, MBCS: carrierStats(1, 1<<20), SBCS: carrierStats(0, 0)}
		if mbcsBlocks > 0 {
			in.MBCS.Blocks = []BlockStats{blk(alloc, mbcsBlocks, mbcsBlocks*100)}
		}
		if sbcsBlocks > 0 {
			in.SBCS = carrierStats(sbcsBlocks, sbcsBlocks<<20, blk(alloc, sbcsBlocks, sbcsBlocks<<20))
		}
		return in
	}
	s := &Snapshot{Instances: []AllocInstance{
		mk("eheap_alloc", 1, 0, 0),  // 0 (integer)
		mk("binary_alloc", 1, 1, 0), // infinity
		mk("eheap_alloc", 2, 0, 4),  // 0.0 (float): equal to 0, ordered by key
		mk("ets_alloc", 0, 2, 0),    // infinity
		mk("binary_alloc", 2, 1, 2), // 0.5
		mk("sl_alloc", 0, 0, 3),     // 0.0
		mk("literal_alloc", 0, 9, 0),
		mk("mseg_alloc", 0, 9, 0), // not util allocators: left out
	}}
	r := &Recon{Snapshot: s}
	got := erlOf(r.SbcsToMbcs(Current))
	want := "[{{ets_alloc,0},infinity},\n {{binary_alloc,1},infinity},\n {{binary_alloc,2},0.5},\n {{sl_alloc,0},0.0},\n {{eheap_alloc,2},0.0},\n {{eheap_alloc,1},0}]"
	if got != want {
		t.Errorf("sbcs_to_mbcs =\n%s\nwant\n%s", got, want)
	}
	// Fragmentation: the unused bytes are 1 MiB less 100 per mbcs block;
	// the three instances without mbcs blocks tie and are ordered by
	// {Allocator, N}, descending.
	f, err := r.Fragmentation(Current)
	if err != nil {
		t.Fatal(err)
	}
	var keys []string
	for _, e := range f {
		keys = append(keys, WriteTerm(instanceKey(e.Allocator, e.Instance)))
	}
	if got := strings.Join(keys, " "); got != "{ets_alloc,0} {eheap_alloc,1} {binary_alloc,1} {binary_alloc,2} {sl_alloc,0} {eheap_alloc,2}" {
		t.Errorf("fragmentation order = %s", got)
	}
	// allocated_types is an orddict: by name.
	at, _ := r.MemoryAllocatedTypes(Current)
	if got = WriteTerm(at.Term()); got != "[{binary_alloc,4194304},{eheap_alloc,2097152},{ets_alloc,3145728},{sl_alloc,1048576}]" {
		t.Errorf("allocated_types = %s", got)
	}
	got = erlOf(r.MemoryAllocatedInstances(Current))
	if got != "[{0,4194304},{1,3145728},{2,3145728}]" {
		t.Errorf("allocated_instances = %s", got)
	}
}

// TestCacheHitRates: 0/0 is 1.0, hits over calls otherwise, calls from
// Giga·10^9 + Ones, sorted by misses.
func TestCacheHitRates(t *testing.T) {
	mseg := func(n int, hits, giga, ones uint64) AllocInstance {
		return AllocInstance{Allocator: "mseg_alloc", Instance: n, Mseg: &MsegInfo{
			Name: "all memory", CacheHits: hits,
			Calls: []CallCount{{"mseg_alloc", giga, ones}, {"mseg_dealloc", 0, 1}},
		}}
	}
	s := &Snapshot{Instances: []AllocInstance{mseg(0, 0, 0, 0), mseg(1, 3, 0, 16), mseg(2, 5, 1, 5)}}
	r := &Recon{Snapshot: s}
	got := erlOf(r.CacheHitRates())
	want := "[{{instance,2},[{hit_rate,4.9999999750000005e-9},{hits,5},{calls,1000000005}]},\n {{instance,1},[{hit_rate,0.1875},{hits,3},{calls,16}]},\n {{instance,0},[{hit_rate,1.0},{hits,0},{calls,0}]}]"
	if got != want {
		t.Errorf("cache_hit_rates =\n%s\nwant\n%s", got, want)
	}
	s.Instances[0].Mseg.CacheHits = 1
	if _, err := r.CacheHitRates(); err == nil {
		t.Errorf("1 hit in 0 calls: no error")
	}
}

// TestUnits: set_unit divides sizes (a float even when exact) but never
// counts.
func TestUnits(t *testing.T) {
	s := &Snapshot{Instances: []AllocInstance{{
		Allocator: "eheap_alloc", Instance: 0,
		MBCS: carrierStats(1, 3<<20, blk("eheap_alloc", 3, 1<<20)), SBCS: carrierStats(0, 0),
	}}}
	for _, c := range []struct {
		u                Unit
		alloc, avg, frag string
	}{
		{Byte, "3145728", "[{eheap_alloc,[{mbcs,349525.3333333333},{sbcs,0}]}]", "{mbcs_block_size,1048576}"},
		{Kilobyte, "3072.0", "[{eheap_alloc,[{mbcs,341.3333333333333},{sbcs,0}]}]", "{mbcs_block_size,1024.0}"},
		{Megabyte, "3.0", "[{eheap_alloc,[{mbcs,0.3333333333333333},{sbcs,0}]}]", "{mbcs_block_size,1.0}"},
		{Gigabyte, "0.0029296875", "[{eheap_alloc,[{mbcs,3.255208333333333e-4},{sbcs,0}]}]", "{mbcs_block_size,9.765625e-4}"},
	} {
		r := &Recon{Snapshot: s, Unit: c.u}
		if a, _ := r.MemoryAllocated(Current); a.String() != c.alloc {
			t.Errorf("%v: allocated = %s, want %s", c.u, a, c.alloc)
		}
		if got := erlOf(r.AverageBlockSizes(Current)); got != c.avg {
			t.Errorf("%v: average = %s, want %s", c.u, got, c.avg)
		}
		if got := erlOf(r.Fragmentation(Current)); !strings.Contains(got, c.frag) {
			t.Errorf("%v: fragmentation = %s, want %s", c.u, got, c.frag)
		}
		if got := erlOf(r.SbcsToMbcs(Current)); got != "[{{eheap_alloc,0},0.0}]" {
			t.Errorf("%v: sbcs_to_mbcs = %s", c.u, got)
		}
	}
	for _, name := range []string{"byte", "kilobyte", "megabyte", "gigabyte"} {
		if u, err := ParseUnit(name); err != nil || u.String() != name {
			t.Errorf("ParseUnit(%s) = %v, %v", name, u, err)
		}
	}
	if _, err := ParseUnit("kb"); err == nil {
		t.Errorf("ParseUnit(kb): no error")
	}
}

func TestMissingCarrierStats(t *testing.T) {
	r := &Recon{Snapshot: &Snapshot{Instances: []AllocInstance{{Allocator: "fix_alloc", Instance: 0}}}}
	_, err := r.MemoryUsed(Current)
	var re *ReconError
	if !errors.As(err, &re) || re.Reason != "badarg" {
		t.Errorf("used without sbcs: %v", err)
	}
}

// TestJSON: the JSON forms keep floats as floats and infinity as a string.
func TestJSON(t *testing.T) {
	s := &Snapshot{Instances: []AllocInstance{
		{Allocator: "binary_alloc", Instance: 1, MBCS: carrierStats(0, 0), SBCS: carrierStats(1, 1<<20, blk("binary_alloc", 1, 1<<20))},
		{Allocator: "mseg_alloc", Instance: 0, Mseg: &MsegInfo{CacheHits: 3, Calls: []CallCount{{"mseg_alloc", 0, 16}}}},
	}}
	r := &Recon{Snapshot: s}
	for _, c := range []struct {
		res  func() (ReconResult, error)
		want string
	}{
		{func() (ReconResult, error) { return r.SbcsToMbcs(Current) }, `[{"allocator":"binary_alloc","instance":1,"ratio":"infinity"}]`},
		{func() (ReconResult, error) { return r.Fragmentation(Current) }, `[{"allocator":"binary_alloc","instance":1,"sbcs_usage":1.0,"mbcs_usage":1.0,"sbcs_block_size":1048576,"sbcs_carriers_size":1048576,"mbcs_block_size":0,"mbcs_carriers_size":0}]`},
		{func() (ReconResult, error) { return r.AverageBlockSizes(Current) }, `[{"allocator":"binary_alloc","mbcs":0,"sbcs":1048576.0}]`},
		{func() (ReconResult, error) { return r.CacheHitRates() }, `[{"instance":0,"hit_rate":0.1875,"hits":3,"calls":16}]`},
		{func() (ReconResult, error) { return r.MemoryAllocatedTypes(Current) }, `[{"allocator":"binary_alloc","bytes":1048576}]`},
		{func() (ReconResult, error) { return r.MemoryAllocatedInstances(Current) }, `[{"instance":1,"bytes":1048576}]`},
		{func() (ReconResult, error) { return r.MemoryUsage(Current) }, `1.0`},
	} {
		res, err := c.res()
		if err != nil {
			t.Fatal(err)
		}
		b, err := json.Marshal(res)
		if err != nil {
			t.Fatal(err)
		}
		if string(b) != c.want {
			t.Errorf("JSON = %s, want %s", b, c.want)
		}
		if _, err := FormatJSON(res); err != nil {
			t.Error(err)
		}
		var v any
		if err := json.Unmarshal(b, &v); err != nil {
			t.Errorf("not JSON: %s", b)
		}
	}
}

// TestRealOTP25Dump reads a hand-made dump of a live OTP 25.2.3 node
// ({erlang:memory(), [{A, erlang:system_info({allocator, A})}]}, +S 2,
// 5000 × 2 KB binaries and 3 × 700 KB binaries held, an ETS table),
// written by io_lib:format("~p.~n") — the raw form snapshot_load/1 also
// accepts.
func TestRealOTP25Dump(t *testing.T) {
	src, err := os.ReadFile("testdata/recon/otp25_raw_dump.terms")
	if err != nil {
		t.Fatal(err)
	}
	// The ~p writer reprints Erlang's own ~p output byte for byte.
	tm, err := ReadTerm("otp25_raw_dump.terms", src)
	if err != nil {
		t.Fatal(err)
	}
	if got := PrettyTerm(tm, 1) + ".\n"; got != string(src) {
		gl, wl := strings.Split(got, "\n"), strings.Split(string(src), "\n")
		for i := range min(len(gl), len(wl)) {
			if gl[i] != wl[i] {
				t.Fatalf("~p differs from erl's at line %d:\n got %q\nwant %q", i+1, gl[i], wl[i])
			}
		}
		t.Fatalf("~p differs from erl's in length: %d vs %d lines", len(gl), len(wl))
	}

	s, err := SnapshotFromTerm("otp25_raw_dump.terms", tm)
	if err != nil {
		t.Fatal(err)
	}
	// alloc_util allocators with their instances (temp..driver 3 each,
	// literal 1), sys_alloc 1, mseg_alloc 3.
	if len(s.Instances) != 9*3+1+1+3 {
		t.Errorf("%d instances", len(s.Instances))
	}
	fix := s.Instance("fix_alloc", 0)
	if fix == nil || len(fix.FixTypes) == 0 || fix.FixTypes[0].Type != "proc" {
		t.Errorf("fix_alloc 0 fix_types = %+v", fix)
	}
	if s.Instance("binary_alloc", 1).Pool == nil || s.Instance("binary_alloc", 0).Pool != nil {
		t.Errorf("mbcs_pool on instances 1..2 only")
	}

	// erlang:memory(binary) is exactly Σ binary_alloc blocks (mbcs + sbcs
	// + pooled), erts-alloc-facts.md §8.2 — the dump was taken on a quiet
	// node, so its numbers agree.
	r := &Recon{Snapshot: s}
	var bin Num = IntNum(0)
	for i := range s.Instances {
		if in := &s.Instances[i]; in.Allocator == "binary_alloc" {
			v, err := r.containerSize("t", in, Current, cBlocksSize)
			if err != nil {
				t.Fatal(err)
			}
			bin = bin.Add(v)
		}
	}
	var memBinary uint64
	for _, m := range s.Memory {
		if m.Key == "binary" {
			memBinary = m.Bytes
		}
	}
	if bin.String() != IntNum(memBinary).String() {
		t.Errorf("Σ binary_alloc blocks_size = %s, erlang:memory(binary) = %d", bin, memBinary)
	}

	// Every analysis answers, for both keywords and every unit.
	for _, u := range []Unit{Byte, Kilobyte, Megabyte, Gigabyte} {
		r.Unit = u
		for _, kw := range []Keyword{Current, Max} {
			for _, k := range []string{"used", "allocated", "unused", "usage", "allocated_types", "allocated_instances"} {
				if _, err := r.Memory(k, kw); err != nil {
					t.Errorf("memory(%s, %v) in %v: %v", k, kw, u, err)
				}
			}
			if f, err := r.Fragmentation(kw); err != nil || len(f) != 27 {
				t.Errorf("fragmentation(%v): %d entries, %v", kw, len(f), err)
			}
			if _, err := r.AverageBlockSizes(kw); err != nil {
				t.Error(err)
			}
			if _, err := r.SbcsToMbcs(kw); err != nil {
				t.Error(err)
			}
		}
		if c, err := r.CacheHitRates(); err != nil || len(c) != 3 {
			t.Errorf("cache_hit_rates: %v, %v", c, err)
		}
	}

	// Written in recon's form and read back: the same model.
	var b strings.Builder
	if err := WriteSnapshot(&b, s); err != nil {
		t.Fatal(err)
	}
	s2, err := ParseSnapshot("rewritten", []byte(b.String()))
	if err != nil {
		t.Fatal(err)
	}
	if !EqualTerms(s.Term(), s2.Term()) {
		t.Errorf("recon-form round trip changed the snapshot")
	}
}
