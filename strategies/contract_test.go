package strategies_test

import (
	"fmt"
	"testing"

	"pgregory.net/rapid"

	"alloclab/carriers"
	"alloclab/strategies"
)

// A shared contract, run against all ten strategies through the Strategy
// interface on hand-built heaps (strategies.BuildHeap, export_test.go):
//
//   - Get on an empty structure (with or without carriers) returns Nil;
//   - Get returns a linked block of at least the size asked for, and
//     unlinks it; Unlink removes exactly the block; Check counts what is
//     linked;
//   - linking N blocks and draining with Get(minimum block) returns every
//     block exactly once;
//   - random Link/Unlink/Get sequences (with and without realloc
//     candidates) give exactly the block the strategy's reference model
//     (model_test.go) gives, which also covers "Nil only when nothing fits"
//     for the exhaustive strategies and the head/mbsd limits of af and gf.
//
// Then table tests pin each strategy's tie-break and candidate rules with
// states whose answer follows from reading the rule
// (/tmp/notes/strategies.md, erts-alloc-facts §5).
//
// The random tests use rapid's default 100 checks (well under a second);
// hunt with e.g.
//
//	go test ./strategies -run 'TestContract' -rapid.checks=20000 -rapid.nofailfile
//
// Get is only exercised with sizes >= the strategy's minimum block, as the
// instance calls it (a block size is never smaller).

const nilB = carriers.Nil

func TestContractEmpty(t *testing.T) {
	for _, k := range strategies.All {
		t.Run(k.String(), func(t *testing.T) {
			f := strategies.BuildHeap(t, k, nil)
			for _, w := range []uint64{k.MinBlockSize(), 1000, 1 << 20} {
				if b := f.Get(w); b != nilB {
					t.Fatalf("Get(%d) on an empty strategy = %d", w, b)
				}
			}
			// Carriers registered, blocks all allocated or unlinked.
			f = strategies.BuildHeap(t, k, []strategies.CarrierSpec{
				{Addr: 0x200000, Blocks: []strategies.Blk{{64, 'a'}, {1000, 'u'}, {64, 'a'}}},
				{Addr: 0x100000, Blocks: []strategies.Blk{{5000, 'u'}}},
			})
			f.MustCheck()
			for _, w := range []uint64{k.MinBlockSize(), 1000} {
				if b := f.Get(w); b != nilB {
					t.Fatalf("Get(%d) with nothing linked = %d", w, b)
				}
			}
			// Link and unlink everything again: empty again.
			f.Link(f.B[0][1])
			f.Link(f.B[1][0])
			f.MustCheck()
			f.Unlink(f.B[1][0])
			f.Unlink(f.B[0][1])
			f.MustCheck()
			if b := f.Get(k.MinBlockSize()); b != nilB {
				t.Fatalf("Get after unlinking everything = %d", b)
			}
		})
	}
}

// drawHeap draws 1..4 carriers at distinct addresses (created in a random
// order, so birth order and address order differ) holding blocks of
// clustered sizes (many ties) in every gf range; free blocks are left
// unlinked ('u').
func drawHeap(t *rapid.T, k strategies.Kind) *strategies.Fixture {
	nc := rapid.IntRange(1, 4).Draw(t, "carriers")
	addrs := rapid.Permutation([]uint64{0x1000000, 0x2000000, 0x3000000, 0x4000000, 0x7f000000}).Draw(t, "addrs")
	var specs []strategies.CarrierSpec
	for i := 0; i < nc; i++ {
		specs = append(specs, drawCarrier(t, k, addrs[i]))
	}
	mbsd := rapid.Uint64Range(1, 4).Draw(t, "mbsd")
	sbct := rapid.SampledFrom([]uint64{16 << 10, 57895, 100000, 512 << 10, 2 << 20}).Draw(t, "sbct")
	f := strategies.BuildHeap(t, k, specs, func(e *strategies.Env) { e.MBSD, e.SBCT = mbsd, sbct })
	if lam := rapid.IntRange(-1, nc-1).Draw(t, "lastAux"); lam >= 0 {
		f.Env.LastAux = f.Crrs[lam]
	}
	return f
}

