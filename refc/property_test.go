package refc

import (
	"fmt"
	"testing"

	"pgregory.net/rapid"
)

// Random programs against the model, checked after every step:
//
//   - no count is negative (decr panics, which fails the test);
//   - every Binary's count equals its holders: ProcBins on live processes'
//     off-heap lists, in their not-yet-placed messages, and ETS rows;
//   - a Binary is freed exactly when its count — its last holder — goes:
//     freed ⇔ count 0, and OnFree fires once per Binary;
//   - once queued frees are applied, the binary_alloc blocks the allocator
//     reports (erlang:memory(binary), facts §4, §8) equal the model's
//     ledger of live Binaries.

type world struct {
	n      *Node
	procs  []*Process
	held   map[*Process][]*Ref
	tables []*Table
	keys   []uint64
	freed  map[BinID]int
}

func (w *world) alive() []*Process {
	var ps []*Process
	for _, p := range w.procs {
		if !p.dead {
			ps = append(ps, p)
		}
	}
	return ps
}

func (w *world) liveRefs(p *Process) []*Ref {
	var rs []*Ref
	for _, r := range w.held[p] {
		if r.live && r.owner == p {
			rs = append(rs, r)
		}
	}
	w.held[p] = rs
	return rs
}

func (w *world) check(t *rapid.T) {
	n := w.n
	holders := make([]int64, len(n.bins))
	for _, p := range n.procs {
		if p.dead {
			if len(p.offheap) != 0 || len(p.queue) != 0 {
				t.Fatalf("dead %s still holds references", p.PidString())
			}
			continue
		}
		for _, r := range p.offheap {
			holders[r.Bin]++
		}
		for _, m := range p.queue {
			if !m.inHeap {
				for _, r := range m.Refs {
					if r.Bin != NoBin {
						holders[r.Bin]++
					}
				}
			}
		}
	}
	for _, tb := range n.tables {
		for _, rw := range tb.rows {
			for _, r := range rw.refs {
				if r.Bin != NoBin {
					holders[r.Bin]++
				}
			}
		}
	}
	for id := range n.bins {
		b := &n.bins[id]
		if b.Refc < 0 {
			t.Fatalf("binary %d: count %d", id, b.Refc)
		}
		if b.Refc != holders[id] {
			t.Fatalf("binary %d: count %d, holders %d", id, b.Refc, holders[id])
		}
		freed := b.Block < 0
		if freed != (b.Refc == 0) {
			t.Fatalf("binary %d: count %d but freed=%v", id, b.Refc, freed)
		}
		if want := map[bool]int{true: 1, false: 0}[freed]; w.freed[BinID(id)] != want {
			t.Fatalf("binary %d: freed %d times, want %d", id, w.freed[BinID(id)], want)
		}
	}
	n.Sys.Settle()
	if got, want := n.Memory().Binary, n.LedgerBinaryBytes(); got != want {
		t.Fatalf("erlang:memory(binary) %d, live binaries' blocks %d", got, want)
	}
	if err := n.Sys.Check(); err != nil {
		t.Fatalf("allocator invariant: %v", err)
	}
}

