package reports

// instrument:carriers/0,1 and instrument:allocations/0,1 for a simulated
// node (erts-alloc-facts §8.3, §8.4; lib/tools instrument.erl and
// erl_alloc_util.c's block scanner of OTP 25).
//
// Both walk the carriers of every (allocator type, scheduler) instance
// asked for, in the instance's scan order: its own carriers in the carrier
// pool (InPool true; a pooled carrier is listed under its owner only), its
// employed MBCs in carrier list order (main carrier first, then creation or
// fetch order), then its SBCs — exactly Instance.EachCarrier's order. A carrier's scan stops after
// 16000 blocks (BLOCKSCAN_BAILOUT_THRESHOLD); the bytes after the last
// scanned block are reported as unscanned.
//
// Histograms. A block of B bytes (header and tag included) falls in slot
//
//	min(floor(log2(floor(B / S) + 1)), Width − 1)
//
// so slot 0 is [0, S), slot k is [(2^k − 1)·S, (2^(k+1) − 1)·S). For
// instrument:allocations S is histogram_start. For instrument:carriers the
// runtime doubles it: gather_carrier_info sets hist_slot_start =
// hist_start * 2, so with the default 512 the free-block slots are [0, 1K),
// [1K, 3K), [3K, 7K), … while the result still says HistStart = 512.
// Verified on OTP 25.2.3 (instrument_test.go): a fresh main carrier's
// 65040-byte free block lands in slot 6 with start 512 (1024 effective) and
// in slot 14 with start 1 (2 effective). §8.4's "slot formula above" misses
// the doubling.
//
// What is not modelled, and how alloclab stands in:
//
//   - result order: instrument:carriers concatenates the per-instance lists
//     in the order the scanners' messages arrive (last first), which is not
//     deterministic; alloclab lists instances in the order given (System's
//     AllInstances: type, then instance), each instance's carriers in scan
//     order — the order erl_alloc_util.c builds one instance's list in;
//   - allocation tags: a real tag is {Origin, MemoryType}, Origin the NIF
//     module or driver that allocated (else system), MemoryType the
//     ERTS_ALC_T_* name (binary, drv_binary, driver, ...). Traces carry
//     neither, so every tagged block has origin system and the allocator
//     type's name (binary_alloc, driver_alloc) as its type. Tagged blocks
//     are all blocks of instances with atags enabled (binary_alloc and
//     driver_alloc by default);
//   - maps: the term model (alloc_info_term.go) has no maps, so
//     InstrumentAllocations writes each map as the list maps:to_list/1
//     would give, [{Key, Value}] in key order; Allocations.String prints
//     the real #{...} syntax as ~w does.
//   - bad options: instrument raises badarg for a histogram_start outside
//     1..2^28 or a histogram_width outside 1..32; the Term functions return
//     {error, badarg} instead, the structured ones an error.

import (
	"fmt"
	"math/bits"
	"sort"
	"strings"

	"alloclab/allocator"
	"alloclab/carriers"
)

// Defaults of instrument:carriers/0 and instrument:allocations/0.
const (
	CarriersHistStart    = 512
	CarriersHistWidth    = 14
	AllocationsHistStart = 128
	AllocationsHistWidth = 18
)

// blockscanBailout is BLOCKSCAN_BAILOUT_THRESHOLD: a carrier scan stops
// after this many blocks.
const blockscanBailout = 16000

// HistogramSlot is the slot of a size in a histogram starting at start
// with width slots: min(floor(log2(floor(size/start)+1)), width-1).
func HistogramSlot(size, start uint64, width int) int {
	return min(bits.Len64(size/start+1)-1, width-1)
}

// checkHist applies dispatch_gather's guard.
func checkHist(start, width int) error {
	if start < 1 || start > 1<<28 {
		return fmt.Errorf("histogram_start %d: must be 1..%d", start, 1<<28)
	}
	if width < 1 || width > 32 {
		return fmt.Errorf("histogram_width %d: must be 1..32", width)
	}
	return nil
}

// CarrierBlocks is one {BlockType, Count, Size} of a carrier.
type CarrierBlocks struct {
	Type        string
	Count, Size uint64
}

