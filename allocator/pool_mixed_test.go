package allocator_test

import (
	"fmt"
	"testing"

	"alloclab/allocator"
	"alloclab/carriers"
)

// TestPoolMixedBlockOrders: with one carrier pool shared by binary_alloc and
// driver_alloc running different aoff-family strategies, a binary_alloc
// carrier fetched by a driver_alloc instance keeps binary_alloc's block
// order (the runtime's crr->blk_order): driver blocks are placed, freed and
// coalesced in it under that order, for every pair of strategies, with the
// invariant checker after every operation. (A carrier handled with its
// employer's order instead corrupts the equal-size lists of the cbf
// strategies: the checker fails, or the replay loops.)
func TestPoolMixedBlockOrders(t *testing.T) {
	aoffs := []string{"aoff", "aoffcbf", "aoffcaobf", "ageffcaoff", "ageffcbf", "ageffcaobf"}
	for _, b := range aoffs {
		for _, r := range aoffs {
			t.Run(b+"+"+r, func(t *testing.T) { mixedOrders(t, b, r) })
		}
	}
}

func mixedOrders(t *testing.T, bAS, rAS string) {
	sys, err := allocator.NewNode(2, fmt.Sprintf("+MBcp @ +MRcp @ +MBas %s +MRas %s", bAS, rAS))
	if err != nil {
		t.Fatal(err)
	}
	h := sys.Heap()
	check := func(what string, i int) {
		if err := sys.Check(); err != nil {
			t.Fatalf("%s %d: %v", what, i, err)
		}
	}
	// Scheduler 1 fills binary_alloc carriers with blocks of a few sizes
	// (equal sizes make the cbf lists), then frees all but every 40th:
	// the last carrier, nearly empty, goes to the pool.
	var bins []int32
	for i := range 4000 {
		b, err := sys.Alloc(allocator.Binary, 1, uint64(200+(i%5)*100), uint64(i))
		if err != nil || b == carriers.Nil {
			t.Fatalf("alloc %d: %v", i, err)
		}
		bins = append(bins, b)
	}
	var keep []int32
	for i, b := range bins {
		if i%40 == 39 {
			keep = append(keep, b)
			continue
		}
		if err := sys.Free(b, 1); err != nil {
			t.Fatal(err)
		}
		if i%100 == 0 {
			check("binary free", i)
		}
	}
	sys.Settle()
	check("settle", 0)
	// Scheduler 2's driver_alloc instance fetches it and works in it:
	// allocations, frees of every other one, more allocations.
	var drv []int32
	for i := range 3000 {
		b, err := sys.Alloc(allocator.Driver, 2, uint64(300+(i%4)*100), uint64(10000+i))
		if err != nil || b == carriers.Nil {
			t.Fatalf("driver alloc %d: %v", i, err)
		}
		drv = append(drv, b)
		check("driver alloc", i)
	}
	fetched := false
	for _, b := range drv {
		if h.Carriers[h.Blocks[b].Crr].Owner != h.Carriers[h.Blocks[b].Crr].Inst {
			fetched = true
		}
	}
	if !fetched {
		t.Fatal("no driver_alloc block landed in a fetched carrier: the test shows nothing")
	}
	for i := 0; i < len(drv); i += 2 {
		if err := sys.Free(drv[i], 2); err != nil {
			t.Fatal(err)
		}
		check("driver free", i)
	}
	for i, b := range keep {
		if err := sys.Free(b, 1); err != nil {
			t.Fatal(err)
		}
		sys.Settle()
		check("binary free", i)
	}
	for i := 1; i < len(drv); i += 2 {
		if err := sys.Free(drv[i], 2); err != nil {
			t.Fatal(err)
		}
		check("driver free", i)
	}
	sys.Settle()
	check("final settle", 0)
}