// drawCarrier draws the blocks of one carrier at addr.
func drawCarrier(t *rapid.T, k strategies.Kind, addr uint64) strategies.CarrierSpec {
	min := k.MinBlockSize()
	sizeGen := rapid.Custom(func(t *rapid.T) uint64 {
		switch rapid.IntRange(0, 9).Draw(t, "range") {
		case 0, 1, 2, 3:
			return min + 8*rapid.Uint64Range(0, 4).Draw(t, "tiny") // lots of ties
		case 4, 5:
			return min + 8*rapid.Uint64Range(0, 70).Draw(t, "small")
		case 6:
			return 8 * rapid.Uint64Range(69, 1100).Draw(t, "b-range")
		case 7:
			return 8 * rapid.Uint64Range(1093, 7300).Draw(t, "c-range")
		case 8:
			return 8 * rapid.Uint64Range(7237, 100000).Draw(t, "d-range")
		default:
			return 8 * rapid.Uint64Range(100000, 200000).Draw(t, "huge")
		}
	})
	n := rapid.IntRange(1, 12).Draw(t, "blocks")
	var bl []strategies.Blk
	for j := 0; j < n; j++ {
		st := byte('u')
		if rapid.IntRange(0, 3).Draw(t, "allocated") == 0 {
			st = 'a'
		}
		bl = append(bl, strategies.Blk{Size: sizeGen.Draw(t, "size"), State: st})
	}
	return strategies.CarrierSpec{Addr: addr, Blocks: bl}
}

// allBlocks lists every block of the fixture, and the free ones.
func allBlocks(f *strategies.Fixture) (all, free []int32) {
	for _, row := range f.B {
		for _, b := range row {
			all = append(all, b)
			if f.Heap.Blk(b).Free() {
				free = append(free, b)
			}
		}
	}
	return
}

// TestContractDrain: link every free block in a random order, then
// Get(minimum block) until Nil: each comes back exactly once, and Check's
// count follows.
func TestContractDrain(t *testing.T) {
	for _, k := range strategies.All {
		t.Run(k.String(), func(t *testing.T) {
			rapid.Check(t, func(t *rapid.T) {
				f := drawHeap(t, k)
				_, free := allBlocks(f)
				for _, b := range rapid.Permutation(free).Draw(t, "link-order") {
					f.Link(b)
					f.MustCheck()
				}
				seen := map[int32]bool{}
				for {
					b := f.Get(k.MinBlockSize())
					if b == nilB {
						break
					}
					if seen[b] {
						t.Fatalf("block %d returned twice", b)
					}
					seen[b] = true
					f.MustCheck()
				}
				if len(seen) != len(free) || len(f.Linked) != 0 {
					t.Fatalf("drained %d of %d blocks; %d still linked", len(seen), len(free), len(f.Linked))
				}
			})
		})
	}
}

// TestContractModel: random Link/Unlink/Get sequences against the
// reference model.
func TestContractModel(t *testing.T) {
	for _, k := range strategies.All {
		t.Run(k.String(), func(t *testing.T) {
			rapid.Check(t, func(t *rapid.T) { runModel(t, k) })
		})
	}
}

