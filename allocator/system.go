package allocator

import (
	"fmt"

	"alloclab/carriers"
	"alloclab/strategies"
)

// System is a simulated node's erts_alloc: every enabled alloc_util
// allocator type with its instances — instance 0 and one per normal
// scheduler for the thread-specific (temp) and thread-preferred types, one
// for the others — on one heap and one address space with N+1 mseg_alloc
// instances (erts-alloc-facts §1.3, §9).
//
// Routing (§1.3, §7.6, and ../shared/oracle/README.md "What runs where"):
//
//  1. An allocation by scheduler s of type T goes to T's instance s
//     (instance 0 for s = 0, the non-scheduler threads); a single-instance
//     type uses instance 0.
//  2. A free by the thread whose preferred instance employs the block's
//     carrier is done at once. A free by another thread is a delayed
//     deallocation: the block is queued to its employer, which frees it —
//     and counts the free — later.
//  3. A realloc by another thread allocates in the caller's instance
//     (counted there as an alloc, not a realloc), and the old block is
//     queued to its employer.
//  4. When delayed deallocations happen: as in the runtime with its
//     thread progress synchronised after every run of operations (the
//     oracle's node mode with --settle/--repro, the reproducible one):
//     consecutive operations by one scheduler form a run, nothing queued
//     during a run is applied before it ends, and when it ends every
//     employer applies its queue in FIFO order. Settle applies them at
//     any other point (the end of a trace, a statistics snapshot).
//
// Each instance takes its carriers from mseg instance = its own number
// (scheduler s's carriers from mseg instance s, §1.3), main carriers from
// sys_alloc unless +Musac false.
type System struct {
	cfg   *NodeConfig
	heap  *carriers.Heap
	space *carriers.Space
	types [Test + 1][]*Instance
	insts []*Instance // by id (Carrier.Inst)
	dd    [][]int32   // per instance id: queued frees (blocks) and homecoming carriers (^c), oldest first
	ddN   int         // entries in all queues
	spare []int32     // a drained queue's buffer, for reuse
	run   int64       // scheduler of the current run, -1 before the first
	// progress counts the thread-progress points passed: one at the end
	// of every run (the carrier pool's cpool.thr_prgr marks, §7.2, §7.5).
	progress uint64
}

// RouteError is an operation the node cannot perform as asked: an unknown
// or disabled allocator, a scheduler the node does not have, a temp_alloc
// block freed by another thread.
type RouteError struct{ Msg string }

func (e *RouteError) Error() string { return e.Msg }

// NewSystem starts a node with configuration cfg: every instance of every
// enabled type, each with its main carrier (§9.1).
func NewSystem(cfg *NodeConfig) (*System, error) {
	sc := carriers.DefaultSpaceConfig()
	m := cfg.Mseg
	sc.SCS, sc.SCO, sc.SCRPM, sc.SCRFSD = m.SCS, m.SCO, m.SCRPM, m.SCRFSD
	sc.MCS, sc.RMCBF, sc.AMCBF = int(m.MCS), m.RMCBF, m.AMCBF
	sc.MsegInstances = max(cfg.MsegInstances, cfg.Schedulers+1)
	if err := carriers.CheckConfig(sc); err != nil {
		return nil, &ConfigError{err}
	}
	s := &System{cfg: cfg, heap: carriers.NewHeap(), space: carriers.NewSpace(sc), run: -1}
	for t := Temp; t <= Driver; t++ {
		tc := &cfg.Types[t]
		if !tc.Enabled {
			continue
		}
		for i, o := range tc.Instances {
			id := int32(len(s.insts))
			in, ok := NewInstance(t, i, id, o, cfg.Util, s.heap, s.space, min(i, sc.MsegInstances-1), cfg.MainCarrier(t, i))
			if !ok {
				return nil, &ConfigError{fmt.Errorf("%v instance %d: cannot create its main carrier (mmbcs %d bytes)", t, i, o.MMBCS)}
			}
			s.types[t] = append(s.types[t], in)
			s.insts = append(s.insts, in)
			s.dd = append(s.dd, nil)
		}
	}
	s.startPools()
	return s, nil
}