func TestPropertyRefcounts(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		hmbs := rapid.SampledFrom([]uint64{0, 0, 2500}).Draw(t, "hmbs")
		n, err := NewNode(Config{Schedulers: rapid.IntRange(1, 3).Draw(t, "schedulers"), HMBS: hmbs})
		if err != nil {
			t.Fatal(err)
		}
		w := &world{n: n, held: map[*Process][]*Ref{}, freed: map[BinID]int{}}
		n.OnFree = func(id BinID) { w.freed[id]++ }
		sizes := rapid.SampledFrom([]uint64{0, 10, 64, 65, 100, 1000, 20000, 600000})
		pick := func(t *rapid.T, label string) *Process {
			ps := w.alive()
			if len(ps) == 0 {
				return nil
			}
			return rapid.SampledFrom(ps).Draw(t, label)
		}
		pickRef := func(t *rapid.T, p *Process) *Ref {
			rs := w.liveRefs(p)
			if len(rs) == 0 {
				return nil
			}
			return rapid.SampledFrom(rs).Draw(t, "ref")
		}
		t.Repeat(map[string]func(*rapid.T){
			"spawn": func(t *rapid.T) {
				if len(w.alive()) >= 6 {
					t.Skip("enough processes")
				}
				p, err := n.Spawn(SpawnOpts{OffHeapQueue: rapid.Bool().Draw(t, "offheap")})
				if err != nil {
					t.Fatal(err)
				}
				w.procs = append(w.procs, p)
				if len(w.tables) == 0 {
					w.tables = append(w.tables, n.NewTable(p, "t"))
				}
			},
			"binary": func(t *rapid.T) {
				if p := pick(t, "p"); p != nil {
					r, err := p.NewBinary(sizes.Draw(t, "size"), "test")
					if err != nil {
						t.Fatal(err)
					}
					w.held[p] = append(w.held[p], r)
				}
			},
			"send": func(t *rapid.T) {
				p, q := pick(t, "from"), pick(t, "to")
				if p == nil {
					return
				}
				if r := pickRef(t, p); r != nil {
					if err := p.Send(q, 3, r); err != nil {
						t.Fatal(err)
					}
					if rapid.Bool().Draw(t, "drop after send") {
						p.Drop(r)
					}
				}
			},
			"receive": func(t *rapid.T) {
				if p := pick(t, "p"); p != nil {
					m, err := p.Receive()
					if err != nil {
						t.Fatal(err)
					}
					if m != nil {
						if rapid.Bool().Draw(t, "keep") {
							p.Keep(m)
							w.held[p] = append(w.held[p], m.Refs...)
						} else {
							p.Done(m)
						}
					}
				}
			},
			"slice": func(t *rapid.T) {
				if p := pick(t, "p"); p != nil {
					if r := pickRef(t, p); r != nil {
						s, err := p.Slice(r, rapid.Uint64Range(0, r.Size).Draw(t, "n"))
						if err != nil {
							t.Fatal(err)
						}
						w.held[p] = append(w.held[p], s)
					}
				}
			},
			"copy": func(t *rapid.T) {
				if p := pick(t, "p"); p != nil {
					if r := pickRef(t, p); r != nil {
						c, err := p.Copy(r)
						if err != nil {
							t.Fatal(err)
						}
						w.held[p] = append(w.held[p], c)
					}
				}
			},
			"append": func(t *rapid.T) {
				if p := pick(t, "p"); p != nil {
					if r := pickRef(t, p); r != nil {
						a, err := p.Append(r, rapid.Uint64Range(1, 500).Draw(t, "n"))
						if err != nil {
							t.Fatal(err)
						}
						w.held[p] = append(w.held[p], a)
					}
				}
			},
			"drop": func(t *rapid.T) {
				if p := pick(t, "p"); p != nil {
					p.Drop(pickRef(t, p))
				}
			},
			"ets insert": func(t *rapid.T) {
				if len(w.tables) == 0 || w.tables[0].deleted {
					return
				}
				if p := pick(t, "p"); p != nil {
					if r := pickRef(t, p); r != nil {
						k := rapid.Uint64Range(0, 8).Draw(t, "key")
						if err := w.tables[0].Insert(p, k, r); err != nil {
							t.Fatal(err)
						}
					}
				}
			},
			"ets delete": func(t *rapid.T) {
				if len(w.tables) == 0 {
					return
				}
				if p := pick(t, "p"); p != nil {
					w.tables[0].Delete(p, rapid.Uint64Range(0, 8).Draw(t, "key"))
				}
			},
			"gc": func(t *rapid.T) {
				if p := pick(t, "p"); p != nil {
					var err error
					if rapid.Bool().Draw(t, "full") {
						err = p.GarbageCollect()
					} else {
						err = p.gc(false, 0)
					}
					if err != nil {
						t.Fatal(err)
					}
				}
			},
			"hibernate": func(t *rapid.T) {
				if p := pick(t, "p"); p != nil {
					queued := p.QueueLen() > 0
					gcs := p.GCs
					ok, err := p.Hibernate()
					if err != nil {
						t.Fatal(err)
					}
					if queued && (ok || p.GCs != gcs) {
						t.Fatalf("hibernate with %d messages queued collected", p.QueueLen())
					}
				}
			},
			"exit": func(t *rapid.T) {
				if p := pick(t, "p"); p != nil {
					p.Exit()
				}
			},
			"bin_leak": func(t *rapid.T) {
				ss, err := n.BinLeak(3)
				if err != nil {
					t.Fatal(err)
				}
				for i := 1; i < len(ss); i++ {
					if ss[i-1].Value > ss[i].Value {
						t.Fatalf("bin_leak not most negative first: %v", ss)
					}
				}
			},
			"": func(t *rapid.T) { w.check(t) },
		})
	})
}