func runModel(t *rapid.T, k strategies.Kind) {
	f := drawHeap(t, k)
	m := newRef(k, f)
	removed := map[int]bool{} // carriers (positions in f.Crrs) no longer employed
	usedAddr := map[uint64]bool{}
	for _, c := range f.Crrs {
		usedAddr[f.Heap.Crr(c).Addr] = true
	}
	exhaustive := k != strategies.GF && k != strategies.AF
	var log []string
	fail := func(format string, args ...any) {
		t.Helper()
		t.Fatalf("%v (mbsd %d, sbct %d, lastAux %d): %s\noperations:\n  %s", k, f.Env.MBSD, f.Env.SBCT, f.Env.LastAux,
			fmt.Sprintf(format, args...), joinLines(log))
	}
	desc := func(b int32) string {
		if b == nilB {
			return "Nil"
		}
		x := f.Heap.Blk(b)
		return fmt.Sprintf("%d{sz %d @%#x c%d}", b, x.Size(), x.Addr, x.Crr)
	}
	n := rapid.IntRange(1, 120).Draw(t, "ops")
	for i := 0; i < n; i++ {
		// Blocks of employed carriers: all (candidates), free ones
		// linked or not.
		var all, unlinked, linked []int32
		var employed []int
		for ci, row := range f.B {
			if removed[ci] {
				continue
			}
			employed = append(employed, ci)
			for _, b := range row {
				all = append(all, b)
				switch {
				case f.Linked[b]:
					linked = append(linked, b)
				case f.Heap.Blk(b).Free():
					unlinked = append(unlinked, b)
				}
			}
		}
		ops := []string{"get", "add-carrier", "lastaux"}
		if len(unlinked) > 0 {
			ops = append(ops, "link", "link", "link", "link")
		}
		if len(linked) > 0 {
			ops = append(ops, "unlink", "get", "get", "get")
		}
		if len(employed) > 1 {
			ops = append(ops, "remove-carrier")
		}
		switch rapid.SampledFrom(ops).Draw(t, "op") {
		case "link":
			b := rapid.SampledFrom(unlinked).Draw(t, "link-blk")
			log = append(log, "link "+desc(b))
			f.Link(b)
			m.link(b)
		case "unlink":
			b := rapid.SampledFrom(linked).Draw(t, "unlink-blk")
			log = append(log, "unlink "+desc(b))
			f.Unlink(b)
			m.unlink(b)
		case "add-carrier":
			addr := 0x1000000 * rapid.Uint64Range(1, 0x80).Draw(t, "new-addr")
			if usedAddr[addr] {
				continue
			}
			usedAddr[addr] = true
			ci := f.AddCarrier(drawCarrier(t, k, addr))
			m.addCarrier(f.Crrs[ci])
			log = append(log, fmt.Sprintf("add carrier %d @%#x birth %d", f.Crrs[ci], addr, f.Heap.Crr(f.Crrs[ci]).Birth))
		case "remove-carrier":
			ci := rapid.SampledFrom(employed).Draw(t, "remove")
			for _, b := range f.B[ci] {
				if f.Linked[b] {
					f.Unlink(b)
					m.unlink(b)
				}
			}
			f.RemoveCarrier(ci)
			m.removeCarrier(f.Crrs[ci])
			removed[ci] = true
			if f.Env.LastAux == f.Crrs[ci] {
				f.Env.LastAux = nilB
			}
			log = append(log, fmt.Sprintf("remove carrier %d", f.Crrs[ci]))
		case "lastaux":
			f.Env.LastAux = nilB
			if j := rapid.IntRange(-1, len(employed)-1).Draw(t, "lastaux-crr"); j >= 0 {
				f.Env.LastAux = f.Crrs[employed[j]]
			}
			log = append(log, fmt.Sprintf("last aux = %d", f.Env.LastAux))
		case "get":
			var w uint64
			if len(linked) > 0 && rapid.Bool().Draw(t, "near-existing") {
				s := f.Size(rapid.SampledFrom(linked).Draw(t, "near-blk"))
				w = max(k.MinBlockSize(), s-8+8*rapid.Uint64Range(0, 2).Draw(t, "delta"))
			} else {
				w = k.MinBlockSize() + 8*rapid.Uint64Range(0, 200000).Draw(t, "w")
			}
			cand, candSize := nilB, uint64(0)
			if rapid.IntRange(0, 2).Draw(t, "with-cand") == 0 {
				// The runtime's candidates: the allocated block being
				// resized, or its free (linked) previous block.
				cand = rapid.SampledFrom(all).Draw(t, "cand")
				candSize = f.Size(cand) + 8*rapid.Uint64Range(0, 2000).Draw(t, "cand-extra")
			}
			want := m.get(w, cand, candSize)
			got := f.GetCand(w, cand, candSize)
			log = append(log, fmt.Sprintf("get(%d, cand %s, %d) = %s", w, desc(cand), candSize, desc(got)))
			if got != want {
				fail("Get(%d, cand %s, candSize %d) = %s, the model says %s", w, desc(cand), candSize, desc(got), desc(want))
			}
			if got == nilB && cand == nilB && exhaustive {
				for b := range f.Linked {
					if f.Size(b) >= w {
						fail("Get(%d) = Nil but block %s fits", w, desc(b))
					}
				}
			}
		}
		if n, err := f.S.Check(); err != nil || n != m.count() || n != len(f.Linked) {
			fail("Check = %d, %v; model %d, linked %d", n, err, m.count(), len(f.Linked))
		}
	}
}

func joinLines(s []string) string {
	if len(s) > 60 {
		s = s[len(s)-60:]
	}
	out := ""
	for i, l := range s {
		if i > 0 {
			out += "\n  "
		}
		out += l
	}
	return out
}

// ---------------------------------------------------------------------
// Table tests: tie-break rules.

type blk = strategies.Blk
type crr = strategies.CarrierSpec

func build(t *testing.T, k strategies.Kind, specs []crr, env ...func(*strategies.Env)) *strategies.Fixture {
	t.Helper()
	return strategies.BuildHeap(t, k, specs, env...)
}

// expectGets calls Get(w) for each wanted block in turn.
func expectGets(t *testing.T, f *strategies.Fixture, w uint64, want ...int32) {
	t.Helper()
	for i, b := range want {
		if got := f.Get(w); got != b {
			t.Fatalf("%v: Get #%d (%d) = %d, want %d", f.Kind, i+1, w, got, b)
		}
		f.MustCheck()
	}
}

// Three equal-size blocks A, B, C of one carrier (separated by allocated
// blocks), linked A, B, C.
func equalABC(t *testing.T, k strategies.Kind) (*strategies.Fixture, int32, int32, int32) {
	f := build(t, k, []crr{{Addr: 0x100000, Blocks: []blk{
		{64, 'a'}, {200, 'u'}, {64, 'a'}, {200, 'u'}, {64, 'a'}, {200, 'u'}, {64, 'a'}}}})
	a, b, c := f.B[0][1], f.B[0][3], f.B[0][5]
	f.Link(a)
	f.Link(b)
	f.Link(c)
	f.MustCheck()
	return f, a, b, c
}

