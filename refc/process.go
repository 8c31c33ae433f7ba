package refc

import (
	"fmt"

	"alloclab/allocator"
	"alloclab/carriers"
)

// MFA is a {Module, Function, Arity} for process_info's current_function
// and initial_call.
type MFA struct {
	M, F  string
	Arity int
}

func (m MFA) String() string { return fmt.Sprintf("{%s,%s,%d}", m.M, m.F, m.Arity) }

// SpawnOpts are spawn_opt's options the model knows.
type SpawnOpts struct {
	Name        string // registered name, "" for none
	InitialCall MFA
	Function    MFA // current_function while it waits
	// MinBinVheap is spawn_opt's min_bin_vheap_size; clamped up to the
	// system value (facts §3.3: {min_bin_vheap_size, 1000} shows 46,422).
	MinBinVheap uint64
	// FullsweepAfter is fullsweep_after; nil for the default 65,535.
	FullsweepAfter *uint64
	// OffHeapQueue is message_queue_data = off_heap.
	OffHeapQueue bool
	// Sched pins the process to a scheduler (1..N); 0 spreads round robin.
	Sched uint32
}

// Ref is one thing a process, message or ETS row holds: a ProcBin (a
// reference to Binary Bin, Size bytes of it visible), a sub-binary pinning
// its process's ProcBin Parent, or a heap binary (Bin == NoBin).
type Ref struct {
	Bin    BinID
	Size   uint64 // bytes visible through the reference
	Words  uint64 // heap words it takes
	Parent *Ref   // for a sub-binary: the ProcBin it points into
	live   bool   // reachable from the holder's roots
	pins   int    // live sub-binaries pointing into this ProcBin
	pinned uint64 // the largest slice ever taken of it
	old    bool   // promoted to the old generation
	aged   bool   // survived one collection in the young generation
	listed bool   // on the process's off-heap list (process_info(P, binary))
	owner  *Process
}

// reachable reports whether a collection would keep the ProcBin.
func (r *Ref) reachable() bool { return r.live || r.pins > 0 }

// IsSub reports whether the reference is a sub-binary (a > 64-byte slice).
func (r *Ref) IsSub() bool { return r.Parent != nil }

// Msg is a message: an envelope of Words heap words (a tuple, say) and the
// binaries it carries.
type Msg struct {
	Words  uint64
	Refs   []*Ref
	inHeap bool // copied straight onto an on-heap receiver's heap
	from   *Process
	live   bool // the envelope is still referenced
}

// Process is a BEAM process (facts §3).
type Process struct {
	Pid   int // the middle number of <0.Pid.0>
	Name  string
	Init  MFA
	Func  MFA
	Sched uint32
	node  *Node
	dead  bool

	offheap  []*Ref // ProcBins in the heap, dead ones included (off-heap list)
	queue    []*Msg
	current  []*Msg // received messages still referenced
	offHeapQ bool

	heapSz     uint64 // young heap words (min_heap_size 233)
	used       uint64 // young heap words in use
	live       uint64 // words a collection keeps (roots: state, stack, live refs, messages)
	stack      uint64
	state      uint64
	oldSz      uint64 // old heap words (0: none)
	heapBlk    int32  // eheap_alloc blocks
	oldBlk     int32
	hibernated bool

	// Virtual binary heap (facts §3.3), words.
	vheap, vheapSz       uint64 // young: bin_vheap_size, bin_vheap_block_size
	oldVheap, oldVheapSz uint64 // bin_old_vheap_size, bin_old_vheap_block_size
	minBV                uint64
	fullsweepAfter       uint64
	minorGCs             uint64

	// GCs counts collections (minor and major), for reports and tests.
	GCs, Majors int
}

// stackWords is a waiting process's stack: one frame of the receive loop
// (return address and a saved register).
const stackWords = 2