func TestHibernateSkipsWithQueue(t *testing.T) {
	n, err := NewNode(Config{})
	if err != nil {
		t.Fatal(err)
	}
	p, _ := n.Spawn(SpawnOpts{})
	q, _ := n.Spawn(SpawnOpts{})
	b, _ := p.NewBinary(1000, "t")
	p.Drop(b)
	if err := q.Send(p, 3); err != nil {
		t.Fatal(err)
	}
	if ok, _ := p.Hibernate(); ok || len(p.BinaryList()) != 1 {
		t.Fatalf("hibernate with a queued message: hibernated=%v, %d references left (facts §8: it returns at once)", ok, len(p.BinaryList()))
	}
	p.Receive()
	if ok, _ := p.Hibernate(); !ok || len(p.BinaryList()) != 0 {
		t.Fatalf("hibernate with an empty queue: hibernated=%v, %d references left", ok, len(p.BinaryList()))
	}
}

func TestBinaryCost(t *testing.T) {
	// facts §3.1: roundup8(Size)+40 bytes of erlang:memory(binary) at
	// sizes 65..100000; +32 with +MBatags false; heap binaries cost none.
	for _, atags := range []bool{true, false} {
		flags := ""
		extra := uint64(40)
		if !atags {
			flags, extra = "+MBatags false", 32
		}
		for _, size := range []uint64{1, 64, 65, 100, 1000, 100000, 2000000} {
			n, err := NewNode(Config{Flags: flags})
			if err != nil {
				t.Fatal(err)
			}
			p, _ := n.Spawn(SpawnOpts{})
			if _, err := p.NewBinary(size, "t"); err != nil {
				t.Fatal(err)
			}
			want := (size+7)/8*8 + extra
			if size <= 64 {
				want = 0
			}
			if got := n.Memory().Binary; got != want {
				t.Errorf("atags %v, %d bytes: erlang:memory(binary) %d, want %d", atags, size, got, want)
			}
		}
	}
}

func TestHeapSizes(t *testing.T) {
	for _, c := range [][2]uint64{{0, 12}, {233, 233}, {234, 376}, {2500, 2586}, {32768, 46422}, {46423, 75113}} {
		if got := NextHeapSize(c[0]); got != c[1] {
			t.Errorf("NextHeapSize(%d) = %d, want %d", c[0], got, c[1])
		}
	}
	// §3.3: 46,422 ×1.618 → 75,110 → 121,527 → 196,630 (VERIFIED).
	sz := DefaultMinBinVheap
	var got []uint64
	for range 3 {
		sz = nextVheapSize(sz, sz, DefaultMinBinVheap)
		got = append(got, sz)
	}
	if fmt.Sprint(got) != "[75110 121527 196630]" {
		t.Errorf("vheap growth %v, facts 75110 121527 196630", got)
	}
	if got := nextVheapSize(0, 196630, DefaultMinBinVheap); got != 98315 {
		t.Errorf("halving: %d, want 98315", got)
	}
	if got := nextVheapSize(0, 46422, DefaultMinBinVheap); got != 46422 {
		t.Errorf("halving below the minimum: %d", got)
	}
}