func TestTieBF(t *testing.T) {
	// Classes read [node, newest, ..., oldest]; Get gives the first member:
	// A, B, C linked -> [A, C, B] -> C, B, A.
	f, a, b, c := equalABC(t, strategies.BF)
	expectGets(t, f, 200, c, b, a)
	expectGets(t, f, 200, nilB)

	// A removed by coalescing first -> [C, B] (C the node) -> B, then C.
	f, a, b, c = equalABC(t, strategies.BF)
	f.Unlink(a)
	expectGets(t, f, 200, b, c)

	// Smallest size wins over link order; a smaller request for the class
	// still gets the class.
	f, a, b, c = equalABC(t, strategies.BF)
	expectGets(t, f, 137, c)
}

func TestTieAOFFCBF(t *testing.T) {
	for _, k := range []strategies.Kind{strategies.AOFFCBF, strategies.AGEFFCBF} {
		// The node first, then the newest member takes its place:
		// [A, C, B] -> A, C, B.
		f, a, b, c := equalABC(t, k)
		expectGets(t, f, 200, a, c, b)

		// D linked after A was taken: [C, D, B] -> C, D, B.
		f, a, b, c = equalABC(t, k)
		expectGets(t, f, 200, a)
		f.Link(a) // a plays D: a fresh block of that size
		expectGets(t, f, 200, c, a, b)
	}
}

func TestTieAOBF(t *testing.T) {
	// Equal sizes in three carriers, linked in an order unrelated to the
	// addresses: the lowest address wins, across carriers; smaller sizes
	// first.
	specs := []crr{
		{Addr: 0x300000, Blocks: []blk{{64, 'a'}, {512, 'u'}, {64, 'a'}, {256, 'u'}}},
		{Addr: 0x100000, Blocks: []blk{{512, 'u'}, {64, 'a'}}},
		{Addr: 0x200000, Blocks: []blk{{64, 'a'}, {512, 'u'}, {64, 'a'}, {256, 'u'}}},
	}
	f := build(t, strategies.AOBF, specs)
	for _, b := range []int32{f.B[0][1], f.B[2][1], f.B[1][0], f.B[0][3], f.B[2][3]} {
		f.Link(b)
	}
	expectGets(t, f, 256, f.B[2][3], f.B[0][3], f.B[1][0], f.B[2][1], f.B[0][1], nilB)
}

func TestTieAOFF(t *testing.T) {
	// aoff: the lowest-address fitting block of the lowest-address carrier
	// that has one, whatever the sizes; carriers created high to low.
	specs := []crr{
		{Addr: 0x300000, Blocks: []blk{{64, 'a'}, {304, 'f'}}},                                     // created first
		{Addr: 0x100000, Blocks: []blk{{200, 'f'}, {64, 'a'}, {5000, 'f'}, {64, 'a'}, {400, 'f'}}}, // lowest address
		{Addr: 0x200000, Blocks: []blk{{64, 'a'}, {256, 'f'}}},
	}
	f := build(t, strategies.AOFF, specs)
	// 256 wanted: 0x100000 holds 5000 (lower) and 400: 5000 wins.
	expectGets(t, f, 256, f.B[1][2], f.B[1][4], f.B[2][1], f.B[0][1], nilB)

	// aoffcaobf: lowest-address carrier with a fit, best fit inside it
	// (a better fit in a higher carrier is ignored).
	f = build(t, strategies.AOFFCAOBF, specs)
	expectGets(t, f, 256, f.B[1][4], f.B[1][2], f.B[2][1], f.B[0][1], nilB)
	// aoffcbf: the same carrier choice.
	f = build(t, strategies.AOFFCBF, specs)
	expectGets(t, f, 256, f.B[1][4], f.B[1][2], f.B[2][1], f.B[0][1])
}

