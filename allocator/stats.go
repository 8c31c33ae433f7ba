package allocator

import "alloclab/carriers"

// Triple is a statistic as system_info({allocator, A}) reports it: the
// current value, the maximum since the last info call, and the maximum
// since start (erts-alloc-facts §8.1).
type Triple struct{ Cur, Max, MaxEver uint64 }

func (t *Triple) add(n uint64) {
	t.Cur += n
	if t.Cur > t.Max {
		t.Max = t.Cur
	}
	if t.Cur > t.MaxEver {
		t.MaxEver = t.Cur
	}
}

func (t *Triple) sub(n uint64) { t.Cur -= n }

// ResetMax is what an info call does after reporting: max := current.
func (t *Triple) ResetMax() { t.Max = t.Cur }

// CarrierStats are the mbcs or sbcs statistics of one instance.
type CarrierStats struct {
	Blocks     Triple // allocated blocks of the instance's own type
	BlocksSize Triple // their sizes, header and tag included
	// Other are the blocks of other allocator types (by type number) in
	// carriers the instance employs: carriers fetched from a pool shared
	// between types (cp, erts-alloc-facts §7.3).
	Other        [carriers.MaxTypes]TypeBlocks
	Carriers     Triple
	CarriersSize Triple
	MsegCarriers uint64
	MsegSize     uint64
	SysCarriers  uint64
	SysSize      uint64
}

// carrierAdded records a new carrier of size bytes.
func (s *CarrierStats) carrierAdded(size uint64, mseg bool) {
	if mseg {
		s.MsegCarriers++
		s.MsegSize += size
	} else {
		s.SysCarriers++
		s.SysSize += size
	}
	s.Carriers.add(1)
	s.CarriersSize.add(size)
}

// carrierRemoved records that a carrier of size bytes went away.
func (s *CarrierStats) carrierRemoved(size uint64, mseg bool) {
	if mseg {
		s.MsegCarriers--
		s.MsegSize -= size
	} else {
		s.SysCarriers--
		s.SysSize -= size
	}
	s.Carriers.sub(1)
	s.CarriersSize.sub(size)
}

// TypeBlocks are the blocks of one allocator type.
type TypeBlocks struct{ Blocks, BlocksSize Triple }

// typed returns the block triples of type t for an instance of type own.
func (s *CarrierStats) typed(own Type, t int) (*Triple, *Triple) {
	if t == int(own) {
		return &s.Blocks, &s.BlocksSize
	}
	return &s.Other[t].Blocks, &s.Other[t].BlocksSize
}

func (s *CarrierStats) blockAdded(size uint64) {
	s.Blocks.add(1)
	s.BlocksSize.add(size)
}

func (s *CarrierStats) blockRemoved(size uint64) {
	s.Blocks.sub(1)
	s.BlocksSize.sub(size)
}

// Calls are the call counters of one instance (§8.1).
type Calls struct {
	Alloc, Free, Realloc                uint64
	MsegAlloc, MsegDealloc, MsegRealloc uint64
	SysAlloc, SysFree, SysRealloc       uint64
}

// Stats are the statistics of one instance.
type Stats struct {
	MBCs  CarrierStats
	SBCs  CarrierStats
	Pool  PoolStats
	Calls Calls
}

// PoolStats are an instance's mbcs_pool statistics (§8.1): its own carriers
// in the carrier pool with their blocks (wherever the pool is), and the
// counters of its fetch attempts (§7.4).
type PoolStats struct {
	Carriers, CarriersSize uint64
	Blocks, BlocksSize     uint64 // of the instance's own type
	// Other are the pooled blocks of other allocator types, by type
	// number (pools shared between types).
	Other [carriers.MaxTypes]carriers.TypeCount

	EntranceRemoved, SkipRace, SkipHomecoming, SkipNotPooled, SkipBusy, SkipSize uint64
	Fetch, Fail, FailPendDealloc, FailShared, FailPooled                         uint64
}

// addBlocks adds (sign > 0) or removes the blocks n of type t to the pool
// statistics of an instance of type own.
func (p *PoolStats) addBlocks(own Type, t int, n carriers.TypeCount, sign int) {
	cnt, size := &p.Blocks, &p.BlocksSize
	if t != int(own) {
		cnt, size = &p.Other[t].N, &p.Other[t].Size
	}
	if sign > 0 {
		*cnt += n.N
		*size += n.Size
	} else {
		*cnt -= n.N
		*size -= n.Size
	}
}
