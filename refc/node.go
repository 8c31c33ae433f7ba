package refc

import (
	"fmt"

	"alloclab/allocator"
	"alloclab/carriers"
)

// Config is a node's configuration: what erl's command line would set.
type Config struct {
	// Schedulers is +S (default 2, as every measurement in the facts).
	Schedulers int
	// Flags are +M allocator flags in erl syntax ("+MBatags false").
	Flags string
	// HMBS is +hmbs, the system-wide min_bin_vheap_size in words, rounded
	// up to a heap size (2500 → 2,586, facts §3.3); 0 is the default
	// 46,422.
	HMBS uint64
	// HMS is +hms, min_heap_size in words (default 233).
	HMS uint64
}

// BinID names a Binary in a Node.
type BinID int32

// NoBin marks a heap binary: a reference that is words on a heap only.
const NoBin BinID = -1

// Binary is a refc binary (facts §3.1): its block in binary_alloc holds the
// 24-byte header and Size bytes (the allocated size, orig_size; for a
// writable binary its capacity).
type Binary struct {
	Size     uint64 // orig_size: the payload bytes allocated
	Len      uint64 // bytes written (= Size except for writable binaries)
	Refc     int64  // references: ProcBins in processes and messages, ETS rows
	Block    int32  // the binary_alloc block, or carriers.Nil once freed
	Sched    uint32 // the scheduler that allocated it
	Writable bool   // an append buffer (facts §3.1)
	Extra    uint64 // header bytes beyond the 24 (file binaries, facts §8)
	Origin   string // what made it, for the diagnosis
}

// Node is a simulated BEAM node: its allocators, binaries, processes and
// ETS tables, and a clock.
type Node struct {
	Sys     *allocator.System
	cfg     Config
	minBV   uint64 // system min_bin_vheap_size
	bins    []Binary
	procs   []*Process
	tables  []*Table
	nextPid int
	now     uint64 // nanoseconds

	// binBytes is the ledger of binary_alloc block bytes the model holds:
	// Σ block sizes of live Binaries. The property tests check it against
	// the allocator's statistics (erlang:memory(binary), facts §4).
	binBytes uint64
	// Freed counts Binaries freed, for tests; OnFree, if set, is called
	// with each Binary the moment its count reaches zero.
	Freed  int
	OnFree func(id BinID)
}

// Error is a model operation that cannot be done (bad parameters, an
// allocation the simulated allocators refuse).
type Error struct{ Msg string }

func (e *Error) Error() string { return e.Msg }

func errorf(format string, args ...any) error { return &Error{fmt.Sprintf(format, args...)} }

// NewNode starts a node with configuration cfg.
func NewNode(cfg Config) (*Node, error) {
	if cfg.Schedulers == 0 {
		cfg.Schedulers = 2
	}
	if cfg.Schedulers < 1 || cfg.Schedulers > 1024 {
		return nil, errorf("schedulers %d: must be 1..1024", cfg.Schedulers)
	}
	sys, err := allocator.NewNode(cfg.Schedulers, cfg.Flags)
	if err != nil {
		return nil, errorf("flags %q: %v", cfg.Flags, err)
	}
	for _, t := range []allocator.Type{allocator.Binary, allocator.EHeap, allocator.ETS} {
		if sys.Instances(t) == nil {
			return nil, errorf("flags %q: %v is disabled; the lab needs it", cfg.Flags, t)
		}
	}
	if cfg.HMS == 0 {
		cfg.HMS = DefaultMinHeapSize
	}
	if cfg.HMS > 1<<30 {
		return nil, errorf("+hms %d: too large", cfg.HMS)
	}
	cfg.HMS = NextHeapSize(cfg.HMS)
	minBV := DefaultMinBinVheap
	if cfg.HMBS != 0 {
		if cfg.HMBS > 1<<40 {
			return nil, errorf("+hmbs %d: too large", cfg.HMBS)
		}
		minBV = NextHeapSize(cfg.HMBS)
	}
	// Pids start where a fresh node's first user process would (the
	// facts' samples show <0.79.0> and up).
	return &Node{Sys: sys, cfg: cfg, minBV: minBV, nextPid: 80}, nil
}

// Config returns the node's configuration.
func (n *Node) Config() Config { return n.cfg }

// MinBinVheap is the system's min_bin_vheap_size in words.
func (n *Node) MinBinVheap() uint64 { return n.minBV }

// Now is the simulated clock in nanoseconds.
func (n *Node) Now() uint64 { return n.now }

// Sleep advances the clock by ms milliseconds: the allocators' timers run
// and every delayed deallocation is applied (the facts' "1 s later",
// §2.1).
func (n *Node) Sleep(ms uint64) {
	n.now += ms * 1e6
	n.Sys.Advance(n.now)
	n.Sys.Settle()
}

// Binary returns binary id.
func (n *Node) Binary(id BinID) *Binary { return &n.bins[id] }

// NumBinaries is the number of binaries ever created.
func (n *Node) NumBinaries() int { return len(n.bins) }

