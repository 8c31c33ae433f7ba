package reports

// The snapshot recon_alloc:snapshot() would take of a simulated node, so
// that recon's analyses (recon.go) can be asked about it.
//
// recon_alloc:allocators/0 (recon-refc-facts.md §1.1) lists, in order:
//
//	{erts_mmap, 0}                 not produced here (see below)
//	{sys_alloc, 0}                 options only: e, m, tt, tp
//	{mseg_alloc, 0..N}             memkind (status, calls), options, version
//	{A, I} for A in system_info(alloc_util_allocators) and its instances
//
// recon reads only the alloc_util instances (memory, fragmentation,
// average_block_sizes, sbcs_to_mbcs) and mseg_alloc's cache_hits and
// mseg_alloc call count (cache_hit_rates); sys_alloc is there so that a
// saved snapshot has the shape of a real node's.
//
// Taking the snapshot disturbs nothing: the alloc_util statistics are read
// without starting a new "max since last call" period (recon's "max" is
// position 4, the max ever, which no info call resets), and mseg_alloc's
// info is read without a new period either. So a later --stats or --info
// report is the same with or without a snapshot before it.
//
// Not produced:
//   - {erts_mmap, 0}: the literal mapper (literal_mmap) is not modelled, so
//     a faithful entry cannot be written; recon never reads it.
//   - erlang:memory() is only what NodeMemory derives from the blocks —
//     total, processes, processes_used, system, binary, ets, lower bounds
//     of a real node's; atom, atom_used and code are not modelled, so they
//     are left out rather than invented. recon's analyses do not read it.
//   - delayed deallocations still queued are not applied: settle the node
//     first (System.Settle) if the snapshot should see them done.

import (
	"alloclab/allocator"
	"alloclab/carriers"
)

// SnapshotOf is the snapshot recon_alloc:snapshot() takes of a simulated
// node with the instances insts (System.AllInstances, in the runtime's
// order) and the segment layer space: erlang:memory() as far as
// NodeMemory derives it, sys_alloc 0 with OTP 25's default options, every
// mseg_alloc instance of space (MsegInstances), then every alloc_util
// instance as system_info({allocator, A}) shows it (SystemInfo). Use
// SnapshotOfSystem for a System, whose +MY flags it then reports.
func SnapshotOf(insts []*allocator.Instance, space *carriers.Space) *Snapshot {
	return snapshotOf(insts, space, defaultSysFlags())
}

// SnapshotOfSystem is SnapshotOf for a node, with the sys_alloc options of
// its configuration.
func SnapshotOfSystem(sys *allocator.System) *Snapshot {
	return snapshotOf(sys.AllInstances(), sys.Space(), sys.Config().Sys)
}

func defaultSysFlags() allocator.SysFlags {
	var f *allocator.Flags
	return f.Sys()
}

func snapshotOf(insts []*allocator.Instance, space *carriers.Space, sys allocator.SysFlags) *Snapshot {
	s := &Snapshot{Memory: NodeMemory(insts)}
	s.Instances = append(s.Instances, reconSysAlloc(sys))
	if space != nil {
		s.Instances = append(s.Instances, MsegInstances(space, false)...)
	}
	s.Instances = append(s.Instances, SystemInfo(insts, false)...)
	return s
}

// reconSysAlloc is {{sys_alloc, 0}, [{options, [{e,true},{m,libc},{tt,T},
// {tp,P}]}]}; the runtime shows libc whatever +MYm says.
func reconSysAlloc(f allocator.SysFlags) AllocInstance {
	return AllocInstance{
		Allocator: "sys_alloc",
		Instance:  0,
		Options: []Prop{
			{"e", Atom("true")}, {"m", Atom("libc")},
			{"tt", IntFrom(f.TT)}, {"tp", IntFrom(f.TP)},
		},
	}
}
