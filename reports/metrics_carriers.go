package reports

// Per-carrier metrics at one moment: each carrier's utilisation, its
// largest free block, its free blocks in instrument:carriers' histogram
// slots, and its blocks in address order (for the carrier map chart) —
// or, when there are too many blocks to keep, only its utilisation per
// address bucket (for the heat map).

import (
	"slices"

	"alloclab/allocator"
	"alloclab/carriers"
)

// MapBuckets is the number of address buckets per carrier of the heat map.
const MapBuckets = 64

// DefaultMapBlocks is the most blocks a CarrierMap keeps one by one.
const DefaultMapBlocks = 4000

// Segment is a block of a carrier: offset from the carrier start, size
// (header included), free or allocated.
type Segment struct {
	Offset uint64 `json:"offset"`
	Size   uint64 `json:"size"`
	Free   bool   `json:"free"`
}

// CarrierView is one carrier.
type CarrierView struct {
	Allocator string `json:"allocator"`
	Instance  int    `json:"instance"`
	Addr      uint64 `json:"addr"`
	Size      uint64 `json:"size"`
	SBC       bool   `json:"sbc"`
	InPool    bool   `json:"in_pool"`
	Blocks    int    `json:"blocks"`       // allocated blocks
	Used      uint64 `json:"used"`         // their bytes, headers included
	FreeBytes uint64 `json:"free_bytes"`   // bytes in free blocks
	MaxFree   uint64 `json:"largest_free"` // largest free block
	// FreeHist counts free blocks in instrument:carriers' slots
	// (CarriersHistStart, CarriersHistWidth: [0,1K), [1K,3K), [3K,7K), …).
	FreeHist []uint64 `json:"free_hist"`
	// Buckets[i] is the fraction of address bucket i (of MapBuckets equal
	// parts of the carrier) covered by allocated blocks (the carrier
	// header counts as allocated).
	Buckets []float64 `json:"-"`
	// Segments are the carrier's blocks in address order, when the map
	// kept them (CarrierMap.Detailed).
	Segments []Segment `json:"-"`
}

// Utilisation is Used / Size.
func (c *CarrierView) Utilisation() float64 { return ratio(c.Used, c.Size) }

// CarrierMap is the carriers of a set of instances in address order.
type CarrierMap struct {
	Carriers []CarrierView
	// Detailed: every carrier has its Segments (the map has at most the
	// block limit it was built with).
	Detailed bool
	// FreeHist sums the carriers' free-block histograms.
	FreeHist []uint64
}

// NewCarrierMap scans the carriers of insts (literal_alloc left out, as in
// the series). maxBlocks bounds the blocks kept one by one (0: the
// default): beyond it the map keeps only the buckets.
func NewCarrierMap(h *carriers.Heap, insts []*allocator.Instance, maxBlocks int) *CarrierMap {
	if maxBlocks <= 0 {
		maxBlocks = DefaultMapBlocks
	}
	m := &CarrierMap{Detailed: true, FreeHist: make([]uint64, CarriersHistWidth)}
	total := 0
	slotStart := uint64(CarriersHistStart) * 2 // as gather_carrier_info (instrument.go)
	for _, in := range reconInstances(insts) {
		in.EachCarrier(func(c int32) {
			cr := &h.Carriers[c]
			v := CarrierView{Allocator: in.Type.String(), Instance: in.Index, Addr: cr.Addr, Size: cr.Size,
				SBC: cr.SBC, InPool: cr.PoolFlags&carriers.InPool != 0,
				FreeHist: make([]uint64, CarriersHistWidth), Buckets: make([]float64, MapBuckets)}
			if cr.First != carriers.Nil {
				v.cover(0, h.Blocks[cr.First].Addr-cr.Addr) // the carrier header
			}
			for b := cr.First; b != carriers.Nil; b = h.Blocks[b].Next {
				blk := &h.Blocks[b]
				off, size := blk.Addr-cr.Addr, blk.Size()
				if blk.Free() {
					v.FreeBytes += size
					v.MaxFree = max(v.MaxFree, size)
					v.FreeHist[HistogramSlot(size, slotStart, CarriersHistWidth)]++
				} else {
					v.Blocks++
					v.Used += size
					v.cover(off, size)
				}
				total++
				if m.Detailed && total <= maxBlocks {
					v.Segments = append(v.Segments, Segment{off, size, blk.Free()})
				}
			}
			for i, n := range v.FreeHist {
				m.FreeHist[i] += n
			}
			m.Carriers = append(m.Carriers, v)
		})
		if total > maxBlocks {
			m.Detailed = false
		}
	}
	if !m.Detailed {
		for i := range m.Carriers {
			m.Carriers[i].Segments = nil
		}
	}
	slices.SortStableFunc(m.Carriers, func(a, b CarrierView) int {
		switch {
		case a.Addr < b.Addr:
			return -1
		case a.Addr > b.Addr:
			return 1
		}
		return 0
	})
	return m
}

// cover adds [off, off+size) to the allocated fraction of the buckets.
func (v *CarrierView) cover(off, size uint64) {
	if v.Size == 0 || size == 0 {
		return
	}
	bw := float64(v.Size) / MapBuckets
	lo, hi := float64(off), float64(min(off+size, v.Size))
	for i := int(lo / bw); i < MapBuckets && float64(i)*bw < hi; i++ {
		s, e := max(lo, float64(i)*bw), min(hi, float64(i+1)*bw)
		if e > s {
			v.Buckets[i] += (e - s) / bw
		}
	}
}