func TestTieAGEFF(t *testing.T) {
	// The oldest carrier (lowest Birth) wins even at a higher address; the
	// aoff* counterparts take the lowest address.
	specs := []crr{
		{Addr: 0x900000, Blocks: []blk{{64, 'a'}, {1000, 'f'}, {64, 'a'}, {304, 'f'}}}, // Birth 1
		{Addr: 0x100000, Blocks: []blk{{304, 'f'}, {64, 'a'}}},                         // Birth 2
		{Addr: 0x500000, Blocks: []blk{{304, 'f'}, {64, 'a'}}},                         // Birth 3
	}
	cases := []struct {
		k     strategies.Kind
		first func(f *strategies.Fixture) int32
	}{
		{strategies.AGEFFCAOFF, func(f *strategies.Fixture) int32 { return f.B[0][1] }}, // lowest address in the oldest
		{strategies.AGEFFCBF, func(f *strategies.Fixture) int32 { return f.B[0][3] }},   // best fit in the oldest
		{strategies.AGEFFCAOBF, func(f *strategies.Fixture) int32 { return f.B[0][3] }},
		{strategies.AOFF, func(f *strategies.Fixture) int32 { return f.B[1][0] }},
		{strategies.AOFFCBF, func(f *strategies.Fixture) int32 { return f.B[1][0] }},
		{strategies.AOFFCAOBF, func(f *strategies.Fixture) int32 { return f.B[1][0] }},
	}
	for _, c := range cases {
		f := build(t, c.k, specs)
		if f.Heap.Crr(f.Crrs[0]).Birth >= f.Heap.Crr(f.Crrs[1]).Birth {
			t.Fatalf("births not increasing")
		}
		expectGets(t, f, 304, c.first(f))
	}
	// Once the oldest is drained of fits, the next oldest (0x100000), then
	// 0x500000.
	f := build(t, strategies.AGEFFCAOFF, specs)
	expectGets(t, f, 304, f.B[0][1], f.B[0][3], f.B[1][0], f.B[2][0], nilB)
}

// gf fixtures: block sizes in gf's B range, bucket (s-552)/128+64, where
// one bucket holds several sizes (block sizes are multiples of 8).
func TestTieGF(t *testing.T) {
	gf := strategies.GF
	t.Run("exact fit deeper in the list", func(t *testing.T) {
		// Bucket of 552 (bucket 64, sizes 552..679): linked E(552) then
		// L(680 is bucket 65; use 648) -> list [L, E]: E is exact.
		f := build(t, gf, []crr{{Addr: 0x100000, Blocks: []blk{{552, 'f'}, {64, 'a'}, {648, 'f'}, {64, 'a'}}}})
		expectGets(t, f, 552, f.B[0][0], f.B[0][2])
		// Smaller beats nearer the head: [648, 616, 584] wanting 568.
		f = build(t, gf, []crr{{Addr: 0x100000, Blocks: []blk{{584, 'f'}, {64, 'a'}, {616, 'f'}, {64, 'a'}, {648, 'f'}}}})
		expectGets(t, f, 568, f.B[0][0], f.B[0][2], f.B[0][4])
		// Equal sizes: the one nearer the head (the newest).
		f = build(t, gf, []crr{{Addr: 0x100000, Blocks: []blk{{616, 'f'}, {64, 'a'}, {616, 'f'}, {64, 'a'}, {616, 'f'}}}})
		expectGets(t, f, 568, f.B[0][4], f.B[0][2], f.B[0][0])
	})
	t.Run("mbsd depth", func(t *testing.T) {
		// Bucket 20: the fitting 648 linked first, then three 552s: the
		// list is [552, 552, 552, 648]; wanting 616 with mbsd 3 the 648
		// (4th from the head) is not seen.
		specs := []crr{{Addr: 0x100000, Blocks: []blk{{648, 'f'}, {64, 'a'}, {552, 'f'}, {64, 'a'}, {552, 'f'}, {64, 'a'}, {552, 'f'}, {64, 'a'}}}}
		f := build(t, gf, specs)
		expectGets(t, f, 616, nilB)
		// With mbsd 4 it is.
		f = build(t, gf, specs, func(e *strategies.Env) { e.MBSD = 4 })
		expectGets(t, f, 616, f.B[0][0])
		// With mbsd 3 and a block in a higher bucket, that one is taken.
		specs[0].Blocks = append(specs[0].Blocks, blk{5000, 'f'})
		f = build(t, gf, specs)
		expectGets(t, f, 616, f.B[0][8])
		// mbsd 1: the head only.
		f = build(t, gf, []crr{{Addr: 0x100000, Blocks: []blk{{648, 'f'}, {64, 'a'}, {552, 'f'}, {64, 'a'}}}},
			func(e *strategies.Env) { e.MBSD = 1 })
		expectGets(t, f, 616, nilB)
	})
	t.Run("last aux carrier", func(t *testing.T) {
		// Carrier 1 is the last aux MBC. Off-carrier beats on-carrier even
		// when larger; an exact fit on it is no early return.
		specs := []crr{
			{Addr: 0x100000, Blocks: []blk{{648, 'u'}, {64, 'a'}}},
			{Addr: 0x200000, Blocks: []blk{{552, 'u'}, {64, 'a'}, {584, 'u'}, {64, 'a'}}},
		}
		lam := func(f *strategies.Fixture) { f.Env.LastAux = f.Crrs[1] }
		f := build(t, gf, specs)
		lam(f)
		f.Link(f.B[0][0]) // 648 off
		f.Link(f.B[1][0]) // 552 on, exact
		f.Link(f.B[1][2]) // 584 on; list [584on, 552on, 648off]
		expectGets(t, f, 552, f.B[0][0])
		// Among on-carrier blocks: the smaller (exact 552 is not returned
		// early, but it is the smallest).
		expectGets(t, f, 552, f.B[1][0], f.B[1][2])
		// Without a last aux carrier the exact fit returns at once.
		f = build(t, gf, specs)
		f.Link(f.B[0][0])
		f.Link(f.B[1][0])
		f.Link(f.B[1][2])
		expectGets(t, f, 552, f.B[1][0], f.B[1][2], f.B[0][0])
	})
	t.Run("one higher bucket only", func(t *testing.T) {
		// Own bucket (64) holds only a too-small 552; bucket 65 (680..807)
		// holds a 680 on the last aux carrier; bucket 66 a 808 off it.
		// gf searches bucket 65 only and takes the on-carrier 680.
		specs := []crr{
			{Addr: 0x100000, Blocks: []blk{{552, 'f'}, {64, 'a'}, {808, 'f'}, {64, 'a'}}},
			{Addr: 0x200000, Blocks: []blk{{680, 'f'}, {64, 'a'}}},
		}
		f := build(t, gf, specs)
		f.Env.LastAux = f.Crrs[1]
		expectGets(t, f, 616, f.B[1][0], f.B[0][2], nilB)
		// In the higher bucket, too, only mbsd blocks are looked at: bucket
		// 21 [776, 776, 776, 680] (680 linked first) with mbsd 3 gives a
		// 776 although the 680 is smaller.
		specs = []crr{{Addr: 0x100000, Blocks: []blk{{552, 'f'}, {64, 'a'}, {680, 'f'}, {64, 'a'},
			{776, 'f'}, {64, 'a'}, {776, 'f'}, {64, 'a'}, {776, 'f'}, {64, 'a'}}}}
		f = build(t, gf, specs)
		// Then [776, 776, 680]: the 680 is within reach, an exact fit.
		expectGets(t, f, 616, f.B[0][8], f.B[0][2], f.B[0][6], f.B[0][4], nilB)
	})
}

