package reports

import (
	"os/exec"
	"strings"
	"testing"

	"alloclab/allocator"
)

// newTestNode is the node `erl +S n` starts, with default flags.
func newTestNode(t *testing.T, n int, flags string) *allocator.System {
	t.Helper()
	sys, err := allocator.NewNode(n, flags)
	if err != nil {
		t.Fatal(err)
	}
	return sys
}

func mustAlloc(t *testing.T, sys *allocator.System, ty allocator.Type, sched uint32, size uint64) int32 {
	t.Helper()
	b, err := sys.Alloc(ty, sched, size, 0)
	if err != nil || b < 0 {
		t.Fatalf("alloc %v %d bytes on %d: %d %v", ty, size, sched, b, err)
	}
	return b
}

// instrErl runs expr in `erl -noshell +S 2` and returns its standard
// output; it skips the test when erl is not installed.
func instrErl(t *testing.T, expr string) string {
	t.Helper()
	if _, err := exec.LookPath("erl"); err != nil {
		t.Skip("erl not installed; checked against Erlang/OTP 25 when it is")
	}
	cmd := exec.Command("erl", "-noshell", "+S", "2", "-eval", expr+", halt().")
	var stderr strings.Builder
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("erl: %v\n%s%s", err, out, stderr.String())
	}
	return string(out)
}

func TestHistogramSlot(t *testing.T) {
	for _, c := range []struct {
		size, start uint64
		width, want int
	}{
		{0, 128, 18, 0},
		{127, 128, 18, 0},
		{128, 128, 18, 1},
		{360, 128, 18, 1}, // measured (§8.3)
		{383, 128, 18, 1},
		{384, 128, 18, 2},
		{895, 128, 18, 2},
		{896, 128, 18, 3},
		{360, 1, 18, 8}, // measured: [255, 511)
		{254, 1, 18, 7},
		{255, 1, 18, 8},
		{511, 1, 18, 9},
		{1 << 40, 128, 18, 17}, // clamped to the last slot
		{1 << 40, 1, 32, 31},
		{5000, 512, 1, 0}, // width 1: one slot
		// instrument:carriers' doubled start (512 -> 1024): an empty
		// 64 KiB main carrier's 65096-byte free block.
		{65096, 1024, 14, 6},
		{65096, 512, 14, 7},
	} {
		if got := HistogramSlot(c.size, c.start, c.width); got != c.want {
			t.Errorf("HistogramSlot(%d, %d, %d) = %d, want %d", c.size, c.start, c.width, got, c.want)
		}
	}
}

// Binary blocks on scheduler 1: three 1000-byte blocks (1016 with header
// and tag) in instance 1's main carrier, then the middle one freed, and a
// 600000-byte SBC. Hand-computed: the aoffcbf MBC header is 440 bytes, so
// the main carrier (65536) holds [1016 used][1016 free][1016 used][62048
// free]; with histogram_start 512 the runtime bins free blocks by 1024:
// 1016 -> slot 0, 62048/1024 = 60 -> log2(61) -> slot 5; an empty main
// carrier's 65096-byte block -> slot 6. The SBC: 600000 + 16 + 32 header,
// page-rounded = 602112, reported as one block of the carrier's size.
func TestInstrumentCarriersNode(t *testing.T) {
	sys := newTestNode(t, 2, "")
	var bs []int32
	for range 3 {
		bs = append(bs, mustAlloc(t, sys, allocator.Binary, 1, 1000))
	}
	if err := sys.Free(bs[1], 1); err != nil {
		t.Fatal(err)
	}
	mustAlloc(t, sys, allocator.Binary, 1, 600000)
	insts := sys.Instances(allocator.Binary)
	got := WriteTerm(InstrumentCarriers(sys.Heap(), insts, CarriersHistStart, CarriersHistWidth))
	want := "{ok,{512,[" +
		"{binary_alloc,false,65536,0,[],{0,0,0,0,0,0,1,0,0,0,0,0,0,0}}," +
		"{binary_alloc,false,65536,0,[{binary_alloc,2,2032}],{1,0,0,0,0,1,0,0,0,0,0,0,0,0}}," +
		"{binary_alloc,false,602112,0,[{binary_alloc,1,602112}],{0,0,0,0,0,0,0,0,0,0,0,0,0,0}}," +
		"{binary_alloc,false,65536,0,[],{0,0,0,0,0,0,1,0,0,0,0,0,0,0}}]}}"
	if got != want {
		t.Errorf("instrument:carriers\n got %s\nwant %s", got, want)
	}
	// start 1, width 4: effective start 2; 1016/2+1 = 509 -> slot 8 -> 3.
	got = WriteTerm(InstrumentCarriers(sys.Heap(), insts[1:2], 1, 4))
	want = "{ok,{1,[{binary_alloc,false,65536,0,[{binary_alloc,2,2032}],{0,0,0,2}}," +
		"{binary_alloc,false,602112,0,[{binary_alloc,1,602112}],{0,0,0,0}}]}}"
	if got != want {
		t.Errorf("instrument:carriers start 1 width 4\n got %s\nwant %s", got, want)
	}
	// Every instance of the node: one entry per carrier, in instance order.
	all, err := CarrierInfos(sys.Heap(), sys.AllInstances(), 512, 14)
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, in := range sys.AllInstances() {
		in.EachCarrier(func(int32) { n++ })
	}
	if len(all) != n || all[0].Allocator != "temp_alloc" {
		t.Errorf("%d carriers (first %s), want %d starting with temp_alloc", len(all), all[0].Allocator, n)
	}
}