// Spawn starts a process with options o: a young heap of min_heap_size
// words in eheap_alloc on its scheduler, and the vheap limits at
// max(o.MinBinVheap, system min_bin_vheap_size).
func (n *Node) Spawn(o SpawnOpts) (*Process, error) {
	sched := o.Sched
	if sched == 0 {
		sched = n.schedFor(len(n.procs))
	}
	if int(sched) > n.cfg.Schedulers {
		return nil, errorf("spawn on scheduler %d: the node has %d", sched, n.cfg.Schedulers)
	}
	minBV := max(o.MinBinVheap, n.minBV)
	if o.MinBinVheap > n.minBV {
		minBV = NextHeapSize(o.MinBinVheap)
	}
	p := &Process{
		Pid: n.nextPid, Name: o.Name, Init: o.InitialCall, Func: o.Function, Sched: sched, node: n,
		offHeapQ: o.OffHeapQueue, heapSz: n.cfg.HMS, stack: stackWords,
		vheapSz: minBV, oldVheapSz: minBV, minBV: minBV,
		fullsweepAfter: DefaultFullsweepAfter, heapBlk: carriers.Nil, oldBlk: carriers.Nil,
	}
	if o.FullsweepAfter != nil {
		p.fullsweepAfter = *o.FullsweepAfter
	}
	if p.Func == (MFA{}) {
		p.Func = p.Init
	}
	p.used, p.live = p.stack, p.stack
	b, err := n.Sys.Alloc(allocator.EHeap, sched, p.heapSz*wordSize, uint64(p.Pid))
	if err != nil || b == carriers.Nil {
		return nil, errorf("eheap_alloc cannot allocate a %d-word heap", p.heapSz)
	}
	p.heapBlk = b
	n.nextPid++
	n.procs = append(n.procs, p)
	return p, nil
}

// PidString is "<0.Pid.0>".
func (p *Process) PidString() string { return fmt.Sprintf("<0.%d.0>", p.Pid) }

// Dead reports whether the process has exited.
func (p *Process) Dead() bool { return p.dead }

// QueueLen is message_queue_len.
func (p *Process) QueueLen() int { return len(p.queue) }

// HeapWords is the young and old heap sizes in words (total_heap_size,
// without heap fragments).
func (p *Process) HeapWords() uint64 { return p.heapSz + p.oldSz }

// GCInfo is process_info(P, garbage_collection_info)'s binary fields.
type GCInfo struct {
	BinVheapSize, BinVheapBlockSize       uint64
	BinOldVheapSize, BinOldVheapBlockSize uint64
	HeapSize, OldHeapSize                 uint64
}

// GCInfo returns the process's vheap counters and heap sizes.
func (p *Process) GCInfo() GCInfo {
	return GCInfo{p.vheap, p.vheapSz, p.oldVheap, p.oldVheapSz, p.heapSz, p.oldSz}
}

// alloc takes words from the young heap, collecting first when they do
// not fit (the heap test every BEAM allocation does).
func (p *Process) alloc(words uint64, live bool) error {
	if p.used+words > p.heapSz {
		if err := p.gc(false, words); err != nil {
			return err
		}
	}
	p.used += words
	if live {
		p.live += words
	}
	return nil
}

func (p *Process) checkAlive(op string) error {
	if p.dead {
		return errorf("%s: process %s has exited", op, p.PidString())
	}
	return nil
}

// SetState replaces the process's state with a new term of words heap
// words (the old one becomes garbage).
func (p *Process) SetState(words uint64) error {
	if err := p.checkAlive("set state"); err != nil {
		return err
	}
	p.live -= p.state
	p.state = 0
	if err := p.alloc(words, true); err != nil {
		return err
	}
	p.state = words
	return nil
}

// Work allocates words of short-lived garbage (the loop's own terms).
func (p *Process) Work(words uint64) error {
	if err := p.checkAlive("work"); err != nil {
		return err
	}
	return p.alloc(words, false)
}

// Hold allocates words of live data (a list being built, say).
func (p *Process) Hold(words uint64) error {
	if err := p.checkAlive("hold"); err != nil {
		return err
	}
	return p.alloc(words, true)
}