// Processes returns the node's processes, dead ones included, by pid.
func (n *Node) Processes() []*Process { return n.procs }

// Tables returns the node's ETS tables, deleted ones included.
func (n *Node) Tables() []*Table { return n.tables }

// newBinary allocates a refc binary of size bytes (+extra header bytes) on
// scheduler sched, with count 0: the caller adds the first reference.
func (n *Node) newBinary(sched uint32, size, extra uint64, origin string) (BinID, error) {
	b, err := n.Sys.Alloc(allocator.Binary, sched, binaryHeader+extra+size, uint64(len(n.bins)))
	if err != nil {
		return NoBin, err
	}
	if b == carriers.Nil {
		return NoBin, errorf("binary_alloc cannot allocate %d bytes (out of memory)", size)
	}
	id := BinID(len(n.bins))
	n.bins = append(n.bins, Binary{Size: size, Len: size, Block: b, Sched: sched, Extra: extra, Origin: origin})
	n.binBytes += n.blockBytes(b)
	return id, nil
}

// blockBytes is the size of binary_alloc block b, header and tag included.
func (n *Node) blockBytes(b int32) uint64 { return n.Sys.Heap().Blocks[b].Size() }

// incr adds a reference to binary id.
func (n *Node) incr(id BinID) {
	if id != NoBin {
		n.bins[id].Refc++
	}
}

// decr drops a reference to binary id, held by something running on
// scheduler sched; at zero the Binary is freed by that scheduler (facts
// §3.2).
func (n *Node) decr(id BinID, sched uint32) {
	if id == NoBin {
		return
	}
	bin := &n.bins[id]
	bin.Refc--
	if bin.Refc < 0 {
		panic(fmt.Sprintf("refc: binary %d count below zero", id))
	}
	if bin.Refc > 0 {
		return
	}
	n.binBytes -= n.blockBytes(bin.Block)
	// Free only errs for a scheduler the node lacks; every process runs on
	// one it has.
	if err := n.Sys.Free(bin.Block, sched); err != nil {
		panic(err)
	}
	bin.Block = carriers.Nil
	n.Freed++
	if n.OnFree != nil {
		n.OnFree(id)
	}
}

// resize reallocates binary id to size bytes on scheduler sched (append
// buffers growing, emasculated writable binaries shrinking).
func (n *Node) resize(id BinID, size uint64, sched uint32) error {
	bin := &n.bins[id]
	old := n.blockBytes(bin.Block)
	nb, err := n.Sys.Realloc(bin.Block, binaryHeader+bin.Extra+size, sched)
	if err != nil {
		return err
	}
	if nb == carriers.Nil {
		return errorf("binary_alloc cannot grow a binary to %d bytes (out of memory)", size)
	}
	bin.Block, bin.Size = nb, size
	n.binBytes = n.binBytes - old + n.blockBytes(nb)
	return nil
}

// LedgerBinaryBytes is Σ block bytes of the live Binaries as the model
// counts them (what erlang:memory(binary) must equal once queued frees
// are applied).
func (n *Node) LedgerBinaryBytes() uint64 { return n.binBytes }

// Memory is erlang:memory() as far as the lab needs it, and the
// allocator-side footprint of binaries.
type Memory struct {
	Binary    uint64 // erlang:memory(binary): binary_alloc blocks (facts §4, §8)
	Processes uint64 // eheap_alloc blocks (a lower bound of the node's, reports/node_memory.go)
	ETS       uint64 // ets_alloc blocks
	// BinaryCarriers is binary_alloc's carriers (mbcs + sbcs + pooled):
	// recon_alloc:memory(allocated_types)'s binary_alloc value.
	BinaryCarriers uint64
}

// Memory reads the allocators' statistics as erlang:memory() does:
// binary_alloc blocks in multiblock and single-block carriers and in the
// allocator's carriers sitting in the carrier pool (facts §8), binary
// blocks in other types' carriers (a shared pool) included.
func (n *Node) Memory() Memory {
	var m Memory
	for _, in := range n.Sys.AllInstances() {
		st := &in.Stats
		own := st.MBCs.BlocksSize.Cur + st.SBCs.BlocksSize.Cur + st.Pool.BlocksSize
		switch in.Type {
		case allocator.Binary:
			m.Binary += own
			m.BinaryCarriers += st.MBCs.CarriersSize.Cur + st.SBCs.CarriersSize.Cur + st.Pool.CarriersSize
		case allocator.EHeap:
			m.Processes += own
		case allocator.ETS:
			m.ETS += own
		}
		if in.Type != allocator.Binary {
			b := int(allocator.Binary)
			m.Binary += st.MBCs.Other[b].BlocksSize.Cur + st.SBCs.Other[b].BlocksSize.Cur + st.Pool.Other[b].Size
		}
	}
	return m
}

// schedFor picks the scheduler of the i-th process: round robin over 1..N,
// as the runtime spreads new processes.
func (n *Node) schedFor(i int) uint32 { return uint32(1 + i%n.cfg.Schedulers) }