func TestGFBuckets(t *testing.T) {
	st := strategies.New(strategies.GF, &strategies.Env{Heap: carriers.NewHeap(), LastAux: nilB, MBSD: 3, SBCT: 512 << 10})
	if d, top := strategies.GFIntervalD(st), strategies.GFMaxD(st); d != 11112 || top != 769063 {
		t.Fatalf("sbct 512 KiB: D width %d, top %d; want 11112, 769063", d, top)
	}
	for _, c := range []struct {
		size   uint64
		bucket int
	}{
		{40, 0}, {47, 0}, {48, 1}, {551, 63}, {552, 64}, {679, 64}, {680, 65},
		{8743, 127}, {8744, 128}, {57895, 191}, {57896, 192}, {57896 + 11111, 192},
		{69008, 193}, {757951, 254}, {757952, 255}, {769063, 255}, {769064, 255}, {10 << 20, 255},
	} {
		if got := strategies.GFBucket(st, c.size); got != c.bucket {
			t.Errorf("bucket(%d) = %d, want %d", c.size, got, c.bucket)
		}
	}
	for _, c := range []struct {
		i   int
		min uint64
	}{{0, 40}, {63, 544}, {64, 552}, {127, 8616}, {128, 8744}, {191, 57128}, {192, 57896}, {193, 69008}, {255, 757952}} {
		if got := strategies.GFBucketMin(st, c.i); got != c.min {
			t.Errorf("bucketMin(%d) = %d, want %d", c.i, got, c.min)
		}
	}
	for _, c := range []struct{ sbct, d uint64 }{{2 << 20, 48560}, {57895, 768}, {16 << 10, 768}, {100000, 1008}} {
		s := strategies.New(strategies.GF, &strategies.Env{Heap: carriers.NewHeap(), LastAux: nilB, MBSD: 3, SBCT: c.sbct})
		if d := strategies.GFIntervalD(s); d != c.d {
			t.Errorf("sbct %d: D width %d, want %d", c.sbct, d, c.d)
		}
	}

	// The boundaries seen through Get, with mbsd 1: a block in the wanted
	// size's bucket hides behind a too-small head (bucket min); one in the
	// next bucket is found. Block sizes are multiples of 8, so "last" is
	// the largest one in the lower bucket (the A range, 8 bytes a bucket,
	// has no block smaller than its bucket's minimum).
	for _, c := range []struct{ last, first uint64 }{
		{8736, 8744}, {57888, 57896}, {57896 + 11104, 57896 + 11112}, {757944, 757952},
	} {
		i := strategies.GFBucket(st, c.last)
		head := strategies.GFBucketMin(st, i)
		for _, other := range []uint64{c.last, c.first} {
			f := build(t, strategies.GF, []crr{{Addr: 0x100000, Blocks: []blk{{other, 'f'}, {64, 'a'}, {head, 'f'}, {64, 'a'}}}},
				func(e *strategies.Env) { e.MBSD = 1 })
			want := nilB
			if other == c.first {
				want = f.B[0][0]
			}
			if got := f.Get(c.last); got != want {
				t.Errorf("boundary %d|%d: block %d behind a head of %d, Get(%d) = %d, want %d",
					c.last, c.first, other, head, c.last, got, want)
			}
		}
	}
}