// addRef links a new live reference into the process: a ProcBin goes on
// the off-heap list and into the young vheap.
func (p *Process) addRef(r *Ref) {
	r.owner, r.live = p, true
	if r.Bin != NoBin && r.Parent == nil {
		r.listed = true
		p.offheap = append(p.offheap, r)
		p.vheap += vheapWords(r.Size)
	}
}

// NewBinary makes a binary of size bytes in the process: a heap binary up
// to 64 bytes, else a refc binary (count 1) and its ProcBin. Like the
// emulator's bs_init, it collects first when the new binary's words would
// take the vheap to its limit (facts §3.3).
func (p *Process) NewBinary(size uint64, origin string) (*Ref, error) {
	return p.newBinary(size, 0, origin)
}

func (p *Process) newBinary(size, extra uint64, origin string) (*Ref, error) {
	if err := p.checkAlive("new binary"); err != nil {
		return nil, err
	}
	if size <= onHeapBinLimit && extra == 0 {
		r := &Ref{Bin: NoBin, Size: size, Words: heapBinWords(size)}
		if err := p.alloc(r.Words, true); err != nil {
			return nil, err
		}
		r.owner, r.live = p, true
		return r, nil
	}
	if p.vheap+vheapWords(size) >= p.vheapSz {
		if err := p.gc(false, 0); err != nil {
			return nil, err
		}
	}
	if err := p.alloc(procBinWords, true); err != nil {
		return nil, err
	}
	id, err := p.node.newBinary(p.Sched, size, extra, origin)
	if err != nil {
		return nil, err
	}
	p.node.incr(id)
	r := &Ref{Bin: id, Size: size, Words: procBinWords}
	p.addRef(r)
	return r, nil
}

// ReadFile is file:read_file/1 of a size-byte file as the file server
// (this process) does it: one refc binary 8 bytes dearer than an ordinary
// one (facts §8), which the caller then receives.
func (p *Process) ReadFile(size uint64) (*Ref, error) {
	return p.newBinary(size, fileBinaryExtra, "file:read_file/1")
}

// Slice is binary_part(R, Off, N) / <<_:Off/binary, X:N/binary, _/binary>>:
// up to 64 bytes a heap-binary copy that does not pin R; above, a
// sub-binary that keeps R's ProcBin — and so the whole Binary — alive as
// long as the slice lives (facts §3.1, §8).
func (p *Process) Slice(r *Ref, n uint64) (*Ref, error) {
	if err := p.checkAlive("slice"); err != nil {
		return nil, err
	}
	if r.owner != p || !r.live {
		return nil, errorf("slice: %s does not hold that binary", p.PidString())
	}
	if n > r.Size {
		return nil, errorf("slice of %d bytes from a %d-byte binary", n, r.Size)
	}
	if n <= onHeapBinLimit || r.Bin == NoBin {
		s := &Ref{Bin: NoBin, Size: n, Words: heapBinWords(n)}
		if err := p.alloc(s.Words, true); err != nil {
			return nil, err
		}
		s.owner, s.live = p, true
		return s, nil
	}
	parent := r
	if r.Parent != nil {
		parent = r.Parent // a sub-binary never points to another (facts §3.1)
	}
	s := &Ref{Bin: r.Bin, Size: n, Words: subBinWords, Parent: parent}
	if err := p.alloc(s.Words, true); err != nil {
		return nil, err
	}
	s.owner, s.live = p, true
	parent.pins++
	parent.pinned = max(parent.pinned, n)
	return s, nil
}

// Copy is binary:copy/1: an exact-size new binary (refc if > 64 bytes)
// holding nothing of R's Binary (facts §3.1).
func (p *Process) Copy(r *Ref) (*Ref, error) {
	if r.owner != p || !r.live {
		return nil, errorf("binary:copy: %s does not hold that binary", p.PidString())
	}
	return p.NewBinary(r.Size, "binary:copy/1")
}