// CarrierInfo is one carrier of instrument:carriers:
// {AllocatorType, InPool, TotalSize, UnscannedSize, Blocks, FreeHist}.
type CarrierInfo struct {
	Allocator string
	InPool    bool
	Size      uint64
	Unscanned uint64
	Blocks    []CarrierBlocks
	FreeHist  []uint64
}

// scanMBC walks an MBC's blocks as the block scanner does and calls fn for
// each scanned block; it returns the bytes left unscanned after the
// bailout.
func scanMBC(h *carriers.Heap, c int32, fn func(b *carriers.Block)) (unscanned uint64) {
	cr := &h.Carriers[c]
	scanned := h.Blocks[cr.First].Addr - cr.Addr // MBC header
	n := 1
	for b := cr.First; ; n++ {
		blk := &h.Blocks[b]
		scanned += blk.Size()
		fn(blk)
		if n >= blockscanBailout {
			return cr.Size - scanned
		}
		if blk.Next == carriers.Nil {
			return 0
		}
		b = blk.Next
	}
}

// CarrierInfos returns the carriers of insts as instrument:carriers
// reports them, with the histogram start and width asked for.
func CarrierInfos(h *carriers.Heap, insts []*allocator.Instance, start, width int) ([]CarrierInfo, error) {
	if err := checkHist(start, width); err != nil {
		return nil, err
	}
	slotStart := uint64(start) * 2 // gather_carrier_info doubles it
	out := []CarrierInfo{}
	for _, in := range insts {
		name := in.Type.String()
		in.EachCarrier(func(c int32) {
			cr := &h.Carriers[c]
			ci := CarrierInfo{Allocator: name, Size: cr.Size, FreeHist: make([]uint64, width),
				InPool: cr.PoolFlags&carriers.InPool != 0}
			if cr.SBC {
				ci.Blocks = []CarrierBlocks{{name, 1, cr.Size}}
			} else {
				for t, k := range cr.ByType {
					if k.N > 0 {
						ci.Blocks = append(ci.Blocks, CarrierBlocks{allocator.Type(t).String(), k.N, k.Size})
					}
				}
				ci.Unscanned = scanMBC(h, c, func(b *carriers.Block) {
					if b.Free() {
						ci.FreeHist[HistogramSlot(b.Size(), slotStart, width)]++
					}
				})
			}
			out = append(out, ci)
		})
	}
	return out, nil
}

// Term is the carrier's tuple.
func (ci *CarrierInfo) Term() Term {
	bs := make([]Term, len(ci.Blocks))
	for i, b := range ci.Blocks {
		bs[i] = Tup(Atom(b.Type), IntFrom(b.Count), IntFrom(b.Size))
	}
	return Tup(Atom(ci.Allocator), instrBool(ci.InPool), IntFrom(ci.Size), IntFrom(ci.Unscanned),
		Lst(bs...), instrHist(ci.FreeHist))
}

// InstrumentCarriers is instrument:carriers(#{histogram_start => start,
// histogram_width => width}) over insts: {ok, {HistStart, [Carrier]}};
// {error, not_enabled} when there is no instance to scan.
func InstrumentCarriers(h *carriers.Heap, insts []*allocator.Instance, start, width int) Term {
	cis, err := CarrierInfos(h, insts, start, width)
	if err != nil {
		return Tup(Atom("error"), Atom("badarg"))
	}
	if len(insts) == 0 {
		return Tup(Atom("error"), Atom("not_enabled"))
	}
	cs := make([]Term, len(cis))
	for i := range cis {
		cs[i] = cis[i].Term()
	}
	return Tup(Atom("ok"), Tup(IntFrom(start), Lst(cs...)))
}

// AllocationHistogram is one Origin => #{Type => Histogram} entry.
type AllocationHistogram struct {
	Origin, Type string
	Hist         []uint64
}

// Allocations is instrument:allocations' {HistStart, UnscannedBytes,
// #{Origin => #{Type => Histogram}}}, the histograms sorted by origin and
// type (the maps' key order).
type Allocations struct {
	HistStart  int
	Unscanned  uint64
	Histograms []AllocationHistogram
	enabled    bool
}

