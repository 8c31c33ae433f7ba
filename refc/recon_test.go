package refc

import (
	"strings"
	"testing"
)

func TestProcWindowSemantics(t *testing.T) {
	// facts §2.3: Last − First per pid; only in the second sample: its
	// absolute value; only in the first: its first value. Top n by value,
	// ties by the larger pid first (recon's {Value, Pid} heap).
	first := Sample{at: 0, stats: []ProcStat{{Pid: 80, Value: 100}, {Pid: 81, Value: 500}, {Pid: 82, Value: 7}}}
	last := Sample{at: 500e6, stats: []ProcStat{{Pid: 80, Value: 930}, {Pid: 81, Value: 530}, {Pid: 83, Value: 30}}}
	ss, ms := ProcWindow(first, last, 4)
	var got []int64
	var pids []int
	for _, s := range ss {
		got = append(got, s.Value)
		pids = append(pids, s.Pid)
	}
	if ms != 500 || len(got) != 4 || got[0] != 830 || got[1] != 30 || got[2] != 30 || got[3] != 7 || pids[1] != 83 || pids[2] != 81 {
		t.Errorf("proc_window: %v %v (%d ms); want [830 30 30 7] pids [80 83 81 82], 500 ms", got, pids, ms)
	}
}

func TestProcCountNoDedup(t *testing.T) {
	// facts §2.2: a binary received twice is listed twice; a binary
	// shared by K processes counts K times.
	n, _ := NewNode(Config{})
	a, _ := n.Spawn(SpawnOpts{})
	b, _ := n.Spawn(SpawnOpts{})
	c, _ := n.Spawn(SpawnOpts{})
	r, _ := a.NewBinary(100000, "t")
	a.Send(b, 3, r)
	a.Send(b, 3, r)
	a.Send(c, 3, r)
	for _, p := range []*Process{b, c} {
		for {
			m, _ := p.Receive()
			if m == nil {
				break
			}
			p.Keep(m)
		}
	}
	if got := b.BinaryMemory(); got != 200000 {
		t.Errorf("binary_memory of a process holding one binary twice: %d, want 200000", got)
	}
	if l := b.BinaryList(); len(l) != 2 || l[0].Refc != 4 {
		t.Errorf("process_info(binary): %+v, want two entries with refcount 4", l)
	}
	var sum int64
	for _, s := range n.ProcCount(10) {
		sum += s.Value
	}
	if sum != 400000 || n.Memory().Binary != 100040 {
		t.Errorf("Σ binary_memory %d over %d bytes of binaries; want 400000 over 100040", sum, n.Memory().Binary)
	}
}

func TestDiagnosis(t *testing.T) {
	res := run(t, "sessions", nil)
	d := res.Diagnosis
	if d.Garbage != res.Before.Binary || d.Live != 0 || len(d.GarbageBy) < 500 {
		t.Errorf("sessions: garbage %d of %d, live %d, %d holders", d.Garbage, res.Before.Binary, d.Live, len(d.GarbageBy))
	}
	if h := d.GarbageBy[0]; h.Refs != 13 || h.Frees != 13*20040 {
		t.Errorf("top holder %+v: want 13 dead references freeing 260,520 bytes", h)
	}
	res = run(t, "slices", nil)
	d = res.Diagnosis
	if d.SlicePinned != 50002000 || d.SliceCopies != 7200 || d.SliceBytes != 5000 || len(d.Tables) != 1 {
		t.Errorf("slices: pinned %d, copies %d, shown %d, tables %d", d.SlicePinned, d.SliceCopies, d.SliceBytes, len(d.Tables))
	}
	if !strings.Contains(d.Text(3), "would cost 7,200 bytes and free 49,994,800") {
		t.Errorf("slices diagnosis:\n%s", d.Text(3))
	}
	res = run(t, "backlog", nil)
	if d := res.Diagnosis; d.Queued != 80*10040 || len(d.QueuedBy) != 1 || d.QueuedBy[0].QueueLen != 100 {
		t.Errorf("backlog: queued %d bytes in %+v", d.Queued, d.QueuedBy)
	}
}

func TestExitDropsEverything(t *testing.T) {
	// facts §3.2: a process that dies releases all its references at once
	// — heap, unreceived messages — and its ETS tables go with it.
	n, _ := NewNode(Config{})
	a, _ := n.Spawn(SpawnOpts{})
	b, _ := n.Spawn(SpawnOpts{OffHeapQueue: true})
	tab := n.NewTable(b, "t")
	r, _ := a.NewBinary(5000, "t")
	for range 3 {
		if err := a.Send(b, 3, r); err != nil {
			t.Fatal(err)
		}
	}
	if err := tab.Insert(a, 1, r); err != nil {
		t.Fatal(err)
	}
	a.Drop(r)
	if got := n.Binary(r.Bin).Refc; got != 5 {
		t.Fatalf("count %d, want 5 (sender, 3 queued messages, ETS)", got)
	}
	if err := a.GarbageCollect(); err != nil {
		t.Fatal(err)
	}
	b.Exit()
	if bin := n.Binary(r.Bin); bin.Refc != 0 || bin.Block >= 0 {
		t.Fatalf("after the holder's exit: count %d, block %d; want freed", bin.Refc, bin.Block)
	}
	n.Sleep(1000)
	if m := n.Memory(); m.Binary != 0 || m.ETS != 0 {
		t.Fatalf("memory after exit: %+v", m)
	}
	if !tab.Deleted() {
		t.Fatal("the owner's table survived it")
	}
}