func TestInstrumentArgs(t *testing.T) {
	sys := newTestNode(t, 1, "")
	h, insts := sys.Heap(), sys.AllInstances()
	for _, c := range []struct{ start, width int }{{0, 14}, {1<<28 + 1, 14}, {512, 0}, {512, 33}} {
		if got := WriteTerm(InstrumentCarriers(h, insts, c.start, c.width)); got != "{error,badarg}" {
			t.Errorf("carriers start %d width %d: %s", c.start, c.width, got)
		}
		if got := WriteTerm(InstrumentAllocations(h, insts, c.start, c.width)); got != "{error,badarg}" {
			t.Errorf("allocations start %d width %d: %s", c.start, c.width, got)
		}
	}
	if got := WriteTerm(InstrumentCarriers(h, nil, 512, 14)); got != "{error,not_enabled}" {
		t.Errorf("carriers of no instance: %s", got)
	}
	if got := WriteTerm(InstrumentAllocations(h, nil, 128, 18)); got != "{error,not_enabled}" {
		t.Errorf("allocations of no instance: %s", got)
	}
	// A fresh node has no tagged blocks: an empty map.
	a, err := AllocationHistograms(h, insts, 128, 18)
	if err != nil {
		t.Fatal(err)
	}
	if got := a.String(); got != "{ok,{128,0,#{}}}" {
		t.Errorf("fresh node allocations: %s", got)
	}
}

// Tagged blocks only: binary_alloc and driver_alloc have atags by default,
// std_alloc not. 1000 bytes -> 1016-byte block: 1016/128 = 7 -> slot 3;
// 360 bytes -> 376 -> slot 1; the 600000-byte SBC block (600016) -> 4687
// -> log2(4688) = 12. Histograms merge over instances.
func TestInstrumentAllocations(t *testing.T) {
	sys := newTestNode(t, 2, "")
	mustAlloc(t, sys, allocator.Binary, 1, 1000)
	mustAlloc(t, sys, allocator.Binary, 2, 1000)
	mustAlloc(t, sys, allocator.Binary, 0, 600000)
	mustAlloc(t, sys, allocator.Driver, 1, 360)
	mustAlloc(t, sys, allocator.STD, 1, 360)
	a, err := AllocationHistograms(sys.Heap(), sys.AllInstances(), AllocationsHistStart, AllocationsHistWidth)
	if err != nil {
		t.Fatal(err)
	}
	want := "{ok,{128,0,#{system => #{" +
		"binary_alloc => {0,0,0,2,0,0,0,0,0,0,0,0,1,0,0,0,0,0}," +
		"driver_alloc => {0,1,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0}}}}}"
	if got := a.String(); got != want {
		t.Errorf("allocations\n got %s\nwant %s", got, want)
	}
	wantTerm := "{ok,{128,0,[{system,[" +
		"{binary_alloc,{0,0,0,2,0,0,0,0,0,0,0,0,1,0,0,0,0,0}}," +
		"{driver_alloc,{0,1,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0}}]}]}}"
	if got := WriteTerm(a.Term()); got != wantTerm {
		t.Errorf("allocations term\n got %s\nwant %s", got, wantTerm)
	}
	// Start 1 (no doubling here): 376 -> [255, 511) = slot 8.
	a, _ = AllocationHistograms(sys.Heap(), sys.Instances(allocator.Driver), 1, 18)
	if h := a.Histograms[0].Hist; h[8] != 1 {
		t.Errorf("driver histogram with start 1: %v, want slot 8", h)
	}
}