func TestTieAF(t *testing.T) {
	af := strategies.AF
	specs := []crr{{Addr: 0x100000, Blocks: []blk{{1000, 'u'}, {64, 'a'}, {104, 'u'}, {64, 'a'}, {1000, 'u'}, {64, 'a'}, {2000, 'u'}, {64, 'a'}}}}
	big, small, eq, bigger := int32(0), int32(2), int32(4), int32(6)
	f := build(t, af, specs)
	f.Link(f.B[0][big])   // [big]
	f.Link(f.B[0][small]) // head larger: second -> [big, small]
	f.Link(f.B[0][eq])    // equal: new head -> [eq, big, small]
	f.Link(f.B[0][bigger])
	// [bigger, eq, big, small]: heads in turn.
	expectGets(t, f, 50, f.B[0][bigger], f.B[0][eq], f.B[0][big], f.B[0][small], nilB)

	// Head only: a fitting second block is not used. A (1000), S (904),
	// M (104): [A] -> [A, S] -> [A, M, S] (M second: the head is larger)
	// -> unlink A -> [M, S]: Get(500) fails although S fits.
	f = build(t, af, []crr{{Addr: 0x100000, Blocks: []blk{{1000, 'u'}, {64, 'a'}, {904, 'u'}, {64, 'a'}, {104, 'u'}, {64, 'a'}}}})
	a, s, m := f.B[0][0], f.B[0][2], f.B[0][4]
	f.Link(a)
	f.Link(s)
	f.Link(m)
	f.Unlink(a)
	expectGets(t, f, 500, nilB)
	expectGets(t, f, 50, m)
	expectGets(t, f, 500, s, nilB)
}

// ---------------------------------------------------------------------
// Realloc candidates.