// AllocationHistograms scans insts as instrument:allocations does: every
// allocated block carrying an allocation tag (every block of an instance
// with atags) counted by block size, per (origin, type), merged over
// instances.
func AllocationHistograms(h *carriers.Heap, insts []*allocator.Instance, start, width int) (*Allocations, error) {
	if err := checkHist(start, width); err != nil {
		return nil, err
	}
	a := &Allocations{HistStart: start, enabled: len(insts) > 0}
	hists := map[[2]string][]uint64{}
	add := func(origin, typ string, size uint64) {
		k := [2]string{origin, typ}
		hs := hists[k]
		if hs == nil {
			hs = make([]uint64, width)
			hists[k] = hs
		}
		hs[HistogramSlot(size, uint64(start), width)]++
	}
	for _, in := range insts {
		tagged := in.Opts.ATags
		name := in.Type.String()
		in.EachCarrier(func(c int32) {
			cr := &h.Carriers[c]
			if cr.SBC {
				if tagged {
					add("system", name, h.Blocks[cr.First].Size())
				}
				return
			}
			a.Unscanned += scanMBC(h, c, func(b *carriers.Block) {
				if tagged && !b.Free() {
					add("system", allocator.Type(b.Type()).String(), b.Size())
				}
			})
		})
	}
	for k, hs := range hists {
		a.Histograms = append(a.Histograms, AllocationHistogram{k[0], k[1], hs})
	}
	sort.Slice(a.Histograms, func(i, j int) bool {
		x, y := a.Histograms[i], a.Histograms[j]
		if x.Origin != y.Origin {
			return x.Origin < y.Origin
		}
		return x.Type < y.Type
	})
	return a, nil
}

// groups returns the histograms grouped by origin, in order.
func (a *Allocations) groups() [][]AllocationHistogram {
	var out [][]AllocationHistogram
	for i, hg := range a.Histograms {
		if i == 0 || hg.Origin != a.Histograms[i-1].Origin {
			out = append(out, nil)
		}
		out[len(out)-1] = append(out[len(out)-1], hg)
	}
	return out
}

// Term is {ok, {HistStart, Unscanned, Maps}} with each map written as its
// maps:to_list/1 list (the term model has no maps), or {error,
// not_enabled} when nothing was scanned.
func (a *Allocations) Term() Term {
	if !a.enabled {
		return Tup(Atom("error"), Atom("not_enabled"))
	}
	origins := []Term{}
	for _, g := range a.groups() {
		types := make([]Term, len(g))
		for i, hg := range g {
			types[i] = Tup(Atom(hg.Type), instrHist(hg.Hist))
		}
		origins = append(origins, Tup(Atom(g[0].Origin), Lst(types...)))
	}
	return Tup(Atom("ok"), Tup(IntFrom(a.HistStart), IntFrom(a.Unscanned), Lst(origins...)))
}

// String writes the result as io:format("~w", [Result]) does, maps as
// #{K => V,...}.
func (a *Allocations) String() string {
	if !a.enabled {
		return "{error,not_enabled}"
	}
	var b strings.Builder
	fmt.Fprintf(&b, "{ok,{%d,%d,#{", a.HistStart, a.Unscanned)
	for i, g := range a.groups() {
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteString(QuoteAtom(g[0].Origin) + " => #{")
		for j, hg := range g {
			if j > 0 {
				b.WriteByte(',')
			}
			b.WriteString(QuoteAtom(hg.Type) + " => " + WriteTerm(instrHist(hg.Hist)))
		}
		b.WriteByte('}')
	}
	b.WriteString("}}}")
	return b.String()
}

// InstrumentAllocations is instrument:allocations(#{histogram_start =>
// start, histogram_width => width}) over insts, as a term (maps as lists,
// see Allocations.Term); {error, badarg} for options out of range.
func InstrumentAllocations(h *carriers.Heap, insts []*allocator.Instance, start, width int) Term {
	a, err := AllocationHistograms(h, insts, start, width)
	if err != nil {
		return Tup(Atom("error"), Atom("badarg"))
	}
	return a.Term()
}

func instrHist(h []uint64) Term {
	es := make([]Term, len(h))
	for i, n := range h {
		es[i] = IntFrom(n)
	}
	return Tup(es...)
}

func instrBool(v bool) Term {
	if v {
		return Atom("true")
	}
	return Atom("false")
}