// startPools gives every instance with a carrier pool (acul, acnl and cp
// set, an aoff-family strategy) the pool of its cp: by default each type
// its own; cp @ the common pool; another type's letter that type's pool
// (§7.3).
func (s *System) startPools() {
	pools := map[byte]*carrierPool{}
	for _, in := range s.insts {
		o := &in.Opts
		if in.Index == 0 || o.ACUL == 0 || o.ACNL == 0 || o.CP == 0 || !strategies.Pools(o.AS) {
			continue
		}
		cp := o.CP
		if cp == ':' {
			cp = in.Type.Letter()
		}
		p := pools[cp]
		if p == nil {
			p = newCarrierPool()
			pools[cp] = p
		}
		in.cp.on, in.cp.pool, in.cp.node = true, p, s
		in.cp.pooled = strategies.NewPooledTree(s.heap, strategies.AgeOrdered(o.AS))
	}
}

// later is erts_thr_progress_later: the progress value that will have been
// reached once every thread has passed the next progress point.
func (s *System) later() uint64 { return s.progress + 1 }

// reached is erts_thr_progress_has_reached.
func (s *System) reached(mark uint64) bool { return s.progress >= mark }

// queueEntry appends entry (a block, or ^c for carrier c coming home) to
// instance id's delayed-dealloc queue.
func (s *System) queueEntry(id int32, entry int32) {
	s.dd[id] = append(s.dd[id], entry)
	s.ddN++
}

// Config returns the node's configuration.
func (s *System) Config() *NodeConfig { return s.cfg }

// Heap returns the heap of all blocks and carriers.
func (s *System) Heap() *carriers.Heap { return s.heap }

// Space returns the segment layer.
func (s *System) Space() *carriers.Space { return s.space }

// Instances returns the instances of type t (nil for a disabled type).
func (s *System) Instances(t Type) []*Instance { return s.types[t] }

// AllInstances returns every instance, in type and instance order.
func (s *System) AllInstances() []*Instance { return s.insts }

// EachCarrier calls fn for every carrier of every instance.
func (s *System) EachCarrier(fn func(c int32)) {
	for _, in := range s.insts {
		in.EachCarrier(fn)
	}
}

// preferred returns the instance scheduler sched allocates type t from.
func (s *System) preferred(t Type, sched uint32) (*Instance, error) {
	if t < Temp || t > Driver {
		return nil, &RouteError{fmt.Sprintf("unknown allocator type %d", t)}
	}
	if int(sched) > s.cfg.Schedulers {
		return nil, &RouteError{fmt.Sprintf("scheduler %d: the node has %d schedulers (@ schedulers / --schedulers)", sched, s.cfg.Schedulers)}
	}
	insts := s.types[t]
	if insts == nil {
		return nil, &RouteError{fmt.Sprintf("%v is disabled (+M%ce false or +Mea min): its memory comes from malloc, which alloclab does not model", t, t.Letter())}
	}
	switch t {
	case Literal:
		return nil, &RouteError{"literal_alloc is not modelled yet: its carriers come from the literal super carrier"}
	}
	if len(insts) == 1 {
		return insts[0], nil
	}
	return insts[sched], nil
}

// enter starts or continues the run of scheduler sched: a new run begins
// by applying every delayed deallocation queued during the previous one.
func (s *System) enter(sched uint32) {
	if s.run != int64(sched) {
		s.Settle()
		s.run = int64(sched)
	}
}

// Settle is a thread-progress point followed by every instance's
// delayed-deallocation work, repeated until none is left (the runtime's
// "wait for deallocations", which the oracle's node mode calls between
// runs): each instance applies its queue oldest first — a free whose block
// has meanwhile moved to another employer with its carrier is passed on
// (and counted there), a carrier coming home is taken in (§7.5) — and then
// releases the empty carriers it parked until now.
func (s *System) Settle() {
	s.progress++
	for {
		for id := range s.dd {
			q := s.dd[id]
			if len(q) == 0 {
				continue
			}
			s.dd[id], s.spare = s.spare[:0], nil
			s.ddN -= len(q)
			in := s.insts[id]
			for _, e := range q {
				if e < 0 {
					in.homecoming(^e)
					continue
				}
				if emp := s.heap.Carriers[s.heap.Blocks[e].Crr].Inst; emp != in.id {
					s.queueEntry(emp, e)
					continue
				}
				in.Free(e)
			}
			s.spare = q[:0]
		}
		pending := false
		for _, in := range s.insts {
			if in.cp.on {
				for in.checkPendingDealloc() {
				}
				pending = pending || in.cp.dcHead != carriers.Nil
			}
		}
		if s.ddN == 0 && !pending {
			return
		}
		s.progress++
	}
}