func TestCandidates(t *testing.T) {
	// Mostly one carrier holding the candidate (an allocated block, the
	// block being resized) and the one free block that fits (found), in
	// either address order; the candidate's own size and the candSize the
	// instance passes (the block merged with its free neighbours) differ on
	// purpose, to tell which one a rule uses.
	type cs struct {
		name     string
		k        []strategies.Kind
		specs    []crr
		cand     [2]int // carrier, block
		found    [2]int
		w        uint64
		candSize uint64
		wantNil  bool
	}
	one := func(candSz, foundSz uint64, candFirst bool) []crr {
		if candFirst {
			return []crr{{Addr: 0x100000, Blocks: []blk{{candSz, 'a'}, {64, 'a'}, {foundSz, 'f'}, {64, 'a'}}}}
		}
		return []crr{{Addr: 0x100000, Blocks: []blk{{foundSz, 'f'}, {64, 'a'}, {candSz, 'a'}, {64, 'a'}}}}
	}
	var cases []cs
	sizeRule := []strategies.Kind{strategies.BF, strategies.GF}
	cases = append(cases,
		// bf, gf: candidate wins iff candSize <= found size.
		cs{"bf/gf equal", sizeRule, one(304, 400, true), [2]int{0, 0}, [2]int{0, 2}, 350, 400, true},
		cs{"bf/gf smaller", sizeRule, one(304, 400, true), [2]int{0, 0}, [2]int{0, 2}, 350, 392, true},
		cs{"bf/gf larger", sizeRule, one(304, 400, true), [2]int{0, 0}, [2]int{0, 2}, 350, 408, false},
		cs{"bf/gf larger, cand below", sizeRule, one(304, 400, false), [2]int{0, 2}, [2]int{0, 0}, 350, 408, false},
		// aobf: (candSize, cand address) against (size, address).
		cs{"aobf smaller", []strategies.Kind{strategies.AOBF}, one(304, 400, false), [2]int{0, 2}, [2]int{0, 0}, 350, 392, true},
		cs{"aobf equal, cand lower", []strategies.Kind{strategies.AOBF}, one(304, 400, true), [2]int{0, 0}, [2]int{0, 2}, 350, 400, true},
		cs{"aobf equal, cand higher", []strategies.Kind{strategies.AOBF}, one(304, 400, false), [2]int{0, 2}, [2]int{0, 0}, 350, 400, false},
		cs{"aobf larger, cand lower", []strategies.Kind{strategies.AOBF}, one(304, 400, true), [2]int{0, 0}, [2]int{0, 2}, 350, 408, false},
		// aoff, ageffcaoff: address only, sizes ignored.
		cs{"aoff cand lower, huge candSize", []strategies.Kind{strategies.AOFF, strategies.AGEFFCAOFF}, one(304, 400, true), [2]int{0, 0}, [2]int{0, 2}, 350, 1 << 20, true},
		cs{"aoff cand higher, tiny candSize", []strategies.Kind{strategies.AOFF, strategies.AGEFFCAOFF}, one(304, 400, false), [2]int{0, 2}, [2]int{0, 0}, 350, 8, false},
		cs{"aoff cand higher, own size smaller", []strategies.Kind{strategies.AOFF, strategies.AGEFFCAOFF}, one(64, 400, false), [2]int{0, 2}, [2]int{0, 0}, 350, 100, false},
		// cbf/caobf in the same carrier: the candidate's OWN size.
		cs{"cbf/caobf own size smaller, cand higher, candSize huge", []strategies.Kind{strategies.AOFFCBF, strategies.AOFFCAOBF, strategies.AGEFFCBF, strategies.AGEFFCAOBF},
			one(304, 400, false), [2]int{0, 2}, [2]int{0, 0}, 350, 1 << 20, true},
		cs{"cbf/caobf own size larger, cand lower", []strategies.Kind{strategies.AOFFCBF, strategies.AOFFCAOBF, strategies.AGEFFCBF, strategies.AGEFFCAOBF},
			one(504, 400, true), [2]int{0, 0}, [2]int{0, 2}, 350, 8, false},
		cs{"cbf own size equal, cand lower: found block wins", []strategies.Kind{strategies.AOFFCBF, strategies.AGEFFCBF},
			one(400, 400, true), [2]int{0, 0}, [2]int{0, 2}, 350, 400, false},
		cs{"caobf own size equal, cand lower: address", []strategies.Kind{strategies.AOFFCAOBF, strategies.AGEFFCAOBF},
			one(400, 400, true), [2]int{0, 0}, [2]int{0, 2}, 350, 400, true},
		cs{"caobf own size equal, cand higher: address", []strategies.Kind{strategies.AOFFCAOBF, strategies.AGEFFCAOBF},
			one(400, 400, false), [2]int{0, 2}, [2]int{0, 0}, 350, 400, false},
		// Different carriers: address, for every aoff-family member (ageff
		// included: not age). The candidate's carrier is older but higher.
		cs{"aoff family, other carrier, cand higher", []strategies.Kind{strategies.AOFF, strategies.AOFFCBF, strategies.AOFFCAOBF, strategies.AGEFFCAOFF, strategies.AGEFFCBF, strategies.AGEFFCAOBF},
			[]crr{{Addr: 0x900000, Blocks: []blk{{64, 'a'}, {64, 'a'}}}, {Addr: 0x100000, Blocks: []blk{{400, 'f'}, {64, 'a'}}}},
			[2]int{0, 0}, [2]int{1, 0}, 350, 1 << 20, false},
		cs{"aoff family, other carrier, cand lower", []strategies.Kind{strategies.AOFF, strategies.AOFFCBF, strategies.AOFFCAOBF, strategies.AGEFFCAOFF, strategies.AGEFFCBF, strategies.AGEFFCAOBF},
			[]crr{{Addr: 0x900000, Blocks: []blk{{400, 'f'}, {64, 'a'}}}, {Addr: 0x100000, Blocks: []blk{{1000, 'a'}, {64, 'a'}}}},
			[2]int{1, 0}, [2]int{0, 0}, 350, 8, true},
		// af ignores candidates.
		cs{"af ignores a better candidate", []strategies.Kind{strategies.AF}, one(304, 400, true), [2]int{0, 0}, [2]int{0, 2}, 350, 64, false},
	)
	for _, c := range cases {
		for _, k := range c.k {
			t.Run(fmt.Sprintf("%s/%v", c.name, k), func(t *testing.T) {
				f := build(t, k, c.specs)
				cand, found := f.B[c.cand[0]][c.cand[1]], f.B[c.found[0]][c.found[1]]
				want := found
				if c.wantNil {
					want = nilB
				}
				if got := f.GetCand(c.w, cand, c.candSize); got != want {
					t.Fatalf("Get(%d, cand %d (own %d @%#x), candSize %d) = %d, want %d (found block %d of %d @%#x)",
						c.w, cand, f.Size(cand), f.Heap.Blk(cand).Addr, c.candSize, got, want, found, f.Size(found), f.Heap.Blk(found).Addr)
				}
				f.MustCheck()
				if c.wantNil {
					// Nothing was unlinked: the block is still there.
					if got := f.Get(c.w); got != found {
						t.Fatalf("after the candidate won, Get(%d) = %d, want %d", c.w, got, found)
					}
				}
			})
		}
	}
}