// A carrier scan stops after 16000 blocks: 40000 40-byte binary blocks on
// one scheduler (8 + 8 tag + 40 = 56 bytes, raised to the 64-byte minimum
// block of a thread-preferred aoff instance, §4.2) fill the main carrier
// and growing MBCs, of which the 1 MiB and 2 MiB ones hold more than 16000;
// the rest of such a carrier is unscanned: carrier size − header −
// 16000·64.
func TestInstrumentBailout(t *testing.T) {
	sys := newTestNode(t, 1, "")
	for range 40000 {
		mustAlloc(t, sys, allocator.Binary, 1, 40)
	}
	in := sys.Instances(allocator.Binary)[1]
	h := sys.Heap()
	cis, err := CarrierInfos(h, []*allocator.Instance{in}, 512, 14)
	if err != nil {
		t.Fatal(err)
	}
	a, _ := AllocationHistograms(h, []*allocator.Instance{in}, 128, 18)
	big, unscanned, i := 0, uint64(0), 0
	in.EachCarrier(func(c int32) {
		cr := &h.Carriers[c]
		ci := cis[i]
		i++
		if cr.Blocks < blockscanBailout {
			if ci.Unscanned != 0 {
				t.Errorf("carrier %d with %d blocks: unscanned %d", c, cr.Blocks, ci.Unscanned)
			}
			return
		}
		big++
		hdr := h.Blocks[cr.First].Addr - cr.Addr
		want := cr.Size - hdr - blockscanBailout*64
		if ci.Unscanned != want {
			t.Errorf("carrier of %d blocks, %d bytes: unscanned %d, want %d", cr.Blocks, cr.Size, ci.Unscanned, want)
		}
		unscanned += want
		var free uint64
		for _, n := range ci.FreeHist {
			free += n
		}
		if free != 0 {
			t.Errorf("free blocks after the bailout were counted: %v", ci.FreeHist)
		}
	})
	if big == 0 {
		t.Fatal("no carrier with more than 16000 blocks; the test needs one")
	}
	if a.Unscanned != unscanned {
		t.Errorf("allocations unscanned %d, want %d", a.Unscanned, unscanned)
	}
}

// Against a real node: every MBC that instrument:carriers reports with
// exactly one free block has that block's size = carrier size − MBC header
// − allocated bytes; its slot, with histogram_start 1 and width 32, must be
// the one for the doubled start 2 (gather_carrier_info's hist_start * 2).
// The header per (type, instance) comes from the simulated node. Also: an
// SBC is [{Type, 1, CarrierSize}] with an all-zero histogram, and an empty
// MBC has [] as its block list.
func TestInstrumentCarriersErl(t *testing.T) {
	out := instrErl(t, `B = binary:copy(<<1>>, 700000),
		R = [begin Ref = make_ref(),
		  case erts_internal:gather_carrier_info({T, I, 32, 1, Ref}) of
		    0 -> [];
		    1 -> receive {Ref, L} -> [{T, I, C} || C <- L] after 5000 -> [] end
		  end end || T <- erlang:system_info(alloc_util_allocators), I <- [0, 1, 2]],
		io:format("~w.~n", [{lists:append(R), byte_size(B)}])`)
	tm, err := ReadTerm("erl", []byte(out))
	if err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	sys := newTestNode(t, 2, "")
	h := sys.Heap()
	hdr := map[string]uint64{}
	for _, in := range sys.AllInstances() {
		if c := in.MainCarrier(); c >= 0 {
			hdr[in.Type.String()+"/"+IntFrom(in.Index).String()] = h.Blocks[h.Carriers[c].First].Addr - h.Carriers[c].Addr
		}
	}
	u := func(x Term) uint64 { n, _ := x.(Int).Uint64(); return n }
	var checked, sbcs, empty, discriminating int
	for _, e := range tm.(Tuple).Elems[0].(List).Elems {
		ti := e.(Tuple).Elems
		typ, inst := string(ti[0].(Atom)), ti[1].(Int).String()
		c := ti[2].(Tuple).Elems
		size := u(c[2])
		blocks, _ := listElems(c[4])
		hist := c[5].(Tuple).Elems
		var nfree, slot uint64
		for i, x := range hist {
			if n := u(x); n > 0 {
				nfree += n
				slot = uint64(i)
			}
		}
		if len(blocks) == 1 {
			b := blocks[0].(Tuple).Elems
			if u(b[1]) == 1 && u(b[2]) == size {
				sbcs++
				if nfree != 0 || string(b[0].(Atom)) != typ {
					t.Errorf("SBC %v", WriteTerm(e))
				}
				continue
			}
		}
		if len(blocks) == 0 {
			empty++
		}
		hd, ok := hdr[typ+"/"+inst]
		if !ok || nfree != 1 || u(c[3]) != 0 {
			continue
		}
		var used uint64
		for _, b := range blocks {
			used += u(b.(Tuple).Elems[2])
		}
		free := size - hd - used
		checked++
		if want := HistogramSlot(free, 2, 32); uint64(want) != slot {
			t.Errorf("%s: free block %d bytes in slot %d, want %d", WriteTerm(e), free, slot, want)
		}
		if HistogramSlot(free, 1, 32) != HistogramSlot(free, 2, 32) {
			discriminating++
		}
	}
	t.Logf("%d single-free-block MBCs checked (%d where the doubling matters), %d SBCs, %d empty MBCs", checked, discriminating, sbcs, empty)
	if checked == 0 || discriminating == 0 || sbcs == 0 || empty == 0 {
		t.Errorf("the real node gave too little to check: %d MBCs (%d discriminating), %d SBCs, %d empty MBCs", checked, discriminating, sbcs, empty)
	}
}