// Append is <<Acc/binary, X:N/binary>>: on a fresh (non-writable) binary a
// new writable binary of max(2×size, 256) bytes; on a writable one the
// bytes go into its spare capacity, the buffer growing to twice the needed
// size when full (facts §3.1). It returns the new accumulator; Acc is
// dropped.
func (p *Process) Append(acc *Ref, n uint64) (*Ref, error) {
	if err := p.checkAlive("append"); err != nil {
		return nil, err
	}
	if acc.owner != p || !acc.live {
		return nil, errorf("append: %s does not hold that binary", p.PidString())
	}
	size := acc.Size + n
	if acc.Bin != NoBin && acc.Parent == nil && p.node.bins[acc.Bin].Writable {
		bin := &p.node.bins[acc.Bin]
		if size > bin.Size {
			if err := p.node.resize(acc.Bin, 2*size, p.Sched); err != nil {
				return nil, err
			}
		}
		bin.Len = size
		p.vheap += vheapWords(size) - vheapWords(acc.Size)
		acc.Size = size
		return acc, nil
	}
	capacity := max(2*size, 256)
	if p.vheap+vheapWords(capacity) >= p.vheapSz {
		if err := p.gc(false, 0); err != nil {
			return nil, err
		}
	}
	if err := p.alloc(procBinWords, true); err != nil {
		return nil, err
	}
	id, err := p.node.newBinary(p.Sched, capacity, 0, "append buffer")
	if err != nil {
		return nil, err
	}
	bin := &p.node.bins[id]
	bin.Writable, bin.Len = true, size
	p.node.incr(id)
	r := &Ref{Bin: id, Size: size, Words: procBinWords}
	p.addRef(r)
	p.Drop(acc)
	return r, nil
}

// emasculate marks a writable binary read-only before it is shared (sent,
// stored in ETS) and shrinks it to its contents (facts §3.1: "marks it
// non-writable and may shrink it"; the model always shrinks).
func (n *Node) emasculate(r *Ref, sched uint32) error {
	if r.Bin == NoBin {
		return nil
	}
	bin := &n.bins[r.Bin]
	if !bin.Writable {
		return nil
	}
	bin.Writable = false
	if bin.Len < bin.Size {
		return n.resize(r.Bin, bin.Len, sched)
	}
	return nil
}

// Drop makes references unreachable: garbage until the next collection
// that covers their generation.
func (p *Process) Drop(refs ...*Ref) {
	for _, r := range refs {
		if r == nil || !r.live || r.owner != p {
			continue
		}
		r.live = false
		p.live -= r.Words
		if r.Parent != nil {
			r.Parent.pins--
		}
	}
}

// Send sends a message of envelope words carrying refs from p to q: each
// binary in it becomes a new ProcBin in the message (count + 1, no data
// copied; a > 64-byte slice becomes a ProcBin of the slice's size into
// the same Binary; heap binaries are copied) (facts §3.2). With an on-heap
// queue the message is copied onto q's heap when it fits there — then
// process_info(Q, binary) lists it at once — else it waits in a heap
// fragment, invisible until received or collected (facts §2.3).
func (p *Process) Send(q *Process, envelope uint64, refs ...*Ref) error {
	if err := p.checkAlive("send"); err != nil {
		return err
	}
	for _, r := range refs {
		if r.owner != p || !r.live {
			return errorf("send: %s does not hold a binary it sends", p.PidString())
		}
	}
	if q.dead {
		return nil // sending to a dead process is not an error in Erlang
	}
	m := &Msg{Words: envelope, live: true, from: p}
	words := envelope
	for _, r := range refs {
		if err := p.node.emasculate(r, p.Sched); err != nil {
			return err
		}
		c := &Ref{Bin: r.Bin, Size: r.Size, Words: procBinWords, owner: q}
		if r.Bin == NoBin {
			c.Words = r.Words
		}
		p.node.incr(c.Bin)
		m.Refs = append(m.Refs, c)
		words += c.Words
	}
	q.queue = append(q.queue, m)
	if !q.offHeapQ && !q.hibernated && q.used+words <= q.heapSz {
		q.place(m)
	}
	return nil
}