// blockType is the allocator type block b was allocated by: the caller's
// preferred instance is that type's, which is not the employer's when the
// block sits in a carrier fetched from a pool shared between types.
func (s *System) blockType(b int32) Type { return Type(s.heap.Blocks[b].Type()) }

// employer returns the instance employing block b's carrier.
func (s *System) employer(b int32) *Instance {
	return s.insts[s.heap.Carriers[s.heap.Blocks[b].Crr].Inst]
}

// Alloc allocates size bytes of type t on scheduler sched, tagged tag. It
// returns Nil when the allocator returns NULL.
func (s *System) Alloc(t Type, sched uint32, size, tag uint64) (int32, error) {
	in, err := s.preferred(t, sched)
	if err != nil {
		return carriers.Nil, err
	}
	s.enter(sched)
	return in.Alloc(size, tag), nil
}

// Free frees block b on scheduler sched.
func (s *System) Free(b int32, sched uint32) error {
	caller, err := s.preferred(s.blockType(b), sched)
	if err != nil {
		return err
	}
	// A new run first applies the queued frees, which can move the
	// block's carrier (abandoned to the pool): the employer is looked up
	// after that.
	s.enter(sched)
	owner := s.employer(b)
	if caller == owner {
		owner.Free(b)
		return nil
	}
	if s.cfg.Types[owner.Type].ThreadSpecific {
		return &RouteError{fmt.Sprintf("temp_alloc block of scheduler %d freed by scheduler %d: temp_alloc memory must be freed by the thread that allocated it", owner.Index, sched)}
	}
	s.queue(owner, b)
	return nil
}

func (s *System) queue(owner *Instance, b int32) { s.queueEntry(owner.id, b) }

// Realloc resizes block b to size bytes on scheduler sched and returns the
// block holding the data, or Nil (b unchanged) when the allocator returns
// NULL.
func (s *System) Realloc(b int32, size uint64, sched uint32) (int32, error) {
	if err := s.refuseFixRealloc(b); err != nil {
		return carriers.Nil, err
	}
	caller, err := s.preferred(s.blockType(b), sched)
	if err != nil {
		return carriers.Nil, err
	}
	s.enter(sched)
	owner := s.employer(b)
	if caller == owner {
		return owner.Realloc(b, size), nil
	}
	if s.cfg.Types[owner.Type].ThreadSpecific {
		return carriers.Nil, &RouteError{fmt.Sprintf("temp_alloc block of scheduler %d reallocated by scheduler %d: temp_alloc memory belongs to the thread that allocated it", owner.Index, sched)}
	}
	// Another instance's block: a new block in the caller's instance
	// (an alloc there), the old one queued to its employer.
	nb := caller.Alloc(size, s.heap.Blocks[b].U)
	if nb == carriers.Nil {
		return carriers.Nil, nil
	}
	s.queue(owner, b)
	return nb, nil
}

// Check runs every instance's invariant checker.
func (s *System) Check() error {
	for _, in := range s.insts {
		if err := in.Check(); err != nil {
			return fmt.Errorf("%v instance %d: %w", in.Type, in.Index, err)
		}
	}
	return s.checkPools()
}

// Advance moves the simulated clock to nanos (a trace's t record) and runs
// the mseg cache ageing that falls due on the way: the node's 1 s aux-work
// timer destroys one cached segment per firing in every mseg instance with
// a non-empty cache (carriers.Space.Advance, rule C8; erts-alloc-facts
// §3.6), then fix_alloc's shrink ticks (fix.go).
func (s *System) Advance(nanos uint64) {
	s.space.Advance(nanos)
	s.fixTick(nanos)
}

// Routes reports that operations are routed by scheduler, so a replay must
// know each block's allocating scheduler.
func (s *System) Routes() bool { return true }

// NewNode starts the node `erl +S schedulers <flags>` would start: the +M
// flags (erl syntax) parsed, the effective configuration (NewNodeConfig)
// and its system (NewSystem), in one step.
func NewNode(schedulers int, flags string) (*System, error) {
	fl, err := ParseFlags(flags)
	if err != nil {
		return nil, err
	}
	cfg, err := NewNodeConfig(schedulers, fl)
	if err != nil {
		return nil, err
	}
	return NewSystem(cfg)
}