// place moves message m into q's heap: its words are used and live, its
// ProcBins join the off-heap list and the vheap.
func (q *Process) place(m *Msg) {
	m.inHeap = true
	q.used += m.Words
	q.live += m.Words
	for _, r := range m.Refs {
		q.used += r.Words
		q.live += r.Words
		q.addRef(r)
	}
}

// Receive takes the oldest message. A message still in a fragment (or an
// off-heap queue) is moved onto the heap now; then, as the runtime does on
// receiving, the process collects when its heap is over full or its vheap
// over the limit (facts §3.3, §8: with an off-heap queue "receiving moves
// the messages onto the heap and triggers collections"). It returns nil
// when the queue is empty.
func (p *Process) Receive() (*Msg, error) {
	if err := p.checkAlive("receive"); err != nil {
		return nil, err
	}
	if len(p.queue) == 0 {
		return nil, nil
	}
	p.hibernated = false
	m := p.queue[0]
	p.queue[0] = nil
	p.queue = p.queue[1:]
	p.current = append(p.current, m)
	if !m.inHeap {
		p.place(m)
	}
	if p.used > p.heapSz || p.vheap > p.vheapSz {
		if err := p.gc(false, 0); err != nil {
			return nil, err
		}
	}
	return m, nil
}

// Done drops a received message's envelope and every binary of it still
// referenced (keep one by slicing or copying it first, or use Keep).
func (p *Process) Done(m *Msg) {
	if !m.live {
		return
	}
	m.live = false
	p.live -= m.Words
	p.Drop(m.Refs...)
	for i, c := range p.current {
		if c == m {
			p.current = append(p.current[:i], p.current[i+1:]...)
			break
		}
	}
}

// Keep drops m's envelope but keeps its binaries referenced (stored in the
// state).
func (p *Process) Keep(m *Msg) {
	refs := m.Refs
	m.Refs = nil
	p.Done(m)
	m.Refs = refs
}

// Exit ends the process: every reference it holds, in its heap and its
// queue, is dropped at once (facts §3.2), its heaps go back to
// eheap_alloc, and the ETS tables it owns are deleted.
func (p *Process) Exit() {
	if p.dead {
		return
	}
	n := p.node
	for _, r := range p.offheap {
		n.decr(r.Bin, p.Sched)
	}
	for _, m := range p.queue {
		if !m.inHeap {
			for _, r := range m.Refs {
				n.decr(r.Bin, p.Sched)
			}
		}
	}
	p.offheap, p.queue, p.current = nil, nil, nil
	p.freeHeap(&p.heapBlk)
	p.freeHeap(&p.oldBlk)
	p.heapSz, p.oldSz, p.used, p.live, p.vheap, p.oldVheap = 0, 0, 0, 0, 0, 0
	p.dead = true
	for _, t := range n.tables {
		if t.Owner == p && !t.deleted {
			t.deleteAll(p.Sched)
		}
	}
}

func (p *Process) freeHeap(b *int32) {
	if *b != carriers.Nil {
		if err := p.node.Sys.Free(*b, p.Sched); err != nil {
			panic(err)
		}
		*b = carriers.Nil
	}
}

// BinaryList is process_info(P, binary): one {Address, OrigSize, RefCount}
// per ProcBin on the off-heap list, dead ones included until collected
// (facts §2.2). Messages waiting in fragments are not on it (§2.3).
func (p *Process) BinaryList() []BinEntry {
	if p.dead {
		return nil
	}
	out := make([]BinEntry, 0, len(p.offheap))
	for _, r := range p.offheap {
		b := &p.node.bins[r.Bin]
		out = append(out, BinEntry{Bin: r.Bin, OrigSize: b.Size, Refc: b.Refc})
	}
	return out
}

// BinEntry is one element of process_info(P, binary).
type BinEntry struct {
	Bin      BinID
	OrigSize uint64
	Refc     int64
}

// BinaryMemory is recon's binary_memory: Σ OrigSize over BinaryList, no
// de-duplication (facts §2.2).
func (p *Process) BinaryMemory() uint64 {
	var s uint64
	for _, e := range p.BinaryList() {
		s += e.OrigSize
	}
	return s
}
